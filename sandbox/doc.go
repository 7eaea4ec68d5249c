// Package sandbox is the stage platform: a simulated Personal Loans Platform API
// (seed 000) that the portal reaches over real HTTP exactly as it would reach the
// real one. It decides with the deterministic credit engine of package decision
// (seed 002) and a panel of six simulated lenders, sends signed callbacks with
// retries, and lets QA force every outcome. It keeps its own SQLite file, and all
// pending work (lead steps, callback deliveries, stage controls) lives there, so a
// restart resumes where the last process stopped.
//
// The portal mounts Handler under /sandbox (http.StripPrefix); paths below are
// relative to that mount point.
//
// # Platform API
//
//   - POST /oauth2/token: OAuth2 client credentials (RFC 6749 §4.4). The client
//     authenticates with HTTP Basic or client_id/client_secret form fields, and
//     grant_type=client_credentials is required. Answers {"access_token",
//     "token_type":"Bearer","expires_in"}; bad credentials → 401
//     {"error":"invalid_client"}, another grant → 400 {"error":"unsupported_grant_type"}.
//   - POST /personal/v1/leads (bearer token, Idempotency-Key header): a
//     platform.LeadRequest decoded strictly (unknown fields → 400, body ≤ 64 KiB).
//     Invalid fields → 400 {"error":"validation failed","fieldErrors":{"borrower.email":[…]}}.
//     The same key with the same body returns the same lead again (201, header
//     Idempotent-Replayed: true); with another body → 422. Answers 201
//     {"uuid","status":"created","partnerLeadId"}.
//   - GET /personal/v1/leads/{uuid} (bearer token): the lead (platform.Lead) with
//     its status, products (always an array), adverseActionNotice when present and
//     selectedProductId. Unknown → 404.
//
// Every answer echoes X-Correlation-ID (a fresh one when none was sent), and every
// log line carries it. A missing, unknown or expired bearer token → 401 JSON.
//
// # Processing and callbacks
//
// A lead moves created → in_progress → finding_products → offers_found | no_offers,
// each step after Controls.StepDelay (40ms by default). Each terminal result, and
// product_selected, is POSTed to Config.CallbackURL as a platform.Callback signed
// in the Standard Webhooks scheme (webhook-id "msg_…", unique per callback and
// reused by its retries). A non-2xx answer or a network error is retried after
// Config.DeliveryBackoff, doubling with jitter up to 30s, 12 attempts at most.
// Callbacks of one lead are delivered in order. Intermediate statuses are sent
// only when Controls.IntermediateCallbacks is on.
//
// # Lender panel
//
// Six lenders (see lenders.go), each with a credit box (minimum score, maximum
// debt-to-income, amount limits, terms) and pricing (rate by score, origination
// fee). A lead is mapped to a decision.Applicant as applicant.go documents; each
// lender evaluates the requested amount, 75 % of it (lower-than-requested-amount)
// and 125 % of it (higher-than-requested-amount), both rounded to $100, and offers
// one product per range it approves. Payments, totals and APR come from
// lending.Amortize and lending.APR, to the cent. When nobody approves, the lead ends
// no_offers with an HTML notice of action taken: the action, the principal
// reasons (Regulation B wording), the score with its range and band and the key
// factors, the date, the FCRA paragraph and the ECOA notice.
//
// # Lender pages
//
//   - GET /lenders/{slug}/offers/{productId} (the products' lenderOfferUrl, built
//     from Config.PublicURL): the stage lender's landing page. The first visit
//     selects the product (status product_selected, selectedProductId) and sends a
//     callback; visiting again changes nothing; another offer of an already
//     selected lead answers 409.
//
// # QA
//
// Scenarios: the plus-tag of the borrower's email names a QA scenario
// (anything+<scenario-id>@example.com); the table is on stage.Scenario.
//
//   - GET /controls, POST /controls (Content-Type: application/json; only the
//     fields sent change), POST /controls/reset: the stage controls
//     {"stepDelayMs","failDeliveries","callbacksEnabled","intermediateCallbacks"},
//     kept in the database and recorded in the call log.
//   - GET /log?lead={uuid} or ?partnerLeadId=… (bearer token): the call log of a
//     lead in time order ([]LogEntry): the token requests that issued the tokens
//     it was called with, each submit (borrower data masked), each poll, each
//     status change, each callback attempt (webhook-id, status or network error,
//     deliberately bad signature), lender page visits. Without a filter, the newest
//     500 entries, control changes included.
//   - GET /leads?partnerLeadId=… (bearer token): [{uuid, partnerLeadId, status,
//     scenario, createdAt}], to prove that a lead was created only once.
//
// The sandbox never stores an SSN or a bearer token (only its hash), and never
// logs an SSN, a date of birth, a token or a secret.
package sandbox
