-- +goose Up
-- An application flagged or held by an SSN identity rule is no reference for
-- later applications with that SSN until an officer approves it (lending.Screen):
-- a stranger's attempt must not make the owner's own applications look
-- suspicious. Applications held by the old identity rule are marked as such.
ALTER TABLE applications ADD COLUMN ssn_identity_unconfirmed INTEGER NOT NULL DEFAULT 0;
UPDATE applications SET ssn_identity_unconfirmed = 1 WHERE id IN (
    SELECT application_id FROM events WHERE kind = 'held_for_review' AND detail LIKE '%This SSN was used before%');

-- +goose Down
ALTER TABLE applications DROP COLUMN ssn_identity_unconfirmed;
