package api

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"prequal/decision"
)

// The billed answers (decision and score) are encoded by hand: encoding/json's
// reflection over the nested response was 7 % of a call's CPU under load.
// appendJSON writes exactly the bytes json.Encoder writes for the same value,
// HTML escaping and the closing newline included (encode_test.go holds them to
// it), and writeJSON sends them as c.JSON would. A request asking for
// ?pretty gets c.JSON itself.

// jsonAppender is a response encoded by hand.
type jsonAppender interface {
	appendJSON([]byte) ([]byte, error)
}

// writeJSON answers status with v, encoded by hand. It is generic so that a
// response (a few hundred bytes of struct) is not copied to the heap to be
// passed as an interface on every call.
func writeJSON[T jsonAppender](c echo.Context, status int, v T) error {
	if c.Request().URL.RawQuery != "" {
		if _, pretty := c.QueryParams()["pretty"]; pretty {
			return c.JSON(status, v)
		}
	}
	buf := jsonBuffers.Get().(*[]byte)
	defer jsonBuffers.Put(buf)
	b, err := v.appendJSON((*buf)[:0])
	if err != nil {
		return err
	}
	*buf = b
	resp := c.Response()
	resp.Header()[headerJSONContentType.name] = headerJSONContentType.value
	resp.WriteHeader(status)
	_, err = resp.Write(b)
	return err
}

var jsonBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// headerJSONContentType is the Content-Type c.JSON sets, as a shared slice
// with no spare capacity (a later Add copies it rather than writing into it).
var headerJSONContentType = struct {
	name  string
	value []string
}{http.CanonicalHeaderKey(echo.HeaderContentType), []string{echo.MIMEApplicationJSON}[:1:1]}

func (r decisionResponse) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"success":`...)
	b = strconv.AppendBool(b, r.Success)
	b = append(b, `,"payload":{"applicant":`...)
	b, err := appendApplicant(b, r.Payload.Applicant)
	if err != nil {
		return b, err
	}
	b = append(b, `,"decision":`...)
	if b, err = appendDecision(b, r.Payload.Decision); err != nil {
		return b, err
	}
	b = append(b, `,"pricing":{"perCall":`...)
	if b, err = appendFloat(b, r.Payload.Pricing.PerCall); err != nil {
		return b, err
	}
	b = append(b, `,"currency":`...)
	b = appendString(b, r.Payload.Pricing.Currency)
	b = append(b, `,"description":`...)
	b = appendString(b, r.Payload.Pricing.Description)
	return append(b, "}}}\n"...), nil
}

func (r scoreResponse) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"success":`...)
	b = strconv.AppendBool(b, r.Success)
	b = append(b, `,"result":`...)
	b, err := appendDecision(b, r.Result)
	if err != nil {
		return b, err
	}
	return append(b, "}\n"...), nil
}

func appendApplicant(b []byte, a decision.Applicant) ([]byte, error) {
	b = append(b, `{"age":`...)
	b = strconv.AppendInt(b, int64(a.Age), 10)
	var err error
	for _, f := range [...]struct {
		name string
		v    float64
	}{{`,"income":`, a.Income}, {`,"existingDebt":`, a.ExistingDebt}, {`,"requestedAmount":`, a.RequestedAmount}} {
		b = append(b, f.name...)
		if b, err = appendFloat(b, f.v); err != nil {
			return b, err
		}
	}
	if a.YearsAtJob != nil {
		b = append(b, `,"yearsAtJob":`...)
		b = strconv.AppendInt(b, int64(*a.YearsAtJob), 10)
	}
	if a.OpenCreditLines != nil {
		b = append(b, `,"openCreditLines":`...)
		b = strconv.AppendInt(b, int64(*a.OpenCreditLines), 10)
	}
	if a.Name != nil {
		b = append(b, `,"name":`...)
		b = appendString(b, *a.Name)
	}
	return append(b, '}'), nil
}

func appendDecision(b []byte, d decision.Decision) ([]byte, error) {
	b = append(b, `{"score":`...)
	b = strconv.AppendInt(b, int64(d.Score), 10)
	b = append(b, `,"riskLevel":`...)
	b = appendString(b, d.RiskLevel)
	b = append(b, `,"approved":`...)
	b = strconv.AppendBool(b, d.Approved)
	b = append(b, `,"approvalReason":`...)
	b = appendOptionalString(b, d.ApprovalReason)
	b = append(b, `,"declineReason":`...)
	b = appendOptionalString(b, d.DeclineReason)
	b = append(b, `,"nextSteps":`...)
	b = appendStrings(b, d.NextSteps)
	b = append(b, `,"factors":`...)
	f := d.Factors
	var err error
	for _, fl := range [...]struct {
		name string
		v    float64
	}{{`{"incomeScore":`, f.IncomeScore}, {`,"debtScore":`, f.DebtScore}, {`,"amountPressure":`, f.AmountPressure},
		{`,"ageScore":`, f.AgeScore}, {`,"tenureScore":`, f.TenureScore}, {`,"openLineScore":`, f.OpenLineScore},
		{`,"debtRatio":`, f.DebtRatio}} {
		b = append(b, fl.name...)
		if b, err = appendFloat(b, fl.v); err != nil {
			return b, err
		}
	}
	b = append(b, `,"estimatedFields":`...)
	b = appendStrings(b, f.EstimatedFields)
	return append(b, "}}"...), nil
}

// errUnsupportedFloat is encoding/json's refusal of NaN and ±Inf.
var errUnsupportedFloat = errors.New("json: unsupported value: NaN or Inf")

// appendFloat writes f as encoding/json writes a float64: the shortest
// decimal that reads back as f, in exponent form only below 1e-6 or from 1e21
// on, with a one-digit negative exponent written without its leading zero.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, errUnsupportedFloat
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

func appendOptionalString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString writes s as a JSON string. Plain printable ASCII (all the
// engine's own words) is copied as it is; anything else — an applicant's
// name with quotes, <, >, &, control characters, non-ASCII or invalid UTF-8 —
// goes through encoding/json, which escapes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
