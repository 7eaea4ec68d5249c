package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
)

// The Line-of-Credit applications API (seed 004) at /api/v1/applications: a
// sponsor bank's record of each credit application, from SUBMITTED to the
// customer's answer, with seed 004's state machine enforced. Its status is
// lending.LineOfCreditStatus of the application's facts.

// locTimeLayout is seed 004's timestamps: UTC with microseconds (the portal
// keeps times to the millisecond, so the last three digits are zeros).
const locTimeLayout = "2006-01-02T15:04:05.000000Z"

func locTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(locTimeLayout)
}

// locApplication is seed 004's application resource.
type locApplication struct {
	Applicants         json.RawMessage `json:"applicants"`
	ApplicationDetails json.RawMessage `json:"application_details"`
	ReviewDetails      locReview       `json:"review_details"`
	Status             string          `json:"status"`
	Type               string          `json:"type"`
	CustomerID         string          `json:"customer_id"`
	CreationTime       string          `json:"creation_time"`
	ID                 string          `json:"id"`
	LastUpdatedTime    string          `json:"last_updated_time"`
}

// locReview is seed 004's review_details. adverse_action_reason_code is the
// principal reason of a denial (the first); adverse_action_reason_codes, the
// portal's extension, all of them (one to four, lending.MaxDenialReasons), in
// order.
type locReview struct {
	AdverseActionNoticeTime  string   `json:"adverse_action_notice_time,omitempty"`
	ApplicationSubmittedTime string   `json:"application_submitted_time,omitempty"`
	AdverseActionReasonCode  string   `json:"adverse_action_reason_code,omitempty"`
	AdverseActionReasonCodes []string `json:"adverse_action_reason_codes,omitempty"`
}

// locTypeLineOfCredit is seed 004's one application type.
const locTypeLineOfCredit = "LINE_OF_CREDIT"

func newLocApplication(c store.CreditApplication) locApplication {
	r := locReview{ApplicationSubmittedTime: locTime(c.SubmittedAt), AdverseActionNoticeTime: locTime(c.NoticeAt)}
	for _, reason := range c.Reasons {
		r.AdverseActionReasonCodes = append(r.AdverseActionReasonCodes, lending.AdverseActionCode(reason))
	}
	if len(r.AdverseActionReasonCodes) > 0 {
		r.AdverseActionReasonCode = r.AdverseActionReasonCodes[0]
	}
	return locApplication{Applicants: c.Applicants, ApplicationDetails: c.Attributes, ReviewDetails: r,
		Status: string(c.LoCStatus()), Type: locTypeLineOfCredit, CustomerID: c.CustomerID,
		CreationTime: locTime(c.CreatedAt), ID: c.ID, LastUpdatedTime: locTime(c.UpdatedAt)}
}

// locApplicant is one of seed 004's applicants.
type locApplicant struct {
	CreditScore     *locCreditScore     `json:"credit_score,omitempty"`
	CustomerID      string              `json:"customer_id,omitempty"`
	FinancialStatus *locFinancialStatus `json:"financial_status,omitempty"`
	IsPrimary       *bool               `json:"is_primary"`
}

type locCreditScore struct {
	Score *int    `json:"score"`
	Type  *string `json:"type"`
}

type locFinancialStatus struct {
	DebtToIncomeRatio   *float64    `json:"debt_to_income_ratio,omitempty"`
	EmploymentStatus    *string     `json:"employment_status,omitempty"`
	Income              []locIncome `json:"income,omitempty"`
	MonthlyRentMortgage *float64    `json:"monthly_rent_mortgage,omitempty"`
}

type locIncome struct {
	Amount    *float64 `json:"amount"`
	Frequency *string  `json:"frequency"`
	Type      *string  `json:"type"`
}

// locDetails is seed 004's application_details.
type locDetails struct {
	AnnualSalary *float64 `json:"annual_salary,omitempty"`
	FicoScore    *int     `json:"fico_score,omitempty"`
}

// Credit scores: FICO's industry scores run from 250 to 900 (seed 004's own
// example raises a fico_score to 900), base FICO and VantageScore 300 to 850.
const (
	minCreditScore = 250
	maxCreditScore = 900
)

// Seed 004's enumerations as the portal accepts them.
var (
	locScoreTypes       = []string{"FICO", "VANTAGE", "SELF_REPORTED"}
	locEmploymentStatus = []string{"EMPLOYED", "SELF_EMPLOYED", "UNEMPLOYED", "RETIRED", "STUDENT", "OTHER"}
	locIncomeFrequency  = []string{"WEEKLY", "BIWEEKLY", "SEMI_MONTHLY", "MONTHLY", "ANNUALLY"}
	locIncomeTypes      = []string{"PRIMARY", "SECONDARY", "OTHER"}
)

type locCreateRequest struct {
	Type               *string         `json:"type"`
	CustomerID         *string         `json:"customer_id"`
	ApplicationDetails json.RawMessage `json:"application_details"`
	Applicants         json.RawMessage `json:"applicants"`
	ReviewDetails      *locReviewIn    `json:"review_details"`
	Status             *string         `json:"status"`
	// id, creation_time and last_updated_time are the portal's: ignored.
}

type locReviewIn struct {
	AdverseActionNoticeTime  *string  `json:"adverse_action_notice_time"`
	ApplicationSubmittedTime *string  `json:"application_submitted_time"`
	AdverseActionReasonCode  *string  `json:"adverse_action_reason_code"`
	AdverseActionReasonCodes []string `json:"adverse_action_reason_codes"`
}

type locPatchRequest struct {
	Status             *string         `json:"status"`
	ApplicationDetails json.RawMessage `json:"application_details"`
	ReviewDetails      *locReviewIn    `json:"review_details"`
}

// decodeJSONObject reads body as one JSON object into v: malformed JSON is a
// 400 naming where it breaks, a member of the wrong type a 422 naming it.
func decodeJSONObject(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return NewProblem(http.StatusBadRequest, "malformed-json", "Malformed JSON", "The request body must be a JSON object.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return NewProblem(http.StatusBadRequest, "malformed-json", "Malformed JSON",
				fmt.Sprintf("The request body is not valid JSON at byte %d: %s.", syn.Offset, syn.Error()))
		case errors.As(err, &typ):
			pointer := "/" + strings.ReplaceAll(typ.Field, ".", "/")
			return ValidationProblem(FieldProblem{Pointer: pointer, Detail: "Must be " + jsonTypeName(typ.Type.Kind().String()) + "."})
		}
		return NewProblem(http.StatusBadRequest, "malformed-json", "Malformed JSON", "The request body could not be read as JSON.")
	}
	return nil
}

func jsonTypeName(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice":
		return "an array"
	}
	return "an object"
}

// validateApplicants checks seed 004's applicants: one to ten, exactly one
// primary, known enumerations, sensible ranges. It returns them re-encoded in
// the seed's member order.
func validateApplicants(raw json.RawMessage, pointer string) (json.RawMessage, []FieldProblem) {
	var apps []locApplicant
	if len(raw) == 0 || string(raw) == "null" {
		return nil, []FieldProblem{{Pointer: pointer, Detail: "Required: the primary applicant and any co-applicants."}}
	}
	if err := json.Unmarshal(raw, &apps); err != nil {
		return nil, []FieldProblem{{Pointer: pointer, Detail: "Must be an array of applicants: " + err.Error()}}
	}
	var fields []FieldProblem
	bad := func(p, d string) { fields = append(fields, FieldProblem{Pointer: p, Detail: d}) }
	if len(apps) == 0 || len(apps) > 10 {
		bad(pointer, "Give one to ten applicants.")
	}
	primaries := 0
	for i, a := range apps {
		at := fmt.Sprintf("%s/%d", pointer, i)
		switch {
		case a.IsPrimary == nil:
			bad(at+"/is_primary", "Required: true for the primary applicant, false for a co-applicant.")
		case *a.IsPrimary:
			primaries++
		}
		if cs := a.CreditScore; cs != nil {
			if cs.Score == nil || *cs.Score < minCreditScore || *cs.Score > maxCreditScore {
				bad(at+"/credit_score/score", "Must be a whole number from 250 to 900.")
			}
			if cs.Type == nil || !slices.Contains(locScoreTypes, *cs.Type) {
				bad(at+"/credit_score/type", "Must be one of "+strings.Join(locScoreTypes, ", ")+".")
			}
		}
		if fs := a.FinancialStatus; fs != nil {
			if fs.DebtToIncomeRatio != nil && (*fs.DebtToIncomeRatio < 0 || *fs.DebtToIncomeRatio > 100) {
				bad(at+"/financial_status/debt_to_income_ratio", "Must be a percentage from 0 to 100.")
			}
			if fs.EmploymentStatus != nil && !slices.Contains(locEmploymentStatus, *fs.EmploymentStatus) {
				bad(at+"/financial_status/employment_status", "Must be one of "+strings.Join(locEmploymentStatus, ", ")+".")
			}
			if fs.MonthlyRentMortgage != nil && *fs.MonthlyRentMortgage < 0 {
				bad(at+"/financial_status/monthly_rent_mortgage", "Must not be negative.")
			}
			for j, inc := range fs.Income {
				ip := fmt.Sprintf("%s/financial_status/income/%d", at, j)
				if inc.Amount == nil || *inc.Amount < 0 {
					bad(ip+"/amount", "Required, not negative.")
				}
				if inc.Frequency == nil || !slices.Contains(locIncomeFrequency, *inc.Frequency) {
					bad(ip+"/frequency", "Must be one of "+strings.Join(locIncomeFrequency, ", ")+".")
				}
				if inc.Type == nil || !slices.Contains(locIncomeTypes, *inc.Type) {
					bad(ip+"/type", "Must be one of "+strings.Join(locIncomeTypes, ", ")+".")
				}
			}
		}
	}
	if len(apps) > 0 && primaries != 1 {
		bad(pointer, "Exactly one applicant must have is_primary true.")
	}
	if len(fields) > 0 {
		return nil, fields
	}
	out, _ := json.Marshal(apps)
	return out, nil
}

// validateDetails checks seed 004's application_details and merges them into
// cur (nil: none yet).
func validateDetails(raw, cur json.RawMessage) (json.RawMessage, []FieldProblem) {
	var d locDetails
	if len(cur) > 0 {
		_ = json.Unmarshal(cur, &d)
	}
	if len(raw) > 0 && string(raw) != "null" {
		var in locDetails
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, []FieldProblem{{Pointer: "/application_details", Detail: "Must be an object with fico_score (whole number) and annual_salary (number)."}}
		}
		if in.FicoScore != nil {
			if *in.FicoScore < minCreditScore || *in.FicoScore > maxCreditScore {
				return nil, []FieldProblem{{Pointer: "/application_details/fico_score", Detail: "Must be a whole number from 250 to 900."}}
			}
			d.FicoScore = in.FicoScore
		}
		if in.AnnualSalary != nil {
			if *in.AnnualSalary < 0 {
				return nil, []FieldProblem{{Pointer: "/application_details/annual_salary", Detail: "Must not be negative."}}
			}
			d.AnnualSalary = in.AnnualSalary
		}
	}
	out, _ := json.Marshal(d)
	return out, nil
}

// reasonsFromCodes maps seed 004 reason codes to the portal's Regulation B reasons.
func reasonsFromCodes(r *locReviewIn) ([]string, []FieldProblem) {
	if r == nil || r.AdverseActionReasonCode == nil && r.AdverseActionReasonCodes == nil {
		return nil, nil
	}
	codes, pointer := r.AdverseActionReasonCodes, "/review_details/adverse_action_reason_codes"
	if r.AdverseActionReasonCode != nil {
		if codes != nil {
			return nil, []FieldProblem{{Pointer: "/review_details/adverse_action_reason_code", Detail: "Send adverse_action_reason_code or adverse_action_reason_codes, not both."}}
		}
		codes, pointer = []string{*r.AdverseActionReasonCode}, "/review_details/adverse_action_reason_code"
	}
	if len(codes) == 0 || len(codes) > lending.MaxDenialReasons {
		return nil, []FieldProblem{{Pointer: pointer, Detail: fmt.Sprintf("Give one to %d reason codes.", lending.MaxDenialReasons)}}
	}
	var reasons []string
	for _, c := range codes {
		reason, ok := lending.AdverseReasonForCode(c)
		if !ok || slices.Contains(reasons, reason) {
			return nil, []FieldProblem{{Pointer: pointer, Detail: "Unknown or repeated code " + c + "; the codes are listed in the API reference."}}
		}
		reasons = append(reasons, reason)
	}
	return reasons, nil
}

func parseLocTime(s *string, pointer string) (time.Time, []FieldProblem) {
	if s == nil {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, []FieldProblem{{Pointer: pointer, Detail: "Must be an RFC 3339 time, e.g. 2022-05-19T21:10:27.434964Z."}}
	}
	return t, nil
}

// createLoCApplication is POST /api/v1/applications.
func (a *API) createLoCApplication(c echo.Context) error {
	body, _, err := readAPIBody(c)
	if err != nil {
		return err
	}
	var in locCreateRequest
	if err := decodeJSONObject(body, &in); err != nil {
		return err
	}
	var fields []FieldProblem
	if in.Type == nil || *in.Type != locTypeLineOfCredit {
		fields = append(fields, FieldProblem{Pointer: "/type", Detail: "Must be LINE_OF_CREDIT."})
	}
	if in.Status != nil && *in.Status != string(lending.LoCSubmitted) && *in.Status != "APPLICATION_SUBMITTED" {
		fields = append(fields, FieldProblem{Pointer: "/status", Detail: "A new application is SUBMITTED; move it on with PATCH."})
	}
	applicants, fp := validateApplicants(in.Applicants, "/applicants")
	fields = append(fields, fp...)
	details, fp := validateDetails(in.ApplicationDetails, nil)
	fields = append(fields, fp...)
	var submitted, notice time.Time
	if r := in.ReviewDetails; r != nil {
		submitted, fp = parseLocTime(r.ApplicationSubmittedTime, "/review_details/application_submitted_time")
		fields = append(fields, fp...)
		notice, fp = parseLocTime(r.AdverseActionNoticeTime, "/review_details/adverse_action_notice_time")
		fields = append(fields, fp...)
		if r.AdverseActionReasonCode != nil || r.AdverseActionReasonCodes != nil {
			fields = append(fields, FieldProblem{Pointer: "/review_details/adverse_action_reason_code", Detail: "Reason codes belong to a denial: PATCH them with or after CREDIT_DENIED."})
		}
	}
	p := PrincipalOf(c)
	var app lending.Application
	if in.CustomerID == nil || *in.CustomerID == "" {
		fields = append(fields, FieldProblem{Pointer: "/customer_id", Detail: "Required: the customer (cus_…) whose approved application this credit is for."})
	} else if app, err = a.credit.CustomerApplication(c.Request().Context(), p.Visibility(), *in.CustomerID); errors.Is(err, store.ErrCustomerNotFound) {
		fields = append(fields, FieldProblem{Pointer: "/customer_id", Detail: "No approved customer of yours has this id."})
	} else if err != nil {
		return err
	}
	if len(fields) > 0 {
		return ValidationProblem(fields...)
	}
	ca, _, err := a.credit.CreateCreditApplication(c.Request().Context(), store.NewCreditApplication{
		Kind: store.CreditLineOfCredit, PartnerID: p.PartnerID, ApplicationID: app.ID, CustomerID: *in.CustomerID,
		SubmittedAt: submitted, NoticeAt: notice, Attributes: details, Applicants: applicants,
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/applications/"+ca.ID)
	return c.JSON(http.StatusCreated, newLocApplication(ca))
}

// getLoCApplication is GET /api/v1/applications/{id}.
func (a *API) getLoCApplication(c echo.Context) error {
	ca, err := a.credit.CreditApplication(c.Request().Context(), PrincipalOf(c).Visibility(), c.Param("id"))
	if err != nil {
		return err
	}
	if ca.Kind != store.CreditLineOfCredit {
		return StatusProblem(http.StatusNotFound)
	}
	return c.JSON(http.StatusOK, newLocApplication(ca))
}

// listLoCApplications is GET /api/v1/applications?limit=&offset=.
func (a *API) listLoCApplications(c echo.Context) error {
	pg, err := parsePage(c, "limit", "offset")
	if err != nil {
		return err
	}
	list, err := a.credit.CreditApplications(c.Request().Context(), PrincipalOf(c).Visibility(),
		store.CreditFilter{Kinds: []store.CreditKind{store.CreditLineOfCredit}, CustomerID: c.QueryParam("customer_id")}, pg.limit, pg.offset)
	if err != nil {
		return err
	}
	out := struct {
		Applications []locApplication `json:"applications"`
		Limit        int              `json:"limit"`
		Offset       int              `json:"offset"`
	}{Applications: []locApplication{}, Limit: pg.limit, Offset: pg.offset}
	for _, ca := range list {
		out.Applications = append(out.Applications, newLocApplication(ca))
	}
	return c.JSON(http.StatusOK, out)
}

// errNotLoC marks a credit application of seed 003 met on seed 004's routes.
var errNotLoC = errors.New("not a Line-of-Credit application")

// patchLoCApplication is PATCH /api/v1/applications/{id}: status (seed 004's
// state machine), application_details (merged), review_details (the reason
// codes of a denial).
func (a *API) patchLoCApplication(c echo.Context) error {
	body, _, err := readAPIBody(c)
	if err != nil {
		return err
	}
	var in locPatchRequest
	if err := decodeJSONObject(body, &in); err != nil {
		return err
	}
	var to lending.LoCStatus
	if in.Status != nil {
		if to, err = lending.ParseLoCStatus(*in.Status); err != nil {
			return ValidationProblem(FieldProblem{Pointer: "/status", Detail: "Must be one of SUBMITTED, CREDIT_APPROVED, CREDIT_DENIED, CREDIT_ACCEPTED_BY_CUSTOMER, CREDIT_NOT_ACCEPTED_BY_CUSTOMER."})
		}
	}
	reasons, fields := reasonsFromCodes(in.ReviewDetails)
	if len(fields) > 0 {
		return ValidationProblem(fields...)
	}
	p := PrincipalOf(c)
	var refusal *Problem
	ca, err := a.credit.UpdateCreditApplication(c.Request().Context(), p.Visibility(), c.Param("id"),
		func(cur store.CreditApplication) (store.CreditChange, error) {
			if cur.Kind != store.CreditLineOfCredit {
				return store.CreditChange{}, errNotLoC
			}
			ch := store.CreditChange{Actor: "partner " + p.PartnerName}
			from := cur.LoCStatus()
			after := from
			if to != "" && to != from {
				t, err := lending.TransitionLoC(from, to)
				if err != nil {
					refusal = NewProblem(http.StatusConflict, "illegal-transition", "Illegal status transition", capitalize(err.Error())+".")
					return ch, err
				}
				ch.Review, ch.Answer, after = t.Review, t.Answer, to
			}
			if in.ApplicationDetails != nil {
				d, fields := validateDetails(in.ApplicationDetails, cur.Attributes)
				if len(fields) > 0 {
					refusal = ValidationProblem(fields...)
					return ch, errors.New("invalid application_details")
				}
				ch.Attributes = d
			}
			if reasons != nil {
				if after != lending.LoCDenied {
					refusal = NewProblem(http.StatusConflict, "illegal-transition", "Illegal status transition",
						"Adverse action reason codes belong to a denied application; this one is "+string(after)+".")
					return ch, errors.New("reasons without a denial")
				}
				ch.Reasons = reasons
			}
			return ch, nil
		})
	switch {
	case refusal != nil:
		return refusal
	case errors.Is(err, errNotLoC):
		return StatusProblem(http.StatusNotFound)
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, newLocApplication(ca))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
