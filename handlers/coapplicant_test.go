package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"prequal/lending"
)

// withCoApplicantValues is validFormValues with a complete co-applicant section.
func withCoApplicantValues(email string) url.Values {
	form := validFormValues(email)
	for k, v := range map[string]string{
		"coApplicant": "yes", "coFirstName": "Sam", "coLastName": "Rivera", "coEmail": "sam@example.com",
		"coDob": "1988-07-03", "coSsn": "534-56-7892", "coRelationship": "spouse", "coEmploymentStatus": "employed",
		"coIncomeYearly": "62000", "coHousingMonthlyPayment": "700",
		"coConsentSoftPull": "yes", "coConsentTerms": "yes", "coConsentEsign": "yes",
	} {
		form.Set(k, v)
	}
	return form
}

func TestApplyFormHasAClosedCoApplicantSection(t *testing.T) {
	p := newTestPortal(t)
	_, body := p.get(p.client, "/apply")
	d := doc(t, body)
	section := d.Find(`details[data-testid="co-applicant-section"]`)
	if section.Length() != 1 || section.Find("summary").Length() != 1 {
		t.Fatal("no co-applicant details section")
	}
	if _, open := section.Attr("open"); open {
		t.Error("the co-applicant section starts open on a fresh form")
	}
	for _, name := range append([]string{lending.FieldCoApplicant}, lending.CoApplicantFields...) {
		input := section.Find(`[name="` + name + `"]`)
		if input.Length() != 1 {
			t.Errorf("%s: %d inputs in the section", name, input.Length())
			continue
		}
		id, _ := input.Attr("id")
		if d.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("%s: no label", name)
		}
		if db, _ := input.Attr("aria-describedby"); !strings.Contains(db, name+"-error") {
			t.Errorf("%s: aria-describedby %q does not name its error region", name, db)
		}
	}
}

func TestSubmitWithCoApplicantStoresThem(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, withCoApplicantValues("alex@example.com"))
	app, err := p.store.Application(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if app.CoApplicant == nil || app.CoApplicant.FullName() != "Sam Rivera" || app.CoApplicant.IncomeYearly != 62000_00 {
		t.Fatalf("co-applicant %+v", app.CoApplicant)
	}
	consents, _ := p.store.Consents(context.Background(), id)
	if len(consents) != 7 {
		t.Errorf("%d consents, want 7", len(consents))
	}
}

func TestInvalidCoApplicantRerendersTheSectionOpen(t *testing.T) {
	p := newTestPortal(t)
	form := withCoApplicantValues("alex@example.com")
	form.Set("idempotencyKey", p.startForm(p.client))
	form.Set("coSsn", "123-45-6789") // the primary's
	form.Del("coConsentTerms")
	form.Set("coDob", "2015-02-02")
	resp, body := p.postForm(p.client, "/apply", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", resp.StatusCode)
	}
	d := doc(t, body)
	if _, open := d.Find(`[data-testid="co-applicant-section"]`).Attr("open"); !open {
		t.Error("the section with errors is closed")
	}
	for f, want := range map[string]string{
		"coSsn":          "The co-applicant's Social Security number must differ from yours",
		"coConsentTerms": "The co-applicant must agree to the terms",
		"coDob":          "They must be at least 18 to apply",
	} {
		if got := strings.TrimSpace(d.Find(`[data-testid="field-error-` + f + `"]`).Text()); got != want {
			t.Errorf("%s: %q, want %q", f, got, want)
		}
		if d.Find(`#error-summary a[href="#`+f+`"]`).Length() != 1 {
			t.Errorf("%s: not in the error summary", f)
		}
	}
	if v, _ := d.Find(`#coFirstName`).Attr("value"); v != "Sam" {
		t.Errorf("co-applicant input lost: %q", v)
	}
	if v, _ := d.Find(`#coSsn`).Attr("value"); v != "" || strings.Contains(body, "123-45-6789") || d.Find(`#coSsn-cleared`).Length() != 1 {
		t.Error("the co-applicant's SSN was echoed back, or its clearing not explained")
	}
	// Details typed but the box unticked: an error, nothing lost silently.
	form.Del("coApplicant")
	_, body = p.postForm(p.client, "/apply", form)
	if got := doc(t, body).Find(`[data-testid="field-error-coApplicant"]`).Text(); !strings.Contains(got, "Tick this box") {
		t.Errorf("unticked box with details: %q", got)
	}
}

func TestCoApplicantFieldValidatesOnBlur(t *testing.T) {
	p := newTestPortal(t)
	p.startForm(p.client)
	_, body := p.postForm(p.client, "/apply/validate", url.Values{"field": {"coIncomeYearly"}, "coIncomeYearly": {"lots"}})
	if !strings.Contains(body, `data-testid="field-error-coIncomeYearly"`) || !strings.Contains(body, "Enter a whole dollar amount") {
		t.Errorf("on-blur check of a co-applicant field: %s", body)
	}
}

func TestNoOffersLinksToAPrefilledCoApplication(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("alex@example.com"))
	p.update(p.leadFor(id), lending.LeadNoOffers, nil, nil)
	_, body := p.get(p.client, "/applications/"+id)
	link := doc(t, body).Find(`a[data-testid="apply-with-co-applicant"]`)
	href, _ := link.Attr("href")
	if link.Length() != 1 || href != "/apply?coApplicant=yes&from="+id {
		t.Fatalf("advice link %q", href)
	}
	_, body = p.get(p.client, href)
	d := doc(t, body)
	if _, open := d.Find(`[data-testid="co-applicant-section"]`).Attr("open"); !open {
		t.Error("the co-applicant section is closed")
	}
	if _, ticked := d.Find(`#coApplicant`).Attr("checked"); !ticked {
		t.Error("the co-applicant box is not ticked")
	}
	for f, want := range map[string]string{"firstName": "Alex", "email": "alex@example.com", "incomeYearly": "85000", "zipcode": "62701", "ssn": ""} {
		if v, _ := d.Find(`#` + f).Attr("value"); v != want {
			t.Errorf("prefilled %s = %q, want %q", f, v, want)
		}
	}
	if strings.Contains(body, "123-45-6789") || strings.Contains(body, "123456789") {
		t.Error("the prefilled form carries the SSN")
	}
	if _, ticked := d.Find(`#consentTerms`).Attr("checked"); ticked {
		t.Error("consents were prefilled")
	}
	// Another session learns nothing from the id.
	_, body = p.get(newBrowserClient(), href)
	if v, _ := doc(t, body).Find(`#firstName`).Attr("value"); v != "" {
		t.Errorf("another session's form was prefilled: %q", v)
	}
	// An application with a co-applicant does not suggest adding one.
	id2 := p.submit(p.client, withCoApplicantValues("alex@example.com"))
	p.update(p.leadFor(id2), lending.LeadNoOffers, nil, nil)
	_, body = p.get(p.client, "/applications/"+id2)
	if doc(t, body).Find(`[data-testid="apply-with-co-applicant"]`).Length() != 0 {
		t.Error("the advice to add a co-applicant shows on an application that has one")
	}
}
