package sandbox

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"prequal/platform"
)

// The platform's own acceptance rules for a lead, in wire units (whole dollars,
// digits without separators). They match the portal's form vocabulary, but the
// stage platform keeps its own copy on purpose: it stands for an external system
// that validates whatever partners send it.
const (
	minLoanDollars     = 1_000
	maxLoanDollars     = 100_000
	maxIncomeDollars   = 10_000_000
	maxHousingDollars  = 100_000
	minAge, maxAge     = 18, 120
	maxNameChars       = 50
	maxEmailBytes      = 254
	maxStreetChars     = 100
	maxUnitChars       = 20
	maxCityChars       = 50
	maxPartnerLeadID   = 100
	maxIdempotencyKey  = 255
	msgRequired        = "is required"
	msgNotAllowedValue = "must be one of: %s"
)

var (
	loanPurposes = []string{"debt_consolidation", "credit_card_refinancing", "home_improvement", "major_purchase",
		"medical", "moving", "wedding", "vacation", "car", "business", "other"}
	creditRatings      = []string{"excellent", "good", "fair", "poor"}
	relationships      = []string{"spouse", "domestic_partner", "family", "other"}
	employmentStatuses = []string{"employed", "self_employed", "retired", "not_employed", "other"}
	housingTypes       = []string{"rent", "own_with_mortgage", "own_outright"}
	// usStates: the USPS codes of the 50 states and DC.
	usStates = strings.Fields(`AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE
		NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY`)

	namePattern      = regexp.MustCompile(`^\p{L}[\p{L}\p{M} .'\-]*$`)
	zipPattern       = regexp.MustCompile(`^\d{5}(-\d{4})?$`)
	digits10         = regexp.MustCompile(`^[2-9]\d{2}[2-9]\d{6}$`)
	digits9          = regexp.MustCompile(`^\d{9}$`)
	partnerIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:\-]+$`)
)

// fieldErrors collects messages per JSON field path ("borrower.email").
type fieldErrors map[string][]string

func (fe fieldErrors) add(field, format string, args ...any) {
	fe[field] = append(fe[field], fmt.Sprintf(format, args...))
}

// validateLead checks every field of a lead; today decides ages. An empty result
// means the lead is acceptable.
func validateLead(l platform.LeadRequest, today time.Time) fieldErrors {
	fe := fieldErrors{}

	switch {
	case l.PartnerLeadID == "":
		fe.add("partnerLeadId", msgRequired)
	case len(l.PartnerLeadID) > maxPartnerLeadID || !partnerIDPattern.MatchString(l.PartnerLeadID):
		fe.add("partnerLeadId", "must be 1 to %d letters, digits or . _ : -", maxPartnerLeadID)
	}
	if l.RequestedLoanAmount < minLoanDollars || l.RequestedLoanAmount > maxLoanDollars {
		fe.add("requestedLoanAmount", "must be whole dollars from %d to %d", minLoanDollars, maxLoanDollars)
	}
	oneOf(fe, "loanPurpose", l.LoanPurpose, loanPurposes)
	oneOf(fe, "creditRating", l.CreditRating, creditRatings)

	b := l.Borrower
	checkName(fe, "borrower.firstName", b.FirstName)
	checkName(fe, "borrower.lastName", b.LastName)
	checkEmail(fe, "borrower.email", b.Email)
	switch {
	case b.Phone == "":
		fe.add("borrower.phone", msgRequired)
	case !digits10.MatchString(b.Phone):
		fe.add("borrower.phone", "must be a 10-digit US number without separators; area code and exchange cannot start with 0 or 1")
	}
	checkDOB(fe, "borrower.dob", b.DOB, today)
	checkSSN(fe, "borrower.ssn", b.SSN)

	a := l.Address
	checkText(fe, "address.street", a.Street, maxStreetChars, true)
	checkText(fe, "address.unit", a.Unit, maxUnitChars, false)
	checkText(fe, "address.city", a.City, maxCityChars, true)
	oneOf(fe, "address.state", a.State, usStates)
	switch {
	case a.Zipcode == "":
		fe.add("address.zipcode", msgRequired)
	case !zipPattern.MatchString(a.Zipcode):
		fe.add("address.zipcode", "must be 5 digits or ZIP+4 (12345-6789)")
	}

	oneOf(fe, "employment.status", l.Employment.Status, employmentStatuses)
	if l.Employment.IncomeYearly < 0 || l.Employment.IncomeYearly > maxIncomeDollars {
		fe.add("employment.incomeYearly", "must be whole dollars from 0 to %d", maxIncomeDollars)
	}
	oneOf(fe, "housing.type", l.Housing.Type, housingTypes)
	if l.Housing.MonthlyPayment < 0 || l.Housing.MonthlyPayment > maxHousingDollars {
		fe.add("housing.monthlyPayment", "must be whole dollars from 0 to %d", maxHousingDollars)
	}
	if co := l.CoApplicant; co != nil {
		validateCoApplicant(fe, *co, b.SSN, today)
	}
	return fe
}

// validateCoApplicant checks the co-applicant extension by the borrower's rules.
func validateCoApplicant(fe fieldErrors, co platform.CoApplicant, borrowerSSN string, today time.Time) {
	checkName(fe, "coApplicant.firstName", co.FirstName)
	checkName(fe, "coApplicant.lastName", co.LastName)
	checkEmail(fe, "coApplicant.email", co.Email)
	checkDOB(fe, "coApplicant.dob", co.DOB, today)
	checkSSN(fe, "coApplicant.ssn", co.SSN)
	if co.SSN != "" && co.SSN == borrowerSSN {
		fe.add("coApplicant.ssn", "must differ from borrower.ssn")
	}
	oneOf(fe, "coApplicant.relationship", co.Relationship, relationships)
	oneOf(fe, "coApplicant.employment.status", co.Employment.Status, employmentStatuses)
	if co.Employment.IncomeYearly < 0 || co.Employment.IncomeYearly > maxIncomeDollars {
		fe.add("coApplicant.employment.incomeYearly", "must be whole dollars from 0 to %d", maxIncomeDollars)
	}
	if co.HousingMonthlyPayment < 0 || co.HousingMonthlyPayment > maxHousingDollars {
		fe.add("coApplicant.housingMonthlyPayment", "must be whole dollars from 0 to %d", maxHousingDollars)
	}
}

func oneOf(fe fieldErrors, field, v string, allowed []string) {
	switch {
	case v == "":
		fe.add(field, msgRequired)
	case !slices.Contains(allowed, v):
		fe.add(field, msgNotAllowedValue, strings.Join(allowed, ", "))
	}
}

func checkName(fe fieldErrors, field, v string) {
	switch {
	case strings.TrimSpace(v) == "":
		fe.add(field, msgRequired)
	case utf8.RuneCountInString(v) > maxNameChars:
		fe.add(field, "must be at most %d characters", maxNameChars)
	case !namePattern.MatchString(v):
		fe.add(field, "may contain only letters, spaces, hyphens, apostrophes and periods")
	}
}

func checkEmail(fe fieldErrors, field, v string) {
	if v == "" {
		fe.add(field, msgRequired)
		return
	}
	if len(v) > maxEmailBytes {
		fe.add(field, "must be at most %d characters", maxEmailBytes)
		return
	}
	addr, err := mail.ParseAddress(v)
	_, domain, _ := strings.Cut(v, "@")
	if err != nil || addr.Address != v || addr.Name != "" || !strings.Contains(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.ContainsAny(v, " <>\"") {
		fe.add(field, "must be an email address like name@example.com")
	}
}

func checkDOB(fe fieldErrors, field, v string, today time.Time) {
	if v == "" {
		fe.add(field, msgRequired)
		return
	}
	dob, err := time.Parse(time.DateOnly, v)
	if err != nil {
		fe.add(field, "must be a date as YYYY-MM-DD")
		return
	}
	if age := ageOn(dob, today); dob.After(today) || age < minAge || age > maxAge {
		fe.add(field, "must give an age from %d to %d", minAge, maxAge)
	}
}

func checkSSN(fe fieldErrors, field, v string) {
	switch {
	case v == "":
		fe.add(field, msgRequired)
	case !digits9.MatchString(v):
		fe.add(field, "must be 9 digits without dashes")
	case v[:3] == "000" || v[:3] == "666" || v[0] == '9' || v[3:5] == "00" || v[5:] == "0000":
		fe.add(field, "is not a valid Social Security number")
	}
}

func checkText(fe fieldErrors, field, v string, maxChars int, required bool) {
	switch {
	case strings.TrimSpace(v) == "":
		if required {
			fe.add(field, msgRequired)
		}
	case utf8.RuneCountInString(v) > maxChars:
		fe.add(field, "must be at most %d characters", maxChars)
	case strings.ContainsAny(v, "<>"):
		fe.add(field, "must not contain < or >")
	}
}

// ageOn is the age in whole years on a day.
func ageOn(dob, today time.Time) int {
	age := today.Year() - dob.Year()
	if today.Month() < dob.Month() || (today.Month() == dob.Month() && today.Day() < dob.Day()) {
		age--
	}
	return age
}

// validIdempotencyKey accepts 1–255 visible ASCII characters.
func validIdempotencyKey(k string) bool {
	return k != "" && len(k) <= maxIdempotencyKey && usableHeaderText(k)
}

// usableHeaderText reports whether v is only visible ASCII (no spaces), safe to
// echo in a header and to log.
func usableHeaderText(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] > '~' {
			return false
		}
	}
	return true
}
