package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
	"prequal/views"
)

// statusStopPolling is htmx's "stop polling" status code.
const statusStopPolling = 286

// applicationView builds the borrower's view of an application: the screen the
// state answer's nextAction names (lending.DecideJourneyState, the same answer
// the headless journeys API gives), polling on its interval, with the offers or
// the notice that screen needs.
func (s *Server) applicationView(c echo.Context, app lending.Application) (views.ApplicationView, error) {
	state := lending.DecideJourneyState(lending.JourneyFacts{Application: &app}, s.now())
	next := state.NextAction
	if _, chosen := app.Journey(); chosen == lending.ActionContinueToLender && app.LenderOutcome.Known() {
		// Whatever the lender decided (LENDER_PROCESSING, DISBURSED, or
		// REJECTED by the lender), the web page stays on the chosen offer,
		// with the lender's decision and reasons under it.
		next = lending.ActionContinueToLender
	}
	page := s.page("Your application")
	page.Description = "Where your personal loan rate check stands, and your prequalified offers grouped by amount and sorted by APR, monthly payment or term."
	v := views.ApplicationView{
		Page:    page,
		App:     app,
		Journey: state.Status,
		Next:    next,
		Poll:    state.Diagnostics.PollAfter,
		Sort:    lending.ParseOfferSort(c.QueryParam("sort")),
		QALink:  !s.cfg.Production,
	}
	switch next {
	case lending.ActionWaitForOffers, lending.ActionWaitForReview:
		// Without JavaScript the page refreshes itself on the same schedule.
		v.RefreshSeconds = int((v.Poll + 999_999_999) / 1_000_000_000)
		v.RefreshURL = "/applications/" + app.ID
	case lending.ActionChooseOffer, lending.ActionContinueToLender:
		offers, err := s.store.LeadOffers(c.Request().Context(), app.ID)
		if err != nil {
			return v, err
		}
		v.Groups, v.Fallback = lending.GroupOffers(offers, app.RequestedAmount, v.Sort)
		for _, o := range offers {
			if o.ProductID == app.Lead.SelectedProductID {
				chosen := o
				v.Selected = &chosen
			}
		}
	case lending.ActionReviewNotice:
		if app.Review.Status == lending.ReviewDenied {
			v.Denial = denialReasons(app.Review)
		} else if app.Lead.AdverseActionNotice != "" {
			v.Notice = views.SanitizeNotice(app.Lead.AdverseActionNotice)
		}
	}
	return v, nil
}

// applicationPage shows the screen the application's nextAction names.
func (s *Server) applicationPage(c echo.Context) error {
	app, err := s.sessionApplication(c)
	if err != nil {
		return err
	}
	v, err := s.applicationView(c, app)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ApplicationPage(v))
}

// applicationStatus answers the checking-rates poll. While the borrower waits it
// re-renders the progress with the next interval the server chose; once there is
// something new to show it stops the polling (286) and sends the browser to the
// page (HX-Redirect), or — without htmx — redirects.
//
// It reads only the application's progress (store.ApplicationProgressForSession):
// every waiting borrower sends it every few seconds, and the screens it renders
// show no borrower data.
func (s *Server) applicationStatus(c echo.Context) error {
	app, err := s.loadForSession(c, s.store.ApplicationProgressForSession)
	if err != nil {
		return err
	}
	// The same state answer as the page and the headless journeys API: the
	// screen from its nextAction, the next poll from its diagnostics. Only the
	// checking-rates and review waits poll here; a lender completing a loan
	// (LENDER_PROCESSING) shows on the chosen-offer page.
	if state := lending.DecideJourneyState(lending.JourneyFacts{Application: &app}, s.now()); state.NextAction.Polling() {
		return render(c, http.StatusOK, views.StatusPoll(views.NewPollView(app, state.NextAction, state.Diagnostics.PollAfter)))
	}
	if seen := c.QueryParam("seen"); seen != "" && seen == string(app.Lead.Status) {
		return c.NoContent(http.StatusNoContent) // the page already shows this outcome
	}
	page := "/applications/" + app.ID
	if isHTMX(c) {
		c.Response().Header().Set(hxRedirect, page)
		return c.NoContent(statusStopPolling)
	}
	return c.Redirect(http.StatusSeeOther, page)
}

// selectOffer records the borrower's choice and sends them to that product's
// stored lenderOfferUrl — never a URL from the request, and only an https URL or
// the stage platform's own lender page. The URL is checked before the choice is
// recorded: a link we will not follow must not lock the other offers.
func (s *Server) selectOffer(c echo.Context) error {
	app, err := s.sessionApplication(c)
	if err != nil {
		return err
	}
	productID, err := url.PathUnescape(c.Param("productId"))
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	offers, err := s.store.LeadOffers(c.Request().Context(), app.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(offers, func(o lending.Offer) bool { return o.ProductID == productID })
	if i < 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if !lending.OutboundURLAllowed(offers[i].LenderOfferURL, s.cfg.StageLenderPrefix) {
		s.log.ErrorContext(c.Request().Context(), "refused a lender URL that is not allowed",
			"application_id", app.ID, "product_id", productID)
		return echo.NewHTTPError(http.StatusBadGateway, "This lender's link is not available. Please choose another offer or contact us.")
	}
	offer, err := s.store.SelectOffer(c.Request().Context(), app.ID, productID)
	switch {
	case errors.Is(err, store.ErrOfferLocked):
		return s.renderLocked(c, app)
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, offer.LenderOfferURL)
}

// declineOffers records the borrower's "None of these work for me" with its
// optional reason, and shows the page again.
func (s *Server) declineOffers(c echo.Context) error {
	app, err := s.sessionApplication(c)
	if err != nil {
		return err
	}
	reason := c.FormValue(lending.DeclineFieldReason)
	if _, ok := lending.DeclineReasonByCode(reason); !ok {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "Choose a reason from the list, or none.")
	}
	_, err = s.store.DeclineOffers(c.Request().Context(), app.ID, reason)
	switch {
	case errors.Is(err, store.ErrOffersClosed):
		return s.renderLocked(c, app)
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/applications/"+app.ID)
}

// renderLocked answers 409 with the offers page and a sentence saying why.
func (s *Server) renderLocked(c echo.Context, app lending.Application) error {
	v, err := s.applicationView(c, app)
	if err != nil {
		return err
	}
	v.Flash = "That offer is no longer available: you already chose another offer for this application. Your chosen offer is shown below."
	if v.Next != lending.ActionContinueToLender {
		v.Flash = "Offers can't be chosen for this application any more."
	}
	return render(c, http.StatusConflict, views.ApplicationPage(v))
}

// retryApplication submits a fresh lead for a timed-out application.
func (s *Server) retryApplication(c echo.Context) error {
	app, err := s.sessionApplication(c)
	if err != nil {
		return err
	}
	_, err = s.store.RetryLead(c.Request().Context(), app.ID, s.leadTimeout(), lending.SourceBorrower, "")
	if err != nil && !errors.Is(err, store.ErrCannotRetry) {
		return err // a retry that is no longer possible just shows the current state
	}
	if err == nil {
		s.wakeWorker()
	}
	return c.Redirect(http.StatusSeeOther, "/applications/"+app.ID)
}

// denialReasons are an officer's denial reasons in Regulation B's words.
func denialReasons(r lending.Review) []string {
	return r.DenialReasonTexts()
}
