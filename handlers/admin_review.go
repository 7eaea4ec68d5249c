package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"prequal/views"
)

// reviewQueueLimit bounds the queue page; screening holds few applications.
const reviewQueueLimit = 200

// adminReviewQueue lists the applications held for manual review, oldest first,
// each with the screening rules that held it.
func (s *Server) adminReviewQueue(c echo.Context) error {
	ctx := c.Request().Context()
	apps, err := s.store.ReviewQueue(ctx, reviewQueueLimit)
	if err != nil {
		return err
	}
	v := views.ReviewQueueView{AdminPage: s.adminPage(c, "Review queue")}
	for _, a := range apps {
		events, err := s.store.Events(ctx, a.ID)
		if err != nil {
			return err
		}
		v.Rows = append(v.Rows, views.ReviewQueueRow{App: a, HeldBecause: heldBecause(events)})
	}
	return render(c, http.StatusOK, views.AdminReviewQueue(v))
}
