package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/mailcatcher"
	"prequal/stage"
)

// setMailRefusing flips the stage mail catcher's refusal (451 to every email)
// as QA does from /qa/mail.
func setMailRefusing(t *testing.T, base string, refuse bool) {
	t.Helper()
	form := url.Values{}
	if refuse {
		form.Set("refuse", "yes")
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/qa/mail/controls", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /qa/mail/controls: %d", resp.StatusCode)
	}
}

// TestDurabilityMailSIGKILLWithMailPending: the relay refuses every email
// (temporary failures, retried with backoff) while applications come in and
// reach their outcomes; the portal is SIGKILLed with every email pending and
// restarted with a relay that accepts. Every email is then sent, and none twice for one cause.
func TestDurabilityMailSIGKILLWithMailPending(t *testing.T) {
	const applications = 12
	dataDir, addr := t.TempDir(), freeLoopbackAddr(t)
	env := []string{"PORTAL_JOB_LEASE=1s", "PORTAL_POLL_AFTER=1s", "PORTAL_POLL_EVERY=1s"}
	first := startPortalProcess(t, dataDir, addr, env...)
	setMailRefusing(t, first.URL, true)

	personas := []string{stage.ScenarioOffersAllRanges, stage.ScenarioNoOffersWithNotice, stage.ScenarioUnderwritingDecline}
	var ids []string
	for n := range applications {
		form, _ := personaForm(t, personas[n%len(personas)], fmt.Sprintf("kill.%d", n))
		ids = append(ids, apply(t, first.URL, form))
	}

	// Wait until every application has its outcome and both its emails have
	// been tried and refused at least once.
	st := openProcessStore(t, dataDir)
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		pending := 0
		for _, id := range ids {
			mails, err := st.Mails(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range mails {
				if m.Status == lending.MailQueued && m.Attempts > 0 {
					pending++
				}
			}
		}
		if pending == 2*applications {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d emails pending after refusals", pending, 2*applications)
		}
		time.Sleep(100 * time.Millisecond)
	}
	catcher, err := mailcatcher.New(mailcatcher.Config{Dir: processConfig(t, dataDir).stageMailDir()})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := catcher.Count(); n != 0 {
		t.Fatalf("%d emails caught while the relay refused", n)
	}
	first.Kill()

	// The restarted portal's catcher accepts (the refusal was the dead one's).
	startPortalProcess(t, dataDir, addr, env...)
	deadline = time.Now().Add(60 * time.Second)
	for {
		counts, err := st.MailCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[lending.MailSent] == 2*applications && counts[lending.MailQueued] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart: %v, want %d sent", counts, 2*applications)
		}
		time.Sleep(100 * time.Millisecond)
	}

	msgs, err := catcher.Messages(0)
	if err != nil {
		t.Fatal(err)
	}
	byMessageID := map[string]int{}
	for _, m := range msgs {
		byMessageID[m.MessageID]++
	}
	for id, n := range byMessageID {
		if n != 1 {
			t.Errorf("Message-ID %s delivered %d times", id, n)
		}
	}
	if len(msgs) != 2*applications || len(byMessageID) != 2*applications {
		t.Errorf("%d emails caught with %d Message-IDs, want %d of each", len(msgs), len(byMessageID), 2*applications)
	}
	for _, id := range ids {
		mails, err := st.Mails(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, m := range mails {
			kinds = append(kinds, string(m.Kind))
			if m.Status != lending.MailSent || m.Attempts < 2 {
				t.Errorf("%s %s: %s after %d tries", id, m.Kind, m.Status, m.Attempts)
			}
		}
		if got := strings.Join(kinds, ","); got != "received,offers_ready" && got != "received,no_offers" {
			t.Errorf("%s: emails %s", id, got)
		}
		events, err := st.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, e := range events {
			if e.Kind == lending.EventEmailSent {
				sent++
			}
		}
		if sent != 2 {
			t.Errorf("%s: %d email_sent events, want 2", id, sent)
		}
	}
}
