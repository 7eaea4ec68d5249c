package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"prequal/lending"
)

// InsertSyntheticApplications stores n made-up applications in one transaction,
// straight into the tables, for load measurements (the pipeline's 100 ms budget
// at 10,000 applications); CreateApplication's durable commit per application
// would take minutes. They are created 7 minutes apart from start. A third are QA
// test applications; lead statuses and amounts cycle; one in three has an offer
// from one of three lenders; one in 25 is held for review. Nothing in them is
// real: the sealed SSN is a placeholder that opens to nothing.
func (s *Store) InsertSyntheticApplications(ctx context.Context, n int, start time.Time) error {
	statuses := []lending.LeadStatus{lending.LeadCreated, lending.LeadInProgress, lending.LeadOffersFound,
		lending.LeadNoOffers, lending.LeadTimedOut, lending.LeadProductSelected, lending.LeadOffersFound}
	lenders := []string{"Acme Lending", "Birch Bank", "Cedar Credit"}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		app, err := tx.PrepareContext(ctx, `INSERT INTO applications (id, session_id, idempotency_key, correlation_id,
			partner_lead_id, is_test, created_at_ms, updated_at_ms, requested_amount_cents, loan_purpose, first_name,
			last_name, email, phone, dob, ssn_sealed, ssn_last4, ssn_fingerprint, street, city, state, zipcode,
			employment_status, income_yearly_cents, housing_type, housing_monthly_cents, credit_rating, client_ip,
			lead_uuid, lead_status, lead_status_at_ms, lead_submitted_at_ms, lead_terminal_at_ms, lead_deadline_ms,
			review_status, review_submitted_at_ms)
			VALUES (?,?,?,?, ?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?, ?,?)`)
		if err != nil {
			return err
		}
		defer app.Close()
		prod, err := tx.PrepareContext(ctx, `INSERT INTO products (application_id, product_id, lender_name, amount_range,
			loan_amount_cents, term_months, apr_bps, interest_rate_bps, monthly_payment_cents, total_repayment_cents,
			total_interest_cents, origination_fee_cents, lender_offer_url, disclaimer) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer prod.Close()
		for i := range n {
			id := NewID()
			created := start.Add(time.Duration(i) * 7 * time.Minute)
			status := statuses[i%len(statuses)]
			review := lending.ReviewPending
			if i%25 == 0 {
				review = lending.ReviewManualReview
			}
			amount := int64(1000_00 + (i%99)*1000_00)
			var terminal sql.NullInt64
			if status.Terminal() {
				terminal = nullMS(created.Add(time.Duration(5+i%40) * time.Second))
			}
			if _, err := app.ExecContext(ctx, id, "synthetic", NewID(), NewID(),
				"pl_"+NewID(), i%3 == 0, ms(created), ms(created), amount, "debt_consolidation", "Alex",
				fmt.Sprintf("Rivera%d", i), fmt.Sprintf("alex.rivera%d@example.com", i), "2025550143", "1990-04-12",
				[]byte{0}, fmt.Sprintf("%04d", i%10000), fmt.Sprintf("synthetic-%d", i), "1 Main St", "Springfield", "IL", "62701",
				"employed", int64(85000_00), "rent", int64(1400_00), "good", "192.0.2.1",
				"uuid-"+id, string(status), ms(created), ms(created.Add(time.Second)), terminal, ms(created.Add(2*time.Minute)),
				string(review), ms(created)); err != nil {
				return err
			}
			if i%3 == 1 {
				if _, err := prod.ExecContext(ctx, id, "p1", lenders[i%len(lenders)], string(lending.RangeRequested), amount,
					36, 1299, 1149, 1, 1, 1, 1, "https://lender.example/offer", ""); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store.InsertSyntheticApplications: %w", err)
	}
	return nil
}
