package lending

import (
	"strconv"
	"time"
)

// Form field names: the lead payload's names (seed 000), which /qa/scenarios.json's forms use too.
const (
	FieldRequestedLoanAmount   = "requestedLoanAmount"
	FieldLoanPurpose           = "loanPurpose"
	FieldFirstName             = "firstName"
	FieldLastName              = "lastName"
	FieldEmail                 = "email"
	FieldPhone                 = "phone"
	FieldDOB                   = "dob"
	FieldSSN                   = "ssn"
	FieldStreet                = "street"
	FieldUnit                  = "unit"
	FieldCity                  = "city"
	FieldState                 = "state"
	FieldZipcode               = "zipcode"
	FieldEmploymentStatus      = "employmentStatus"
	FieldIncomeYearly          = "incomeYearly"
	FieldHousingType           = "housingType"
	FieldHousingMonthlyPayment = "housingMonthlyPayment"
	FieldCreditRating          = "creditRating"
	FieldConsentSoftPull       = "consentSoftPull"
	FieldConsentTerms          = "consentTerms"
	FieldConsentEsign          = "consentEsign"
	FieldConsentTcpa           = "consentTcpa"
	FieldIdempotencyKey        = "idempotencyKey"
)

// FormFields lists every borrower-entered field in the order the form shows them.
var FormFields = []string{
	FieldRequestedLoanAmount, FieldLoanPurpose,
	FieldFirstName, FieldLastName, FieldEmail, FieldPhone, FieldDOB, FieldSSN,
	FieldStreet, FieldUnit, FieldCity, FieldState, FieldZipcode,
	FieldEmploymentStatus, FieldIncomeYearly, FieldHousingType, FieldHousingMonthlyPayment,
	FieldCreditRating,
	FieldConsentSoftPull, FieldConsentTerms, FieldConsentEsign, FieldConsentTcpa,
}

// Checked is the value a ticked consent checkbox posts.
const Checked = "yes"

// ApplicationForm is the form exactly as the borrower typed it: every value a string,
// so a failed submit can show the input back unchanged.
type ApplicationForm map[string]string

// NewApplicationForm reads every form field through get (e.g. echo.Context.FormValue).
func NewApplicationForm(get func(name string) string) ApplicationForm {
	f := make(ApplicationForm, len(FormFields)+len(CoApplicantFields)+2)
	for _, name := range FormFields {
		f[name] = get(name)
	}
	f[FieldCoApplicant] = get(FieldCoApplicant)
	for _, name := range CoApplicantFields {
		f[name] = get(name)
	}
	f[FieldIdempotencyKey] = get(FieldIdempotencyKey)
	return f
}

// Get returns the value of a field ("" when absent).
func (f ApplicationForm) Get(name string) string { return f[name] }

// Option is a value and its label for a select or radio group.
type Option struct{ Value, Label string }

// LoanPurposes are the purposes a borrower can pick.
var LoanPurposes = []Option{
	{"debt_consolidation", "Debt consolidation"},
	{"credit_card_refinancing", "Credit card refinancing"},
	{"home_improvement", "Home improvement"},
	{"major_purchase", "Major purchase"},
	{"medical", "Medical expenses"},
	{"moving", "Moving and relocation"},
	{"wedding", "Wedding"},
	{"vacation", "Vacation"},
	{"car", "Car purchase or repair"},
	{"business", "Business"},
	{"other", "Something else"},
}

// EmploymentStatuses are the employment situations a borrower can pick.
var EmploymentStatuses = []Option{
	{"employed", "Employed"},
	{"self_employed", "Self-employed"},
	{"retired", "Retired"},
	{"not_employed", "Not employed"},
	{"other", "Other"},
}

// HousingTypes are the housing situations a borrower can pick.
var HousingTypes = []Option{
	{"rent", "Rent"},
	{"own_with_mortgage", "Own with a mortgage"},
	{"own_outright", "Own outright"},
}

// CreditRatings are the self-assessed credit ratings, with the score ranges they mean.
var CreditRatings = []Option{
	{"excellent", "Excellent (720 and above)"},
	{"good", "Good (680–719)"},
	{"fair", "Fair (640–679)"},
	{"poor", "Poor (below 640)"},
}

// States are the USPS codes of the states and DC where the portal takes applications.
var States = []Option{
	{"AL", "Alabama"}, {"AK", "Alaska"}, {"AZ", "Arizona"}, {"AR", "Arkansas"},
	{"CA", "California"}, {"CO", "Colorado"}, {"CT", "Connecticut"}, {"DE", "Delaware"},
	{"DC", "District of Columbia"}, {"FL", "Florida"}, {"GA", "Georgia"}, {"HI", "Hawaii"},
	{"ID", "Idaho"}, {"IL", "Illinois"}, {"IN", "Indiana"}, {"IA", "Iowa"},
	{"KS", "Kansas"}, {"KY", "Kentucky"}, {"LA", "Louisiana"}, {"ME", "Maine"},
	{"MD", "Maryland"}, {"MA", "Massachusetts"}, {"MI", "Michigan"}, {"MN", "Minnesota"},
	{"MS", "Mississippi"}, {"MO", "Missouri"}, {"MT", "Montana"}, {"NE", "Nebraska"},
	{"NV", "Nevada"}, {"NH", "New Hampshire"}, {"NJ", "New Jersey"}, {"NM", "New Mexico"},
	{"NY", "New York"}, {"NC", "North Carolina"}, {"ND", "North Dakota"}, {"OH", "Ohio"},
	{"OK", "Oklahoma"}, {"OR", "Oregon"}, {"PA", "Pennsylvania"}, {"RI", "Rhode Island"},
	{"SC", "South Carolina"}, {"SD", "South Dakota"}, {"TN", "Tennessee"}, {"TX", "Texas"},
	{"UT", "Utah"}, {"VT", "Vermont"}, {"VA", "Virginia"}, {"WA", "Washington"},
	{"WV", "West Virginia"}, {"WI", "Wisconsin"}, {"WY", "Wyoming"},
}

// OptionLabel returns the label of value in opts, or value itself when unknown.
func OptionLabel(opts []Option, value string) string {
	for _, o := range opts {
		if o.Value == value {
			return o.Label
		}
	}
	return value
}

func hasOption(opts []Option, value string) bool {
	for _, o := range opts {
		if o.Value == value {
			return true
		}
	}
	return false
}

// Consent kinds and the version of the consent texts the form shows. Bump the
// version whenever the wording in views changes, so evidence names the text agreed to.
const (
	ConsentSoftPull    = "soft_pull"
	ConsentTerms       = "terms"
	ConsentEsign       = "esign"
	ConsentTcpa        = "tcpa"
	ConsentTextVersion = "2026-11-01"
)

// FormOf is the form that would re-create the borrower's side of an application,
// to prefill a new one: every detail except the SSN (never sent back to a
// browser) and the consents (given again for each application).
func FormOf(a Application) ApplicationForm {
	return ApplicationForm{
		FieldRequestedLoanAmount:   strconv.FormatInt(int64(a.RequestedAmount/100), 10),
		FieldLoanPurpose:           a.LoanPurpose,
		FieldFirstName:             a.FirstName,
		FieldLastName:              a.LastName,
		FieldEmail:                 a.Email,
		FieldPhone:                 a.Phone,
		FieldDOB:                   a.DOB.Format(time.DateOnly),
		FieldStreet:                a.Street,
		FieldUnit:                  a.Unit,
		FieldCity:                  a.City,
		FieldState:                 a.State,
		FieldZipcode:               a.Zipcode,
		FieldEmploymentStatus:      a.EmploymentStatus,
		FieldIncomeYearly:          strconv.FormatInt(int64(a.IncomeYearly/100), 10),
		FieldHousingType:           a.HousingType,
		FieldHousingMonthlyPayment: strconv.FormatInt(int64(a.HousingMonthly/100), 10),
		FieldCreditRating:          a.CreditRating,
	}
}
