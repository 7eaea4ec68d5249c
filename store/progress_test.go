package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"prequal/lending"
)

// The checking-rates poll reads only the application's progress; what it reads
// must be what the whole row says, for every lead and review state, so the
// journey it computes is the same.
func TestApplicationProgressForSessionMatchesTheWholeApplication(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	app, _, err := s.CreateApplication(ctx, newApp("sess-p", NewID(), testApplicant("p@example.com", "123450001")))
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		full, err := s.ApplicationForSession(ctx, app.ID, "sess-p")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ApplicationProgressForSession(ctx, app.ID, "sess-p")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != full.ID || !got.CreatedAt.Equal(full.CreatedAt) || got.Lead.UUID != full.Lead.UUID ||
			got.Lead.Status != full.Lead.Status || got.Lead.Attempt != full.Lead.Attempt ||
			!got.Lead.StatusAt.Equal(full.Lead.StatusAt) || got.Lead.SubmitError != full.Lead.SubmitError ||
			got.Review.Status != full.Review.Status || !got.WaitingSince().Equal(full.WaitingSince()) {
			t.Errorf("%s: progress %+v\nwhole %+v", when, got, full)
		}
		gj, gn := got.Journey()
		fj, fn := full.Journey()
		if gj != fj || gn != fn {
			t.Errorf("%s: journey %s/%s from the progress, %s/%s from the whole row", when, gj, gn, fj, fn)
		}
		if got.FirstName != "" || got.Email != "" || got.SSNLast4 != "" || !got.DOB.IsZero() {
			t.Errorf("%s: the progress read carries borrower data: %+v", when, got)
		}
	}
	check("created")
	admSet(t, s, app.ID, "lead_uuid = ?, lead_status = ?, lead_attempt = 2, lead_status_at_ms = ?",
		"lead-p", string(lending.LeadFindingProducts), ms(time.Now().Add(time.Minute)))
	check("finding products, second attempt")
	admSet(t, s, app.ID, "submit_error = ?, review_status = ?", "refused", string(lending.ReviewManualReview))
	check("refused, in review")

	if _, err := s.ApplicationProgressForSession(ctx, app.ID, "another-session"); !errors.Is(err, ErrNotFound) {
		t.Errorf("another session: %v, want ErrNotFound", err)
	}
	if _, err := s.ApplicationProgressForSession(ctx, "nope", "sess-p"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
}

// Polls read together in one batch each get their own application, only for
// its own session: many at once, with repeats, wrong sessions and unknown ids.
func TestApplicationProgressForSessionInBatches(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	const apps = 40
	ids := make([]string, apps)
	for i := range apps {
		app, _, err := s.CreateApplication(ctx, newApp(fmt.Sprint("sess-b", i), NewID(), testApplicant(fmt.Sprintf("b%d@example.com", i), fmt.Sprintf("1234560%02d", i))))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = app.ID
		admSet(t, s, app.ID, "lead_attempt = ?", i+1) // each row tells which it is
	}
	var wg sync.WaitGroup
	for g := range 300 {
		wg.Go(func() {
			i := g % apps
			switch g % 3 {
			case 0, 1: // the right session (often the same application twice in a batch)
				app, err := s.ApplicationProgressForSession(ctx, ids[i], fmt.Sprint("sess-b", i))
				if err != nil || app.ID != ids[i] || app.Lead.Attempt != i+1 {
					t.Errorf("poll %d: %+v, %v", g, app.Lead, err)
				}
			case 2: // another borrower's session, or an id that does not exist
				_, err := s.ApplicationProgressForSession(ctx, ids[i], fmt.Sprint("sess-b", (i+1)%apps))
				_, err2 := s.ApplicationProgressForSession(ctx, NewID(), fmt.Sprint("sess-b", i))
				if !errors.Is(err, ErrNotFound) || !errors.Is(err2, ErrNotFound) {
					t.Errorf("poll %d: another session %v, unknown id %v; want ErrNotFound", g, err, err2)
				}
			}
		})
	}
	wg.Wait()

	s.Close()
	if _, err := s.ApplicationProgressForSession(ctx, ids[0], "sess-b0"); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

func TestClaimSubmitJobsClaimsUpToTheLimitOnce(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	for i := range 7 {
		if _, _, err := s.CreateApplication(ctx, newApp("sess-j", NewID(), testApplicant(fmt.Sprintf("j%d@example.com", i), fmt.Sprintf("1234500%02d", 10+i)))); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			jobs, err := s.ClaimSubmitJobs(ctx, fmt.Sprint("w", w), time.Minute, 3)
			if err != nil {
				t.Error(err)
			}
			if len(jobs) > 3 {
				t.Errorf("claimed %d jobs with a limit of 3", len(jobs))
			}
			mu.Lock()
			defer mu.Unlock()
			for _, j := range jobs {
				if owner, dup := seen[j.ID]; dup {
					t.Errorf("job %d claimed by %s and w%d", j.ID, owner, w)
				}
				seen[j.ID] = j.Owner
				if j.Tries != 1 || j.ApplicationID == "" {
					t.Errorf("job %+v", j)
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != 7 {
		t.Errorf("claimed %d of 7 jobs", len(seen))
	}
	if jobs, err := s.ClaimSubmitJobs(ctx, "late", time.Minute, 5); err != nil || len(jobs) != 0 {
		t.Errorf("nothing runnable: %v, %v", jobs, err)
	}
}

// The velocity counts stop at their limits; the rules still hold at and past
// them, and QA test data is exempt from velocity but not from the identity rule.
func TestScreeningVelocityByIPAndTestData(t *testing.T) {
	s, _ := openTestStore(t)
	newFakeClock(s)
	ctx := context.Background()
	create := func(n int, ip string, isTest bool, mutate ...func(*lending.Applicant)) lending.Application {
		t.Helper()
		a := testApplicant(fmt.Sprintf("ip%d@example.com", n), fmt.Sprintf("%09d", 400000000+n))
		for _, m := range mutate {
			m(&a)
		}
		app, _, err := s.CreateApplication(ctx, NewApplication{SessionID: "sess", IdempotencyKey: NewID(), IsTest: isTest,
			Applicant: a, ClientIP: ip, LeadTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	for i := range lending.MaxApplicationsPerIPPerHour {
		if app := create(i, "203.0.113.9", false); app.Review.Status != lending.ReviewPending {
			t.Fatalf("application %d from the address held", i+1)
		}
	}
	for i := range 3 { // past the limit, however far
		if app := create(100+i, "203.0.113.9", false); app.Review.Status != lending.ReviewManualReview {
			t.Fatalf("application %d past the address's limit not held", lending.MaxApplicationsPerIPPerHour+i+1)
		}
	}
	for i := range 2 * lending.MaxApplicationsPerIPPerHour {
		sameEmail := func(a *lending.Applicant) { a.Email = "qa@example.com" }
		if app := create(200+i, "203.0.113.9", true, sameEmail); app.Review.Status != lending.ReviewPending {
			t.Fatalf("QA test application %d held: %s", i+1, app.Review.Status)
		}
	}
	reused := func(a *lending.Applicant) { a.SSN = fmt.Sprintf("%09d", 400000000+200); a.LastName = "Someone-Else" }
	if app := create(300, "198.51.100.1", true, reused); app.Review.Status != lending.ReviewManualReview {
		t.Errorf("QA test data with another identity's SSN: %s, want held", app.Review.Status)
	}
}
