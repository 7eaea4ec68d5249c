// Package decision is the deterministic credit scoring engine of the Credit Decision
// API (seed 002): the same inputs always give the same score, tier and reasons.
// It does no I/O.
package decision

// Applicant is the input of a decision. Money is whole-currency units (dollars),
// as the seed's API takes it. Optional fields are nil when not supplied; they are
// then estimated as 0 and named in Factors.EstimatedFields.
type Applicant struct {
	Age             int     `json:"age"`
	Income          float64 `json:"income"`
	ExistingDebt    float64 `json:"existingDebt"`
	RequestedAmount float64 `json:"requestedAmount"`
	YearsAtJob      *int    `json:"yearsAtJob,omitempty"`
	OpenCreditLines *int    `json:"openCreditLines,omitempty"`
	Name            *string `json:"name,omitempty"`
}

// Risk levels (seed 002, "Approval tiers").
const (
	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
)

// Factors are the points each input contributed (amountPressure is deducted),
// rounded to one decimal as the API shows them; DebtRatio to three decimals.
type Factors struct {
	IncomeScore     float64  `json:"incomeScore"`
	DebtScore       float64  `json:"debtScore"`
	AmountPressure  float64  `json:"amountPressure"`
	AgeScore        float64  `json:"ageScore"`
	TenureScore     float64  `json:"tenureScore"`
	OpenLineScore   float64  `json:"openLineScore"`
	DebtRatio       float64  `json:"debtRatio"`
	EstimatedFields []string `json:"estimatedFields"`
}

// Decision is the engine's answer, shaped as the seed's "decision" object.
// PrincipalReasons is not part of the seed's JSON: it lists, for a decline, up to
// four reasons in the words of Regulation B's sample form C-1, most important first.
type Decision struct {
	Score            int      `json:"score"`
	RiskLevel        string   `json:"riskLevel"`
	Approved         bool     `json:"approved"`
	ApprovalReason   *string  `json:"approvalReason"`
	DeclineReason    *string  `json:"declineReason"`
	NextSteps        []string `json:"nextSteps"`
	Factors          Factors  `json:"factors"`
	PrincipalReasons []string `json:"-"`
}
