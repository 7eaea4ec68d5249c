package sandbox

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"prequal/lending"
	"prequal/platform"
)

// What a visit to a lenderOfferUrl did.
const (
	visitSelected        = "selected"
	visitAlreadySelected = "already_selected"
	visitOtherSelected   = "other_offer_selected"
	visitNotFound        = "not_found"
)

// lenderPage is the view model of the stage lender's landing page.
type lenderPage struct {
	Title, Heading string
	Message        string
	Product        *productView
	// Outcome is the lender's decision QA played so far ("" none); Decide, when
	// set, is the action of the QA form that plays the next one.
	Outcome        string
	OutcomeReasons []string
	Decide         string
	Choices        []string // the outcomes that may follow Outcome
	DeclineReasons []string
}

type productView struct {
	Amount, APR, Rate, Payment, Fee, Total, Interest string
	Term                                             int
}

var lenderPageTemplate = template.Must(template.New("lender").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
</head>
<body>
<main>
<h1>{{.Heading}}</h1>
{{with .Product}}<p data-testid="lender-selection">You chose a loan of {{.Amount}} over {{.Term}} months at {{.APR}} APR, with a monthly payment of {{.Payment}}.</p>
<dl>
<dt>Interest rate</dt><dd>{{.Rate}}</dd>
<dt>Origination fee</dt><dd>{{.Fee}}</dd>
<dt>Total repayment</dt><dd>{{.Total}}</dd>
<dt>Total interest</dt><dd>{{.Interest}}</dd>
</dl>
{{end}}{{with .Message}}<p>{{.}}</p>
{{end}}{{if .Outcome}}<p data-testid="lender-outcome">The lender's decision: <strong data-outcome="{{.Outcome}}">{{.Outcome}}</strong>{{with .OutcomeReasons}} ({{range $i, $r := .}}{{if $i}}; {{end}}{{$r}}{{end}}){{end}}. The portal was told by a signed callback.</p>
{{end}}{{if .Decide}}<form method="post" action="{{.Decide}}" data-testid="lender-outcome-form">
<fieldset>
<legend>QA: play the lender's decision</legend>
{{range .Choices}}<p><input type="radio" name="outcome" id="outcome-{{.}}" value="{{.}}" required><label for="outcome-{{.}}">{{.}}</label></p>
{{end}}{{if .DeclineReasons}}<fieldset>
<legend>Reasons, if declined</legend>
{{range $i, $r := .DeclineReasons}}<p><input type="checkbox" name="reason" id="reason-{{$i}}" value="{{$r}}"><label for="reason-{{$i}}">{{$r}}</label></p>
{{end}}</fieldset>
{{end}}<p><button type="submit">Report this decision to the portal</button></p>
</fieldset>
</form>
{{end}}<p data-testid="stage-lender-note">This is a stage lender of the Prequal sandbox: no application has been made, no credit has been pulled and no money will be lent.</p>
</main>
</body>
</html>
`))

// handleLenderOffer serves GET /lenders/{slug}/offers/{productId}: the stage
// lender's landing page. Visiting it selects the product (seed 000): the lead
// becomes product_selected with selectedProductId, and a callback says so.
// Visiting again changes nothing.
func (s *Sandbox) handleLenderOffer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	slug, productID := r.PathValue("slug"), r.PathValue("productId")
	outcome, l, p, err := s.selectProduct(ctx, slug, productID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	page := lenderPage{Title: "Offer not found", Heading: "Offer not found",
		Message: "We could not find this offer. Go back to your results and choose an offer again."}
	status := http.StatusNotFound
	if outcome != visitNotFound {
		name := p.LenderName
		if lender, ok := lenderBySlug(slug); ok {
			name = lender.Name
		}
		page = lenderPage{Title: name + " — your loan offer", Heading: name, Product: viewOf(p)}
		page.withOutcome(l, productID)
		status = http.StatusOK
		if outcome == visitOtherSelected {
			status = http.StatusConflict
			page.Title = name + " — offer no longer available"
			page.Product = nil
			page.Message = "You have already chosen another offer for this application, so this one is no longer available."
		}
	}
	s.appendLog(ctx, LogEntry{Time: time.Now(), Kind: LogLenderVisit, LeadUUID: l.UUID, PartnerLeadID: l.PartnerLeadID,
		CorrelationID: correlationFrom(ctx), ProductID: truncate(productID), Outcome: outcome, ResponseStatus: status,
		LeadStatus: l.Status}, 0)

	var b bytes.Buffer
	if err := lenderPageTemplate.Execute(&b, page); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// selectProduct marks the product selected if its lead still has offers, and
// enqueues the product_selected callback in the same transaction.
func (s *Sandbox) selectProduct(ctx context.Context, slug, productID string) (string, leadRow, platform.Product, error) {
	var (
		outcome string
		lead    leadRow
		product platform.Product
	)
	ctl := s.Controls()
	err := s.st.inTx(ctx, func(q querier) error {
		leadUUID, lenderSlug, p, err := productByID(ctx, q, productID)
		if errors.Is(err, errNotFound) || (err == nil && lenderSlug != slug) {
			outcome = visitNotFound
			return nil
		}
		if err != nil {
			return err
		}
		product = p
		if lead, err = getLead(ctx, q, leadUUID); err != nil {
			return err
		}
		switch {
		case lead.Status == platform.StatusProductSelected && lead.SelectedProductID != nil && *lead.SelectedProductID == productID:
			outcome = visitAlreadySelected
			return nil
		case lead.Status != platform.StatusOffersFound:
			outcome = visitOtherSelected
			return nil
		}
		outcome = visitSelected
		now := time.Now()
		from := lead.Status
		lead.Status, lead.SelectedProductID, lead.UpdatedAt = platform.StatusProductSelected, &productID, now
		if err := updateLead(ctx, q, lead); err != nil {
			return err
		}
		if err := insertLog(ctx, q, LogEntry{Time: now, Kind: LogStatusChange, LeadUUID: lead.UUID,
			PartnerLeadID: lead.PartnerLeadID, CorrelationID: lead.CorrelationID, FromStatus: from,
			LeadStatus: lead.Status, ProductID: productID, Scenario: lead.Scenario}, 0); err != nil {
			return err
		}
		products, err := productsOf(ctx, q, lead.UUID)
		if err != nil {
			return err
		}
		return s.enqueueCallbacks(ctx, q, lead, products, behaviourOf(lead.Scenario, s.cfg), ctl, true, now)
	})
	if err != nil {
		return "", leadRow{}, platform.Product{}, err
	}
	if outcome == visitSelected {
		poke(s.deliveryWake)
	}
	return outcome, lead, product, nil
}

// viewOf formats a wire product for the page (dollars back to cents first, so
// the page uses the same money formatting as everything else).
func viewOf(p platform.Product) *productView {
	return &productView{
		Amount:   lending.DollarsToCents(p.LoanAmount).WholeDollars(),
		Term:     p.TermMonths,
		APR:      lending.PercentToBasisPoints(p.APR).String(),
		Rate:     lending.PercentToBasisPoints(p.InterestRate).String(),
		Payment:  lending.DollarsToCents(p.MonthlyPayment).String(),
		Fee:      lending.DollarsToCents(p.OriginationFee).String(),
		Total:    lending.DollarsToCents(p.TotalRepayment).String(),
		Interest: lending.DollarsToCents(p.TotalInterest).String(),
	}
}

// lenderDeclineReasons are the reasons QA can give a stage lender's decline:
// what a lender finds when it verifies the full application.
var lenderDeclineReasons = []string{
	"Unable to verify income",
	"Unable to verify identity",
	"Excessive obligations in relation to income",
	"Delinquent past or present credit obligations with others",
	"Insufficient length of employment",
}

// nextLenderOutcomes lists what may follow a lender outcome: anything at first;
// after an approval, funding or a decline at verification; nothing after those.
// The stage platform keeps its own copy of the rule (it stands for an external
// system); the portal applies lending.NextLenderOutcome to what it receives.
func nextLenderOutcomes(current string) []string {
	switch current {
	case "":
		return []string{platform.LenderOutcomeApproved, platform.LenderOutcomeDeclined, platform.LenderOutcomeFunded}
	case platform.LenderOutcomeApproved:
		return []string{platform.LenderOutcomeFunded, platform.LenderOutcomeDeclined}
	}
	return nil
}

// withOutcome shows the lead's lender outcome and, while another may follow,
// the QA form that plays it. Relative action: the page works mounted under
// /sandbox and standalone.
func (p *lenderPage) withOutcome(l leadRow, productID string) {
	current := ""
	if o := l.LenderOutcome; o != nil {
		current, p.OutcomeReasons = o.Status, o.Reasons
	}
	p.Outcome = current
	if p.Choices = nextLenderOutcomes(current); len(p.Choices) > 0 {
		p.Decide = url.PathEscape(productID) + "/outcome"
		if slices.Contains(p.Choices, platform.LenderOutcomeDeclined) {
			p.DeclineReasons = lenderDeclineReasons
		}
	}
}

// handleLenderOutcome serves POST /lenders/{slug}/offers/{productId}/outcome:
// QA plays the lender's decision on the selected offer (approved, declined with
// reasons, funded). The stage platform stores it and reports it to the portal
// with a signed callback (the lead's lenderOutcome), then shows the lender page
// again.
func (s *Sandbox) handleLenderOutcome(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	slug, productID := r.PathValue("slug"), r.PathValue("productId")
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	outcome := r.PostForm.Get("outcome")
	var reasons []string
	for _, reason := range r.PostForm["reason"] {
		if slices.Contains(lenderDeclineReasons, reason) && !slices.Contains(reasons, reason) {
			reasons = append(reasons, reason)
		}
	}
	var problem string
	var lead leadRow
	ctl := s.Controls()
	err := s.st.inTx(ctx, func(q querier) error {
		leadUUID, lenderSlug, _, err := productByID(ctx, q, productID)
		if errors.Is(err, errNotFound) || (err == nil && lenderSlug != slug) {
			problem = "We could not find this offer."
			return nil
		}
		if err != nil {
			return err
		}
		if lead, err = getLead(ctx, q, leadUUID); err != nil {
			return err
		}
		current := ""
		if lead.LenderOutcome != nil {
			current = lead.LenderOutcome.Status
		}
		switch {
		case lead.Status != platform.StatusProductSelected || lead.SelectedProductID == nil || *lead.SelectedProductID != productID:
			problem = "This offer is not the one the borrower chose, so its lender has nothing to decide."
			return nil
		case !slices.Contains(nextLenderOutcomes(current), outcome):
			problem = "Choose one of the decisions the form offers: after " + orNone(current) + " the lender can decide " + orNone(strings.Join(nextLenderOutcomes(current), " or ")) + "."
			return nil
		case outcome == platform.LenderOutcomeDeclined && len(reasons) == 0:
			problem = "A decline needs at least one reason."
			return nil
		}
		if outcome != platform.LenderOutcomeDeclined {
			reasons = nil
		}
		now := time.Now()
		lead.LenderOutcome = &platform.LenderOutcome{Status: outcome, ProductID: productID, Reasons: reasons, DecidedAt: now.UTC()}
		lead.UpdatedAt = now
		if err := setLenderOutcome(ctx, q, lead.UUID, *lead.LenderOutcome); err != nil {
			return err
		}
		if err := updateLead(ctx, q, lead); err != nil {
			return err
		}
		if err := insertLog(ctx, q, LogEntry{Time: now, Kind: LogLenderOutcome, LeadUUID: lead.UUID,
			PartnerLeadID: lead.PartnerLeadID, CorrelationID: lead.CorrelationID, LeadStatus: lead.Status,
			ProductID: productID, Outcome: outcome, Scenario: lead.Scenario, Note: strings.Join(reasons, "; ")}, 0); err != nil {
			return err
		}
		products, err := productsOf(ctx, q, lead.UUID)
		if err != nil {
			return err
		}
		return s.enqueueCallbacks(ctx, q, lead, products, behaviourOf(lead.Scenario, s.cfg), ctl, false, now)
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if problem != "" {
		var b bytes.Buffer
		if err := lenderPageTemplate.Execute(&b, lenderPage{Title: "Decision not recorded", Heading: "Decision not recorded", Message: problem}); err != nil {
			s.internalError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write(b.Bytes())
		return
	}
	poke(s.deliveryWake)
	// Back to the lender page. The Location stays relative (the browser resolves
	// it against the URL it posted to): http.Redirect would resolve it against
	// the path with the portal's /sandbox mount prefix stripped.
	w.Header().Set("Location", "../"+url.PathEscape(productID))
	w.WriteHeader(http.StatusSeeOther)
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}
