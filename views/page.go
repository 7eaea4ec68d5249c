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
	Title          string
	RefreshSeconds int
	RefreshURL     string
	Nav            []NavLink
}

// NavLink is an entry of the header navigation.
type NavLink struct{ Href, Label string }

func (p Page) refreshContent() string {
	return fmt.Sprintf("%d; url=%s", p.RefreshSeconds, p.RefreshURL)
}

func (p Page) fullTitle() string {
	if p.Title == "" {
		return "Prequal Portal"
	}
	return p.Title + " — Prequal Portal"
}

func itoa(n int) string { return fmt.Sprint(n) }
