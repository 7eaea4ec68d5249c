package stage

import (
	"maps"
	"strings"

	"prequal/lending"
)

// Scenario ids (the email plus-tags QA uses).
const (
	ScenarioOffersAllRanges       = "offers-all-ranges"
	ScenarioOffersLowerOnly       = "offers-lower-only"
	ScenarioNoOffersWithNotice    = "no-offers-with-notice"
	ScenarioNoOffersWithoutNotice = "no-offers-without-notice"
	ScenarioTimeout               = "timeout"
	ScenarioSlowCallback          = "slow-callback"
	ScenarioCallbackRetry         = "callback-retry"
	ScenarioPollingFallback       = "polling-fallback"
	ScenarioDuplicateOutOfOrder   = "duplicate-out-of-order-callbacks"
	ScenarioHostileNotice         = "hostile-notice"
	ScenarioUnderwritingApprove   = "underwriting-approve"
	ScenarioUnderwritingDecline   = "underwriting-decline"
	ScenarioCoApplicantOffers     = "co-applicant-offers"
)

// FieldScenario is the form field that marks an application as started from a
// QA scenario: QA test data, which the velocity screening rules leave alone
// (one QA workstation posts every scenario, many times an hour). Every
// scenario's Form carries it, so that the form posted as is stays test data
// however often it is posted; the /apply page sends it as a hidden field.
const FieldScenario = "scenario"

// Values every persona shares unless it says otherwise.
const (
	scenarioEmailDomain             = "example.com"
	scenarioConsentGiven            = "yes"
	scenarioDefaultLoanPurpose      = "debt_consolidation"
	scenarioDefaultEmploymentStatus = "employed"
)

// Scenario is one QA scenario of the stage platform: what it demonstrates, the
// lead status it ends in and a ready-to-submit borrower form (field name → value,
// as an HTML form posts it).
//
// QA (and the browser suite) start a scenario by submitting a lead whose borrower
// email carries the scenario id as its plus-tag: anything+<scenario-id>@example.com.
// The stage platform (package sandbox) reads the tag with ScenarioFromEmail and forces
// the outcome below; any other email is underwritten normally by the lender panel.
// Every scenario's Form is a complete, valid borrower form whose persona leads to the
// expected status on its own, so a forced outcome still looks like a real one.
//
//	| id (email tag)                   | persona                                 | what the stage platform does                                                                                                                  | expected status |
//	|----------------------------------|-----------------------------------------|-----------------------------------------------------------------------------------------------------------------------------------------------|-----------------|
//	| offers-all-ranges                | $20,000, $150k income, excellent credit | offers in the higher, requested and lower amount ranges                                                                                       | offers_found    |
//	| offers-lower-only                | $40,000, $60k income, good credit       | offers only in the lower-than-requested range (75 % of the amount)                                                                            | offers_found    |
//	| no-offers-with-notice            | $30,000, $32k income, poor credit       | no offers, with the adverse action notice (reasons, score, ECOA and FCRA paragraphs)                                                          | no_offers       |
//	| no-offers-without-notice         | $30,000, $32k income, poor credit       | no offers and no adverseActionNotice field at all                                                                                             | no_offers       |
//	| timeout                          | $15,000, $120k income, excellent credit | stops at finding_products forever and sends no terminal callback; the portal times the lead out                                               | timed_out       |
//	| slow-callback                    | $15,000, $120k income, excellent credit | finding_products lasts sandbox.Config.SlowCallbackDelay (3 s by default), then offers and the callback                                        | offers_found    |
//	| callback-retry                   | $15,000, $120k income, excellent credit | the first 3 deliveries of each callback carry a bad signature (the portal answers 401); the 4th is correct                                    | offers_found    |
//	| polling-fallback                 | $15,000, $120k income, excellent credit | reaches offers_found but never sends a callback: only polling finds the result                                                                | offers_found    |
//	| duplicate-out-of-order-callbacks | $15,000, $120k income, excellent credit | after the terminal callback: 3 copies with new webhook-ids, 1 with the same webhook-id, then stale in_progress and finding_products callbacks | offers_found    |
//	| hostile-notice                   | $30,000, $32k income, poor credit       | no offers with a notice full of hostile HTML (script, event handlers, hx-*, javascript: and data: URLs, iframe, form, style)                  | no_offers       |
//	| underwriting-approve             | $15,000, $120k income, excellent credit | nothing forced (the tag only labels the lead): the lender panel and the credit engine approve                                                 | offers_found    |
//	| underwriting-decline             | $25,000, $28k income, poor credit       | nothing forced (the tag only labels the lead): the credit engine declines, the notice gives its reasons                                       | no_offers       |
//	| co-applicant-offers              | $15,000, $18k income, fair credit, with a co-applicant earning $80k | nothing forced: alone the engine declines (no_offers); with the co-applicant it weighs both incomes and makes offers  | offers_found    |
//
// Tags are matched case-insensitively; an unknown tag is an ordinary email.
type Scenario struct {
	ID             string            `json:"id"`
	Title          string            `json:"title"`
	Description    string            `json:"description"`
	ExpectedStatus string            `json:"expectedStatus"`
	Form           map[string]string `json:"form"`
}

// persona is the part of a borrower form that differs between scenarios.
type persona struct {
	first, last, dob, ssn, phone    string
	street, unit, city, state, zip  string
	amount, purpose, income         string
	housing, housingPayment, rating string
	employment                      string
	co                              *coPersona
}

// coPersona is a co-applicant of a persona: the form's co* fields.
type coPersona struct {
	first, last, dob, ssn, income, housingShare, relationship string
}

// form renders a persona as the complete borrower form, with the scenario id as
// the email's plus-tag and as FieldScenario (the mark of QA test data), and every
// required consent given (consentTcpa left out, as the optional box starts
// unticked).
func (p persona) form(id string) map[string]string {
	employment := p.employment
	if employment == "" {
		employment = scenarioDefaultEmploymentStatus
	}
	purpose := p.purpose
	if purpose == "" {
		purpose = scenarioDefaultLoanPurpose
	}
	form := map[string]string{
		"requestedLoanAmount":   p.amount,
		"loanPurpose":           purpose,
		"firstName":             p.first,
		"lastName":              p.last,
		"email":                 strings.ToLower(p.first) + "+" + id + "@" + scenarioEmailDomain,
		"phone":                 p.phone,
		"dob":                   p.dob,
		"ssn":                   p.ssn,
		"street":                p.street,
		"unit":                  p.unit,
		"city":                  p.city,
		"state":                 p.state,
		"zipcode":               p.zip,
		"employmentStatus":      employment,
		"incomeYearly":          p.income,
		"housingType":           p.housing,
		"housingMonthlyPayment": p.housingPayment,
		"creditRating":          p.rating,
		"consentSoftPull":       scenarioConsentGiven,
		"consentTerms":          scenarioConsentGiven,
		"consentEsign":          scenarioConsentGiven,
		FieldScenario:           id,
	}
	if c := p.co; c != nil {
		maps.Copy(form, map[string]string{
			lending.FieldCoApplicant:             scenarioConsentGiven,
			lending.FieldCoFirstName:             c.first,
			lending.FieldCoLastName:              c.last,
			lending.FieldCoEmail:                 strings.ToLower(c.first) + "@" + scenarioEmailDomain,
			lending.FieldCoDOB:                   c.dob,
			lending.FieldCoSSN:                   c.ssn,
			lending.FieldCoRelationship:          c.relationship,
			lending.FieldCoEmploymentStatus:      scenarioDefaultEmploymentStatus,
			lending.FieldCoIncomeYearly:          c.income,
			lending.FieldCoHousingMonthlyPayment: c.housingShare,
			lending.FieldCoConsentSoftPull:       scenarioConsentGiven,
			lending.FieldCoConsentTerms:          scenarioConsentGiven,
			lending.FieldCoConsentEsign:          scenarioConsentGiven,
		})
	}
	return form
}

// The personas. Strong: the credit engine approves the requested amount, 75 % of it
// and 125 % of it. Stretched: the requested amount is above 65 % of income (declined)
// but 75 % of it is not. Declined: amount and debt both far above the engine's limits.
func strongPersona(first, last, ssn, phone string) persona {
	return persona{
		first: first, last: last, dob: "1984-03-14", ssn: ssn, phone: phone,
		street: "1200 Market Street", unit: "Apt 4B", city: "Philadelphia", state: "PA", zip: "19107",
		amount: "15000", income: "120000", housing: "rent", housingPayment: "1800", rating: "excellent",
	}
}

func declinedPersona(first, last, ssn, phone string) persona {
	return persona{
		first: first, last: last, dob: "1996-07-02", ssn: ssn, phone: phone,
		street: "48 Elm Avenue", city: "Dayton", state: "OH", zip: "45402",
		amount: "30000", purpose: "major_purchase", income: "32000",
		housing: "own_with_mortgage", housingPayment: "900", rating: "poor",
	}
}

// scenarioTable is the catalogue; Scenarios hands out copies.
func scenarioTable() []Scenario {
	allRanges := strongPersona("Avery", "Stone", "512-44-1001", "2025550101")
	allRanges.amount, allRanges.income, allRanges.purpose = "20000", "150000", "home_improvement"

	lowerOnly := persona{
		first: "Blake", last: "Rivera", dob: "1990-11-23", ssn: "512-44-1002", phone: "2025550102",
		street: "77 Harbor Road", city: "Tampa", state: "FL", zip: "33602",
		amount: "40000", income: "60000", housing: "rent", housingPayment: "1400", rating: "good",
	}

	decline := persona{
		first: "Drew", last: "Parker", dob: "1999-01-30", ssn: "512-44-1012", phone: "2025550112",
		street: "9 Mill Lane", city: "Fresno", state: "CA", zip: "93721",
		amount: "25000", purpose: "car", income: "28000", housing: "rent", housingPayment: "1100", rating: "poor",
	}

	// Alone, $15,000 on $18k a year is far more than the engine allows; with a
	// co-applicant earning $80k the household qualifies.
	withCo := persona{
		first: "Rowan", last: "Ellis", dob: "1994-05-06", ssn: "512-44-1013", phone: "2025550113",
		street: "310 Lake Street", city: "Madison", state: "WI", zip: "53703",
		amount: "15000", income: "18000", housing: "rent", housingPayment: "1000", rating: "fair",
		co: &coPersona{first: "Morgan", last: "Ellis", dob: "1992-09-18", ssn: "512-44-1014",
			income: "80000", housingShare: "500", relationship: "spouse"},
	}

	return []Scenario{
		{
			ID:             ScenarioOffersAllRanges,
			Title:          "Offers in all three amount ranges",
			Description:    "A strong applicant: lenders offer more than, exactly and less than the requested amount, so every range of the offers page has cards.",
			ExpectedStatus: string(lending.LeadOffersFound),
			Form:           allRanges.form(ScenarioOffersAllRanges),
		},
		{
			ID:             ScenarioOffersLowerOnly,
			Title:          "Offers only below the requested amount",
			Description:    "The requested amount is too high for the income; lenders only offer 75 % of it, so the page falls back to the lower range and explains why.",
			ExpectedStatus: string(lending.LeadOffersFound),
			Form:           lowerOnly.form(ScenarioOffersLowerOnly),
		},
		{
			ID:             ScenarioNoOffersWithNotice,
			Title:          "No offers, with an adverse action notice",
			Description:    "No lender approves; the result carries the notice of action taken with the principal reasons, the credit score and the ECOA notice.",
			ExpectedStatus: string(lending.LeadNoOffers),
			Form:           declinedPersona("Casey", "Nguyen", "512-44-1003", "2025550103").form(ScenarioNoOffersWithNotice),
		},
		{
			ID:             ScenarioNoOffersWithoutNotice,
			Title:          "No offers, without a notice",
			Description:    "No lender approves and the platform sends no adverseActionNotice: the page must not assume one is present.",
			ExpectedStatus: string(lending.LeadNoOffers),
			Form:           declinedPersona("Dana", "Okafor", "512-44-1004", "2025550104").form(ScenarioNoOffersWithoutNotice),
		},
		{
			ID:             ScenarioTimeout,
			Title:          "The platform never finishes",
			Description:    "The lead stays in finding_products and no terminal callback comes; after the lead timeout the portal shows the timed-out state with a retry.",
			ExpectedStatus: string(lending.LeadTimedOut),
			Form:           strongPersona("Emery", "Walsh", "512-44-1005", "2025550105").form(ScenarioTimeout),
		},
		{
			ID:             ScenarioSlowCallback,
			Title:          "A slow result",
			Description:    "The search takes about three seconds before offers and their callback arrive: the borrower sees the checking-rates state meanwhile.",
			ExpectedStatus: string(lending.LeadOffersFound),
			Form:           strongPersona("Finley", "Moreau", "512-44-1006", "2025550106").form(ScenarioSlowCallback),
		},
		{
			ID:             ScenarioCallbackRetry,
			Title:          "Callbacks that fail before one lands",
			Description:    "The first three deliveries of each callback carry an invalid signature, which the portal rejects with 401; the platform retries with backoff and the fourth is accepted.",
			ExpectedStatus: string(lending.LeadOffersFound),
			Form:           strongPersona("Gray", "Santos", "512-44-1007", "2025550107").form(ScenarioCallbackRetry),
		},
		{
			ID:             ScenarioPollingFallback,
			Title:          "No callback at all",
			Description:    "The lead reaches offers_found but the platform never calls back: the portal's polling fallback must find the offers.",
			ExpectedStatus: string(lending.LeadOffersFound),
			Form:           strongPersona("Harper", "Lindqvist", "512-44-1008", "2025550108").form(ScenarioPollingFallback),
		},
		{
			ID:             ScenarioDuplicateOutOfOrder,
			Title:          "Duplicate and out-of-order callbacks",
			Description:    "After the terminal callback the platform repeats it three times with new webhook ids and once with the same id, then sends stale in_progress and finding_products callbacks: the lead must stay offers_found with one state change.",
			ExpectedStatus: string(lending.LeadOffersFound),
			Form:           strongPersona("Indigo", "Baptiste", "512-44-1009", "2025550109").form(ScenarioDuplicateOutOfOrder),
		},
		{
			ID:             ScenarioHostileNotice,
			Title:          "A notice full of hostile HTML",
			Description:    "No offers, and the adverse action notice carries script tags, event handlers, hx-* attributes, javascript: and data: URLs, an iframe, a form and a style block: the portal must render only the harmless text.",
			ExpectedStatus: string(lending.LeadNoOffers),
			Form:           declinedPersona("Jordan", "Keller", "512-44-1010", "2025550110").form(ScenarioHostileNotice),
		},
		{
			ID:             ScenarioUnderwritingApprove,
			Title:          "Plain underwriting: approved",
			Description:    "Nothing is forced: an applicant with ample income, little debt and excellent credit that the credit engine and the lender panel approve.",
			ExpectedStatus: string(lending.LeadOffersFound),
			Form:           strongPersona("Kendall", "Osei", "512-44-1011", "2025550111").form(ScenarioUnderwritingApprove),
		},
		{
			ID:             ScenarioUnderwritingDecline,
			Title:          "Plain underwriting: declined",
			Description:    "Nothing is forced: the requested amount is far above what the income supports, so the credit engine declines and the notice names its reasons.",
			ExpectedStatus: string(lending.LeadNoOffers),
			Form:           decline.form(ScenarioUnderwritingDecline),
		},
		{
			ID:             ScenarioCoApplicantOffers,
			Title:          "A decline that a co-applicant turns into offers",
			Description:    "Nothing is forced. This form applies with a co-applicant, and the platform's credit engine weighs both incomes and makes offers. Untick \"I'm applying with the co-applicant below\" and the same borrower alone is declined (no_offers); the no-offers page then links to a new application with the co-applicant section open.",
			ExpectedStatus: string(lending.LeadOffersFound),
			Form:           withCo.form(ScenarioCoApplicantOffers),
		},
	}
}

// Scenarios returns the QA scenario catalogue in the order QA sees it. Each call
// returns fresh copies, so callers may change what they get.
func Scenarios() []Scenario {
	return scenarioTable()
}

// catalogue and catalogueIDs are the table built once: ScenarioByID runs on
// every form submit, and building the whole table to look one up was a
// measurable part of a submit (see BENCHMARKS.md). Never handed out as is.
var (
	catalogue    = scenarioTable()
	catalogueIDs = func() map[string]int {
		ids := map[string]int{}
		for i, s := range catalogue {
			ids[s.ID] = i
		}
		return ids
	}()
)

// ScenarioByID returns the scenario with that id (case-insensitive), a copy
// the caller may change.
func ScenarioByID(id string) (Scenario, bool) {
	i, ok := catalogueIDs[strings.ToLower(strings.TrimSpace(id))]
	if !ok {
		return Scenario{}, false
	}
	s := catalogue[i]
	s.Form = maps.Clone(s.Form)
	return s, true
}

// ScenarioFromEmail returns the scenario named by the plus-tag of a borrower's email
// (anything+<scenario-id>@example.com, any domain, case-insensitive). An email
// without a tag, or with a tag that names no scenario, is no scenario.
func ScenarioFromEmail(email string) (Scenario, bool) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return Scenario{}, false
	}
	_, tag, ok := strings.Cut(email[:at], "+")
	if !ok || tag == "" {
		return Scenario{}, false
	}
	return ScenarioByID(tag)
}
