package lending

import (
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// OfficerRole is what a loan officer's account may do in /admin.
type OfficerRole string

// Officer roles. An admin can do everything an officer can and also manage officers.
const (
	RoleOfficer OfficerRole = "officer"
	RoleAdmin   OfficerRole = "admin"
)

// Officer is a loan officer's account as the portal shows it; the password hash
// never leaves the store.
type Officer struct {
	ID           string
	Email        string
	Role         OfficerRole
	CreatedAt    time.Time
	LastSignInAt time.Time // zero: never signed in
}

// ErrUnknownOfficerRole is wrapped by ParseOfficerRole for anything but officer or admin.
var ErrUnknownOfficerRole = errors.New("unknown officer role")

// ParseOfficerRole accepts exactly "officer" or "admin".
func ParseOfficerRole(s string) (OfficerRole, error) {
	switch r := OfficerRole(s); r {
	case RoleOfficer, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("parse officer role %q: %w", s, ErrUnknownOfficerRole)
}

// Permission is one thing an officer may be allowed to do.
type Permission string

// Permissions checked by the admin routes.
const (
	PermViewApplications  Permission = "view_applications"   // pipeline, detail, dashboard, export
	PermActOnApplications Permission = "act_on_applications" // review decisions, re-poll, resubmit, cancel, unlock
	PermRevealPII         Permission = "reveal_pii"          // show the date of birth (logged)
	PermManageOfficers    Permission = "manage_officers"     // list and create officer accounts
)

var rolePermissions = map[OfficerRole][]Permission{
	RoleOfficer: {PermViewApplications, PermActOnApplications, PermRevealPII},
	RoleAdmin:   {PermViewApplications, PermActOnApplications, PermRevealPII, PermManageOfficers},
}

// Can reports whether the role grants p. An unknown role grants nothing.
func (r OfficerRole) Can(p Permission) bool {
	for _, granted := range rolePermissions[r] {
		if granted == p {
			return true
		}
	}
	return false
}

// Password limits for officer accounts. The maximum only bounds the work of
// hashing; anything a password manager generates fits.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 128
)

// ValidatePassword returns a message when pw is unfit for an officer account
// ("" when it is fine). Length counts characters, not bytes.
func ValidatePassword(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return fmt.Sprintf("Use at least %d characters.", MinPasswordLength)
	case n > MaxPasswordLength:
		return fmt.Sprintf("Use at most %d characters.", MaxPasswordLength)
	}
	return ""
}

// NormalizeOfficerEmail is the form an officer's email is stored and looked up in.
func NormalizeOfficerEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidateOfficerEmail returns a message when email is not a plain address ("" when fine).
func ValidateOfficerEmail(email string) string {
	e := NormalizeOfficerEmail(email)
	addr, err := mail.ParseAddress(e)
	if e == "" || err != nil || addr.Address != e || len(e) > MaxEmailLength {
		return "Enter an email address like name@example.com."
	}
	return ""
}

// Officer session lifetimes: a session ends after 30 idle minutes or 8 hours after
// sign-in, whichever comes first, so an unattended screen does not stay signed in.
const (
	OfficerSessionIdle     = 30 * time.Minute
	OfficerSessionAbsolute = 8 * time.Hour
)

// Sign-in throttling. Failures are counted per account and client address
// together, and per client address alone (SignInThrottleKeys); once
// SignInFreeFailures have failed within SignInFailureWindow, each further attempt
// from that client must wait SignInDelay. The wait doubles with each failure but
// never exceeds SignInMaxDelay.
//
// There is deliberately no counter per account alone. With one, anyone who knew
// an officer's email could keep that officer out — five wrong guesses from
// anywhere, then one more each time the block ended. Here a client that has not
// been failing is never refused: the officer signing in from their own address
// gets in while an attacker's address waits. What this gives up is a limit on
// guessing one account from very many addresses at once; each address still gets
// only SignInFreeFailures guesses an hour (an IPv6 /64, which one customer
// usually holds whole, counts as one address), every guess costs an argon2id
// hash, and officers' passwords are at least MinPasswordLength characters long.
const (
	SignInFreeFailures  = 5
	SignInFailureWindow = time.Hour
	SignInBaseDelay     = 30 * time.Second
	SignInMaxDelay      = 15 * time.Minute
)

// SignInThrottleKeys names the failure counters one sign-in attempt touches:
// the account from this client first, then the client alone (across accounts,
// so one address cannot try many accounts either). email is normalised.
func SignInThrottleKeys(email, ip string) []string {
	client := ThrottleClient(ip)
	return []string{"account-client:" + email + " " + client, "client:" + client}
}

// ThrottleClient is the unit a throttle counts a client by: its IPv4 address,
// or the /64 network of its IPv6 address (one subscriber is usually given a
// whole /64, and could otherwise take a fresh address for every attempt). An
// address that does not parse is used as it is.
func ThrottleClient(ip string) string {
	ip = strings.TrimSpace(ip)
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// SignInDelay is how long sign-in stays refused after the given number of recent
// failures: nothing up to SignInFreeFailures, then 30 s, 1 min, 2 min, … up to 15 min.
func SignInDelay(failures int) time.Duration {
	if failures < SignInFreeFailures {
		return 0
	}
	d := SignInBaseDelay
	for i := SignInFreeFailures; i < failures && d < SignInMaxDelay; i++ {
		d *= 2
	}
	return min(d, SignInMaxDelay)
}

// OfficerAction is an intervention an officer makes on one application. Each needs
// a note and is written to the timeline and the audit log.
type OfficerAction string

// Officer actions on an application.
const (
	OfficerRepoll       OfficerAction = "repoll"        // ask the platform for the lead's status now
	OfficerResubmit     OfficerAction = "resubmit"      // send a fresh lead after a time-out or refusal
	OfficerCancel       OfficerAction = "cancel"        // close the application (review → Canceled)
	OfficerUnlockOffers OfficerAction = "unlock_offers" // undo a selection so the borrower can choose again
)

// ParseOfficerAction accepts the actions above by their URL spelling ("unlock-offers"
// or "unlock_offers").
func ParseOfficerAction(s string) (OfficerAction, bool) {
	switch a := OfficerAction(strings.ReplaceAll(s, "-", "_")); a {
	case OfficerRepoll, OfficerResubmit, OfficerCancel, OfficerUnlockOffers:
		return a, true
	}
	return "", false
}

// Label is the action as a button names it.
func (a OfficerAction) Label() string {
	switch a {
	case OfficerRepoll:
		return "Re-poll the platform now"
	case OfficerResubmit:
		return "Resubmit to the platform"
	case OfficerCancel:
		return "Cancel the application"
	case OfficerUnlockOffers:
		return "Unlock offers"
	}
	return string(a)
}

// closedByOfficer reports whether an officer's decision has ended the application.
func closedByOfficer(r ReviewStatus) bool { return r == ReviewDenied || r == ReviewCanceled }

// OfficerActionAllowed says whether the action may be taken on the application
// now, and if not, why (a sentence for the officer):
//
//   - re-poll needs a lead at the platform that is still pending or timed out (a
//     late answer upgrades a time-out);
//   - resubmit needs a timed-out lead or a lead the platform refused, and an
//     application no officer has closed or is holding;
//   - cancel follows the review rules (CanTransitionReview to Canceled);
//   - unlock offers needs a selected product. It is the one deliberate step
//     backwards in the lead status (product_selected → offers_found), an officer's
//     override for a borrower who chose by mistake; the platform's own updates can
//     never do it (NextLeadStatus).
func OfficerActionAllowed(a OfficerAction, app Application) (bool, string) {
	switch a {
	case OfficerRepoll:
		if app.Lead.UUID == "" {
			return false, "The application has no lead at the platform yet."
		}
		if !app.Lead.Status.Pending() && app.Lead.Status != LeadTimedOut {
			return false, "The platform has already given its final answer."
		}
		return true, ""
	case OfficerResubmit:
		if app.Review.Status.HoldsLead() {
			return false, "Only an application that is not held or closed by review can be resubmitted."
		}
		if !CanRetry(app.Lead.Status) && app.Lead.SubmitError == "" {
			return false, "Only a timed-out or refused lead can be resubmitted."
		}
		return true, ""
	case OfficerCancel:
		if !CanDecide(app.StatusFacts(), ReviewCanceled) {
			return false, fmt.Sprintf("An application in status %s can't be canceled: only one not decided yet can.", CreditStatus(app.StatusFacts()))
		}
		return true, ""
	case OfficerUnlockOffers:
		if app.Lead.Status != LeadProductSelected {
			return false, "The borrower has not selected an offer."
		}
		if closedByOfficer(app.Review.Status) {
			return false, "The application is closed."
		}
		return true, ""
	}
	return false, "Unknown action."
}

// MaxOfficerNoteLength bounds an officer's note, in characters.
const MaxOfficerNoteLength = 1000

// ValidateOfficerNote returns a message when the note an action needs is missing
// or too long ("" when fine).
func ValidateOfficerNote(note string) string {
	n := strings.TrimSpace(note)
	switch {
	case n == "":
		return "Write a note saying why."
	case utf8.RuneCountInString(n) > MaxOfficerNoteLength:
		return fmt.Sprintf("Keep the note to %d characters or fewer.", MaxOfficerNoteLength)
	}
	return ""
}

// DenialReasonTexts are the principal reasons of a denial as the notice of action
// taken states them, in the officer's order; "Other" becomes the officer's words.
func (r Review) DenialReasonTexts() []string {
	out := make([]string, 0, len(r.Reasons))
	for _, code := range r.Reasons {
		if code == AdverseReasonOther {
			if t := strings.TrimSpace(r.OtherText); t != "" {
				out = append(out, t)
				continue
			}
		}
		if reason, ok := AdverseReasonByCode(code); ok {
			out = append(out, reason.Text)
		}
	}
	return out
}

// MaskEmail hides most of an email's local part ("j***@example.com") for exports
// and lists that leave the officer's screen.
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "***"
	}
	first, _ := utf8.DecodeRuneInString(local)
	return string(first) + "***@" + domain
}
