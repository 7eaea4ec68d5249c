package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
)

// Who an API request comes from is its Principal, put in the Echo context by
// the route's authentication middleware and read with PrincipalOf. Today one
// kind of credential exists, a partner's API key (partnerKey); a second kind
// (a borrower's session token, valid only on borrower-scoped routes) is a new
// PrincipalKind with its own middleware, and requireScope refuses it, so a
// borrower's token never passes for a partner's key nor the reverse.

// PrincipalKind is the kind of credential a request authenticated with.
type PrincipalKind int

// Kinds of principal.
const (
	// PrincipalPartnerKey: a partner's API key (Authorization: Bearer or x-api-key).
	PrincipalPartnerKey PrincipalKind = iota + 1
	// PrincipalBorrowerSession: a headless borrower's session token
	// (Authorization: Bearer bst_…), valid on the borrower-scoped journey
	// routes only (borrowerSession).
	PrincipalBorrowerSession
)

// Principal is the authenticated caller of an API request.
type Principal struct {
	Kind        PrincipalKind
	PartnerID   string // "" for the demo key
	PartnerName string
	KeyID       string // "" for the demo key
	// KeyCreatedAt is when the key was made (seed 002's usage "createdAt").
	KeyCreatedAt time.Time
	Scopes       lending.Scopes
	// Demo is seed 002's public demo key (stage only): canned answers, its own
	// rate limit, the decision scope alone.
	Demo bool
	// Borrower is the borrower of a PrincipalBorrowerSession.
	Borrower store.HeadlessBorrower
}

// Operator reports whether the key may see every application (lending.ScopeOperator).
func (p Principal) Operator() bool {
	return p.Kind == PrincipalPartnerKey && p.Scopes.Has(lending.ScopeOperator)
}

// Visibility is what the principal may see of the portal's applications: its
// partner's own, or everything for an operator. Pass it to the store's reads
// (store.Store.VisibleApplication and friends).
func (p Principal) Visibility() store.Visibility {
	return store.VisibleTo(p.PartnerID, p.Operator())
}

// idempotencyScope is whose Idempotency-Keys the principal's are: a partner's
// keys share them, so a retry made with a rotated key still finds its answer.
// A borrower's keys are the borrower's own.
func (p Principal) idempotencyScope() string {
	if p.Kind == PrincipalBorrowerSession {
		return "borrower:" + p.Borrower.ID
	}
	return "partner:" + p.PartnerID
}

// principalKey holds the Principal in the echo.Context.
const principalKey = "api.principal"

// PrincipalOf returns the request's authenticated principal (the zero
// Principal on a route without authentication).
func PrincipalOf(c echo.Context) Principal {
	if pc, ok := c.(*principalContext); ok {
		return pc.p
	}
	p, _ := c.Get(principalKey).(Principal)
	return p
}

// principalContext is the echo.Context partnerKey hands on, holding the
// Principal (Echo's documented way to extend a context): one allocation per
// call, where c.Set made Echo's store map and boxed the Principal into it.
type principalContext struct {
	echo.Context
	p Principal
}

// Headers that carry a partner's key: seeds 001, 003 and 004 send
// "Authorization: Bearer <key>", seed 002 "x-api-key: <key>"; every API takes
// both. Cookies never authenticate an API request, which is also why /api is
// exempt from the portal's cross-origin check.
const (
	headerAPIKey        = "x-api-key"
	headerAuthorization = "Authorization"
	bearerPrefix        = "Bearer "
)

// demoAPIKey is seed 002's public demo key: stage only, canned answers.
const demoAPIKey = "demo-key-123"

// keyPolicy says whether a route group accepts seed 002's demo key.
type keyPolicy int

const (
	partnerKeysOnly keyPolicy = iota
	demoKeyAllowed            // the Credit Decision API, outside production
)

// secretOf is the key a request carries: x-api-key, else Authorization's
// bearer token (its scheme matched case-insensitively, as RFC 9110 says).
func secretOf(r *http.Request) string {
	if k := r.Header.Get(headerAPIKey); k != "" {
		return k
	}
	h := r.Header.Get(headerAuthorization)
	if len(h) > len(bearerPrefix) && strings.EqualFold(h[:len(bearerPrefix)], bearerPrefix) {
		return strings.TrimSpace(h[len(bearerPrefix):])
	}
	return ""
}

// partnerKey admits requests carrying an active key of an active partner (and,
// where policy allows, the demo key outside production) and puts their
// Principal in the context. Anything else is a 401 in the route's error shape.
// Keys are found through the cached KeyFinder: no database read per request
// once a key has been seen.
func (a *API) partnerKey(policy keyPolicy) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			secret := secretOf(c.Request())
			var p Principal
			switch {
			case secret == "":
				return errUnauthorized(c)
			case secret == demoAPIKey:
				if policy != demoKeyAllowed || !a.demoAllowed {
					return errUnauthorized(c).SetInternal(errors.New("demo key used where it is not accepted"))
				}
				p = Principal{Kind: PrincipalPartnerKey, Demo: true, Scopes: demoScopes}
			default:
				k, err := a.keys.APIKeyBySecret(c.Request().Context(), secret)
				if errors.Is(err, store.ErrNotFound) {
					return errUnauthorized(c)
				}
				if err != nil {
					return fmt.Errorf("api: look up key: %w", err)
				}
				p = Principal{Kind: PrincipalPartnerKey, PartnerID: k.TenantID, PartnerName: k.PartnerName,
					KeyID: k.ID, KeyCreatedAt: k.CreatedAt, Scopes: k.Scopes}
			}
			return next(&principalContext{Context: c, p: p})
		}
	}
}

var demoScopes = lending.Scopes{lending.ScopeDecision}

// errUnauthorized is the 401 for a missing or unknown key; its
// WWW-Authenticate says how to send one (RFC 6750).
func errUnauthorized(c echo.Context) *Problem {
	c.Response().Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	return problemUnauthorized()
}

// requireScope refuses (403, naming the first missing scope) a principal that
// is not a partner's key holding every scope listed. Use it in the route
// tables after the authentication and rate-limit middleware.
func requireScope(scopes ...lending.Scope) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := PrincipalOf(c)
			for _, s := range scopes {
				if p.Kind != PrincipalPartnerKey || !p.Scopes.Has(s) {
					return problemMissingScope(s)
				}
			}
			return next(c)
		}
	}
}
