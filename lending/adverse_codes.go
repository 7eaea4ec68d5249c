package lending

// adverseActionCodes maps the portal's Regulation B reasons (AdverseReasons) to
// seed 004's adverse_action_reason_code style (SCREAMING_SNAKE_CASE, as in
// DELINQUENT_CREDIT_HISTORY). One table, both ways: the README prints it.
var adverseActionCodes = []struct {
	Reason string // AdverseReason.Code
	Code   string // seed 004's code
}{
	{"application_incomplete", "INCOMPLETE_APPLICATION"},
	{"insufficient_credit_references", "INSUFFICIENT_CREDIT_REFERENCES"},
	{"unacceptable_credit_references", "UNACCEPTABLE_CREDIT_REFERENCES"},
	{"unverifiable_credit_references", "UNVERIFIABLE_CREDIT_REFERENCES"},
	{"temporary_employment", "TEMPORARY_OR_IRREGULAR_EMPLOYMENT"},
	{"unverifiable_employment", "UNVERIFIABLE_EMPLOYMENT"},
	{"length_of_employment", "INSUFFICIENT_LENGTH_OF_EMPLOYMENT"},
	{"income_insufficient", "INSUFFICIENT_INCOME"},
	{"excessive_obligations", "EXCESSIVE_OBLIGATIONS"},
	{"unverifiable_income", "UNVERIFIABLE_INCOME"},
	{"length_of_residence", "INSUFFICIENT_LENGTH_OF_RESIDENCE"},
	{"temporary_residence", "TEMPORARY_RESIDENCE"},
	{"unverifiable_residence", "UNVERIFIABLE_RESIDENCE"},
	{"no_credit_file", "NO_CREDIT_FILE"},
	{"limited_credit_experience", "LIMITED_CREDIT_EXPERIENCE"},
	{"poor_credit_performance", "POOR_CREDIT_PERFORMANCE_WITH_US"},
	{"delinquent_obligations", "DELINQUENT_CREDIT_HISTORY"},
	{"collection_or_judgment", "COLLECTION_ACTION_OR_JUDGMENT"},
	{"garnishment_or_attachment", "GARNISHMENT_OR_ATTACHMENT"},
	{"foreclosure_or_repossession", "FORECLOSURE_OR_REPOSSESSION"},
	{"bankruptcy", "BANKRUPTCY"},
	{"recent_inquiries", "EXCESSIVE_RECENT_INQUIRIES"},
	{"insufficient_collateral", "INSUFFICIENT_COLLATERAL"},
	{AdverseReasonOther, "OTHER"},
}

// AdverseActionCode is seed 004's code of a Regulation B reason ("" if unknown).
func AdverseActionCode(reason string) string {
	for _, m := range adverseActionCodes {
		if m.Reason == reason {
			return m.Code
		}
	}
	return ""
}

// AdverseReasonForCode is the Regulation B reason of a seed 004 code.
func AdverseReasonForCode(code string) (string, bool) {
	for _, m := range adverseActionCodes {
		if m.Code == code {
			return m.Reason, true
		}
	}
	return "", false
}

// AdverseActionCodeTable is the mapping in AdverseReasons' order: reason, code.
func AdverseActionCodeTable() [][2]string {
	out := make([][2]string, len(adverseActionCodes))
	for i, m := range adverseActionCodes {
		out[i] = [2]string{m.Reason, m.Code}
	}
	return out
}
