package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"prequal/lending"
)

// TestFilter chooses between real applications, QA test applications, or both.
type TestFilter string

// Test filters.
const (
	TestAll  TestFilter = ""
	TestReal TestFilter = "real"
	TestOnly TestFilter = "test"
)

// PipelineSort is a column the pipeline may be ordered by.
type PipelineSort string

// Pipeline orders. Ties are broken by creation time, then id.
const (
	SortCreated      PipelineSort = "created"
	SortAmount       PipelineSort = "amount"
	SortName         PipelineSort = "name"
	SortLeadStatus   PipelineSort = "lead_status"
	SortReviewStatus PipelineSort = "review_status"
)

var sortColumns = map[PipelineSort]string{
	SortCreated:      "created_at_ms",
	SortAmount:       "requested_amount_cents",
	SortName:         "lower(last_name), lower(first_name)",
	SortLeadStatus:   "lead_status",
	SortReviewStatus: "review_status",
}

// MaxPipelinePageSize is the largest page the pipeline serves.
const MaxPipelinePageSize = 100

// PipelineFilter selects, orders and pages applications for officers. Zero values
// match everything.
type PipelineFilter struct {
	// Query matches an application id, partnerLeadId or lead uuid exactly, or a
	// part of the email or the full name (case-insensitive).
	Query        string
	LeadStatus   lending.LeadStatus
	ReviewStatus lending.ReviewStatus
	From, To     time.Time // created in [From, To)
	MinAmount    lending.Cents
	MaxAmount    lending.Cents // inclusive
	Lender       string        // a lender that offered a product
	Test         TestFilter
	Sort         PipelineSort // default SortCreated
	Asc          bool         // default newest/largest first
	Page         int          // 1-based
	PageSize     int          // 1..MaxPipelinePageSize, default 50
}

// PipelinePage is one page of the filtered pipeline.
type PipelinePage struct {
	Rows     []lending.Application
	Total    int // matching applications on all pages
	Page     int
	PageSize int
}

// normalized clamps paging and fills defaults.
func (f PipelineFilter) normalized() PipelineFilter {
	if f.PageSize <= 0 {
		f.PageSize = 50
	}
	f.PageSize = min(f.PageSize, MaxPipelinePageSize)
	f.Page = max(f.Page, 1)
	if _, ok := sortColumns[f.Sort]; !ok {
		f.Sort = SortCreated
	}
	f.Query = strings.TrimSpace(f.Query)
	return f
}

// where builds the WHERE clause and its arguments. Every value is a parameter;
// only whitelisted column names are spliced in.
func (f PipelineFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, a ...any) { conds, args = append(conds, cond), append(args, a...) }
	if f.Query != "" {
		like := "%" + escapeLike(strings.ToLower(f.Query)) + "%"
		add(`(id = ? OR partner_lead_id = ? OR lead_uuid = ? OR lower(email) LIKE ? ESCAPE '\'
			OR lower(first_name || ' ' || last_name) LIKE ? ESCAPE '\')`, f.Query, f.Query, f.Query, like, like)
	}
	if f.LeadStatus != "" {
		add("lead_status = ?", string(f.LeadStatus))
	}
	if f.ReviewStatus != "" {
		add("review_status = ?", string(f.ReviewStatus))
	}
	if !f.From.IsZero() {
		add("created_at_ms >= ?", ms(f.From))
	}
	if !f.To.IsZero() {
		add("created_at_ms < ?", ms(f.To))
	}
	if f.MinAmount > 0 {
		add("requested_amount_cents >= ?", int64(f.MinAmount))
	}
	if f.MaxAmount > 0 {
		add("requested_amount_cents <= ?", int64(f.MaxAmount))
	}
	if f.Lender != "" {
		add("id IN (SELECT application_id FROM products WHERE lender_name = ?)", f.Lender)
	}
	switch f.Test {
	case TestReal:
		add("is_test = 0")
	case TestOnly:
		add("is_test = 1")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (f PipelineFilter) orderBy() string {
	dir := " DESC"
	if f.Asc {
		dir = " ASC"
	}
	var cols []string
	if f.Sort != SortCreated {
		cols = strings.Split(sortColumns[f.Sort], ", ")
	}
	// Ties fall back to creation time, then id, so paging is stable.
	cols = append(cols, "created_at_ms", "id")
	for i := range cols {
		cols[i] += dir
	}
	return " ORDER BY " + strings.Join(cols, ", ")
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Pipeline returns one page of the applications matching f, and how many match.
// A page past the end is empty (Total still counts the matches).
//
// The page's ids are found first and only then their full rows read: sorting
// narrow (key, id) rows rather than whole applications keeps a filtered page of
// 10,000 applications well under the 100 ms budget.
func (s *Store) Pipeline(ctx context.Context, f PipelineFilter) (PipelinePage, error) {
	f = f.normalized()
	where, args := f.where()
	page := PipelinePage{Page: f.Page, PageSize: f.PageSize}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM applications`+where, args...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("store.Pipeline: count: %w", err)
	}
	if (f.Page-1)*f.PageSize >= page.Total {
		return page, nil
	}
	ids, err := s.pipelineIDs(ctx, `SELECT id FROM applications`+where+f.orderBy()+` LIMIT ? OFFSET ?`,
		append(args, f.PageSize, (f.Page-1)*f.PageSize))
	if err != nil {
		return page, fmt.Errorf("store.Pipeline: %w", err)
	}
	if len(ids) == 0 {
		return page, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE id IN (?`+
		strings.Repeat(",?", len(ids)-1)+`)`, anySlice(ids)...)
	if err != nil {
		return page, fmt.Errorf("store.Pipeline: %w", err)
	}
	defer rows.Close()
	byID := make(map[string]lending.Application, len(ids))
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return page, fmt.Errorf("store.Pipeline: %w", err)
		}
		byID[a.ID] = a
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("store.Pipeline: %w", err)
	}
	for _, id := range ids {
		if a, ok := byID[id]; ok { // a row deleted in between is simply left out
			page.Rows = append(page.Rows, a)
		}
	}
	return page, nil
}

func (s *Store) pipelineIDs(ctx context.Context, query string, args []any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// MaxExportRows bounds one CSV export.
const MaxExportRows = 100_000

// PipelineExport calls fn for every application matching f (paging ignored), in
// f's order, up to MaxExportRows. It streams, so a large export does not sit in
// memory; fn must not call back into the store.
func (s *Store) PipelineExport(ctx context.Context, f PipelineFilter, fn func(lending.Application) error) error {
	f = f.normalized()
	where, args := f.where()
	rows, err := s.r.QueryContext(ctx, `SELECT `+applicationColumns+` FROM applications`+where+f.orderBy()+` LIMIT ?`,
		append(args, MaxExportRows)...)
	if err != nil {
		return fmt.Errorf("store.PipelineExport: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return fmt.Errorf("store.PipelineExport: %w", err)
		}
		if err := fn(a); err != nil {
			return fmt.Errorf("store.PipelineExport: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store.PipelineExport: %w", err)
	}
	return nil
}

// Lenders lists the names of every lender that has offered a product, for the
// pipeline's lender filter.
func (s *Store) Lenders(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT lender_name FROM products ORDER BY lender_name`)
	if err != nil {
		return nil, fmt.Errorf("store.Lenders: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store.Lenders: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.Lenders: %w", err)
	}
	return out, nil
}
