package lending

import (
	"testing"
	"time"
)

// withCoApplicant is validForm with a complete, valid co-applicant section.
func withCoApplicant() ApplicationForm {
	f := validForm()
	f[FieldCoApplicant] = Checked
	f[FieldCoFirstName], f[FieldCoLastName], f[FieldCoEmail] = "Sam", "Rivera", "Sam@Example.com"
	f[FieldCoDOB], f[FieldCoSSN] = "1988-07-03", "534-56-7892"
	f[FieldCoEmploymentStatus], f[FieldCoIncomeYearly], f[FieldCoHousingMonthlyPayment] = "employed", "$62,000", "700"
	f[FieldCoRelationship] = "spouse"
	f[FieldCoConsentSoftPull], f[FieldCoConsentTerms], f[FieldCoConsentEsign] = Checked, Checked, Checked
	return f
}

func TestValidateWithCoApplicant(t *testing.T) {
	a, errs := withCoApplicant().Validate(today)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	co := a.CoApplicant
	if co == nil || co.FirstName != "Sam" || co.Email != "sam@example.com" || co.SSN != "534567892" || co.SSNLast4 != "7892" ||
		co.IncomeYearly != 62000_00 || co.HousingMonthly != 700_00 || co.Relationship != "spouse" ||
		co.DOB.Format(time.DateOnly) != "1988-07-03" {
		t.Fatalf("co-applicant %+v", co)
	}
}

func TestCoApplicantSectionNeedsItsBox(t *testing.T) {
	f := validForm()
	f[FieldCoConsentTerms] = Checked // a stray consent alone is no co-applicant
	a, errs := f.Validate(today)
	if len(errs) != 0 || a.CoApplicant != nil {
		t.Fatalf("no co-applicant details: errs %v co %+v", errs, a.CoApplicant)
	}
	f = withCoApplicant()
	f[FieldCoApplicant] = ""
	f[FieldCoSSN] = "not an ssn"
	_, errs = f.Validate(today)
	if len(errs) != 1 || errs[FieldCoApplicant] != "Tick this box to apply with your co-applicant, or clear their details" {
		t.Fatalf("details typed but box unticked: %v", errs)
	}
}

func TestCoApplicantFollowsThePrimaryRules(t *testing.T) {
	tests := []struct {
		field, value, want string
	}{
		{FieldCoFirstName, "", "Enter their first name"},
		{FieldCoLastName, "R2D2", "Use letters, spaces, hyphens or apostrophes in their last name"},
		{FieldCoEmail, "nope", "Enter an email address like name@example.com"},
		{FieldCoDOB, "2015-01-01", "They must be at least 18 to apply"},
		{FieldCoSSN, "000-12-3456", "This isn't a valid Social Security number; check the digits"},
		{FieldCoSSN, "123-45-6789", "The co-applicant's Social Security number must differ from yours"},
		{FieldCoEmploymentStatus, "pirate", "Choose their employment status"},
		{FieldCoIncomeYearly, "20000000", "Enter a yearly income up to $10,000,000"},
		{FieldCoHousingMonthlyPayment, "", "Enter their monthly rent or mortgage payment (0 if none)"},
		{FieldCoRelationship, "boss", "Choose how the co-applicant is related to you"},
		{FieldCoConsentSoftPull, "", "The co-applicant must authorize the soft credit check"},
		{FieldCoConsentTerms, "no", "The co-applicant must agree to the terms"},
		{FieldCoConsentEsign, "", "The co-applicant must agree to receive disclosures electronically"},
		{FieldCoApplicant, "maybe", "This box can only be ticked or left empty"},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			f := withCoApplicant()
			f[tt.field] = tt.value
			if got := f.ValidateField(tt.field, today); got != tt.want {
				t.Errorf("message %q, want %q", got, tt.want)
			}
			if tt.field == FieldCoApplicant {
				return
			}
			if _, errs := f.Validate(today); errs[tt.field] != tt.want || len(errs) != 1 {
				t.Errorf("Validate errors %v", errs)
			}
		})
	}
	for _, name := range CoApplicantFields {
		if msg := withCoApplicant().ValidateField(name, today); msg != "" {
			t.Errorf("%s: %q on a valid value", name, msg)
		}
	}
}
