package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"prequal/decision"
	"prequal/platform"
	"prequal/stage"
)

// Scheduling of the background loops: they sleep until the next due row, but
// wake at least this often so a missed wake-up costs little.
const (
	maxIdleWait   = time.Second
	dueBatchSize  = 50
	loopErrorWait = 200 * time.Millisecond
	// failedStepRetry is how long a lead whose step failed waits before the next try.
	failedStepRetry = 5 * time.Second
)

// runSteps advances leads through created → in_progress → finding_products →
// terminal. Everything it needs is in the leads table (next_step_at), so after a
// restart it carries on where the previous process stopped.
func (s *Sandbox) runSteps(ctx context.Context) {
	for {
		wait := maxIdleWait
		if err := s.advanceDue(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.ErrorContext(ctx, "sandbox: advancing leads failed", "err", err)
			wait = loopErrorWait
		} else if next, err := s.st.nextStepAt(ctx); err != nil {
			s.log.ErrorContext(ctx, "sandbox: scheduling leads failed", "err", err)
			wait = loopErrorWait
		} else if !next.IsZero() {
			wait = min(maxIdleWait, max(0, time.Until(next)))
		}
		if !sleepOrWake(ctx, wait, s.stepWake) {
			return
		}
	}
}

// sleepOrWake waits for d, a wake-up or the end of ctx (false).
func sleepOrWake(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
		return true
	case <-t.C:
		return true
	}
}

// poke wakes a loop without blocking; one pending wake-up is enough.
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// advanceDue advances every due lead, all in one transaction (one commit for
// the batch, where one each made the disk the platform's pace), each lead in a
// savepoint of its own. A lead that fails is rolled back alone and postponed
// rather than retried at once, so one broken row cannot hold up the others or spin.
func (s *Sandbox) advanceDue(ctx context.Context) error {
	due, err := s.st.dueLeads(ctx, time.Now(), dueBatchSize)
	if err != nil || len(due) == 0 {
		return err
	}
	ctl := s.Controls()
	var errs []error
	var failed []string
	enqueued := false
	err = s.st.inTx(ctx, func(q querier) error {
		for _, id := range due {
			if _, err := q.ExecContext(ctx, `SAVEPOINT step`); err != nil {
				return err
			}
			enq, err := s.advance(ctx, q, ctl, id)
			if err != nil {
				errs = append(errs, fmt.Errorf("lead %s: %w", id, err))
				failed = append(failed, id)
				if _, err := q.ExecContext(ctx, `ROLLBACK TO step`); err != nil {
					return err
				}
			}
			if _, err := q.ExecContext(ctx, `RELEASE step`); err != nil {
				return err
			}
			enqueued = enqueued || enq
		}
		return nil
	})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	poke(s.stepWake)
	if enqueued {
		poke(s.deliveryWake)
	}
	for _, id := range failed {
		if perr := s.st.postponeLead(ctx, id, time.Now().Add(failedStepRetry)); perr != nil {
			errs = append(errs, perr)
		}
	}
	return errors.Join(errs...)
}

// advance moves one lead a step within q, with its callbacks and its call-log
// entry, and reports whether it queued callbacks.
func (s *Sandbox) advance(ctx context.Context, q querier, ctl Controls, uuid string) (enqueued bool, err error) {
	err = func() error {
		l, err := getLead(ctx, q, uuid)
		if err != nil {
			return err
		}
		now := time.Now()
		if l.NextStepAt.IsZero() || l.NextStepAt.After(now) {
			return nil // someone else moved it, or it is not due after all
		}
		b := behaviourOf(l.Scenario, s.cfg)
		from, lastUpdate := l.Status, l.UpdatedAt
		l.UpdatedAt = now
		l.NextStepAt = time.Time{}
		var products []platform.Product
		switch l.Status {
		case platform.StatusCreated:
			l.Status, l.InProgressAt = platform.StatusInProgress, now
			l.NextStepAt = now.Add(ctl.StepDelay)
		case platform.StatusInProgress:
			l.Status, l.FindingAt = platform.StatusFindingProducts, now
			switch {
			case b.neverFinish: // the timeout scenario: no next step, ever
			case b.finishDelay > 0:
				l.NextStepAt = now.Add(b.finishDelay)
			default:
				l.NextStepAt = now.Add(ctl.StepDelay)
			}
		case platform.StatusFindingProducts:
			res, err := s.decide(l, b, now)
			if err != nil {
				return err
			}
			l.Status, l.Notice = res.status, res.notice
			for i, o := range res.offers {
				if err := insertProduct(ctx, q, l.UUID, i, o.LenderSlug, o.Product); err != nil {
					return err
				}
				products = append(products, o.Product)
			}
		default: // no step after a terminal status: just unschedule it
			l.UpdatedAt = lastUpdate
			return updateLead(ctx, q, l)
		}
		if err := updateLead(ctx, q, l); err != nil {
			return err
		}
		if err := insertLog(ctx, q, LogEntry{Time: now, Kind: LogStatusChange, LeadUUID: l.UUID,
			PartnerLeadID: l.PartnerLeadID, CorrelationID: l.CorrelationID, FromStatus: from, LeadStatus: l.Status,
			Scenario: l.Scenario}, 0); err != nil {
			return err
		}
		terminal := l.NextStepAt.IsZero() && l.Status != platform.StatusFindingProducts
		if !terminal && !ctl.IntermediateCallbacks {
			return nil
		}
		enqueued = true
		return s.enqueueCallbacks(ctx, q, l, products, b, ctl, terminal, now)
	}()
	return enqueued && err == nil, err
}

// result is the end of a lead's search.
type result struct {
	status string
	offers []offer
	notice *string
}

// decide underwrites a lead with the lender panel and applies the scenario's
// forced outcome, if any.
func (s *Sandbox) decide(l leadRow, b behaviour, now time.Time) (result, error) {
	run := panelRun{LeadUUID: l.UUID, Request: l.Request, On: now, PublicURL: s.cfg.PublicURL}
	offers, boxReasons, err := run.natural()
	if err != nil {
		return result{}, err
	}
	switch b.outcome {
	case outcomeAllRanges:
		for _, rng := range rangeOrder {
			if hasRange(offers, rng) {
				continue
			}
			extra, err := run.forced(rng)
			if err != nil {
				return result{}, err
			}
			offers = sortOffers(append(offers, extra...))
		}
	case outcomeLowerOnly:
		offers = onlyRange(offers, platform.RangeLower)
		if len(offers) == 0 {
			if offers, err = run.forced(platform.RangeLower); err != nil {
				return result{}, err
			}
		}
	case outcomeNoOffersNotice, outcomeNoOffersNoNotice, outcomeHostileNotice:
		offers = nil
	}
	if len(offers) > 0 {
		return result{status: platform.StatusOffersFound, offers: offers}, nil
	}
	if b.outcome == outcomeNoOffersNoNotice {
		return result{status: platform.StatusNoOffers}, nil
	}
	d := decision.Evaluate(applicantFor(l.Request, l.Request.RequestedLoanAmount, now))
	reasons := d.PrincipalReasons
	if len(reasons) == 0 {
		reasons = boxReasons
	}
	html, err := noticeHTML(noticeInput{Date: now, Amount: l.Request.RequestedLoanAmount, Decision: d, Reasons: reasons})
	if err != nil {
		return result{}, err
	}
	if b.outcome == outcomeHostileNotice {
		html = hostileNotice(html)
	}
	return result{status: platform.StatusNoOffers, notice: &html}, nil
}

// snapshot is the lead as GET /personal/v1/leads/{uuid} and callbacks show it.
func snapshot(l leadRow, products []platform.Product) platform.Lead {
	if products == nil {
		products = []platform.Product{}
	}
	return platform.Lead{
		UUID:                l.UUID,
		PartnerLeadID:       l.PartnerLeadID,
		Status:              l.Status,
		Products:            products,
		AdverseActionNotice: l.Notice,
		SelectedProductID:   l.SelectedProductID,
		LenderOutcome:       l.LenderOutcome,
		UpdatedAt:           l.UpdatedAt,
	}
}

// enqueueCallbacks stores the callbacks for the lead's current state as pending
// deliveries; the delivery loop sends them. The scenario decides whether they
// go at all, how many bad signatures precede the good one, and for the
// duplicate-out-of-order scenario which extra callbacks follow a terminal one.
func (s *Sandbox) enqueueCallbacks(ctx context.Context, q querier, l leadRow, products []platform.Product,
	b behaviour, ctl Controls, terminal bool, now time.Time) error {
	skip := func(note string) error {
		return insertLog(ctx, q, LogEntry{Time: now, Kind: LogCallbackSkipped, LeadUUID: l.UUID,
			PartnerLeadID: l.PartnerLeadID, CorrelationID: l.CorrelationID, LeadStatus: l.Status,
			Scenario: l.Scenario, Note: note}, 0)
	}
	switch {
	case b.noCallbacks:
		return skip("the " + stage.ScenarioPollingFallback + " scenario never sends callbacks")
	case !ctl.CallbacksEnabled:
		return skip("callbacks are disabled in the stage controls")
	}
	bad := ctl.FailDeliveries
	if b.failDeliveries != noFailOverride {
		bad = b.failDeliveries
	}
	lead := snapshot(l, products)
	body, err := callbackBody(lead, now)
	if err != nil {
		return err
	}
	first := deliveryRow{LeadUUID: l.UUID, WebhookID: newWebhookID(), LeadStatus: l.Status, Body: body, BadSignatures: bad}
	if err := insertDelivery(ctx, q, first, now); err != nil {
		return err
	}
	if !terminal || !b.duplicates || l.Status == platform.StatusProductSelected {
		return nil
	}
	// Three copies under new webhook ids, one true redelivery under the same id,
	// then the two intermediate states, stale, as if they had been delayed.
	extra := []deliveryRow{}
	for range 3 {
		extra = append(extra, deliveryRow{WebhookID: newWebhookID(), LeadStatus: l.Status, Body: body})
	}
	extra = append(extra, deliveryRow{WebhookID: first.WebhookID, LeadStatus: l.Status, Body: body})
	for _, stale := range []struct {
		status string
		at     time.Time
	}{{platform.StatusInProgress, l.InProgressAt}, {platform.StatusFindingProducts, l.FindingAt}} {
		old := l
		old.Status, old.UpdatedAt, old.Notice, old.SelectedProductID, old.LenderOutcome = stale.status, stale.at, nil, nil, nil
		staleBody, err := callbackBody(snapshot(old, nil), stale.at)
		if err != nil {
			return err
		}
		extra = append(extra, deliveryRow{WebhookID: newWebhookID(), LeadStatus: stale.status, Body: staleBody})
	}
	for _, d := range extra {
		d.LeadUUID = l.UUID
		if err := insertDelivery(ctx, q, d, now); err != nil {
			return err
		}
	}
	return nil
}

// callbackBody is the JSON envelope of a callback.
func callbackBody(lead platform.Lead, at time.Time) ([]byte, error) {
	b, err := json.Marshal(platform.Callback{Type: platform.CallbackEventType, Timestamp: at.UTC(), Data: lead})
	if err != nil {
		return nil, fmt.Errorf("sandbox: callback body: %w", err)
	}
	return b, nil
}

// newWebhookID is unique per callback (retries reuse it, as Standard Webhooks asks).
func newWebhookID() string {
	return "msg_" + randomHex(16)
}
