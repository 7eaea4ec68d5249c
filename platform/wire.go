// Package platform speaks the Personal Loans Platform API (seed 000) for the portal:
// the wire types both sides share, the OAuth2 client that submits and reads leads,
// and the verification of the platform's signed callbacks.
package platform

import "time"

// Lead statuses as the platform sends them (seed 000, "Typical status progression").
const (
	StatusCreated         = "created"
	StatusInProgress      = "in_progress"
	StatusFindingProducts = "finding_products"
	StatusOffersFound     = "offers_found"
	StatusNoOffers        = "no_offers"
	StatusTimedOut        = "timed_out"
	StatusProductSelected = "product_selected"
)

// Amount ranges products are grouped into (seed 000, "Product Presentation").
const (
	RangeHigher    = "higher-than-requested-amount"
	RangeRequested = "requested-amount"
	RangeLower     = "lower-than-requested-amount"
)

// LeadRequest is the body of POST /personal/v1/leads. Money is whole US dollars,
// as partners send it; the portal keeps cents inside and converts at this edge.
type LeadRequest struct {
	PartnerLeadID       string     `json:"partnerLeadId"`
	RequestedLoanAmount int64      `json:"requestedLoanAmount"`
	LoanPurpose         string     `json:"loanPurpose"`
	CreditRating        string     `json:"creditRating"`
	Borrower            Borrower   `json:"borrower"`
	Address             Address    `json:"address"`
	Employment          Employment `json:"employment"`
	Housing             Housing    `json:"housing"`
	// CoApplicant is the portal's extension of seed 000's lead (issue 15): the
	// person applying with the borrower. Absent (not null, not {}) when there is
	// none, so a lead without one is exactly seed 000's.
	CoApplicant *CoApplicant `json:"coApplicant,omitempty"`
}

// CoApplicant is the co-applicant of a lead (an extension of seed 000): their
// identity, relationship to the borrower, employment and yearly gross income in
// dollars, and their share of the borrower's monthly housing payment in dollars.
// They live at the borrower's address.
type CoApplicant struct {
	FirstName             string     `json:"firstName"`
	LastName              string     `json:"lastName"`
	Email                 string     `json:"email"`
	DOB                   string     `json:"dob"` // YYYY-MM-DD
	SSN                   string     `json:"ssn"`
	Relationship          string     `json:"relationship"` // spouse | domestic_partner | family | other
	Employment            Employment `json:"employment"`
	HousingMonthlyPayment int64      `json:"housingMonthlyPayment"`
}

// Borrower identifies the consumer. SSN is nine digits without dashes.
type Borrower struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	DOB       string `json:"dob"` // YYYY-MM-DD
	SSN       string `json:"ssn"`
}

// Address is a US postal address.
type Address struct {
	Street  string `json:"street"`
	Unit    string `json:"unit,omitempty"`
	City    string `json:"city"`
	State   string `json:"state"`
	Zipcode string `json:"zipcode"`
}

// Employment is the borrower's employment status and yearly gross income in dollars.
type Employment struct {
	Status       string `json:"status"`
	IncomeYearly int64  `json:"incomeYearly"`
}

// Housing is the borrower's housing type and monthly payment in dollars.
type Housing struct {
	Type           string `json:"type"`
	MonthlyPayment int64  `json:"monthlyPayment"`
}

// LeadCreated is the 201 answer to a lead submission.
type LeadCreated struct {
	UUID          string `json:"uuid"`
	Status        string `json:"status"`
	PartnerLeadID string `json:"partnerLeadId"`
}

// Lead is a lead's current state: the body of GET /personal/v1/leads/{uuid} and the
// data of every callback.
type Lead struct {
	UUID                string    `json:"uuid"`
	PartnerLeadID       string    `json:"partnerLeadId"`
	Status              string    `json:"status"`
	Products            []Product `json:"products"`
	AdverseActionNotice *string   `json:"adverseActionNotice,omitempty"`
	SelectedProductID   *string   `json:"selectedProductId,omitempty"`
	// LenderOutcome is the portal's extension of seed 000's lead (issue 15): what
	// the lender of the selected product decided after the borrower continued to
	// it. Absent until the lender decides.
	LenderOutcome *LenderOutcome `json:"lenderOutcome,omitempty"`
	UpdatedAt     time.Time      `json:"updatedAt"`
}

// Lender outcome statuses on the wire.
const (
	LenderOutcomeApproved = "approved"
	LenderOutcomeDeclined = "declined"
	LenderOutcomeFunded   = "funded"
)

// LenderOutcome is the lender's decision on the selected product (an extension
// of seed 000): approved, declined (with up to four reasons in the lender's
// words) or funded, and when the lender decided.
type LenderOutcome struct {
	Status    string    `json:"status"`
	ProductID string    `json:"productId"`
	Reasons   []string  `json:"reasons,omitempty"`
	DecidedAt time.Time `json:"decidedAt"`
}

// Product is one prequalified offer. Money is in dollars with cents; apr and
// interestRate are percentages (12.99 means 12.99 %).
type Product struct {
	ProductID      string  `json:"productId"`
	LenderName     string  `json:"lenderName"`
	AmountRange    string  `json:"amountRange"`
	LoanAmount     float64 `json:"loanAmount"`
	TermMonths     int     `json:"termMonths"`
	APR            float64 `json:"apr"`
	InterestRate   float64 `json:"interestRate"`
	MonthlyPayment float64 `json:"monthlyPayment"`
	TotalRepayment float64 `json:"totalRepayment"`
	TotalInterest  float64 `json:"totalInterest"`
	OriginationFee float64 `json:"originationFee"`
	LenderOfferURL string  `json:"lenderOfferUrl"`
	Disclaimer     string  `json:"disclaimer"`
}

// CallbackEventType is the only event type the platform sends today.
const CallbackEventType = "lead.updated"

// Callback is the JSON body of a signed callback: an envelope in the Standard
// Webhooks style around the lead's state at the time it was sent.
type Callback struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Lead      `json:"data"`
}

// ErrorBody is the JSON error shape of the platform: a message and, for 400s,
// the problems per field (field name → messages).
type ErrorBody struct {
	Error       string              `json:"error"`
	FieldErrors map[string][]string `json:"fieldErrors,omitempty"`
}

// TokenResponse is the OAuth2 token endpoint's answer (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}
