package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"prequal/decision"
)

// maxAPIBody bounds a request body: the six fields fit in well under 1 KiB, and a
// small limit keeps a flood of large bodies cheap to refuse.
const maxAPIBody = 16 << 10

// Messages of the 400 response, worded as zod words them, since the seed's
// validation error is zod's flattened error ({formErrors, fieldErrors}).
const (
	msgRequired      = "Required"
	msgNotInteger    = "Expected integer, received float"
	msgAboveSafe     = "Number must be less than or equal to 9007199254740991"
	msgBelowSafe     = "Number must be greater than or equal to -9007199254740991"
	msgMalformedJSON = "Malformed JSON in request body"
	msgBodyTooLarge  = "Request body must not be larger than 16384 bytes"
)

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER: the largest integer a
// JSON client can be sure to send and read back exactly.
const maxSafeInteger = 1<<53 - 1

// validationProblem is the "error" object of the seed's 400 response.
type validationProblem struct {
	FormErrors  []string            `json:"formErrors"`
	FieldErrors map[string][]string `json:"fieldErrors"`
}

func newValidationProblem() *validationProblem {
	return &validationProblem{FormErrors: []string{}, FieldErrors: map[string][]string{}}
}

func (p *validationProblem) empty() bool { return len(p.FormErrors) == 0 && len(p.FieldErrors) == 0 }

func (p *validationProblem) add(field, msg string) {
	p.FieldErrors[field] = append(p.FieldErrors[field], msg)
}

// formProblem is a problem with the body as a whole.
func formProblem(msg string) *validationProblem {
	p := newValidationProblem()
	p.FormErrors = append(p.FormErrors, msg)
	return p
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
var applicantFields = []apiField{
	{"age", kindInteger, true},
	{"income", kindNumber, true},
	{"existingDebt", kindNumber, true},
	{"requestedAmount", kindNumber, true},
	{"yearsAtJob", kindInteger, false},
	{"openCreditLines", kindInteger, false},
	{"name", kindString, false},
}

// readAPIBody reads the request body up to maxAPIBody. A larger body is a
// problem for the 400 response, not an error.
func readAPIBody(c echo.Context) ([]byte, *validationProblem, error) {
	req := c.Request()
	if req.ContentLength > maxAPIBody {
		return nil, formProblem(msgBodyTooLarge), nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, maxAPIBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, formProblem(msgBodyTooLarge), nil
	case err != nil:
		return nil, nil, echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
	return b, nil, nil
}

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
	if body[0] != '{' {
		if !json.Valid(body) {
			return decision.Applicant{}, formProblem(msgMalformedJSON)
		}
		return decision.Applicant{}, formProblem("Expected object, received " + jsonType(body))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return decision.Applicant{}, formProblem(msgMalformedJSON)
	}

	p := newValidationProblem()
	if unknown := unknownKeys(raw); len(unknown) > 0 {
		p.FormErrors = append(p.FormErrors, "Unrecognized key(s) in object: '"+strings.Join(unknown, "', '")+"'")
	}
	var a decision.Applicant
	numeric := map[string]bool{} // fields whose value is a number, so their range messages apply
	for _, f := range applicantFields {
		v, present := raw[f.name]
		if !present {
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
		numeric[f.name] = true
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
		if numeric[field] {
			p.FieldErrors[field] = append(p.FieldErrors[field], msgs...)
		}
	}
	if !p.empty() {
		return decision.Applicant{}, p
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

// unknownKeys lists the body's keys that are not request fields, sorted.
func unknownKeys(raw map[string]json.RawMessage) []string {
	var out []string
	for k := range raw {
		if !slices.ContainsFunc(applicantFields, func(f apiField) bool { return f.name == k }) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
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
