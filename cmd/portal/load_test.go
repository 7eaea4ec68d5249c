package main

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestServerLoadIsBusyOnlyWhileRequestsQueueForTheCores(t *testing.T) {
	l := &serverLoad{cores: 2}
	release := make(chan struct{})
	h := l.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	serve := func(n int) *sync.WaitGroup {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil)) })
		}
		return &wg
	}

	// As many requests as cores: not busy.
	wg := serve(2)
	for l.inFlight.Load() != 2 {
		time.Sleep(time.Millisecond)
	}
	if l.Busy() {
		t.Error("busy with as many requests in flight as cores")
	}
	// One more: busy, and still busy for a moment after they all finished.
	more := serve(1)
	for l.inFlight.Load() != 3 {
		time.Sleep(time.Millisecond)
	}
	if !l.Busy() {
		t.Error("not busy with more requests in flight than cores")
	}
	close(release)
	wg.Wait()
	more.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for l.Busy() {
		if time.Now().After(deadline) {
			t.Fatal("still busy long after every request finished")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServerLoadLeavesTheEmbeddedPlatformOut(t *testing.T) {
	l := &serverLoad{cores: 1}
	release := make(chan struct{})
	h := l.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/sandbox/v1/leads", nil))
		})
	}
	time.Sleep(50 * time.Millisecond)
	if l.Busy() || l.inFlight.Load() != 0 {
		t.Errorf("the embedded platform's requests counted as load (%d in flight)", l.inFlight.Load())
	}
	close(release)
	wg.Wait()
}
