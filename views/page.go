// Package views renders the portal's pages and fragments with templ. Every
// component takes a typed view model; nothing here touches the database.
package views

import (
	"fmt"
	"strings"

	"github.com/a-h/templ"
)

// Site is what every page needs from the running portal.
type Site struct {
	Stage bool // show the stage banner and QA links
	// CSS is the site's stylesheet (static/assets/app.css) and CSSURL its
	// content-hashed URL. A page without scripts carries the stylesheet inline
	// in its head: such a page reaches DOMContentLoaded as soon as it is parsed,
	// before a linked stylesheet has arrived, and Chromium (its form handling,
	// on every page with a form) then styles and lays out the whole page
	// without the sheet, default fonts and all, only to do it all again when
	// the sheet comes. A page with htmx links the sheet, which browsers cache:
	// its deferred script waits for the sheet, and DOMContentLoaded for the
	// script, so that page is laid out once either way. The CSP allows the
	// inline <style> by its hash (handlers' securityHeaders).
	CSS     string
	CSSURL  string
	HTMXURL string // content-hashed htmx URL
}

// CheckInlineCSS reports whether css can go inside a <style> element as is:
// text that ends the element early would end the stylesheet there.
func CheckInlineCSS(css string) error {
	if strings.Contains(strings.ToLower(css), "</style") {
		return fmt.Errorf("views: the stylesheet contains </style and cannot be inlined")
	}
	return nil
}

// inlineStyle is the site's stylesheet as its page's <style> element (nothing
// when there is none). css is the portal's own asset, checked by CheckInlineCSS.
func inlineStyle(css string) templ.Component {
	if css == "" {
		return templ.NopComponent
	}
	return templ.Raw("<style>" + css + "</style>")
}

// Page is one page's frame: the site, its title, and an optional no-JavaScript
// refresh (a <meta http-equiv="refresh"> that stands in for htmx polling).
type Page struct {
	Site
	Title string
	// Description is the page's <meta name="description"> (search results and
	// link previews show it); "" gives the site's.
	Description    string
	RefreshSeconds int
	RefreshURL     string
	Nav            []NavLink
	// htmx loads the htmx script: only pages with hx- attributes need it
	// (withHTMX); the others spare the phone its download and its parsing.
	htmx bool
}

// withHTMX is p with the htmx script.
func (p Page) withHTMX() Page {
	p.htmx = true
	return p
}

// NavLink is an entry of the header navigation.
type NavLink struct{ Href, Label string }

func (p Page) refreshContent() string {
	return fmt.Sprintf("%d; url=%s", p.RefreshSeconds, p.RefreshURL)
}

// siteDescription describes any page that has no description of its own.
const siteDescription = "Check your personal loan rate with several lenders at once. Checking your rate is a soft credit inquiry: it does not affect your credit score."

func (p Page) description() string {
	if p.Description == "" {
		return siteDescription
	}
	return p.Description
}

func (p Page) fullTitle() string {
	if p.Title == "" {
		return "Prequal Portal"
	}
	return p.Title + " — Prequal Portal"
}

func itoa(n int) string { return fmt.Sprint(n) }
