package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"prequal/lending"
)

// ErrOfferLocked means another offer was already chosen for the application, or
// the application is not in a state where an offer can be chosen (seed 001's
// offer locking).
var ErrOfferLocked = errors.New("store: offers are locked")

// SelectOffer records the borrower's choice of a product in one transaction:
// status product_selected, selectedProductId, an event. Choosing the same offer
// again returns it unchanged; choosing another once one is chosen is
// ErrOfferLocked; a product that was not offered is ErrNotFound. The offer's
// stored lenderOfferUrl is the only place the caller may send the borrower.
func (s *Store) SelectOffer(ctx context.Context, applicationID, productID string) (lending.Offer, error) {
	now := s.now().UTC()
	var chosen lending.Offer
	err := s.inTxReadCommitted(ctx, func(tx *sql.Tx) error {
		var status, selected, answer string
		err := tx.QueryRowContext(ctx, `SELECT lead_status, coalesce(selected_product_id, ''), customer_answer FROM applications WHERE id = ?`+s.d.forUpdate,
			applicationID).Scan(&status, &selected, &answer)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var amountRange string
		err = tx.QueryRowContext(ctx, `SELECT product_id, lender_name, amount_range, loan_amount_cents, term_months,
			apr_bps, interest_rate_bps, monthly_payment_cents, total_repayment_cents, total_interest_cents,
			origination_fee_cents, lender_offer_url, disclaimer
			FROM products WHERE application_id = ? AND product_id = ?`, applicationID, productID).Scan(
			&chosen.ProductID, &chosen.LenderName, &amountRange, &chosen.LoanAmount, &chosen.TermMonths,
			&chosen.APR, &chosen.InterestRate, &chosen.MonthlyPayment, &chosen.TotalRepayment, &chosen.TotalInterest,
			&chosen.OriginationFee, &chosen.LenderOfferURL, &chosen.Disclaimer)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		chosen.AmountRange = lending.AmountRange(amountRange)
		switch {
		case answer == string(lending.AnswerDeclined) || answer == string(lending.AnswerExpired):
			return ErrOfferLocked // declined or expired: seed 004's CREDIT_NOT_ACCEPTED_BY_CUSTOMER is final
		case selected == productID:
			return nil // the same choice again: nothing changes
		case selected != "":
			return ErrOfferLocked
		}
		from := lending.LeadStatus(status)
		next, changed := lending.NextLeadStatus(from, lending.LeadProductSelected)
		if !changed {
			return ErrOfferLocked
		}
		before, err := takeStatusSnapshot(ctx, tx, applicationID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET lead_status = ?, lead_status_at_ms = ?,
			selected_product_id = ?, selected_at_ms = ?, customer_answer = ?, customer_answer_reason = '', customer_answer_at_ms = ?,
			updated_at_ms = ? WHERE id = ?`,
			string(next), ms(now), productID, ms(now), string(lending.AnswerAccepted), ms(now), ms(now), applicationID); err != nil {
			return err
		}
		if err := s.emitStatusEvents(ctx, tx, applicationID, before); err != nil {
			return err
		}
		return s.addEvent(ctx, tx, applicationID, now, lending.Event{
			Kind: lending.EventOfferSelected, Source: lending.SourceBorrower,
			StatusFrom: string(from), StatusTo: string(next),
			Detail: fmt.Sprintf("%s: %s at %s APR for %d months", productID, chosen.LenderName, chosen.APR, chosen.TermMonths),
		})
	})
	if err != nil {
		return lending.Offer{}, fmt.Errorf("store.SelectOffer: %w", err)
	}
	return chosen, nil
}
