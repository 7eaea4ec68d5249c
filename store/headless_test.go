package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"prequal/lending"
)

// Session tokens are stored only as hashes, and a journey's draft profile
// only sealed: the database files hold neither token nor SSN (the
// co-applicant's included).
func TestHeadlessTokensAndProfileAreNotStoredInTheClear(t *testing.T) {
	s, path := openTestStore(t)
	ctx := context.Background()
	if _, _, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme", Scopes: lending.Scopes{lending.ScopeJourneys}}, AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	sess, err := s.StartHeadlessSession(ctx, "acme", "user-1", HeadlessTTL{Access: time.Minute, Refresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	next, err := s.RefreshHeadlessSession(ctx, sess.RefreshToken, HeadlessTTL{Access: time.Minute, Refresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.StartJourney(ctx, sess.Borrower)
	if err != nil {
		t.Fatal(err)
	}
	form := lending.ApplicationForm{lending.FieldSSN: "987-65-4329", lending.FieldFirstName: "Alex",
		lending.FieldCoApplicant: lending.Checked, lending.FieldCoSSN: "876-54-3218", lending.FieldCoFirstName: "Sam"}
	if _, err := s.SaveJourneyProfile(ctx, sess.Borrower, j.ID, form, lending.ProfileIncomplete); err != nil {
		t.Fatal(err)
	}
	if got, err := s.JourneyProfile(ctx, sess.Borrower, j.ID); err != nil || got.Get(lending.FieldSSN) != "987-65-4329" ||
		got.Get(lending.FieldCoSSN) != "876-54-3218" || !got.HasCoApplicant() {
		t.Fatalf("profile back: %v %v", got, err)
	}
	if _, err := s.HeadlessBorrowerByAccessToken(ctx, next.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HeadlessBorrowerByAccessToken(ctx, "bst_nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	// The database's bytes: the SQLite file and its WAL, or on PostgreSQL every
	// table's rows as text.
	all := storedBytes(t, s, path)
	if len(all) == 0 {
		t.Fatal("no database bytes read")
	}
	for _, secret := range []string{sess.AccessToken, sess.RefreshToken, next.AccessToken, next.RefreshToken, "987-65-4329", "876-54-3218"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("the database holds %q in the clear", secret[:8])
		}
	}
}
