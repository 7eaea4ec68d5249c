package handlers

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// allowHosts refuses (421) a request whose Host is not the portal's own: the
// host of PORTAL_BASE_URL, and in stage also a loopback name (localhost,
// *.localhost, 127.0.0.0/8, ::1). This stops DNS rebinding — a page on
// attacker.example whose name is made to resolve to 127.0.0.1 is, to the
// browser, same-origin with itself, so it could drive a developer's stage
// portal (/qa/controls, /sandbox/controls) past the cross-origin check. Only the
// host name is compared, not the port. The probes (/healthz, /readyz) and
// /metrics, which load balancers and scrapers call by address and which change
// nothing, are exempt.
func (s *Server) allowHosts(next echo.HandlerFunc) echo.HandlerFunc {
	public := hostName(s.cfg.PublicHost)
	return func(c echo.Context) error {
		switch c.Path() {
		case "/healthz", "/readyz", "/metrics":
			return next(c)
		}
		host := hostName(c.Request().Host)
		if (public != "" && host == public) || (!s.cfg.Production && loopbackName(host)) {
			return next(c)
		}
		return echo.NewHTTPError(http.StatusMisdirectedRequest, "This address does not serve this site.")
	}
}

// hostName is the lower-case host name of a Host header value (or host:port),
// without its port, brackets or trailing dot.
func hostName(hostport string) string {
	h := strings.ToLower(strings.TrimSpace(hostport))
	if name, _, err := net.SplitHostPort(h); err == nil {
		h = name
	}
	return strings.TrimSuffix(strings.Trim(h, "[]"), ".")
}

// loopbackName reports whether a host name always means this machine.
func loopbackName(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
