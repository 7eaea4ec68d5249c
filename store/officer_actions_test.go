package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"prequal/lending"
)

func TestOfficerActions(t *testing.T) {
	type state struct {
		set  string
		args []any
	}
	pendingLead := state{"lead_uuid = 'uuid-1', lead_status = 'in_progress'", nil}
	timedOut := state{"lead_uuid = 'uuid-1', lead_status = 'timed_out', lead_attempt = 1", nil}
	refused := state{"submit_error = '{\"error\":\"bad zip\"}'", nil}
	selected := state{"lead_uuid = 'uuid-1', lead_status = 'product_selected', selected_product_id = 'p1', selected_at_ms = 5", nil}
	offers := state{"lead_uuid = 'uuid-1', lead_status = 'offers_found'", nil}
	denied := state{"review_status = 'Denied', lead_status = 'timed_out', lead_uuid = 'uuid-1'", nil}

	cases := []struct {
		name    string
		action  lending.OfficerAction
		state   state
		refused bool
		check   func(t *testing.T, s *Store, before, after lending.Application, now time.Time)
	}{
		{name: "repoll a pending lead", action: lending.OfficerRepoll, state: pendingLead,
			check: func(t *testing.T, s *Store, _, after lending.Application, now time.Time) {
				var next int64
				if err := s.r.QueryRow(`SELECT next_poll_at_ms FROM applications WHERE id = ?`, after.ID).Scan(&next); err != nil || next != ms(now) {
					t.Errorf("next poll %d (%v), want now %d", next, err, ms(now))
				}
			}},
		{name: "repoll a timed-out lead", action: lending.OfficerRepoll, state: timedOut},
		{name: "repoll without a lead", action: lending.OfficerRepoll, state: state{"lead_status = 'created'", nil}, refused: true},
		{name: "repoll a final answer", action: lending.OfficerRepoll, state: offers, refused: true},
		{name: "resubmit a timed-out lead", action: lending.OfficerResubmit, state: timedOut,
			check: func(t *testing.T, s *Store, before, after lending.Application, _ time.Time) {
				if after.Lead.Attempt != before.Lead.Attempt+1 || after.Lead.Status != lending.LeadCreated || after.Lead.UUID != "" {
					t.Errorf("lead after resubmit %+v", after.Lead)
				}
				if admOpenJobs(t, s, after.ID) != 1 {
					t.Errorf("%d open submit jobs, want 1", admOpenJobs(t, s, after.ID))
				}
			}},
		{name: "resubmit a refused lead", action: lending.OfficerResubmit, state: refused,
			check: func(t *testing.T, s *Store, _, after lending.Application, _ time.Time) {
				if after.Lead.SubmitError != "" || after.Lead.Attempt != 2 {
					t.Errorf("lead after resubmit %+v", after.Lead)
				}
			}},
		{name: "resubmit a pending lead", action: lending.OfficerResubmit, state: pendingLead, refused: true},
		{name: "resubmit a denied application", action: lending.OfficerResubmit, state: denied, refused: true},
		{name: "cancel", action: lending.OfficerCancel, state: pendingLead,
			check: func(t *testing.T, s *Store, _, after lending.Application, _ time.Time) {
				if j, next := after.Journey(); after.Review.Status != lending.ReviewCanceled || j != lending.JourneyClosed || next != lending.ActionNone {
					t.Errorf("after cancel: review %s journey %s/%s", after.Review.Status, j, next)
				}
				if admOpenJobs(t, s, after.ID) != 0 {
					t.Error("a canceled application still has a submit job")
				}
			}},
		{name: "cancel a denied application", action: lending.OfficerCancel, state: denied, refused: true},
		{name: "unlock offers", action: lending.OfficerUnlockOffers, state: selected,
			check: func(t *testing.T, s *Store, _, after lending.Application, _ time.Time) {
				if after.Lead.Status != lending.LeadOffersFound || after.Lead.SelectedProductID != "" || !after.Lead.SelectedAt.IsZero() {
					t.Errorf("lead after unlock %+v", after.Lead)
				}
			}},
		{name: "unlock without a selection", action: lending.OfficerUnlockOffers, state: offers, refused: true},
	}
	s, _ := openTestStore(t)
	ctx := context.Background()
	clock := newFakeClock(s)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock.Advance(time.Minute)
			app := admCreate(t, s)
			admSet(t, s, app.ID, c.state.set, c.state.args...)
			before, _ := s.Application(ctx, app.ID)
			eventsBefore, _ := s.Events(ctx, app.ID)
			after, err := s.ApplyOfficerAction(ctx, OfficerActionRequest{ApplicationID: app.ID, Action: c.action,
				Note: "borrower called support", By: admByOfficer(), LeadTimeout: 2 * time.Minute})
			audit, _ := s.AuditLog(ctx, AuditFilter{ApplicationID: app.ID})
			if c.refused {
				if !errors.Is(err, ErrActionRefused) {
					t.Fatalf("err = %v, want ErrActionRefused", err)
				}
				if events, _ := s.Events(ctx, app.ID); len(events) != len(eventsBefore) || len(audit) != 0 {
					t.Errorf("a refused action left %d events, %d audit entries", len(events)-len(eventsBefore), len(audit))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(audit) != 1 || audit[0].Action != string(c.action) || audit[0].Note != "borrower called support" ||
				audit[0].OfficerEmail != "ada@bank.example" || audit[0].ApplicationID != app.ID {
				t.Errorf("audit %+v", audit)
			}
			events, _ := s.Events(ctx, app.ID)
			last := events[len(events)-1]
			if last.Source != lending.SourceOfficer || last.Actor != "ada@bank.example" || !strings.Contains(last.Detail, "borrower called support") {
				t.Errorf("timeline entry %+v", last)
			}
			if c.check != nil {
				c.check(t, s, before, after, clock.t)
			}
		})
	}
}

func TestOfficerActionNeedsANote(t *testing.T) {
	s, _ := openTestStore(t)
	app := admCreate(t, s)
	admSet(t, s, app.ID, "lead_uuid = 'u', lead_status = 'in_progress'")
	for _, note := range []string{"", "   ", strings.Repeat("x", lending.MaxOfficerNoteLength+1)} {
		if _, err := s.ApplyOfficerAction(context.Background(), OfficerActionRequest{ApplicationID: app.ID,
			Action: lending.OfficerRepoll, Note: note, By: admByOfficer()}); !errors.Is(err, ErrInvalidDecision) {
			t.Errorf("note %q: %v, want ErrInvalidDecision", note, err)
		}
	}
}

func TestRevealDOBIsRecorded(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	app := admCreate(t, s)
	if _, err := s.RevealDOB(ctx, app.ID, " ", admByOfficer()); !errors.Is(err, ErrInvalidDecision) {
		t.Errorf("reveal without a reason: %v", err)
	}
	dob, err := s.RevealDOB(ctx, app.ID, "identity check with the borrower on the phone", admByOfficer())
	if err != nil || dob.Format(time.DateOnly) != "1990-04-12" {
		t.Fatalf("dob %v %v", dob, err)
	}
	events, _ := s.Events(ctx, app.ID)
	last := events[len(events)-1]
	if last.Kind != lending.EventPIIRevealed || last.Actor != "ada@bank.example" || strings.Contains(last.Detail, "1990") {
		t.Errorf("event %+v", last)
	}
	audit, _ := s.AuditLog(ctx, AuditFilter{ApplicationID: app.ID, Action: AuditRevealPII})
	if len(audit) != 1 || strings.Contains(audit[0].Detail+audit[0].Note, "1990") {
		t.Errorf("audit %+v", audit)
	}
	if _, err := s.RevealDOB(ctx, "missing", "reason", admByOfficer()); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown application: %v", err)
	}
}
