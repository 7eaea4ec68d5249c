-- +goose Up
-- The worker's timeout sweep (store.MarkTimedOut) runs ten times a second and asks
-- for pending leads past their deadline. Without this index it read every pending
-- lead each time, so its cost grew with the number of applications waiting —
-- exactly when the portal is busiest.
CREATE INDEX applications_lead_deadline ON applications (lead_status, lead_deadline_ms);

-- +goose Down
DROP INDEX applications_lead_deadline;
