package lending

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestResumeTokenSignAndVerify(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	issued := time.Date(2026, 3, 2, 9, 0, 0, 500, time.UTC)
	tok := NewResumeToken("abcdefghijklmnopqrstuvwxyz", "zyxwvutsrqponmlkjihgfedcba", issued)
	if !tok.ExpiresAt.Equal(issued.Add(ResumeTokenTTL).Truncate(time.Second)) {
		t.Errorf("expires %v", tok.ExpiresAt)
	}
	text := tok.Sign(key, "Ann@Example.com ")
	if len(text) > 128 || strings.ContainsAny(text, "/?#%+= ") {
		t.Errorf("token %q is not a short, URL-safe path segment", text)
	}
	got, err := VerifyResumeToken(text, key, "ann@example.com", issued)
	if err != nil || got != tok {
		t.Fatalf("verify: %+v %v", got, err)
	}
	if parsed, err := ParseResumeToken(text); err != nil || parsed != tok {
		t.Errorf("parse: %+v %v", parsed, err)
	}
	for name, tc := range map[string]struct {
		text, email string
		key         []byte
		now         time.Time
		want        error
	}{
		"another address":     {text, "bob@example.com", key, issued, ErrResumeTokenInvalid},
		"another key":         {text, "ann@example.com", []byte("another key of thirty-two bytes!"), issued, ErrResumeTokenInvalid},
		"another application": {strings.Replace(text, tok.ApplicationID, "aaaaaaaaaaaaaaaaaaaaaaaaaa", 1), "ann@example.com", key, issued, ErrResumeTokenInvalid},
		"a later expiry": {strings.Replace(text, "."+strconv.FormatInt(tok.ExpiresAt.Unix(), 10)+".",
			"."+strconv.FormatInt(tok.ExpiresAt.Unix()+86400, 10)+".", 1), "ann@example.com", key, issued, ErrResumeTokenInvalid},
		"truncated": {text[:len(text)-1], "ann@example.com", key, issued, ErrResumeTokenInvalid},
		"empty":     {"", "ann@example.com", key, issued, ErrResumeTokenInvalid},
		"expired":   {text, "ann@example.com", key, tok.ExpiresAt, ErrResumeTokenExpired},
	} {
		if _, err := VerifyResumeToken(tc.text, tc.key, tc.email, tc.now); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func TestResumeLinkRequestAllowed(t *testing.T) {
	for _, tc := range []struct {
		address, ip        int
		allowed, ipLimited bool
	}{
		{0, 0, true, false},
		{MaxResumeLinkRequestsPerAddress - 1, 0, true, false},
		{MaxResumeLinkRequestsPerAddress, 0, false, false},
		{0, MaxResumeLinkRequestsPerIP, false, true},
	} {
		allowed, limited := ResumeLinkRequestAllowed(tc.address, tc.ip)
		if allowed != tc.allowed || limited != tc.ipLimited {
			t.Errorf("%d/%d: %v %v", tc.address, tc.ip, allowed, limited)
		}
	}
}

func TestOfferExpiryTimes(t *testing.T) {
	found := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if got := OffersExpireAt(found, DefaultOfferTTL); !got.Equal(found.Add(30 * 24 * time.Hour)) {
		t.Errorf("expire %v", got)
	}
	if got := OffersExpiryReminderAt(found, DefaultOfferTTL); !got.Equal(found.Add(27 * 24 * time.Hour)) {
		t.Errorf("reminder %v, want 72 h before", got)
	}
	if got := OffersExpiryReminderAt(found, 4*time.Hour); !got.Equal(found.Add(2 * time.Hour)) {
		t.Errorf("short TTL reminder %v, want halfway", got)
	}
	now := found.Add(28 * 24 * time.Hour)
	after, upTo := OffersDueForReminder(now, DefaultOfferTTL)
	if !(found.After(after) && !found.After(upTo)) {
		t.Errorf("offers found at %v are not due at %v: window (%v, %v]", found, now, after, upTo)
	}
	if _, upTo := OffersDueForReminder(found.Add(26*24*time.Hour), DefaultOfferTTL); !found.After(upTo) {
		t.Error("due before the reminder time")
	}
	if after, _ := OffersDueForReminder(found.Add(31*24*time.Hour), DefaultOfferTTL); found.After(after) {
		t.Error("due after the offers expired")
	}
}

func TestMailCauseAndMessageID(t *testing.T) {
	if c := MailCause(MailOffersReady, "app", "2"); c != "offers_ready:app:2" {
		t.Errorf("cause %q", c)
	}
	if c := MailCause(MailReceived, "app", ""); c != "received:app" {
		t.Errorf("cause %q", c)
	}
	a, b := MailMessageID("received:app", "portal.test"), MailMessageID("received:app", "portal.test")
	if a != b || !strings.HasPrefix(a, "<") || !strings.HasSuffix(a, "@portal.test>") || a == MailMessageID("received:other", "portal.test") {
		t.Errorf("message ids %q %q", a, b)
	}
}
