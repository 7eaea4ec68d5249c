package mailcatcher

import (
	"net/smtp"
	"strings"
	"testing"
)

const rawMessage = "From: \"Prequal Portal\" <no-reply@portal.test>\r\n" +
	"To: <ann@example.com>\r\n" +
	"Subject: =?UTF-8?q?Your_$12,000_loan_request:_received?=\r\n" +
	"Message-ID: <abc@portal.test>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative;\r\n boundary=\"b1\"\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
	"Hello Ann,=0A=0AOpen http://portal.test/resume/x=\r\n.y\r\n" +
	"--b1\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\n" +
	"PHA+PGEgaHJlZj0iaHR0cDovL3BvcnRhbC50ZXN0L3Jlc3VtZS94LnkiPk9wZW48L2E+IDxh\r\nIGhyZWY9ImphdmFzY3JpcHQ6YWxlcnQoMSkiPng8L2E+PC9wPg==\r\n" +
	"--b1--\r\n"

// TestCatchKeepAndRead sends a message over real SMTP, reads it back decoded,
// and reads it again from a new catcher on the same directory (a restart).
func TestCatchKeepAndRead(t *testing.T) {
	dir := t.TempDir()
	c, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := smtp.SendMail(c.Addr(), nil, "no-reply@portal.test", []string{"ann@example.com"}, []byte(rawMessage)); err != nil {
		t.Fatal(err)
	}
	c.SetRefusing(true)
	if err := smtp.SendMail(c.Addr(), nil, "no-reply@portal.test", []string{"ann@example.com"}, []byte(rawMessage)); err == nil || !strings.Contains(err.Error(), "451") {
		t.Errorf("refusing: %v, want a 451", err)
	}
	c.SetRefusing(false)
	if err := smtp.SendMail(c.Addr(), nil, "no-reply@portal.test", []string{"bounce@example.com"}, []byte(rawMessage)); err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("bounce address: %v, want a 550", err)
	}

	again, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := again.Messages(0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d messages (%v), want 1", len(msgs), err)
	}
	m := msgs[0]
	if m.Subject != "Your $12,000 loan request: received" || m.MessageID != "<abc@portal.test>" ||
		m.Get("Return-Path") != "<no-reply@portal.test>" || m.Get("Delivered-To") != "ann@example.com" || m.CaughtAt.IsZero() {
		t.Errorf("headers: %+v", m.Headers)
	}
	if m.Text != "Hello Ann,\n\nOpen http://portal.test/resume/x.y" {
		t.Errorf("text %q", m.Text)
	}
	if !strings.Contains(m.HTML, `href="http://portal.test/resume/x.y"`) || len(m.Links) != 1 || m.Links[0] != "http://portal.test/resume/x.y" {
		t.Errorf("html %q links %q (javascript: links are not listed)", m.HTML, m.Links)
	}
	if _, err := again.Message("../../etc/passwd"); err != ErrNotFound {
		t.Errorf("a path as id: %v", err)
	}
}
