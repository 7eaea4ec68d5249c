package handlers

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"prequal/lending"
)

// BenchmarkPipelineFiltered measures the whole filtered pipeline page — session
// check, count, page query, templ render, HTTP — over 10,000 applications. The
// budget is 100 ms per page.
func BenchmarkPipelineFiltered(b *testing.B) {
	p := newAdminPortal(b)
	if err := p.store.InsertSyntheticApplications(context.Background(), 10_000, p.clock.now().Add(-50*24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	client := p.officer("olive@bank.example", lending.RoleOfficer)
	for name, query := range map[string]string{
		"lead status, real only": "leadStatus=offers_found&test=real",
		"search":                 "q=rivera12",
		"amount and lender":      "minAmount=10000&maxAmount=30000&lender=Birch+Bank&sort=amount",
		"100 per page":           "reviewStatus=Pending&pageSize=100&page=3",
	} {
		b.Run(name, func(b *testing.B) {
			var worst time.Duration
			for b.Loop() {
				start := time.Now()
				resp, err := client.Get(p.srv.URL + "/admin/applications?" + query)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
				worst = max(worst, time.Since(start))
			}
			b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
		})
	}
}
