package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"prequal/platform"
	"prequal/stage"
)

// maxLeadBodyBytes bounds a lead submission.
const maxLeadBodyBytes = 64 << 10

// handleCreateLead serves POST /personal/v1/leads.
func (s *Sandbox) handleCreateLead(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := time.Now()
	key := r.Header.Get(platform.HeaderIdempotencyKey)
	entry := LogEntry{Time: now, Kind: LogLeadSubmit, CorrelationID: correlationFrom(ctx), IdempotencyKey: truncate(key)}
	// answer writes the response and logs the submit with it.
	answer := func(status int, body any) {
		if b, err := json.Marshal(body); err == nil {
			entry.Response = b
		}
		entry.ResponseStatus = status
		if entry.Outcome == "" {
			entry.Outcome = "refused"
		}
		if status != http.StatusCreated || entry.Outcome != "created" { // a created lead is logged in its transaction
			s.appendLog(ctx, entry, tokenIDFrom(ctx))
		}
		writeJSON(w, status, body)
	}

	if !validIdempotencyKey(key) {
		entry.Outcome = "missing_idempotency_key"
		answer(http.StatusBadRequest, platform.ErrorBody{
			Error: "the Idempotency-Key header is required (1 to 255 visible ASCII characters)"})
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLeadBodyBytes))
	if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
		entry.Outcome = "too_large"
		answer(http.StatusRequestEntityTooLarge, platform.ErrorBody{
			Error: fmt.Sprintf("the request body must be at most %d bytes", maxLeadBodyBytes)})
		return
	}
	if err != nil {
		entry.Outcome = "unreadable"
		answer(http.StatusBadRequest, platform.ErrorBody{Error: "the request body could not be read"})
		return
	}
	req, fe, err := decodeLead(raw)
	if err != nil {
		entry.Outcome = "invalid_json"
		answer(http.StatusBadRequest, platform.ErrorBody{Error: "invalid JSON: " + truncate(err.Error()), FieldErrors: fe})
		return
	}
	if b, err := json.Marshal(maskLead(req)); err == nil {
		entry.Request = b
	}
	entry.PartnerLeadID = truncate(req.PartnerLeadID)
	if fe := validateLead(req, now); len(fe) > 0 {
		entry.Outcome = "invalid"
		answer(http.StatusBadRequest, platform.ErrorBody{Error: "validation failed", FieldErrors: fe})
		return
	}

	digest := sha256.Sum256(raw)
	scenario, _ := stage.ScenarioFromEmail(req.Borrower.Email)
	lead := leadRow{
		UUID:           newUUID(),
		ClientID:       clientFrom(ctx),
		IdempotencyKey: key,
		BodySHA256:     hex.EncodeToString(digest[:]),
		PartnerLeadID:  req.PartnerLeadID,
		Scenario:       scenario.ID,
		Request:        req,
		CorrelationID:  correlationFrom(ctx),
		Status:         platform.StatusCreated,
		CreatedAt:      now,
		UpdatedAt:      now,
		NextStepAt:     now.Add(s.Controls().StepDelay),
	}
	created := platform.LeadCreated{UUID: lead.UUID, Status: platform.StatusCreated, PartnerLeadID: lead.PartnerLeadID}
	createdJSON, err := json.Marshal(created)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	got, isNew, err := s.st.createLeadOnce(ctx, lead, func(q querier) error {
		e := entry
		e.LeadUUID, e.Outcome, e.ResponseStatus, e.Response, e.Scenario = lead.UUID, "created", http.StatusCreated, createdJSON, scenario.ID
		return insertLog(ctx, q, e, tokenIDFrom(ctx))
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	entry.LeadUUID, entry.Scenario = got.UUID, got.Scenario
	switch {
	case isNew:
		entry.Outcome = "created"
		poke(s.stepWake)
		s.log.InfoContext(ctx, "sandbox: lead created", "lead", got.UUID, "partner_lead_id", got.PartnerLeadID,
			"scenario", got.Scenario, "correlation_id", entry.CorrelationID)
		answer(http.StatusCreated, created)
	case got.BodySHA256 != lead.BodySHA256:
		entry.Outcome = "conflict"
		answer(http.StatusUnprocessableEntity, platform.ErrorBody{
			Error: "this Idempotency-Key was already used with a different request body"})
	default:
		entry.Outcome = "replayed"
		w.Header().Set("Idempotent-Replayed", "true")
		answer(http.StatusCreated, platform.LeadCreated{UUID: got.UUID, Status: platform.StatusCreated,
			PartnerLeadID: got.PartnerLeadID})
	}
}

// decodeLead parses a lead strictly: one JSON object, no unknown fields, no
// trailing data. A value of the wrong type is reported against its field.
func decodeLead(raw []byte) (platform.LeadRequest, fieldErrors, error) {
	var req platform.LeadRequest
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return req, nil, errors.New("the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			fe := fieldErrors{}
			fe.add(typeErr.Field, "must be a JSON %s", jsonKind(typeErr.Type.Kind().String()))
			return req, fe, err
		}
		return req, nil, err
	}
	if dec.More() {
		return req, nil, errors.New("unexpected data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, nil, errors.New("unexpected data after the JSON object")
	}
	return req, nil, nil
}

// jsonKind names a Go kind the way a JSON author thinks of it.
func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "number"
	case goKind == "struct":
		return "object"
	}
	return goKind
}

// handleGetLead serves GET /personal/v1/leads/{uuid}.
func (s *Sandbox) handleGetLead(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("uuid")
	l, err := getLead(ctx, s.st.r, id)
	if errors.Is(err, errNotFound) || (err == nil && l.ClientID != clientFrom(ctx)) {
		writeError(w, http.StatusNotFound, "lead not found")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	// Products are written in the same transaction as offers_found, so reading
	// them only for a lead already seen with offers gives a consistent snapshot.
	var products []platform.Product
	if l.Status == platform.StatusOffersFound || l.Status == platform.StatusProductSelected {
		if products, err = productsOf(ctx, s.st.r, l.UUID); err != nil {
			s.internalError(w, r, err)
			return
		}
	}
	s.appendLog(ctx, LogEntry{Time: time.Now(), Kind: LogLeadPoll, LeadUUID: l.UUID, PartnerLeadID: l.PartnerLeadID,
		CorrelationID: correlationFrom(ctx), LeadStatus: l.Status, ResponseStatus: http.StatusOK}, tokenIDFrom(ctx))
	writeJSON(w, http.StatusOK, snapshot(l, products))
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
