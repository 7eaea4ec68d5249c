package handlers

import (
	"bufio"
	"compress/gzip"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"prequal/compression"
)

// compressMinBytes is the smallest body worth compressing: one that fits in a
// TCP segment arrives no sooner for being smaller, and the checking-rates
// fragment, the hottest response, stays below it.
const compressMinBytes = 1400

// mayCompress is the BREACH judgement: which responses may be compressed at
// all. BREACH recovers a secret from a compressed response's length when an
// attacker can make the victim's browser send, with its credentials, many
// requests whose responses reflect text of the attacker's choosing next to
// that secret. So:
//
//   - People's pages answer GET (and HEAD) only. Cross-site requests carry the
//     borrower's cookie only on top-level GET navigations (SameSite=Lax), and
//     the portal's GET pages reflect nothing a request chooses: query values
//     are matched against fixed lists (sort, QA scenario ids), never echoed.
//     What they hold that must stay secret — the form's idempotency key,
//     session-bound application ids — is thus never next to attacker text.
//     Responses to POSTs (a form re-rendered with the borrower's input next to
//     its key) are never compressed, whether or not a cross-site POST could
//     reach them (http.CrossOriginProtection refuses those).
//   - Officers' pages (/admin, partners' among them) are never compressed:
//     they show personal data, revealed SSNs and API keys shown once, and
//     reflect search text.
//   - Partners' pages (/developers) are compressed on GET: a key's secret is
//     shown only in the answer to the POST that made or rotated it, and the
//     GET pages reflect no request text but the sign-in page's next path,
//     which only someone signed out sees (a session is sent on at once).
//   - Pages that carry a bearer secret are never compressed, reflection or
//     not: a resume link's page (/resume/{token}) holds its single-use token,
//     and stage's caught emails (/qa/mail) hold resume links.
//   - The JSON API is compressed whatever its method: it authenticates by a
//     header that a browser sends cross-site only after a CORS preflight the
//     portal never grants, so no attacker page can make a victim's client
//     send requests carrying the key, and a response never contains a key.
//     The OpenAPI document (/api/openapi.json) is public text.
//   - The embedded stage platform (/sandbox, stage only) is not compressed:
//     its one client is the portal itself over loopback, where compression
//     buys nothing and costs both ends CPU.
//
// Static assets are compressed at build time and served by static.Assets.
func mayCompress(req *http.Request) bool {
	path := req.URL.Path
	switch {
	case strings.HasPrefix(path, "/api/"):
		return true
	case strings.HasPrefix(path, "/admin"), strings.HasPrefix(path, "/static/"), strings.HasPrefix(path, SandboxPrefix+"/"),
		strings.HasPrefix(path, "/resume/"), strings.HasPrefix(path, "/qa/mail"):
		return false
	}
	return req.Method == http.MethodGet || req.Method == http.MethodHead
}

// compressedType reports whether a Content-Type gains from compression.
func compressedType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	switch strings.TrimSpace(mt) {
	case echo.MIMETextHTML, echo.MIMEApplicationJSON:
		return true
	}
	return false
}

// compress gzips the HTML and JSON responses mayCompress allows, of at least
// compressMinBytes, for clients that accept gzip. Such responses vary by
// Accept-Encoding whether or not this one is compressed, and say so (Vary).
func compress(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if !mayCompress(req) {
			return next(c)
		}
		resp := c.Response()
		w := gzipWriterPool.Get().(*gzipResponse)
		w.ResponseWriter, w.accept = resp.Writer, req.Header.Get(echo.HeaderAcceptEncoding)
		resp.Writer = w
		defer func() {
			w.finish()
			resp.Writer = w.ResponseWriter
			*w = gzipResponse{}
			gzipWriterPool.Put(w)
		}()
		return next(c)
	}
}

var gzipWriterPool = sync.Pool{New: func() any { return new(gzipResponse) }}

// Shared header values of compressed responses (see headerValue).
var (
	headerGzip        = sharedHeader(echo.HeaderContentEncoding, compression.Gzip)
	headerVaryEncoded = sharedHeader(echo.HeaderVary, echo.HeaderAcceptEncoding)
)

// gzipResponse holds back the status until the first write, when it knows
// the body's type and the first write's size; then it either compresses the
// body or passes everything through untouched. The portal's handlers write a
// page or a JSON document in one write.
type gzipResponse struct {
	http.ResponseWriter
	accept  string // the request's Accept-Encoding
	status  int    // held back until decided
	decided bool
	gz      *gzip.Writer // set when compressing
}

func (w *gzipResponse) WriteHeader(status int) {
	if w.decided {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.status = status
}

func (w *gzipResponse) Write(b []byte) (int, error) {
	if !w.decided {
		w.decide(len(b))
	}
	if w.gz != nil {
		return w.gz.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// decide chooses, at the first write of n bytes, whether to compress, and
// sends the status held back.
func (w *gzipResponse) decide(n int) {
	w.decided = true
	if w.status == 0 {
		w.status = http.StatusOK
	}
	h := w.Header()
	if n >= compressMinBytes && w.status >= 200 && w.status != http.StatusNoContent && w.status != http.StatusNotModified &&
		h.Get(echo.HeaderContentEncoding) == "" && compressedType(h.Get(echo.HeaderContentType)) {
		if len(h[echo.HeaderVary]) == 0 {
			h[headerVaryEncoded.name] = headerVaryEncoded.value
		} else {
			h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
		}
		if compression.Negotiate(w.accept, compression.Gzip) == compression.Gzip {
			h.Del(echo.HeaderContentLength)
			h[headerGzip.name] = headerGzip.value
			w.gz = compression.NewGzipWriter(w.ResponseWriter)
		}
	}
	w.ResponseWriter.WriteHeader(w.status)
}

// finish ends the compressed stream, or sends a status held back when
// nothing was written.
func (w *gzipResponse) finish() {
	if !w.decided {
		if w.status != 0 {
			w.decided = true
			w.ResponseWriter.WriteHeader(w.status)
		}
		return
	}
	if w.gz != nil {
		_ = w.gz.Close()
		compression.PutGzipWriter(w.gz)
		w.gz = nil
	}
}

// Flush sends what has been written so far.
func (w *gzipResponse) Flush() {
	if !w.decided {
		w.decide(0)
	}
	if w.gz != nil {
		_ = w.gz.Flush()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands over the connection (never while compressing).
func (w *gzipResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *gzipResponse) Unwrap() http.ResponseWriter { return w.ResponseWriter }
