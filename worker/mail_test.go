package worker

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"prequal/email"
	"prequal/lending"
	"prequal/mailcatcher"
	"prequal/store"
)

// fakeMailer records what it is asked to send and fails on demand.
type fakeMailer struct {
	mu        sync.Mutex
	sent      []email.Message
	tries     int
	failFirst int  // the first failFirst sends fail temporarily
	permanent bool // every send is refused for good
}

func (f *fakeMailer) Send(_ context.Context, m email.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries++
	switch {
	case f.permanent:
		return &email.DeliveryError{Permanent: true, Err: errors.New("550 no such user")}
	case f.tries <= f.failFirst:
		return &email.DeliveryError{Err: errors.New("451 try again later")}
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeMailer) messages() []email.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]email.Message(nil), f.sent...)
}

func mailSettings() email.Settings {
	return email.Settings{SiteName: "Prequal Portal", From: "Prequal Portal <no-reply@portal.test>",
		PostalAddress: "100 Stage Street, Wilmington, DE 19801", BaseURL: "http://portal.test"}
}

func (h *harness) withMailer(m Mailer) {
	h.cfg.Mailer, h.cfg.Mail = m, mailSettings()
}

func (h *harness) mails(id string) []store.Mail {
	h.t.Helper()
	m, err := h.store.Mails(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

func (h *harness) waitForMailStatus(id string, want lending.MailStatus) store.Mail {
	h.t.Helper()
	var m store.Mail
	h.waitFor("the email "+string(want), 10*time.Second, func() bool {
		ms := h.mails(id)
		if len(ms) == 0 {
			return false
		}
		m = ms[0]
		return m.Status == want
	})
	return m
}

func TestMailIsSentOncePerCause(t *testing.T) {
	h := newHarness(t)
	mailer := &fakeMailer{}
	h.withMailer(mailer)
	h.run()
	apps := []lending.Application{h.apply(), h.apply(), h.apply()}
	for _, a := range apps {
		m := h.waitForMailStatus(a.ID, lending.MailSent)
		if m.Attempts != 1 || !strings.Contains(m.Subject, "$15,000") || m.MessageID == "" {
			t.Errorf("row %+v", m)
		}
		if ev := h.events(a.ID, lending.EventEmailSent); len(ev) != 1 {
			t.Errorf("email_sent events %+v", ev)
		}
	}
	time.Sleep(100 * time.Millisecond) // ten more rounds: nothing is sent again
	msgs := mailer.messages()
	if len(msgs) != 3 {
		t.Fatalf("%d emails sent, want 3", len(msgs))
	}
	ids := map[string]bool{}
	for _, m := range msgs {
		ids[m.MessageID] = true
		if !strings.Contains(m.Text, "http://portal.test/resume/") {
			t.Errorf("no resume link in\n%s", m.Text)
		}
	}
	if len(ids) != 3 {
		t.Errorf("Message-IDs %v: want one per cause", ids)
	}
	if strings.Contains(h.logs.String(), "avery@example.com") {
		t.Error("the logs carry the borrower's address")
	}
}

func TestMailRetriesTemporaryFailuresWithBackoff(t *testing.T) {
	h := newHarness(t)
	mailer := &fakeMailer{failFirst: 3}
	h.withMailer(mailer)
	h.run()
	app := h.apply()
	m := h.waitForMailStatus(app.ID, lending.MailSent)
	if m.Attempts != 4 || len(mailer.messages()) != 1 {
		t.Errorf("attempts %d, sent %d; want 4 and 1", m.Attempts, len(mailer.messages()))
	}
	if ev := h.events(app.ID, lending.EventEmailFailed); len(ev) != 1 || !strings.Contains(ev[0].Detail, "451") {
		t.Errorf("email_failed events %+v (the first failure only)", ev)
	}
}

func TestMailRefusedForGoodIsNotRetried(t *testing.T) {
	h := newHarness(t)
	mailer := &fakeMailer{permanent: true}
	h.withMailer(mailer)
	h.run()
	app := h.apply()
	m := h.waitForMailStatus(app.ID, lending.MailFailed)
	time.Sleep(100 * time.Millisecond)
	if m.Attempts != 1 || mailer.tries != 1 || !strings.Contains(m.LastError, "550") {
		t.Errorf("row %+v after %d tries", m, mailer.tries)
	}
}

// TestMailThroughARealRelay sends over SMTP to the stage catcher, which first
// refuses (a relay that is down) and then accepts: the email arrives once.
func TestMailThroughARealRelay(t *testing.T) {
	h := newHarness(t)
	catcher, err := mailcatcher.New(mailcatcher.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := catcher.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catcher.Close() })
	catcher.SetRefusing(true)
	host, port, _ := net.SplitHostPort(catcher.Addr())
	p, _ := strconv.Atoi(port)
	h.withMailer(email.NewSender(email.Relay{Host: host, Port: p, TLS: email.TLSNone}, 2*time.Second))
	h.run()
	app := h.apply()
	h.waitFor("two refused tries", 10*time.Second, func() bool {
		ms := h.mails(app.ID)
		return len(ms) == 1 && ms[0].Attempts >= 2
	})
	catcher.SetRefusing(false)
	h.waitForMailStatus(app.ID, lending.MailSent)
	msgs, err := catcher.Messages(0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("caught %d (%v), want 1", len(msgs), err)
	}
	if !strings.HasPrefix(msgs[0].Subject, "Your $15,000 loan request: received") || msgs[0].HTML == "" || msgs[0].Text == "" {
		t.Errorf("caught %q with text %d bytes, html %d bytes", msgs[0].Subject, len(msgs[0].Text), len(msgs[0].HTML))
	}
}

func TestOfferExpiryReminderIsSent(t *testing.T) {
	h := newHarness(t)
	mailer := &fakeMailer{}
	h.withMailer(mailer)
	h.cfg.OfferTTL = 2 * time.Second // reminded after a second
	h.run()
	app := h.waitForLead(h.apply().ID)
	if _, err := h.store.ApplyLeadUpdate(context.Background(), store.LeadUpdate{LeadReport: lending.LeadReport{UUID: app.Lead.UUID,
		Status: lending.LeadOffersFound, Offers: []lending.Offer{{ProductID: "p1", LenderName: "Acme", AmountRange: lending.RangeRequested,
			LoanAmount: 15000_00, TermMonths: 36, APR: 999, MonthlyPayment: 483_00}}}, Source: lending.SourcePoller}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("three emails sent", 10*time.Second, func() bool {
		ms := h.mails(app.ID)
		return len(ms) == 3 && ms[2].Kind == lending.MailOffersExpiring && ms[2].Status == lending.MailSent
	})
	var subjects []string
	for _, m := range mailer.messages() {
		subjects = append(subjects, m.Subject)
	}
	if len(subjects) != 3 || !strings.Contains(subjects[2], "offers expire on") {
		t.Errorf("subjects %q", subjects)
	}
}

// Lead work goes first: while a submission or poll is in flight an email
// waits, but never longer than mailYield.
func TestMailWaitsForLeadWorkButIsNotStarved(t *testing.T) {
	h := newHarness(t)
	mailer := &fakeMailer{}
	h.withMailer(mailer)
	w := New(h.cfg)
	ctx := context.Background()
	app := h.apply()
	mailSlots, leadSlots := make(chan struct{}, 4), make(chan struct{}, 4)
	var inFlight sync.WaitGroup
	tries := func() int {
		inFlight.Wait()
		return h.mails(app.ID)[0].Attempts
	}

	leadSlots <- struct{}{} // a submission in flight
	w.mailRound(ctx, ctx, mailSlots, leadSlots, &inFlight)
	if n := tries(); n != 0 {
		t.Fatalf("an email went while lead work was in flight (%d tries)", n)
	}
	w.mailYieldSince = time.Now().Add(-mailYield) // it has waited long enough
	w.mailRound(ctx, ctx, mailSlots, leadSlots, &inFlight)
	if n := tries(); n != 1 || len(mailer.messages()) != 1 {
		t.Fatalf("the email was held back past mailYield (%d tries)", n)
	}

	// With no lead work in flight an email goes at once.
	<-leadSlots
	other := h.apply()
	w.mailRound(ctx, ctx, mailSlots, leadSlots, &inFlight)
	inFlight.Wait()
	if m := h.mails(other.ID); m[0].Status != lending.MailSent {
		t.Errorf("with no lead work in flight: %+v", m[0])
	}
}
