package api

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"prequal/decision"
)

// encoded is what json.Encoder (c.JSON) writes for v.
func encoded(t testing.TB, v any) ([]byte, error) {
	t.Helper()
	var buf bytes.Buffer
	err := json.NewEncoder(&buf).Encode(v)
	return buf.Bytes(), err
}

// sameAsEncodingJSON fails unless v's hand encoding is json.Encoder's, byte
// for byte, or both refuse v.
func sameAsEncodingJSON(t testing.TB, v interface{ appendJSON([]byte) ([]byte, error) }) {
	t.Helper()
	want, wantErr := encoded(t, v)
	got, err := v.appendJSON(nil)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("hand encoding error %v, encoding/json's %v", err, wantErr)
	}
	if wantErr == nil && !bytes.Equal(got, want) {
		t.Fatalf("hand encoding differs from encoding/json:\n got %s\nwant %s", got, want)
	}
}

func randomApplicant(r *rand.Rand) decision.Applicant {
	a := decision.Applicant{
		Age:             18 + r.IntN(80),
		Income:          math.Round(r.Float64()*300000*100) / 100,
		ExistingDebt:    r.Float64() * 50000,
		RequestedAmount: float64(1000 + r.IntN(100000)),
	}
	if r.IntN(2) == 0 {
		y := r.IntN(40)
		a.YearsAtJob = &y
	}
	if r.IntN(2) == 0 {
		l := r.IntN(20)
		a.OpenCreditLines = &l
	}
	names := []string{"Ada", `Ada "the" <Lovelace> & co`, "Zoë Ñúñez", "line\nbreak\ttab\x01", "\u2028\u2029", "bad \xff utf8", ""}
	if r.IntN(2) == 0 {
		n := names[r.IntN(len(names))]
		a.Name = &n
	}
	return a
}

// The decision and score answers are encoding/json's, byte for byte: for the
// demo key's, and for a thousand random applicants through the real engine.
func TestHandEncodingIsEncodingJSONs(t *testing.T) {
	demo := newDemoResponses()
	sameAsEncodingJSON(t, demo.decision)
	sameAsEncodingJSON(t, demo.score)
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		a := randomApplicant(r)
		d := decision.Evaluate(a)
		sameAsEncodingJSON(t, newDecisionResponse(a, d))
		sameAsEncodingJSON(t, scoreResponse{Success: true, Result: d})
	}
	// Values the engine does not produce today, which the encoder must still get right.
	empty := ""
	sameAsEncodingJSON(t, scoreResponse{Result: decision.Decision{ApprovalReason: &empty, NextSteps: []string{}}})
	for _, f := range []float64{0, math.Copysign(0, -1), 1e-7, 1e-6, 9.99e-7, 1e20, 1e21, 1.5e300, -2.5e-10, 5e-324,
		math.MaxFloat64, 0.1, 123456789.125, -42} {
		sameAsEncodingJSON(t, scoreResponse{Result: decision.Decision{Factors: decision.Factors{DebtRatio: f}}})
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		sameAsEncodingJSON(t, scoreResponse{Result: decision.Decision{Factors: decision.Factors{IncomeScore: f}}})
	}
}

func FuzzHandEncoding(f *testing.F) {
	f.Add("Ada", 65000.5, 1e-7, 30)
	f.Add("<script>&\"\\", 1e21, -0.0, 0)
	f.Add("\xff\xfe", math.MaxFloat64, 5e-324, 120)
	f.Fuzz(func(t *testing.T, name string, income, ratio float64, age int) {
		a := decision.Applicant{Age: age, Income: income, Name: &name}
		d := decision.Decision{RiskLevel: name, NextSteps: []string{name}, Factors: decision.Factors{DebtRatio: ratio}}
		sameAsEncodingJSON(t, newDecisionResponse(a, d))
	})
}

// Over HTTP: a billed answer is the bytes c.JSON sent, and ?pretty still
// indents it.
func TestBilledAnswersOverHTTP(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme")
	a := demoApplicant()
	want, _ := encoded(t, newDecisionResponse(a, decision.Evaluate(a)))
	r := p.call("POST", "/api/v1/decision", key, seedRequest)
	if r.status != 200 || !bytes.Equal(r.body, want) || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("decision: %d %q\n%s", r.status, r.header.Get("Content-Type"), r.body)
	}
	r = p.call("POST", "/api/v1/score?pretty", key, seedRequest)
	var pretty bytes.Buffer
	enc := json.NewEncoder(&pretty)
	enc.SetIndent("", "  ")
	_ = enc.Encode(scoreResponse{Success: true, Result: decision.Evaluate(a)})
	if r.status != 200 || !bytes.Equal(r.body, pretty.Bytes()) {
		t.Errorf("score?pretty: %d\n%s", r.status, r.body)
	}
}

func BenchmarkEncodeDecision(b *testing.B) {
	a := demoApplicant()
	v := newDecisionResponse(a, decision.Evaluate(a))
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			_ = json.NewEncoder(&buf).Encode(v)
		}
	})
	b.Run("by-hand", func(b *testing.B) {
		b.ReportAllocs()
		var out []byte
		for b.Loop() {
			out, _ = v.appendJSON(out[:0])
		}
	})
}
