package store

// creditKind is which kind of credit application a row is.
type creditKind string

// Credit application kinds (table credit_applications, column kind).
const (
	CreditOnboarding   creditKind = "onboarding"     // seed 003, about an application being evaluated
	CreditExisting     creditKind = "existing"       // seed 003, for an approved application's customer
	CreditLineOfCredit creditKind = "line_of_credit" // seed 004
)
