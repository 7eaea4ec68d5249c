package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"prequal/lending"
)

// mailsOf returns an application's outbox emails.
func mailsOf(t *testing.T, s *Store, id string) []Mail {
	t.Helper()
	m, err := s.Mails(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// kindsOf lists the kinds of an application's emails, oldest first.
func kindsOf(t *testing.T, s *Store, id string) string {
	t.Helper()
	var kinds []string
	for _, m := range mailsOf(t, s, id) {
		kinds = append(kinds, string(m.Kind))
	}
	return strings.Join(kinds, ",")
}

// claimOne claims the queued email of kind for the application.
func claimOne(t *testing.T, s *Store, id string, kind lending.MailKind) MailJob {
	t.Helper()
	jobs, err := s.ClaimMailJobs(context.Background(), "w1", time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.ApplicationID == id && j.Kind == kind {
			return j
		}
	}
	t.Fatalf("no %s email for %s among %d claimed", kind, id, len(jobs))
	return MailJob{}
}

func TestApplicationReceivedMailIsQueuedWithTheApplication(t *testing.T) {
	s, _ := lcStore(t)
	ctx := context.Background()
	app := lcCreate(t, s)
	mails := mailsOf(t, s, app.ID)
	if len(mails) != 1 || mails[0].Kind != lending.MailReceived || mails[0].Status != lending.MailQueued {
		t.Fatalf("outbox %+v, want one queued received email", mails)
	}
	job := claimOne(t, s, app.ID, lending.MailReceived)
	content, err := s.MailContentFor(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if content.App.ID != app.ID || content.ResumeToken == "" || content.ResumeExpiresAt.IsZero() {
		t.Fatalf("content %+v", content)
	}
	got, err := s.CheckResumeToken(ctx, content.ResumeToken)
	if err != nil || got.ID != app.ID {
		t.Fatalf("the email's resume token: %v (application %q)", err, got.ID)
	}
	// The same idempotency key again is the same application and no second email.
	again, created, err := s.CreateApplication(ctx, NewApplication{SessionID: "sess", IdempotencyKey: "k-" + app.ID,
		Applicant: testApplicant("again@example.com", "123456780"), LeadTimeout: time.Minute})
	if err != nil || !created {
		t.Fatal(err)
	}
	if _, created, err := s.CreateApplication(ctx, NewApplication{SessionID: "sess", IdempotencyKey: "k-" + app.ID,
		Applicant: testApplicant("again@example.com", "123456780"), LeadTimeout: time.Minute}); err != nil || created {
		t.Fatalf("resend: created=%v err=%v", created, err)
	}
	if k := kindsOf(t, s, again.ID); k != "received" {
		t.Errorf("emails after a resend: %s", k)
	}
}

func TestLeadOutcomeMailsOncePerCause(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	app := lcSubmitted(t, s, clock, "uuid-mail-1")
	offers := []lending.Offer{lcOffer("p1", lending.RangeRequested)}
	found := lending.LeadReport{UUID: "uuid-mail-1", Status: lending.LeadOffersFound, Offers: offers}
	for i, u := range []LeadUpdate{
		{LeadReport: lending.LeadReport{UUID: "uuid-mail-1", Status: lending.LeadFindingProducts}, Source: lending.SourceCallback, WebhookID: "w1"},
		{LeadReport: found, Source: lending.SourceCallback, WebhookID: "w2"},
		{LeadReport: found, Source: lending.SourceCallback, WebhookID: "w2"},
		{LeadReport: found, Source: lending.SourceCallback, WebhookID: "w3"},
		{LeadReport: found, Source: lending.SourcePoller},
	} {
		if _, err := s.ApplyLeadUpdate(ctx, u); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	if k := kindsOf(t, s, app.ID); k != "received,offers_ready" {
		t.Errorf("emails %s, want received,offers_ready", k)
	}

	// A lead we timed out that the platform answers late gets its email then.
	late := lcSubmitted(t, s, clock, "uuid-mail-2")
	admSet(t, s, late.ID, "lead_status = 'timed_out'")
	notice := "<p>Notice</p>"
	if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "uuid-mail-2", Status: lending.LeadNoOffers,
		AdverseActionNotice: &notice}, Source: lending.SourcePoller}); err != nil {
		t.Fatal(err)
	}
	if k := kindsOf(t, s, late.ID); k != "received,no_offers" {
		t.Errorf("emails %s, want received,no_offers", k)
	}

	// A retried lead is a new attempt: its outcome is a new cause.
	retried := lcSubmitted(t, s, clock, "uuid-mail-3")
	admSet(t, s, retried.ID, "lead_status = 'timed_out'")
	if _, err := s.RetryLead(ctx, retried.ID, time.Minute, lending.SourceBorrower, ""); err != nil {
		t.Fatal(err)
	}
	admSet(t, s, retried.ID, "lead_uuid = 'uuid-mail-3b'")
	if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "uuid-mail-3b", Status: lending.LeadOffersFound, Offers: offers},
		Source: lending.SourcePoller}); err != nil {
		t.Fatal(err)
	}
	if k := kindsOf(t, s, retried.ID); k != "received,offers_ready" {
		t.Errorf("emails %s", k)
	}
	var causes []string
	rows, err := s.r.Query(`SELECT cause FROM mail_outbox WHERE application_id = ? ORDER BY id`, retried.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		_ = rows.Scan(&c)
		causes = append(causes, c)
	}
	rows.Close()
	if want := "offers_ready:" + retried.ID + ":2"; len(causes) != 2 || causes[1] != want {
		t.Errorf("causes %q, want the second to be %q", causes, want)
	}
}

func TestMailJobsLeaseRetryAndFailure(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	app := lcCreate(t, s)

	first, err := s.ClaimMailJobs(ctx, "w1", 10*time.Second, 10)
	if err != nil || len(first) != 1 || first[0].Tries != 1 {
		t.Fatalf("claim: %v %+v", err, first)
	}
	if again, _ := s.ClaimMailJobs(ctx, "w2", 10*time.Second, 10); len(again) != 0 {
		t.Fatalf("a leased email was claimed again: %+v", again)
	}
	if err := s.ExtendMailLease(ctx, first[0], 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// The holder dies: the lease runs out and another worker takes the email.
	clock.advance(11 * time.Second)
	second, err := s.ClaimMailJobs(ctx, "w2", 10*time.Second, 10)
	if err != nil || len(second) != 1 || second[0].Tries != 2 {
		t.Fatalf("claim after the lease ran out: %v %+v", err, second)
	}
	if err := s.ExtendMailLease(ctx, first[0], time.Second); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("the first holder extended a lease it lost: %v", err)
	}

	// A temporary failure: rescheduled, noted once on the timeline.
	if err := s.RecordMailFailure(ctx, MailFailure{Job: second[0], Reason: "451 try later", Retry: true,
		RetryAt: clock.now().Add(4 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := s.ClaimMailJobs(ctx, "w2", 10*time.Second, 10); len(jobs) != 0 {
		t.Fatal("claimed before its retry time")
	}
	clock.advance(5 * time.Second)
	third, _ := s.ClaimMailJobs(ctx, "w2", 10*time.Second, 10)
	if len(third) != 1 || third[0].Tries != 3 {
		t.Fatalf("retry claim %+v", third)
	}
	if err := s.RecordMailFailure(ctx, MailFailure{Job: third[0], Reason: "451 again", Retry: true,
		RetryAt: clock.now()}); err != nil {
		t.Fatal(err)
	}
	if n := len(lcEvents(t, s, app.ID, lending.EventEmailFailed)); n != 1 {
		t.Errorf("%d email_failed events for two retries, want 1", n)
	}
	m := mailsOf(t, s, app.ID)[0]
	if m.Status != lending.MailQueued || m.Attempts != 3 || m.LastError != "451 again" {
		t.Errorf("row %+v", m)
	}

	// Sent once: a second record (another holder after a lost lease) changes nothing.
	fourth, _ := s.ClaimMailJobs(ctx, "w2", 10*time.Second, 10)
	for range 2 {
		if err := s.RecordMailSent(ctx, MailSent{Job: fourth[0], To: app.Email, Subject: "Received", MessageID: "<a@b>"}); err != nil {
			t.Fatal(err)
		}
	}
	sent := lcEvents(t, s, app.ID, lending.EventEmailSent)
	if len(sent) != 1 || !strings.Contains(sent[0].Detail, "l***@example.com") || strings.Contains(sent[0].Detail, app.Email) {
		t.Errorf("email_sent events %+v (once, with the address masked)", sent)
	}
	if m := mailsOf(t, s, app.ID)[0]; m.Status != lending.MailSent || m.SentAt.IsZero() || m.MessageID != "<a@b>" {
		t.Errorf("row %+v", m)
	}
	if !lcApp(t, s, app.ID).Review.NoticeSentAt.IsZero() {
		t.Error("a received email stamped the notice time")
	}

	// A permanent refusal fails the email for good.
	other := lcCreate(t, s)
	job := claimOne(t, s, other.ID, lending.MailReceived)
	if err := s.RecordMailFailure(ctx, MailFailure{Job: job, Reason: "550 no such user"}); err != nil {
		t.Fatal(err)
	}
	if m := mailsOf(t, s, other.ID)[0]; m.Status != lending.MailFailed {
		t.Errorf("row %+v", m)
	}
	if ev := lcEvents(t, s, other.ID, lending.EventEmailFailed); len(ev) != 1 || ev[0].StatusTo != string(lending.MailFailed) {
		t.Errorf("events %+v", ev)
	}
}

func TestClaimMailJobsIsExclusiveUnderConcurrency(t *testing.T) {
	s, _ := lcStore(t)
	for range 20 {
		lcCreate(t, s)
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			owner := fmt.Sprintf("w%d", w)
			for range 10 {
				jobs, err := s.ClaimMailJobs(context.Background(), owner, time.Minute, 3)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, j := range jobs {
					if prev, ok := seen[j.ID]; ok {
						t.Errorf("email %d claimed by %s and %s", j.ID, prev, owner)
					}
					seen[j.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Errorf("%d emails claimed, want 20", len(seen))
	}
}

func TestOfferExpiryRemindersOncePerAttempt(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	ttl := 10 * 24 * time.Hour // reminder 72 h before expiry: day 7
	offers := []lending.Offer{lcOffer("p1", lending.RangeRequested)}
	found := func(uuid string) lending.Application {
		app := lcSubmitted(t, s, clock, uuid)
		if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: uuid, Status: lending.LeadOffersFound, Offers: offers},
			Source: lending.SourcePoller}); err != nil {
			t.Fatal(err)
		}
		return app
	}
	waiting, chosen, denied := found("u-exp-1"), found("u-exp-2"), found("u-exp-3")
	if _, err := s.SelectOffer(ctx, chosen.ID, "p1"); err != nil {
		t.Fatal(err)
	}
	admSet(t, s, denied.ID, "review_status = 'Denied'")

	clock.advance(7*24*time.Hour - time.Minute)
	if ids, err := s.EnqueueOfferExpiryReminders(ctx, ttl, 100); err != nil || len(ids) != 0 {
		t.Fatalf("before the reminder time: %v %v", ids, err)
	}
	clock.advance(2 * time.Minute)
	ids, err := s.EnqueueOfferExpiryReminders(ctx, ttl, 100)
	if err != nil || len(ids) != 1 || ids[0] != waiting.ID {
		t.Fatalf("reminders %v (%v), want only %s", ids, err, waiting.ID)
	}
	if ids, _ := s.EnqueueOfferExpiryReminders(ctx, ttl, 100); len(ids) != 0 {
		t.Errorf("a second sweep queued %v again", ids)
	}
	if k := kindsOf(t, s, waiting.ID); k != "received,offers_ready,offers_expiring" {
		t.Errorf("emails %s", k)
	}

	// Offers found and already past their expiry get no reminder.
	stale := found("u-exp-4")
	clock.advance(ttl + time.Second)
	if ids, _ := s.EnqueueOfferExpiryReminders(ctx, ttl, 100); len(ids) != 0 {
		t.Errorf("expired offers reminded: %v", ids)
	}
	if k := kindsOf(t, s, stale.ID); k != "received,offers_ready" {
		t.Errorf("emails %s", k)
	}
}

func TestResumeTokenRules(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	app := lcCreate(t, s)
	token, err := s.IssueResumeToken(ctx, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplicationForSession(ctx, app.ID, "phone"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another session sees the application before resuming: %v", err)
	}

	// Tampered, unknown or aimed at another application: invalid.
	other := lcCreate(t, s)
	bad := map[string]string{
		"garbage":           "not-a-token",
		"altered signature": token[:len(token)-2] + "AA",
		"other application": other.ID + token[len(other.ID):],
	}
	for name, text := range bad {
		if _, err := s.CheckResumeToken(ctx, text); !errors.Is(err, lending.ErrResumeTokenInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if _, err := s.RedeemResumeToken(ctx, token, Redemption{SessionID: "phone", ApplicationID: other.ID}); !errors.Is(err, lending.ErrResumeTokenInvalid) {
		t.Errorf("redeemed for another application: %v", err)
	}

	got, err := s.RedeemResumeToken(ctx, token, Redemption{SessionID: "phone", IP: "203.0.113.9"})
	if err != nil || got.ID != app.ID || got.EmailConfirmedAt.IsZero() {
		t.Fatalf("redeem: %v %+v", err, got.EmailConfirmedAt)
	}
	if _, err := s.ApplicationForSession(ctx, app.ID, "phone"); err != nil {
		t.Errorf("the resumed session cannot open the application: %v", err)
	}
	if _, err := s.ApplicationProgressForSession(ctx, app.ID, "phone"); err != nil {
		t.Errorf("the resumed session cannot poll: %v", err)
	}
	if _, err := s.ApplicationForSession(ctx, app.ID, "sess"); err != nil {
		t.Errorf("the first session lost the application: %v", err)
	}
	if list, _ := s.ApplicationsForSession(ctx, "phone", 10); len(list) != 1 || list[0].ID != app.ID {
		t.Errorf("the resumed session's list: %d applications", len(list))
	}
	if _, err := s.ApplicationForSession(ctx, other.ID, "phone"); !errors.Is(err, ErrNotFound) {
		t.Error("resuming one application opened another")
	}
	if ev := lcEvents(t, s, app.ID, lending.EventResumeLinkUsed); len(ev) != 1 {
		t.Errorf("resume events %+v", ev)
	}

	// Single use.
	if _, err := s.CheckResumeToken(ctx, token); !errors.Is(err, lending.ErrResumeTokenSpent) {
		t.Errorf("check after use: %v", err)
	}
	if _, err := s.RedeemResumeToken(ctx, token, Redemption{SessionID: "laptop"}); !errors.Is(err, lending.ErrResumeTokenSpent) {
		t.Errorf("second use: %v", err)
	}

	// Expiry.
	fresh, _ := s.IssueResumeToken(ctx, app.ID)
	clock.advance(lending.ResumeTokenTTL + time.Second)
	if _, err := s.RedeemResumeToken(ctx, fresh, Redemption{SessionID: "laptop"}); !errors.Is(err, lending.ErrResumeTokenExpired) {
		t.Errorf("expired token: %v", err)
	}

	// Bound to the address: a changed address voids the links sent to the old one.
	rebound, _ := s.IssueResumeToken(ctx, app.ID)
	admSet(t, s, app.ID, "email = 'someone.else@example.com'")
	if _, err := s.RedeemResumeToken(ctx, rebound, Redemption{SessionID: "laptop"}); !errors.Is(err, lending.ErrResumeTokenInvalid) {
		t.Errorf("token after the address changed: %v", err)
	}
}

func TestConcurrentRedeemsSpendOnce(t *testing.T) {
	s, _ := lcStore(t)
	ctx := context.Background()
	app := lcCreate(t, s)
	token, _ := s.IssueResumeToken(ctx, app.ID)
	var ok sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 8 {
		ok.Go(func() {
			_, err := s.RedeemResumeToken(ctx, token, Redemption{SessionID: fmt.Sprintf("s%d", i)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, lending.ErrResumeTokenSpent):
				t.Errorf("redeem %d: %v", i, err)
			}
		})
	}
	ok.Wait()
	if wins != 1 {
		t.Errorf("%d redeems succeeded, want 1", wins)
	}
}

func TestRequestResumeLinksAnswersAlikeAndThrottles(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	app := lcCreate(t, s)

	known, err := s.RequestResumeLinks(ctx, "  "+strings.ToUpper(app.Email)+" ", "198.51.100.1")
	if err != nil || known.IPLimited || known.Queued != 1 {
		t.Fatalf("known address: %+v %v", known, err)
	}
	unknown, err := s.RequestResumeLinks(ctx, "nobody@example.com", "198.51.100.2")
	if err != nil || unknown.IPLimited || unknown.Queued != 0 {
		t.Fatalf("unknown address: %+v %v", unknown, err)
	}
	if k := kindsOf(t, s, app.ID); k != "received,resume_link" {
		t.Errorf("emails %s", k)
	}
	var stored int
	if err := s.r.QueryRow(`SELECT count(*) FROM resume_link_requests WHERE throttle_key LIKE '%nobody%'`).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the typed address is kept in the throttle table (%d rows, %v)", stored, err)
	}

	// Per address: the limit, then silence (the same answer, no email).
	for i := 1; i < lending.MaxResumeLinkRequestsPerAddress; i++ {
		if out, _ := s.RequestResumeLinks(ctx, app.Email, fmt.Sprintf("198.51.100.%d", 10+i)); out.Queued != 1 {
			t.Fatalf("request %d: %+v", i+1, out)
		}
	}
	if out, _ := s.RequestResumeLinks(ctx, app.Email, "198.51.100.50"); out.Queued != 0 || out.IPLimited {
		t.Errorf("over the address limit: %+v", out)
	}
	clock.advance(lending.ResumeLinkWindow + time.Second)
	if out, _ := s.RequestResumeLinks(ctx, app.Email, "198.51.100.51"); out.Queued != 1 {
		t.Errorf("after the window: %+v", out)
	}

	// Per IP: known or unknown addresses alike.
	for i := range lending.MaxResumeLinkRequestsPerIP {
		if out, _ := s.RequestResumeLinks(ctx, fmt.Sprintf("x%d@example.com", i), "203.0.113.77"); out.IPLimited {
			t.Fatalf("request %d limited early", i+1)
		}
	}
	if out, _ := s.RequestResumeLinks(ctx, app.Email, "203.0.113.77"); !out.IPLimited || out.Queued != 0 {
		t.Errorf("over the IP limit: %+v", out)
	}
}
