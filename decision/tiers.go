package decision

// Score scale and tier thresholds (seed 002, "Score scale" and "Approval tiers").
const (
	// MinScore and MaxScore bound every score Evaluate returns.
	MinScore = 200
	MaxScore = 850

	lowMinScore             = 700
	lowMaxDebtToIncome      = 0.35 // DTI must be strictly below
	lowMaxAmountToIncome    = 0.50 // amount-to-income must be at most
	mediumMinScore          = 620
	mediumMaxDebtToIncome   = 0.45
	mediumMaxAmountToIncome = 0.65
	pointsPerScoreTenth     = 65 // score = 200 + 6.5 × points = 200 + 65 × tenths / 100
	scoreTenthsDenominator  = 100
)

// scoreFromPoints maps points (in tenths, already clamped to [0, 1000]) to
// round(200 + 6.5 × points), half up, in [200, 850]. Integer arithmetic keeps
// ties (every odd whole number of points lands on .5) deterministic.
func scoreFromPoints(pointTenths int) int {
	score := MinScore + (pointsPerScoreTenth*pointTenths+scoreTenthsDenominator/2)/scoreTenthsDenominator
	return max(MinScore, min(MaxScore, score))
}

// tierOf applies the seed's table top to bottom: all three conditions of a tier
// must hold for it to apply; failing any medium condition is high risk. The ratios
// are the unrounded ones, so 0.3499 is below 0.35 even though it displays as 0.350.
func tierOf(score int, r ratios) string {
	switch {
	case score >= lowMinScore && r.debtToIncome < lowMaxDebtToIncome && r.amountToIncome <= lowMaxAmountToIncome:
		return RiskLow
	case score >= mediumMinScore && r.debtToIncome < mediumMaxDebtToIncome && r.amountToIncome <= mediumMaxAmountToIncome:
		return RiskMedium
	default:
		return RiskHigh
	}
}

// cause is the medium-tier condition that a declined applicant failed first.
type cause int

const (
	causeAmount cause = iota // amount-to-income above 65%
	causeDebt                // debt-to-income 45% or higher
	causeScore               // score below 620
)

// primaryCause names the first failed medium-tier condition, checked in the order
// amount-to-income, debt-to-income, score: when neither ratio fails, the score did.
// Only meaningful for a high-risk tier.
func primaryCause(r ratios) cause {
	switch {
	case r.amountToIncome > mediumMaxAmountToIncome:
		return causeAmount
	case r.debtToIncome >= mediumMaxDebtToIncome:
		return causeDebt
	default:
		return causeScore
	}
}

// ScoreBand is the seed's interpretation of a score: "Excellent" (750–850), "Good"
// (700–749), "Fair" (650–699), "Below average" (620–649), "Poor" (200–619). Scores
// outside 200–850 take the nearest band.
func ScoreBand(score int) string {
	switch {
	case score >= 750:
		return "Excellent"
	case score >= 700:
		return "Good"
	case score >= 650:
		return "Fair"
	case score >= 620:
		return "Below average"
	default:
		return "Poor"
	}
}
