package lending

import (
	"errors"
	"fmt"
)

// LeadStatus is the platform's status of a submitted lead (seed 000). The callback
// receiver, the polling fallback and the timeout sweep all move it through
// NextLeadStatus so that the rule lives in one place.
type LeadStatus string

// Lead statuses, in the order the platform moves through them.
const (
	LeadCreated         LeadStatus = "created"          // accepted by the platform
	LeadInProgress      LeadStatus = "in_progress"      // processing
	LeadFindingProducts LeadStatus = "finding_products" // searching lenders
	LeadOffersFound     LeadStatus = "offers_found"     // terminal: products available
	LeadNoOffers        LeadStatus = "no_offers"        // terminal: none, maybe with a notice
	LeadTimedOut        LeadStatus = "timed_out"        // terminal: set by the platform or our own sweep
	LeadProductSelected LeadStatus = "product_selected" // the borrower clicked through to a lender
)

// ErrUnknownLeadStatus is wrapped by ParseLeadStatus for a value that is not a lead status.
var ErrUnknownLeadStatus = errors.New("unknown lead status")

// leadStatusRank orders the statuses along the lifecycle. Terminal outcomes share
// a rank; which of them may replace which is decided in NextLeadStatus.
var leadStatusRank = map[LeadStatus]int{
	LeadCreated:         1,
	LeadInProgress:      2,
	LeadFindingProducts: 3,
	LeadOffersFound:     4,
	LeadNoOffers:        4,
	LeadTimedOut:        4,
	LeadProductSelected: 5,
}

// ParseLeadStatus accepts exactly the platform's spelling of a lead status.
func ParseLeadStatus(s string) (LeadStatus, error) {
	st := LeadStatus(s)
	if _, ok := leadStatusRank[st]; !ok {
		return "", fmt.Errorf("parse lead status %q: %w", s, ErrUnknownLeadStatus)
	}
	return st, nil
}

// Terminal reports whether the search is over: offers_found, no_offers, timed_out
// or product_selected. Polling stops at a terminal status.
func (s LeadStatus) Terminal() bool {
	switch s {
	case LeadOffersFound, LeadNoOffers, LeadTimedOut, LeadProductSelected:
		return true
	}
	return false
}

// Pending reports whether the platform is still working on the lead: created,
// in_progress or finding_products. The borrower sees "checking rates".
func (s LeadStatus) Pending() bool {
	switch s {
	case LeadCreated, LeadInProgress, LeadFindingProducts:
		return true
	}
	return false
}

// NextLeadStatus applies an incoming status to the current one and never moves it
// backwards, because callbacks are retried, duplicated and reordered, and the
// poller may read an older state than a callback already delivered:
//
//   - pending statuses move forward only, and may skip ahead (created → offers_found);
//   - a pending lead accepts any of offers_found, no_offers and timed_out;
//   - offers_found and no_offers are the platform's answer and never replace each other;
//   - timed_out is usually our own give-up, so a late platform answer (offers_found,
//     no_offers or product_selected) still upgrades it;
//   - product_selected follows only offers_found or timed_out, since a selection
//     needs offers; it is final.
//
// An empty current status (nothing recorded yet) accepts any status but
// product_selected. An unknown incoming or current status changes nothing.
// The same status again reports changed=false so duplicates record no event.
func NextLeadStatus(current, incoming LeadStatus) (next LeadStatus, changed bool) {
	inRank, ok := leadStatusRank[incoming]
	if !ok || incoming == current {
		return current, false
	}
	if current == "" {
		if incoming == LeadProductSelected {
			return current, false
		}
		return incoming, true
	}
	curRank, ok := leadStatusRank[current]
	if !ok {
		return current, false
	}

	switch {
	case current.Pending():
		if incoming == LeadProductSelected || inRank <= curRank {
			return current, false
		}
		return incoming, true
	case current == LeadTimedOut:
		if incoming == LeadOffersFound || incoming == LeadNoOffers || incoming == LeadProductSelected {
			return incoming, true
		}
	case current == LeadOffersFound:
		if incoming == LeadProductSelected {
			return incoming, true
		}
	}
	// no_offers and product_selected are final; anything else would go backwards.
	return current, false
}

// CanRetry reports whether the borrower may try again. Only a timed-out search can
// be retried, and a retry submits a fresh lead rather than reusing the old one.
func CanRetry(s LeadStatus) bool {
	return s == LeadTimedOut
}
