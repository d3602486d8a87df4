package metrics_test

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// The money scenario (spec kpis.md §4 and §6): org "money-test" in UTC, with
// an overhead of 10 per hour, over January and February 2026. testNow is
// 2026-03-10, so January and February are closed months and March is not.
//
// Rates (effective-dated):
//
//	designer  bill 100, cost 40 from 2025-01-01; bill 120 from 2026-01-16 (a role rate change mid-January)
//	developer bill 150, cost 60 from 2025-01-01
//	ana       designer throughout, no rates of her own
//	ben       developer; a new version from 2026-02-01 gives him his own bill 200 and cost 80
//
// Projects (none has a bill rate of its own, so role and person rates apply):
//
//	p-tm   time and materials, client c-tm
//	p-ret  retainer, client c-ret, 10 h and 1,500 a month, since 2025-06-01
//	p-fix  fixed fee, client c-fix, 6,000 from 2026-01-10 to 2026-03-20: January,
//	       February and March, 2,000 a month
//	p-int  internal, no client
//
// Entries (id, person, date, hours at rate = standard value, status):
//
//	p-tm   tm-a1 ana Jan 12  5 h × 100 =   500 billed, on invoice line L1
//	       tm-a2 ana Jan 20  5 h × 120 =   600 billed, on invoice line L1
//	       tm-a3 ana Jan 14  2 h × 100 =   200 written off (adj-3 gives it internal_error)
//	       tm-b1 ben Jan 22  4 h × 150 =   600 unbilled (ingested twice)
//	       tm-b2 ben Feb 10  3 h × 200 =   600 billed, billed_amount 600
//	       tm-b3 ben Feb 11  2 h × 200 =   400 billed, billed_amount 350
//	       tm-a4 ana Feb 3   1 h not billable
//	       tm-gone ana Jan 26 8 h written off, then tombstoned: gone
//	p-ret  ret-a1 ana Jan 5  4 h × 100 =   400 billed, billed_amount 0 (a retainer's is not compared)
//	       ret-a2 ana Jan 12 4 h × 100 =   400 billed
//	       ret-a3 ana Jan 19 4 h × 120 =   480 unbilled
//	       ret-a4 ana Jan 20 1 h × 120 =   120 written off
//	       ret-b1 ben Feb 2  6 h × 200 = 1,200 billed
//	       ret-b2 ben Feb 9  6 h × 200 = 1,200 billed as overage on invoice line L2
//	       ret-a5 ana Mar 2 12 h × 120        unbilled (March is not closed)
//	p-fix  fix-b1 ben Jan 15 10 h × 150 = 1,500 billed, billed_amount 500 (a fixed fee's is not compared)
//	       fix-a1 ana Feb 16  5 h × 120 =   600 unbilled
//	p-int  int-a1 ana Jan 7 3 h, int-b1 ben Feb 4 2 h, not billable
//
// Invoice lines: L1 bills 880 for tm-a1 and tm-a2 (1,100 of work: 80%, so they
// are billed 400 and 480); L2 bills 1,200 for ret-b2; two lines with no
// entries (the retainer's January fee, a fixed-fee instalment) change nothing.
//
// Adjustments:
//
//	adj-1 write_off p-tm  Feb 5   amount 300            goodwill
//	adj-2 write_off p-tm  Jan 28  2 h, person ben        estimate_overrun (2 × ben's 150 = 300)
//	adj-3 write_off names tm-a3 (written off already), amount 200, internal_error: adds nothing
//	adj-4 write_up  p-tm  Feb 12  amount 100             other
//	adj-5 write_off p-ret Jan 30  1 h, person ana        over_service (1 × ana's 120 = 120)
//	adj-6 write_off p-fix Feb 20  amount 400             estimate_overrun
//	adj-7 write_off names tm-b2, dated Mar 3, amount 100 internal_error: the work is Feb 10's
const moneyOrg = "money-test"

var moneyOnce sync.Once

func loadMoney(tb testing.TB) {
	tb.Helper()
	moneyOnce.Do(func() { writeMoney(tb) })
}

func writeMoney(tb testing.TB) {
	tb.Helper()
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: moneyOrg, Source: "api", ExternalID: id} }
	entry := func(id, person, project, day, hours string, billable bool, status string) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta(id), PersonID: person, ProjectID: project, Date: d(day), Hours: dec(hours),
			Billable: billable, BillingStatus: status}
	}
	billed := func(e ingest.TimeEntry, invoice, amount string) ingest.TimeEntry {
		e.InvoiceID, e.BilledAmount = invoice, pdec(amount)
		return e
	}
	entries := []ingest.TimeEntry{
		billed(entry("tm-a1", "ana", "p-tm", "2026-01-12", "5", true, ingest.Billed), "INV-1", "500"),
		billed(entry("tm-a2", "ana", "p-tm", "2026-01-20", "5", true, ingest.Billed), "INV-1", "600"),
		entry("tm-a3", "ana", "p-tm", "2026-01-14", "2", true, ingest.WrittenOff),
		entry("tm-b1", "ben", "p-tm", "2026-01-22", "4", true, ingest.Unbilled),
		billed(entry("tm-b2", "ben", "p-tm", "2026-02-10", "3", true, ingest.Billed), "INV-3", "600"),
		billed(entry("tm-b3", "ben", "p-tm", "2026-02-11", "2", true, ingest.Billed), "INV-3", "350"),
		entry("tm-a4", "ana", "p-tm", "2026-02-03", "1", false, ingest.Unbilled),
		billed(entry("ret-a1", "ana", "p-ret", "2026-01-05", "4", true, ingest.Billed), "INV-1", "0"),
		billed(entry("ret-a2", "ana", "p-ret", "2026-01-12", "4", true, ingest.Billed), "INV-1", "400"),
		entry("ret-a3", "ana", "p-ret", "2026-01-19", "4", true, ingest.Unbilled),
		entry("ret-a4", "ana", "p-ret", "2026-01-20", "1", true, ingest.WrittenOff),
		billed(entry("ret-b1", "ben", "p-ret", "2026-02-02", "6", true, ingest.Billed), "INV-2", "1200"),
		billed(entry("ret-b2", "ben", "p-ret", "2026-02-09", "6", true, ingest.Billed), "INV-2", "1200"),
		entry("ret-a5", "ana", "p-ret", "2026-03-02", "12", true, ingest.Unbilled),
		billed(entry("fix-b1", "ben", "p-fix", "2026-01-15", "10", true, ingest.Billed), "INV-1", "500"),
		entry("fix-a1", "ana", "p-fix", "2026-02-16", "5", true, ingest.Unbilled),
		entry("int-a1", "ana", "p-int", "2026-01-07", "3", false, ingest.Unbilled),
		entry("int-b1", "ben", "p-int", "2026-02-04", "2", false, ingest.Unbilled),
	}
	gone := entry("tm-gone", "ana", "p-tm", "2026-01-26", "8", true, ingest.WrittenOff)

	project := func(id, client, kind string) ingest.Project {
		return ingest.Project{Meta: meta(id), Name: id, ClientID: client, Kind: kind, BillableDefault: kind != ingest.KindInternal}
	}
	ret := project("p-ret", "c-ret", ingest.KindRetainer)
	ret.RetainerHoursMonthly, ret.RetainerFeeMonthly, ret.StartDate = pdec("10"), pdec("1500"), pd("2025-06-01")
	fix := project("p-fix", "c-fix", ingest.KindFixedFee)
	fix.BudgetAmount, fix.StartDate, fix.EndDate = pdec("6000"), pd("2026-01-10"), pd("2026-03-20")

	person := func(id, from, role, team string) ingest.Person {
		return ingest.Person{Meta: meta(id), ValidFrom: d(from), Name: id, Role: role, Team: team,
			WeeklyCapacityHours: dec("40"), StartDate: pd("2025-01-01")}
	}
	ben2 := person("ben", "2026-02-01", "developer", "Tech")
	ben2.BillRate, ben2.CostRate = pdec("200"), pdec("80")

	adj := func(id, kind, client, project, person, entryID, day, reason string, hours, amount string) ingest.Adjustment {
		a := ingest.Adjustment{Meta: meta(id), Kind: kind, ClientID: client, ProjectID: project, PersonID: person,
			TimeEntryID: entryID, Date: d(day), Reason: reason}
		if hours != "" {
			a.Hours = pdec(hours)
		}
		if amount != "" {
			a.Amount = pdec(amount)
		}
		return a
	}
	line := func(id, invoice, client, project, day, amount string, ids ...string) ingest.InvoiceLine {
		return ingest.InvoiceLine{Meta: meta(id), InvoiceID: invoice, ClientID: client, ProjectID: project, Date: d(day),
			Amount: dec(amount), TimeEntryIDs: ids}
	}
	write(tb,
		[]settings.Settings{{ID: moneyOrg, Name: "Money test", TimeZone: "UTC", Currency: "USD", OverheadPerHour: dec("10")}},
		[]ingest.Role{
			{Org: moneyOrg, Role: "designer", ValidFrom: d("2025-01-01"), BillRate: pdec("100"), CostRate: pdec("40")},
			{Org: moneyOrg, Role: "designer", ValidFrom: d("2026-01-16"), BillRate: pdec("120"), CostRate: pdec("40")},
			{Org: moneyOrg, Role: "developer", ValidFrom: d("2025-01-01"), BillRate: pdec("150"), CostRate: pdec("60")},
		},
		[]ingest.Person{person("ana", "2025-01-01", "designer", "Studio"), person("ben", "2025-01-01", "developer", "Tech"), ben2},
		[]ingest.Client{{Meta: meta("c-tm"), Name: "TM"}, {Meta: meta("c-ret"), Name: "Retainer"}, {Meta: meta("c-fix"), Name: "Fixed"}},
		[]ingest.Project{project("p-tm", "c-tm", ingest.KindTM), ret, fix, project("p-int", "", ingest.KindInternal)},
		entries,
		entries[3:4], // tm-b1 again: a re-ingested duplicate, counted once
		[]ingest.TimeEntry{gone},
		[]ingest.InvoiceLine{
			line("L1", "INV-1", "c-tm", "p-tm", "2026-02-01", "880", "tm-a1", "tm-a2"),
			line("L2", "INV-2", "c-ret", "p-ret", "2026-03-01", "1200", "ret-b2"),
			line("L-fee", "INV-1", "c-ret", "p-ret", "2026-02-01", "1500"),
			line("L-fix", "INV-1", "c-fix", "p-fix", "2026-02-01", "2000"),
		},
		[]ingest.Adjustment{
			adj("adj-1", ingest.WriteOff, "c-tm", "p-tm", "", "", "2026-02-05", "goodwill", "", "300"),
			adj("adj-2", ingest.WriteOff, "c-tm", "p-tm", "ben", "", "2026-01-28", "estimate_overrun", "2", ""),
			adj("adj-3", ingest.WriteOff, "c-tm", "p-tm", "", "tm-a3", "2026-01-31", "internal_error", "", "200"),
			adj("adj-4", ingest.WriteUp, "c-tm", "p-tm", "", "", "2026-02-12", "other", "", "100"),
			adj("adj-5", ingest.WriteOff, "c-ret", "p-ret", "ana", "", "2026-01-30", "over_service", "1", ""),
			adj("adj-6", ingest.WriteOff, "c-fix", "p-fix", "", "", "2026-02-20", "estimate_overrun", "", "400"),
			adj("adj-7", ingest.WriteOff, "c-tm", "", "", "tm-b2", "2026-03-03", "internal_error", "", "100"),
		},
	)
	gone.Deleted = true
	write(tb, []ingest.TimeEntry{gone})
}

func moneyReq(kpi, from, to, by, interval string) metrics.Request {
	return metrics.Request{KPI: kpi, Org: moneyOrg, From: d(from), To: d(to), GroupBy: by, Interval: interval}
}

func TestWriteOffValue(t *testing.T) {
	loadMoney(t)
	res := compute(t, moneyReq("write_off_value", "2026-01-01", "2026-03-01", "", "month"))

	// January.
	// (a) written-off entries: tm-a3 2 h × 100 = 200; ret-a4 1 h × 120 = 120: 320.
	//     (tm-gone's 8 h were tombstoned: not counted.)
	// (c) invoice line L1 bills 880 for 500 + 600 = 1,100: tm-a1 billed 500 × 0.8 = 400
	//     (100 off), tm-a2 600 × 0.8 = 480 (120 off): 220. ret-a1 (billed_amount 0) and
	//     fix-b1 (500 for 1,500) are retainer and fixed-fee work: not compared.
	// (b) adj-2 2 h × ben's developer rate 150 = 300; adj-5 1 h × ana's designer rate on
	//     Jan 30, 120 = 120; adj-3 names tm-a3, written off already: 0. 420.
	// Over-service: ret-a1 4 + ret-a2 4 + ret-a3 4 = 12 h (ret-a4 is written off), over
	//     10 contracted + 1 h recorded by adj-5 = 11: 1 h of ret-a3 (the last logged),
	//     at 120: 120.
	// Total 320 + 220 + 420 + 120 = 1,080.
	jan := "2026-01-01"
	exact(t, "Jan entries", cell(t, res, jan, "", "entries"), "320")
	exact(t, "Jan invoices", cell(t, res, jan, "", "invoices"), "220")
	exact(t, "Jan adjustments", cell(t, res, jan, "", "adjustments"), "420")
	exact(t, "Jan over-service", cell(t, res, jan, "", "over_service"), "120")
	exact(t, "Jan write-off value", cell(t, res, jan, "", "value"), "1080")
	// Hours: (a) 2 + 1; (c) 100 ÷ 100 + 120 ÷ 120 = 2; (b) 2 + 1; over-service 1: 9.
	exact(t, "Jan write-off hours", cell(t, res, jan, "", "write_off_hours"), "9")
	exact(t, "Jan write-ups", cell(t, res, jan, "", "write_up_value"), "0")

	// February.
	// (a) none. (c) tm-b3 billed_amount 350 for 2 h × ben's own 200 = 400: 50 (tm-b2's
	//     600 is its full value; ret-b2 is on L2 at its full 1,200).
	// (b) adj-1 300; adj-6 400 (fixed-fee work still counts as written off); adj-7 100,
	//     dated Mar 3 but naming tm-b2 of Feb 10: 800. adj-4 is a write-up of 100.
	// Over-service: ret-b1 6 h (ret-b2 is billed as overage): under 10, none.
	// Total 50 + 800 = 850. Hours: 50 ÷ 200 = 0.25; adj-7 100 ÷ 200 = 0.5 (adj-1 and
	// adj-6 name no person and their projects have no rate: 0 h): 0.75.
	feb := "2026-02-01"
	exact(t, "Feb entries", cell(t, res, feb, "", "entries"), "0")
	exact(t, "Feb invoices", cell(t, res, feb, "", "invoices"), "50")
	exact(t, "Feb adjustments", cell(t, res, feb, "", "adjustments"), "800")
	exact(t, "Feb over-service", cell(t, res, feb, "", "over_service"), "0")
	exact(t, "Feb write-off value", cell(t, res, feb, "", "value"), "850")
	exact(t, "Feb write-off hours", cell(t, res, feb, "", "write_off_hours"), "0.75")
	exact(t, "Feb write-ups", cell(t, res, feb, "", "write_up_value"), "100")

	// The whole range: 1,080 + 850 = 1,930.
	total := compute(t, moneyReq("write_off_value", "2026-01-01", "2026-03-01", "", ""))
	exact(t, "total", cell(t, total, "", "", "value"), "1930")

	// By client: c-tm 200 + 100 + 120 + 300 + 50 + 300 + 100 = 1,170; c-ret 120 (ret-a4)
	// + 120 (adj-5) + 120 (over-service) = 360; c-fix 400 (adj-6).
	byClient := compute(t, moneyReq("write_off_value", "2026-01-01", "2026-03-01", "client", ""))
	exact(t, "c-tm", cell(t, byClient, "", "c-tm", "value"), "1170")
	exact(t, "c-ret", cell(t, byClient, "", "c-ret", "value"), "360")
	exact(t, "c-fix", cell(t, byClient, "", "c-fix", "value"), "400")
	// By person: ana 200 + 120 + 100 + 120 + 120 (over-service on ret-a3) + 120 (adj-5)
	// = 780; ben 300 (adj-2) + 50 (tm-b3) + 100 (adj-7 through tm-b2) = 450; adj-1 and
	// adj-6 name nobody: 700.
	byPerson := compute(t, moneyReq("write_off_value", "2026-01-01", "2026-03-01", "person", ""))
	exact(t, "ana", cell(t, byPerson, "", "ana", "value"), "780")
	exact(t, "ben", cell(t, byPerson, "", "ben", "value"), "450")
	exact(t, "nobody", cell(t, byPerson, "", "", "value"), "700")

	// Filters: team Studio is ana's 780 (an adjustment with no person has no team);
	// client c-ret is 360.
	studio := moneyReq("write_off_value", "2026-01-01", "2026-03-01", "", "")
	studio.Filters = map[string]string{"team": "Studio"}
	exact(t, "team Studio", cell(t, compute(t, studio), "", "", "value"), "780")
	cRet := moneyReq("write_off_value", "2026-01-01", "2026-03-01", "", "")
	cRet.Filters = map[string]string{"client": "c-ret"}
	exact(t, "client c-ret", cell(t, compute(t, cRet), "", "", "value"), "360")

	// A range inside January still judges the whole retainer month: Jan 15 to Feb 1
	// holds ret-a3's 1 h of over-service (120), though ret-a1 and ret-a2 fall before it.
	late := compute(t, moneyReq("write_off_value", "2026-01-15", "2026-02-01", "", ""))
	exact(t, "late January over-service", cell(t, late, "", "", "over_service"), "120")

	// March is not closed at testNow: ret-a5's 12 h over 10 are not over-service yet,
	// and adj-7 (dated Mar 3) belongs to February: nothing written off.
	march := compute(t, moneyReq("write_off_value", "2026-03-01", "2026-04-01", "", ""))
	exact(t, "March write-off value", cell(t, march, "", "", "value"), "0")
}

func TestWriteOffByReason(t *testing.T) {
	loadMoney(t)
	res := compute(t, moneyReq("write_off_by_reason", "2026-01-01", "2026-03-01", "", ""))
	// internal_error: tm-a3 200 (its reason from adj-3) + adj-7 100 = 300.
	// other: ret-a4 120 (written off with no reason) + invoices 100 + 120 + 50 = 390.
	// estimate_overrun: adj-2 300 + adj-6 400 = 700.
	// over_service: the computed 120 + adj-5 120 = 240.
	// goodwill: adj-1 300.
	// 300 + 390 + 700 + 240 + 300 = 1,930, the write_off_value.
	want := map[string]string{"internal_error": "300", "other": "390", "estimate_overrun": "700",
		"over_service": "240", "goodwill": "300"}
	for reason, v := range want {
		exact(t, reason, rowCell(t, res, map[string]string{"reason": reason}, "value"), v)
	}
	if len(res.Rows) != len(want) {
		t.Errorf("write_off_by_reason: %d rows, want %d: %v", len(res.Rows), len(want), res.Rows)
	}
	// adj-4's write-up of 100 has the reason other.
	exact(t, "other write-up", rowCell(t, res, map[string]string{"reason": "other"}, "write_up_value"), "100")
	// Hours of other: ret-a4 1 + invoices 1 + 1 + 0.25 = 3.25.
	exact(t, "other hours", rowCell(t, res, map[string]string{"reason": "other"}, "write_off_hours"), "3.25")

	// By client and reason: c-ret's over_service is 240, its other 120.
	byClient := compute(t, moneyReq("write_off_by_reason", "2026-01-01", "2026-03-01", "client", ""))
	exact(t, "c-ret over_service", rowCell(t, byClient, map[string]string{"client": "c-ret", "reason": "over_service"}, "value"), "240")
	exact(t, "c-ret other", rowCell(t, byClient, map[string]string{"client": "c-ret", "reason": "other"}, "value"), "120")
}

func TestWriteOffRates(t *testing.T) {
	loadMoney(t)
	// Standard value of billable work. January: tm-a1 500, tm-a2 600, tm-a3 200, tm-b1
	// 600, ret-a1 400, ret-a2 400, ret-a3 480, ret-a4 120, fix-b1 1,500 = 4,800.
	// February: tm-b2 600, tm-b3 400, ret-b1 1,200, ret-b2 1,200, fix-a1 600 = 4,000.
	res := compute(t, moneyReq("write_off_rate", "2026-01-01", "2026-03-01", "", "month"))
	exact(t, "Jan standard value", cell(t, res, "2026-01-01", "", "standard_value"), "4800")
	near(t, "Jan write-off rate", cell(t, res, "2026-01-01", "", "value"), 1080.0/4800)
	exact(t, "Feb standard value", cell(t, res, "2026-02-01", "", "standard_value"), "4000")
	near(t, "Feb write-off rate", cell(t, res, "2026-02-01", "", "value"), 850.0/4000)
	// Both months: 1,930 ÷ 8,800, not the mean of the two rates.
	all := compute(t, moneyReq("write_off_rate", "2026-01-01", "2026-03-01", "", ""))
	near(t, "write-off rate", cell(t, all, "", "", "value"), 1930.0/8800)
	// By client: c-tm 1,170 ÷ (500 + 600 + 200 + 600 + 600 + 400 = 2,900); c-ret 360 ÷
	// (400 + 400 + 480 + 120 + 1,200 + 1,200 = 3,800); c-fix 400 ÷ (1,500 + 600 = 2,100);
	// the internal project has no billable work: null.
	byClient := compute(t, moneyReq("write_off_rate", "2026-01-01", "2026-03-01", "client", ""))
	near(t, "c-tm rate", cell(t, byClient, "", "c-tm", "value"), 1170.0/2900)
	near(t, "c-ret rate", cell(t, byClient, "", "c-ret", "value"), 360.0/3800)
	near(t, "c-fix rate", cell(t, byClient, "", "c-fix", "value"), 400.0/2100)
	if v := cell(t, byClient, "", "", "value"); v != "" {
		t.Errorf("internal work's write-off rate = %s, want null", v)
	}

	// Hours. Billable hours: January 5 + 5 + 2 + 4 + 4 + 4 + 4 + 1 + 10 = 39; February
	// 3 + 2 + 6 + 6 + 5 = 22. Written-off hours: January 9, February 0.75.
	hours := compute(t, moneyReq("write_off_hours_rate", "2026-01-01", "2026-03-01", "", "month"))
	exact(t, "Jan billable hours", cell(t, hours, "2026-01-01", "", "billable_hours"), "39")
	near(t, "Jan hours rate", cell(t, hours, "2026-01-01", "", "value"), 9.0/39)
	near(t, "Feb hours rate", cell(t, hours, "2026-02-01", "", "value"), 0.75/22)
	allHours := compute(t, moneyReq("write_off_hours_rate", "2026-01-01", "2026-03-01", "", ""))
	near(t, "hours rate", cell(t, allHours, "", "", "value"), 9.75/61)
}

func TestRealizationAndWIP(t *testing.T) {
	loadMoney(t)
	// Closed work (billable, billed or written off), billed value ÷ standard value.
	// January: tm-a1 400/500, tm-a2 480/600 (their share of L1), tm-a3 0/200, ret-a1
	// 400/400 and ret-a2 400/400 (retainer work: billed at standard value), ret-a4 0/120,
	// fix-b1 1,500/1,500 (fixed fee): 3,180 ÷ 3,720.
	// February: tm-b2 600/600, tm-b3 350/400 (its billed_amount), ret-b1 1,200/1,200,
	// ret-b2 1,200/1,200 (L2): 3,350 ÷ 3,400.
	res := compute(t, moneyReq("realization_rate", "2026-01-01", "2026-03-01", "", "month"))
	exact(t, "Jan billed value", cell(t, res, "2026-01-01", "", "billed_value"), "3180")
	exact(t, "Jan closed standard value", cell(t, res, "2026-01-01", "", "standard_value"), "3720")
	near(t, "Jan realization", cell(t, res, "2026-01-01", "", "value"), 3180.0/3720)
	near(t, "Feb realization", cell(t, res, "2026-02-01", "", "value"), 3350.0/3400)
	all := compute(t, moneyReq("realization_rate", "2026-01-01", "2026-03-01", "", ""))
	near(t, "realization", cell(t, all, "", "", "value"), 6530.0/7120)
	// c-tm: (400 + 480 + 0 + 600 + 350) ÷ (500 + 600 + 200 + 600 + 400) = 1,830 ÷ 2,300.
	byClient := compute(t, moneyReq("realization_rate", "2026-01-01", "2026-03-01", "client", ""))
	near(t, "c-tm realization", cell(t, byClient, "", "c-tm", "value"), 1830.0/2300)

	// Unbilled WIP: tm-b1 600 (once, though ingested twice), ret-a3 480, fix-a1 600 =
	// 1,680 over 4 + 4 + 5 = 13 h; 600 of it T&M work.
	wip := compute(t, moneyReq("unbilled_wip", "2026-01-01", "2026-03-01", "", ""))
	exact(t, "WIP", cell(t, wip, "", "", "value"), "1680")
	exact(t, "WIP hours", cell(t, wip, "", "", "unbilled_hours"), "13")
	exact(t, "WIP T&M", cell(t, wip, "", "", "tm_value"), "600")
	exact(t, "WIP entries", cell(t, wip, "", "", "entry_count"), "3")
	wipBy := compute(t, moneyReq("unbilled_wip", "2026-01-01", "2026-03-01", "person", ""))
	exact(t, "ben's WIP", cell(t, wipBy, "", "ben", "value"), "600")
	exact(t, "ana's WIP", cell(t, wipBy, "", "ana", "value"), "1080")
}

// TestWriteOffGroupsAddUp: for every grouping and interval, the groups'
// write-off values add up to the ungrouped total, and each group's rate is
// the ratio of its own sums.
func TestWriteOffGroupsAddUp(t *testing.T) {
	loadMoney(t)
	base := moneyReq("write_off_value", "2026-01-01", "2026-03-01", "", "")
	total := compute(t, base)
	cols := []string{"value", "entries", "adjustments", "invoices", "over_service", "write_off_hours", "write_up_value"}
	want := map[string]float64{}
	for _, c := range cols {
		want[c] = sumColumn(t, total, c)
	}
	rate := moneyReq("write_off_rate", "2026-01-01", "2026-03-01", "", "")
	wantStd := sumColumn(t, compute(t, rate), "standard_value")
	for _, by := range []string{"", "client", "project", "person"} {
		for _, interval := range []string{"", "week", "month"} {
			r := base
			r.GroupBy, r.Interval = by, interval
			res := compute(t, r)
			for _, c := range cols {
				if got := sumColumn(t, res, c); math.Abs(got-want[c]) > 1e-6 {
					t.Errorf("write_off_value by %q/%q: Σ %s = %v, ungrouped %v", by, interval, c, got, want[c])
				}
			}
			rr := rate
			rr.GroupBy, rr.Interval = by, interval
			rates := compute(t, rr)
			if got := sumColumn(t, rates, "write_off_value"); math.Abs(got-want["value"]) > 1e-6 {
				t.Errorf("write_off_rate by %q/%q: Σ write_off_value = %v, want %v", by, interval, got, want["value"])
			}
			if got := sumColumn(t, rates, "standard_value"); math.Abs(got-wantStd) > 1e-6 {
				t.Errorf("write_off_rate by %q/%q: Σ standard_value = %v, want %v", by, interval, got, wantStd)
			}
			moneyRatios(t, rates, "write_off_value", "standard_value")
			reasons := compute(t, metrics.Request{KPI: "write_off_by_reason", Org: moneyOrg, From: r.From, To: r.To,
				GroupBy: by, Interval: interval})
			if got := sumColumn(t, reasons, "value"); math.Abs(got-want["value"]) > 1e-6 {
				t.Errorf("write_off_by_reason by %q/%q: Σ value = %v, want %v", by, interval, got, want["value"])
			}
		}
	}
}

// moneyRatios checks that every row's value is num ÷ den of that row, and
// null when den is 0.
func moneyRatios(tb testing.TB, res *metrics.Result, num, den string) {
	tb.Helper()
	for i := range res.Rows {
		one := &metrics.Result{KPI: res.KPI, Columns: res.Columns, Rows: res.Rows[i : i+1]}
		n, dn, v := sumColumn(tb, one, num), sumColumn(tb, one, den), sumColumn(tb, one, "value")
		what := fmt.Sprintf("%s row %v", res.KPI, res.Rows[i])
		if dn == 0 {
			if s := metrics.Cell(res.Rows[i][colIndex(tb, res, "value")]); s != "" {
				tb.Errorf("%s: value %s with %s 0, want null", what, s, den)
			}
			continue
		}
		if math.Abs(v-n/dn) > 1e-9 {
			tb.Errorf("%s: value %v, want %v ÷ %v = %v", what, v, n, dn, n/dn)
		}
	}
}

// TestOverServiceAgrees: the retainer's over-service hours (§7) are the
// hours the write-off KPIs value as over-service plus those written off
// another way, by the same rule for what was billed as overage.
func TestOverServiceAgrees(t *testing.T) {
	loadMoney(t)
	jan := moneyReq("over_service_hours", "2026-01-01", "2026-02-01", "project", "")
	// p-ret, January: 4 + 4 + 4 + 1 = 13 billable hours (ret-a1..a4), 10 contracted,
	// no line lists January entries (the fee line lists none): 13 − 10 − 0 = 3.
	exact(t, "p-ret Jan over-service hours", cell(t, compute(t, jan), "", "p-ret", "value"), "3")
	// Of those 3: ret-a4's 1 h is written off (way a), adj-5 records 1 h as
	// over_service (way b), and 1 h of ret-a3 (at 120) is valued as over-service.
	wo := compute(t, moneyReq("write_off_value", "2026-01-01", "2026-02-01", "project", ""))
	exact(t, "p-ret Jan over-service write-off", cell(t, wo, "", "p-ret", "over_service"), "120")
	// February: 6 + 6 = 12 billable, 10 contracted, L2 lists ret-b2 (6 h) as overage:
	// 12 − 10 − 6 < 0, so none, and the write-off KPIs value none either.
	feb := moneyReq("over_service_hours", "2026-02-01", "2026-03-01", "project", "")
	exact(t, "p-ret Feb over-service hours", cell(t, compute(t, feb), "", "p-ret", "value"), "0")
	wo = compute(t, moneyReq("write_off_value", "2026-02-01", "2026-03-01", "project", ""))
	exact(t, "p-ret Feb over-service write-off", cell(t, wo, "", "p-ret", "over_service"), "0")
}
