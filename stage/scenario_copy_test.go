package stage

import "testing"

// ScenarioByID hands out copies: a caller changing its scenario's form does
// not change the catalogue.
func TestScenarioByIDReturnsACopy(t *testing.T) {
	sc, ok := ScenarioByID(" Offers-All-Ranges ")
	if !ok || sc.ID != ScenarioOffersAllRanges {
		t.Fatalf("lookup: %v %q", ok, sc.ID)
	}
	email := sc.Form["email"]
	sc.Form["email"] = "changed@example.com"
	again, _ := ScenarioByID(ScenarioOffersAllRanges)
	if again.Form["email"] != email {
		t.Errorf("the catalogue changed: %q", again.Form["email"])
	}
	if _, ok := ScenarioByID("no-such-scenario"); ok {
		t.Error("found a scenario that does not exist")
	}
}
