package lending

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

var allReviewStatuses = []ReviewStatus{ReviewCreated, ReviewPending, ReviewManualReview, ReviewApproved, ReviewDenied, ReviewCanceled}

func TestParseReviewStatus(t *testing.T) {
	for _, s := range allReviewStatuses {
		if got, err := ParseReviewStatus(string(s)); err != nil || got != s {
			t.Errorf("ParseReviewStatus(%q) = %q, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "pending", "created", "manual_review", "Cancelled"} {
		if _, err := ParseReviewStatus(bad); !errors.Is(err, ErrUnknownReviewStatus) {
			t.Errorf("ParseReviewStatus(%q) error = %v, want ErrUnknownReviewStatus", bad, err)
		}
	}
}

// TestCanTransitionReview checks all 6×6 pairs against seed 003's allowed list:
// Approved, Denied and Canceled are final; Canceled only before a decision.
func TestCanTransitionReview(t *testing.T) {
	allowed := map[[2]ReviewStatus]bool{}
	for _, from := range []ReviewStatus{ReviewCreated, ReviewPending, ReviewManualReview} {
		for _, to := range []ReviewStatus{ReviewApproved, ReviewDenied, ReviewCanceled} {
			allowed[[2]ReviewStatus{from, to}] = true
		}
	}
	allowed[[2]ReviewStatus{ReviewCreated, ReviewPending}] = true
	allowed[[2]ReviewStatus{ReviewCreated, ReviewManualReview}] = true
	allowed[[2]ReviewStatus{ReviewPending, ReviewManualReview}] = true
	var n int
	for _, from := range allReviewStatuses {
		for _, to := range allReviewStatuses {
			want := allowed[[2]ReviewStatus{from, to}]
			if want {
				n++
			}
			if got := CanTransitionReview(from, to); got != want {
				t.Errorf("CanTransitionReview(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
	if n != 12 {
		t.Fatalf("walked %d allowed pairs, want 12", n)
	}
	if CanTransitionReview("", ReviewManualReview) || CanTransitionReview(ReviewPending, "bogus") {
		t.Error("unknown statuses must not transition")
	}
}

func TestReviewHoldsLead(t *testing.T) {
	for r, want := range map[ReviewStatus]bool{
		ReviewPending: false, ReviewApproved: false,
		ReviewManualReview: true, ReviewDenied: true, ReviewCanceled: true,
	} {
		if got := r.HoldsLead(); got != want {
			t.Errorf("%s.HoldsLead() = %t, want %t", r, got, want)
		}
	}
}

func TestAdverseReasons(t *testing.T) {
	if len(AdverseReasons) != 24 {
		t.Fatalf("len(AdverseReasons) = %d, want the 24 of form C-1", len(AdverseReasons))
	}
	if first := AdverseReasons[0].Text; first != "Credit application incomplete" {
		t.Errorf("first reason = %q", first)
	}
	if last := AdverseReasons[len(AdverseReasons)-1]; last.Code != "other" || last.Text != "Other, specify" {
		t.Errorf("last reason = %+v", last)
	}
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := map[string]bool{}
	for _, r := range AdverseReasons {
		if !snake.MatchString(r.Code) || len(r.Code) > 32 {
			t.Errorf("code %q is not short snake_case", r.Code)
		}
		if seen[r.Code] {
			t.Errorf("duplicate code %q", r.Code)
		}
		seen[r.Code] = true
		got, ok := AdverseReasonByCode(r.Code)
		if !ok || got != r {
			t.Errorf("AdverseReasonByCode(%q) = %+v, %v", r.Code, got, ok)
		}
	}
	if r, ok := AdverseReasonByCode("income_insufficient"); !ok || r.Text != "Income insufficient for amount of credit requested" {
		t.Errorf("income_insufficient = %+v, %v", r, ok)
	}
	if _, ok := AdverseReasonByCode("nope"); ok {
		t.Error("unknown code found")
	}
}

func TestValidateDenial(t *testing.T) {
	tests := []struct {
		name      string
		codes     []string
		other     string
		wantField []string // fields expected to carry an error
	}{
		{"one reason", []string{"income_insufficient"}, "", nil},
		{"four reasons", []string{"income_insufficient", "excessive_obligations", "no_credit_file", "bankruptcy"}, "", nil},
		{"other with text", []string{"other"}, "Requested amount exceeds program maximum", nil},
		{"other with 200 characters", []string{"other"}, strings.Repeat("é", 200), nil},
		{"text without other is ignored", []string{"bankruptcy"}, "stray", nil},
		{"no reasons", nil, "", []string{DenialFieldReasons}},
		{"five reasons", []string{"income_insufficient", "excessive_obligations", "no_credit_file", "bankruptcy", "length_of_residence"}, "", []string{DenialFieldReasons}},
		{"duplicate", []string{"bankruptcy", "bankruptcy"}, "", []string{DenialFieldReasons}},
		{"unknown code", []string{"bankruptcy", "too_tall"}, "", []string{DenialFieldReasons}},
		{"other without text", []string{"other"}, "", []string{DenialFieldOtherText}},
		{"other with blank text", []string{"other", "bankruptcy"}, "   \n", []string{DenialFieldOtherText}},
		{"other with 201 characters", []string{"other"}, strings.Repeat("a", 201), []string{DenialFieldOtherText}},
		{"both wrong", []string{"other", "other"}, "", []string{DenialFieldReasons, DenialFieldOtherText}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateDenial(tt.codes, tt.other)
			if len(errs) != len(tt.wantField) {
				t.Fatalf("ValidateDenial = %v, want errors on %v", errs, tt.wantField)
			}
			for _, f := range tt.wantField {
				if errs[f] == "" {
					t.Errorf("no message for %q in %v", f, errs)
				}
			}
		})
	}
}

func TestScreen(t *testing.T) {
	tests := []struct {
		name  string
		facts ScreeningFacts
		want  []ScreeningHit
	}{
		{"clean", ScreeningFacts{}, nil},
		{"email N-1", ScreeningFacts{ApplicationsFromEmailLastHour: MaxApplicationsPerEmailPerHour - 1}, nil},
		{"email N", ScreeningFacts{ApplicationsFromEmailLastHour: MaxApplicationsPerEmailPerHour}, []ScreeningHit{HitEmailVelocity}},
		{"email N+1", ScreeningFacts{ApplicationsFromEmailLastHour: MaxApplicationsPerEmailPerHour + 1}, []ScreeningHit{HitEmailVelocity}},
		{"ip N-1", ScreeningFacts{ApplicationsFromIPLastHour: MaxApplicationsPerIPPerHour - 1}, nil},
		{"ip N", ScreeningFacts{ApplicationsFromIPLastHour: MaxApplicationsPerIPPerHour}, []ScreeningHit{HitIPVelocity}},
		{"ip N+1", ScreeningFacts{ApplicationsFromIPLastHour: MaxApplicationsPerIPPerHour + 1}, []ScreeningHit{HitIPVelocity}},
		{"ssn reused by the applicant", ScreeningFacts{SSNReusedByApplicant: true}, []ScreeningHit{HitSSNIdentityMismatch}},
		{"ssn seen from another applicant", ScreeningFacts{SSNSeenWithOtherIdentity: true}, []ScreeningHit{HitSSNOtherApplicant}},
		{"ssn both", ScreeningFacts{SSNReusedByApplicant: true, SSNSeenWithOtherIdentity: true}, []ScreeningHit{HitSSNIdentityMismatch}},
		{"everything", ScreeningFacts{SSNReusedByApplicant: true, ApplicationsFromEmailLastHour: 50, ApplicationsFromIPLastHour: 50}, []ScreeningHit{HitSSNIdentityMismatch, HitEmailVelocity, HitIPVelocity}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Screen(tt.facts)
			if len(got) != len(tt.want) {
				t.Fatalf("Screen(%+v) = %v, want %v", tt.facts, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("Screen(%+v) = %v, want %v", tt.facts, got, tt.want)
				}
			}
		})
	}
	if Screen(ScreeningFacts{}) != nil {
		t.Error("a clean application must screen to nil")
	}
}

func TestScreeningHitDescription(t *testing.T) {
	tests := []struct {
		hit  ScreeningHit
		want string
	}{
		{HitSSNIdentityMismatch, "different name or date of birth"},
		{HitSSNOtherApplicant, "Another applicant used this SSN"},
		{HitEmailVelocity, "More than 3 applications came from this email address"},
		{HitIPVelocity, "More than 10 applications came from this IP address"},
		{"new_rule", `"new_rule"`},
	}
	for _, tt := range tests {
		if got := tt.hit.Description(); !strings.Contains(got, tt.want) || !strings.HasSuffix(got, ".") {
			t.Errorf("%q.Description() = %q, want a sentence containing %q", tt.hit, got, tt.want)
		}
	}
}

func TestScreenExemptsTestDataFromVelocityOnly(t *testing.T) {
	busy := ScreeningFacts{ApplicationsFromEmailLastHour: 50, ApplicationsFromIPLastHour: 50, TestData: true}
	if hits := Screen(busy); len(hits) != 0 {
		t.Errorf("test data held for velocity: %v", hits)
	}
	busy.SSNReusedByApplicant = true
	if hits := Screen(busy); len(hits) != 1 || hits[0] != HitSSNIdentityMismatch {
		t.Errorf("test data with an identity mismatch: %v", hits)
	}
	busy.TestData = false
	if hits := Screen(busy); len(hits) != 3 {
		t.Errorf("real application: %v", hits)
	}
}

// Only the other-applicant SSN rule lets the application go on (a flag); every
// other hit holds it. Both SSN rules question the identity it gives.
func TestScreeningHitHoldsAndQuestionsIdentity(t *testing.T) {
	for _, tt := range []struct {
		hit              ScreeningHit
		holds, questions bool
	}{
		{HitSSNIdentityMismatch, true, true}, {HitSSNOtherApplicant, false, true},
		{HitEmailVelocity, true, false}, {HitIPVelocity, true, false},
	} {
		if tt.hit.Holds() != tt.holds || tt.hit.QuestionsIdentity() != tt.questions {
			t.Errorf("%s: holds %v questions %v", tt.hit, tt.hit.Holds(), tt.hit.QuestionsIdentity())
		}
	}
}

func TestVelocityEmail(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"alex@example.com", "alex@example.com"},
		{"Alex@Example.COM", "alex@example.com"},
		{"alex+1@example.com", "alex@example.com"},
		{"alex+offers-all-ranges@example.com", "alex@example.com"},
		{"alex+a+b@example.com", "alex@example.com"},
		{"+tag@example.com", "+tag@example.com"}, // nothing before the tag: kept as it is
		{"a.lex@gmail.com", "alex@gmail.com"},    // Gmail ignores dots
		{"A.Lex+x@googlemail.com", "alex@gmail.com"},
		{"a.lex@example.com", "a.lex@example.com"}, // other providers do not
		{"not-an-email", "not-an-email"},
	} {
		if got := VelocityEmail(tt.in); got != tt.want {
			t.Errorf("VelocityEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
