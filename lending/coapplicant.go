package lending

import (
	"strings"
	"time"
)

// A co-applicant is a second person who applies with the borrower (issue 15,
// seed 004's applicants[] beyond the primary). They share the primary's address
// and loan; they bring their own identity, income, employment, share of the
// housing payment and consents. Their SSN is sealed like the primary's.

// Co-applicant form field names. FieldCoApplicant is the box that opens the
// section: when it is not ticked, every other co-applicant field is ignored.
const (
	FieldCoApplicant             = "coApplicant"
	FieldCoFirstName             = "coFirstName"
	FieldCoLastName              = "coLastName"
	FieldCoEmail                 = "coEmail"
	FieldCoDOB                   = "coDob"
	FieldCoSSN                   = "coSsn"
	FieldCoEmploymentStatus      = "coEmploymentStatus"
	FieldCoIncomeYearly          = "coIncomeYearly"
	FieldCoHousingMonthlyPayment = "coHousingMonthlyPayment"
	FieldCoRelationship          = "coRelationship"
	FieldCoConsentSoftPull       = "coConsentSoftPull"
	FieldCoConsentTerms          = "coConsentTerms"
	FieldCoConsentEsign          = "coConsentEsign"
)

// CoApplicantFields lists the co-applicant's fields in the order the form shows them.
var CoApplicantFields = []string{
	FieldCoFirstName, FieldCoLastName, FieldCoEmail, FieldCoDOB, FieldCoSSN,
	FieldCoEmploymentStatus, FieldCoIncomeYearly, FieldCoHousingMonthlyPayment, FieldCoRelationship,
	FieldCoConsentSoftPull, FieldCoConsentTerms, FieldCoConsentEsign,
}

// coApplicantRule is the primary's field whose rule a co-applicant field follows:
// one rule per kind of value, whoever gives it.
var coApplicantRule = map[string]string{
	FieldCoFirstName:             FieldFirstName,
	FieldCoLastName:              FieldLastName,
	FieldCoEmail:                 FieldEmail,
	FieldCoDOB:                   FieldDOB,
	FieldCoSSN:                   FieldSSN,
	FieldCoEmploymentStatus:      FieldEmploymentStatus,
	FieldCoIncomeYearly:          FieldIncomeYearly,
	FieldCoHousingMonthlyPayment: FieldHousingMonthlyPayment,
	FieldCoConsentSoftPull:       FieldConsentSoftPull,
	FieldCoConsentTerms:          FieldConsentTerms,
	FieldCoConsentEsign:          FieldConsentEsign,
}

// Relationships are how a co-applicant can be related to the borrower.
var Relationships = []Option{
	{"spouse", "Spouse"},
	{"domestic_partner", "Domestic partner"},
	{"family", "Family member"},
	{"other", "Someone else"},
}

// Co-applicant consent kinds: the same texts as the primary's, agreed to by the
// co-applicant (the consents table keys evidence by application and kind).
const (
	ConsentCoSoftPull = "co_soft_pull"
	ConsentCoTerms    = "co_terms"
	ConsentCoEsign    = "co_esign"
)

// CoApplicant is a validated co-applicant. SSN is in clear only between the form
// and the store, and in the lead request; an Application read back carries
// SSNLast4 only.
type CoApplicant struct {
	FirstName        string
	LastName         string
	Email            string
	DOB              time.Time
	SSN              string // nine digits; "" once stored
	SSNLast4         string
	EmploymentStatus string
	IncomeYearly     Cents
	// HousingMonthly is the co-applicant's share of the household's monthly rent
	// or mortgage payment (0 when the primary pays it all).
	HousingMonthly Cents
	Relationship   string
}

// FullName is the co-applicant's name as shown to officers.
func (c CoApplicant) FullName() string { return c.FirstName + " " + c.LastName }

// MaskedSSN is the co-applicant's SSN as any screen may show it.
func (c CoApplicant) MaskedSSN() string { return "***-**-" + c.SSNLast4 }

// HasCoApplicant reports whether the borrower opened the co-applicant section.
func (f ApplicationForm) HasCoApplicant() bool { return f[FieldCoApplicant] == Checked }

// coApplicantWording turns a rule's message about the borrower into one about
// the co-applicant ("Enter your first name" → "Enter their first name").
var coApplicantWording = strings.NewReplacer("your ", "their ", "Your ", "Their ", "You must", "They must", "you ", "they ")

// validateCoApplicantField returns the message for one co-applicant field: the
// primary's rule for the same kind of value, in words about the co-applicant.
func (f ApplicationForm) validateCoApplicantField(name string, today time.Time) string {
	if name == FieldCoApplicant {
		v := f[name]
		if v != "" && v != Checked {
			return "This box can only be ticked or left empty"
		}
		if v == "" && f.coApplicantTyped() {
			return "Tick this box to apply with your co-applicant, or clear their details"
		}
		return ""
	}
	if name == FieldCoRelationship {
		return checkOption(strings.TrimSpace(f[name]), Relationships, "Choose how the co-applicant is related to you")
	}
	primary, ok := coApplicantRule[name]
	if !ok {
		return ""
	}
	msg := ApplicationForm{primary: f[name]}.ValidateField(primary, today)
	if msg == "" && name == FieldCoSSN && digitsOnly(f[FieldCoSSN]) == digitsOnly(f[FieldSSN]) {
		return "The co-applicant's Social Security number must differ from yours"
	}
	switch name {
	case FieldCoConsentSoftPull:
		if msg != "" {
			return "The co-applicant must authorize the soft credit check"
		}
	case FieldCoConsentTerms:
		if msg != "" {
			return "The co-applicant must agree to the terms"
		}
	case FieldCoConsentEsign:
		if msg != "" {
			return "The co-applicant must agree to receive disclosures electronically"
		}
	}
	return coApplicantWording.Replace(msg)
}

// coApplicantTyped reports whether any co-applicant detail (consents aside) was
// filled in: a form with details but an unticked box must not lose them silently.
func (f ApplicationForm) coApplicantTyped() bool {
	for _, name := range CoApplicantFields {
		switch name {
		case FieldCoConsentSoftPull, FieldCoConsentTerms, FieldCoConsentEsign:
			continue
		}
		if strings.TrimSpace(f[name]) != "" {
			return true
		}
	}
	return false
}

// coApplicant builds the typed co-applicant from a form whose co-applicant
// fields are valid.
func (f ApplicationForm) coApplicant() *CoApplicant {
	c := &CoApplicant{
		FirstName:        cleanName(f[FieldCoFirstName]),
		LastName:         cleanName(f[FieldCoLastName]),
		Email:            NormalizeEmail(f[FieldCoEmail]),
		SSN:              digitsOnly(f[FieldCoSSN]),
		EmploymentStatus: f[FieldCoEmploymentStatus],
		IncomeYearly:     Cents(mustDollars(f[FieldCoIncomeYearly])) * 100,
		HousingMonthly:   Cents(mustDollars(f[FieldCoHousingMonthlyPayment])) * 100,
		Relationship:     strings.TrimSpace(f[FieldCoRelationship]),
	}
	c.SSNLast4 = c.SSN[len(c.SSN)-4:]
	c.DOB, _ = time.Parse(time.DateOnly, strings.TrimSpace(f[FieldCoDOB]))
	return c
}

// HouseholdIncomeYearly is the yearly income the application stands on: the
// borrower's plus the co-applicant's when there is one.
func (a Application) HouseholdIncomeYearly() Cents {
	if a.CoApplicant == nil {
		return a.IncomeYearly
	}
	return a.IncomeYearly + a.CoApplicant.IncomeYearly
}

// HouseholdHousingMonthly is the monthly housing payment the applicants carry
// together: the borrower's plus the co-applicant's share.
func (a Application) HouseholdHousingMonthly() Cents {
	if a.CoApplicant == nil {
		return a.HousingMonthly
	}
	return a.HousingMonthly + a.CoApplicant.HousingMonthly
}
