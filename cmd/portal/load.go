package main

import (
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"prequal/handlers"
)

// busyHold is how long a saturated moment keeps the server busy: long enough
// that background work does not burst in between two waves of requests.
const busyHold = 250 * time.Millisecond

// serverLoad tells background work (webhook deliveries) whether the HTTP
// server is saturated by people's and partners' requests: a request that finds
// more of them in flight than the process has cores marks it busy for
// busyHold. A quiet or lightly used portal is never busy, so its background
// work goes at full speed. The embedded stage platform's own requests (the
// worker's calls to it) are not counted: they stand for a platform that in
// production runs elsewhere.
type serverLoad struct {
	inFlight  atomic.Int64
	busyUntil atomic.Int64 // unix nanoseconds
	cores     int64
}

func newServerLoad() *serverLoad {
	return &serverLoad{cores: int64(runtime.GOMAXPROCS(0))}
}

// wrap counts h's requests in flight.
func (l *serverLoad) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, handlers.SandboxPrefix+"/") {
			h.ServeHTTP(w, r)
			return
		}
		if l.inFlight.Add(1) > l.cores {
			l.busyUntil.Store(time.Now().Add(busyHold).UnixNano())
		}
		defer l.inFlight.Add(-1)
		h.ServeHTTP(w, r)
	})
}

// Busy reports whether the server was saturated within the last busyHold.
func (l *serverLoad) Busy() bool {
	return time.Now().UnixNano() < l.busyUntil.Load()
}
