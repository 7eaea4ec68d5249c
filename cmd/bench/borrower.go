package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"prequal/lending"
	"prequal/stage"
)

// borrower is one browser session on the portal: its session cookie, kept by
// hand (the clients share one transport and no cookie jar).
type borrower struct {
	base   string
	client *http.Client
	cookie string // "prequal_borrower=…" once the portal set it
}

var keyInput = regexp.MustCompile(`name="idempotencyKey"[^>]*value="([a-z2-7]{26})"|value="([a-z2-7]{26})"[^>]*name="idempotencyKey"`)

// errStatus is an answer with an unexpected status code.
type errStatus struct {
	method, path string
	code         int
}

func (e errStatus) Error() string { return fmt.Sprintf("%s %s: status %d", e.method, e.path, e.code) }

// do sends req with the session cookie, keeps a cookie the portal sets, reads
// the whole body and returns the status and body.
func (b *borrower) do(req *http.Request) (int, []byte, http.Header, error) {
	if b.cookie != "" {
		req.Header.Set("Cookie", b.cookie)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	for _, c := range resp.Cookies() {
		if c.Name == "prequal_borrower" {
			b.cookie = c.Name + "=" + c.Value
		}
	}
	return resp.StatusCode, body, resp.Header, nil
}

// startForm opens the form (GET /apply), starting the session when there is
// none, and returns the form's idempotency key.
func (b *borrower) startForm(ctx context.Context) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/apply", nil)
	code, body, _, err := b.do(req)
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", errStatus{"GET", "/apply", code}
	}
	m := keyInput.FindSubmatch(body)
	if m == nil {
		return "", errors.New("GET /apply: no idempotency key in the form")
	}
	return string(m[1]) + string(m[2]), nil
}

// submit posts a filled-in form with the key and returns the application id
// from the 303.
func (b *borrower) submit(ctx context.Context, form url.Values, key string) (string, error) {
	form.Set(lending.FieldIdempotencyKey, key)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/apply", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	code, _, h, err := b.do(req)
	if err != nil {
		return "", err
	}
	id, ok := strings.CutPrefix(h.Get("Location"), "/applications/")
	if code != http.StatusSeeOther || !ok {
		return "", errStatus{"POST", "/apply", code}
	}
	return id, nil
}

// apply is a borrower's whole submit: open the form, post it.
func (b *borrower) apply(ctx context.Context, form url.Values) (string, error) {
	key, err := b.startForm(ctx)
	if err != nil {
		return "", err
	}
	return b.submit(ctx, form, key)
}

var pollDelay = regexp.MustCompile(`hx-trigger="load delay:(\d+)ms"`)

// pollStatus is one htmx poll of the checking-rates screen. done reports that
// the portal stopped the polling (286: there is an outcome to show); otherwise
// next is the interval the portal asked for (hx-trigger), 0 when none.
func (b *borrower) pollStatus(ctx context.Context, id string) (done bool, next time.Duration, err error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/applications/"+id+"/status", nil)
	req.Header.Set("HX-Request", "true")
	code, body, _, err := b.do(req)
	switch {
	case err != nil:
		return false, 0, err
	case code == http.StatusOK:
		if m := pollDelay.FindSubmatch(body); m != nil {
			n, _ := strconv.Atoi(string(m[1]))
			next = time.Duration(n) * time.Millisecond
		}
		return false, next, nil
	case code == 286:
		return true, 0, nil
	}
	return false, 0, errStatus{"GET", "/applications/{id}/status", code}
}

var formSeq atomic.Int64

// scenarioForm is a QA scenario's persona with a fresh email and SSN, marked as
// QA test data (the scenario field), as /qa starts it. The velocity rules would
// hold thousands of applications from one address within the hour; test data is
// exempt from them (not from the identity rule, hence a fresh SSN each time).
func scenarioForm(id string) (url.Values, error) {
	sc, ok := stage.ScenarioByID(id)
	if !ok {
		return nil, fmt.Errorf("no QA scenario %q", id)
	}
	n := formSeq.Add(1)
	form := url.Values{}
	for k, v := range sc.Form {
		form.Set(k, v)
	}
	form.Set("scenario", sc.ID)
	form.Set(lending.FieldEmail, fmt.Sprintf("bench%d+%s@example.com", n, sc.ID))
	form.Set(lending.FieldSSN, fmt.Sprintf("%03d-%02d-%04d", 100+(n/(9999*99))%500, 1+(n/9999)%99, 1+n%9999))
	return form, nil
}
