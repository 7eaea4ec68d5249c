package handlers

import (
	"net/http"
	"testing"

	"prequal/lending"
)

// Every borrower page describes itself for search results and link previews:
// one <meta name="description">, not empty.
func TestBorrowerPagesHaveAMetaDescription(t *testing.T) {
	p := newTestPortal(t)
	withOffers := p.submit(p.client, validFormValues("meta2@example.com"))
	p.update(p.leadFor(withOffers), lending.LeadOffersFound, testOffers("https://lender.example/"), nil)
	waiting := p.submit(p.client, validFormValues("meta1@example.com"))
	seen := map[string]string{}
	for _, path := range []string{"/", "/apply", "/applications/" + waiting, "/applications/" + withOffers, "/no-such-page"} {
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
