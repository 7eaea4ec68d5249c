package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"prequal/lending"
)

// TLSMode is how the connection to the relay is protected.
type TLSMode string

// TLS modes of PORTAL_SMTP_URL.
const (
	// TLSStartTLS (smtp://host:587): the session must upgrade with STARTTLS; a
	// relay that does not offer it is refused.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit (smtps://host:465): TLS from the first byte.
	TLSImplicit TLSMode = "implicit"
	// TLSNone (smtp://host:port?tls=none): plain text. Production refuses it; stage
	// uses it for its own catcher on loopback.
	TLSNone TLSMode = "none"
)

// Relay is an SMTP relay as PORTAL_SMTP_URL names it.
type Relay struct {
	Host     string
	Port     int
	TLS      TLSMode
	Username string
	Password string
}

// ParseRelay reads PORTAL_SMTP_URL: smtp://[user[:password]@]host[:port] for
// STARTTLS (port 587 by default), smtps://… for implicit TLS (465), and
// ?tls=none for plain text. username and password (PORTAL_SMTP_USERNAME,
// PORTAL_SMTP_PASSWORD), when set, win over the URL's, so a secret need not sit
// in the URL.
func ParseRelay(raw, username, password string) (Relay, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return Relay{}, fmt.Errorf("PORTAL_SMTP_URL is not a URL: %w", err)
	}
	r := Relay{Host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		r.TLS, r.Port = TLSStartTLS, 587
	case "smtps":
		r.TLS, r.Port = TLSImplicit, 465
	default:
		return Relay{}, fmt.Errorf("PORTAL_SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (implicit TLS), not %q", u.Scheme+"://")
	}
	if r.Host == "" {
		return Relay{}, errors.New("PORTAL_SMTP_URL names no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Relay{}, fmt.Errorf("PORTAL_SMTP_URL port %q is not a port", p)
		}
		r.Port = n
	}
	switch mode := u.Query().Get("tls"); mode {
	case "":
	case string(TLSNone):
		if r.TLS == TLSImplicit {
			return Relay{}, errors.New("PORTAL_SMTP_URL: smtps:// is always TLS; tls=none applies to smtp:// only")
		}
		r.TLS = TLSNone
	case string(TLSStartTLS), string(TLSImplicit):
		if TLSMode(mode) != r.TLS {
			return Relay{}, fmt.Errorf("PORTAL_SMTP_URL: tls=%s contradicts %s://", mode, u.Scheme)
		}
	default:
		return Relay{}, fmt.Errorf("PORTAL_SMTP_URL: tls=%q is not starttls, implicit or none", mode)
	}
	if u.User != nil {
		r.Username = u.User.Username()
		r.Password, _ = u.User.Password()
	}
	if username != "" {
		r.Username = username
	}
	if password != "" {
		r.Password = password
	}
	if r.Password != "" && r.Username == "" {
		return Relay{}, errors.New("PORTAL_SMTP_URL: a password without a user name")
	}
	return r, nil
}

// Encrypted reports whether mail to the relay travels over TLS.
func (r Relay) Encrypted() bool { return r.TLS != TLSNone }

// String names the relay without its password, for logs and start-up lines.
func (r Relay) String() string {
	scheme := "smtp"
	if r.TLS == TLSImplicit {
		scheme = "smtps"
	}
	user := ""
	if r.Username != "" {
		user = url.User(r.Username).String() + "@"
	}
	return fmt.Sprintf("%s://%s%s (%s)", scheme, user, net.JoinHostPort(r.Host, strconv.Itoa(r.Port)), r.TLS)
}

// DefaultSendTimeout bounds one delivery: connecting, the SMTP dialogue, the data.
const DefaultSendTimeout = 20 * time.Second

// Sender delivers messages to one relay, a connection per message.
type Sender struct {
	relay   Relay
	timeout time.Duration
	// TLSConfig, when set, replaces the default (system roots, the relay's host
	// name, TLS 1.2 at least); tests trust their own certificate with it.
	TLSConfig *tls.Config
}

// NewSender returns a Sender for relay; timeout 0 is DefaultSendTimeout.
func NewSender(relay Relay, timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = DefaultSendTimeout
	}
	return &Sender{relay: relay, timeout: timeout}
}

// Relay is the relay the sender delivers to.
func (s *Sender) Relay() Relay { return s.relay }

// DeliveryError is a delivery that failed. Permanent means the relay refused
// the message for good (a 5xx to the recipient or the data): trying again
// cannot help. Anything else — no connection, a 4xx, a timeout, a TLS or
// sign-in problem an operator can fix — is worth retrying.
type DeliveryError struct {
	Permanent bool
	Err       error
	reason    string // Err's text with the recipient's address masked
}

// Error is the failure with the recipient's address masked: it goes to the
// timeline and the logs.
func (e *DeliveryError) Error() string {
	if e.reason != "" {
		return e.reason
	}
	return e.Err.Error()
}
func (e *DeliveryError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a permanent delivery failure.
func IsPermanent(err error) bool {
	var de *DeliveryError
	return errors.As(err, &de) && de.Permanent
}

// Send delivers m. It returns once the relay has accepted the message (its
// reply to the end of the data) or failed; a failure is a *DeliveryError. A
// problem closing the connection after the relay accepted the message is not a
// failure: the message is the relay's then, and sending it again would
// deliver it twice.
func (s *Sender) Send(ctx context.Context, m Message) error {
	fail := func(permanent bool, err error) error {
		reason := err.Error()
		if m.To != "" {
			reason = strings.ReplaceAll(reason, m.To, lending.MaskEmail(m.To))
		}
		return &DeliveryError{Permanent: permanent, Err: err, reason: reason}
	}
	msg, err := s.message(m)
	if err != nil {
		return fail(true, err)
	}
	opts := []mail.Option{mail.WithPort(s.relay.Port), mail.WithTimeout(s.timeout)}
	tlsConfig := s.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: s.relay.Host, MinVersion: tls.VersionTLS12}
	}
	switch s.relay.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL(), mail.WithTLSConfig(tlsConfig))
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithTLSConfig(tlsConfig))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if s.relay.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(s.relay.Username), mail.WithPassword(s.relay.Password))
	}
	client, err := mail.NewClient(s.relay.Host, opts...)
	if err != nil {
		return fail(false, fmt.Errorf("smtp client: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fail(false, fmt.Errorf("connect to %s: %w", s.relay.String(), err))
	}
	sendErr := client.SendWithSMTPClient(conn, msg)
	_ = client.CloseWithSMTPClient(conn)
	if sendErr != nil {
		return fail(refusedForGood(sendErr), fmt.Errorf("send: %w", sendErr))
	}
	return nil
}

// refusedForGood reports whether the relay answered the recipient or the
// message data with a permanent (5xx) refusal.
func refusedForGood(err error) bool {
	var se *mail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose:
		return se.ErrorCode() >= 500 && se.ErrorCode() < 600
	}
	return false
}

// message builds the go-mail message: a plain-text part and an HTML
// alternative, the cause's stable Message-ID, and Auto-Submitted (RFC 3834) so
// auto-responders stay quiet.
func (s *Sender) message(m Message) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("sender %q: %w", m.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(strings.Trim(m.MessageID, "<>"))
	msg.SetDateWithValue(m.Date)
	msg.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	return msg, nil
}
