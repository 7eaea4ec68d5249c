package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/store"
)

const (
	borrowerCookie        = "prequal_borrower"
	borrowerIDKey         = "bid"
	borrowerSessionMaxAge = 48 * time.Hour
)

// borrowerSession returns the id of the borrower session the request carries.
// With create, a new session is started (and its cookie set) when there is none.
func (s *Server) borrowerSession(c echo.Context, create bool) (string, error) {
	ck, cookieErr := c.Request().Cookie(borrowerCookie)
	if cookieErr == nil {
		if id, ok := s.sessionIDs.get(ck.Value, time.Now()); ok {
			return id, nil
		}
	}
	// New, not Get: Get keeps a per-request registry in a copy of the request,
	// an allocation the checking-rates poll pays on every call for nothing.
	sess, _ := s.sessions.New(c.Request(), borrowerCookie) // a bad or old cookie yields a fresh session
	if id, ok := sess.Values[borrowerIDKey].(string); ok && id != "" {
		if cookieErr == nil {
			s.sessionIDs.put(ck.Value, id, time.Now())
		}
		return id, nil
	}
	if !create {
		return "", nil
	}
	id := store.NewID()
	sess.Values[borrowerIDKey] = id
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return "", echo.NewHTTPError(http.StatusInternalServerError).SetInternal(err)
	}
	return id, nil
}
