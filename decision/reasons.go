package decision

import "slices"

// RegulationBReasons is the list of principal reasons for credit denial on
// Regulation B's sample form C-1 (12 CFR 1002, Appendix C), in the form's order.
// Every Decision.PrincipalReasons entry is one of these strings, word for word.
var RegulationBReasons = []string{
	"Credit application incomplete",
	"Insufficient number of credit references provided",
	"Unacceptable type of credit references provided",
	"Unable to verify credit references",
	"Temporary or irregular employment",
	"Unable to verify employment",
	"Length of employment",
	"Income insufficient for amount of credit requested",
	"Excessive obligations in relation to income",
	"Unable to verify income",
	"Length of residence",
	"Temporary residence",
	"Unable to verify residence",
	"No credit file",
	"Limited credit experience",
	"Poor credit performance with us",
	"Delinquent past or present credit obligations with others",
	"Collection action or judgment",
	"Garnishment or attachment",
	"Foreclosure or repossession",
	"Bankruptcy",
	"Number of recent inquiries on credit bureau report",
	"Value or type of collateral not sufficient",
	"Other, specify",
}

// The C-1 reasons this engine can infer from its inputs.
const (
	reasonIncomplete       = "Credit application incomplete"
	reasonEmploymentLength = "Length of employment"
	reasonIncome           = "Income insufficient for amount of credit requested"
	reasonObligations      = "Excessive obligations in relation to income"
	reasonLimitedCredit    = "Limited credit experience"
)

// maxPrincipalReasons: Regulation B's commentary says more than four reasons is
// unlikely to be helpful to the applicant.
const maxPrincipalReasons = 4

// weightedReason is one candidate principal reason and how much it weighed.
type weightedReason struct {
	reason string
	// decisive is set when the reason is a failed amount or debt threshold: that
	// alone declined the applicant, whatever the score.
	decisive bool
	// lostTenths is how many tenths of a point the reason cost the score. It only
	// counts when the score itself failed (below 620).
	lostTenths int
}

// principalReasons lists, for a decline, up to four C-1 reasons, most important
// first: failed ratio thresholds first (amount-to-income, then debt-to-income, the
// order declineReason uses), then, when the score was below 620, what cost it the
// most points. The mapping from lost points to reasons:
//   - income below $60,000 and amount pressure → income insufficient for amount,
//   - debt score below 30 → excessive obligations in relation to income,
//   - tenure below full marks → length of employment (incomplete application when
//     yearsAtJob was omitted and estimated as 0),
//   - 0–1 open credit lines → limited credit experience (incomplete application
//     when openCreditLines was omitted).
//
// Age is never a reason: it is a prohibited basis under Regulation B. Points lost
// for having more than four open lines have no fitting C-1 reason and are not cited.
// A decline always yields at least one reason: if neither ratio failed, the score
// is at most 619, so at least 35.5 of 100 points were lost, of which age and extra
// open lines account for at most 20: at least 15.5 points are cited.
func principalReasons(score int, r ratios, in inputs, p points) []string {
	var candidates []weightedReason
	add := func(reason string, decisive bool, lost int) {
		for i := range candidates {
			if candidates[i].reason == reason {
				candidates[i].decisive = candidates[i].decisive || decisive
				candidates[i].lostTenths += lost
				return
			}
		}
		candidates = append(candidates, weightedReason{reason: reason, decisive: decisive, lostTenths: lost})
	}

	if r.amountToIncome > mediumMaxAmountToIncome {
		add(reasonIncome, true, 0)
	}
	if r.debtToIncome >= mediumMaxDebtToIncome {
		add(reasonObligations, true, 0)
	}
	if score < mediumMinScore {
		add(reasonIncome, false, tenths(maxIncome)-p.income+p.pressure)
		add(reasonObligations, false, tenths(maxDebt)-p.debt)
		tenureReason := reasonEmploymentLength
		if in.yearsEstimated {
			tenureReason = reasonIncomplete
		}
		add(tenureReason, false, tenths(maxTenure)-p.tenure)
		switch {
		case in.linesEstimated:
			add(reasonIncomplete, false, tenths(maxOpenLine)-p.openLine)
		case in.openCreditLines < openLinesBandLow:
			add(reasonLimitedCredit, false, tenths(maxOpenLine)-p.openLine)
		}
	}

	candidates = slices.DeleteFunc(candidates, func(c weightedReason) bool {
		return !c.decisive && c.lostTenths <= 0
	})
	slices.SortStableFunc(candidates, compareReasons)
	if len(candidates) > maxPrincipalReasons {
		candidates = candidates[:maxPrincipalReasons]
	}
	reasons := make([]string, len(candidates))
	for i, c := range candidates {
		reasons[i] = c.reason
	}
	return reasons
}

// compareReasons orders decisive reasons first (they were added in declineReason's
// order and the sort is stable), then by points lost, then by C-1 form order so
// that ties never depend on anything but the reasons themselves.
func compareReasons(a, b weightedReason) int {
	switch {
	case a.decisive != b.decisive:
		if a.decisive {
			return -1
		}
		return 1
	case a.decisive:
		return 0
	case a.lostTenths != b.lostTenths:
		return b.lostTenths - a.lostTenths
	default:
		return slices.Index(RegulationBReasons, a.reason) - slices.Index(RegulationBReasons, b.reason)
	}
}
