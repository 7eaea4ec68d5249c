package decision

import (
	"math"
	"strconv"
	"strings"
)

// The sentences are concatenated rather than formatted (fmt.Sprintf): one is
// built for every decision, on the billed API's hot path.

// approvalReason explains an approval. The low-risk sentence is the seed's, word
// for word; the medium one is ours (the seed shows no medium example).
func approvalReason(tier string, r ratios) string {
	if tier == RiskLow {
		return "Low debt-to-income ratio (" + percent(r.debtToIncome) + "%) with income that comfortably supports the requested amount."
	}
	return "Debt-to-income ratio (" + percent(r.debtToIncome) + "%) and a requested amount of " + percent(r.amountToIncome) +
		"% of annual income are within acceptable limits."
}

// declineReason names the primary failed threshold (see primaryCause), with the
// applicant's own figure so the sentence can be checked against the limit.
func declineReason(c cause, score int, r ratios, income float64) string {
	switch c {
	case causeAmount:
		switch {
		case income <= 0:
			return "Requested amount cannot be supported because no annual income was reported; the limit is 65% of annual income."
		case r.amountToIncome > 10:
			// Past 1000% the exact figure says nothing more and can run to hundreds of digits.
			return "Requested amount is more than 1000% of annual income, above the 65% limit."
		}
		shown := percent(r.amountToIncome)
		if shown == "65.0" {
			// Above the limit but rounds onto it: say so rather than print "65.0%, above 65%".
			return "Requested amount is more than 65.0% of annual income, above the 65% limit."
		}
		return "Requested amount is " + shown + "% of annual income, above the 65% limit."
	case causeDebt:
		return "Debt-to-income ratio is " + percent(r.debtToIncome) + "%, at or above the 45% limit."
	default:
		return "Credit score of " + strconv.Itoa(score) + " is below the 620 minimum."
	}
}

// percent formats a ratio as a percentage with one decimal, rounded half away
// from zero (fmt alone would round exact binary ties to even).
func percent(ratio float64) string {
	return strconv.FormatFloat(math.Round(ratio*1000)/10, 'f', 1, 64)
}

// approvedNextSteps: the low-risk steps are the seed's; medium asks for the
// verification a thinner margin warrants.
func approvedNextSteps(tier string) []string {
	if tier == RiskLow {
		return []string{"Offer competitive APR", "Enable instant funding"}
	}
	return []string{"Offer standard APR", "Verify income before funding"}
}

// declinedNextSteps suggest what would most likely change the outcome, led by the
// primary cause, and ask for any optional field that was estimated as 0.
func declinedNextSteps(c cause, estimated []string) []string {
	var steps []string
	switch c {
	case causeAmount:
		steps = []string{"Suggest a lower requested amount", "Reapply with documentation of additional income"}
	case causeDebt:
		steps = []string{"Reapply after reducing existing debt", "Suggest a lower requested amount"}
	default:
		steps = []string{"Suggest a lower requested amount", "Reapply after reducing existing debt"}
	}
	if len(estimated) > 0 {
		steps = append(steps, "Resubmit with "+strings.Join(estimated, " and ")+" provided")
	}
	return steps
}
