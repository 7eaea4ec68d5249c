package decision

import "math"

// Validation messages, worded as zod words them, since the seed's 400 response
// shows zod's fieldErrors.
const (
	msgAgeMin      = "Number must be greater than or equal to 18"
	msgNonNegative = "Number must be greater than or equal to 0"
	msgPositive    = "Number must be greater than 0"
	msgNaN         = "Expected number, received nan"
	msgInfinite    = "Number must be finite"
)

// Validate checks the seed's request-field rules and returns zod-style field
// errors keyed by JSON field name (empty, never nil, when the applicant is valid):
// age ≥ 18; income and existingDebt ≥ 0; requestedAmount > 0; yearsAtJob and
// openCreditLines ≥ 0 when present; no NaN or infinite money. Type errors and
// unknown fields are the HTTP layer's job: by here every value has its Go type.
func (a Applicant) Validate() map[string][]string {
	errs := map[string][]string{}
	add := func(field, msg string) { errs[field] = append(errs[field], msg) }

	if a.Age < minAge {
		add("age", msgAgeMin)
	}
	for _, m := range []struct {
		field    string
		value    float64
		positive bool
	}{
		{"income", a.Income, false},
		{"existingDebt", a.ExistingDebt, false},
		{"requestedAmount", a.RequestedAmount, true},
	} {
		switch {
		case math.IsNaN(m.value):
			add(m.field, msgNaN)
		case math.IsInf(m.value, 0):
			add(m.field, msgInfinite)
		case m.positive && m.value <= 0:
			add(m.field, msgPositive)
		case !m.positive && m.value < 0:
			add(m.field, msgNonNegative)
		}
	}
	if a.YearsAtJob != nil && *a.YearsAtJob < 0 {
		add(fieldYearsAtJob, msgNonNegative)
	}
	if a.OpenCreditLines != nil && *a.OpenCreditLines < 0 {
		add(fieldOpenCreditLines, msgNonNegative)
	}
	return errs
}
