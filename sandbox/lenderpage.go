package sandbox

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
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
