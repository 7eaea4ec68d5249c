package lending

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseOfficerRole(t *testing.T) {
	for _, ok := range []string{"officer", "admin"} {
		if r, err := ParseOfficerRole(ok); err != nil || string(r) != ok {
			t.Errorf("ParseOfficerRole(%q) = %q, %v", ok, r, err)
		}
	}
	for _, bad := range []string{"", "Admin", "root", "officer "} {
		if _, err := ParseOfficerRole(bad); !errors.Is(err, ErrUnknownOfficerRole) {
			t.Errorf("ParseOfficerRole(%q) error %v", bad, err)
		}
	}
}

func TestRolePermissions(t *testing.T) {
	cases := []struct {
		role OfficerRole
		perm Permission
		want bool
	}{
		{RoleOfficer, PermViewApplications, true},
		{RoleOfficer, PermActOnApplications, true},
		{RoleOfficer, PermRevealPII, true},
		{RoleOfficer, PermManageOfficers, false},
		{RoleAdmin, PermViewApplications, true},
		{RoleAdmin, PermActOnApplications, true},
		{RoleAdmin, PermManageOfficers, true},
		{"", PermViewApplications, false},
		{"root", PermManageOfficers, false},
	}
	for _, c := range cases {
		if got := c.role.Can(c.perm); got != c.want {
			t.Errorf("%q.Can(%s) = %v", c.role, c.perm, got)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"":                       false,
		"elevenchars":            false,
		"twelve chars":           true,
		strings.Repeat("x", 64):  true,
		strings.Repeat("é", 128): true, // characters, not bytes
		strings.Repeat("x", 129): false,
	} {
		if got := ValidatePassword(pw) == ""; got != ok {
			t.Errorf("ValidatePassword(%d chars) ok = %v, want %v", len([]rune(pw)), got, ok)
		}
	}
}

func TestValidateOfficerEmail(t *testing.T) {
	for email, ok := range map[string]bool{
		"ada@bank.example":     true,
		" Ada@Bank.Example ":   true,
		"":                     false,
		"ada":                  false,
		"Ada <ada@bank.test>":  false,
		"ada@bank.example, b@": false,
	} {
		if got := ValidateOfficerEmail(email) == ""; got != ok {
			t.Errorf("ValidateOfficerEmail(%q) ok = %v", email, got)
		}
	}
	if NormalizeOfficerEmail(" Ada@Bank.Example ") != "ada@bank.example" {
		t.Error("normalize")
	}
}

func TestSignInDelayGrowsButIsBounded(t *testing.T) {
	want := map[int]time.Duration{0: 0, 4: 0, 5: 30 * time.Second, 6: time.Minute, 7: 2 * time.Minute,
		9: 8 * time.Minute, 10: 15 * time.Minute, 50: 15 * time.Minute, 1_000_000: 15 * time.Minute}
	for n, d := range want {
		if got := SignInDelay(n); got != d {
			t.Errorf("SignInDelay(%d) = %v, want %v", n, got, d)
		}
	}
}

func TestOfficerActionAllowed(t *testing.T) {
	app := func(mod func(*Application)) Application {
		a := Application{Lead: Lead{UUID: "u", Status: LeadInProgress, Attempt: 1}, Review: Review{Status: ReviewPending}}
		mod(&a)
		return a
	}
	cases := []struct {
		name   string
		action OfficerAction
		app    Application
		want   bool
	}{
		{"repoll pending", OfficerRepoll, app(func(*Application) {}), true},
		{"repoll timed out", OfficerRepoll, app(func(a *Application) { a.Lead.Status = LeadTimedOut }), true},
		{"repoll without lead", OfficerRepoll, app(func(a *Application) { a.Lead.UUID = "" }), false},
		{"repoll final", OfficerRepoll, app(func(a *Application) { a.Lead.Status = LeadNoOffers }), false},
		{"resubmit timed out", OfficerResubmit, app(func(a *Application) { a.Lead.Status = LeadTimedOut }), true},
		{"resubmit refused", OfficerResubmit, app(func(a *Application) { a.Lead.UUID, a.Lead.Status, a.Lead.SubmitError = "", LeadCreated, "x" }), true},
		{"resubmit pending", OfficerResubmit, app(func(*Application) {}), false},
		{"resubmit held", OfficerResubmit, app(func(a *Application) { a.Lead.Status, a.Review.Status = LeadTimedOut, ReviewManualReview }), false},
		{"resubmit canceled", OfficerResubmit, app(func(a *Application) { a.Lead.Status, a.Review.Status = LeadTimedOut, ReviewCanceled }), false},
		{"cancel pending", OfficerCancel, app(func(*Application) {}), true},
		{"cancel approved", OfficerCancel, app(func(a *Application) { a.Review.Status = ReviewApproved }), false},
		{"cancel after offers", OfficerCancel, app(func(a *Application) { a.Lead.Status = LeadOffersFound }), false},
		{"cancel held", OfficerCancel, app(func(a *Application) { a.Review.Status = ReviewManualReview }), true},
		{"cancel denied", OfficerCancel, app(func(a *Application) { a.Review.Status = ReviewDenied }), false},
		{"cancel canceled", OfficerCancel, app(func(a *Application) { a.Review.Status = ReviewCanceled }), false},
		{"unlock selected", OfficerUnlockOffers, app(func(a *Application) { a.Lead.Status = LeadProductSelected }), true},
		{"unlock offers found", OfficerUnlockOffers, app(func(a *Application) { a.Lead.Status = LeadOffersFound }), false},
		{"unlock canceled", OfficerUnlockOffers, app(func(a *Application) { a.Lead.Status, a.Review.Status = LeadProductSelected, ReviewCanceled }), false},
		{"unknown", OfficerAction("delete"), app(func(*Application) {}), false},
	}
	for _, c := range cases {
		ok, why := OfficerActionAllowed(c.action, c.app)
		if ok != c.want || (ok == (why != "")) {
			t.Errorf("%s: %v %q, want %v", c.name, ok, why, c.want)
		}
	}
}

func TestParseOfficerAction(t *testing.T) {
	for in, want := range map[string]OfficerAction{"repoll": OfficerRepoll, "resubmit": OfficerResubmit,
		"cancel": OfficerCancel, "unlock-offers": OfficerUnlockOffers, "unlock_offers": OfficerUnlockOffers} {
		if got, ok := ParseOfficerAction(in); !ok || got != want {
			t.Errorf("ParseOfficerAction(%q) = %q %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "delete", "Repoll"} {
		if _, ok := ParseOfficerAction(bad); ok {
			t.Errorf("ParseOfficerAction(%q) accepted", bad)
		}
	}
}

func TestValidateOfficerNote(t *testing.T) {
	if ValidateOfficerNote("  ") == "" || ValidateOfficerNote(strings.Repeat("é", MaxOfficerNoteLength+1)) == "" {
		t.Error("an empty or overlong note passed")
	}
	if ValidateOfficerNote(" called the borrower ") != "" || ValidateOfficerNote(strings.Repeat("é", MaxOfficerNoteLength)) != "" {
		t.Error("a fine note was refused")
	}
}

func TestDenialReasonTexts(t *testing.T) {
	r := Review{Reasons: []string{"income_insufficient", AdverseReasonOther, "unknown_code", "bankruptcy"}, OtherText: "  Too many open loans "}
	got := r.DenialReasonTexts()
	want := []string{"Income insufficient for amount of credit requested", "Too many open loans", "Bankruptcy"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got)
	}
	if len((Review{}).DenialReasonTexts()) != 0 {
		t.Error("no reasons should give no texts")
	}
	if got := (Review{Reasons: []string{AdverseReasonOther}}).DenialReasonTexts(); len(got) != 1 || got[0] != "Other, specify" {
		t.Errorf("other without text: %q", got)
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"ada.lovelace@math.example": "a***@math.example",
		"é@x.example":               "é***@x.example",
		"nobody":                    "***",
		"@x.example":                "***",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestThrottleClient(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"203.0.113.9", "203.0.113.9"},
		{"::ffff:203.0.113.9", "203.0.113.9"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::9", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{" 198.51.100.1 ", "198.51.100.1"},
		{"not an address", "not an address"},
	} {
		if got := ThrottleClient(tt.in); got != tt.want {
			t.Errorf("ThrottleClient(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	keys := SignInThrottleKeys("ada@bank.example", "2001:db8::1")
	if len(keys) != 2 || keys[0] == keys[1] || !strings.Contains(keys[0], "ada@bank.example") || strings.Contains(keys[1], "ada") {
		t.Errorf("keys %q: want the account from this client, then the client alone", keys)
	}
	for _, k := range keys {
		if strings.HasPrefix(k, "account:") {
			t.Errorf("key %q throttles the account for every client", k)
		}
	}
}
