package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"prequal/stage"
)

// TestBrowserNoneOfTheseWorkForMe: with and without JavaScript, the borrower
// declines every offer with a reason; the page says so, the offers close,
// and both screens are axe-clean.
func TestBrowserNoneOfTheseWorkForMe(t *testing.T) {
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "8s", "PORTAL_POLL_AFTER", "1s"))
	for _, js := range []bool{true, false} {
		t.Run(fmt.Sprintf("js=%v", js), func(t *testing.T) {
			tb := newTab(t, p.URL, js)
			sc, _ := stage.ScenarioByID(stage.ScenarioOffersAllRanges)
			tb.startScenario(sc)
			// Reload until the offers are there: this test is about the answer,
			// not about how the checking-rates screen updates itself.
			page := strings.TrimPrefix(tb.location(), p.URL)
			for deadline := time.Now().Add(30 * time.Second); tb.count(`[data-testid="offer-card"]`) == 0; {
				if time.Now().After(deadline) {
					t.Fatalf("no offers within 30 s (status %q)", tb.status())
				}
				time.Sleep(500 * time.Millisecond)
				tb.open(page)
			}
			if tb.count(`button[data-testid="offers-decline"]`) != 1 {
				t.Fatal("no \"None of these work for me\" button")
			}
			tb.axe("offers with the decline choice")
			evalJS[chromedp.Void](tb, `document.querySelector('#decline-reason').value = 'rate_too_high'`)
			tb.do(chromedp.Click(chromedp.CSS(`button[data-testid="offers-decline"]`)))
			tb.waitFor("the decline recorded", `document.querySelector('[data-testid="offers-declined"]')`, 10*time.Second)
			if got := tb.text(`[data-testid="offers-declined"]`); !strings.Contains(got, "The rates are too high") {
				t.Errorf("declined section %q", got)
			}
			if closed, cards := tb.count(`button[data-testid="offer-select"][disabled]`), tb.count(`[data-testid="offer-card"]`); closed != cards || cards == 0 {
				t.Errorf("%d of %d offers closed", closed, cards)
			}
			tb.axe("offers declined")
			tb.screenshot(fmt.Sprintf("offers-declined-js-%v", js))
			if !js {
				tb.assertNoScriptRan("decline")
			}
		})
	}
}
