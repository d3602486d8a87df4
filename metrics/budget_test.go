package metrics_test

import (
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// The budget scenario (spec kpis.md §7): org "budget-test" in UTC, workdays
// Monday to Friday, org holidays Wed 2026-03-04 and Fri 2026-03-20. testNow is
// Tue 2026-03-10 12:00, so for a request with to after it "now" is Mar 10 and
// cut (the first day not yet used) is Wed Mar 11. Person p1 (bill rate 90).
//
// Projects:
//
//	r-over   retainer, client c-1, 40 h and 4,000 a month, rate 100, since 2025-12-01
//	f-alloc  fixed fee, client c-1, 100 h / 12,000, rate 120, 2026-02-02 to 2026-03-31
//	f-over   fixed fee, client c-2, 20 h, no rate (p1's 90 applies), from 2026-01-05, no end
//	f-ended  fixed fee, client c-2, 10 h, 2026-01-01 to 2026-02-27: over before Feb 28
//	tm       time and materials, client c-2, no budget: never listed
//
// Entries (billable unless said):
//
//	r-over   Jan 14 50 h; Feb 10 39 h, Thu Feb 26 4 h, Sat Feb 28 2 h;
//	         Mar 2 4, Mar 3 4, Mar 5 4, Mar 6 4, Sat Mar 7 5.5, Mon Mar 9 4 and
//	         0.5 non-billable, Tue Mar 10 4; Thu Mar 12 3 h (after now: not used yet)
//	f-alloc  Feb 16 40 h, Mar 3 10 h, Mar 10 10 h
//	f-over   Jan 12 8 h, Jan 20 8 h, Feb 3 8 h
//	f-ended  Jan 5 5 h; tm Mar 3 3 h
//
// Allocations of p1: f-alloc 15 h/week confirmed Mar 9–27, f-alloc 2 h/day
// tentative (50%) Mar 30–Apr 30; r-over 10 h/week Jan 5–Feb 27 (over before
// any March day: r-over is forecast by its burn rate).
//
// Invoice lines of r-over: Jan 31 40 h / 4,000 (January's fee); Feb 27 no
// hours / 4,000 (February's fee: 4,000 × 40 h ÷ 4,000 = 40 h); Mar 2 3 h /
// 300 listing the Feb 28 entry (February's billed overage, dated in March).
//
// March workdays: Mon 2, Tue 3, (Wed 4 holiday), Thu 5, Fri 6, 9–13, 16–19,
// (Fri 20 holiday), 23–27, 30, 31.
const budgetOrg = "budget-test"

var budgetOnce sync.Once

func loadBudget(tb testing.TB) {
	tb.Helper()
	budgetOnce.Do(func() { writeBudget(tb) })
}

func writeBudget(tb testing.TB) {
	tb.Helper()
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: budgetOrg, Source: "api", ExternalID: id} }
	entry := func(project, day, hours string, billable bool) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta("te-" + project + "-" + day + "-" + hours), PersonID: "p1", Date: d(day),
			Hours: dec(hours), ProjectID: project, Billable: billable}
	}
	entries := []ingest.TimeEntry{
		entry("r-over", "2026-01-14", "50", true),
		entry("r-over", "2026-02-10", "39", true),
		entry("r-over", "2026-02-26", "4", true),
		entry("r-over", "2026-02-28", "2", true),
		entry("r-over", "2026-03-02", "4", true),
		entry("r-over", "2026-03-03", "4", true),
		entry("r-over", "2026-03-05", "4", true),
		entry("r-over", "2026-03-06", "4", true),
		entry("r-over", "2026-03-07", "5.5", true),
		entry("r-over", "2026-03-09", "4", true),
		entry("r-over", "2026-03-09", "0.5", false),
		entry("r-over", "2026-03-10", "4", true),
		entry("r-over", "2026-03-12", "3", true),
		entry("f-alloc", "2026-02-16", "40", true),
		entry("f-alloc", "2026-03-03", "10", true),
		entry("f-alloc", "2026-03-10", "10", true),
		entry("f-over", "2026-01-12", "8", true),
		entry("f-over", "2026-01-20", "8", true),
		entry("f-over", "2026-02-03", "8", true),
		entry("f-ended", "2026-01-05", "5", true),
		entry("tm", "2026-03-03", "3", true),
	}
	project := func(id, client, kind string) ingest.Project {
		return ingest.Project{Meta: meta(id), Name: id, ClientID: client, Kind: kind, BillableDefault: true}
	}
	rOver := project("r-over", "c-1", ingest.KindRetainer)
	rOver.BillRate, rOver.RetainerHoursMonthly, rOver.RetainerFeeMonthly, rOver.StartDate = pdec("100"), pdec("40"), pdec("4000"), pd("2025-12-01")
	fAlloc := project("f-alloc", "c-1", ingest.KindFixedFee)
	fAlloc.BillRate, fAlloc.BudgetHours, fAlloc.BudgetAmount = pdec("120"), pdec("100"), pdec("12000")
	fAlloc.StartDate, fAlloc.EndDate = pd("2026-02-02"), pd("2026-03-31")
	fOver := project("f-over", "c-2", ingest.KindFixedFee)
	fOver.BudgetHours, fOver.StartDate = pdec("20"), pd("2026-01-05")
	fEnded := project("f-ended", "c-2", ingest.KindFixedFee)
	fEnded.BudgetHours, fEnded.StartDate, fEnded.EndDate = pdec("10"), pd("2026-01-01"), pd("2026-02-27")
	tm := project("tm", "c-2", ingest.KindTM)
	tm.BillRate = pdec("150")

	alloc := func(id, project, from, to string, perWeek, perDay *decimal.Decimal, status, probability string) ingest.Allocation {
		return ingest.Allocation{Meta: meta(id), PersonID: "p1", ProjectID: project, StartDate: d(from), EndDate: d(to),
			HoursPerWeek: perWeek, HoursPerDay: perDay, Status: status, Probability: dec(probability)}
	}
	write(tb,
		[]settings.Settings{{ID: budgetOrg, Name: "Budget test", TimeZone: "UTC", Currency: "USD"}},
		[]ingest.Holiday{{Org: budgetOrg, Date: d("2026-03-04"), Name: "Founders' day"}, {Org: budgetOrg, Date: d("2026-03-20"), Name: "Spring day"}},
		[]ingest.Person{{Meta: meta("p1"), ValidFrom: d("2025-01-01"), Name: "P1", Role: "designer",
			WeeklyCapacityHours: dec("40"), BillRate: pdec("90"), CostRate: pdec("50")}},
		[]ingest.Client{{Meta: meta("c-1"), Name: "C1"}, {Meta: meta("c-2"), Name: "C2"}},
		[]ingest.Project{rOver, fAlloc, fOver, fEnded, tm},
		entries,
		[]ingest.Allocation{
			alloc("al-1", "f-alloc", "2026-03-09", "2026-03-27", pdec("15"), nil, ingest.Confirmed, "1"),
			alloc("al-2", "f-alloc", "2026-03-30", "2026-04-30", nil, pdec("2"), ingest.Tentative, "0.5"),
			alloc("al-3", "r-over", "2026-01-05", "2026-02-27", pdec("10"), nil, ingest.Confirmed, "1"),
		},
		[]ingest.InvoiceLine{
			{Meta: meta("il-jan"), InvoiceID: "inv-1", ClientID: "c-1", ProjectID: "r-over", Date: d("2026-01-31"),
				Hours: pdec("40"), Amount: dec("4000")},
			{Meta: meta("il-feb"), InvoiceID: "inv-2", ClientID: "c-1", ProjectID: "r-over", Date: d("2026-02-27"),
				Amount: dec("4000")},
			{Meta: meta("il-feb-over"), InvoiceID: "inv-3", ClientID: "c-1", ProjectID: "r-over", Date: d("2026-03-02"),
				Hours: pdec("3"), Amount: dec("300"), TimeEntryIDs: []string{"te-r-over-2026-02-28-2"}},
		},
	)
}

func budgetReq(kpi, from, to, by string) metrics.Request {
	return metrics.Request{KPI: kpi, Org: budgetOrg, From: d(from), To: d(to), GroupBy: by}
}

// March: the period containing Mar 31 (to − 1), as of Mar 10.
func TestBudgetUsedAndRemaining(t *testing.T) {
	loadBudget(t)
	res := compute(t, budgetReq("budget_used", "2026-03-01", "2026-04-01", "project"))
	if len(res.Rows) != 3 {
		t.Fatalf("budget_used by project: %d rows, want 3 (r-over, f-alloc, f-over; not f-ended or tm): %v", len(res.Rows), res.Rows)
	}
	// r-over, March: 4+4+4+4+5.5+4+0.5+4 = 30 h (Mar 12 is after now); value: the
	// 29.5 billable hours × 100 = 2,950; budget 40 h and 4,000 (the retainer's month).
	exact(t, "r-over used", cell(t, res, "", "r-over", "value"), "30")
	exact(t, "r-over used_value", cell(t, res, "", "r-over", "used_value"), "2950")
	exact(t, "r-over budget_hours", cell(t, res, "", "r-over", "budget_hours"), "40")
	exact(t, "r-over budget_amount", cell(t, res, "", "r-over", "budget_amount"), "4000")
	equalText(t, "r-over period_start", cell(t, res, "", "r-over", "period_start"), "2026-03-01")
	equalText(t, "r-over period_end", cell(t, res, "", "r-over", "period_end"), "2026-04-01")
	// f-alloc, its whole life: 40 + 10 + 10 = 60 h × 120 = 7,200.
	exact(t, "f-alloc used", cell(t, res, "", "f-alloc", "value"), "60")
	exact(t, "f-alloc used_value", cell(t, res, "", "f-alloc", "used_value"), "7200")
	equalText(t, "f-alloc period_start", cell(t, res, "", "f-alloc", "period_start"), "2026-02-02")
	equalText(t, "f-alloc period_end", cell(t, res, "", "f-alloc", "period_end"), "2026-04-01")
	// f-over: 8 + 8 + 8 = 24 h at p1's rate 90 (no entry or project rate) = 2,160; no end.
	exact(t, "f-over used", cell(t, res, "", "f-over", "value"), "24")
	exact(t, "f-over used_value", cell(t, res, "", "f-over", "used_value"), "2160")
	if got := cell(t, res, "", "f-over", "period_end"); got != "" {
		t.Errorf("f-over period_end = %q, want null (no end date)", got)
	}
	if got := cell(t, res, "", "f-over", "budget_amount"); got != "" {
		t.Errorf("f-over budget_amount = %q, want null", got)
	}

	all := compute(t, budgetReq("budget_used", "2026-03-01", "2026-04-01", ""))
	// 30 + 60 + 24 = 114 h of 40 + 100 + 20 = 160; 2,950 + 7,200 + 2,160 = 12,310.
	exact(t, "all used", cell(t, all, "", "", "value"), "114")
	exact(t, "all budget_hours", cell(t, all, "", "", "budget_hours"), "160")
	exact(t, "all budget_amount", cell(t, all, "", "", "budget_amount"), "16000")
	exact(t, "all used_value", cell(t, all, "", "", "used_value"), "12310")
	near(t, "all used_ratio", cell(t, all, "", "", "used_ratio"), 114.0/160) // 0.7125
	exact(t, "all projects", cell(t, all, "", "", "projects"), "3")

	rem := compute(t, budgetReq("budget_remaining", "2026-03-01", "2026-04-01", "project"))
	exact(t, "r-over remaining", cell(t, rem, "", "r-over", "value"), "10")                     // 40 − 30
	exact(t, "r-over remaining_amount", cell(t, rem, "", "r-over", "remaining_amount"), "1050") // 4,000 − 2,950
	exact(t, "f-alloc remaining", cell(t, rem, "", "f-alloc", "value"), "40")                   // 100 − 60
	exact(t, "f-over remaining", cell(t, rem, "", "f-over", "value"), "-4")                     // 20 − 24: overrun
	if got := cell(t, rem, "", "f-over", "remaining_amount"); got != "" {
		t.Errorf("f-over remaining_amount = %q, want null (no money budget)", got)
	}
	byClient := compute(t, budgetReq("budget_remaining", "2026-03-01", "2026-04-01", "client"))
	exact(t, "c-1 remaining", cell(t, byClient, "", "c-1", "value"), "50")                     // 10 + 40
	exact(t, "c-1 remaining_amount", cell(t, byClient, "", "c-1", "remaining_amount"), "5850") // 1,050 + 4,800
	exact(t, "c-2 remaining", cell(t, byClient, "", "c-2", "value"), "-4")

	// February (to = Mar 1: cut = Mar 1): r-over's period is February, 39 + 4 + 2 = 45 h.
	feb := compute(t, budgetReq("budget_remaining", "2026-02-01", "2026-03-01", "project"))
	exact(t, "r-over Feb remaining", cell(t, feb, "", "r-over", "value"), "-5") // 40 − 45
	if len(feb.Rows) != 3 {
		t.Errorf("February: %d rows, want 3 (f-ended ended Feb 27, before Feb 28)", len(feb.Rows))
	}
}

func TestBurnRate(t *testing.T) {
	loadBudget(t)
	res := compute(t, budgetReq("burn_rate", "2026-03-01", "2026-04-01", "project"))
	// Window [Feb 25, Mar 11): workdays Feb 25, 26, 27, Mar 2, 3, 5, 6, 9, 10 = 9
	// (Mar 4 is a holiday, the weekends are not workdays). r-over logged Feb 26 4,
	// Sat Feb 28 2, Mar 2 4, 3 4, 5 4, 6 4, Sat Mar 7 5.5, Mar 9 4.5, Mar 10 4 = 36 h,
	// weekend hours included: 36 ÷ 9 = 4 h per workday.
	exact(t, "r-over burn", cell(t, res, "", "r-over", "value"), "4")
	exact(t, "r-over window_hours", cell(t, res, "", "r-over", "window_hours"), "36")
	exact(t, "r-over window_workdays", cell(t, res, "", "r-over", "window_workdays"), "9")
	equalText(t, "r-over window_start", cell(t, res, "", "r-over", "window_start"), "2026-02-25")
	equalText(t, "r-over window_end", cell(t, res, "", "r-over", "window_end"), "2026-03-11")
	// f-alloc: Mar 3 10 + Mar 10 10 = 20 h ÷ 9 = 2.2222222222 (10 decimals).
	exact(t, "f-alloc burn", cell(t, res, "", "f-alloc", "value"), "2.2222222222")
	// f-over: nothing logged in the window: 0 ÷ 9 = 0.
	exact(t, "f-over burn", cell(t, res, "", "f-over", "value"), "0")
	byClient := compute(t, budgetReq("burn_rate", "2026-03-01", "2026-04-01", "client"))
	exact(t, "c-1 burn", cell(t, byClient, "", "c-1", "value"), "6.2222222222") // 4 + 2.2222222222

	// February: window [Feb 15, Mar 1), workdays Feb 16–20 and 23–27 = 10;
	// r-over Feb 26 4 + Sat Feb 28 2 = 6 h → 0.6; f-alloc Feb 16 40 h → 4.
	feb := compute(t, budgetReq("burn_rate", "2026-02-01", "2026-03-01", "project"))
	exact(t, "r-over Feb burn", cell(t, feb, "", "r-over", "value"), "0.6")
	exact(t, "f-alloc Feb burn", cell(t, feb, "", "f-alloc", "value"), "4")
}

func TestForecastAndOverage(t *testing.T) {
	loadBudget(t)
	res := compute(t, budgetReq("forecast_at_period_end", "2026-03-01", "2026-04-01", "project"))
	// Remaining workdays [Mar 11, Apr 1): Mar 11, 12, 13, 16, 17, 18, 19, 23–27, 30, 31 = 14
	// (Mar 20 is a holiday).
	// r-over: its only allocation ended Feb 27, so by burn rate: 30 + 4 × 14 = 86.
	exact(t, "r-over forecast", cell(t, res, "", "r-over", "value"), "86")
	equalText(t, "r-over method", cell(t, res, "", "r-over", "method"), "burn_rate")
	exact(t, "r-over remaining_workdays", cell(t, res, "", "r-over", "remaining_workdays"), "14")
	// f-alloc, by allocations: 15 h/week = 3 h per workday on Mar 11–13, 16–19, 23–27
	// (12 workdays in [Mar 11, Mar 27]) = 36, plus 2 h/day × 50% on Mar 30 and 31 = 2:
	// scheduled 38; forecast 60 + 38 = 98 (its burn rate would have given
	// 60 + 2.2222222222 × 14 = 91.11).
	exact(t, "f-alloc forecast", cell(t, res, "", "f-alloc", "value"), "98")
	equalText(t, "f-alloc method", cell(t, res, "", "f-alloc", "method"), "allocations")
	exact(t, "f-alloc scheduled", cell(t, res, "", "f-alloc", "scheduled_hours"), "38")
	// f-over has no end date: no period end to forecast to.
	if got := cell(t, res, "", "f-over", "value"); got != "" {
		t.Errorf("f-over forecast = %q, want null (open-ended)", got)
	}
	equalText(t, "f-over method", cell(t, res, "", "f-over", "method"), "")

	ov := compute(t, budgetReq("overage_forecast", "2026-03-01", "2026-04-01", "project"))
	exact(t, "r-over overage", cell(t, ov, "", "r-over", "value"), "46")  // 86 − 40
	exact(t, "f-alloc overage", cell(t, ov, "", "f-alloc", "value"), "0") // 98 < 100: not positive
	if got := cell(t, ov, "", "f-over", "value"); got != "" {
		t.Errorf("f-over overage = %q, want null (no forecast)", got)
	}
	all := compute(t, budgetReq("overage_forecast", "2026-03-01", "2026-04-01", ""))
	exact(t, "overage total", cell(t, all, "", "", "value"), "46") // 46 + 0; f-alloc's 2 h to spare do not offset it
	exact(t, "over_projects", cell(t, all, "", "", "over_projects"), "1")
	equalText(t, "method mixed", cell(t, all, "", "", "method"), "mixed")

	// February (cut Mar 1): r-over's month is over (0 workdays left) and its
	// allocation ended Feb 27: forecast = used 45, overage 45 − 40 = 5.
	// f-alloc: used 40 + scheduled 3 h × 14 workdays (Mar 9–13, 16–19, 23–27) + 2 = 84.
	feb := compute(t, budgetReq("overage_forecast", "2026-02-01", "2026-03-01", "project"))
	exact(t, "r-over Feb forecast", cell(t, feb, "", "r-over", "forecast_hours"), "45")
	exact(t, "r-over Feb overage", cell(t, feb, "", "r-over", "value"), "5")
	exact(t, "f-alloc Feb forecast", cell(t, feb, "", "f-alloc", "forecast_hours"), "84")
}

func TestProjectedExhaustionDate(t *testing.T) {
	loadBudget(t)
	res := compute(t, budgetReq("projected_exhaustion_date", "2026-03-01", "2026-04-01", "project"))
	// r-over: 40 − 30 = 10 h left at 4 h per workday: ceil(10 ÷ 4) = 3 workdays from
	// Mar 11: Mar 11, 12, 13 → Fri Mar 13, 3 days after Mar 10.
	equalText(t, "r-over exhaustion", cell(t, res, "", "r-over", "value"), "2026-03-13")
	exact(t, "r-over days_left", cell(t, res, "", "r-over", "days_left"), "3")
	exact(t, "r-over workdays_left", cell(t, res, "", "r-over", "workdays_left"), "3")
	// f-alloc: 40 h left at 20/9 h per workday: ceil(40 × 9 ÷ 20) = 18 workdays, but only
	// 14 are left in the period: it does not run out.
	if got := cell(t, res, "", "f-alloc", "value"); got != "" {
		t.Errorf("f-alloc exhaustion = %q, want null (lasts past Mar 31)", got)
	}
	// f-over is over already: cumulative 8 (Jan 12), 16 (Jan 20), 24 (Feb 3) ≥ 20 on Feb 3,
	// 35 days before Mar 10.
	equalText(t, "f-over exhaustion", cell(t, res, "", "f-over", "value"), "2026-02-03")
	exact(t, "f-over days_left", cell(t, res, "", "f-over", "days_left"), "-35")
	exact(t, "f-over exhausted", cell(t, res, "", "f-over", "exhausted"), "1")

	byClient := compute(t, budgetReq("projected_exhaustion_date", "2026-03-01", "2026-04-01", "client"))
	equalText(t, "c-1 exhaustion", cell(t, byClient, "", "c-1", "value"), "2026-03-13") // earliest of Mar 13 and none
	equalText(t, "c-2 exhaustion", cell(t, byClient, "", "c-2", "value"), "2026-02-03")

	// February: r-over reached 40 h on Feb 26 (39 on Feb 10, 43 on Feb 26).
	feb := compute(t, budgetReq("projected_exhaustion_date", "2026-02-01", "2026-03-01", "project"))
	equalText(t, "r-over Feb exhaustion", cell(t, feb, "", "r-over", "value"), "2026-02-26")
}

func TestOverServiceHours(t *testing.T) {
	loadBudget(t)
	req := budgetReq("over_service_hours", "2026-01-01", "2026-04-01", "project")
	req.Interval = "month"
	res := compute(t, req)
	// January: 50 billable − 40 contracted; the Jan 31 line bills 40 h, no overage: 10.
	exact(t, "Jan over-service", cell(t, res, "2026-01-01", "r-over", "value"), "10")
	exact(t, "Jan billed overage", cell(t, res, "2026-01-01", "r-over", "billed_overage_hours"), "0")
	// February: 39 + 4 + 2 = 45 billable; invoiced 40 (4,000 × 40 ÷ 4,000, a line with
	// no hours) + 3 (the Mar 2 line lists the Feb 28 entry, so it is February's) = 43,
	// 3 of them overage: 45 − 40 − 3 = 2.
	exact(t, "Feb billable", cell(t, res, "2026-02-01", "r-over", "billable_hours"), "45")
	exact(t, "Feb invoiced", cell(t, res, "2026-02-01", "r-over", "invoiced_hours"), "43")
	exact(t, "Feb over-service", cell(t, res, "2026-02-01", "r-over", "value"), "2")
	// March is not closed at Mar 10: no row.
	if len(res.Rows) != 2 {
		t.Errorf("over_service_hours: %d rows, want January and February only: %v", len(res.Rows), res.Rows)
	}
	all := compute(t, budgetReq("over_service_hours", "2026-01-15", "2026-03-01", ""))
	// [Jan 15, Mar 1) touches January and February: 10 + 2.
	exact(t, "over-service total", cell(t, all, "", "", "value"), "12")
	exact(t, "retainer months", cell(t, all, "", "", "months"), "2")
}

// equalText checks a cell that is not a number (a date, a method name) exactly.
func equalText(tb testing.TB, what, got, want string) {
	tb.Helper()
	if got != want {
		tb.Errorf("%s = %q, want %q", what, got, want)
	}
}
