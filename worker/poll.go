package worker

import (
	"context"
	"errors"
	"fmt"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// poll asks the platform for a lead no callback has told us about lately and
// applies the answer exactly as a callback would be applied (monotonically).
// Every poll, failed or not, leaves an event on the timeline.
func (w *Worker) poll(ctx context.Context, t store.PollTarget) {
	log := w.log.With("application_id", t.ApplicationID, "correlation_id", t.CorrelationID, "lead_uuid", t.UUID)
	lead, err := w.cfg.Platform.GetLead(ctx, t.UUID, t.CorrelationID)
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if err == nil && lead.UUID != t.UUID {
		err = fmt.Errorf("the answer is about lead %q", lead.UUID)
	}
	var report lending.LeadReport
	if err == nil {
		report, err = lead.Report()
	}
	if err != nil {
		detail := "poll failed: " + err.Error()
		if errors.Is(err, platform.ErrLeadNotFound) {
			detail = "poll: the platform does not know this lead"
		}
		log.WarnContext(ctx, "lead poll failed", "error", err)
		if err := w.cfg.Store.AddEvent(rctx, t.ApplicationID, lending.Event{Kind: lending.EventPolled,
			Source: lending.SourcePoller, StatusFrom: string(t.Status), Detail: detail}); err != nil {
			log.ErrorContext(ctx, "record failed poll", "error", err)
		}
		return
	}
	res, err := w.cfg.Store.ApplyLeadUpdate(rctx, store.LeadUpdate{LeadReport: report, Source: lending.SourcePoller})
	if err != nil {
		log.ErrorContext(ctx, "apply polled lead", "error", err)
		return
	}
	log.InfoContext(ctx, "lead polled", "platform_status", lead.Status, "from", string(res.From), "to", string(res.To), "changed", res.Changed)
}
