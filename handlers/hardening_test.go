package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// production is the option of newTestPortal for a production portal.
func production(cfg *Config) { cfg.Production, cfg.Site.Stage = true, false }

// Production tells browsers to use https only (HSTS); stage, served over plain
// http on a developer's machine, does not.
func TestHSTSInProductionOnly(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []func(*Config)
		want bool
	}{{"stage", nil, false}, {"production", []func(*Config){production}, true}} {
		p := newTestPortal(t, tt.opts...)
		for _, path := range []string{"/", "/apply", "/healthz", "/no-such-page"} {
			resp, _ := p.get(p.client, path)
			hsts := resp.Header.Get("Strict-Transport-Security")
			if !tt.want {
				if hsts != "" {
					t.Errorf("%s %s: Strict-Transport-Security %q", tt.name, path, hsts)
				}
				continue
			}
			age, ok := strings.CutPrefix(hsts, "max-age=")
			n, err := strconv.Atoi(strings.SplitN(age, ";", 2)[0])
			if !ok || err != nil || n < 365*24*3600 {
				t.Errorf("%s %s: Strict-Transport-Security %q, want max-age of a year or more", tt.name, path, hsts)
			}
		}
	}
}

var _ = http.StatusOK
