package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
)

// The credit applications API (seed 003) at /api/credit-applications: JSON:API
// 1.1 documents of partners' credit applications. An onboarding credit
// application evaluates one of the partner's portal applications; an existing
// customer's is for the borrower of an approved one (the customer). Both
// statuses come from lending.CreditStatus.

// Seed 003's resource types.
const (
	typeOnboarding       = "onboardingCustomerCreditApplication"
	typeExisting         = "existingCustomerCreditApplication"
	typeCreateOnboarding = "createOnboardingCustomerCreditApplication"
	typeCreateExisting   = "createExistingCustomerCreditApplication"
	typePatch            = "patchCreditApplication"
)

// LendingProgramPersonalLoan is the id of the portal's one lending program,
// "personal loan prequal" (seed 003's lendingProgram relationship).
const LendingProgramPersonalLoan = "1"

// PortalBankID is the portal's bank id for filter[bankId]: the portal is one bank.
const PortalBankID = "1"

// creditTimeLayout is seed 003's createdAt: UTC with milliseconds.
const creditTimeLayout = "2006-01-02T15:04:05.000Z"

// numberOfEmployees are seed 003's NumberOfEmployees values.
var numberOfEmployees = []string{"One", "Between2And5", "Between5And10", "Between10And50", "Between50And100",
	"Between100And500", "Between500And1000", "Over1000"}

// creditAttributes are seed 003's writable attributes, as stored.
type creditAttributes struct {
	AggregatorAccessTokens     []string        `json:"aggregatorAccessTokens"`
	AnnualIncome               *int64          `json:"annualIncome"`
	NumberOfEmployees          *string         `json:"numberOfEmployees"`
	YearsInBusiness            *int            `json:"yearsInBusiness"`
	AdditionalUnderwritingData json.RawMessage `json:"additionalUnderwritingData"`
}

// creditAttributesIn are the attributes of a create or patch: a member
// absent keeps what is stored.
type creditAttributesIn struct {
	AggregatorAccessTokens     *[]string       `json:"aggregatorAccessTokens"`
	AnnualIncome               *int64          `json:"annualIncome"`
	NumberOfEmployees          *string         `json:"numberOfEmployees"`
	YearsInBusiness            *int            `json:"yearsInBusiness"`
	AdditionalUnderwritingData json.RawMessage `json:"additionalUnderwritingData"`
	IdempotencyKey             *string         `json:"idempotencyKey"`
}

type resourceIdentifier struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type relationship struct {
	Data *resourceIdentifier `json:"data"`
}

type jsonAPIDocumentIn struct {
	Data *struct {
		Type          string                  `json:"type"`
		ID            string                  `json:"id,omitempty"`
		Attributes    json.RawMessage         `json:"attributes"`
		Relationships map[string]relationship `json:"relationships"`
	} `json:"data"`
}

// creditResource is one credit application as seed 003 has it.
type creditResource struct {
	Type          string                  `json:"type"`
	ID            string                  `json:"id"`
	Attributes    creditResourceAttrs     `json:"attributes"`
	Relationships map[string]relationship `json:"relationships"`
	Links         map[string]string       `json:"links"`
}

type creditResourceAttrs struct {
	CreatedAt                  string          `json:"createdAt"`
	Status                     string          `json:"status"`
	AggregatorAccessTokens     []string        `json:"aggregatorAccessTokens"`
	AnnualIncome               *int64          `json:"annualIncome"`
	NumberOfEmployees          *string         `json:"numberOfEmployees"`
	YearsInBusiness            *int            `json:"yearsInBusiness"`
	AdditionalUnderwritingData json.RawMessage `json:"additionalUnderwritingData"`
	// ApprovedCreditLimit (cents) is set once Approved (seed 003: "updated
	// with the approved credit limit").
	ApprovedCreditLimit *int64 `json:"approvedCreditLimit,omitempty"`
	// DenyReasons are a denial's Regulation B reasons, in words.
	DenyReasons []string `json:"denyReasons,omitempty"`
}

func creditPath(id string) string { return "/api/credit-applications/" + url.PathEscape(id) }

func newCreditResource(c store.CreditApplication) creditResource {
	var attrs creditAttributes
	_ = json.Unmarshal(c.Attributes, &attrs)
	if attrs.AggregatorAccessTokens == nil {
		attrs.AggregatorAccessTokens = []string{}
	}
	if len(attrs.AdditionalUnderwritingData) == 0 {
		attrs.AdditionalUnderwritingData = json.RawMessage("null")
	}
	r := creditResource{ID: c.ID, Relationships: map[string]relationship{},
		Links: map[string]string{"self": creditPath(c.ID)},
		Attributes: creditResourceAttrs{CreatedAt: c.CreatedAt.UTC().Format(creditTimeLayout), Status: string(c.Status()),
			AggregatorAccessTokens: attrs.AggregatorAccessTokens, AnnualIncome: attrs.AnnualIncome,
			NumberOfEmployees: attrs.NumberOfEmployees, YearsInBusiness: attrs.YearsInBusiness,
			AdditionalUnderwritingData: attrs.AdditionalUnderwritingData}}
	if limit := c.ApprovedCreditLimit(); limit > 0 {
		v := int64(limit)
		r.Attributes.ApprovedCreditLimit = &v
	}
	if c.Status() == lending.ReviewDenied {
		for _, code := range c.Reasons {
			if reason, ok := lending.AdverseReasonByCode(code); ok {
				r.Attributes.DenyReasons = append(r.Attributes.DenyReasons, reason.Text)
			}
		}
	}
	switch c.Kind {
	case store.CreditOnboarding:
		r.Type = typeOnboarding
		r.Relationships["application"] = relationship{&resourceIdentifier{"application", c.ApplicationID}}
		if c.Customer != "" {
			r.Relationships["customer"] = relationship{&resourceIdentifier{"customer", c.Customer}}
		}
	default:
		r.Type = typeExisting
		r.Relationships["customer"] = relationship{&resourceIdentifier{"customer", c.CustomerID}}
	}
	r.Relationships["lendingProgram"] = relationship{&resourceIdentifier{"lendingProgram", c.LendingProgramID}}
	return r
}

// writeJSONAPI answers a JSON:API document.
func writeJSONAPIDoc(c echo.Context, status int, doc any) error {
	return writeTypedJSON(c, status, JSONAPIMediaType, doc)
}

// jsonAPINegotiation is JSON:API 1.1's content negotiation: a request with a
// body must send it as application/vnd.api+json without media type parameters (a profile
// aside) — else 415; an Accept whose every JSON:API media type carries such
// parameters is a 406.
func jsonAPINegotiation(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength != 0 && req.Body != nil && req.Body != http.NoBody {
			if !plainJSONAPI(req.Header.Get(echo.HeaderContentType)) {
				return NewProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
					"Send Content-Type: application/vnd.api+json, without media type parameters.")
			}
		}
		if accept := req.Header.Get(echo.HeaderAccept); accept != "" {
			seen, ok := false, false
			for _, r := range strings.Split(accept, ",") {
				mt, _, err := mime.ParseMediaType(strings.TrimSpace(r))
				if err != nil || mt != JSONAPIMediaType {
					continue
				}
				seen = true
				ok = ok || plainJSONAPI(strings.TrimSpace(r))
			}
			if seen && !ok {
				return NewProblem(http.StatusNotAcceptable, "not-acceptable", "Not acceptable",
					"Accept application/vnd.api+json without media type parameters.")
			}
		}
		return next(c)
	}
}

// plainJSONAPI reports whether a media type is JSON:API's with no parameter
// but profile (the portal supports no extension).
func plainJSONAPI(s string) bool {
	mt, params, err := mime.ParseMediaType(s)
	if err != nil || mt != JSONAPIMediaType {
		return false
	}
	for k := range params {
		if k != "profile" {
			return false
		}
	}
	return true
}

// decodeJSONAPI reads a JSON:API request document.
func decodeJSONAPI(c echo.Context) (jsonAPIDocumentIn, error) {
	var doc jsonAPIDocumentIn
	body, _, err := readAPIBody(c)
	if err != nil {
		return doc, err
	}
	if err := decodeJSONObject(body, &doc); err != nil {
		return doc, err
	}
	if doc.Data == nil {
		return doc, ValidationProblem(FieldProblem{Pointer: "/data", Detail: "Required: the resource object."})
	}
	return doc, nil
}

// mergeAttributes validates attributes and applies them over cur.
func mergeAttributes(raw json.RawMessage, cur json.RawMessage) (json.RawMessage, *string, []FieldProblem) {
	var out creditAttributes
	if len(cur) > 0 {
		_ = json.Unmarshal(cur, &out)
	}
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		b, _ := json.Marshal(out)
		return b, nil, nil
	}
	var in creditAttributesIn
	if err := json.Unmarshal(raw, &in); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field != "" {
			return nil, nil, []FieldProblem{{Pointer: "/data/attributes/" + strings.ReplaceAll(typ.Field, ".", "/"),
				Detail: "Must be " + jsonTypeName(typ.Type.Kind().String()) + "."}}
		}
		return nil, nil, []FieldProblem{{Pointer: "/data/attributes", Detail: "Must be an object."}}
	}
	var fields []FieldProblem
	if in.AggregatorAccessTokens != nil {
		out.AggregatorAccessTokens = *in.AggregatorAccessTokens
	}
	if in.AnnualIncome != nil {
		if *in.AnnualIncome < 0 {
			fields = append(fields, FieldProblem{Pointer: "/data/attributes/annualIncome", Detail: "Must not be negative (cents)."})
		}
		out.AnnualIncome = in.AnnualIncome
	}
	if in.NumberOfEmployees != nil {
		if !slices.Contains(numberOfEmployees, *in.NumberOfEmployees) {
			fields = append(fields, FieldProblem{Pointer: "/data/attributes/numberOfEmployees", Detail: "Must be one of " + strings.Join(numberOfEmployees, ", ") + "."})
		}
		out.NumberOfEmployees = in.NumberOfEmployees
	}
	if in.YearsInBusiness != nil {
		if *in.YearsInBusiness < 0 || *in.YearsInBusiness > 200 {
			fields = append(fields, FieldProblem{Pointer: "/data/attributes/yearsInBusiness", Detail: "Must be a whole number from 0 to 200."})
		}
		out.YearsInBusiness = in.YearsInBusiness
	}
	if in.AdditionalUnderwritingData != nil {
		if t := bytes.TrimSpace(in.AdditionalUnderwritingData); len(t) == 0 || (t[0] != '{' && string(t) != "null") {
			fields = append(fields, FieldProblem{Pointer: "/data/attributes/additionalUnderwritingData", Detail: "Must be an object."})
		}
		out.AdditionalUnderwritingData = in.AdditionalUnderwritingData
	}
	if in.IdempotencyKey != nil && (len(*in.IdempotencyKey) == 0 || len(*in.IdempotencyKey) > 255) {
		fields = append(fields, FieldProblem{Pointer: "/data/attributes/idempotencyKey", Detail: "Must be 1 to 255 characters."})
	}
	if len(fields) > 0 {
		return nil, nil, fields
	}
	b, _ := json.Marshal(out)
	return b, in.IdempotencyKey, nil
}

// relationshipID reads a relationship's id of the wanted type.
func relationshipID(rels map[string]relationship, name, typ string) (string, *FieldProblem) {
	r, ok := rels[name]
	if !ok || r.Data == nil || r.Data.ID == "" {
		return "", &FieldProblem{Pointer: "/data/relationships/" + name, Detail: "Required: {\"data\": {\"type\": \"" + typ + "\", \"id\": …}}."}
	}
	if r.Data.Type != typ {
		return "", &FieldProblem{Pointer: "/data/relationships/" + name + "/data/type", Detail: "Must be " + typ + "."}
	}
	return r.Data.ID, nil
}

// createCreditApplication is POST /api/credit-applications.
func (a *API) createCreditApplication(c echo.Context) error {
	doc, err := decodeJSONAPI(c)
	if err != nil {
		return err
	}
	d := doc.Data
	var kind store.CreditKind
	switch d.Type {
	case typeCreateOnboarding:
		kind = store.CreditOnboarding
	case typeCreateExisting:
		kind = store.CreditExisting
	default:
		return ValidationProblem(FieldProblem{Pointer: "/data/type", Detail: "Must be " + typeCreateOnboarding + " or " + typeCreateExisting + "."})
	}
	attrs, idemKey, fields := mergeAttributes(d.Attributes, nil)
	p := PrincipalOf(c)
	ctx := c.Request().Context()
	in := store.NewCreditApplication{Kind: kind, PartnerID: p.PartnerID, Attributes: attrs}
	if idemKey != nil {
		in.IdempotencyKey = *idemKey
	}
	if id, fp := relationshipID(d.Relationships, "lendingProgram", "lendingProgram"); fp != nil {
		fields = append(fields, *fp)
	} else if id != LendingProgramPersonalLoan {
		fields = append(fields, FieldProblem{Pointer: "/data/relationships/lendingProgram/data/id",
			Detail: "Unknown lending program; the portal's is \"" + LendingProgramPersonalLoan + "\" (personal loan prequal)."})
	} else {
		in.LendingProgramID = id
	}
	if kind == store.CreditOnboarding {
		if id, fp := relationshipID(d.Relationships, "application", "application"); fp != nil {
			fields = append(fields, *fp)
		} else if app, err := a.credit.VisibleApplication(ctx, p.Visibility(), id); errors.Is(err, store.ErrNotFound) {
			fields = append(fields, FieldProblem{Pointer: "/data/relationships/application/data/id", Detail: "No application of yours has this id."})
		} else if err != nil {
			return err
		} else {
			in.ApplicationID = app.ID
		}
	} else {
		if id, fp := relationshipID(d.Relationships, "customer", "customer"); fp != nil {
			fields = append(fields, *fp)
		} else if app, err := a.credit.CustomerApplication(ctx, p.Visibility(), id); errors.Is(err, store.ErrCustomerNotFound) {
			fields = append(fields, FieldProblem{Pointer: "/data/relationships/customer/data/id", Detail: "No customer of yours has this id (a customer is the borrower of an approved application)."})
		} else if err != nil {
			return err
		} else {
			in.ApplicationID, in.CustomerID = app.ID, id
		}
	}
	if len(fields) > 0 {
		return ValidationProblem(fields...)
	}
	ca, _, err := a.credit.CreateCreditApplication(ctx, in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, creditPath(ca.ID))
	return writeJSONAPIDoc(c, http.StatusCreated, map[string]any{"data": newCreditResource(ca), "links": map[string]string{"self": creditPath(ca.ID)}})
}

// visibleCredit reads a seed 003 credit application the principal may see.
func (a *API) visibleCredit(c echo.Context) (store.CreditApplication, error) {
	ca, err := a.credit.CreditApplication(c.Request().Context(), PrincipalOf(c).Visibility(), c.Param("id"))
	if err == nil && ca.Kind == store.CreditLineOfCredit {
		err = store.ErrNotFound
	}
	return ca, err
}

// getCreditApplication is GET /api/credit-applications/{id}.
func (a *API) getCreditApplication(c echo.Context) error {
	ca, err := a.visibleCredit(c)
	if err != nil {
		return err
	}
	return writeJSONAPIDoc(c, http.StatusOK, map[string]any{"data": newCreditResource(ca), "links": map[string]string{"self": creditPath(ca.ID)}})
}

// listCreditApplications is GET /api/credit-applications with seed 003's
// page[limit], page[offset] and filter[…] parameters.
func (a *API) listCreditApplications(c echo.Context) error {
	pg, err := parsePage(c, "page[limit]", "page[offset]")
	if err != nil {
		return err
	}
	f := store.CreditFilter{Kinds: []store.CreditKind{store.CreditOnboarding, store.CreditExisting},
		LendingProgramID: c.QueryParam("filter[lendingProgramId]"), ApplicationID: c.QueryParam("filter[applicationId]"),
		CustomerID: c.QueryParam("filter[customerId]"), PartnerID: c.QueryParam("filter[orgId]")}
	list := []store.CreditApplication{}
	if bank := c.QueryParam("filter[bankId]"); bank == "" || bank == PortalBankID {
		if list, err = a.credit.CreditApplications(c.Request().Context(), PrincipalOf(c).Visibility(), f, pg.limit+1, pg.offset); err != nil {
			return err
		}
	}
	more := len(list) > pg.limit
	if more {
		list = list[:pg.limit]
	}
	data := make([]creditResource, 0, len(list))
	for _, ca := range list {
		data = append(data, newCreditResource(ca))
	}
	links := map[string]string{"self": pageLink(c, pg.limit, pg.offset), "first": pageLink(c, pg.limit, 0)}
	if pg.offset > 0 {
		links["prev"] = pageLink(c, pg.limit, max(pg.offset-pg.limit, 0))
	}
	if more {
		links["next"] = pageLink(c, pg.limit, pg.offset+pg.limit)
	}
	return writeJSONAPIDoc(c, http.StatusOK, map[string]any{"data": data, "links": links,
		"meta": map[string]any{"pagination": map[string]int{"limit": pg.limit, "offset": pg.offset}}})
}

// pageLink is the list's URL with the filters kept and the page given.
func pageLink(c echo.Context, limit, offset int) string {
	q := url.Values{}
	for k, vs := range c.QueryParams() {
		if strings.HasPrefix(k, "filter[") {
			q[k] = vs
		}
	}
	q.Set("page[limit]", strconv.Itoa(limit))
	q.Set("page[offset]", strconv.Itoa(offset))
	return "/api/credit-applications?" + q.Encode()
}

// patchCreditApplication is PATCH /api/credit-applications/{id}
// (patchCreditApplication): its attributes, while it is not final.
func (a *API) patchCreditApplication(c echo.Context) error {
	doc, err := decodeJSONAPI(c)
	if err != nil {
		return err
	}
	if doc.Data.Type != typePatch {
		return ValidationProblem(FieldProblem{Pointer: "/data/type", Detail: "Must be " + typePatch + "."})
	}
	var refusal *Problem
	ca, err := a.credit.UpdateCreditApplication(c.Request().Context(), PrincipalOf(c).Visibility(), c.Param("id"),
		func(cur store.CreditApplication) (store.CreditChange, error) {
			if cur.Kind == store.CreditLineOfCredit {
				return store.CreditChange{}, store.ErrNotFound
			}
			if st := cur.Status(); st.Final() {
				refusal = NewProblem(http.StatusConflict, "illegal-transition", "Illegal status transition",
					"The credit application is "+string(st)+", a final status; it can no longer change.")
				return store.CreditChange{}, errors.New("final")
			}
			attrs, _, fields := mergeAttributes(doc.Data.Attributes, cur.Attributes)
			if len(fields) > 0 {
				refusal = ValidationProblem(fields...)
				return store.CreditChange{}, errors.New("invalid")
			}
			return store.CreditChange{Attributes: attrs, Actor: "partner " + PrincipalOf(c).PartnerName}, nil
		})
	if refusal != nil {
		return refusal
	}
	if err != nil {
		return err
	}
	return writeJSONAPIDoc(c, http.StatusOK, map[string]any{"data": newCreditResource(ca), "links": map[string]string{"self": creditPath(ca.ID)}})
}

// cancelCreditApplication is POST /api/credit-applications/{id}/cancel: only
// before a decision (Created, Pending, ManualReview).
func (a *API) cancelCreditApplication(c echo.Context) error {
	var refusal *Problem
	ca, err := a.credit.UpdateCreditApplication(c.Request().Context(), PrincipalOf(c).Visibility(), c.Param("id"),
		func(cur store.CreditApplication) (store.CreditChange, error) {
			if cur.Kind == store.CreditLineOfCredit {
				return store.CreditChange{}, store.ErrNotFound
			}
			if !lending.CanDecide(cur.Facts, lending.ReviewCanceled) {
				refusal = NewProblem(http.StatusConflict, "illegal-transition", "Illegal status transition",
					"A credit application is canceled only before a decision (Created, Pending or ManualReview); this one is "+string(cur.Status())+".")
				return store.CreditChange{}, errors.New("final")
			}
			return store.CreditChange{Review: lending.ReviewCanceled, Actor: "partner " + PrincipalOf(c).PartnerName}, nil
		})
	if refusal != nil {
		return refusal
	}
	if err != nil {
		return err
	}
	return writeJSONAPIDoc(c, http.StatusOK, map[string]any{"data": newCreditResource(ca), "links": map[string]string{"self": creditPath(ca.ID)}})
}
