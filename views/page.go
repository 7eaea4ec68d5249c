// Package views renders the portal's pages and fragments with templ. Every
// component takes a typed view model; nothing here touches the database.
package views

import "fmt"

// Site is what every page needs from the running portal.
type Site struct {
	Stage   bool   // show the stage banner and QA links
	CSSURL  string // content-hashed stylesheet URL
	HTMXURL string // content-hashed htmx URL
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
