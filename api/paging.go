package api

import (
	"strconv"

	"github.com/labstack/echo/v4"
)

// Paging of the list routes: seed 003's page[limit] (default 100, at most
// 1000) and page[offset] (default 0), and the same rule under seed 004's
// limit and offset.
const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
)

type page struct{ limit, offset int }

// parsePage reads the limit and offset parameters: a limit from 1 to 1000,
// an offset from 0; anything else (0, 1001, negative, not a whole number) is
// a 400 naming the parameter.
func parsePage(c echo.Context, limitName, offsetName string) (page, error) {
	pg := page{limit: defaultPageLimit}
	if v, ok := queryValue(c, limitName); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageLimit {
			return pg, ParameterProblem(limitName, "Must be a whole number from 1 to 1000.")
		}
		pg.limit = n
	}
	if v, ok := queryValue(c, offsetName); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return pg, ParameterProblem(offsetName, "Must be a whole number from 0.")
		}
		pg.offset = n
	}
	return pg, nil
}

// queryValue is a query parameter's value and whether it was sent at all.
func queryValue(c echo.Context, name string) (string, bool) {
	vs, ok := c.QueryParams()[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}
