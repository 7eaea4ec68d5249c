package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Paths of the platform's endpoints, relative to Config.BaseURL.
const (
	TokenPath = "/oauth2/token"
	LeadsPath = "/personal/v1/leads"
)

// Request headers the platform API uses besides Authorization.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderCorrelationID  = "X-Correlation-ID"
)

// Kinds of CallRecord.
const (
	KindToken  = "token"
	KindSubmit = "submit"
	KindPoll   = "poll"
)

// Defaults applied by NewClient to zero (or negative) Config fields.
const (
	DefaultCallTimeout = 10 * time.Second
	DefaultMaxAttempts = 4
	DefaultBaseBackoff = 200 * time.Millisecond
	DefaultMaxBackoff  = 5 * time.Second
)

// maxResponseBytes bounds what we read of any answer; a lead with its products is a
// few kilobytes, so anything near this is a broken or hostile server.
const maxResponseBytes = 1 << 20

var (
	// ErrLeadNotFound is returned by GetLead when the platform answers 404.
	ErrLeadNotFound = errors.New("platform: lead not found")
	// ErrCredentialsRejected means the token endpoint refused our client id or
	// secret (a 4xx other than 429). Retrying cannot help; configuration must change.
	ErrCredentialsRejected = errors.New("platform: token endpoint rejected the client credentials")
)

// Config configures a Client. Only BaseURL, ClientID and ClientSecret are required.
type Config struct {
	BaseURL      string
	ClientID     string
	ClientSecret string
	// HTTPClient carries requests to the platform; nil means a plain http.Client.
	HTTPClient *http.Client
	// CallTimeout bounds each attempt (token fetch plus request), not the whole call.
	CallTimeout time.Duration
	// MaxAttempts is how many times a call is tried before giving up on transient failures.
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the exponential backoff with full jitter.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Logger receives one debug record per attempt; nil means slog.Default().
	Logger *slog.Logger
	// Observer, when set, is called after every HTTP exchange with the platform,
	// token fetches included, so the QA view can show the traffic. It must be fast
	// and safe for concurrent use.
	Observer func(CallRecord)
}

// CallRecord describes one HTTP exchange with the platform. It carries no bodies
// and no headers, so it can be shown to QA without leaking tokens or borrower data.
type CallRecord struct {
	At            time.Time
	Kind          string // KindToken, KindSubmit or KindPoll
	Method        string
	Path          string
	Status        int // 0 when no response arrived
	Duration      time.Duration
	Err           string
	CorrelationID string
}

// APIError is a final, non-retryable answer from the leads API (a 4xx other than
// 429, or an unexpected status).
type APIError struct {
	Status int
	Body   ErrorBody
}

// Error implements error. It carries the platform's message but not its field errors,
// which the caller reads from Body.
func (e *APIError) Error() string {
	msg := e.Body.Error
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("platform: HTTP %d: %s", e.Status, msg)
}

// Validation reports whether the platform refused the request's content (400 or
// 422); Body.FieldErrors then says which fields.
func (e *APIError) Validation() bool {
	return e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity
}

// transientError marks a call that failed only for reasons that may pass: retries
// ran out, or the caller's context ended between retries.
type transientError struct {
	attempts int
	cause    error
}

func (e *transientError) Error() string {
	return fmt.Sprintf("transient failure after %d attempt(s): %v", e.attempts, e.cause)
}

func (e *transientError) Unwrap() error { return e.cause }

// IsTransient reports whether err means "try again later": the call failed on
// network errors, timeouts, 5xx, 429 or token endpoint trouble until its attempts
// or its context ran out. Retrying later with the same Idempotency-Key is safe.
func IsTransient(err error) bool {
	var te *transientError
	return errors.As(err, &te)
}

// Client calls the Personal Loans Platform API. It is safe for concurrent use.
type Client struct {
	cfg      Config
	baseURL  string
	http     *http.Client
	log      *slog.Logger
	oauth    *clientcredentials.Config
	tokenCtx context.Context // carries the token HTTP client for the oauth2 library

	mu     sync.Mutex
	tokens oauth2.TokenSource
}

// NewClient returns a client for the platform at cfg.BaseURL, filling in defaults.
func NewClient(cfg Config) *Client {
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = DefaultBaseBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{}
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c := &Client{
		cfg:     cfg,
		baseURL: strings.TrimRight(cfg.BaseURL, "/"),
		http:    base,
		log:     cfg.Logger,
	}
	c.oauth = &clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		TokenURL:     c.baseURL + TokenPath,
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	// The oauth2 library fetches tokens with the client found in this context. Its
	// own Timeout bounds a fetch, since TokenSource.Token takes no context, and its
	// transport reports each exchange to the log and the observer.
	tokenHTTP := &http.Client{
		Transport:     &tokenTransport{base: rt, client: c},
		CheckRedirect: base.CheckRedirect,
		Jar:           base.Jar,
		Timeout:       cfg.CallTimeout,
	}
	c.tokenCtx = context.WithValue(context.Background(), oauth2.HTTPClient, tokenHTTP)
	c.tokens = c.oauth.TokenSource(c.tokenCtx)
	return c
}

// SubmitLead creates a lead: POST /personal/v1/leads. The same idempotencyKey is
// sent on every attempt, so retries (here or by the caller later) never create a
// second lead.
func (c *Client) SubmitLead(ctx context.Context, lead LeadRequest, idempotencyKey, correlationID string) (LeadCreated, error) {
	if idempotencyKey == "" {
		return LeadCreated{}, errors.New("platform: submit lead: idempotency key is required")
	}
	body, err := json.Marshal(lead)
	if err != nil {
		return LeadCreated{}, fmt.Errorf("platform: submit lead: encode: %w", err)
	}
	res, err := c.do(ctx, request{
		kind: KindSubmit, method: http.MethodPost, path: LeadsPath, body: body,
		idempotencyKey: idempotencyKey, correlationID: correlationID,
	})
	if err != nil {
		return LeadCreated{}, fmt.Errorf("platform: submit lead: %w", err)
	}
	if res.status != http.StatusCreated && res.status != http.StatusOK {
		return LeadCreated{}, fmt.Errorf("platform: submit lead: %w", res.apiError())
	}
	var created LeadCreated
	if err := json.Unmarshal(res.body, &created); err != nil {
		return LeadCreated{}, fmt.Errorf("platform: submit lead: decode answer: %w", err)
	}
	if created.UUID == "" {
		return LeadCreated{}, errors.New("platform: submit lead: answer has no uuid")
	}
	return created, nil
}

// GetLead reads a lead's current state: GET /personal/v1/leads/{uuid}. A 404
// yields an error wrapping ErrLeadNotFound.
func (c *Client) GetLead(ctx context.Context, uuid, correlationID string) (Lead, error) {
	if uuid == "" {
		return Lead{}, errors.New("platform: get lead: uuid is required")
	}
	res, err := c.do(ctx, request{
		kind: KindPoll, method: http.MethodGet, path: LeadsPath + "/" + url.PathEscape(uuid),
		correlationID: correlationID,
	})
	if err != nil {
		return Lead{}, fmt.Errorf("platform: get lead: %w", err)
	}
	switch res.status {
	case http.StatusOK:
	case http.StatusNotFound:
		return Lead{}, fmt.Errorf("platform: get lead %q: %w", uuid, ErrLeadNotFound)
	default:
		return Lead{}, fmt.Errorf("platform: get lead: %w", res.apiError())
	}
	var lead Lead
	if err := json.Unmarshal(res.body, &lead); err != nil {
		return Lead{}, fmt.Errorf("platform: get lead: decode answer: %w", err)
	}
	if lead.UUID == "" {
		return Lead{}, errors.New("platform: get lead: answer has no uuid")
	}
	return lead, nil
}

// request is one logical API call, possibly sent several times.
type request struct {
	kind, method, path            string
	body                          []byte
	idempotencyKey, correlationID string
}

// response is the final HTTP answer to a request: a 2xx or a non-retryable status.
type response struct {
	status int
	body   []byte
}

func (r response) apiError() *APIError {
	e := &APIError{Status: r.status}
	// A body that is not our error shape still leaves a useful status.
	_ = json.Unmarshal(r.body, &e.Body)
	return e
}

// outcome is what one attempt produced.
type outcome struct {
	res        response
	err        error         // set when no usable answer arrived
	retryable  bool          // err or res may pass on a later attempt
	retryAfter time.Duration // the server's Retry-After, when it sent one
	hasAfter   bool
	reauth     bool // the API said 401: fetch a new token and try again
}

// do sends req until it gets a final answer, retrying transient failures with
// backoff. A 401 is answered by fetching a fresh token and trying once more, which
// does not count against MaxAttempts.
func (c *Client) do(ctx context.Context, req request) (response, error) {
	var lastErr error
	reauthed := false
	attempts := 0
	for attempts < c.cfg.MaxAttempts {
		if err := ctx.Err(); err != nil {
			return response{}, c.stopped(err, lastErr, attempts)
		}
		attempts++
		src := c.tokenSource()
		out := c.attempt(ctx, req, src, attempts)
		switch {
		case out.reauth && !reauthed:
			reauthed = true
			c.dropTokenSource(src)
			attempts-- // a stale token is not the platform's failure
			continue
		case out.reauth:
			return out.res, nil // the fresh token was refused too: a final 401
		case out.err == nil && !out.retryable:
			return out.res, nil
		case !out.retryable:
			return response{}, out.err
		}
		lastErr = out.err
		if ctx.Err() != nil {
			return response{}, c.stopped(ctx.Err(), lastErr, attempts)
		}
		if attempts == c.cfg.MaxAttempts {
			break
		}
		wait := c.backoff(attempts)
		if out.hasAfter {
			wait = min(out.retryAfter, 4*c.cfg.MaxBackoff)
		}
		if err := sleep(ctx, wait); err != nil {
			return response{}, c.stopped(err, lastErr, attempts)
		}
	}
	return response{}, &transientError{attempts: attempts, cause: lastErr}
}

// stopped is the error for a call whose context ended. It counts as transient: the
// outcome is unknown, and the idempotency key makes trying again later safe.
func (c *Client) stopped(ctxErr, lastErr error, attempts int) error {
	if lastErr == nil {
		return &transientError{attempts: attempts, cause: ctxErr}
	}
	return &transientError{attempts: attempts, cause: fmt.Errorf("%w (last failure: %w)", ctxErr, lastErr)}
}

// attempt sends req once, under its own CallTimeout.
func (c *Client) attempt(ctx context.Context, req request, src oauth2.TokenSource, n int) outcome {
	actx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()

	tok, err := fetchToken(actx, src)
	if err != nil {
		out := classifyTokenError(err)
		c.logAttempt(ctx, req, n, 0, 0, out.err)
		return out
	}

	hreq, err := http.NewRequestWithContext(actx, req.method, c.baseURL+req.path, bytes.NewReader(req.body))
	if err != nil {
		return outcome{err: fmt.Errorf("build request: %w", err)}
	}
	tok.SetAuthHeader(hreq)
	hreq.Header.Set("Accept", "application/json")
	if req.body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	if req.idempotencyKey != "" {
		hreq.Header.Set(HeaderIdempotencyKey, req.idempotencyKey)
	}
	if req.correlationID != "" {
		hreq.Header.Set(HeaderCorrelationID, req.correlationID)
	}

	start := time.Now()
	status, header, body, err := c.exchange(hreq)
	took := time.Since(start)
	if err != nil && ctx.Err() == nil && actx.Err() != nil {
		err = fmt.Errorf("attempt timed out after %s: %w", c.cfg.CallTimeout, err)
	}
	c.logAttempt(ctx, req, n, status, took, err)
	c.observe(CallRecord{
		At: start, Kind: req.kind, Method: req.method, Path: req.path, Status: status,
		Duration: took, Err: errString(err), CorrelationID: req.correlationID,
	})
	if err != nil {
		// Network errors, timeouts and truncated bodies may all pass.
		return outcome{err: err, retryable: true}
	}

	res := response{status: status, body: body}
	switch {
	case status == http.StatusUnauthorized:
		return outcome{res: res, reauth: true}
	case status == http.StatusTooManyRequests || status >= 500:
		after, ok := parseRetryAfter(header.Get("Retry-After"), time.Now())
		msg := res.apiError().Error()
		return outcome{err: errors.New(msg), retryable: true, retryAfter: after, hasAfter: ok}
	}
	return outcome{res: res}
}

// exchange performs one HTTP round trip and reads the whole (bounded) body, so the
// attempt's timeout covers the body too.
func (c *Client) exchange(req *http.Request) (int, http.Header, []byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("read answer: %w", err)
	}
	if len(body) > maxResponseBytes {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("answer larger than %d bytes", maxResponseBytes)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// fetchToken asks src for a token but gives up when ctx ends. TokenSource.Token has
// no context; the token HTTP client's Timeout bounds the fetch left running, and
// its result is still cached for the next call.
func fetchToken(ctx context.Context, src oauth2.TokenSource) (*oauth2.Token, error) {
	type result struct {
		tok *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		tok, err := src.Token()
		ch <- result{tok, err}
	}()
	select {
	case r := <-ch:
		return r.tok, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// classifyTokenError decides whether a token failure may pass. The library's error
// text can include the token endpoint's body, so only the status is kept.
func classifyTokenError(err error) outcome {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		status := re.Response.StatusCode
		if status >= 400 && status < 500 && status != http.StatusTooManyRequests {
			return outcome{err: fmt.Errorf("%w (HTTP %d)", ErrCredentialsRejected, status)}
		}
		after, ok := parseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now())
		return outcome{
			err:       fmt.Errorf("token endpoint: HTTP %d", status),
			retryable: true, retryAfter: after, hasAfter: ok,
		}
	}
	return outcome{err: fmt.Errorf("token endpoint: %w", err), retryable: true}
}

// tokenSource returns the current (caching) token source.
func (c *Client) tokenSource() oauth2.TokenSource {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens
}

// dropTokenSource discards the cached token after the API refused it. Only the
// source that produced the refused token is replaced, so several calls failing
// together start one new source, not one each.
func (c *Client) dropTokenSource(used oauth2.TokenSource) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens == used {
		c.tokens = c.oauth.TokenSource(c.tokenCtx)
	}
}

// backoff is exponential backoff with full jitter: a uniform wait in
// [0, min(MaxBackoff, BaseBackoff·2^(retry-1))].
func (c *Client) backoff(retry int) time.Duration {
	ceiling := c.cfg.MaxBackoff
	if shift := retry - 1; shift < 62 {
		if d := c.cfg.BaseBackoff << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Huge values would overflow Duration; the caller caps the wait anyway.
		const maxSecs = int64(24 * time.Hour / time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// logAttempt writes one debug record per attempt: never a body, token or secret.
func (c *Client) logAttempt(ctx context.Context, req request, n, status int, took time.Duration, err error) {
	attrs := []slog.Attr{
		slog.String("method", req.method),
		slog.String("path", req.path),
		slog.Int("status", status),
		slog.Int("attempt", n),
		slog.Duration("duration", took),
		slog.String("correlation_id", req.correlationID),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "platform call", attrs...)
}

func (c *Client) observe(rec CallRecord) {
	if c.cfg.Observer != nil {
		c.cfg.Observer(rec)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// tokenTransport wraps the transport of token requests to log and observe them;
// the oauth2 library makes the requests, so this is the one place that sees them.
type tokenTransport struct {
	base   http.RoundTripper
	client *Client
}

// RoundTrip implements http.RoundTripper.
func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	took := time.Since(start)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("path", req.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", took),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	t.client.log.LogAttrs(req.Context(), slog.LevelDebug, "platform token fetch", attrs...)
	t.client.observe(CallRecord{
		At: start, Kind: KindToken, Method: req.Method, Path: req.URL.Path,
		Status: status, Duration: took, Err: errString(err),
	})
	return resp, err
}
