package lending

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var (
	tenDigits  = regexp.MustCompile(`^[0-9]{10}$`)
	nineDigits = regexp.MustCompile(`^[0-9]{9}$`)
	zipShape   = regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`)
)

// FuzzApplicationForm decodes an arbitrary form body the way the server does
// (url-encoded, then NewApplicationForm) and validates it: never a panic; the
// whole-form and the on-blur checks agree field by field; no message repeats
// what was typed; and a form that passes yields an applicant inside every limit.
func FuzzApplicationForm(f *testing.F) {
	valid := url.Values{}
	for k, v := range validForm() {
		valid.Set(k, v)
	}
	f.Add(valid.Encode())
	for _, edit := range []map[string]string{
		{FieldRequestedLoanAmount: "$100,000.00", FieldUnit: "Apt 4B", FieldZipcode: "62701-1234", FieldConsentTcpa: Checked},
		{FieldFirstName: "Zoë-Anne", FieldLastName: "O'Brien Núñez", FieldEmail: " Alex@Example.COM ", FieldState: "il"},
		{FieldFirstName: "<script>alert(1)</script>", FieldStreet: `"><img src=x onerror=alert(1)>`},
		{FieldUnit: `<svg onload=alert(1)>`, FieldCity: "javascript:alert(1)"},
		{FieldUnit: "<4B>", FieldStreet: "1 Main\x00St", FieldCity: "Spring\u202efield"},
		{FieldStreet: "1 Main St\r\nX-Injected: 1", FieldUnit: "4\u200bB", FieldCity: "\ufeffSpringfield"},
		{FieldRequestedLoanAmount: "99999999999999999999", FieldIncomeYearly: "-1", FieldHousingMonthlyPayment: "1e9"},
		{FieldDOB: "2010-02-30", FieldSSN: "666-12-3456", FieldPhone: "+1 (102) 555-0143"},
		{FieldEmail: "a@b", FieldFirstName: strings.Repeat("é", MaxNameLength+1), FieldConsentTcpa: "maybe"},
		{FieldDOB: "1900-01-01", FieldSSN: "000000000", FieldZipcode: "1234"},
	} {
		v := url.Values{}
		for k, x := range valid {
			v[k] = x
		}
		for k, x := range edit {
			v.Set(k, x)
		}
		f.Add(v.Encode())
	}
	f.Add("")
	f.Add("%zz&&=&firstName=%00&firstName=second")
	f.Add("email=" + strings.Repeat("a", 300) + "@example.com")

	f.Fuzz(func(t *testing.T, body string) {
		values, _ := url.ParseQuery(body) // the server keeps what parses, as net/http does
		form := NewApplicationForm(values.Get)
		a, errs := form.Validate(today)
		for _, name := range FormFields {
			msg := form.ValidateField(name, today)
			if msg != errs[name] {
				t.Fatalf("%s: Validate says %q, ValidateField says %q", name, errs[name], msg)
			}
			if v := strings.TrimSpace(form.Get(name)); len(v) > 1 && strings.ContainsAny(v, "<>&\"'") && strings.Contains(msg, v) {
				t.Fatalf("%s: message %q repeats the input", name, msg)
			}
		}
		if form.ValidateField("noSuchField", today) != "" {
			t.Fatal("an unknown field has a message")
		}
		if len(errs) > 0 {
			return
		}
		checkApplicantLimits(t, a)
	})
}

func checkApplicantLimits(t *testing.T, a Applicant) {
	t.Helper()
	bad := func(what string, v any) { t.Fatalf("valid form, but %s = %v", what, v) }
	if a.RequestedAmount < MinLoanAmountDollars*100 || a.RequestedAmount > MaxLoanAmountDollars*100 || a.RequestedAmount%100 != 0 {
		bad("requested amount", a.RequestedAmount)
	}
	if a.IncomeYearly < 0 || a.IncomeYearly > MaxIncomeYearlyDollars*100 {
		bad("income", a.IncomeYearly)
	}
	if a.HousingMonthly < 0 || a.HousingMonthly > MaxHousingMonthlyDollars*100 {
		bad("housing payment", a.HousingMonthly)
	}
	for what, name := range map[string]string{"first name": a.FirstName, "last name": a.LastName} {
		if name == "" || utf8.RuneCountInString(name) > MaxNameLength || name != strings.Join(strings.Fields(name), " ") ||
			strings.ContainsAny(name, "<>\"&") {
			bad(what, name)
		}
	}
	if a.Email == "" || len(a.Email) > MaxEmailLength || a.Email != strings.ToLower(strings.TrimSpace(a.Email)) ||
		strings.Count(a.Email, "@") != 1 || strings.ContainsAny(a.Email, " <>\"") {
		bad("email", a.Email)
	}
	if !tenDigits.MatchString(a.Phone) {
		bad("phone", a.Phone)
	}
	if !nineDigits.MatchString(a.SSN) || a.SSN[:3] == "000" || a.SSN[:3] == "666" || a.SSN[0] == '9' {
		bad("SSN", a.SSN)
	}
	if age := AgeOn(a.DOB, today); a.DOB.IsZero() || age < MinAgeYears || age > MaxAgeYears {
		bad("date of birth", a.DOB)
	}
	for what, v := range map[string]struct {
		s   string
		max int
	}{"street": {a.Street, MaxStreetLength}, "city": {a.City, MaxCityLength}} {
		if v.s == "" || utf8.RuneCountInString(v.s) > v.max || strings.ContainsAny(v.s, "<>") || v.s != strings.TrimSpace(v.s) {
			bad(what, v.s)
		}
	}
	if utf8.RuneCountInString(a.Unit) > MaxUnitLength || a.Unit != strings.TrimSpace(a.Unit) || strings.ContainsAny(a.Unit, "<>") {
		bad("unit", a.Unit)
	}
	for what, v := range map[string]string{"street": a.Street, "unit": a.Unit, "city": a.City} {
		for _, r := range v {
			if r == utf8.RuneError || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Co, unicode.Zl, unicode.Zp) {
				bad(what, v)
			}
		}
	}
	if !zipShape.MatchString(a.Zipcode) {
		bad("zipcode", a.Zipcode)
	}
	for what, v := range map[string]struct {
		value string
		opts  []Option
	}{
		"state": {a.State, States}, "loan purpose": {a.LoanPurpose, LoanPurposes},
		"employment": {a.EmploymentStatus, EmploymentStatuses}, "housing": {a.HousingType, HousingTypes},
		"credit rating": {a.CreditRating, CreditRatings},
	} {
		if !hasOption(v.opts, v.value) {
			bad(what, v.value)
		}
	}
}
