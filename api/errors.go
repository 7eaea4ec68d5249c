package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"prequal/correlation"
	"prequal/lending"
	"prequal/store"
)

// One error model, three shapes. Handlers and middleware return errors: a
// *Problem for a failure the caller should understand, anything else for the
// portal's own (answered as a plain 500). The portal's one error handler
// (handlers/errors.go) logs every failure and hands it to WriteError, which
// answers in the shape of the route (errorShapes, routes.go): seed 002's
// {"error": …}, JSON:API's "errors", or RFC 9457 problem+json everywhere else.
// Never an HTML page, a stack trace, an SQL message or err.Error().

// Problem is an API failure the caller should understand.
type Problem struct {
	Status int
	// Type is a stable slug naming the kind of problem ("missing-scope"); the
	// problem+json "type" is the documentation's anchor for it. Empty: only the
	// status says what went wrong.
	Type   string
	Title  string // short and stable, e.g. "Missing scope"
	Detail string // a sentence for the developer reading it
	// Fields are validation failures, one per field (JSON:API "source.pointer",
	// problem+json "errors", seed 002 "fieldErrors").
	Fields []FieldProblem
	// Scope names the missing scope of a 403 (problem+json "scope" member).
	Scope lending.Scope

	internal error // logged, never answered
}

// FieldProblem is one field's validation failure.
type FieldProblem struct {
	Pointer string // a JSON Pointer (RFC 6901) into the request body, e.g. /data/attributes/annualIncome
	Detail  string
}

// Error is what the portal's log shows: never sent to the caller.
func (p *Problem) Error() string {
	msg := strconv.Itoa(p.Status) + " " + p.Title
	if p.Detail != "" {
		msg += ": " + p.Detail
	}
	if p.internal != nil {
		msg += " (" + p.internal.Error() + ")"
	}
	return msg
}

// Unwrap gives errors.Is and errors.As the internal cause.
func (p *Problem) Unwrap() error { return p.internal }

// SetInternal records the cause for the log.
func (p *Problem) SetInternal(err error) *Problem {
	p.internal = err
	return p
}

// NewProblem returns a problem of status with a type slug, title and detail.
func NewProblem(status int, typ, title, detail string) *Problem {
	return &Problem{Status: status, Type: typ, Title: title, Detail: detail}
}

// StatusProblem is a problem whose status says it all (404, 405, 500, …).
func StatusProblem(status int) *Problem {
	return &Problem{Status: status, Title: http.StatusText(status), Detail: statusDetail(status)}
}

// ValidationProblem is a 422 listing each field's failure.
func ValidationProblem(fields ...FieldProblem) *Problem {
	return &Problem{Status: http.StatusUnprocessableEntity, Type: "validation", Title: "Invalid request",
		Detail: "Some fields are missing or invalid; each is listed with what is wrong.", Fields: fields}
}

// The problems every API shares.
func problemUnauthorized() *Problem {
	return NewProblem(http.StatusUnauthorized, "unauthorized", "Unauthorized", msgUnauthorized)
}

func problemMissingScope(s lending.Scope) *Problem {
	p := NewProblem(http.StatusForbidden, "missing-scope", "Missing scope",
		"This API key lacks the scope \""+string(s)+"\" that this request needs. Create a key with it on your developer dashboard.")
	p.Scope = s
	return p
}

func problemRateLimited() *Problem {
	return NewProblem(http.StatusTooManyRequests, "rate-limited", "Too many requests", msgRateLimited)
}

// The seed 002 texts of the statuses it names.
const (
	msgUnauthorized = "Invalid or missing API key."
	msgRateLimited  = "Too many requests, please try again later."
	msgInternal     = "Internal server error."
)

func statusDetail(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return msgUnauthorized
	case http.StatusTooManyRequests:
		return msgRateLimited
	case http.StatusNotFound:
		return "Not found."
	case http.StatusRequestEntityTooLarge:
		return "Request body must not be larger than " + strconv.Itoa(MaxBodyBytes) + " bytes."
	}
	if status >= 500 {
		return msgInternal
	}
	return http.StatusText(status)
}

// problemFor is err as the caller may see it.
func problemFor(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		if p.Status >= 500 { // whatever it said, a server failure says only that
			return StatusProblem(p.Status)
		}
		return p
	}
	code := http.StatusInternalServerError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		code = he.Code
	case errors.Is(err, store.ErrNotFound):
		code = http.StatusNotFound
	case errors.As(err, new(*http.MaxBytesError)): // read past the route's body cap
		code = http.StatusRequestEntityTooLarge
	}
	return StatusProblem(code)
}

// StatusOf is the HTTP status err answers with, when it is a *Problem.
func StatusOf(err error) (int, bool) {
	var p *Problem
	if errors.As(err, &p) {
		return p.Status, true
	}
	return 0, false
}

// WriteError answers a failed /api request in the error shape of its route.
// The portal's one error handler calls it for every path under /api/, unknown
// routes included.
func WriteError(c echo.Context, err error) error {
	return errorShapeFor(c.Request().URL.Path)(c, problemFor(err))
}

// ErrorShape writes a problem in one of the API's error shapes. A route group
// picks its shape in errorShapes (routes.go).
type ErrorShape func(c echo.Context, p *Problem) error

// The error shapes.
var (
	// ProblemJSON is RFC 9457 application/problem+json: the default.
	ProblemJSON ErrorShape = writeProblemJSON
	// Seed002Errors is the Credit Decision API's {"error": "…"}, and for
	// validation {"error": {"formErrors": […], "fieldErrors": {…}}} (zod's).
	Seed002Errors ErrorShape = writeSeed002
	// JSONAPIErrors is JSON:API 1.1's {"errors": [{status, code, title, detail,
	// source: {pointer}}]} (seed 003).
	JSONAPIErrors ErrorShape = writeJSONAPI
)

// errorShapeFor is the shape of the longest errorShapes prefix of path.
func errorShapeFor(path string) ErrorShape {
	shape, longest := ProblemJSON, 0
	for _, s := range errorShapes {
		if len(s.prefix) > longest && strings.HasPrefix(path, s.prefix) {
			shape, longest = s.shape, len(s.prefix)
		}
	}
	return shape
}

// problemDocument is the problem+json body (RFC 9457), with the extension
// members "errors" (per field), "scope" (a 403's missing scope) and
// "correlationId" (the request's X-Correlation-ID, for support).
type problemDocument struct {
	Type          string         `json:"type"`
	Title         string         `json:"title"`
	Status        int            `json:"status"`
	Detail        string         `json:"detail,omitempty"`
	Errors        []problemField `json:"errors,omitempty"`
	Scope         string         `json:"scope,omitempty"`
	CorrelationID string         `json:"correlationId,omitempty"`
}

type problemField struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// ProblemTypeBase is where the problem types are documented: a problem's
// "type" is this and its slug, a link into /developers/docs.
const ProblemTypeBase = "/developers/docs#problem-"

func writeProblemJSON(c echo.Context, p *Problem) error {
	doc := problemDocument{Type: "about:blank", Title: p.Title, Status: p.Status, Detail: p.Detail,
		Scope: string(p.Scope), CorrelationID: c.Response().Header().Get(correlation.Header)}
	if p.Type != "" {
		doc.Type = ProblemTypeBase + p.Type
	}
	for _, f := range p.Fields {
		doc.Errors = append(doc.Errors, problemField(f))
	}
	return writeTypedJSON(c, p.Status, "application/problem+json", doc)
}

// seed002Error is seed 002's error body: a text, or zod's flattened errors.
type seed002Error struct {
	Error any `json:"error"`
}

func writeSeed002(c echo.Context, p *Problem) error {
	if len(p.Fields) == 0 {
		text := p.Detail
		if text == "" || p.Status == http.StatusUnauthorized || p.Status == http.StatusTooManyRequests {
			text = statusDetail(p.Status) // the seed's own words
		}
		return c.JSON(p.Status, seed002Error{Error: text})
	}
	v := validationProblem{FormErrors: []string{}, FieldErrors: map[string][]string{}}
	for _, f := range p.Fields {
		if name := strings.TrimPrefix(f.Pointer, "/"); name != "" {
			v.FieldErrors[name] = append(v.FieldErrors[name], f.Detail)
		} else {
			v.FormErrors = append(v.FormErrors, f.Detail)
		}
	}
	return c.JSON(p.Status, seed002Error{Error: v})
}

// jsonAPIError is one JSON:API error object.
type jsonAPIError struct {
	ID     string         `json:"id,omitempty"`
	Status string         `json:"status"`
	Code   string         `json:"code,omitempty"`
	Title  string         `json:"title"`
	Detail string         `json:"detail,omitempty"`
	Source *jsonAPISource `json:"source,omitempty"`
}

type jsonAPISource struct {
	Pointer string `json:"pointer"`
}

// JSONAPIMediaType is JSON:API's media type.
const JSONAPIMediaType = "application/vnd.api+json"

func writeJSONAPI(c echo.Context, p *Problem) error {
	status, id := strconv.Itoa(p.Status), c.Response().Header().Get(correlation.Header)
	var errs []jsonAPIError
	for _, f := range p.Fields {
		errs = append(errs, jsonAPIError{ID: id, Status: status, Code: p.Type, Title: p.Title, Detail: f.Detail,
			Source: &jsonAPISource{Pointer: f.Pointer}})
	}
	if len(errs) == 0 {
		errs = append(errs, jsonAPIError{ID: id, Status: status, Code: p.Type, Title: p.Title, Detail: p.Detail})
	}
	return writeTypedJSON(c, p.Status, JSONAPIMediaType, struct {
		Errors []jsonAPIError `json:"errors"`
	}{errs})
}

// writeTypedJSON answers v as JSON with contentType.
func writeTypedJSON(c echo.Context, status int, contentType string, v any) error {
	c.Response().Header().Set(echo.HeaderContentType, contentType)
	c.Response().WriteHeader(status)
	return c.Echo().JSONSerializer.Serialize(c, v, "")
}

// ProblemType documents one problem type ("type" slug) for /developers/docs.
type ProblemType struct {
	Slug        string
	Status      int
	Title       string
	Description string
}

// ProblemTypes are the problem types every API may answer with; an API that
// adds its own lists them here too.
var ProblemTypes = []ProblemType{
	{"unauthorized", http.StatusUnauthorized, "Unauthorized",
		"No key was sent, or the key is unknown, rotated away, revoked, or belongs to a partner that is suspended or not yet approved. Send an active key as Authorization: Bearer <key> or x-api-key."},
	{"missing-scope", http.StatusForbidden, "Missing scope",
		"The key is valid but lacks the scope the operation needs; the problem's \"scope\" member names it. Create a key with that scope on your dashboard."},
	{"rate-limited", http.StatusTooManyRequests, "Too many requests",
		"The key used up its requests for this minute on this API. Wait the seconds Retry-After says."},
	{"validation", http.StatusUnprocessableEntity, "Invalid request",
		"Fields of the request body are missing or invalid; \"errors\" lists each with a JSON Pointer and what is wrong."},
	{"idempotency-key-required", http.StatusBadRequest, "Idempotency-Key required",
		"The operation requires an Idempotency-Key header: a unique value (e.g. a UUID) per operation."},
	{"idempotency-key-invalid", http.StatusBadRequest, "Invalid Idempotency-Key",
		"An Idempotency-Key is 1 to 255 visible ASCII characters."},
	{"idempotency-key-reused", http.StatusUnprocessableEntity, "Idempotency-Key reused",
		"The key was already used, within the last 24 hours, for a different request (method, path or body). Use a new key for a new operation."},
	{"idempotency-key-in-use", http.StatusConflict, "Request in progress",
		"The first request with this key is still running. Retry a moment later (Retry-After) to get its answer."},
	{"body-too-large", http.StatusRequestEntityTooLarge, "Request body too large",
		"The request body is larger than the operation accepts."},
	{"malformed-json", http.StatusBadRequest, "Malformed JSON",
		"The request body is not one JSON object of the documented members."},
	{"refresh-token-invalid", http.StatusUnauthorized, "Refresh token not accepted",
		"Headless journeys: the refresh token is unknown, expired, spent or revoked (a spent one presented again revokes its whole session). Open a new session."},
	{"journey-conflict", http.StatusConflict, "Not possible now",
		"Headless journeys: the journey's state does not allow the call (a profile after submission, a cancellation once an offer is chosen, anything after cancellation)."},
	{"offer-locked", http.StatusConflict, "Offers locked",
		"Headless journeys: another offer was already chosen for the journey (offer locking), or its offers can no longer be chosen."},
	{"lender-link-unavailable", http.StatusBadGateway, "Lender link unavailable",
		"Headless journeys: the offer's lender link is not one the portal sends borrowers to. Choose another offer."},
}
