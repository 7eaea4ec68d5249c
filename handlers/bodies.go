package handlers

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// defaultBodyLimit caps a request body on every route that does not say
// otherwise: the borrower's form is a few kilobytes, an officer's note far less.
const defaultBodyLimit = 64 << 10

// bodyRule gives the routes under a prefix their own body cap; multipart says
// whether they take multipart/form-data (file uploads) at all.
type bodyRule struct {
	prefix    string // of the route pattern, e.g. "/callbacks/platform/"
	limit     int64
	multipart bool
}

// limitBodies caps request bodies by route, as the route table declares with
// rules (the first whose prefix the route pattern has wins; defaultBodyLimit
// otherwise), before a handler reads anything:
//   - a declared Content-Length over the cap is refused at once (413);
//   - a url-encoded form is read here, capped, so an oversized one (chunked
//     included) is a 413 rather than a form that quietly lost its fields;
//   - multipart/form-data is refused (415) unless the route's rule takes it,
//     so no route spools file parts to disk by accident;
//   - any other body is capped when the handler reads it (its read fails with
//     *http.MaxBytesError, which the error handler answers as 413).
//
// The 413 takes the route's shape through the error handler: a page for
// people, a status for the platform's callbacks, JSON under /api.
func limitBodies(rules ...bodyRule) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.Body == nil || req.Body == http.NoBody {
				return next(c)
			}
			rule := bodyRule{limit: defaultBodyLimit}
			for _, r := range rules {
				if strings.HasPrefix(c.Path(), r.prefix) {
					rule = r
					break
				}
			}
			mt := mediaType(req.Header.Get(echo.HeaderContentType))
			if mt == echo.MIMEMultipartForm && !rule.multipart {
				return echo.NewHTTPError(http.StatusUnsupportedMediaType, "This page takes no file uploads.")
			}
			if req.ContentLength > rule.limit {
				return errBodyTooLarge
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, rule.limit)
			if mt == echo.MIMEApplicationForm {
				if err := req.ParseForm(); err != nil {
					if tooLarge(err) {
						return errBodyTooLarge
					}
					return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.").SetInternal(err)
				}
			}
			return next(c)
		}
	}
}

// mediaType is a Content-Type's media type, lower case, without parameters;
// only the two types limitBodies acts on are parsed (mime.ParseMediaType, with
// its map of parameters), so a JSON call's allocates nothing.
func mediaType(ct string) string {
	t, _, _ := strings.Cut(ct, ";")
	t = strings.TrimSpace(t)
	if !strings.EqualFold(t, echo.MIMEMultipartForm) && !strings.EqualFold(t, echo.MIMEApplicationForm) {
		return ""
	}
	mt, _, _ := mime.ParseMediaType(ct)
	return mt
}

// errBodyTooLarge is the 413 every capped route answers.
var errBodyTooLarge = echo.NewHTTPError(http.StatusRequestEntityTooLarge, "That was more than this page accepts.")

// tooLarge reports whether err comes from reading past a body's cap.
func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
