package email

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"prequal/mailcatcher"
)

func TestParseRelay(t *testing.T) {
	for _, tc := range []struct {
		url, user, pass string
		want            Relay
		err             string
	}{
		{url: "smtp://relay.example:2525", want: Relay{Host: "relay.example", Port: 2525, TLS: TLSStartTLS}},
		{url: "smtp://relay.example", want: Relay{Host: "relay.example", Port: 587, TLS: TLSStartTLS}},
		{url: "smtps://relay.example", want: Relay{Host: "relay.example", Port: 465, TLS: TLSImplicit}},
		{url: "smtp://127.0.0.1:1025?tls=none", want: Relay{Host: "127.0.0.1", Port: 1025, TLS: TLSNone}},
		{url: "smtps://ann:p%40ss@relay.example:465", want: Relay{Host: "relay.example", Port: 465, TLS: TLSImplicit, Username: "ann", Password: "p@ss"}},
		{url: "smtp://ann:old@relay.example", user: "bob", pass: "new", want: Relay{Host: "relay.example", Port: 587, TLS: TLSStartTLS, Username: "bob", Password: "new"}},
		{url: "http://relay.example", err: "must start with smtp://"},
		{url: "smtp://", err: "no host"},
		{url: "smtp://relay.example:99999", err: "not a port"},
		{url: "smtps://relay.example?tls=none", err: "always TLS"},
		{url: "smtp://relay.example?tls=sometimes", err: "not starttls"},
		{url: "smtp://relay.example", pass: "secret", err: "without a user name"},
	} {
		got, err := ParseRelay(tc.url, tc.user, tc.pass)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one saying %q", tc.url, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v", tc.url, got, err, tc.want)
		}
		if strings.Contains(got.String(), "p@ss") || strings.Contains(got.String(), "new") && got.Password == "new" {
			t.Errorf("%s: String() shows the password: %s", tc.url, got.String())
		}
	}
}

// selfSigned is a certificate for 127.0.0.1 and a client config trusting it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

func startCatcher(t *testing.T, cfg mailcatcher.Config) *mailcatcher.Catcher {
	t.Helper()
	cfg.Dir = t.TempDir()
	c, err := mailcatcher.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func relayFor(t *testing.T, c *mailcatcher.Catcher, mode TLSMode, user, pass string) Relay {
	t.Helper()
	host, port, _ := net.SplitHostPort(c.Addr())
	p, _ := strconv.Atoi(port)
	return Relay{Host: host, Port: p, TLS: mode, Username: user, Password: pass}
}

func testMessage(to string) Message {
	return Message{From: "Prequal Portal <no-reply@portal.test>", To: to, Subject: "Your $12,000 loan request: received",
		Text: "Hello Ann,\n\nOpen http://portal.test/resume/abc\n", HTML: `<p>Hello Ann, <a href="http://portal.test/resume/abc">continue</a></p>`,
		MessageID: "<cafe01@portal.test>", Date: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func TestSendDeliversBothPartsWithStableHeaders(t *testing.T) {
	c := startCatcher(t, mailcatcher.Config{})
	s := NewSender(relayFor(t, c, TLSNone, "", ""), 5*time.Second)
	if err := s.Send(context.Background(), testMessage("ann@example.com")); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Messages(0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("caught %d messages (%v)", len(msgs), err)
	}
	m := msgs[0]
	checks := map[string][2]string{
		"subject":        {m.Subject, "Your $12,000 loan request: received"},
		"message-id":     {m.MessageID, "<cafe01@portal.test>"},
		"auto-submitted": {m.Get("Auto-Submitted"), "auto-generated"},
		"envelope to":    {m.Get("Delivered-To"), "ann@example.com"},
		"from":           {m.From, `"Prequal Portal" <no-reply@portal.test>`},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s: %q, want %q", name, c[0], c[1])
		}
	}
	if !strings.Contains(m.Text, "Open http://portal.test/resume/abc") || !strings.Contains(m.HTML, `href="http://portal.test/resume/abc"`) {
		t.Errorf("parts: text %q html %q", m.Text, m.HTML)
	}
	if len(m.Links) != 1 || m.Links[0] != "http://portal.test/resume/abc" {
		t.Errorf("links %q", m.Links)
	}
}

func TestSendRequiresTLSUnlessTold(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	ctx := context.Background()

	plain := startCatcher(t, mailcatcher.Config{})
	s := NewSender(relayFor(t, plain, TLSStartTLS, "", ""), 5*time.Second)
	s.TLSConfig = clientTLS
	err := s.Send(ctx, testMessage("ann@example.com"))
	if err == nil || IsPermanent(err) {
		t.Fatalf("STARTTLS required but the relay offers none: err %v (want a retryable failure)", err)
	}
	if n, _ := plain.Count(); n != 0 {
		t.Fatal("a message went out in clear text to a relay without STARTTLS")
	}

	starttls := startCatcher(t, mailcatcher.Config{TLS: serverTLS, Username: "portal", Password: "s3cret"})
	s = NewSender(relayFor(t, starttls, TLSStartTLS, "portal", "s3cret"), 5*time.Second)
	s.TLSConfig = clientTLS
	if err := s.Send(ctx, testMessage("ann@example.com")); err != nil {
		t.Fatalf("STARTTLS with AUTH PLAIN: %v", err)
	}
	s = NewSender(relayFor(t, starttls, TLSStartTLS, "portal", "wrong"), 5*time.Second)
	s.TLSConfig = clientTLS
	if err := s.Send(ctx, testMessage("ann@example.com")); err == nil || IsPermanent(err) {
		t.Errorf("wrong password: %v (want a retryable failure: an operator fixes credentials)", err)
	}
	// An untrusted certificate is refused.
	s = NewSender(relayFor(t, starttls, TLSStartTLS, "portal", "s3cret"), 5*time.Second)
	if err := s.Send(ctx, testMessage("ann@example.com")); err == nil {
		t.Error("a relay with an untrusted certificate was accepted")
	}
	if n, _ := starttls.Count(); n != 1 {
		t.Errorf("%d messages over STARTTLS, want 1", n)
	}

	implicit := startCatcher(t, mailcatcher.Config{TLS: serverTLS, ImplicitTLS: true})
	s = NewSender(relayFor(t, implicit, TLSImplicit, "", ""), 5*time.Second)
	s.TLSConfig = clientTLS
	if err := s.Send(ctx, testMessage("ann@example.com")); err != nil {
		t.Fatalf("implicit TLS: %v", err)
	}
}

func TestSendClassifiesFailures(t *testing.T) {
	ctx := context.Background()
	c := startCatcher(t, mailcatcher.Config{})
	s := NewSender(relayFor(t, c, TLSNone, "", ""), 5*time.Second)

	c.SetRefusing(true)
	if err := s.Send(ctx, testMessage("ann@example.com")); err == nil || IsPermanent(err) {
		t.Errorf("451: %v, want a retryable failure", err)
	}
	c.SetRefusing(false)
	err := s.Send(ctx, testMessage("bounce+x@example.com"))
	if !IsPermanent(err) {
		t.Errorf("550 to the recipient: %v, want a permanent failure", err)
	}
	if err != nil && (strings.Contains(err.Error(), "bounce+x@example.com") || !strings.Contains(err.Error(), "b***@example.com")) {
		t.Errorf("the failure does not mask the address: %v", err)
	}
	if n, _ := c.Count(); n != 0 {
		t.Errorf("%d messages caught from refused sends", n)
	}

	addr := c.Addr()
	c.Close()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	down := NewSender(Relay{Host: host, Port: p, TLS: TLSNone}, 2*time.Second)
	if err := down.Send(ctx, testMessage("ann@example.com")); err == nil || IsPermanent(err) {
		t.Errorf("relay down: %v, want a retryable failure", err)
	}
}
