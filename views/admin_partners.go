package views

import "prequal/lending"

// PartnerRow is one partner on the admins' list.
type PartnerRow struct {
	lending.Partner
	ActiveKeys int
	Actions    []lending.PartnerStatusChange
}

// PartnersView is the admins' partners page.
type PartnersView struct {
	AdminPage
	Production bool
	Partners   []PartnerRow
	Flash      string
}

// PartnerFlash confirms an admin's action.
func PartnerFlash(p lending.Partner, change lending.PartnerStatusChange) string {
	switch change {
	case lending.PartnerApprove:
		return "Approved " + p.Name + ". Its dashboard now says so and lets it create keys."
	case lending.PartnerSuspend:
		return "Suspended " + p.Name + ". Its keys are refused from their next request on."
	case lending.PartnerReinstate:
		return "Reinstated " + p.Name + ". Its keys work again."
	}
	return ""
}

func partnerActionLabel(c lending.PartnerStatusChange) string {
	switch c {
	case lending.PartnerApprove:
		return "Approve"
	case lending.PartnerSuspend:
		return "Suspend"
	case lending.PartnerReinstate:
		return "Reinstate"
	}
	return string(c)
}
