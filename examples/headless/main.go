// Command headless is a reference client of the headless journeys API (seed
// 001): it plays a partner's backend (which holds the API key and opens the
// borrower's session) and the borrower's app (which holds only the session
// token) and runs one journey end to end with plain net/http: start, profile,
// submit, poll the state on the interval its diagnostics name, list the
// offers, proceed with the first one, and print where to send the borrower.
//
//	PORTAL_URL=http://127.0.0.1:8080 PORTAL_API_KEY=sk_test_… go run ./examples/headless
//
// The key needs the journeys scope. Against stage, the borrower's email
// carries a QA scenario's plus-tag (-scenario), which steers the stage
// platform's answer; against production, leave it empty.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "headless:", err)
		os.Exit(1)
	}
}

// state is the journey's state answer: the app renders from it alone.
type state struct {
	Status         string `json:"status"`
	NextAction     string `json:"nextAction"`
	ActionRequired bool   `json:"actionRequired"`
	Resource       struct {
		Kind string `json:"kind"`
		Href string `json:"href"`
		URL  string `json:"url"`
	} `json:"resource"`
	Diagnostics struct {
		WaitingFor       string `json:"waitingFor"`
		PollAfterSeconds int    `json:"pollAfterSeconds"`
	} `json:"diagnostics"`
}

type journey struct {
	ID    string `json:"id"`
	State state  `json:"state"`
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("headless", flag.ContinueOnError)
	base := fs.String("url", or(getenv("PORTAL_URL"), "http://127.0.0.1:8080"), "the portal's base URL")
	ref := fs.String("borrower", "user-42", "your reference for the borrower")
	scenario := fs.String("scenario", "offers-all-ranges", "stage only: the QA scenario tag of the borrower's email")
	if err := fs.Parse(args); err != nil {
		return err
	}
	key := getenv("PORTAL_API_KEY")
	if key == "" {
		return errors.New("set PORTAL_API_KEY to a key with the journeys scope")
	}
	c := &client{base: *base, http: &http.Client{Timeout: 15 * time.Second}}

	// Partner backend: open the borrower's session with the API key.
	var session struct {
		SessionToken string `json:"sessionToken"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/v1/headless/sessions", key, map[string]string{"externalRef": *ref}, &session); err != nil {
		return err
	}
	// Borrower app: everything else with the session token only.
	tok := session.SessionToken
	var j journey
	if err := c.call(ctx, http.MethodPost, "/api/v1/headless/journeys", tok, nil, &j); err != nil {
		return err
	}
	fmt.Fprintf(out, "journey %s: %s → %s\n", j.ID, j.State.Status, j.State.NextAction)
	path := "/api/v1/headless/journeys/" + j.ID

	email := "alex@example.com"
	if *scenario != "" {
		email = "alex+" + *scenario + "@example.com"
	}
	profile := map[string]any{
		"requestedLoanAmount": "20000", "loanPurpose": "debt_consolidation",
		"firstName": "Alex", "lastName": "Rivera", "email": email, "phone": "202-555-0143",
		"dob": "1988-04-12", "ssn": "123-45-6789",
		"street": "1 Main St", "city": "Springfield", "state": "IL", "zipcode": "62701",
		"employmentStatus": "employed", "incomeYearly": "150000",
		"housingType": "rent", "housingMonthlyPayment": "1400", "creditRating": "excellent",
		"consentSoftPull": true, "consentTerms": true, "consentEsign": true,
	}
	if err := c.call(ctx, http.MethodPut, path+"/profile", tok, profile, &j); err != nil {
		return err
	}
	if err := c.call(ctx, http.MethodPost, path+"/submit", tok, nil, &j); err != nil {
		return err
	}
	st := j.State
	for st.Diagnostics.PollAfterSeconds > 0 {
		fmt.Fprintf(out, "%s, waiting for %s: next look in %d s\n", st.Status, st.Diagnostics.WaitingFor, st.Diagnostics.PollAfterSeconds)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(st.Diagnostics.PollAfterSeconds) * time.Second):
		}
		if err := c.call(ctx, http.MethodGet, path+"/state", tok, nil, &st); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "%s → %s\n", st.Status, st.NextAction)
	if st.NextAction != "CHOOSE_OFFER" {
		return nil // a real app renders the notice, the retry or the support screen here
	}

	var offers struct {
		FallbackReason string `json:"fallbackReason"`
		Groups         []struct {
			AmountRange string `json:"amountRange"`
			Offers      []struct {
				ID         string  `json:"id"`
				LenderName string  `json:"lenderName"`
				LoanAmount float64 `json:"loanAmount"`
				APR        float64 `json:"apr"`
			} `json:"offers"`
		} `json:"groups"`
	}
	if err := c.call(ctx, http.MethodGet, path+"/offers", tok, nil, &offers); err != nil {
		return err
	}
	if offers.FallbackReason != "" {
		fmt.Fprintln(out, offers.FallbackReason)
	}
	for _, g := range offers.Groups {
		for _, o := range g.Offers {
			fmt.Fprintf(out, "  %-30s %-28s $%.2f at %.2f%% APR\n", g.AmountRange, o.LenderName, o.LoanAmount, o.APR)
		}
	}
	chosen := offers.Groups[0].Offers[0]
	var step struct {
		Step struct {
			URL string `json:"url"`
		} `json:"step"`
		State state `json:"state"`
	}
	if err := c.call(ctx, http.MethodPost, path+"/offers/"+chosen.ID+"/proceed", tok, nil, &step); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: send the borrower to %s\n", step.State.Status, step.Step.URL)
	return nil
}

// client sends JSON calls: a fresh Idempotency-Key on every mutating call (a
// retry of the same operation would reuse it), and one X-Correlation-ID per
// run so support can follow the journey through the logs.
type client struct {
	base        string
	http        *http.Client
	correlation string
}

func (c *client) call(ctx context.Context, method, path, credential string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if c.correlation == "" {
		c.correlation = "headless-example-" + randomHex(6)
	}
	req.Header.Set("Authorization", "Bearer "+credential)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Correlation-ID", c.correlation)
	if method != http.MethodGet {
		req.Header.Set("Idempotency-Key", randomHex(16))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b) // a problem+json document
	}
	return json.Unmarshal(b, out)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func or(v, fallback string) string {
	if v != "" {
		return v
	}
	return fallback
}
