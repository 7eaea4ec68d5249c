package platform

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"prequal/lending"
)

const validCallback = `{
  "type": "lead.updated",
  "timestamp": "2025-01-02T03:04:05Z",
  "futureEnvelopeField": {"anything": [1, 2, 3]},
  "data": {
    "uuid": "lead-1",
    "partnerLeadId": "app-1",
    "status": "offers_found",
    "updatedAt": "2025-01-02T03:04:05Z",
    "newLeadField": true,
    "products": [{
      "productId": "prod-1", "lenderName": "Acme Lending", "amountRange": "requested-amount",
      "loanAmount": 12000, "termMonths": 36, "apr": 12.99, "interestRate": 11.49,
      "monthlyPayment": 395.65, "totalRepayment": 14243.4, "totalInterest": 2243.4,
      "originationFee": 240, "lenderOfferUrl": "https://lender.example/o/1",
      "disclaimer": "Subject to verification.", "newProductField": "x"
    }]
  }
}`

func TestDecodeCallbackAcceptsValid(t *testing.T) {
	cb, err := DecodeCallback([]byte(validCallback))
	if err != nil {
		t.Fatalf("DecodeCallback: %v", err)
	}
	if cb.Type != CallbackEventType || cb.Data.UUID != "lead-1" || cb.Data.Status != StatusOffersFound {
		t.Errorf("callback = %+v", cb)
	}
	if !cb.Timestamp.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("timestamp = %s", cb.Timestamp)
	}
	if len(cb.Data.Products) != 1 || cb.Data.Products[0].APR != 12.99 {
		t.Errorf("products = %+v", cb.Data.Products)
	}

	notice := `<p>We could not offer you a loan.</p>`
	noOffers, _ := json.Marshal(Callback{Type: CallbackEventType, Data: Lead{UUID: "lead-2", Status: StatusNoOffers, AdverseActionNotice: &notice}})
	cb, err = DecodeCallback(noOffers)
	if err != nil {
		t.Fatalf("DecodeCallback(no_offers): %v", err)
	}
	if cb.Data.AdverseActionNotice == nil || *cb.Data.AdverseActionNotice != notice {
		t.Errorf("notice = %v, want %q", cb.Data.AdverseActionNotice, notice)
	}
}

func TestDecodeCallbackRejects(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(validCallback, old) {
			t.Fatalf("test setup: %q not in validCallback", old)
		}
		return strings.Replace(validCallback, old, new, 1)
	}
	tests := []struct {
		name string
		body string
	}{
		{"empty", ""},
		{"null", "null"},
		{"array", `[` + validCallback + `]`},
		{"string", `"lead.updated"`},
		{"truncated", validCallback[:len(validCallback)/2]},
		{"trailing data", validCallback + `{}`},
		{"empty object", `{}`},
		{"wrong type", replace(`"lead.updated"`, `"lead.deleted"`)},
		{"missing type", replace(`"type": "lead.updated",`, ``)},
		{"data null", `{"type":"lead.updated","data":null}`},
		{"empty uuid", replace(`"uuid": "lead-1"`, `"uuid": ""`)},
		{"long uuid", replace(`"uuid": "lead-1"`, `"uuid": "`+strings.Repeat("u", 101)+`"`)},
		{"uuid not a string", replace(`"uuid": "lead-1"`, `"uuid": 7`)},
		{"unknown status", replace(`"status": "offers_found"`, `"status": "approved"`)},
		{"missing status", replace(`"status": "offers_found",`, ``)},
		{"bad product range", replace(`"requested-amount"`, `"some-amount"`)},
		{"hostile offer URL", replace(`"https://lender.example/o/1"`, `"javascript:alert(document.cookie)"`)},
		{"negative money", replace(`"loanAmount": 12000`, `"loanAmount": -12000`)},
		{"number too large", replace(`"loanAmount": 12000`, `"loanAmount": 1e400`)},
		{"products not a list", replace(`"products": [`, `"products": {"x": `)},
		{"too large", `{"type":"lead.updated","pad":"` + strings.Repeat("a", MaxCallbackBytes) + `","data":{"uuid":"l","status":"created"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeCallback([]byte(tt.body)); !errors.Is(err, ErrMalformedCallback) {
				t.Errorf("DecodeCallback = %v, want ErrMalformedCallback", err)
			}
		})
	}
}

func FuzzDecodeCallback(f *testing.F) {
	for _, seed := range []string{
		validCallback,
		`{"type":"lead.updated","data":{"uuid":"x","status":"created"}}`,
		`{"type":"lead.updated","data":{"uuid":"x","status":"no_offers","adverseActionNotice":"<script>alert(1)</script>"}}`,
		`{"type":"lead.updated","data":{"uuid":"x","status":"offers_found","products":[{}]}}`,
		`{"type":"lead.updated","data":{"uuid":"x","status":"bogus"}}`,
		`{"TYPE":"lead.updated","Data":{"UUID":"x","Status":"created"}}`,
		`null`, `[]`, `{`, ``, ` {"type":1}`, "\xff\xfe{}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := DecodeCallback(body)
		if err != nil {
			if !errors.Is(err, ErrMalformedCallback) {
				t.Fatalf("DecodeCallback error %v does not wrap ErrMalformedCallback", err)
			}
			return
		}
		if cb.Type != CallbackEventType {
			t.Fatalf("accepted type %q", cb.Type)
		}
		if cb.Data.UUID == "" || len(cb.Data.UUID) > 100 {
			t.Fatalf("accepted uuid %q", cb.Data.UUID)
		}
		if _, err := lending.ParseLeadStatus(cb.Data.Status); err != nil {
			t.Fatalf("accepted status %q: %v", cb.Data.Status, err)
		}
		offers, err := cb.Data.Offers()
		if err != nil || len(offers) != len(cb.Data.Products) {
			t.Fatalf("accepted products that do not convert: %v", err)
		}
	})
}
