package sandbox

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"prequal/decision"
	"prequal/lending"
	"prequal/platform"
	"prequal/stage"
)

func TestLenderPageSelectsTheProduct(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	uuid := h.create(tok, plainLead(t, "select-1"))
	l := h.waitStatus(tok, uuid, platform.StatusOffersFound)
	waitFor(t, "the offers callback", func() bool { return len(h.recv.accepted(uuid)) == 1 })
	chosen, other := l.Products[0], l.Products[1]

	status, body := get(t, chosen.LenderOfferURL)
	if status != http.StatusOK {
		t.Fatalf("lender page: %d", status)
	}
	for _, want := range []string{`<html lang="en">`, "<title>" + chosen.LenderName, "<h1>" + chosen.LenderName + "</h1>",
		"<main>", "You chose a loan of", "APR", "monthly payment of " + lending.DollarsToCents(chosen.MonthlyPayment).String(),
		"stage lender"} {
		if !strings.Contains(body, want) {
			t.Errorf("lender page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("lender page has a script")
	}

	l = h.lead(tok, uuid)
	if l.Status != platform.StatusProductSelected || l.SelectedProductID == nil || *l.SelectedProductID != chosen.ProductID {
		t.Fatalf("after the visit: status %s, selected %v", l.Status, l.SelectedProductID)
	}
	waitFor(t, "the product_selected callback", func() bool { return len(h.recv.accepted(uuid)) == 2 })
	cb := h.recv.accepted(uuid)[1].Callback.Data
	if cb.Status != platform.StatusProductSelected || cb.SelectedProductID == nil || *cb.SelectedProductID != chosen.ProductID {
		t.Fatalf("callback = %+v", cb)
	}

	// Visiting again is idempotent: same page, no new callback.
	if status, _ := get(t, chosen.LenderOfferURL); status != http.StatusOK {
		t.Errorf("second visit: %d", status)
	}
	// Another offer of the same lead is no longer available.
	if status, body := get(t, other.LenderOfferURL); status != http.StatusConflict || !strings.Contains(body, "already chosen another offer") {
		t.Errorf("other offer: %d", status)
	}
	if status, _ := get(t, h.srv.URL+"/lenders/summit-ridge/offers/prd_nope"); status != http.StatusNotFound {
		t.Errorf("unknown product: %d", status)
	}
	wrongLender := strings.Replace(chosen.LenderOfferURL, "/lenders/", "/lenders/x", 1)
	if status, _ := get(t, wrongLender); status != http.StatusNotFound {
		t.Errorf("product under another lender: %d", status)
	}
	var visits []string
	for _, e := range h.callLog(tok, "lead="+uuid) {
		if e.Kind == LogLenderVisit {
			visits = append(visits, e.Outcome)
		}
	}
	if strings.Join(visits, ",") != "selected,already_selected,other_offer_selected" {
		t.Errorf("visits in the log = %v", visits)
	}
	if n := len(h.recv.callsFor(uuid)); n != 2 {
		t.Errorf("%d callbacks, want 2 (offers_found, product_selected)", n)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestProductsAreConsistent(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	uuid := h.create(tok, scenarioLead(t, stage.ScenarioOffersAllRanges, "amort-1"))
	l := h.waitStatus(tok, uuid, platform.StatusOffersFound)

	wantAmount := map[string]float64{platform.RangeRequested: 20000, platform.RangeLower: 15000, platform.RangeHigher: 25000}
	urlPattern := regexp.MustCompile(`^` + regexp.QuoteMeta(h.srv.URL) + `/lenders/[a-z-]+/offers/prd_[0-9a-f]{24}$`)
	ids := map[string]bool{}
	lenders := map[string]bool{}
	for _, p := range l.Products {
		t.Run(p.LenderName+" "+p.AmountRange, func(t *testing.T) {
			if ids[p.ProductID] {
				t.Errorf("duplicate productId %s", p.ProductID)
			}
			ids[p.ProductID] = true
			lenders[p.LenderName] = true
			if p.LoanAmount != wantAmount[p.AmountRange] {
				t.Errorf("loanAmount %v in %s, want %v", p.LoanAmount, p.AmountRange, wantAmount[p.AmountRange])
			}
			principal := lending.DollarsToCents(p.LoanAmount)
			am, err := lending.Amortize(principal, lending.PercentToBasisPoints(p.InterestRate), p.TermMonths)
			if err != nil {
				t.Fatal(err)
			}
			if got := lending.DollarsToCents(p.MonthlyPayment); got != am.MonthlyPayment {
				t.Errorf("monthlyPayment %s, Amortize says %s", got, am.MonthlyPayment)
			}
			total, interest := lending.DollarsToCents(p.TotalRepayment), lending.DollarsToCents(p.TotalInterest)
			if total != am.TotalRepayment || interest != total-principal {
				t.Errorf("totalRepayment %s totalInterest %s for %s", total, interest, principal)
			}
			fee := lending.DollarsToCents(p.OriginationFee)
			apr, err := lending.APR(principal, fee, am.MonthlyPayment, p.TermMonths)
			if err != nil {
				t.Fatal(err)
			}
			if got := lending.PercentToBasisPoints(p.APR); got != apr || (fee > 0 && apr <= lending.PercentToBasisPoints(p.InterestRate)) {
				t.Errorf("apr %s, lending.APR says %s (rate %v, fee %s)", got, apr, p.InterestRate, fee)
			}
			if !urlPattern.MatchString(p.LenderOfferURL) {
				t.Errorf("lenderOfferUrl %q", p.LenderOfferURL)
			}
			if p.Disclaimer == "" || !strings.Contains(p.Disclaimer, p.LenderName) {
				t.Errorf("disclaimer %q", p.Disclaimer)
			}
			// The portal must accept every product as an offer.
			if _, err := p.Offer(); err != nil {
				t.Errorf("portal refuses the product: %v", err)
			}
		})
	}
	if len(lenders) < 3 {
		t.Errorf("only %d lenders made offers to a strong applicant", len(lenders))
	}
	// GET twice: productIds are stable.
	again := h.lead(tok, uuid)
	for i := range again.Products {
		if again.Products[i].ProductID != l.Products[i].ProductID {
			t.Fatal("productIds changed between reads")
		}
	}
}

func TestNoOffersNotice(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	lead := scenarioLead(t, stage.ScenarioUnderwritingDecline, "notice-1")
	uuid := h.create(tok, lead)
	l := h.waitStatus(tok, uuid, platform.StatusNoOffers)
	if l.AdverseActionNotice == nil {
		t.Fatal("no notice")
	}
	notice := *l.AdverseActionNotice
	d := decision.Evaluate(applicantFor(lead, lead.RequestedLoanAmount, l.UpdatedAt))
	if len(d.PrincipalReasons) == 0 {
		t.Fatal("the persona is not declined with reasons")
	}
	wants := []string{
		"<h2>", "<ul>", ActionTaken, "$25,000",
		"The Federal Equal Credit Opportunity Act prohibits creditors from discriminating against credit applicants " +
			"on the basis of race, color, religion, national origin, sex, marital status, age",
		"free copy of your report", "dispute",
		"from a low of 200 to a high of 850", decision.ScoreBand(d.Score), "score of " + strconv.Itoa(d.Score),
		"Key factors", l.UpdatedAt.Format("January 2, 2006"),
	}
	for _, r := range d.PrincipalReasons {
		wants = append(wants, "<li>"+r+"</li>")
	}
	for _, want := range wants {
		if !strings.Contains(notice, want) {
			t.Errorf("notice lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "onerror", "javascript:", lead.Borrower.SSN} {
		if strings.Contains(notice, bad) {
			t.Errorf("notice contains %q", bad)
		}
	}
	if n := strings.Count(notice, "<li>"); n > 4+4 {
		t.Errorf("%d list items: at most 4 reasons and 4 key factors", n)
	}
}

// postOutcome posts the lender page's QA form and returns the status and the
// Location it answered (redirects are not followed).
func postOutcome(t *testing.T, lenderOfferURL string, form url.Values) (int, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(lenderOfferURL+"/outcome", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func TestLenderOutcomeIsReportedBySignedCallback(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	uuid := h.create(tok, plainLead(t, "outcome-1"))
	l := h.waitStatus(tok, uuid, platform.StatusOffersFound)
	chosen, other := l.Products[0], l.Products[1]

	// Before the borrower chose, the lender has nothing to decide.
	if status, _ := postOutcome(t, chosen.LenderOfferURL, url.Values{"outcome": {"approved"}}); status != http.StatusConflict {
		t.Fatalf("outcome before selection: %d", status)
	}
	_, body := get(t, chosen.LenderOfferURL)
	if !strings.Contains(body, `data-testid="lender-outcome-form"`) || !strings.Contains(body, `action="`+chosen.ProductID+`/outcome"`) {
		t.Fatalf("the lender page has no QA decision form:\n%s", body)
	}
	waitFor(t, "the product_selected callback", func() bool { return len(h.recv.accepted(uuid)) == 2 })

	if status, _ := postOutcome(t, other.LenderOfferURL, url.Values{"outcome": {"approved"}}); status != http.StatusConflict {
		t.Errorf("outcome for an offer not chosen: %d", status)
	}
	if status, _ := postOutcome(t, chosen.LenderOfferURL, url.Values{"outcome": {"declined"}}); status != http.StatusConflict {
		t.Errorf("a decline without a reason: %d", status)
	}
	status, loc := postOutcome(t, chosen.LenderOfferURL, url.Values{"outcome": {"approved"}})
	if status != http.StatusSeeOther || loc != "../"+chosen.ProductID {
		t.Fatalf("approve: %d Location %q", status, loc)
	}
	waitFor(t, "the approved callback", func() bool { return len(h.recv.accepted(uuid)) == 3 })
	cb := h.recv.accepted(uuid)[2].Callback.Data
	if cb.Status != platform.StatusProductSelected || cb.LenderOutcome == nil || cb.LenderOutcome.Status != "approved" ||
		cb.LenderOutcome.ProductID != chosen.ProductID || cb.LenderOutcome.DecidedAt.IsZero() {
		t.Fatalf("approved callback %+v", cb.LenderOutcome)
	}
	// Approved may still be declined at verification, with reasons; then nothing more.
	status, _ = postOutcome(t, chosen.LenderOfferURL, url.Values{"outcome": {"declined"},
		"reason": {"Unable to verify income", "made up", "Unable to verify income"}})
	if status != http.StatusSeeOther {
		t.Fatalf("decline: %d", status)
	}
	waitFor(t, "the declined callback", func() bool { return len(h.recv.accepted(uuid)) == 4 })
	o := h.recv.accepted(uuid)[3].Callback.Data.LenderOutcome
	if o == nil || o.Status != "declined" || len(o.Reasons) != 1 || o.Reasons[0] != "Unable to verify income" {
		t.Fatalf("declined callback %+v", o)
	}
	if status, _ := postOutcome(t, chosen.LenderOfferURL, url.Values{"outcome": {"funded"}}); status != http.StatusConflict {
		t.Errorf("funded after a decline: %d", status)
	}
	_, body = get(t, chosen.LenderOfferURL)
	if !strings.Contains(body, `data-outcome="declined"`) || strings.Contains(body, "lender-outcome-form") {
		t.Error("the lender page does not show the final decision, or still offers the form")
	}
	// Polling sees it too.
	if l := h.lead(tok, uuid); l.LenderOutcome == nil || l.LenderOutcome.Status != "declined" {
		t.Errorf("GET lead: %+v", l.LenderOutcome)
	}
}
