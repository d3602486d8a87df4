package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// BenchmarkSettingsSave times a settings save with the demo agency loaded
// (OPSMETRICS_BENCH_MONTHS of history, default 12): the Organization form
// (POST /settings, a 303 once saved and recorded), a threshold from the
// Alerts form (POST /settings/alerts), and as the baseline the same org
// change through the API (PUT /api/v1/org). Each save changes the grace
// days or the threshold's value, so every one writes and records a change.
// It reports p50 and p99 per kind; the goal is a p50 of at most 100 ms.
//
//	go test -run '^$' -bench SettingsSave -benchtime 50x ./app
func BenchmarkSettingsSave(b *testing.B) {
	months := 12
	if s := os.Getenv("OPSMETRICS_BENCH_MONTHS"); s != "" {
		var err error
		if months, err = strconv.Atoi(s); err != nil {
			b.Fatalf("OPSMETRICS_BENCH_MONTHS %q: %v", s, err)
		}
	}
	svc := apptest.New(b)
	svc.Demo(months)
	admin := svc.Token("acme", "admin")
	base, stop := svc.Serve(nil)
	defer stop()
	s := newFormSession(b, base, admin)
	if code, _ := s.get("/settings"); code != 200 || s.csrf == "" {
		b.Fatalf("GET /settings: %d", code)
	}
	form := func(grace int) url.Values {
		return url.Values{"name": {"Acme Creative"}, "time_zone": {"America/New_York"}, "currency": {"USD"},
			"workdays": {"mon", "tue", "wed", "thu", "fri"}, "business_hours": {"09:00-17:00"}, "grace_days": {strconv.Itoa(grace)},
			"stuck_review_hours": {"48"}, "overhead_per_hour": {"18"}}
	}
	saves := []struct {
		name string
		save func(i int) int
	}{
		{"api_put_org", func(i int) int {
			code, _, _ := apptest.Send(b, http.MethodPut, base+"/api/v1/org", admin, fmt.Sprintf(`{"grace_days":%d}`, i%30), "Content-Type", "application/json")
			return code
		}},
		{"form_post_org", func(i int) int {
			code, _, _ := s.post("/settings", form(i%30))
			return code
		}},
		{"form_post_threshold", func(i int) int {
			code, _, _ := s.post("/settings/alerts", url.Values{"id": {"bench-wo"}, "kpi": {"write_off_rate"}, "scope": {"org"},
				"comparator": {"gt"}, "value": {fmt.Sprintf("%d %%", 5+i%20)}, "for": {"1h"}, "severity": {"warning"}})
			return code
		}},
	}
	for _, sv := range saves {
		b.Run(sv.name, func(b *testing.B) {
			var took []time.Duration
			for i := range b.N + 1 {
				start := time.Now()
				code := sv.save(i + 1)
				d := time.Since(start)
				if code != http.StatusOK && code != http.StatusSeeOther {
					b.Fatalf("%s: %d", sv.name, code)
				}
				if i > 0 { // the first is a warm-up
					took = append(took, d)
				}
			}
			slices.Sort(took)
			ms := func(q float64) float64 {
				return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(ms(0.5), "p50_ms")
			b.ReportMetric(ms(0.99), "p99_ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
