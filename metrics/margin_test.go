package metrics_test

import (
	"math"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// The margin KPIs run on the money scenario of writeoff_test.go.

func TestRevenue(t *testing.T) {
	loadMoney(t)
	res := compute(t, moneyReq("revenue", "2026-01-01", "2026-03-01", "", "month"))
	// January.
	//   Fixed fees: p-fix's 6,000 over January, February and March: 2,000.
	//   Retainer fees: p-ret's 1,500.
	//   T&M value: tm-a1 500 + tm-a2 600 + tm-a3 200 (written off, still counted here)
	//   + tm-b1 600 = 1,900.
	//   T&M write-offs: tm-a3 200 + L1's 100 + 120 + adj-2 300 = 720.
	//   Revenue 2,000 + 1,500 + 1,900 − 720 = 4,680.
	jan := "2026-01-01"
	exact(t, "Jan fixed fees", cell(t, res, jan, "", "fixed_fees"), "2000")
	exact(t, "Jan retainer fees", cell(t, res, jan, "", "retainer_fees"), "1500")
	exact(t, "Jan T&M value", cell(t, res, jan, "", "tm_value"), "1900")
	exact(t, "Jan T&M write-offs", cell(t, res, jan, "", "tm_write_offs"), "720")
	exact(t, "Jan revenue", cell(t, res, jan, "", "value"), "4680")
	// February.
	//   Fixed fees 2,000; retainer fees 1,500; retainer overage: ret-b2 billed on L2, 1,200.
	//   T&M value: tm-b2 600 + tm-b3 400 = 1,000.
	//   T&M write-offs: tm-b3's 50 + adj-1 300 + adj-7 100 = 450 (adj-6 is on the fixed
	//   fee and over-service on the retainer: the client pays the fee anyway).
	//   Write-ups: adj-4 100.
	//   Revenue 2,000 + 1,500 + 1,200 + 1,000 − 450 + 100 = 5,350.
	feb := "2026-02-01"
	exact(t, "Feb overage", cell(t, res, feb, "", "retainer_overage"), "1200")
	exact(t, "Feb T&M value", cell(t, res, feb, "", "tm_value"), "1000")
	exact(t, "Feb T&M write-offs", cell(t, res, feb, "", "tm_write_offs"), "450")
	exact(t, "Feb T&M write-ups", cell(t, res, feb, "", "tm_write_ups"), "100")
	exact(t, "Feb revenue", cell(t, res, feb, "", "value"), "5350")

	// Both months: 4,680 + 5,350 = 10,030.
	all := compute(t, moneyReq("revenue", "2026-01-01", "2026-03-01", "", ""))
	exact(t, "revenue", cell(t, all, "", "", "value"), "10030")
	// By client: c-tm 2,900 − 1,170 + 100 = 1,830; c-ret 3,000 + 1,200 = 4,200; c-fix
	// 4,000; internal work earns nothing.
	byClient := compute(t, moneyReq("revenue", "2026-01-01", "2026-03-01", "client", ""))
	exact(t, "c-tm revenue", cell(t, byClient, "", "c-tm", "value"), "1830")
	exact(t, "c-ret revenue", cell(t, byClient, "", "c-ret", "value"), "4200")
	exact(t, "c-fix revenue", cell(t, byClient, "", "c-fix", "value"), "4000")
	exact(t, "internal revenue", cell(t, byClient, "", "", "value"), "0")

	// The fixed fee is spread over its months: January, February and March 2,000 each;
	// April has none (the retainer goes on: 1,500).
	spread := compute(t, moneyReq("revenue", "2026-01-01", "2026-05-01", "project", "month"))
	for _, m := range []string{"2026-01-01", "2026-02-01", "2026-03-01"} {
		exact(t, "p-fix "+m, cell(t, spread, m, "p-fix", "fixed_fees"), "2000")
	}
	exact(t, "p-ret April", cell(t, spread, "2026-04-01", "p-ret", "retainer_fees"), "1500")
	if got := sumColumn(t, spread, "fixed_fees"); got != 6000 {
		t.Errorf("Σ fixed fees = %v, want the budget, 6,000", got)
	}

	// Half of February, [Feb 1, Feb 15): 14 of its 28 days of fees, 1,000 + 750;
	// overage 1,200 (Feb 9); T&M 600 + 400 (Feb 10 and 11) − (50 + 300 + 100) + 100
	// (Feb 12): 1,000 + 750 + 1,200 + 1,000 − 450 + 100 = 3,600.
	half := compute(t, moneyReq("revenue", "2026-02-01", "2026-02-15", "", ""))
	exact(t, "half-month fixed fees", cell(t, half, "", "", "fixed_fees"), "1000")
	exact(t, "half-month retainer fees", cell(t, half, "", "", "retainer_fees"), "750")
	exact(t, "half-month revenue", cell(t, half, "", "", "value"), "3600")
}

func TestLabourCostAndMargin(t *testing.T) {
	loadMoney(t)
	// Hours × cost rate + hours × 10 overhead.
	// January: ana 5 + 5 + 2 + 4 + 4 + 4 + 1 + 3 = 28 h × 40 = 1,120; ben 4 + 10 = 14 h ×
	// 60 = 840; 42 h × 10 = 420 overhead: 2,380.
	// February: ana 1 + 5 = 6 h × 40 = 240; ben (his own cost 80 from Feb 1) 3 + 2 + 6 +
	// 6 + 2 = 19 h × 80 = 1,520; 25 h × 10 = 250: 2,010.
	res := compute(t, moneyReq("labour_cost", "2026-01-01", "2026-03-01", "", "month"))
	exact(t, "Jan cost of hours", cell(t, res, "2026-01-01", "", "cost_of_hours"), "1960")
	exact(t, "Jan overhead", cell(t, res, "2026-01-01", "", "overhead_cost"), "420")
	exact(t, "Jan labour cost", cell(t, res, "2026-01-01", "", "value"), "2380")
	exact(t, "Jan hours", cell(t, res, "2026-01-01", "", "hours"), "42")
	exact(t, "Feb labour cost", cell(t, res, "2026-02-01", "", "value"), "2010")
	exact(t, "Feb hours", cell(t, res, "2026-02-01", "", "hours"), "25")

	// By client: c-tm ana 13 h × 40 + ben 4 h × 60 + 5 h × 80 = 1,160, + 22 h × 10 = 1,380;
	// c-ret ana 13 × 40 + ben 12 × 80 = 1,480 + 250 = 1,730; c-fix ben 10 × 60 + ana 5 ×
	// 40 = 800 + 150 = 950; internal ana 3 × 40 + ben 2 × 80 = 280 + 50 = 330.
	byClient := compute(t, moneyReq("labour_cost", "2026-01-01", "2026-03-01", "client", ""))
	exact(t, "c-tm labour", cell(t, byClient, "", "c-tm", "value"), "1380")
	exact(t, "c-ret labour", cell(t, byClient, "", "c-ret", "value"), "1730")
	exact(t, "c-fix labour", cell(t, byClient, "", "c-fix", "value"), "950")
	exact(t, "internal labour", cell(t, byClient, "", "", "value"), "330")

	// Margin = revenue − labour cost: 10,030 − 4,390 = 5,640; January 4,680 − 2,380 =
	// 2,300; February 5,350 − 2,010 = 3,340.
	margin := compute(t, moneyReq("margin", "2026-01-01", "2026-03-01", "", ""))
	exact(t, "margin", cell(t, margin, "", "", "value"), "5640")
	exact(t, "margin revenue", cell(t, margin, "", "", "revenue"), "10030")
	exact(t, "margin labour cost", cell(t, margin, "", "", "labour_cost"), "4390")
	byMonth := compute(t, moneyReq("margin", "2026-01-01", "2026-03-01", "", "month"))
	exact(t, "Jan margin", cell(t, byMonth, "2026-01-01", "", "value"), "2300")
	exact(t, "Feb margin", cell(t, byMonth, "2026-02-01", "", "value"), "3340")
	// By client: c-tm 1,830 − 1,380 = 450; c-ret 4,200 − 1,730 = 2,470; c-fix 4,000 −
	// 950 = 3,050; internal 0 − 330 = −330.
	marginBy := compute(t, moneyReq("margin", "2026-01-01", "2026-03-01", "client", ""))
	exact(t, "c-tm margin", cell(t, marginBy, "", "c-tm", "value"), "450")
	exact(t, "c-ret margin", cell(t, marginBy, "", "c-ret", "value"), "2470")
	exact(t, "c-fix margin", cell(t, marginBy, "", "c-fix", "value"), "3050")
	exact(t, "internal margin", cell(t, marginBy, "", "", "value"), "-330")

	// Margin % = margin ÷ revenue: 5,640 ÷ 10,030; c-tm 450 ÷ 1,830; internal work
	// has no revenue: null.
	pct := compute(t, moneyReq("margin_pct", "2026-01-01", "2026-03-01", "", ""))
	near(t, "margin %", cell(t, pct, "", "", "value"), 5640.0/10030)
	pctBy := compute(t, moneyReq("margin_pct", "2026-01-01", "2026-03-01", "client", ""))
	near(t, "c-tm margin %", cell(t, pctBy, "", "c-tm", "value"), 450.0/1830)
	if v := cell(t, pctBy, "", "", "value"); v != "" {
		t.Errorf("internal margin %% = %s, want null (no revenue)", v)
	}

	// Effective rate = revenue ÷ all hours: 10,030 ÷ 67; January 4,680 ÷ 42; c-fix
	// 4,000 ÷ 15.
	rate := compute(t, moneyReq("effective_rate", "2026-01-01", "2026-03-01", "", ""))
	near(t, "effective rate", cell(t, rate, "", "", "value"), 10030.0/67)
	exact(t, "effective rate hours", cell(t, rate, "", "", "hours"), "67")
	rateBy := compute(t, moneyReq("effective_rate", "2026-01-01", "2026-03-01", "client", "month"))
	near(t, "c-fix Jan effective rate", cell(t, rateBy, "2026-01-01", "c-fix", "value"), 2000.0/10)
	near(t, "c-fix Feb effective rate", cell(t, rateBy, "2026-02-01", "c-fix", "value"), 2000.0/5)
	rateClient := compute(t, moneyReq("effective_rate", "2026-01-01", "2026-03-01", "client", ""))
	near(t, "c-fix effective rate", cell(t, rateClient, "", "c-fix", "value"), 4000.0/15)
}

// TestRevenueGroupsAddUp: revenue and labour cost by client or project, by
// any interval, add up to the ungrouped totals; every group's margin % and
// effective rate are the ratios of its own sums.
func TestRevenueGroupsAddUp(t *testing.T) {
	loadMoney(t)
	cols := []string{"value", "fixed_fees", "retainer_fees", "retainer_overage", "tm_value", "tm_write_offs",
		"tm_write_ups", "labour_cost", "hours"}
	base := moneyReq("revenue", "2026-01-01", "2026-03-01", "", "")
	total := compute(t, base)
	want := map[string]float64{}
	for _, c := range cols {
		want[c] = sumColumn(t, total, c)
	}
	for _, by := range []string{"", "client", "project"} {
		for _, interval := range []string{"", "day", "week", "month"} {
			r := base
			r.GroupBy, r.Interval = by, interval
			res := compute(t, r)
			for _, c := range cols {
				// Fees spread over days are exact to 1e-10 a day.
				if got := sumColumn(t, res, c); math.Abs(got-want[c]) > 1e-6 {
					t.Errorf("revenue by %q/%q: Σ %s = %v, ungrouped %v", by, interval, c, got, want[c])
				}
			}
			pct := r
			pct.KPI = "margin_pct"
			moneyRatios(t, compute(t, pct), "margin", "revenue")
			rate := r
			rate.KPI = "effective_rate"
			moneyRatios(t, compute(t, rate), "revenue", "hours")
		}
	}
}

// TestFixedFeeSpreadInCents: a fixed fee that does not divide evenly over
// its months is spread in cents, the last month taking the rest, so the
// months add up to the fee exactly.
func TestFixedFeeSpreadInCents(t *testing.T) {
	const org = "fee-cents-test"
	p := ingest.Project{Meta: ingest.Meta{Org: org, Source: "api", ExternalID: "p-fix"}, Name: "Launch", ClientID: "c-1",
		Kind: ingest.KindFixedFee, BudgetAmount: pdec("10000"), StartDate: pd("2026-01-01"), EndDate: pd("2026-03-31")}
	write(t, []settings.Settings{{ID: org, Name: "Fee", TimeZone: "UTC", Currency: "EUR"}}, []ingest.Project{p})
	r := metrics.Request{KPI: "revenue", Org: org, From: d("2026-01-01"), To: d("2026-04-01"), Interval: "month"}
	res := compute(t, r)
	// 10,000 ÷ 3 = 3,333.33 in January and February; March takes 10,000 − 6,666.66 = 3,333.34.
	exact(t, "January", cell(t, res, "2026-01-01", "", "value"), "3333.33")
	exact(t, "February", cell(t, res, "2026-02-01", "", "value"), "3333.33")
	exact(t, "March", cell(t, res, "2026-03-01", "", "value"), "3333.34")
	r.Interval = ""
	exact(t, "the quarter", cell(t, compute(t, r), "", "", "value"), "10000")
}

// TestRetainerStartingLater: a range that ends before a retainer (with no
// end date) starts gives that retainer no month at all; its fee counts
// nothing there, and the fixed fee next to it is spread as usual. (With
// the retainer starting the month after the range's last, its month count
// was 0, and the range failed with "Division by zero".)
func TestRetainerStartingLater(t *testing.T) {
	const org = "fee-later-test"
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "api", ExternalID: id} }
	write(t, []settings.Settings{{ID: org, Name: "Later", TimeZone: "UTC", Currency: "EUR"}}, []ingest.Project{
		{Meta: meta("p-ret"), Name: "Later retainer", ClientID: "c-1", Kind: ingest.KindRetainer,
			RetainerFeeMonthly: pdec("5000"), StartDate: pd("2026-03-01")},
		{Meta: meta("p-fix"), Name: "Now", ClientID: "c-1", Kind: ingest.KindFixedFee,
			BudgetAmount: pdec("2000"), StartDate: pd("2026-01-01"), EndDate: pd("2026-02-28")},
	})
	for _, kpi := range []string{"revenue", "margin_pct"} {
		res := compute(t, metrics.Request{KPI: kpi, Org: org, From: d("2026-01-01"), To: d("2026-02-01")})
		if kpi == "revenue" {
			// January: the fixed fee's first of two months, 2,000 ÷ 2 = 1,000; the retainer nothing.
			exact(t, "January revenue", cell(t, res, "", "", "value"), "1000")
		}
	}
}
