package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"prequal/lending"
)

// Session tokens are stored only as hashes, and a journey's draft profile
// only sealed: the database files hold neither token nor SSN.
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
	form := lending.ApplicationForm{lending.FieldSSN: "987-65-4329", lending.FieldFirstName: "Alex"}
	if _, err := s.SaveJourneyProfile(ctx, sess.Borrower, j.ID, form, lending.ProfileIncomplete); err != nil {
		t.Fatal(err)
	}
	if got, err := s.JourneyProfile(ctx, sess.Borrower, j.ID); err != nil || got.Get(lending.FieldSSN) != "987-65-4329" {
		t.Fatalf("profile back: %v %v", got, err)
	}
	if _, err := s.HeadlessBorrowerByAccessToken(ctx, next.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HeadlessBorrowerByAccessToken(ctx, "bst_nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	files, _ := filepath.Glob(path + "*") // the database, its WAL and shared memory
	read := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		read += len(b)
		for _, secret := range []string{sess.AccessToken, sess.RefreshToken, next.AccessToken, next.RefreshToken, "987-65-4329"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds %q in the clear", filepath.Base(f), secret[:8])
			}
		}
	}
	if read == 0 {
		t.Fatal("no database file read")
	}
}
