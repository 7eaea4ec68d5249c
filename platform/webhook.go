package platform

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names (https://www.standardwebhooks.com).
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// SignatureTolerance is how far a callback's timestamp may be from our clock.
const SignatureTolerance = 5 * time.Minute

const secretPrefix = "whsec_"

// Errors returned by Verify. All of them mean "reject with 401".
var (
	ErrMissingHeaders   = errors.New("webhook: missing id, timestamp or signature header")
	ErrBadTimestamp     = errors.New("webhook: timestamp is not a unix time")
	ErrStaleTimestamp   = errors.New("webhook: timestamp outside tolerance")
	ErrNoValidSignature = errors.New("webhook: no signature matches")
	ErrBadSecret        = errors.New("webhook: secret is not whsec_<base64>")
)

// WebhookSecret is a signing key in the Standard Webhooks form "whsec_<base64>".
type WebhookSecret string

// NewWebhookSecret returns a fresh random 256-bit secret.
func NewWebhookSecret() WebhookSecret {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return WebhookSecret(secretPrefix + base64.StdEncoding.EncodeToString(b))
}

// Key returns the secret's key bytes (ErrBadSecret when s is not whsec_<base64>).
func (s WebhookSecret) Key() ([]byte, error) { return s.key() }

func (s WebhookSecret) key() ([]byte, error) {
	raw, ok := strings.CutPrefix(string(s), secretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	k, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(k) == 0 {
		return nil, ErrBadSecret
	}
	return k, nil
}

// Valid reports whether s has the whsec_<base64> form.
func (s WebhookSecret) Valid() bool {
	_, err := s.key()
	return err == nil
}

// Sign returns the "v1,<base64>" signature of id.timestamp.body under secret.
func Sign(secret WebhookSecret, id string, ts time.Time, body []byte) (string, error) {
	k, err := secret.key()
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(k, id, ts.Unix(), body)), nil
}

// SetSignedHeaders sets the three Standard Webhooks headers on h for body.
func SetSignedHeaders(h http.Header, secret WebhookSecret, id string, ts time.Time, body []byte) error {
	sig, err := Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderWebhookSignature, sig)
	return nil
}

func mac(key []byte, id string, unix int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", id, unix)
	m.Write(body)
	return m.Sum(nil)
}

// ParseSignatures splits a webhook-signature header ("v1,sig1 v1,sig2 …") into the
// decoded v1 signatures it carries. Entries of other versions or with bad base64
// are skipped, so a header with no usable entry yields none.
func ParseSignatures(header string) [][]byte {
	var sigs [][]byte
	for _, part := range strings.Fields(header) {
		version, value, ok := strings.Cut(part, ",")
		if !ok || version != "v1" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(value)
		if err != nil || len(b) != sha256.Size {
			continue
		}
		sigs = append(sigs, b)
	}
	return sigs
}

// Verify checks a callback's headers against body. It accepts the callback when any
// signature in the header matches any of the secrets (so either side may rotate),
// and the timestamp is within SignatureTolerance of now. It returns the webhook id.
func Verify(secrets []WebhookSecret, h http.Header, body []byte, now time.Time) (string, error) {
	id, tsText, sigText := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp), h.Get(HeaderWebhookSignature)
	if id == "" || tsText == "" || sigText == "" {
		return "", ErrMissingHeaders
	}
	unix, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "", ErrBadTimestamp
	}
	ts := time.Unix(unix, 0)
	if ts.Before(now.Add(-SignatureTolerance)) || ts.After(now.Add(SignatureTolerance)) {
		return "", ErrStaleTimestamp
	}
	sigs := ParseSignatures(sigText)
	for _, secret := range secrets {
		k, err := secret.key()
		if err != nil {
			continue
		}
		want := mac(k, id, unix, body)
		for _, got := range sigs {
			if hmac.Equal(want, got) {
				return id, nil
			}
		}
	}
	return "", ErrNoValidSignature
}
