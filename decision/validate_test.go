package decision

import (
	"math"
	"reflect"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Applicant)
		want   map[string][]string
	}{
		{"seed example is valid", func(*Applicant) {}, map[string][]string{}},
		{"optional fields omitted is valid", func(a *Applicant) { a.YearsAtJob, a.OpenCreditLines = nil, nil }, map[string][]string{}},
		{"zero income, debt, tenure and lines are valid", func(a *Applicant) {
			a.Income, a.ExistingDebt, a.YearsAtJob, a.OpenCreditLines = 0, 0, intp(0), intp(0)
		}, map[string][]string{}},
		{"age 18 is valid", func(a *Applicant) { a.Age = 18 }, map[string][]string{}},
		{"age 17", func(a *Applicant) { a.Age = 17 }, map[string][]string{"age": {"Number must be greater than or equal to 18"}}},
		{"negative income", func(a *Applicant) { a.Income = -1 }, map[string][]string{"income": {"Number must be greater than or equal to 0"}}},
		{"negative debt", func(a *Applicant) { a.ExistingDebt = -0.01 }, map[string][]string{"existingDebt": {"Number must be greater than or equal to 0"}}},
		{"zero amount", func(a *Applicant) { a.RequestedAmount = 0 }, map[string][]string{"requestedAmount": {"Number must be greater than 0"}}},
		{"negative amount", func(a *Applicant) { a.RequestedAmount = -5 }, map[string][]string{"requestedAmount": {"Number must be greater than 0"}}},
		{"negative tenure", func(a *Applicant) { a.YearsAtJob = intp(-1) }, map[string][]string{"yearsAtJob": {"Number must be greater than or equal to 0"}}},
		{"negative lines", func(a *Applicant) { a.OpenCreditLines = intp(-2) }, map[string][]string{"openCreditLines": {"Number must be greater than or equal to 0"}}},
		{"NaN income", func(a *Applicant) { a.Income = math.NaN() }, map[string][]string{"income": {"Expected number, received nan"}}},
		{"infinite debt", func(a *Applicant) { a.ExistingDebt = math.Inf(1) }, map[string][]string{"existingDebt": {"Number must be finite"}}},
		{"-Inf amount", func(a *Applicant) { a.RequestedAmount = math.Inf(-1) }, map[string][]string{"requestedAmount": {"Number must be finite"}}},
		{"several at once", func(a *Applicant) { a.Age, a.Income, a.RequestedAmount = 16, -3, 0 }, map[string][]string{
			"age":             {"Number must be greater than or equal to 18"},
			"income":          {"Number must be greater than or equal to 0"},
			"requestedAmount": {"Number must be greater than 0"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := seedApplicant()
			tt.modify(&a)
			got := a.Validate()
			if got == nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate() = %#v, want %#v", got, tt.want)
			}
		})
	}
}
