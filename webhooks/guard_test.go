package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"prequal/lending"
)

// fakeResolver answers every name from a table.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func TestGuardRefusesInternalHostsInProductionAtSaveTime(t *testing.T) {
	addrs := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, a := range s {
			out = append(out, netip.MustParseAddr(a))
		}
		return out
	}
	prod := Guard{Production: true, Resolver: fakeResolver{
		"hooks.partner.example":  addrs("93.184.216.34"),
		"rebind.partner.example": addrs("127.0.0.1"), // a public-looking name that resolves to loopback
		"mixed.partner.example":  addrs("93.184.216.34", "10.1.2.3"),
		"v6.partner.example":     addrs("::ffff:169.254.169.254"),
	}}
	refused := []string{
		"https://rebind.partner.example/hooks",
		"https://mixed.partner.example/hooks",
		"https://v6.partner.example/hooks",
		"https://127.0.0.1/hooks",
		"https://[::1]/hooks",
		"https://10.0.0.8/hooks",
		"https://172.16.5.4/hooks",
		"https://192.168.1.10/hooks",
		"https://169.254.169.254/latest/meta-data",
		"https://[fe80::1]/hooks",
		"https://224.0.0.1/hooks",
		"https://0.0.0.0/hooks",
		"https://100.64.0.1/hooks",
		"https://[fd00:ec2::254]/hooks",
	}
	for _, u := range refused {
		err := prod.CheckURL(context.Background(), u)
		if !errors.Is(err, ErrForbiddenAddress) || !strings.Contains(err.Error(), "loopback, private, link-local, multicast or metadata") {
			t.Errorf("CheckURL(%s) = %v, want a refusal saying why", u, err)
		}
	}
	// The real resolver: localhost resolves to 127.0.0.1.
	if err := (Guard{Production: true}).CheckURL(context.Background(), "https://localhost:8443/hooks"); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("https://localhost refused with %v, want ErrForbiddenAddress", err)
	}
	if err := prod.CheckURL(context.Background(), "https://hooks.partner.example/hooks"); err != nil {
		t.Errorf("a public https endpoint was refused: %v", err)
	}
	if err := prod.CheckURL(context.Background(), "http://hooks.partner.example/hooks"); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("production accepted http: %v", err)
	}
	if err := prod.CheckURL(context.Background(), "https://nowhere.partner.example/"); err == nil || !strings.Contains(err.Error(), "does not resolve") {
		t.Errorf("unresolvable host: %v", err)
	}

	stage := Guard{}
	for _, ok := range []string{"http://127.0.0.1:9000/hooks", "http://localhost:9000/hooks", "http://[::1]:9000/", "https://hooks.partner.example/"} {
		if err := stage.CheckURL(context.Background(), ok); err != nil {
			t.Errorf("stage refused %s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://hooks.partner.example/", "ftp://127.0.0.1/", "https://user:pw@hooks.partner.example/", "/relative", ""} {
		if err := stage.CheckURL(context.Background(), bad); err == nil {
			t.Errorf("stage accepted %q", bad)
		}
	}
}

func TestGuardRefusesAtConnectTime(t *testing.T) {
	// The endpoint passed the save-time check when its name resolved elsewhere;
	// now it leads to loopback. The dialer refuses, and nothing arrives.
	h := newHarness(t)
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	ep, _ := h.endpoint(url, lending.EventJourneySnapshot)
	h.run(Config{Guard: Guard{Production: true}})
	h.event(lending.EventJourneySnapshot, map[string]int{"n": 1})
	h.waitRecorded(ep.ID, 1)
	d := h.one(ep.ID)
	if d.StatusCode != 0 || !strings.Contains(d.Error, "refused to connect") || !strings.Contains(d.Error, "loopback") {
		t.Errorf("delivery = %+v, want a connect-time refusal", d)
	}
	if hits.Load() != 0 {
		t.Errorf("the receiver on loopback got %d requests", hits.Load())
	}
}
