package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"prequal/decision"
)

// MaxBodyBytes caps a request body on the API's routes; the portal's route
// table applies it before any handler runs (handlers/routes.go), and a larger
// body is a 413 in the route's error shape. The six fields of a decision request
// fit in well under 1 KiB, and a small cap keeps a flood of large bodies cheap
// to refuse.
const MaxBodyBytes = 16 << 10

// Messages of the 400 response, worded as zod words them, since the seed's
// validation error is zod's flattened error ({formErrors, fieldErrors}).
const (
	msgRequired      = "Required"
	msgNotInteger    = "Expected integer, received float"
	msgAboveSafe     = "Number must be less than or equal to 9007199254740991"
	msgBelowSafe     = "Number must be greater than or equal to -9007199254740991"
	msgMalformedJSON = "Malformed JSON in request body"
)

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER: the largest integer a
// JSON client can be sure to send and read back exactly.
const maxSafeInteger = 1<<53 - 1

// validationProblem is the "error" object of the seed's 400 response.
type validationProblem struct {
	FormErrors  []string            `json:"formErrors"`
	FieldErrors map[string][]string `json:"fieldErrors"`
}

func (p *validationProblem) empty() bool { return len(p.FormErrors) == 0 && len(p.FieldErrors) == 0 }

// add records msgs for field. A problem is built up as a value whose map is
// made on the first message, so a valid body costs no allocation for it.
func (p *validationProblem) add(field string, msgs ...string) {
	if p.FieldErrors == nil {
		p.FieldErrors = map[string][]string{}
	}
	p.FieldErrors[field] = append(p.FieldErrors[field], msgs...)
}

// response is the problem as the 400 body shows it: both members present, as
// empty array and object when they have nothing.
func (p validationProblem) response() *validationProblem {
	if p.FormErrors == nil {
		p.FormErrors = []string{}
	}
	if p.FieldErrors == nil {
		p.FieldErrors = map[string][]string{}
	}
	return &p
}

// formProblem is a problem with the body as a whole.
func formProblem(msg string) *validationProblem {
	return validationProblem{FormErrors: []string{msg}}.response()
}

// fieldKind is the JSON type a request field must have.
type fieldKind int

const (
	kindNumber fieldKind = iota
	kindInteger
	kindString
)

// apiField is one field of the request schema.
type apiField struct {
	name     string
	kind     fieldKind
	required bool
}

// applicantFields is the request schema (seed 002, "Request fields"), in order.
var applicantFields = [...]apiField{
	{"age", kindInteger, true},
	{"income", kindNumber, true},
	{"existingDebt", kindNumber, true},
	{"requestedAmount", kindNumber, true},
	{"yearsAtJob", kindInteger, false},
	{"openCreditLines", kindInteger, false},
	{"name", kindString, false},
}

// readAPIBody reads the request body, up to MaxBodyBytes: a larger one (the
// route table refuses most of them before, by their Content-Length) is a 413.
func readAPIBody(c echo.Context) ([]byte, *validationProblem, error) {
	return readAPIBodyTo(c, nil)
}

// readAPIBodyTo is readAPIBody appending to buf: with a pooled buffer, a call
// whose body is only parsed (the billed decision and score) reads it without
// allocating. The body is then only valid until buf is reused.
func readAPIBodyTo(c echo.Context, buf []byte) ([]byte, *validationProblem, error) {
	req := c.Request()
	b, err := readAll(http.MaxBytesReader(c.Response(), req.Body, MaxBodyBytes), buf)
	if err == nil {
		// Read to its end and closed, the body needs nothing more from net/http,
		// which otherwise drains it before answering (io.CopyN, per call).
		_ = req.Body.Close()
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge).SetInternal(err)
	case err != nil:
		return nil, nil, echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
	return b, nil, nil
}

// readAll is io.ReadAll appending to b.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 512)
	}
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append grow it
		}
	}
}

// bodyBuffers are readAPIBodyTo's pooled buffers.
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// decodeApplicant parses body into an Applicant, checking each field's presence
// and JSON type itself (rather than letting encoding/json stop at the first
// mismatch) so that every field gets its own zod-style messages, then applies
// decision's range rules. An empty body counts as {} (as Express's JSON parser
// has it), so it is answered with each required field's "Required".
func decodeApplicant(body []byte) (decision.Applicant, *validationProblem) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if !json.Valid(body) {
		return decision.Applicant{}, formProblem(msgMalformedJSON)
	}
	if body[0] != '{' {
		return decision.Applicant{}, formProblem("Expected object, received " + jsonType(body))
	}
	var (
		values  [len(applicantFields)][]byte // nil: absent; a repeated name's last value wins, as in JSON.parse
		unknown []string
	)
	for name, value := range objectMembers(body) {
		if i := fieldIndex(name); i >= 0 {
			values[i] = value
		} else {
			unknown = append(unknown, string(name))
		}
	}

	var p validationProblem
	if len(unknown) > 0 {
		slices.Sort(unknown)
		unknown = slices.Compact(unknown) // a name repeated is named once
		p.FormErrors = append(p.FormErrors, "Unrecognized key(s) in object: '"+strings.Join(unknown, "', '")+"'")
	}
	var a decision.Applicant
	var numeric [len(applicantFields)]bool // fields whose value is a number, so their range messages apply
	for i, f := range applicantFields {
		v := values[i]
		if v == nil {
			if f.required {
				p.add(f.name, msgRequired)
			}
			continue
		}
		if f.kind == kindString {
			var s string
			if jsonType(v) != "string" || json.Unmarshal(v, &s) != nil {
				p.add(f.name, "Expected string, received "+jsonType(v))
				continue
			}
			a.Name = &s
			continue
		}
		if t := jsonType(v); t != "number" {
			p.add(f.name, "Expected number, received "+t)
			continue
		}
		n, err := strconv.ParseFloat(string(v), 64)
		if err != nil && !math.IsInf(n, 0) { // overflow parses to ±Inf, which the range rules refuse
			p.add(f.name, msgMalformedJSON)
			continue
		}
		numeric[i] = true
		if f.kind == kindNumber {
			setMoney(&a, f.name, n)
			continue
		}
		if n != math.Trunc(n) || math.IsInf(n, 0) {
			p.add(f.name, msgNotInteger)
		}
		if n > maxSafeInteger {
			p.add(f.name, msgAboveSafe)
		}
		if n < -maxSafeInteger {
			p.add(f.name, msgBelowSafe)
		}
		// Flooring keeps every "≥ integer bound" check of Validate exactly as it
		// is on the unrounded value, so 17.5 still fails age ≥ 18.
		setInteger(&a, f.name, int(max(-maxSafeInteger, min(maxSafeInteger, math.Floor(n)))))
	}
	for field, msgs := range a.Validate() {
		if i := fieldIndex(field); i >= 0 && numeric[i] {
			p.add(field, msgs...)
		}
	}
	if !p.empty() {
		return decision.Applicant{}, p.response()
	}
	return a, nil
}

func setMoney(a *decision.Applicant, field string, v float64) {
	switch field {
	case "income":
		a.Income = v
	case "existingDebt":
		a.ExistingDebt = v
	case "requestedAmount":
		a.RequestedAmount = v
	}
}

func setInteger(a *decision.Applicant, field string, v int) {
	switch field {
	case "age":
		a.Age = v
	case "yearsAtJob":
		a.YearsAtJob = &v
	case "openCreditLines":
		a.OpenCreditLines = &v
	}
}

// fieldIndex is name's position in applicantFields, or -1.
func fieldIndex[T string | []byte](name T) int {
	for i, f := range applicantFields {
		if string(name) == f.name {
			return i
		}
	}
	return -1
}

// objectMembers yields the members of body, which must be one valid JSON object
// (json.Valid holds and it starts with '{'), in order: each name unescaped, each
// value as the sub-slice of body that holds it (names too, when they need no
// unescaping). It replaces decoding into a map[string]json.RawMessage on the
// request path, which spent more on reflection and copies than the decision
// itself; FuzzObjectMembers holds it to exactly what that decoding gives.
func objectMembers(body []byte) iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		i := skipSpace(body, 1)
		for i < len(body) && body[i] == '"' {
			end := stringEnd(body, i)
			name := memberName(body[i:end])
			i = skipSpace(body, skipSpace(body, end)+1) // past the ':'
			vend := valueEnd(body, i)
			if !yield(name, body[i:vend]) {
				return
			}
			i = skipSpace(body, vend)
			if body[i] == ',' {
				i = skipSpace(body, i+1)
			}
		}
	}
}

// memberName is a quoted member name's text. Names without escapes or
// non-ASCII bytes (every name of the schema) are taken as they are; the rest go
// through encoding/json, for its unescaping and its handling of invalid UTF-8.
func memberName(quoted []byte) []byte {
	if !slices.ContainsFunc(quoted, func(c byte) bool { return c == '\\' || c >= utf8.RuneSelf }) {
		return quoted[1 : len(quoted)-1]
	}
	var name string
	_ = json.Unmarshal(quoted, &name) // quoted is a valid JSON string
	return []byte(name)
}

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the valid JSON string starting at i.
func stringEnd(b []byte, i int) int {
	for i++; b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++ // the escaped byte cannot end the string
		}
	}
	return i + 1
}

// valueEnd returns the index just past the valid JSON value starting at i.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[i])) { // a number or a literal
		i++
	}
	return i
}

// jsonType names a valid JSON value's type as zod's "received" does.
func jsonType(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "undefined"
	}
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
