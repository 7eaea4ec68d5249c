package views

import "prequal/lending"

// ApplyForm is the prequalification form's view model: the input exactly as the
// borrower typed it (the SSN excepted) and a message per invalid field.
type ApplyForm struct {
	Page
	Form           lending.ApplicationForm
	Errors         lending.FieldErrors
	IdempotencyKey string
	MaxDOB         string // latest date of birth of an 18-year-old, for the date picker
	Scenario       string // QA scenario id when the form was prefilled from /qa
	SSNCleared     bool   // the borrower typed an SSN that we did not echo back
	// ScenarioSSN is the test SSN of a QA scenario's persona: stage test data the
	// portal itself supplies, the only SSN a page may carry.
	ScenarioSSN string
	// CoSSNCleared and ScenarioCoSSN are the same for the co-applicant's SSN.
	CoSSNCleared  bool
	ScenarioCoSSN string
}

// coApplicantOpen reports whether the co-applicant section starts open: the
// borrower ticked its box (or came from the no-offers advice), or one of its
// fields needs fixing.
func (f ApplyForm) coApplicantOpen() bool {
	if f.Form.HasCoApplicant() || f.Errors[lending.FieldCoApplicant] != "" {
		return true
	}
	for _, name := range lending.CoApplicantFields {
		if f.Errors[name] != "" {
			return true
		}
	}
	return false
}

// Field describes one input of the form.
type Field struct {
	Name         string
	Label        string
	Hint         string
	Type         string // text, email, tel, date; "select" uses Options
	Autocomplete string
	InputMode    string
	MaxLength    int
	Short        bool
	Optional     bool
	Options      []lending.Option
	Placeholder  string
}

func (f ApplyForm) value(name string) string {
	switch name {
	case lending.FieldSSN:
		return f.ScenarioSSN // never echo a borrower's SSN back to the browser
	case lending.FieldCoSSN:
		return f.ScenarioCoSSN
	}
	return f.Form.Get(name)
}

func (f ApplyForm) err(name string) string { return f.Errors[name] }

// errorOrder lists the invalid fields in form order, for the error summary.
func (f ApplyForm) errorOrder() []string {
	var out []string
	for _, name := range lending.FormFields {
		if f.Errors[name] != "" {
			out = append(out, name)
		}
		if name == lending.FieldCreditRating { // the co-applicant section comes next
			for _, co := range append([]string{lending.FieldCoApplicant}, lending.CoApplicantFields...) {
				if f.Errors[co] != "" {
					out = append(out, co)
				}
			}
		}
	}
	return out
}

func hintID(name string) string  { return name + "-hint" }
func errorID(name string) string { return name + "-error" }

func describedBy(f Field) string {
	if f.Hint != "" {
		return hintID(f.Name) + " " + errorID(f.Name)
	}
	return errorID(f.Name)
}

func invalid(msg string) string {
	if msg != "" {
		return "true"
	}
	return "false"
}

func inputClass(f Field) string {
	if f.Short {
		return "short"
	}
	return ""
}

func checked(v string) bool { return v == lending.Checked }

// validateParams limits the on-blur request to the field and its name: hx-params
// filters hx-vals too, so "field" must be listed.
func validateParams(name string) string { return "field," + name }

// validateVals is the hx-vals JSON naming the field the on-blur check is for.
func validateVals(name string) string { return `{"field":"` + name + `"}` }

// Fields of the form, grouped as the page shows them.
var (
	loanFields = []Field{
		{Name: lending.FieldRequestedLoanAmount, Label: "How much would you like to borrow?", Hint: "From $1,000 to $100,000, in whole dollars.", Type: "text", InputMode: "numeric", Autocomplete: "off", MaxLength: 12, Short: true, Placeholder: "15000"},
		{Name: lending.FieldLoanPurpose, Label: "What is the loan for?", Type: "select", Options: lending.LoanPurposes},
	}
	identityFields = []Field{
		{Name: lending.FieldFirstName, Label: "First name", Type: "text", Autocomplete: "given-name", MaxLength: lending.MaxNameLength},
		{Name: lending.FieldLastName, Label: "Last name", Type: "text", Autocomplete: "family-name", MaxLength: lending.MaxNameLength},
		{Name: lending.FieldEmail, Label: "Email address", Hint: "We send your results here.", Type: "email", Autocomplete: "email", MaxLength: lending.MaxEmailLength},
		{Name: lending.FieldPhone, Label: "Mobile phone number", Hint: "10 digits, US numbers only.", Type: "tel", Autocomplete: "tel-national", InputMode: "tel", MaxLength: 14, Short: true},
		{Name: lending.FieldDOB, Label: "Date of birth", Hint: "You must be 18 or older.", Type: "date", Autocomplete: "bday", Short: true},
		{Name: lending.FieldSSN, Label: "Social Security number", Hint: "9 digits. Lenders need it to find your credit file for the soft check; it is encrypted and never shown in full.", Type: "text", InputMode: "numeric", Autocomplete: "off", MaxLength: 11, Short: true},
	}
	addressFields = []Field{
		{Name: lending.FieldStreet, Label: "Street address", Type: "text", Autocomplete: "address-line1", MaxLength: lending.MaxStreetLength},
		{Name: lending.FieldUnit, Label: "Apartment, suite or unit", Type: "text", Autocomplete: "address-line2", MaxLength: lending.MaxUnitLength, Optional: true, Short: true},
		{Name: lending.FieldCity, Label: "City", Type: "text", Autocomplete: "address-level2", MaxLength: lending.MaxCityLength},
		{Name: lending.FieldState, Label: "State", Type: "select", Options: lending.States, Autocomplete: "address-level1"},
		{Name: lending.FieldZipcode, Label: "ZIP code", Type: "text", InputMode: "numeric", Autocomplete: "postal-code", MaxLength: 10, Short: true},
	}
	coIdentityFields = []Field{
		{Name: lending.FieldCoFirstName, Label: "Their first name", Type: "text", Autocomplete: "off", MaxLength: lending.MaxNameLength},
		{Name: lending.FieldCoLastName, Label: "Their last name", Type: "text", Autocomplete: "off", MaxLength: lending.MaxNameLength},
		{Name: lending.FieldCoEmail, Label: "Their email address", Type: "email", Autocomplete: "off", MaxLength: lending.MaxEmailLength},
		{Name: lending.FieldCoDOB, Label: "Their date of birth", Hint: "They must be 18 or older.", Type: "date", Autocomplete: "off", Short: true},
		{Name: lending.FieldCoSSN, Label: "Their Social Security number", Hint: "9 digits, different from yours. Encrypted and never shown in full.", Type: "text", InputMode: "numeric", Autocomplete: "off", MaxLength: 11, Short: true},
		{Name: lending.FieldCoRelationship, Label: "How are they related to you?", Type: "select", Options: lending.Relationships},
	}
	coFinanceFields = []Field{
		{Name: lending.FieldCoEmploymentStatus, Label: "Their employment status", Type: "select", Options: lending.EmploymentStatuses},
		{Name: lending.FieldCoIncomeYearly, Label: "Their yearly income before taxes", Hint: "In whole dollars.", Type: "text", InputMode: "numeric", Autocomplete: "off", MaxLength: 12, Short: true},
		{Name: lending.FieldCoHousingMonthlyPayment, Label: "Their share of the monthly rent or mortgage", Hint: "What they pay each month towards your home. Enter 0 if none.", Type: "text", InputMode: "numeric", Autocomplete: "off", MaxLength: 9, Short: true},
	}
	financeFields = []Field{
		{Name: lending.FieldEmploymentStatus, Label: "Employment status", Type: "select", Options: lending.EmploymentStatuses},
		{Name: lending.FieldIncomeYearly, Label: "Yearly income before taxes", Hint: "Include all income you want lenders to consider, in whole dollars.", Type: "text", InputMode: "numeric", Autocomplete: "off", MaxLength: 12, Short: true},
		{Name: lending.FieldHousingType, Label: "Housing", Type: "select", Options: lending.HousingTypes},
		{Name: lending.FieldHousingMonthlyPayment, Label: "Monthly rent or mortgage payment", Hint: "Enter 0 if you have none.", Type: "text", InputMode: "numeric", Autocomplete: "off", MaxLength: 9, Short: true},
	}
)

// fieldLabel returns the label of a field, for the error summary.
func fieldLabel(name string) string {
	for _, group := range [][]Field{loanFields, identityFields, addressFields, financeFields, coIdentityFields, coFinanceFields} {
		for _, f := range group {
			if f.Name == name {
				return f.Label
			}
		}
	}
	switch name {
	case lending.FieldCreditRating:
		return "Credit rating"
	case lending.FieldConsentSoftPull:
		return "Soft credit check authorization"
	case lending.FieldConsentTerms:
		return "Terms of use"
	case lending.FieldConsentEsign:
		return "Electronic disclosures"
	case lending.FieldCoApplicant:
		return "Co-applicant"
	case lending.FieldCoConsentSoftPull:
		return "Co-applicant's soft credit check authorization"
	case lending.FieldCoConsentTerms:
		return "Co-applicant's terms of use"
	case lending.FieldCoConsentEsign:
		return "Co-applicant's electronic disclosures"
	}
	return name
}

func errorCount(n int) string {
	if n == 1 {
		return "1 problem"
	}
	return itoa(n) + " problems"
}
