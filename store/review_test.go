package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"prequal/lending"
)

var admSeq atomic.Int64 // PostgreSQL tests run in parallel

// admCreate stores an application through CreateApplication with a unique email
// and SSN (so screening lets it through) and returns it.
func admCreate(t testing.TB, s *Store, mutate ...func(*lending.Applicant)) lending.Application {
	t.Helper()
	seq := admSeq.Add(1)
	a := testApplicant(fmt.Sprintf("adm%d@example.com", seq), fmt.Sprintf("%09d", 200000000+seq))
	for _, m := range mutate {
		m(&a)
	}
	app, _, err := s.CreateApplication(context.Background(), NewApplication{SessionID: "sess", IdempotencyKey: NewID(),
		Applicant: a, ClientIP: fmt.Sprintf("198.18.%d.%d", seq/250, seq%250), LeadTimeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// admSet forces columns of an application into a state under test.
func admSet(t testing.TB, s *Store, id, set string, args ...any) {
	t.Helper()
	if _, err := s.w.Exec(`UPDATE applications SET `+set+` WHERE id = ?`, append(args, id)...); err != nil {
		t.Fatal(err)
	}
}

func admOpenJobs(t testing.TB, s *Store, id string) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM jobs WHERE application_id = ? AND done_at_ms IS NULL`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func admByOfficer() OfficerContext {
	return OfficerContext{Officer: lending.Officer{ID: "off1", Email: "ada@bank.example", Role: lending.RoleOfficer},
		IP: "192.0.2.7", UserAgent: "test-browser"}
}

func TestScreeningHoldsSameSSNWithAnotherName(t *testing.T) {
	s, _ := openTestStore(t)
	first := admCreate(t, s, func(a *lending.Applicant) { a.SSN = "321549876" })
	same := admCreate(t, s, func(a *lending.Applicant) { a.SSN = "321549876" })
	other := admCreate(t, s, func(a *lending.Applicant) { a.SSN = "321549876"; a.LastName = "Someone-Else" })
	otherDOB := admCreate(t, s, func(a *lending.Applicant) {
		a.SSN = "321549876"
		a.DOB = time.Date(1991, 4, 12, 0, 0, 0, 0, time.UTC)
	})
	for _, c := range []struct {
		app  lending.Application
		held bool
	}{{first, false}, {same, false}, {other, true}, {otherDOB, true}} {
		wantReview, wantJobs := lending.ReviewPending, 1
		if c.held {
			wantReview, wantJobs = lending.ReviewManualReview, 0
		}
		if c.app.Review.Status != wantReview || admOpenJobs(t, s, c.app.ID) != wantJobs {
			t.Errorf("%s %s: review %s, %d jobs; want %s, %d", c.app.FirstName, c.app.LastName, c.app.Review.Status,
				admOpenJobs(t, s, c.app.ID), wantReview, wantJobs)
		}
	}
	events, _ := s.Events(context.Background(), other.ID)
	if last := events[len(events)-1]; last.Kind != lending.EventHeldForReview || !strings.Contains(last.Detail, "SSN") {
		t.Errorf("held event %+v", last)
	}
}

func TestScreeningHoldsTheFourthApplicationFromOneEmailWithinAnHour(t *testing.T) {
	s, _ := openTestStore(t)
	clock := newFakeClock(s)
	withEmail := func(a *lending.Applicant) { a.Email = "busy@example.com" }
	for i := range lending.MaxApplicationsPerEmailPerHour {
		if app := admCreate(t, s, withEmail); app.Review.Status != lending.ReviewPending {
			t.Fatalf("application %d held: %s", i+1, app.Review.Status)
		}
		clock.Advance(10 * time.Minute)
	}
	fourth := admCreate(t, s, withEmail)
	if fourth.Review.Status != lending.ReviewManualReview || admOpenJobs(t, s, fourth.ID) != 0 {
		t.Fatalf("fourth within the hour: %s", fourth.Review.Status)
	}
	clock.Advance(time.Hour)
	if later := admCreate(t, s, withEmail); later.Review.Status != lending.ReviewPending {
		t.Errorf("an hour later: %s", later.Review.Status)
	}
}

func TestDecideReviewTransitions(t *testing.T) {
	all := []lending.ReviewStatus{lending.ReviewPending, lending.ReviewManualReview, lending.ReviewApproved,
		lending.ReviewDenied, lending.ReviewCanceled}
	s, _ := openTestStore(t)
	ctx := context.Background()
	for _, from := range all {
		for _, to := range all {
			t.Run(string(from)+"→"+string(to), func(t *testing.T) {
				app := admCreate(t, s)
				admSet(t, s, app.ID, "review_status = ?", string(from))
				d := ReviewDecision{ApplicationID: app.ID, To: to, Note: "checked the documents", By: admByOfficer(), LeadTimeout: time.Minute}
				if to == lending.ReviewDenied {
					d.Reasons = []string{"income_insufficient"}
				}
				got, err := s.DecideReview(ctx, d)
				settable := to == lending.ReviewApproved || to == lending.ReviewDenied || to == lending.ReviewCanceled
				if !settable || !lending.CanTransitionReview(from, to) {
					if !errors.Is(err, ErrActionRefused) {
						t.Fatalf("err = %v, want ErrActionRefused", err)
					}
					if now, _ := s.Application(ctx, app.ID); now.Review.Status != from {
						t.Errorf("refused transition changed the status to %s", now.Review.Status)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.Review.Status != to || got.Review.DecidedAt.IsZero() || got.Review.DecidedBy != "ada@bank.example" ||
					got.Review.Note != "checked the documents" {
					t.Errorf("review %+v", got.Review)
				}
				audit, _ := s.AuditLog(ctx, AuditFilter{ApplicationID: app.ID})
				if len(audit) != 1 || audit[0].Action != reviewAuditAction(to) || audit[0].Note != "checked the documents" ||
					audit[0].IP != "192.0.2.7" || audit[0].OfficerID != "off1" {
					t.Errorf("audit %+v", audit)
				}
				events, _ := s.Events(ctx, app.ID)
				last := events[len(events)-1]
				if last.Kind != lending.EventReviewDecided || last.Source != lending.SourceOfficer || last.Actor != "ada@bank.example" ||
					last.StatusFrom != string(from) || last.StatusTo != string(to) || !strings.Contains(last.Detail, "checked the documents") {
					t.Errorf("event %+v", last)
				}
			})
		}
	}
}

func TestApproveSubmitsTheHeldApplication(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	clock := newFakeClock(s)
	app := admCreate(t, s)
	admSet(t, s, app.ID, "review_status = 'ManualReview'")
	if _, err := s.w.Exec(`UPDATE jobs SET done_at_ms = 1 WHERE application_id = ?`, app.ID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Hour)
	got, err := s.DecideReview(ctx, ReviewDecision{ApplicationID: app.ID, To: lending.ReviewApproved, Note: "identity verified by phone",
		By: admByOfficer(), LeadTimeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if admOpenJobs(t, s, app.ID) != 1 {
		t.Errorf("approved application has %d open submit jobs, want 1", admOpenJobs(t, s, app.ID))
	}
	if !got.Lead.Deadline.Equal(clock.t.Add(2*time.Minute)) || !got.Review.NoticeSentAt.IsZero() {
		t.Errorf("deadline %v notice %v", got.Lead.Deadline, got.Review.NoticeSentAt)
	}
	if _, next := got.Journey(); next != lending.ActionWaitForOffers {
		t.Errorf("borrower's next action %s", next)
	}
}

func TestDenyRecordsReasonsAndTheNotice(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	clock := newFakeClock(s)
	app := admCreate(t, s)
	admSet(t, s, app.ID, "review_status = 'ManualReview'")
	clock.Advance(time.Hour)
	got, err := s.DecideReview(ctx, ReviewDecision{ApplicationID: app.ID, To: lending.ReviewDenied,
		Reasons: []string{"unverifiable_income", lending.AdverseReasonOther}, OtherText: "  Address does not match records ",
		Note: "two identities on one SSN", By: admByOfficer()})
	if err != nil {
		t.Fatal(err)
	}
	r := got.Review
	if r.Status != lending.ReviewDenied || !r.DecidedAt.Equal(clock.t) || !r.NoticeSentAt.IsZero() || r.SubmittedAt.IsZero() {
		t.Errorf("review timestamps %+v (the notice is not sent until its email is)", r)
	}
	// The denial queued its notice of action taken by email; sending it stamps
	// the notice's time.
	jobs, err := s.ClaimMailJobs(ctx, "w1", time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	var denial *MailJob
	for i := range jobs {
		if jobs[i].Kind == lending.MailDenied && jobs[i].ApplicationID == app.ID {
			denial = &jobs[i]
		}
	}
	if denial == nil {
		t.Fatalf("no denial notice queued among %+v", jobs)
	}
	clock.Advance(2 * time.Second)
	if err := s.RecordMailSent(ctx, MailSent{Job: *denial, To: app.Email, Subject: "s", MessageID: "<m@x>"}); err != nil {
		t.Fatal(err)
	}
	if sent, _ := s.Application(ctx, app.ID); !sent.Review.NoticeSentAt.Equal(clock.t) {
		t.Errorf("notice sent at %v, want %v (when its email was sent)", sent.Review.NoticeSentAt, clock.t)
	}
	want := []string{"Unable to verify income", "Address does not match records"}
	if texts := r.DenialReasonTexts(); strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("reasons %q, want %q", texts, want)
	}
	if journey, next := got.Journey(); journey != lending.JourneyRejected || next != lending.ActionReviewNotice {
		t.Errorf("borrower sees %s/%s", journey, next)
	}
	if admOpenJobs(t, s, app.ID) != 0 {
		t.Error("a denied application still has a submit job")
	}
}

func TestDenyValidation(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	app := admCreate(t, s)
	admSet(t, s, app.ID, "review_status = 'ManualReview'")
	for name, d := range map[string]ReviewDecision{
		"no reason":       {Reasons: nil, Note: "n"},
		"five reasons":    {Reasons: []string{"bankruptcy", "no_credit_file", "recent_inquiries", "temporary_residence", "length_of_residence"}, Note: "n"},
		"unknown reason":  {Reasons: []string{"vibes"}, Note: "n"},
		"other, no text":  {Reasons: []string{lending.AdverseReasonOther}, Note: "n"},
		"no note":         {Reasons: []string{"bankruptcy"}, Note: "   "},
		"duplicate codes": {Reasons: []string{"bankruptcy", "bankruptcy"}, Note: "n"},
	} {
		d.ApplicationID, d.To, d.By = app.ID, lending.ReviewDenied, admByOfficer()
		if _, err := s.DecideReview(ctx, d); !errors.Is(err, ErrInvalidDecision) {
			t.Errorf("%s: %v, want ErrInvalidDecision", name, err)
		}
	}
	if got, _ := s.Application(ctx, app.ID); got.Review.Status != lending.ReviewManualReview {
		t.Errorf("invalid denials changed the status to %s", got.Review.Status)
	}
	if _, err := s.DecideReview(ctx, ReviewDecision{ApplicationID: "nope", To: lending.ReviewCanceled, Note: "n"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown application: %v", err)
	}
}

func TestReviewQueueListsHeldApplicationsOldestFirst(t *testing.T) {
	s, _ := openTestStore(t)
	clock := newFakeClock(s)
	var held []string
	for i := range 4 {
		app := admCreate(t, s)
		if i%2 == 1 {
			admSet(t, s, app.ID, "review_status = 'ManualReview'")
			held = append(held, app.ID)
		}
		clock.Advance(time.Minute)
	}
	q, err := s.ReviewQueue(context.Background(), 50)
	if err != nil || len(q) != 2 || q[0].ID != held[0] || q[1].ID != held[1] {
		t.Fatalf("queue %v %+v", err, q)
	}
}
