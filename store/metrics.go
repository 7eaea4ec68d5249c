package store

import (
	"context"
	"fmt"
)

// StatusCounts returns how many applications are in each lead status and in each
// review status: aggregate numbers only, for /metrics.
func (s *Store) StatusCounts(ctx context.Context) (lead, review map[string]int, err error) {
	lead, review = map[string]int{}, map[string]int{}
	for _, q := range []struct {
		col string
		out map[string]int
	}{{"lead_status", lead}, {"review_status", review}} {
		rows, err := s.r.QueryContext(ctx, `SELECT `+q.col+`, count(*) FROM applications GROUP BY `+q.col)
		if err != nil {
			return nil, nil, fmt.Errorf("store.StatusCounts: %w", err)
		}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("store.StatusCounts: %w", err)
			}
			q.out[k] = n
		}
		if err := rows.Close(); err != nil {
			return nil, nil, fmt.Errorf("store.StatusCounts: %w", err)
		}
	}
	return lead, review, nil
}
