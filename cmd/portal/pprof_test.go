package main

import (
	"context"
	"io"
	"net/http"
	"testing"
)

func TestPprofListenerIsLoopbackOnly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := newLogger(io.Discard)
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "example.com:6060", "nonsense"} {
		if err := startPprof(ctx, addr, log); err == nil {
			t.Errorf("startPprof(%q) accepted an address that is not loopback", addr)
		}
	}
	if err := startPprof(ctx, "", log); err != nil {
		t.Errorf("off by default: %v", err)
	}
	addr := freeLoopbackAddr(t)
	if err := startPprof(ctx, addr, log); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/debug/pprof/: %d", resp.StatusCode)
	}
}
