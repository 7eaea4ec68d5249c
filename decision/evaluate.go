package decision

// Evaluate scores an applicant and decides its risk tier, exactly as the seed's
// POST /api/v1/decision "decision" object (seed 002). It is pure: no I/O, no clock,
// no randomness, so the same applicant always gets the same Decision.
//
// How the decision is made:
//   - the six factors are computed and rounded to one decimal (see factors.go),
//   - points = income + debt - amountPressure + age + tenure + openLine, in [0, 100],
//   - score = round(200 + 6.5 × points), in [200, 850] (see scoreFromPoints),
//   - the tier follows the seed's "Approval tiers" table on the score and the
//     unrounded debt-to-income and amount-to-income ratios (see tierOf),
//   - the reasons, next steps and, for declines, Regulation B principal reasons
//     are derived from the tier and the factors (see explain.go and reasons.go).
//
// Evaluate expects an applicant that passed Validate. It never panics and keeps
// every output in range for any input; see normalize for how invalid values count.
func Evaluate(a Applicant) Decision {
	in := normalize(a)
	r := ratiosOf(in)
	p := pointsOf(in, r)
	score := scoreFromPoints(p.total())
	tier := tierOf(score, r)

	d := Decision{
		Score:     score,
		RiskLevel: tier,
		Approved:  tier != RiskHigh,
		Factors:   p.factors(r, in.estimatedFields()),
	}
	if d.Approved {
		reason := approvalReason(tier, r)
		d.ApprovalReason = &reason
		d.NextSteps = approvedNextSteps(tier)
		return d
	}
	c := primaryCause(r)
	reason := declineReason(c, score, r, in.income)
	d.DeclineReason = &reason
	d.NextSteps = declinedNextSteps(c, d.Factors.EstimatedFields)
	d.PrincipalReasons = principalReasons(score, r, in, p)
	return d
}
