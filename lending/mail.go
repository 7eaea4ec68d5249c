package lending

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// MailKind names a borrower email by what causes it. Every one is
// transactional: it is about the borrower's own application, never marketing.
type MailKind string

// The borrower emails.
const (
	// MailReceived confirms a submitted application, with a resume link.
	MailReceived MailKind = "received"
	// MailOffersReady says the lenders' offers are ready to compare.
	MailOffersReady MailKind = "offers_ready"
	// MailNoOffers delivers the notice of action taken when no lender made an offer.
	MailNoOffers MailKind = "no_offers"
	// MailDenied delivers the notice of action taken of a denial (an officer's,
	// later a sponsor bank's).
	MailDenied MailKind = "denied"
	// MailOffersExpiring reminds the borrower that unchosen offers expire soon.
	MailOffersExpiring MailKind = "offers_expiring"
	// MailResumeLink answers "Send me a link" on the home page.
	MailResumeLink MailKind = "resume_link"
)

// MailKinds lists every kind, in the order an application usually meets them.
var MailKinds = []MailKind{MailReceived, MailOffersReady, MailNoOffers, MailDenied, MailOffersExpiring, MailResumeLink}

// CarriesNotice reports whether the email is a notice of action taken: the time
// it is sent is the notice's time (seed 004's adverse_action_notice_time).
func (k MailKind) CarriesNotice() bool { return k == MailNoOffers || k == MailDenied }

// Label is the kind in words, for officers.
func (k MailKind) Label() string {
	switch k {
	case MailReceived:
		return "Application received"
	case MailOffersReady:
		return "Offers ready"
	case MailNoOffers:
		return "No offers (notice of action taken)"
	case MailDenied:
		return "Denial (notice of action taken)"
	case MailOffersExpiring:
		return "Offers about to expire"
	case MailResumeLink:
		return "Resume link"
	}
	return string(k)
}

// MailCause is the key that makes an email happen at most once per cause: the
// kind, the application, and what tells two causes of one kind apart (the lead
// attempt for the lead's outcomes, the token for a requested link, nothing for
// the received and denial emails, which happen once per application).
func MailCause(kind MailKind, applicationID, discriminator string) string {
	c := string(kind) + ":" + applicationID
	if discriminator != "" {
		c += ":" + discriminator
	}
	return c
}

// MailMessageID is the Message-ID of the email of a cause: the same on every try,
// so a mailbox that is handed one twice (a crash between the relay's acceptance
// and our record of it) can tell it is the same message.
func MailMessageID(cause, domain string) string {
	sum := sha256.Sum256([]byte(cause))
	return "<" + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}

// MailStatus is where an email stands in the outbox.
type MailStatus string

// Mail statuses.
const (
	MailQueued  MailStatus = "queued"  // waiting for its (next) try
	MailSent    MailStatus = "sent"    // the relay accepted it
	MailFailed  MailStatus = "failed"  // refused for good, or tried for MailGiveUpAfter
	MailSkipped MailStatus = "skipped" // no longer worth sending (the offers were chosen meanwhile)
)

// MailGiveUpAfter is how long a relay's temporary failures are retried before an
// email is marked failed (a notice of action taken is due within 30 days; an
// officer sees the failure on the timeline and can act long before).
const MailGiveUpAfter = 72 * time.Hour

// NormalizeEmail is the one form an email address is stored and compared in.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateEmail returns the message for an unusable email address, or "".
func ValidateEmail(s string) string { return checkEmail(NormalizeEmail(s)) }
