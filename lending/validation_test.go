package lending

import (
	"strings"
	"testing"
	"time"
)

var today = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// validForm is a complete, valid application as a browser would post it.
func validForm() ApplicationForm {
	return ApplicationForm{
		FieldRequestedLoanAmount: "15000", FieldLoanPurpose: "debt_consolidation",
		FieldFirstName: "Alex", FieldLastName: "Rivera", FieldEmail: "alex@example.com",
		FieldPhone: "202-555-0143", FieldDOB: "1990-04-12", FieldSSN: "123-45-6789",
		FieldStreet: "1 Main St", FieldUnit: "", FieldCity: "Springfield", FieldState: "IL", FieldZipcode: "62701",
		FieldEmploymentStatus: "employed", FieldIncomeYearly: "85000", FieldHousingType: "rent",
		FieldHousingMonthlyPayment: "1400", FieldCreditRating: "good",
		FieldConsentSoftPull: Checked, FieldConsentTerms: Checked, FieldConsentEsign: Checked,
	}
}

func TestValidateAcceptsAValidForm(t *testing.T) {
	a, errs := validForm().Validate(today)
	if len(errs) != 0 {
		t.Fatalf("errors on a valid form: %v", errs)
	}
	if a.RequestedAmount != 15000_00 || a.IncomeYearly != 85000_00 || a.HousingMonthly != 1400_00 {
		t.Errorf("money: %d %d %d", a.RequestedAmount, a.IncomeYearly, a.HousingMonthly)
	}
	if a.Phone != "2025550143" || a.SSN != "123456789" || a.SSNLast4() != "6789" {
		t.Errorf("normalised phone/ssn: %q %q %q", a.Phone, a.SSN, a.SSNLast4())
	}
	if a.DOB.Format(time.DateOnly) != "1990-04-12" || a.ConsentTcpa {
		t.Errorf("dob/tcpa: %v %v", a.DOB, a.ConsentTcpa)
	}
}

func TestValidateFieldRules(t *testing.T) {
	tests := []struct {
		field, value string
		wantErr      bool
	}{
		{FieldRequestedLoanAmount, "", true},
		{FieldRequestedLoanAmount, "999", true},
		{FieldRequestedLoanAmount, "1000", false},
		{FieldRequestedLoanAmount, "$1,000", false},
		{FieldRequestedLoanAmount, "100000", false},
		{FieldRequestedLoanAmount, "100001", true},
		{FieldRequestedLoanAmount, "12.5", true},
		{FieldRequestedLoanAmount, "-5000", true},
		{FieldRequestedLoanAmount, "ten thousand", true},
		{FieldLoanPurpose, "wedding", false},
		{FieldLoanPurpose, "yacht", true},
		{FieldLoanPurpose, "", true},
		{FieldFirstName, "", true},
		{FieldFirstName, "Mary-Jane", false},
		{FieldFirstName, "O'Brien", false},
		{FieldFirstName, "José", false},
		{FieldFirstName, "<script>", true},
		{FieldFirstName, strings.Repeat("a", MaxNameLength), false},
		{FieldFirstName, strings.Repeat("a", MaxNameLength+1), true},
		{FieldLastName, "1234", true},
		{FieldEmail, "alex@example.com", false},
		{FieldEmail, "alex+offers-all-ranges@example.com", false},
		{FieldEmail, "alex@example", true},
		{FieldEmail, "alex.example.com", true},
		{FieldEmail, "Alex <alex@example.com>", true},
		{FieldEmail, "", true},
		{FieldEmail, strings.Repeat("a", 250) + "@x.com", true},
		{FieldPhone, "2025550143", false},
		{FieldPhone, "(202) 555-0143", false},
		{FieldPhone, "+1 202 555 0143", false},
		{FieldPhone, "202555014", true},
		{FieldPhone, "20255501433", true},
		{FieldPhone, "1025550143", true},
		{FieldPhone, "2021550143", true},
		{FieldPhone, "202-555-01a3", true},
		{FieldDOB, "2008-11-22", false}, // 18 today
		{FieldDOB, "2008-11-23", true},  // 17, eighteen tomorrow
		{FieldDOB, "1990-13-01", true},
		{FieldDOB, "12/04/1990", true},
		{FieldDOB, "2030-01-01", true},
		{FieldDOB, "1890-01-01", true},
		{FieldSSN, "123-45-6789", false},
		{FieldSSN, "123456789", false},
		{FieldSSN, "12345678", true},
		{FieldSSN, "1234567890", true},
		{FieldSSN, "000-45-6789", true},
		{FieldSSN, "666-45-6789", true},
		{FieldSSN, "900-45-6789", true},
		{FieldSSN, "123-00-6789", true},
		{FieldSSN, "123-45-0000", true},
		{FieldSSN, "abc-de-fghi", true},
		{FieldStreet, "", true},
		{FieldStreet, "1 <b>Main</b> St", true},
		{FieldUnit, "", false},
		{FieldUnit, strings.Repeat("9", MaxUnitLength+1), true},
		{FieldCity, "", true},
		{FieldState, "CA", false},
		{FieldState, "dc", false},
		{FieldState, "ZZ", true},
		{FieldZipcode, "94105", false},
		{FieldZipcode, "94105-1234", false},
		{FieldZipcode, "9410", true},
		{FieldZipcode, "941051", true},
		{FieldZipcode, "ABCDE", true},
		{FieldEmploymentStatus, "self_employed", false},
		{FieldEmploymentStatus, "astronaut", true},
		{FieldIncomeYearly, "0", false},
		{FieldIncomeYearly, "10000000", false},
		{FieldIncomeYearly, "10000001", true},
		{FieldIncomeYearly, "", true},
		{FieldHousingType, "own_outright", false},
		{FieldHousingType, "castle", true},
		{FieldHousingMonthlyPayment, "0", false},
		{FieldHousingMonthlyPayment, "100001", true},
		{FieldCreditRating, "excellent", false},
		{FieldCreditRating, "amazing", true},
		{FieldConsentSoftPull, "", true},
		{FieldConsentSoftPull, Checked, false},
		{FieldConsentTerms, "", true},
		{FieldConsentEsign, "", true},
		{FieldConsentTcpa, "", false},
		{FieldConsentTcpa, Checked, false},
		{FieldConsentTcpa, "maybe", true},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			f := validForm()
			f[tt.field] = tt.value
			msg := f.ValidateField(tt.field, today)
			if (msg != "") != tt.wantErr {
				t.Fatalf("ValidateField(%s=%q) = %q, want error %v", tt.field, tt.value, msg, tt.wantErr)
			}
			_, errs := f.Validate(today)
			if (errs[tt.field] != "") != tt.wantErr {
				t.Fatalf("Validate gives %q for %s, want error %v", errs[tt.field], tt.field, tt.wantErr)
			}
		})
	}
}

func TestValidateReportsEveryInvalidField(t *testing.T) {
	_, errs := ApplicationForm{}.Validate(today)
	for _, name := range FormFields {
		optional := name == FieldUnit || name == FieldConsentTcpa
		if got := errs[name] != ""; got == optional {
			t.Errorf("%s: error %q on an empty form (optional=%v)", name, errs[name], optional)
		}
	}
}

func TestAgeOn(t *testing.T) {
	dob := time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		day  string
		want int
	}{{"2018-02-28", 17}, {"2018-03-01", 18}, {"2020-02-29", 20}} {
		d, _ := time.Parse(time.DateOnly, tt.day)
		if got := AgeOn(dob, d); got != tt.want {
			t.Errorf("AgeOn(%s) = %d, want %d", tt.day, got, tt.want)
		}
	}
}

// One rule for every free-text field (street, unit, city): what reaches
// officers' screens and the platform is printable text, without the markup
// characters the platform refuses, without control characters (NUL, escape,
// line breaks) and without invisible formatting (bidirectional overrides,
// zero-width characters) that makes text read differently from what it is.
func TestFreeTextRule(t *testing.T) {
	hostile := []string{
		"<4B>", "4<B", "Apt >", "1 Main\x00St", "1 Main St\x1b[31m", "Main\nSt", "Main\rSt", "Main\tSt",
		"Main\u202eSt", "Main\u202aSt", "Main\u2066St", "Main\u200bSt", "Main\u200dSt", "\ufeffMain", "Main\u2028St",
		"Main\u0085St", "Main\ue000St", "Main\xffSt", "Main\ufffdSt",
	}
	fine := []string{"Apt 4B", "#12", "Unit 3-C", "Ste. 400", "Building 7, Floor 2", "Rue de l'Église", "São Paulo", "Zoë's Way 1/2", "Coeur d’Alene"}
	for _, field := range []string{FieldStreet, FieldUnit, FieldCity} {
		for _, v := range hostile {
			f := validForm()
			f[field] = v
			if msg := f.ValidateField(field, today); msg == "" {
				t.Errorf("%s=%q accepted", field, v)
			} else if strings.Contains(msg, v) {
				t.Errorf("%s=%q: the message repeats the input: %q", field, v, msg)
			}
		}
		for _, v := range fine {
			f := validForm()
			f[field] = v
			if msg := f.ValidateField(field, today); msg != "" {
				t.Errorf("%s=%q refused: %s", field, v, msg)
			}
		}
	}
}
