package lending

import (
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Validation limits. The form, the handler and the tests all read them from here.
const (
	MinLoanAmountDollars     = 1_000
	MaxLoanAmountDollars     = 100_000
	MinAgeYears              = 18
	MaxAgeYears              = 120
	MaxIncomeYearlyDollars   = 10_000_000
	MaxHousingMonthlyDollars = 100_000
	MaxNameLength            = 50
	MaxEmailLength           = 254
	MaxStreetLength          = 100
	MaxUnitLength            = 20
	MaxCityLength            = 50
)

// Applicant is a validated application: typed, normalised, ready to store and submit.
type Applicant struct {
	RequestedAmount  Cents
	LoanPurpose      string
	FirstName        string
	LastName         string
	Email            string
	Phone            string // ten digits
	DOB              time.Time
	SSN              string // nine digits
	Street           string
	Unit             string
	City             string
	State            string
	Zipcode          string
	EmploymentStatus string
	IncomeYearly     Cents
	HousingType      string
	HousingMonthly   Cents
	CreditRating     string
	ConsentTcpa      bool
	// CoApplicant is the person applying with the borrower; nil when none.
	CoApplicant *CoApplicant
}

// SSNLast4 is the only part of the SSN the portal keeps in clear.
func (a Applicant) SSNLast4() string { return a.SSN[len(a.SSN)-4:] }

// FieldErrors maps a form field name to the message shown next to it.
type FieldErrors map[string]string

// Validate checks every field of the form and returns the typed applicant when the
// form is valid, or the message for each invalid field. today decides ages.
func (f ApplicationForm) Validate(today time.Time) (Applicant, FieldErrors) {
	errs := FieldErrors{}
	for _, name := range FormFields {
		if msg := f.ValidateField(name, today); msg != "" {
			errs[name] = msg
		}
	}
	if msg := f.ValidateField(FieldCoApplicant, today); msg != "" {
		errs[FieldCoApplicant] = msg
	}
	if f.HasCoApplicant() {
		for _, name := range CoApplicantFields {
			if msg := f.ValidateField(name, today); msg != "" {
				errs[name] = msg
			}
		}
	}
	if len(errs) > 0 {
		return Applicant{}, errs
	}
	a := Applicant{
		RequestedAmount:  Cents(mustDollars(f[FieldRequestedLoanAmount])) * 100,
		LoanPurpose:      f[FieldLoanPurpose],
		FirstName:        cleanName(f[FieldFirstName]),
		LastName:         cleanName(f[FieldLastName]),
		Email:            NormalizeEmail(f[FieldEmail]),
		Phone:            digitsOnly(f[FieldPhone]),
		SSN:              digitsOnly(f[FieldSSN]),
		Street:           strings.TrimSpace(f[FieldStreet]),
		Unit:             strings.TrimSpace(f[FieldUnit]),
		City:             strings.TrimSpace(f[FieldCity]),
		State:            strings.ToUpper(strings.TrimSpace(f[FieldState])),
		Zipcode:          strings.TrimSpace(f[FieldZipcode]),
		EmploymentStatus: f[FieldEmploymentStatus],
		IncomeYearly:     Cents(mustDollars(f[FieldIncomeYearly])) * 100,
		HousingType:      f[FieldHousingType],
		HousingMonthly:   Cents(mustDollars(f[FieldHousingMonthlyPayment])) * 100,
		CreditRating:     f[FieldCreditRating],
		ConsentTcpa:      f[FieldConsentTcpa] == Checked,
	}
	a.DOB, _ = time.Parse(time.DateOnly, strings.TrimSpace(f[FieldDOB]))
	if f.HasCoApplicant() {
		a.CoApplicant = f.coApplicant()
	}
	return a, nil
}

// ValidateField returns the message for one field ("" when it is valid). It is what
// both the full submit and the on-blur check use. A co-applicant field follows the
// rule of the borrower's field of the same kind.
func (f ApplicationForm) ValidateField(name string, today time.Time) string {
	v := strings.TrimSpace(f[name])
	if name == FieldCoApplicant || name == FieldCoRelationship || coApplicantRule[name] != "" {
		return f.validateCoApplicantField(name, today)
	}
	switch name {
	case FieldRequestedLoanAmount:
		return checkDollars(v, "Enter the amount you want to borrow", MinLoanAmountDollars, MaxLoanAmountDollars,
			fmt.Sprintf("Choose an amount from %s to %s", (Cents(MinLoanAmountDollars)*100).WholeDollars(), (Cents(MaxLoanAmountDollars)*100).WholeDollars()))
	case FieldLoanPurpose:
		return checkOption(v, LoanPurposes, "Choose what the loan is for")
	case FieldFirstName:
		return checkName(v, "first name")
	case FieldLastName:
		return checkName(v, "last name")
	case FieldEmail:
		return checkEmail(v)
	case FieldPhone:
		return checkPhone(v)
	case FieldDOB:
		return checkDOB(v, today)
	case FieldSSN:
		return checkSSN(v)
	case FieldStreet:
		return checkText(v, "Enter your street address", MaxStreetLength)
	case FieldUnit:
		if v == "" {
			return "" // optional
		}
		return checkText(v, "", MaxUnitLength)
	case FieldCity:
		return checkText(v, "Enter your city", MaxCityLength)
	case FieldState:
		return checkOption(strings.ToUpper(v), States, "Choose your state")
	case FieldZipcode:
		if !zipPattern.MatchString(v) {
			return "Enter a 5-digit ZIP code, like 94105"
		}
		return ""
	case FieldEmploymentStatus:
		return checkOption(v, EmploymentStatuses, "Choose your employment status")
	case FieldIncomeYearly:
		return checkDollars(v, "Enter your yearly income before taxes", 0, MaxIncomeYearlyDollars,
			"Enter a yearly income up to "+(Cents(MaxIncomeYearlyDollars)*100).WholeDollars())
	case FieldHousingType:
		return checkOption(v, HousingTypes, "Choose your housing situation")
	case FieldHousingMonthlyPayment:
		return checkDollars(v, "Enter your monthly rent or mortgage payment (0 if none)", 0, MaxHousingMonthlyDollars,
			"Enter a monthly payment up to "+(Cents(MaxHousingMonthlyDollars)*100).WholeDollars())
	case FieldCreditRating:
		return checkOption(v, CreditRatings, "Choose how you would rate your credit")
	case FieldConsentSoftPull:
		return checkConsent(v, "Authorize the soft credit check to see your rates")
	case FieldConsentTerms:
		return checkConsent(v, "Agree to the terms to continue")
	case FieldConsentEsign:
		return checkConsent(v, "Agree to receive disclosures electronically to continue")
	case FieldConsentTcpa:
		if v != "" && v != Checked {
			return "This box can only be ticked or left empty"
		}
		return ""
	}
	return ""
}

var (
	zipPattern  = regexp.MustCompile(`^\d{5}(-\d{4})?$`)
	namePattern = regexp.MustCompile(`^[\p{L}][\p{L}\p{M} .'\-]*$`)
	// phoneSeparators are what people type around the ten digits.
	phoneSeparators = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "", "+1", "")
	// dollarDecoration is what people type around a whole-dollar amount.
	dollarDecoration = strings.NewReplacer("$", "", ",", "", " ", "")
)

// ParseDollars reads a whole-dollar amount as people type it ("15000", "15,000",
// "$15,000", "15000.00").
func ParseDollars(s string) (int64, bool) {
	s = strings.TrimSpace(dollarDecoration.Replace(s))
	s = strings.TrimSuffix(s, ".00")
	if s == "" || len(s) > 12 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func mustDollars(s string) int64 {
	n, _ := ParseDollars(s)
	return n
}

func checkDollars(v, missing string, min, max int64, outOfRange string) string {
	if v == "" {
		return missing
	}
	n, ok := ParseDollars(v)
	if !ok {
		return "Enter a whole dollar amount, like 15000"
	}
	if n < min || n > max {
		return outOfRange
	}
	return ""
}

func checkOption(v string, opts []Option, msg string) string {
	if !hasOption(opts, v) {
		return msg
	}
	return ""
}

func checkName(v, what string) string {
	switch {
	case v == "":
		return "Enter your " + what
	case utf8.RuneCountInString(v) > MaxNameLength:
		return fmt.Sprintf("Keep your %s to %d characters", what, MaxNameLength)
	case !namePattern.MatchString(v):
		return fmt.Sprintf("Use letters, spaces, hyphens or apostrophes in your %s", what)
	}
	return ""
}

func cleanName(v string) string { return strings.Join(strings.Fields(v), " ") }

// checkText is the one rule for free text (street, unit, city). It accepts a
// subset of what the platform accepts — at most max characters, no < or > —
// so that the platform never refuses an address the form let through, and it
// also refuses what must not reach officers' screens or the platform at all:
// bytes that are not UTF-8, control characters (NUL, escape, line breaks,
// tabs), invisible formatting (bidirectional overrides such as U+202E, which
// make text read backwards, zero-width characters, byte order marks), line
// and paragraph separators, and private-use characters.
func checkText(v, missing string, max int) string {
	switch {
	case v == "":
		return missing
	case utf8.RuneCountInString(v) > max:
		return fmt.Sprintf("Keep this to %d characters", max)
	case strings.ContainsAny(v, "<>"):
		return "Remove the < and > characters"
	case !printableText(v):
		return "Use only letters, numbers, spaces and punctuation"
	}
	return ""
}

// printableText reports whether s is valid UTF-8 made only of characters that
// show as themselves: no control (Cc), format (Cf), surrogate (Cs) or
// private-use (Co) characters, no line or paragraph separators, and no U+FFFD
// (what a broken byte sequence turns into).
func printableText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Cs, unicode.Co, unicode.Zl, unicode.Zp) {
			return false
		}
	}
	return true
}

func checkEmail(v string) string {
	if v == "" {
		return "Enter your email address"
	}
	if len(v) > MaxEmailLength {
		return fmt.Sprintf("Keep your email address to %d characters", MaxEmailLength)
	}
	addr, err := mail.ParseAddress(v)
	local, domain, ok := strings.Cut(v, "@")
	if err != nil || addr.Address != v || !ok || local == "" || !strings.Contains(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.ContainsAny(v, " <>\"") {
		return "Enter an email address like name@example.com"
	}
	return ""
}

func checkPhone(v string) string {
	if v == "" {
		return "Enter your phone number"
	}
	d := phoneSeparators.Replace(v)
	if len(d) != 10 || digitsOnly(d) != d {
		return "Enter a 10-digit US phone number, like 202-555-0143"
	}
	if d[0] < '2' || d[3] < '2' {
		return "Enter a valid US phone number: area code and exchange can't start with 0 or 1"
	}
	return ""
}

func checkDOB(v string, today time.Time) string {
	if v == "" {
		return "Enter your date of birth"
	}
	dob, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return "Enter your date of birth as YYYY-MM-DD"
	}
	age := AgeOn(dob, today)
	switch {
	case dob.After(today):
		return "Your date of birth can't be in the future"
	case age < MinAgeYears:
		return fmt.Sprintf("You must be at least %d to apply", MinAgeYears)
	case age > MaxAgeYears:
		return "Check the year of your date of birth"
	}
	return ""
}

// AgeOn returns the age in whole years on the given day.
func AgeOn(dob, today time.Time) int {
	age := today.Year() - dob.Year()
	if today.Month() < dob.Month() || (today.Month() == dob.Month() && today.Day() < dob.Day()) {
		age--
	}
	return age
}

func checkSSN(v string) string {
	if v == "" {
		return "Enter your Social Security number"
	}
	d := strings.NewReplacer("-", "", " ", "").Replace(v)
	if len(d) != 9 || digitsOnly(d) != d {
		return "Enter the 9 digits of your Social Security number"
	}
	area, group, serial := d[:3], d[3:5], d[5:]
	if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
		return "This isn't a valid Social Security number; check the digits"
	}
	return ""
}

func checkConsent(v, msg string) string {
	if v != Checked {
		return msg
	}
	return ""
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
