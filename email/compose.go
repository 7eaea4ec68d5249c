// Package email composes the portal's borrower emails and delivers them to an
// SMTP relay (github.com/wneessen/go-mail). The worker sends them from the
// mail outbox; nothing here runs on a borrower's request.
package email

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/a-h/templ"

	"prequal/lending"
	"prequal/views"
)

// Settings is what every email takes from the running portal.
type Settings struct {
	SiteName      string        // "Prequal Portal"
	From          string        // RFC 5322 sender, e.g. "Prequal Portal <no-reply@portal.example>"
	PostalAddress string        // the sender's postal address, in every footer
	BaseURL       string        // the portal's public URL; links are built from it
	OfferTTL      time.Duration // PORTAL_OFFER_TTL: when unchosen offers expire
}

// Validate reports a setting that would make emails unsendable or unlawful.
func (s Settings) Validate() error {
	addr, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("the sender address %q is not an email address: %w", s.From, err)
	}
	if _, domain, _ := strings.Cut(addr.Address, "@"); domain == "" {
		return fmt.Errorf("the sender address %q has no domain", s.From)
	}
	if strings.TrimSpace(s.PostalAddress) == "" {
		return errors.New("emails need the sender's postal address")
	}
	return nil
}

// domain is the sender address's domain, for Message-IDs.
func (s Settings) domain() string {
	addr, err := mail.ParseAddress(s.From)
	if err != nil {
		return "localhost"
	}
	_, d, _ := strings.Cut(addr.Address, "@")
	return d
}

// Content is what an email is composed from: the outbox row's kind and cause,
// the application as it is now, its offers, and the resume token it carries.
type Content struct {
	Kind            lending.MailKind
	Cause           string
	App             lending.Application
	Offers          []lending.Offer
	ResumeToken     string
	ResumeExpiresAt time.Time
}

// Message is one composed email.
type Message struct {
	From      string
	To        string
	Subject   string
	Text      string // the plain-text part
	HTML      string // the HTML part
	MessageID string // "<…@…>", the same on every try of one cause
	Date      time.Time
}

// ResumePath is where a resume token is opened: {BaseURL}/resume/{token}.
func ResumePath(token string) string { return "/resume/" + token }

// Compose renders the email of c: subject, text and HTML parts, headers.
func Compose(ctx context.Context, s Settings, c Content, now time.Time) (Message, error) {
	v := views.NewEmailView(c.Kind, c.App, c.Offers)
	v.SiteName, v.PostalAddress, v.BaseURL = s.SiteName, s.PostalAddress, s.BaseURL
	if c.ResumeToken != "" {
		v.SetResume(s.BaseURL+ResumePath(c.ResumeToken), c.ResumeExpiresAt)
	}
	if s.OfferTTL > 0 && !c.App.Lead.TerminalAt.IsZero() &&
		(c.Kind == lending.MailOffersReady || c.Kind == lending.MailOffersExpiring) {
		v.SetOffersExpire(lending.OffersExpireAt(c.App.Lead.TerminalAt, s.OfferTTL))
	}
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := views.EmailHTML(v).Render(ctx, buf); err != nil {
		return Message{}, fmt.Errorf("email.Compose %s: %w", c.Kind, err)
	}
	return Message{
		From:      s.From,
		To:        c.App.Email,
		Subject:   views.EmailSubject(v),
		Text:      views.EmailText(v),
		HTML:      buf.String(),
		MessageID: lending.MailMessageID(c.Cause, s.domain()),
		Date:      now,
	}, nil
}
