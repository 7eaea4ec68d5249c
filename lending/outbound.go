package lending

import (
	"net/url"
	"strings"
)

// OutboundURLAllowed reports whether the portal may send a borrower to raw: an
// https URL, or — in stage only, when stageLenderPrefix is set — a page of the
// stage platform's own lenders (plain http on loopback). Nothing else, whatever
// the platform stored.
func OutboundURLAllowed(raw, stageLenderPrefix string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	return stageLenderPrefix != "" && u.Scheme == "http" && strings.HasPrefix(raw, stageLenderPrefix) &&
		!strings.Contains(raw[len(stageLenderPrefix):], "..")
}
