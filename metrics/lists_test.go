package metrics_test

import (
	"slices"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// TestLists reads the pages' lists on the delivery scenario
// (delivery_test.go), with the KPIs' request and hence their settings (New
// York, grace 0) and "now" (testNow).
func TestLists(t *testing.T) {
	loadDelivery(t)
	s := testStore(t)
	equal := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	ids := func(res *metrics.Result, col string) []string {
		tab := metrics.TableOf(res)
		var out []string
		for i := range tab.Len() {
			out = append(out, tab.Str(i, col))
		}
		return out
	}
	r := deliveryReq("", "2026-01-01", "2026-03-01", "", "")
	r.Now = testNow

	// Late in January and February, as on_time_rate judges them: D3 open
	// (due Feb 10; Mar 10 in New York − Feb 10 = 28 days), then the delivered
	// ones by days late: D10 25, D2 3, D11 1. Cut at 2, total still 4.
	late, err := metrics.LateDeliverables(t.Context(), s, r, 2)
	if err != nil {
		t.Fatal(err)
	}
	equal("late", ids(late, "deliverable_id"), []string{"D3", "D10"})
	exact(t, "D3 days late", cell(t, late, "", "", "days_late"), "28")
	exact(t, "total", metrics.TableOf(late).Str(0, "total"), "4")
	// A client filter, by name as a KPI's: beta's D3 and D10 (D8 was on time).
	beta := r
	beta.Filters = map[string]string{"client": "c-beta"}
	if late, err = metrics.LateDeliverables(t.Context(), s, beta, 10); err != nil {
		t.Fatal(err)
	}
	equal("beta late", ids(late, "deliverable_id"), []string{"D3", "D10"})

	// The slips behind slip_days: 1, 3 and 25 days, one delivery each.
	slips, err := metrics.Slips(t.Context(), s, r)
	if err != nil {
		t.Fatal(err)
	}
	equal("slips", ids(slips, "slip"), []string{"1", "3", "25"})
	equal("deliveries", ids(slips, "deliveries"), []string{"1", "1", "1"})

	// Waiting in March at now (Mar 10 12:00 UTC), oldest first: D3 since
	// Feb 20 15:00 (429 h, pending_reviews' oldest) and D4 since Feb 27
	// 17:00 (259 h); D5 was approved on Mar 9.
	march := deliveryReq("", "2026-03-01", "2026-04-01", "", "")
	march.Now = testNow
	stuck, err := metrics.StuckReviews(t.Context(), s, march, 50)
	if err != nil {
		t.Fatal(err)
	}
	equal("waiting", ids(stuck, "deliverable_id"), []string{"D3", "D4"})
	near(t, "D3 age", metrics.TableOf(stuck).Str(0, "age_hours"), 429)
	near(t, "D4 age", metrics.TableOf(stuck).Str(1, "age_hours"), 259)

	// As of now, whatever the range: January's range was cut at 1 February,
	// when nothing waited, but D3 and D4 wait now.
	jan := deliveryReq("", "2026-01-01", "2026-02-01", "", "")
	jan.Now = testNow
	if stuck, err = metrics.StuckReviews(t.Context(), s, jan, 50); err != nil {
		t.Fatal(err)
	}
	equal("waiting at the end of January", ids(stuck, "deliverable_id"), nil)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := metrics.AsOfNow(jan, ny)
	if now.From.Format(time.DateOnly) != "2026-03-10" || now.To.Format(time.DateOnly) != "2026-03-11" || !now.Now.Equal(testNow) {
		t.Errorf("as of now: %s to %s at %s", now.From, now.To, now.Now)
	}
	if stuck, err = metrics.StuckReviews(t.Context(), s, now, 50); err != nil {
		t.Fatal(err)
	}
	equal("waiting now", ids(stuck, "deliverable_id"), []string{"D3", "D4"})
	near(t, "D3 age now", metrics.TableOf(stuck).Str(0, "age_hours"), 429)
	// Cut at one row, the columns still count every waiting review: 2
	// waiting (D3, D4), both over the 48 stuck hours (429 h, 259 h), as
	// pending_reviews counts them.
	if stuck, err = metrics.StuckReviews(t.Context(), s, now, 1); err != nil {
		t.Fatal(err)
	}
	equal("waiting now, cut at 1", ids(stuck, "deliverable_id"), []string{"D3"})
	exact(t, "waiting column", metrics.TableOf(stuck).Str(0, "waiting"), "2")
	exact(t, "stuck column", metrics.TableOf(stuck).Str(0, "stuck"), "2")
	pending := must(metrics.Compute(t.Context(), s, nil, func() metrics.Request { r := now; r.KPI = "pending_reviews"; return r }()))
	exact(t, "pending_reviews now", cell(t, pending, "", "", "value"), "2")
	exact(t, "pending_reviews stuck now", cell(t, pending, "", "", "stuck"), "2")

	// Overdue now (Mar 10 08:00 in New York), any due date: D3 (due Feb 10,
	// 28 days) and D5 (due Mar 9, 1 day); D4 is due today, not yet overdue.
	over, err := metrics.OverdueNow(t.Context(), s, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	equal("overdue now", ids(over, "deliverable_id"), []string{"D3", "D5"})
	equal("days overdue", ids(over, "days_late"), []string{"28", "1"})
	exact(t, "overdue total", metrics.TableOf(over).Str(0, "total"), "2")
	beta.From, beta.To, beta.Now = now.From, now.To, testNow
	beta.Filters = map[string]string{"client": "c-beta"}
	if over, err = metrics.OverdueNow(t.Context(), s, beta, 1); err != nil {
		t.Fatal(err)
	}
	equal("beta overdue now, cut at 1", ids(over, "deliverable_id"), []string{"D3"})
	exact(t, "beta overdue total", metrics.TableOf(over).Str(0, "total"), "2")

	// Each owner's team at the end of the range: none in this scenario.
	teams, err := metrics.PersonTeams(t.Context(), s, r)
	if err != nil {
		t.Fatal(err)
	}
	for p, team := range teams {
		if team != "" {
			t.Errorf("%s in team %q, want none", p, team)
		}
	}
}
