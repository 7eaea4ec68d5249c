package sandbox

import (
	"time"

	"prequal/stage"
)

// outcome is what a lead's search ends in.
type outcome int

const (
	outcomeNatural          outcome = iota // the lender panel decides
	outcomeAllRanges                       // offers in all three ranges
	outcomeLowerOnly                       // offers only in the lower range
	outcomeNoOffersNotice                  // no offers, with the notice
	outcomeNoOffersNoNotice                // no offers, no notice
	outcomeHostileNotice                   // no offers, a notice full of hostile HTML
)

// behaviour is how the sandbox treats a lead of a QA scenario. The zero value
// (plus noFailOverride) is an ordinary lead steered only by the stage controls.
type behaviour struct {
	outcome outcome
	// neverFinish: the lead stops at finding_products (timeout scenario).
	neverFinish bool
	// finishDelay, when set, replaces the step delay before the terminal status.
	finishDelay time.Duration
	// failDeliveries, when ≥ 0, replaces Controls.FailDeliveries for this lead.
	failDeliveries int
	// noCallbacks: the lead's callbacks are never sent (polling-fallback).
	noCallbacks bool
	// duplicates: after the terminal callback, send copies and stale callbacks.
	duplicates bool
}

// noFailOverride leaves Controls.FailDeliveries in charge.
const noFailOverride = -1

// callbackRetryFailures is how many bad signatures the callback-retry scenario
// sends before the good one.
const callbackRetryFailures = 3

// behaviourOf maps a scenario id (as stored on the lead) to its behaviour. The
// two underwriting scenarios force nothing: their tag only labels the lead.
func behaviourOf(scenario string, cfg Config) behaviour {
	b := behaviour{failDeliveries: noFailOverride}
	switch scenario {
	case stage.ScenarioOffersAllRanges:
		b.outcome = outcomeAllRanges
	case stage.ScenarioOffersLowerOnly:
		b.outcome = outcomeLowerOnly
	case stage.ScenarioNoOffersWithNotice:
		b.outcome = outcomeNoOffersNotice
	case stage.ScenarioNoOffersWithoutNotice:
		b.outcome = outcomeNoOffersNoNotice
	case stage.ScenarioHostileNotice:
		b.outcome = outcomeHostileNotice
	case stage.ScenarioTimeout:
		b.neverFinish = true
	case stage.ScenarioSlowCallback:
		b.finishDelay = cfg.SlowCallbackDelay
	case stage.ScenarioCallbackRetry:
		b.failDeliveries = callbackRetryFailures
	case stage.ScenarioPollingFallback:
		b.noCallbacks = true
	case stage.ScenarioDuplicateOutOfOrder:
		b.duplicates = true
		b.failDeliveries = 0
	}
	return b
}
