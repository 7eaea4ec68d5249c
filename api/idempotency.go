package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"prequal/store"
)

// Idempotency (the IETF Idempotency-Key draft, with Stripe's semantics) makes a
// mutating call safe to retry: the first request with a key runs and its
// answer is stored; the same key with the same request (method, path, body)
// from the same partner gets that answer again, marked Idempotent-Replayed:
// true, without running again; the same key with another request is refused
// (422); a retry while the first is still running is refused (409). Answers
// are kept for store.IdempotencyRetention (24 h). A 5xx answer is not kept (the
// handlers' changes are transactional, so nothing was done and a retry runs
// afresh); every other answer is, 4xx included: the same request always gets
// the same answer.
//
// The Credit Decision API's decision and score are POSTs but not changes: each
// call is a computation, billed and answered afresh, so they take no
// Idempotency-Key (and pay no database write for one).

// IdempotencyStore keeps Idempotency-Key records (store.Store).
type IdempotencyStore interface {
	BeginIdempotent(ctx context.Context, r store.IdempotentRequest) (*store.StoredResponse, error)
	FinishIdempotent(ctx context.Context, r store.IdempotentRequest, resp store.StoredResponse) error
	AbandonIdempotent(ctx context.Context, r store.IdempotentRequest) error
}

// Idempotency headers.
const (
	HeaderIdempotencyKey      = "Idempotency-Key"
	HeaderIdempotentReplayed  = "Idempotent-Replayed"
	maxIdempotencyKeyLength   = 255
	maxIdempotentRequestBody  = 1 << 20 // a larger mutating request is refused (413) before it runs
	maxIdempotentResponseBody = 1 << 20 // a larger answer is sent but not kept for replay
)

// idempotencyRule says whether a route requires an Idempotency-Key.
type idempotencyRule int

// Idempotency rules of the route tables.
const (
	// IdempotencyOptional: a request without the header simply runs (seed 003
	// makes the key optional).
	IdempotencyOptional idempotencyRule = iota
	// IdempotencyRequired: a mutating request without the header is refused
	// with 400 (seed 001: "Send Idempotency-Key on every mutating call").
	IdempotencyRequired
)

// replayedHeaders are the response headers kept with an answer; the rest
// (rate limits, correlation id, security headers) belong to each request.
var replayedHeaders = []string{echo.HeaderContentType, echo.HeaderLocation, "Link", "Etag", "Last-Modified", "Content-Language"}

// idempotent is the idempotency middleware for mutating routes (POST, PUT,
// PATCH, DELETE; other methods pass through). Put it after the authentication,
// rate-limit and scope middleware: it keys records by the principal's partner.
func (a *API) idempotent(rule idempotencyRule) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			switch req.Method {
			case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			default:
				return next(c)
			}
			key := req.Header.Get(HeaderIdempotencyKey)
			if key == "" {
				if rule == IdempotencyRequired {
					return NewProblem(http.StatusBadRequest, "idempotency-key-required", "Idempotency-Key required",
						"Send an Idempotency-Key header (a unique value per operation, e.g. a UUID) with every mutating call.")
				}
				return next(c)
			}
			if !usableIdempotencyKey(key) {
				return NewProblem(http.StatusBadRequest, "idempotency-key-invalid", "Invalid Idempotency-Key",
					"An Idempotency-Key is 1 to 255 visible ASCII characters.")
			}
			body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, maxIdempotentRequestBody))
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				return NewProblem(http.StatusRequestEntityTooLarge, "body-too-large", "Request body too large",
					fmt.Sprintf("A request body may have at most %d bytes.", maxIdempotentRequestBody))
			case err != nil:
				return echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
			}
			req.Body = io.NopCloser(bytes.NewReader(body))

			r := store.IdempotentRequest{Scope: PrincipalOf(c).idempotencyScope(), Key: key, Method: req.Method,
				Path: req.URL.RequestURI(), RequestHash: requestHash(req.Method, req.URL.RequestURI(), body)}
			ctx := req.Context()
			replay, err := a.idempotency.BeginIdempotent(ctx, r)
			switch {
			case errors.Is(err, store.ErrIdempotencyKeyMismatch):
				return NewProblem(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency-Key reused",
					"This Idempotency-Key was already used for a different request (method, path or body). Use a new key for a new operation.")
			case errors.Is(err, store.ErrIdempotencyInProgress):
				c.Response().Header().Set(headerRetryAfter, "1")
				return NewProblem(http.StatusConflict, "idempotency-key-in-use", "Request in progress",
					"A request with this Idempotency-Key is still being processed. Retry after it has finished to get its answer.")
			case err != nil:
				return fmt.Errorf("api: idempotency: %w", err)
			case replay != nil:
				h := c.Response().Header()
				for name, v := range replay.Header {
					h[name] = v
				}
				h.Set(HeaderIdempotentReplayed, "true")
				c.Response().WriteHeader(replay.Status)
				_, err := c.Response().Write(replay.Body)
				return err
			}

			rec := &teeWriter{ResponseWriter: c.Response().Writer}
			c.Response().Writer = rec
			if err := next(c); err != nil {
				c.Error(err) // answered now, so that the answer is kept like any other
			}
			c.Response().Writer = rec.ResponseWriter
			// The answer is sent: keep it even if the caller has gone.
			ctx = context.WithoutCancel(ctx)
			status := c.Response().Status
			if status >= 500 || rec.overflow {
				err = a.idempotency.AbandonIdempotent(ctx, r)
			} else {
				kept := http.Header{}
				for _, name := range replayedHeaders {
					if v := c.Response().Header().Values(name); len(v) > 0 {
						kept[http.CanonicalHeaderKey(name)] = v
					}
				}
				err = a.idempotency.FinishIdempotent(ctx, r, store.StoredResponse{Status: status, Header: kept, Body: rec.body.Bytes()})
			}
			if err != nil {
				a.log.LogAttrs(ctx, slog.LevelError, "idempotency record not saved", slog.String("error", err.Error()))
			}
			return nil
		}
	}
}

// usableIdempotencyKey: 1 to 255 visible ASCII characters.
func usableIdempotencyKey(k string) bool {
	if len(k) > maxIdempotencyKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return k != ""
}

// requestHash identifies a request for its Idempotency-Key.
func requestHash(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// teeWriter passes an answer on and keeps a copy of its body, up to
// maxIdempotentResponseBody.
type teeWriter struct {
	http.ResponseWriter
	body     bytes.Buffer
	overflow bool
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if !w.overflow {
		if w.body.Len()+len(b) > maxIdempotentResponseBody {
			w.overflow = true
			w.body.Reset()
		} else {
			w.body.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
