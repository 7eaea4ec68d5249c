// Package mailcatcher is stage's mail relay: a real SMTP server
// (github.com/emersion/go-smtp) on loopback that accepts every message and
// keeps it in a directory, so QA reads what the portal sent at /qa/mail while
// the portal's mail client runs exactly as it does against a production relay.
// Nothing it catches goes anywhere else.
package mailcatcher

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Limits of the catcher.
const (
	MaxMessageBytes = 2 << 20 // a borrower email is a few tens of kilobytes
	MaxKept         = 5000    // older messages are deleted beyond this many
	maxRecipients   = 10
)

// ErrNotFound is returned for a message id the catcher does not have.
var ErrNotFound = errors.New("mailcatcher: no such message")

// Config tunes a catcher. Only Dir is required.
type Config struct {
	// Dir keeps the caught messages, one file each; they outlive the process.
	Dir    string
	Logger *slog.Logger
	// TLS, when set, offers STARTTLS with it (or, with ImplicitTLS, speaks TLS
	// from the first byte); tests check the client's TLS with it.
	TLS         *tls.Config
	ImplicitTLS bool
	// Username and Password, when set, are required (AUTH PLAIN, over TLS).
	Username, Password string
}

// Catcher is the stage mail relay.
type Catcher struct {
	cfg Config
	log *slog.Logger
	srv *smtp.Server
	ln  net.Listener

	refusing atomic.Bool   // answer 451 to every message (QA: a relay that is down)
	seq      atomic.Uint64 // orders messages caught in the same nanosecond
	writes   atomic.Uint64 // prunes every so often
	pruneMu  sync.Mutex
	serveErr chan error

	closeOnce sync.Once
	closeErr  error
}

// New returns a catcher keeping messages in cfg.Dir (created if needed). It
// reads what it caught before at once; Start makes it listen.
func New(cfg Config) (*Catcher, error) {
	if cfg.Dir == "" {
		return nil, errors.New("mailcatcher: no directory")
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("mailcatcher: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Catcher{cfg: cfg, log: cfg.Logger}, nil
}

// Start listens on addr (e.g. 127.0.0.1:0) and serves SMTP until Close.
func (c *Catcher) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mailcatcher: %w", err)
	}
	if c.cfg.ImplicitTLS {
		if c.cfg.TLS == nil {
			ln.Close()
			return errors.New("mailcatcher: implicit TLS without a TLS config")
		}
		ln = tls.NewListener(ln, c.cfg.TLS)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(conn *smtp.Conn) (smtp.Session, error) {
		return &session{c: c}, nil
	}))
	srv.Domain = "stage-mail-catcher"
	srv.MaxMessageBytes = MaxMessageBytes
	srv.MaxRecipients = maxRecipients
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.ErrorLog = slogPrinter{c.log}
	if !c.cfg.ImplicitTLS {
		srv.TLSConfig = c.cfg.TLS
	}
	c.srv, c.ln = srv, ln
	c.serveErr = make(chan error, 1)
	go func() { c.serveErr <- srv.Serve(ln) }()
	return nil
}

// Addr is the address the catcher listens on ("" before Start).
func (c *Catcher) Addr() string {
	if c.ln == nil {
		return ""
	}
	return c.ln.Addr().String()
}

// Close stops listening and closes the connections in progress; a message not
// completely received is not kept (its sender did not get a 250 for it). It is
// safe to call twice.
func (c *Catcher) Close() error {
	if c.srv == nil {
		return nil
	}
	c.closeOnce.Do(func() {
		err := c.srv.Close()
		<-c.serveErr
		if errors.Is(err, smtp.ErrServerClosed) {
			err = nil
		}
		c.closeErr = err
	})
	return c.closeErr
}

// SetRefusing makes the catcher answer every message with a temporary failure
// (451), as a relay that is down does, until it is set back.
func (c *Catcher) SetRefusing(refuse bool) { c.refusing.Store(refuse) }

// Refusing reports whether SetRefusing(true) is in force.
func (c *Catcher) Refusing() bool { return c.refusing.Load() }

// keep writes one received message: its envelope as Return-Path and
// Delivered-To lines, as a delivering MTA adds them, then the data unchanged.
// It is written under tmp/ and renamed, so a reader never sees half a message.
func (c *Catcher) keep(from string, to []string, data []byte) error {
	now := time.Now().UTC()
	name := fmt.Sprintf("%019d-%06d", now.UnixNano(), c.seq.Add(1)%1_000_000)
	var b strings.Builder
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", from)
	for _, t := range to {
		fmt.Fprintf(&b, "Delivered-To: %s\r\n", t)
	}
	tmp := filepath.Join(c.cfg.Dir, "tmp", name)
	if err := os.WriteFile(tmp, append([]byte(b.String()), data...), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(c.cfg.Dir, name+".eml")); err != nil {
		return err
	}
	if c.writes.Add(1)%100 == 0 {
		go c.prune()
	}
	return nil
}

// prune deletes the oldest messages beyond MaxKept.
func (c *Catcher) prune() {
	c.pruneMu.Lock()
	defer c.pruneMu.Unlock()
	names, err := c.names()
	if err != nil || len(names) <= MaxKept {
		return
	}
	for _, n := range names[MaxKept:] {
		_ = os.Remove(filepath.Join(c.cfg.Dir, n+".eml"))
	}
}

// names lists the kept message ids, newest first.
func (c *Catcher) names() ([]string, error) {
	entries, err := os.ReadDir(c.cfg.Dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".eml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	return names, nil
}

// Messages returns up to limit caught messages, newest first (limit 0: all).
func (c *Catcher) Messages(limit int) ([]Message, error) {
	names, err := c.names()
	if err != nil {
		return nil, fmt.Errorf("mailcatcher: %w", err)
	}
	if limit > 0 && len(names) > limit {
		names = names[:limit]
	}
	out := make([]Message, 0, len(names))
	for _, n := range names {
		m, err := c.Message(n)
		if errors.Is(err, ErrNotFound) {
			continue // pruned meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Count returns how many messages the catcher keeps.
func (c *Catcher) Count() (int, error) {
	names, err := c.names()
	return len(names), err
}

// Message returns one caught message by id.
func (c *Catcher) Message(id string) (Message, error) {
	if !validID(id) {
		return Message{}, ErrNotFound
	}
	raw, err := os.ReadFile(filepath.Join(c.cfg.Dir, id+".eml"))
	if errors.Is(err, os.ErrNotExist) {
		return Message{}, ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("mailcatcher: %w", err)
	}
	m := Parse(raw)
	m.ID = id
	if ns, err := strconv.ParseInt(id[:19], 10, 64); err == nil {
		m.CaughtAt = time.Unix(0, ns).UTC()
	}
	return m, nil
}

// validID accepts only the names keep writes.
func validID(id string) bool {
	if len(id) != 26 || id[19] != '-' {
		return false
	}
	for i, r := range id {
		if i != 19 && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// session is one SMTP connection's transaction.
type session struct {
	c    *Catcher
	from string
	to   []string
	auth bool
}

func (s *session) needAuth() error {
	if s.c.cfg.Username != "" && !s.auth {
		return smtp.ErrAuthRequired
	}
	return nil
}

// AuthMechanisms offers AUTH PLAIN when the catcher has credentials.
func (s *session) AuthMechanisms() []string {
	if s.c.cfg.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth checks AUTH PLAIN credentials.
func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || s.c.cfg.Username == "" {
		return nil, smtp.ErrAuthUnsupported
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.c.cfg.Username || password != s.c.cfg.Password {
			return smtp.ErrAuthFailed
		}
		s.auth = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if err := s.needAuth(); err != nil {
		return err
	}
	if s.c.refusing.Load() {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message: "The stage mail catcher is refusing mail for now (QA control)"}
	}
	s.from = from
	return nil
}

// Rcpt accepts every recipient but those whose address starts with "bounce"
// (bounce@…, bounce+anything@…): they are refused for good (550), as a mailbox
// that does not exist is, so QA can watch a permanent failure.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(strings.ToLower(to), "bounce") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: "No such mailbox (stage: addresses starting with bounce are refused)"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.c.keep(s.from, s.to, data); err != nil {
		s.c.log.Error("mail catcher could not keep a message", "error", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Could not store the message"}
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// slogPrinter lets go-smtp log through slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) { p.log.Warn(fmt.Sprintf(format, v...)) }
func (p slogPrinter) Println(v ...any)               { p.log.Warn(fmt.Sprint(v...)) }
