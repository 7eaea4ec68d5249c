package webhooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"prequal/platform"
)

// maxListenBody bounds a delivery the local receiver reads.
const maxListenBody = 1 << 20

// Receiver is the local receiver of `portal webhook listen`: it verifies each
// delivery (Standard Webhooks, any of its secrets, 5-minute timestamp
// tolerance), prints the verified ones and answers 204, and refuses forged or
// stale ones with 401 (and says so on its output).
type Receiver struct {
	Secrets []string
	Out     io.Writer
	Now     func() time.Time
	mu      sync.Mutex // one delivery printed at a time
}

func (rv *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST webhook deliveries here", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxListenBody+1))
	if err != nil || len(body) > maxListenBody {
		http.Error(w, "unreadable or too large body", http.StatusBadRequest)
		return
	}
	now := time.Now
	if rv.Now != nil {
		now = rv.Now
	}
	var secrets []platform.WebhookSecret
	for _, s := range rv.Secrets {
		secrets = append(secrets, platform.WebhookSecret(s))
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	id, err := platform.Verify(secrets, r.Header, body, now())
	if err != nil {
		fmt.Fprintf(rv.Out, "REFUSED %s %s from %s: %v\n", r.Header.Get(platform.HeaderWebhookID), r.URL.Path, r.RemoteAddr, err)
		http.Error(w, "signature verification failed", http.StatusUnauthorized)
		return
	}
	var b Body
	_ = json.Unmarshal(body, &b)
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "  ", "  ") != nil {
		pretty.Reset()
		pretty.Write(body)
	}
	fmt.Fprintf(rv.Out, "VERIFIED %s %s sequence=%d application=%s\n  %s\n", id, b.Type, b.Sequence, b.ApplicationID, pretty.String())
	w.WriteHeader(http.StatusNoContent)
}
