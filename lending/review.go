package lending

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ReviewStatus is the loan officer's status of an application (seeds 003/004). It is
// separate from the platform's lead status: the platform says whether lenders made
// offers, the officer says whether we stand behind the application.
type ReviewStatus string

// Review statuses (seed 003's names). Approved, Denied and Canceled are final
// (CreditStatus says what each one means for a whole application).
const (
	ReviewCreated      ReviewStatus = "Created"      // a credit application waiting for its application's evaluation
	ReviewPending      ReviewStatus = "Pending"      // no officer action needed or taken yet
	ReviewManualReview ReviewStatus = "ManualReview" // held for an officer before submission
	ReviewApproved     ReviewStatus = "Approved"
	ReviewDenied       ReviewStatus = "Denied" // with adverse action reasons
	ReviewCanceled     ReviewStatus = "Canceled"
)

// ErrUnknownReviewStatus is wrapped by ParseReviewStatus for a value that is not a review status.
var ErrUnknownReviewStatus = errors.New("unknown review status")

// reviewTransitions lists every allowed move (seed 003); anything absent is
// refused. Approved, Denied and Canceled are final: an application is canceled
// only before a decision.
var reviewTransitions = map[ReviewStatus][]ReviewStatus{
	ReviewCreated:      {ReviewPending, ReviewManualReview, ReviewApproved, ReviewDenied, ReviewCanceled},
	ReviewPending:      {ReviewManualReview, ReviewApproved, ReviewDenied, ReviewCanceled},
	ReviewManualReview: {ReviewApproved, ReviewDenied, ReviewCanceled},
}

// ParseReviewStatus accepts exactly the seed's spelling of a review status.
func ParseReviewStatus(s string) (ReviewStatus, error) {
	switch st := ReviewStatus(s); st {
	case ReviewCreated, ReviewPending, ReviewManualReview, ReviewApproved, ReviewDenied, ReviewCanceled:
		return st, nil
	}
	return "", fmt.Errorf("parse review status %q: %w", s, ErrUnknownReviewStatus)
}

// CanTransitionReview reports whether the stored review status may move from one
// status to another: Created → Pending | ManualReview | Approved | Denied |
// Canceled, Pending → ManualReview | Approved | Denied | Canceled, ManualReview →
// Approved | Denied | Canceled. Approved, Denied and Canceled are
// final, and staying put is not a transition. Whether an officer may decide a
// given application also depends on its lead (CanDecide).
func CanTransitionReview(from, to ReviewStatus) bool {
	for _, allowed := range reviewTransitions[from] {
		if allowed == to {
			return true
		}
	}
	return false
}

// HoldsLead reports whether the review keeps the application's lead from the
// platform: an application held for an officer (ManualReview) or closed by one
// (Denied, Canceled) is not submitted, retried or resubmitted.
func (r ReviewStatus) HoldsLead() bool { return r == ReviewManualReview || closedByOfficer(r) }

// Final reports whether the review status is a decision: Approved, Denied or Canceled.
func (r ReviewStatus) Final() bool {
	return r == ReviewApproved || r == ReviewDenied || r == ReviewCanceled
}

// AdverseReason is one principal reason for denying credit, as an officer picks it
// and as the notice of action taken states it.
type AdverseReason struct {
	Code string // stable snake_case key stored with the decision
	Text string // the wording of Regulation B's sample form C-1
}

// AdverseReasons is the checklist of Regulation B sample form C-1, in the form's order.
var AdverseReasons = []AdverseReason{
	{"application_incomplete", "Credit application incomplete"},
	{"insufficient_credit_references", "Insufficient number of credit references provided"},
	{"unacceptable_credit_references", "Unacceptable type of credit references provided"},
	{"unverifiable_credit_references", "Unable to verify credit references"},
	{"temporary_employment", "Temporary or irregular employment"},
	{"unverifiable_employment", "Unable to verify employment"},
	{"length_of_employment", "Length of employment"},
	{"income_insufficient", "Income insufficient for amount of credit requested"},
	{"excessive_obligations", "Excessive obligations in relation to income"},
	{"unverifiable_income", "Unable to verify income"},
	{"length_of_residence", "Length of residence"},
	{"temporary_residence", "Temporary residence"},
	{"unverifiable_residence", "Unable to verify residence"},
	{"no_credit_file", "No credit file"},
	{"limited_credit_experience", "Limited credit experience"},
	{"poor_credit_performance", "Poor credit performance with us"},
	{"delinquent_obligations", "Delinquent past or present credit obligations with others"},
	{"collection_or_judgment", "Collection action or judgment"},
	{"garnishment_or_attachment", "Garnishment or attachment"},
	{"foreclosure_or_repossession", "Foreclosure or repossession"},
	{"bankruptcy", "Bankruptcy"},
	{"recent_inquiries", "Number of recent inquiries on credit bureau report"},
	{"insufficient_collateral", "Value or type of collateral not sufficient"},
	{AdverseReasonOther, "Other, specify"},
}

// AdverseReasonOther is the code of "Other, specify", which needs the officer's own words.
const AdverseReasonOther = "other"

// Limits of a denial. Regulation B's official commentary notes that more than four
// reasons is unlikely to help the applicant.
const (
	MaxDenialReasons      = 4
	MaxDenialOtherTextLen = 200 // characters, not bytes
)

// Field keys of the error map returned by ValidateDenial; the officer's denial form
// uses them as its input names.
const (
	DenialFieldReasons   = "reasons"
	DenialFieldOtherText = "otherText"
)

// AdverseReasonByCode finds a reason by its code.
func AdverseReasonByCode(code string) (AdverseReason, bool) {
	for _, r := range AdverseReasons {
		if r.Code == code {
			return r, true
		}
	}
	return AdverseReason{}, false
}

// ValidateDenial checks an officer's denial: one to four distinct known reason codes,
// and when "other" is among them a description of at most 200 characters. It returns
// messages keyed by DenialFieldReasons / DenialFieldOtherText; an empty map means the
// denial may be recorded. Text given without "other" is not an error; the caller
// should simply not store it.
func ValidateDenial(codes []string, otherText string) map[string]string {
	errs := map[string]string{}
	seen := map[string]bool{}
	for _, c := range codes {
		if _, ok := AdverseReasonByCode(c); !ok {
			errs[DenialFieldReasons] = "Choose reasons from the list."
			break
		}
		if seen[c] {
			errs[DenialFieldReasons] = "Choose each reason only once."
			break
		}
		seen[c] = true
	}
	if _, bad := errs[DenialFieldReasons]; !bad {
		switch {
		case len(codes) == 0:
			errs[DenialFieldReasons] = "Choose at least one reason for the denial."
		case len(codes) > MaxDenialReasons:
			errs[DenialFieldReasons] = fmt.Sprintf("Choose no more than %d principal reasons.", MaxDenialReasons)
		}
	}
	if seen[AdverseReasonOther] {
		text := strings.TrimSpace(otherText)
		switch {
		case text == "":
			errs[DenialFieldOtherText] = "Describe the other reason."
		case utf8.RuneCountInString(text) > MaxDenialOtherTextLen:
			errs[DenialFieldOtherText] = fmt.Sprintf("Keep the other reason to %d characters or fewer.", MaxDenialOtherTextLen)
		}
	}
	return errs
}

// ScreeningFacts are what the store knows about a new application before it is
// submitted. The counts exclude the new application itself.
type ScreeningFacts struct {
	// SSNReusedByApplicant: the same applicant — the same browser session or
	// the same mailbox (VelocityEmail) — sent this SSN before with another
	// name or date of birth.
	SSNReusedByApplicant bool
	// SSNSeenWithOtherIdentity: someone else sent this SSN before with another
	// name or date of birth. Only applications whose identity stands count:
	// not those flagged or held by an SSN rule themselves (unless an officer
	// approved them), nor those an officer denied or canceled.
	SSNSeenWithOtherIdentity      bool
	ApplicationsFromEmailLastHour int
	ApplicationsFromIPLastHour    int
	// TestData marks a stage QA application. QA runs every scenario from one
	// workstation and persona, so the velocity rules would hold them all; the
	// identity rules still apply.
	TestData bool
}

// ScreeningHit names one reason an application is held for manual review, or
// flagged for officers while it goes on (ScreeningHit.Holds).
type ScreeningHit string

// Screening hits, in the order Screen reports them.
const (
	HitSSNIdentityMismatch ScreeningHit = "ssn_identity_mismatch" // holds
	HitSSNOtherApplicant   ScreeningHit = "ssn_other_applicant"   // flags
	HitEmailVelocity       ScreeningHit = "email_velocity"        // holds
	HitIPVelocity          ScreeningHit = "ip_velocity"           // holds
)

// Velocity limits: the most applications accepted within an hour, the new one
// included, before the next is held. A household or office may share an IP address,
// hence the higher limit.
const (
	MaxApplicationsPerEmailPerHour = 3
	MaxApplicationsPerIPPerHour    = 10
)

// Screen returns why an application must be held for manual review before it is
// submitted to the platform, or flagged for officers; nil means neither.
//
// The SSN rules. An SSN that arrives with another name or date of birth than
// before is either a typo, a household mix-up, or someone using another
// person's number; officers should look. But a hold the borrower can see must
// not depend on other people's applications: a stranger who types someone's
// SSN under any name would learn from "needs a review" whether that person ever
// applied here for credit (an oracle), and their application would then hold
// every later application of the real owner (poison). So:
//   - the same applicant (session or mailbox) sending the SSN under another
//     identity is held (HitSSNIdentityMismatch): it tells them only what they
//     did themselves;
//   - anyone else's earlier use flags the application for officers
//     (HitSSNOtherApplicant) without holding it: the borrower sees exactly what
//     a never-seen SSN would show, and the platform's own identity check (its
//     soft pull matches name and SSN) answers them as it would anyone;
//   - an application flagged or held by these rules is no reference for later
//     ones until an officer approves it, and a denied or canceled one never is,
//     so a stranger's attempt cannot make the owner's own applications look
//     suspicious.
func Screen(f ScreeningFacts) []ScreeningHit {
	var hits []ScreeningHit
	if f.SSNReusedByApplicant {
		hits = append(hits, HitSSNIdentityMismatch)
	} else if f.SSNSeenWithOtherIdentity {
		hits = append(hits, HitSSNOtherApplicant)
	}
	if f.TestData {
		return hits
	}
	if f.ApplicationsFromEmailLastHour+1 > MaxApplicationsPerEmailPerHour {
		hits = append(hits, HitEmailVelocity)
	}
	if f.ApplicationsFromIPLastHour+1 > MaxApplicationsPerIPPerHour {
		hits = append(hits, HitIPVelocity)
	}
	return hits
}

// Holds reports whether the hit holds the application for manual review
// before submission; a hit that does not only flags it for officers.
func (h ScreeningHit) Holds() bool { return h != HitSSNOtherApplicant }

// QuestionsIdentity reports whether the hit casts doubt on the identity the
// application gives, so that it is no reference for the SSN rules.
func (h ScreeningHit) QuestionsIdentity() bool {
	return h == HitSSNIdentityMismatch || h == HitSSNOtherApplicant
}

// Description explains the hit to an officer in one sentence.
func (h ScreeningHit) Description() string {
	switch h {
	case HitSSNIdentityMismatch:
		return "The same applicant (browser session or email) used this SSN before with a different name or date of birth."
	case HitSSNOtherApplicant:
		return "Another applicant used this SSN before with a different name or date of birth; the application went on (the borrower is not told), check it is theirs."
	case HitEmailVelocity:
		return fmt.Sprintf("More than %d applications came from this email address within an hour.", MaxApplicationsPerEmailPerHour)
	case HitIPVelocity:
		return fmt.Sprintf("More than %d applications came from this IP address within an hour.", MaxApplicationsPerIPPerHour)
	}
	return fmt.Sprintf("Held by screening rule %q.", string(h))
}

// VelocityEmail is the mailbox an email address delivers to, as the email
// velocity rule counts it: lower case, without a plus tag ("a+1@x" and "a+2@x"
// reach the same inbox at nearly every provider, so counting them apart let one
// person apply without limit), and for Gmail without dots and with
// googlemail.com as gmail.com (Gmail ignores both). Only the rule uses it: the
// stored address, what mail is sent to, and the stage QA scenario chosen by the
// tag all keep the address as typed.
func VelocityEmail(email string) string {
	e := strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(e, "@")
	if !ok {
		return e
	}
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
}
