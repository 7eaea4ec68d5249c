package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// checkMetricsAddr accepts a listen address for /metrics only on a loopback or
// private network address: the figures are for the operator's scraper, not for
// the internet. An unspecified host (":9100", "0.0.0.0:9100") would listen on
// every interface, public ones included.
func checkMetricsAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("must be host:port, such as 127.0.0.1:9100 (%v)", err)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !(ip.IsLoopback() || ip.IsPrivate()) {
		return errors.New("must be a loopback or private address such as 127.0.0.1:9100 or 10.0.0.5:9100, not a public or unspecified one")
	}
	return nil
}

// startMetrics serves metrics on addr (PORTAL_METRICS_ADDR) until ctx ends;
// it is off when addr is empty.
func startMetrics(ctx context.Context, addr string, h http.Handler, log *slog.Logger) (net.Addr, error) {
	if addr == "" {
		return nil, nil
	}
	if err := checkMetricsAddr(addr); err != nil {
		return nil, fmt.Errorf("PORTAL_METRICS_ADDR %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("PORTAL_METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "error", err)
		}
	}()
	log.Info("metrics listening (PORTAL_METRICS_ADDR)", "addr", ln.Addr().String())
	return ln.Addr(), nil
}
