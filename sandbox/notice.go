package sandbox

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"time"

	"prequal/decision"
	"prequal/lending"
)

// Fixed paragraphs of the notice of action taken. ECOANotice is Regulation B's
// sample wording (12 CFR 1002.9(b)(1)); FCRANotice follows sample form C-1's
// paragraph on a decision based on a consumer report (FCRA §615(a)).
const (
	creditorName    = "Prequal Stage Lending Panel"
	creditorAddress = "100 Sandbox Way, Suite 200, Wilmington, DE 19801"
	bureauName      = "Stage Credit Bureau (simulated)"
	bureauAddress   = "PO Box 1000, Wilmington, DE 19899"
	bureauPhone     = "1-800-555-0199"

	// ECOANotice is the Equal Credit Opportunity Act notice every notice carries.
	ECOANotice = "The Federal Equal Credit Opportunity Act prohibits creditors from discriminating against credit " +
		"applicants on the basis of race, color, religion, national origin, sex, marital status, age (provided the " +
		"applicant has the capacity to enter into a binding contract); because all or part of the applicant's income " +
		"derives from any public assistance program; or because the applicant has in good faith exercised any right " +
		"under the Consumer Credit Protection Act. The Federal agency that administers compliance with this law " +
		"concerning this creditor is the Federal Trade Commission, Equal Credit Opportunity, Washington, DC 20580."

	// FCRANotice is the consumer report paragraph: the right to a free copy and to dispute.
	FCRANotice = "Our credit decision was based in whole or in part on information obtained in a report from the " +
		"consumer reporting agency listed below. You have a right under the Fair Credit Reporting Act to know the " +
		"information contained in your credit file at the consumer reporting agency. The reporting agency played no " +
		"part in our decision and is unable to supply specific reasons why we have denied credit to you. You also " +
		"have a right to a free copy of your report from the reporting agency, if you request it no later than 60 " +
		"days after you receive this notice. In addition, if you find that any information contained in the report " +
		"you receive is inaccurate or incomplete, you have the right to dispute the matter with the reporting agency."

	// ActionTaken is the sentence stating the adverse action.
	ActionTaken = "We are unable to offer you a loan at this time."

	// fallbackReason is cited when nothing more specific is known (a forced outcome).
	fallbackReason = "Other, specify: no lender on our panel could offer a loan on the terms requested"
)

// noticeInput is what a notice says.
type noticeInput struct {
	Date     time.Time
	Amount   int64 // requested, whole dollars
	Decision decision.Decision
	// Reasons are the principal reasons, most important first, at most four.
	Reasons []string
}

type noticeView struct {
	Date, Amount, Band        string
	Score, ScoreMin, ScoreMax int
	Reasons, KeyFactors       []string
	ECOA, FCRA, Action        string
	Creditor, CreditorAddr    string
	Bureau, BureauAddr        string
	BureauPhone               string
}

var noticeTemplate = template.Must(template.New("notice").Parse(`<section class="adverse-action-notice">
<h2>Notice of action taken</h2>
<p>Date: {{.Date}}</p>
<p>Thank you for applying to check your rate for a personal loan of {{.Amount}}. We have reviewed your application. {{.Action}}</p>
<p>Action taken: credit denied.</p>
<h2>Principal reasons for our decision</h2>
<ul>{{range .Reasons}}
<li>{{.}}</li>{{end}}
</ul>
<h2>Your credit score</h2>
<p>Our decision was based in whole or in part on your credit score of {{.Score}}. Scores range from a low of {{.ScoreMin}} to a high of {{.ScoreMax}}; a score of {{.Score}} is in the band “{{.Band}}”. The date of this score is {{.Date}}.</p>
{{if .KeyFactors}}<p>Key factors that adversely affected your credit score:</p>
<ul>{{range .KeyFactors}}
<li>{{.}}</li>{{end}}
</ul>
{{end}}<h2>Your right to a copy of your credit report</h2>
<p>{{.FCRA}}</p>
<p>{{.Bureau}}, {{.BureauAddr}}, {{.BureauPhone}}</p>
<h2>Equal Credit Opportunity Act notice</h2>
<p>{{.ECOA}}</p>
<p>Creditor: {{.Creditor}}, {{.CreditorAddr}}</p>
</section>
`))

// noticeHTML renders the adverse action notice as plain, well-structured HTML
// (h2, p, ul), with every value escaped and no scripts.
func noticeHTML(in noticeInput) (string, error) {
	reasons := in.Reasons
	if len(reasons) == 0 {
		reasons = []string{fallbackReason}
	}
	if len(reasons) > 4 {
		reasons = reasons[:4]
	}
	v := noticeView{
		Date:         in.Date.UTC().Format("January 2, 2006"),
		Amount:       lending.Cents(in.Amount * 100).WholeDollars(),
		Score:        in.Decision.Score,
		ScoreMin:     decision.MinScore,
		ScoreMax:     decision.MaxScore,
		Band:         decision.ScoreBand(in.Decision.Score),
		Reasons:      reasons,
		KeyFactors:   keyFactors(in.Decision.Factors),
		ECOA:         ECOANotice,
		FCRA:         FCRANotice,
		Action:       ActionTaken,
		Creditor:     creditorName,
		CreditorAddr: creditorAddress,
		Bureau:       bureauName,
		BureauAddr:   bureauAddress,
		BureauPhone:  bureauPhone,
	}
	var b bytes.Buffer
	if err := noticeTemplate.Execute(&b, v); err != nil {
		return "", fmt.Errorf("sandbox: render notice: %w", err)
	}
	return b.String(), nil
}

// keyFactors lists, worst first, up to four score factors that cost points, with
// how many. Age is left out: it may not be held against an applicant.
func keyFactors(f decision.Factors) []string {
	type lost struct {
		points float64
		text   string
	}
	all := []lost{
		{40 - f.IncomeScore, fmt.Sprintf("Income relative to what full marks require (%.1f of 40 points)", f.IncomeScore)},
		{30 - f.DebtScore, fmt.Sprintf("Debt-to-income ratio of %.1f%% (%.1f of 30 points)", f.DebtRatio*100, f.DebtScore)},
		{f.AmountPressure, fmt.Sprintf("Amount requested relative to income (%.1f points deducted)", f.AmountPressure)},
		{10 - f.TenureScore, fmt.Sprintf("Time at current employer (%.1f of 10 points)", f.TenureScore)},
		{10 - f.OpenLineScore, fmt.Sprintf("Number of open credit accounts (%.1f of 10 points)", f.OpenLineScore)},
	}
	all = slices.DeleteFunc(all, func(l lost) bool { return l.points <= 0 })
	slices.SortStableFunc(all, func(a, b lost) int { return cmp.Compare(b.points, a.points) })
	out := make([]string, 0, 4)
	for _, l := range all[:min(4, len(all))] {
		out = append(out, l.text)
	}
	return out
}
