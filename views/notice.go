package views

import (
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// noticePolicy is the one policy every adverse action notice goes through before
// it reaches a page, borrower's or officer's. It keeps ordinary text formatting,
// headings, lists, tables and https links; everything else — scripts, styles,
// event handlers, hx-*/data-* attributes, forms, iframes, images, and
// javascript:/data: URLs — is dropped. Built once: policies are safe for
// concurrent use.
var noticePolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "strong", "b", "em", "i", "u", "small", "sub", "sup",
		"h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "span", "div", "section", "address")
	p.AllowAttrs("colspan", "rowspan").Matching(regexp.MustCompile(`^[0-9]{1,2}$`)).OnElements("td", "th")
	p.AllowAttrs("scope").Matching(regexp.MustCompile(`^(row|col|rowgroup|colgroup)$`)).OnElements("th")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("https")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

// inertPatterns are sequences that are harmless in text but that no notice may
// carry anywhere, so that "the output never contains javascript:, hx- or on…="
// holds literally: each is written with a character reference instead, which
// reads the same on screen.
var inertPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(?i)(javascript):`), "$1&#58;"},
	{regexp.MustCompile(`(?i)(hx)-`), "$1&#45;"},
	{regexp.MustCompile(`(?i)(\son[a-z]*)(\s*)=`), "$1$2&#61;"},
}

// SanitizeNotice returns the notice HTML with only what noticePolicy allows,
// as a balanced fragment of the element it is shown in.
func SanitizeNotice(notice string) string {
	out := balanced(noticePolicy.Sanitize(notice))
	for _, p := range inertPatterns {
		out = p.re.ReplaceAllString(out, p.repl)
	}
	return out
}

// noticeContainer is the element a notice is rendered into (a div in the
// disclosure on the borrower's and the officer's page).
var noticeContainer = &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}

// balanced re-serialises a sanitized notice the way a browser would build it
// inside its container: parsed as a fragment of that element and rendered
// back. Stray end tags (</div></details>…) disappear and every element it
// opens is closed, so the notice can neither escape its container nor swallow
// what follows it (an open <table> would take the footer in).
func balanced(fragment string) string {
	nodes, err := html.ParseFragment(strings.NewReader(fragment), noticeContainer)
	if err != nil {
		return html.EscapeString(fragment) // the parser reads from memory; it does not fail
	}
	var b strings.Builder
	for _, n := range nodes {
		if err := html.Render(&b, n); err != nil {
			return html.EscapeString(fragment)
		}
	}
	return b.String()
}
