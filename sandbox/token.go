package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"prequal/platform"
)

// maxTokenRequestBytes bounds the form body of a token request.
const maxTokenRequestBytes = 16 << 10

// OAuth2 error codes (RFC 6749 §5.2, RFC 6750 §3.1).
const (
	errInvalidClient        = "invalid_client"
	errInvalidRequest       = "invalid_request"
	errUnsupportedGrantType = "unsupported_grant_type"
	errInvalidToken         = "invalid_token"
)

// handleToken serves POST /oauth2/token: the client credentials grant, with the
// client authenticated by HTTP Basic or by client_id/client_secret form fields.
func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequestBytes)
	if err := r.ParseForm(); err != nil {
		s.logToken(ctx, "", errInvalidRequest, http.StatusBadRequest)
		writeError(w, http.StatusBadRequest, errInvalidRequest)
		return
	}
	id, secret, ok := clientCredentials(r)
	if !ok || !s.validClient(id, secret) {
		s.logToken(ctx, id, errInvalidClient, http.StatusUnauthorized)
		w.Header().Set("WWW-Authenticate", `Basic realm="sandbox"`)
		writeError(w, http.StatusUnauthorized, errInvalidClient)
		return
	}
	switch grant := r.PostForm.Get("grant_type"); grant {
	case "client_credentials":
	case "":
		s.logToken(ctx, id, errInvalidRequest, http.StatusBadRequest)
		writeError(w, http.StatusBadRequest, errInvalidRequest)
		return
	default:
		s.logToken(ctx, id, errUnsupportedGrantType, http.StatusBadRequest)
		writeError(w, http.StatusBadRequest, errUnsupportedGrantType)
		return
	}

	token := "sbx_" + base64.RawURLEncoding.EncodeToString(randomBytes(32))
	now := time.Now()
	var tokenID int64
	err := s.st.inTx(ctx, func(q querier) error {
		var err error
		tokenID, err = insertToken(ctx, q, hashToken(token), id, now, now.Add(s.cfg.TokenTTL))
		if err != nil {
			return err
		}
		return insertLog(ctx, q, LogEntry{Time: now, Kind: LogToken, ClientID: id, Outcome: "issued",
			ResponseStatus: http.StatusOK, CorrelationID: correlationFrom(ctx)}, tokenID)
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, platform.TokenResponse{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   max(1, int(s.cfg.TokenTTL/time.Second)),
	})
}

// clientCredentials reads the client id and secret from HTTP Basic (form-url-
// decoded, as RFC 6749 §2.3.1 requires) or from the form body.
func clientCredentials(r *http.Request) (id, secret string, ok bool) {
	if user, pass, basic := r.BasicAuth(); basic {
		uid, err1 := url.QueryUnescape(user)
		usecret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return user, "", false
		}
		return uid, usecret, true
	}
	id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	return id, secret, id != "" && secret != ""
}

// validClient compares in constant time (over hashes, so lengths leak nothing).
func (s *Sandbox) validClient(id, secret string) bool {
	idOK := subtle.ConstantTimeCompare(sum(id), sum(s.cfg.ClientID))
	secretOK := subtle.ConstantTimeCompare(sum(secret), sum(s.cfg.ClientSecret))
	return idOK&secretOK == 1
}

func sum(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}

// hashToken is how a bearer token is stored: only its SHA-256, so the database
// never holds a usable token.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return b
}

// logToken records a refused token request. Call-log failures are logged, not
// returned: the log is a QA aid and must not turn an answer into a 500.
func (s *Sandbox) logToken(ctx context.Context, clientID, outcome string, status int) {
	s.appendLog(ctx, LogEntry{Time: time.Now(), Kind: LogToken, ClientID: truncate(clientID), Outcome: outcome,
		ResponseStatus: status, CorrelationID: correlationFrom(ctx)}, 0)
}

// appendLog writes one call-log entry on its own.
func (s *Sandbox) appendLog(ctx context.Context, e LogEntry, tokenID int64) {
	err := s.st.inTx(ctx, func(q querier) error { return insertLog(ctx, q, e, tokenID) })
	if err != nil {
		s.log.WarnContext(ctx, "sandbox: call log write failed", "err", err, "kind", e.Kind,
			"correlation_id", e.CorrelationID)
	}
}

// requireToken rejects requests without a valid, unexpired bearer token (401 with
// a JSON body and a WWW-Authenticate challenge), and passes on the client id.
func (s *Sandbox) requireToken(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		deny := func(desc string) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sandbox", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, errInvalidToken+": "+desc)
		}
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			deny("a bearer token is required")
			return
		}
		t, err := s.st.getToken(r.Context(), hashToken(strings.TrimSpace(token)))
		switch {
		case errors.Is(err, errNotFound):
			deny("unknown token")
			return
		case err != nil:
			s.internalError(w, r, err)
			return
		case !time.Now().Before(t.ExpiresAt):
			deny("the token has expired")
			return
		}
		ctx := context.WithValue(r.Context(), ctxClientID, t.ClientID)
		ctx = context.WithValue(ctx, ctxTokenID, t.ID)
		next(w, r.WithContext(ctx))
	}
}
