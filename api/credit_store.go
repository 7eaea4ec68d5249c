package api

import (
	"context"

	"prequal/lending"
	"prequal/store"
)

// CreditStore is what the credit applications APIs (seeds 003 and 004) need
// from the store; *store.Store has it.
type CreditStore interface {
	VisibleApplication(ctx context.Context, v store.Visibility, id string) (lending.Application, error)
	CustomerApplication(ctx context.Context, v store.Visibility, customerID string) (lending.Application, error)
	CreateCreditApplication(ctx context.Context, in store.NewCreditApplication) (store.CreditApplication, bool, error)
	CreditApplication(ctx context.Context, v store.Visibility, id string) (store.CreditApplication, error)
	CreditApplications(ctx context.Context, v store.Visibility, f store.CreditFilter, limit, offset int) ([]store.CreditApplication, error)
	UpdateCreditApplication(ctx context.Context, v store.Visibility, id string,
		decide func(cur store.CreditApplication) (store.CreditChange, error)) (store.CreditApplication, error)
}
