package platform

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fixed secrets so that fuzz runs are reproducible.
const (
	testSecretA = WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	testSecretB = WebhookSecret("whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=")
)

var webhookNow = time.Unix(1_700_000_000, 0)

func signedHeaders(t testing.TB, secret WebhookSecret, id string, ts time.Time, body []byte) http.Header {
	t.Helper()
	h := http.Header{}
	if err := SetSignedHeaders(h, secret, id, ts, body); err != nil {
		t.Fatalf("SetSignedHeaders: %v", err)
	}
	return h
}

func TestSignVerifyRoundTrip(t *testing.T) {
	body := []byte(`{"type":"lead.updated","data":{"uuid":"lead-1","status":"offers_found"}}`)
	h := signedHeaders(t, testSecretA, "msg_1", webhookNow, body)
	if got := h.Get(HeaderWebhookTimestamp); got != "1700000000" {
		t.Errorf("webhook-timestamp = %q, want unix seconds", got)
	}
	if !strings.HasPrefix(h.Get(HeaderWebhookSignature), "v1,") {
		t.Errorf("webhook-signature = %q, want v1,<base64>", h.Get(HeaderWebhookSignature))
	}
	id, err := Verify([]WebhookSecret{testSecretA}, h, body, webhookNow)
	if err != nil || id != "msg_1" {
		t.Fatalf("Verify = %q, %v; want msg_1, nil", id, err)
	}
	if _, err := Verify([]WebhookSecret{testSecretB}, h, body, webhookNow); !errors.Is(err, ErrNoValidSignature) {
		t.Errorf("Verify with another secret = %v, want ErrNoValidSignature", err)
	}
}

// TestSignMatchesStandardWebhooks recomputes the signature by the published scheme:
// base64(HMAC-SHA256(base64-decoded secret, "id.timestamp.body")).
func TestSignMatchesStandardWebhooks(t *testing.T) {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(testSecretA), "whsec_"))
	m := hmac.New(sha256.New, key)
	m.Write([]byte("msg_1.1700000000.{}"))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	got, err := Sign(testSecretA, "msg_1", webhookNow, []byte("{}"))
	if err != nil || got != want {
		t.Errorf("Sign = %q, %v; want %q", got, err, want)
	}
}

func TestVerifyAcceptsRotation(t *testing.T) {
	body := []byte(`{"a":1}`)
	sigA, _ := Sign(testSecretA, "msg_1", webhookNow, body)
	sigB, _ := Sign(testSecretB, "msg_1", webhookNow, body)
	tests := []struct {
		name    string
		header  string
		secrets []WebhookSecret
		wantErr error
	}{
		{"both signatures, old secret", sigA + " " + sigB, []WebhookSecret{testSecretA}, nil},
		{"both signatures, new secret", sigA + " " + sigB, []WebhookSecret{testSecretB}, nil},
		{"old signature, both secrets", sigA, []WebhookSecret{testSecretB, testSecretA}, nil},
		{"new signature, both secrets", sigB, []WebhookSecret{testSecretA, testSecretB}, nil},
		{"bad secret in list is skipped", sigB, []WebhookSecret{"not-a-secret", testSecretB}, nil},
		{"neither secret matches", sigA, []WebhookSecret{testSecretB}, ErrNoValidSignature},
		{"no secrets", sigA, nil, ErrNoValidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set(HeaderWebhookID, "msg_1")
			h.Set(HeaderWebhookTimestamp, "1700000000")
			h.Set(HeaderWebhookSignature, tt.header)
			_, err := Verify(tt.secrets, h, body, webhookNow)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyTimestampTolerance(t *testing.T) {
	body := []byte(`{}`)
	tests := []struct {
		name    string
		skew    time.Duration
		wantErr error
	}{
		{"now", 0, nil},
		{"4m59s old", -(SignatureTolerance - time.Second), nil},
		{"4m59s ahead", SignatureTolerance - time.Second, nil},
		{"5m01s old", -(SignatureTolerance + time.Second), ErrStaleTimestamp},
		{"5m01s ahead", SignatureTolerance + time.Second, ErrStaleTimestamp},
		{"a day old", -24 * time.Hour, ErrStaleTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Correctly signed for its own timestamp, so only the clock can reject it.
			h := signedHeaders(t, testSecretA, "msg_1", webhookNow.Add(tt.skew), body)
			_, err := Verify([]WebhookSecret{testSecretA}, h, body, webhookNow)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyRejectsTampering(t *testing.T) {
	body := []byte(`{"data":{"status":"no_offers"}}`)
	tests := []struct {
		name    string
		mutate  func(h http.Header, body []byte) []byte
		wantErr error
	}{
		{"body", func(h http.Header, b []byte) []byte {
			return bytes.Replace(b, []byte("no_offers"), []byte("offers_found"), 1)
		}, ErrNoValidSignature},
		{"body with trailing space", func(h http.Header, b []byte) []byte { return append(b, ' ') }, ErrNoValidSignature},
		{"id", func(h http.Header, b []byte) []byte { h.Set(HeaderWebhookID, "msg_2"); return b }, ErrNoValidSignature},
		{"timestamp", func(h http.Header, b []byte) []byte {
			h.Set(HeaderWebhookTimestamp, strconv.FormatInt(webhookNow.Unix()+1, 10))
			return b
		}, ErrNoValidSignature},
		{"timestamp not a number", func(h http.Header, b []byte) []byte {
			h.Set(HeaderWebhookTimestamp, "yesterday")
			return b
		}, ErrBadTimestamp},
		{"signature version", func(h http.Header, b []byte) []byte {
			h.Set(HeaderWebhookSignature, strings.Replace(h.Get(HeaderWebhookSignature), "v1,", "v2,", 1))
			return b
		}, ErrNoValidSignature},
		{"signature truncated", func(h http.Header, b []byte) []byte {
			s := h.Get(HeaderWebhookSignature)
			h.Set(HeaderWebhookSignature, s[:len(s)-4])
			return b
		}, ErrNoValidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := signedHeaders(t, testSecretA, "msg_1", webhookNow, body)
			b := tt.mutate(h, bytes.Clone(body))
			if _, err := Verify([]WebhookSecret{testSecretA}, h, b, webhookNow); !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyMissingHeaders(t *testing.T) {
	body := []byte(`{}`)
	for _, name := range []string{HeaderWebhookID, HeaderWebhookTimestamp, HeaderWebhookSignature} {
		t.Run(name, func(t *testing.T) {
			h := signedHeaders(t, testSecretA, "msg_1", webhookNow, body)
			h.Del(name)
			if _, err := Verify([]WebhookSecret{testSecretA}, h, body, webhookNow); !errors.Is(err, ErrMissingHeaders) {
				t.Errorf("Verify = %v, want ErrMissingHeaders", err)
			}
		})
	}
}

func TestVerifySkipsJunkSignatureEntries(t *testing.T) {
	body := []byte(`{}`)
	good, _ := Sign(testSecretA, "msg_1", webhookNow, body)
	junk := []string{
		"v1,!!!notbase64",
		"v1," + base64.StdEncoding.EncodeToString([]byte("short")),
		"v1a,abc",
		"nocomma",
		"v2," + strings.TrimPrefix(good, "v1,"),
		",",
	}
	h := http.Header{}
	h.Set(HeaderWebhookID, "msg_1")
	h.Set(HeaderWebhookTimestamp, "1700000000")
	h.Set(HeaderWebhookSignature, strings.Join(junk, " ")+"  "+good+"\t")
	if _, err := Verify([]WebhookSecret{testSecretA}, h, body, webhookNow); err != nil {
		t.Errorf("Verify with junk around a good signature = %v, want nil", err)
	}
	h.Set(HeaderWebhookSignature, strings.Join(junk, " "))
	if _, err := Verify([]WebhookSecret{testSecretA}, h, body, webhookNow); !errors.Is(err, ErrNoValidSignature) {
		t.Errorf("Verify with only junk = %v, want ErrNoValidSignature", err)
	}
	if sigs := ParseSignatures(strings.Join(junk, " ")); len(sigs) != 0 {
		t.Errorf("ParseSignatures(junk) returned %d signatures, want 0", len(sigs))
	}
}

func TestWebhookSecrets(t *testing.T) {
	s := NewWebhookSecret()
	if !s.Valid() || !strings.HasPrefix(string(s), "whsec_") {
		t.Errorf("NewWebhookSecret() = %q, want a valid whsec_ secret", s)
	}
	if NewWebhookSecret() == s {
		t.Error("NewWebhookSecret returned the same secret twice")
	}
	for _, bad := range []WebhookSecret{"", "whsec_", "whsec_***", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		if bad.Valid() {
			t.Errorf("%q.Valid() = true", bad)
		}
		if _, err := Sign(bad, "id", webhookNow, nil); !errors.Is(err, ErrBadSecret) {
			t.Errorf("Sign with %q = %v, want ErrBadSecret", bad, err)
		}
	}
}

func FuzzParseSignatures(f *testing.F) {
	good, _ := Sign(testSecretA, "msg_1", webhookNow, []byte("{}"))
	for _, seed := range []string{
		"", good, good + " " + good, "v1,", "v1,,", "v1,AAAA", " v1,abc v2,def ",
		"v1," + strings.Repeat("A", 44), "v1," + strings.Repeat("A", 43) + "=", "\x00v1,\xff",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		for _, sig := range ParseSignatures(header) {
			if len(sig) != sha256.Size {
				t.Fatalf("ParseSignatures(%q) returned a %d-byte signature", header, len(sig))
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	good, _ := Sign(testSecretA, "msg_1", webhookNow, []byte("{}"))
	f.Add("msg_1", int64(0), []byte("{}"), good, []byte("x"))
	f.Add("msg_1", int64(-299), []byte(`{"a":1}`), "v1,junk "+good, []byte{0})
	f.Add("", int64(10), []byte(""), "", []byte(""))
	f.Add("a.b", int64(301), []byte("1.{}"), "v1,AAAA", []byte("."))
	f.Add("msg\n2", int64(-100000), []byte(nil), good+" "+good, []byte("zz"))
	f.Fuzz(func(t *testing.T, id string, skew int64, body []byte, sigHeader string, extra []byte) {
		secrets := []WebhookSecret{testSecretA}
		ts := webhookNow.Add(time.Duration(skew%1_000_000) * time.Second)
		key, _ := testSecretA.key()
		correct := mac(key, id, ts.Unix(), body)

		// A random signature header verifies only if it carries the correct signature.
		h := http.Header{}
		h.Set(HeaderWebhookID, id)
		h.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
		h.Set(HeaderWebhookSignature, sigHeader)
		if _, err := Verify(secrets, h, body, webhookNow); err == nil {
			carried := false
			for _, s := range ParseSignatures(sigHeader) {
				carried = carried || hmac.Equal(s, correct)
			}
			if !carried {
				t.Fatalf("Verify accepted header %q without the correct signature", sigHeader)
			}
		}

		// The correct signature verifies exactly when the headers are present and
		// the timestamp is within tolerance.
		signed := signedHeaders(t, testSecretA, id, ts, body)
		_, err := Verify(secrets, signed, body, webhookNow)
		inTolerance := !ts.Before(webhookNow.Add(-SignatureTolerance)) && !ts.After(webhookNow.Add(SignatureTolerance))
		switch {
		case id == "":
			if !errors.Is(err, ErrMissingHeaders) {
				t.Fatalf("Verify with empty id = %v, want ErrMissingHeaders", err)
			}
			return
		case !inTolerance:
			if !errors.Is(err, ErrStaleTimestamp) {
				t.Fatalf("Verify at skew %ds = %v, want ErrStaleTimestamp", skew, err)
			}
			return
		case err != nil:
			t.Fatalf("Verify of a correct signature = %v", err)
		}

		// Any change to the body, id or timestamp breaks it.
		mutated := append(bytes.Clone(body), extra...)
		if len(extra) == 0 {
			mutated = append(mutated, '!')
		}
		if _, err := Verify(secrets, signed, mutated, webhookNow); err == nil {
			t.Fatalf("Verify accepted body %q signed for %q", mutated, body)
		}
		if len(body) > 0 {
			flipped := bytes.Clone(body)
			flipped[len(flipped)/2] ^= 0x01
			if _, err := Verify(secrets, signed, flipped, webhookNow); err == nil {
				t.Fatalf("Verify accepted a body with a flipped bit")
			}
		}
		otherID := signed.Clone()
		otherID.Set(HeaderWebhookID, id+string(extra)+"x")
		if _, err := Verify(secrets, otherID, body, webhookNow); err == nil {
			t.Fatalf("Verify accepted id %q signed for %q", otherID.Get(HeaderWebhookID), id)
		}
		otherTS := signed.Clone()
		otherTS.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix()+1, 10))
		if _, err := Verify(secrets, otherTS, body, webhookNow); err == nil {
			t.Fatalf("Verify accepted a timestamp it was not signed for")
		}
	})
}
