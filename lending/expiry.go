package lending

import "time"

// DefaultOfferTTL is how long offers not chosen stay open (PORTAL_OFFER_TTL).
const DefaultOfferTTL = 30 * 24 * time.Hour

// OfferExpiryReminderLead is how long before the offers expire the borrower is
// reminded, at most: with a short TTL the reminder comes halfway.
const OfferExpiryReminderLead = 72 * time.Hour

// OffersExpireAt is when offers found at offersFoundAt expire if none is chosen.
func OffersExpireAt(offersFoundAt time.Time, ttl time.Duration) time.Time {
	return offersFoundAt.Add(ttl)
}

// offerReminderLead is how long before expiry the reminder is due for ttl.
func offerReminderLead(ttl time.Duration) time.Duration {
	return min(OfferExpiryReminderLead, ttl/2)
}

// OffersExpiryReminderAt is when the "offers about to expire" email is due.
func OffersExpiryReminderAt(offersFoundAt time.Time, ttl time.Duration) time.Time {
	return OffersExpireAt(offersFoundAt, ttl).Add(-offerReminderLead(ttl))
}

// OffersDueForReminder is the window of offers_found times whose reminder is due
// at now: found after foundAfter (not expired yet) and at or before foundUpTo
// (the reminder time has come).
func OffersDueForReminder(now time.Time, ttl time.Duration) (foundAfter, foundUpTo time.Time) {
	return now.Add(-ttl), now.Add(-ttl + offerReminderLead(ttl))
}
