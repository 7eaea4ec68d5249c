package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"prequal/lending"
	"prequal/views"
)

// Every borrower page describes itself for search results and link previews:
// one <meta name="description">, not empty.
func TestBorrowerPagesHaveAMetaDescription(t *testing.T) {
	p := newTestPortal(t)
	withOffers := p.submit(p.client, validFormValues("meta2@example.com"))
	p.update(p.leadFor(withOffers), lending.LeadOffersFound, testOffers("https://lender.example/"), nil)
	waiting := p.submit(p.client, validFormValues("meta1@example.com"))
	seen := map[string]string{}
	for _, path := range []string{"/", "/apply", "/resume", "/applications/" + waiting, "/applications/" + withOffers, "/no-such-page"} {
		resp, body := p.get(p.client, path)
		if resp.StatusCode != http.StatusOK && path != "/no-such-page" {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		metas := doc(t, body).Find(`head meta[name="description"]`)
		content, _ := metas.Attr("content")
		if metas.Length() != 1 || len(content) < 50 {
			t.Errorf("GET %s: %d descriptions, %q", path, metas.Length(), content)
		}
		seen[path] = content
	}
	if seen["/"] == seen["/apply"] || seen["/apply"] == seen["/applications/"+waiting] {
		t.Errorf("the main pages share a description: %v", seen)
	}
}

// A page loads the htmx script exactly when it has hx- attributes: the others
// (the offers, the home page, an error) spare the phone its download and parse.
func TestHTMXIsLoadedWhereItIsUsed(t *testing.T) {
	withHTMX := func(c *Config) { c.Site.HTMXURL = "/static/htmx.min.0123456789ab.js" }
	p := newAdminPortal(t, withHTMX)
	offers := p.submit(p.client, validFormValues("htmx1@example.com"))
	p.update(p.leadFor(offers), lending.LeadOffersFound, testOffers("https://lender.example/"), nil)
	notice := "No offers."
	none := p.submit(p.client, validFormValues("htmx2@example.com"))
	p.update(p.leadFor(none), lending.LeadNoOffers, nil, &notice)
	timedOut := p.submit(p.client, validFormValues("htmx3@example.com"))
	p.update(p.leadFor(timedOut), lending.LeadTimedOut, nil, nil)
	waiting := p.submit(p.client, validFormValues("htmx4@example.com"))

	admin := p.officer("admin@bank.example", lending.RoleAdmin)
	pages := map[string]*http.Client{
		"/": p.client, "/apply": p.client, "/resume": p.client, "/no-such-page": p.client, "/qa": p.client, "/qa/mail": p.client,
		"/applications/" + offers: p.client, "/applications/" + none: p.client,
		"/applications/" + timedOut: p.client, "/applications/" + waiting: p.client,
		"/admin": admin, "/admin/applications": admin, "/admin/applications/" + offers: admin, "/admin/signin": newBrowserClient(),
	}
	usesHTMX := map[string]bool{}
	for path, client := range pages {
		_, body := p.get(client, path)
		d := doc(t, body)
		hx := false
		d.Find("*").Each(func(_ int, sel *goquery.Selection) {
			for _, a := range sel.Nodes[0].Attr {
				hx = hx || strings.HasPrefix(a.Key, "hx-")
			}
		})
		script := d.Find(`script[src="/static/htmx.min.0123456789ab.js"]`).Length() == 1
		if hx != script {
			t.Errorf("GET %s: hx- attributes %v, htmx script %v", path, hx, script)
		}
		// The stylesheet: linked (cached) where the deferred script makes
		// DOMContentLoaded wait for it, inline everywhere else.
		linked := d.Find(`link[rel="stylesheet"][href="/static/app.css"]`).Length()
		inline := d.Find(`head > style`).Length()
		if styles := d.Find("style").Length(); (script && (linked != 1 || styles != 0)) || (!script && (linked != 0 || inline != 1 || styles != 1 || d.Find("head > style").Text() != testCSS)) {
			t.Errorf("GET %s (htmx %v): %d stylesheet links, %d <style> (%d in the head)", path, script, linked, styles, inline)
		}
		usesHTMX[path] = hx
	}
	for _, path := range []string{"/apply", "/applications/" + waiting, "/applications/" + timedOut, "/admin/applications"} {
		if !usesHTMX[path] {
			t.Errorf("GET %s does not use htmx: the test no longer covers a page that does", path)
		}
	}
}

// The partners' and the officers' pages describe themselves too, as what they
// are (not as the borrowers' rate check), and the API reference in its own words.
func TestDeveloperAndOfficerPagesHaveTheirOwnDescription(t *testing.T) {
	p := newAdminPortal(t)
	partner := p.partner("meta@partner.example")
	admin := p.officer("admin@bank.example", lending.RoleAdmin)
	anon := newBrowserClient()
	want := map[string]string{
		"/developers/register": views.DevelopersDescription, "/developers/signin": views.DevelopersDescription,
		"/developers/docs": views.APIReferenceDescription, "/developers": views.DevelopersDescription,
		"/admin/signin": views.AdminDescription, "/admin": views.AdminDescription, "/admin/partners": views.AdminDescription,
		"/admin/api-keys": views.AdminDescription,
	}
	clients := map[string]*http.Client{"/developers/register": anon, "/developers/signin": anon, "/developers/docs": anon,
		"/developers": partner, "/admin/signin": anon, "/admin": admin, "/admin/partners": admin, "/admin/api-keys": admin}
	for path, desc := range want {
		resp, body := p.get(clients[path], path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		metas := doc(t, body).Find(`head meta[name="description"]`)
		if content, _ := metas.Attr("content"); metas.Length() != 1 || content != desc {
			t.Errorf("GET %s: %d descriptions, %q", path, metas.Length(), content)
		}
	}
}
