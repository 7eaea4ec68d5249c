package lending

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Resume links: a borrower opens their application on any device from a link
// sent to the address they applied with. The rules live here so the web's
// /resume/{token} and the headless API's resume (seed 001) are the same rules;
// store keeps which tokens exist and which are spent.

// ResumeTokenTTL is how long a resume link works.
const ResumeTokenTTL = 7 * 24 * time.Hour

// "Send me a link" limits: requests are counted per address and per client IP
// over ResumeLinkWindow, known and unknown addresses alike, so the limits say
// nothing about which addresses have applications.
const (
	ResumeLinkWindow                = time.Hour
	MaxResumeLinkRequestsPerAddress = 3
	MaxResumeLinkRequestsPerIP      = 20
	// MaxResumeLinksPerRequest bounds the applications one request sends links
	// for (the most recent first), and ResumeLinkLookback how old they may be.
	MaxResumeLinksPerRequest = 3
	ResumeLinkLookback       = 90 * 24 * time.Hour
)

// Why a resume token is refused.
var (
	ErrResumeTokenInvalid = errors.New("resume link is not valid")
	ErrResumeTokenExpired = errors.New("resume link has expired")
	ErrResumeTokenSpent   = errors.New("resume link was already used")
)

// ResumeToken is what a resume link carries: which single-use token, for which
// application, until when. Its text form is signed (Sign), binding it to the
// email address the application has, so it is worthless for any other
// application and stops working if the address changes.
type ResumeToken struct {
	ID            string // 128 random bits: the single-use record
	ApplicationID string
	ExpiresAt     time.Time // whole seconds
}

// NewResumeToken is a token with id for an application, issued at issuedAt.
func NewResumeToken(id, applicationID string, issuedAt time.Time) ResumeToken {
	return ResumeToken{ID: id, ApplicationID: applicationID,
		ExpiresAt: issuedAt.Add(ResumeTokenTTL).Truncate(time.Second).UTC()}
}

// resumeMACSize is the signature's length: 128 bits.
const resumeMACSize = 16

var resumeTokenShape = regexp.MustCompile(`^([a-z2-7]{26})\.([a-z2-7]{26})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$`)

func (t ResumeToken) payload() string {
	return t.ApplicationID + "." + t.ID + "." + strconv.FormatInt(t.ExpiresAt.Unix(), 10)
}

func resumeMAC(key []byte, payload, email string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("prequal resume v1\x00"))
	m.Write([]byte(payload))
	m.Write([]byte{0})
	m.Write([]byte(NormalizeEmail(email)))
	return m.Sum(nil)[:resumeMACSize]
}

// Sign returns the token's text form, {application}.{id}.{expiry}.{signature},
// safe in a URL path; the signature covers the three fields and email.
func (t ResumeToken) Sign(key []byte, email string) string {
	p := t.payload()
	return p + "." + base64.RawURLEncoding.EncodeToString(resumeMAC(key, p, email))
}

// ParseResumeToken reads a token's fields without trusting them: enough to find
// its record, which VerifyResumeToken then checks against. A malformed text is
// ErrResumeTokenInvalid.
func ParseResumeToken(text string) (ResumeToken, error) {
	m := resumeTokenShape.FindStringSubmatch(strings.TrimSpace(text))
	if m == nil {
		return ResumeToken{}, ErrResumeTokenInvalid
	}
	exp, err := strconv.ParseInt(m[3], 10, 64)
	if err != nil {
		return ResumeToken{}, ErrResumeTokenInvalid
	}
	return ResumeToken{ApplicationID: m[1], ID: m[2], ExpiresAt: time.Unix(exp, 0).UTC()}, nil
}

// VerifyResumeToken checks a token's signature with key against the email
// address its application has now, then its expiry: ErrResumeTokenInvalid for a
// forged, altered or rebound token, ErrResumeTokenExpired after ExpiresAt.
// Single use is the store's part (a spent token is ErrResumeTokenSpent).
func VerifyResumeToken(text string, key []byte, email string, now time.Time) (ResumeToken, error) {
	t, err := ParseResumeToken(text)
	if err != nil {
		return ResumeToken{}, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(text[strings.LastIndexByte(text, '.')+1:])
	if err != nil || !hmac.Equal(sig, resumeMAC(key, t.payload(), email)) {
		return ResumeToken{}, ErrResumeTokenInvalid
	}
	if !now.Before(t.ExpiresAt) {
		return t, ErrResumeTokenExpired
	}
	return t, nil
}

// ResumeLinkRequestAllowed applies the "Send me a link" limits to the requests
// already made in the window (this one not counted). ipLimited says the client's
// network is over its limit — the one refusal the borrower is told about, since
// it says nothing about the address.
func ResumeLinkRequestAllowed(addressRequests, ipRequests int) (allowed, ipLimited bool) {
	if ipRequests >= MaxResumeLinkRequestsPerIP {
		return false, true
	}
	return addressRequests < MaxResumeLinkRequestsPerAddress, false
}
