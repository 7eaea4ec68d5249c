package handlers

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// The client's address and scheme, as every feature must see them: c.RealIP()
// and c.Scheme() answer from the extractors below, so the consent evidence, the
// velocity rules, sign-in throttling and any later rate limit or throttle all
// use one definition. Nothing may read X-Forwarded-For, X-Real-IP or
// X-Forwarded-Proto itself.
//
// A forwarding header is believed only when the connection comes from a trusted
// proxy (PORTAL_TRUSTED_PROXIES). X-Forwarded-For is then read right to left:
// each trusted hop is skipped, and the first address that is not a trusted proxy
// is the client (anything further left was written by the client and proves
// nothing). With no trusted proxies, the connection's address is the client.

// ipExtractor is Echo's IPExtractor for the trusted proxies.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	// Echo trusts loopback, link-local and private ranges by default; only the
	// configured ranges are trusted here.
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(prefixNet(p)))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// schemeExtractor is Echo's SchemeExtractor: "https" when the connection is TLS,
// or when a trusted proxy says so in X-Forwarded-Proto; otherwise "http".
func schemeExtractor(trusted []netip.Prefix) func(*http.Request) string {
	return func(r *http.Request) string {
		if r.TLS != nil {
			return "https"
		}
		if fromTrustedProxy(r, trusted) && strings.EqualFold(strings.TrimSpace(r.Header.Get(echo.HeaderXForwardedProto)), "https") {
			return "https"
		}
		return "http"
	}
}

// fromTrustedProxy reports whether the connection's peer is a trusted proxy.
func fromTrustedProxy(r *http.Request, trusted []netip.Prefix) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func prefixNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
