package store

import (
	"context"
	"fmt"

	"prequal/lending"
)

// Visibility is what one caller of the partner APIs may see of the portal's
// applications: a partner sees the applications its keys made, an operator
// (a key with lending.ScopeOperator) every application, those borrowers made
// in the browser included. It is the one place that rule is written: every
// store read behind a partner API takes a Visibility and filters with it.
// The zero Visibility sees nothing.
type Visibility struct {
	partnerID string
	all       bool
}

// VisibleTo is what partnerID may see; operator widens it to everything.
func VisibleTo(partnerID string, operator bool) Visibility {
	return Visibility{partnerID: partnerID, all: operator}
}

// VisibleToAll sees every application (operators).
func VisibleToAll() Visibility { return Visibility{all: true} }

// Everything reports whether v sees every application.
func (v Visibility) Everything() bool { return v.all }

// condition is v as an SQL condition on the applications table (its partner_id
// column, qualified by alias when not empty), with its arguments. A
// browser-made application has a NULL partner_id, which no partner's id equals.
func (v Visibility) condition(alias string) (string, []any) {
	col := "partner_id"
	if alias != "" {
		col = alias + ".partner_id"
	}
	switch {
	case v.all:
		return "1 = 1", nil
	case v.partnerID == "":
		return "1 = 0", nil
	}
	return col + " = ?", []any{v.partnerID}
}

// VisibleApplication returns application id when v may see it, and
// ErrNotFound otherwise, exactly as if it did not exist (so a partner cannot
// learn that another's application id is real).
func (s *Store) VisibleApplication(ctx context.Context, v Visibility, id string) (lending.Application, error) {
	cond, args := v.condition("")
	a, err := scanApplication(s.r.QueryRowContext(ctx,
		`SELECT `+applicationColumns+` FROM applications WHERE id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		return a, fmt.Errorf("store.VisibleApplication: %w", err)
	}
	return a, nil
}

// VisibleApplications lists the applications v may see, newest first, from
// offset, at most limit of them (1..1000), and how many there are in all.
func (s *Store) VisibleApplications(ctx context.Context, v Visibility, limit, offset int) ([]lending.Application, int, error) {
	limit, offset = min(max(limit, 1), 1000), max(offset, 0)
	cond, args := v.condition("")
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM applications WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store.VisibleApplications: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE `+cond+`
		ORDER BY created_at_ms DESC, id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store.VisibleApplications: %w", err)
	}
	defer rows.Close()
	var out []lending.Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("store.VisibleApplications: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store.VisibleApplications: %w", err)
	}
	return out, total, nil
}
