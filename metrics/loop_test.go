package metrics_test

import (
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// The operating-loop scenario (spec kpis.md §9): org "loop-test" in UTC.
// Phases: in = intake, br = brief, pr = production, ir = internal_review,
// cr = client_review, dl = delivered; "gap" is a status mapped to no phase.
// All times are February 2026, UTC.
//
//	D1 (c-a/p-a) in 2 09:00, br 2 13:00, pr 3 09:00, ir 5 09:00, cr 5 15:00
//	   (+ review requested), approved 6 15:00, dl 6 17:00 (+ delivered event);
//	   a due-date change on 4 10:00 moves nothing.
//	   Times: in 4, br 20, pr 48, ir 6, cr 24 h; waits cr→dl 2 h, others 0.
//	D2 (c-a/p-a) in 9 09:00, br 9 11:00, pr 10 09:00, gap "Ready for QA" 12 09:00,
//	   ir 12 13:00, cr 12 17:00, changes requested 13 17:00, pr 13 18:00,
//	   cr 14 18:00, approved 15 06:00, dl 15 09:00.
//	   Times: in 2, br 22, pr 48 + 24 = 72, ir 4, cr 24 + 12 = 36 h;
//	   waits pr→ir 4, cr→pr 1, cr→dl 3 h, others 0.
//	D3 (c-b/p-b) in 16 09:00, br 16 10:00, pr 17 10:00, gap "Blocked" 18 10:00,
//	   pr 18 14:00, cr 19 10:00 (no internal review), approved 20 10:00, dl 20 11:00.
//	   Times: in 1, br 24, pr 24 + 20 = 44, cr 24 h; waits cr→dl 1 h; the
//	   blocked 4 h are neither production time nor a handoff (pr → pr).
//	D4 (c-b/p-b) in 23 09:00, br 23 17:00, pr 24 09:00, ir 25 09:00, pr 25 12:00,
//	   cr 26 12:00, still in client review.
//	   Times: in 8, br 16, pr 24 + 24 = 48, ir 3 h; cr open (not counted).
//	D5 (c-b/p-b) in 27 09:00, an approval at 27 10:00 while in intake (moves
//	   nothing), br 27 12:00, still in brief. Times: in 3 h.
//	D6 (c-b/p-b) in 2 09:00, br 2 10:00: a tombstoned deliverable, ignored.
const loopOrg = "loop-test"

var loopOnce sync.Once

func loadLoop(tb testing.TB) {
	tb.Helper()
	loopOnce.Do(func() { writeLoop(tb) })
}

func writeLoop(tb testing.TB) {
	tb.Helper()
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: loopOrg, Source: "api", ExternalID: id} }
	client := map[string]string{"D1": "c-a", "D2": "c-a", "D3": "c-b", "D4": "c-b", "D5": "c-b", "D6": "c-b"}
	var events []ingest.TaskEvent
	// ev adds an event; status changes and created events carry the phase.
	ev := func(deliverable, typ, phase, at string) {
		c := client[deliverable]
		events = append(events, ingest.TaskEvent{Meta: meta(deliverable + "-" + at + "-" + typ), OccurredAt: utc(at),
			Type: typ, DeliverableID: deliverable, TaskID: deliverable, ClientID: c, ProjectID: "p" + c[1:],
			Phase: phase, ToStatus: phase})
	}
	const created, status, req, ok, chg, done = ingest.EventCreated, ingest.EventStatusChanged,
		ingest.EventClientReviewRequested, ingest.EventClientApproved, ingest.EventClientChangesRequested, ingest.EventDelivered

	ev("D1", created, "intake", "2026-02-02 09:00")
	ev("D1", status, "brief", "2026-02-02 13:00")
	ev("D1", status, "production", "2026-02-03 09:00")
	ev("D1", ingest.EventDueDateChanged, "production", "2026-02-04 10:00")
	ev("D1", status, "internal_review", "2026-02-05 09:00")
	ev("D1", status, "client_review", "2026-02-05 15:00")
	ev("D1", req, "client_review", "2026-02-05 15:00")
	ev("D1", ok, "client_review", "2026-02-06 15:00")
	ev("D1", status, "delivered", "2026-02-06 17:00")
	ev("D1", done, "delivered", "2026-02-06 17:00")

	ev("D2", created, "intake", "2026-02-09 09:00")
	ev("D2", status, "brief", "2026-02-09 11:00")
	ev("D2", status, "production", "2026-02-10 09:00")
	ev("D2", status, "", "2026-02-12 09:00") // "Ready for QA", mapped to no phase
	ev("D2", status, "internal_review", "2026-02-12 13:00")
	ev("D2", status, "client_review", "2026-02-12 17:00")
	ev("D2", chg, "client_review", "2026-02-13 17:00")
	ev("D2", status, "production", "2026-02-13 18:00")
	ev("D2", status, "client_review", "2026-02-14 18:00")
	ev("D2", ok, "client_review", "2026-02-15 06:00")
	ev("D2", status, "delivered", "2026-02-15 09:00")

	ev("D3", created, "intake", "2026-02-16 09:00")
	ev("D3", status, "brief", "2026-02-16 10:00")
	ev("D3", status, "production", "2026-02-17 10:00")
	ev("D3", status, "blocked", "2026-02-18 10:00") // not a canonical phase
	ev("D3", status, "production", "2026-02-18 14:00")
	ev("D3", req, "", "2026-02-19 10:00") // a review request alone puts it in client_review
	ev("D3", ok, "", "2026-02-20 10:00")
	ev("D3", done, "", "2026-02-20 11:00") // so does a delivered event into delivered

	ev("D4", created, "intake", "2026-02-23 09:00")
	ev("D4", status, "brief", "2026-02-23 17:00")
	ev("D4", status, "production", "2026-02-24 09:00")
	ev("D4", status, "internal_review", "2026-02-25 09:00")
	ev("D4", status, "production", "2026-02-25 12:00")
	ev("D4", status, "client_review", "2026-02-26 12:00")

	ev("D5", created, "intake", "2026-02-27 09:00")
	ev("D5", ok, "intake", "2026-02-27 10:00")
	ev("D5", status, "brief", "2026-02-27 12:00")

	ev("D6", created, "intake", "2026-02-02 09:00")
	ev("D6", status, "brief", "2026-02-02 10:00")

	dv := func(id string) ingest.Deliverable {
		c := client[id]
		return ingest.Deliverable{Meta: meta(id), Name: id, ClientID: c, ProjectID: "p" + c[1:], InScope: true}
	}
	d6gone := dv("D6")
	d6gone.Deleted = true
	write(tb,
		[]settings.Settings{{ID: loopOrg, Name: "Loop test", TimeZone: "UTC", Currency: "USD"}},
		[]ingest.Deliverable{dv("D1"), dv("D2"), dv("D3"), dv("D4"), dv("D5"), dv("D6")},
		events,
	)
	write(tb, []ingest.Deliverable{d6gone})
}

func loopReq(kpi, from, to, by string) metrics.Request {
	return metrics.Request{KPI: kpi, Org: loopOrg, From: d(from), To: d(to), GroupBy: by}
}

func TestPhaseTime(t *testing.T) {
	loadLoop(t)
	res := compute(t, loopReq("phase_time", "2026-02-01", "2026-03-01", ""))
	if len(res.Rows) != 7 {
		t.Fatalf("phase_time: %d rows, want one per phase (7)", len(res.Rows))
	}
	ph := func(phase, col string) string { return rowCell(t, res, map[string]string{"phase": phase}, col) }
	// Percentiles interpolate: p at position (n−1)·q of the sorted values.
	// intake: D1 4, D2 2, D3 1, D4 8, D5 3 (its stray approval did not end intake;
	// D6 is tombstoned) → [1 2 3 4 8]: p50 = 3; p90 at 3.6 = 4 + 0.6 × (8 − 4) = 6.4.
	near(t, "intake p50", ph("intake", "value"), 3)
	near(t, "intake p90", ph("intake", "p90_hours"), 6.4)
	exact(t, "intake deliverables", ph("intake", "deliverables"), "5")
	near(t, "intake total", ph("intake", "total_hours"), 18) // 4 + 2 + 1 + 8 + 3
	// brief: 20, 22, 24, 16 (D5 still in it) → [16 20 22 24]: p50 at 1.5 = 21;
	// p90 at 2.7 = 22 + 0.7 × 2 = 23.4.
	near(t, "brief p50", ph("brief", "value"), 21)
	near(t, "brief p90", ph("brief", "p90_hours"), 23.4)
	// production per deliverable (visits summed): D1 48, D2 48 + 24 = 72,
	// D3 24 + 20 = 44 (4 h blocked excluded), D4 24 + 24 = 48 → [44 48 48 72]:
	// p50 at 1.5 = 48; p90 at 2.7 = 48 + 0.7 × 24 = 64.8; total 212.
	near(t, "production p50", ph("production", "value"), 48)
	near(t, "production p90", ph("production", "p90_hours"), 64.8)
	near(t, "production total", ph("production", "total_hours"), 212)
	// internal_review: D1 6, D2 4, D4 3 → [3 4 6]: p50 4; p90 at 1.8 = 4 + 0.8 × 2 = 5.6.
	near(t, "internal_review p50", ph("internal_review", "value"), 4)
	near(t, "internal_review p90", ph("internal_review", "p90_hours"), 5.6)
	// client_review (to the client's decision): D1 24, D2 24 + 12 = 36, D3 24; D4's is
	// open → [24 24 36]: p50 24; p90 at 1.8 = 24 + 0.8 × 12 = 33.6.
	near(t, "client_review p50", ph("client_review", "value"), 24)
	near(t, "client_review p90", ph("client_review", "p90_hours"), 33.6)
	exact(t, "client_review deliverables", ph("client_review", "deliverables"), "3")
	// delivered is never left: a row with no data.
	if got := ph("delivered", "value"); got != "" {
		t.Errorf("delivered p50 = %q, want null", got)
	}
	exact(t, "delivered deliverables", ph("delivered", "deliverables"), "0")

	byClient := compute(t, loopReq("phase_time", "2026-02-01", "2026-03-01", "client"))
	// c-a intake: D1 4, D2 2 → p50 3; p90 at 0.9 = 2 + 0.9 × 2 = 3.8.
	near(t, "c-a intake p50", rowCell(t, byClient, map[string]string{"client": "c-a", "phase": "intake"}, "value"), 3)
	near(t, "c-a intake p90", rowCell(t, byClient, map[string]string{"client": "c-a", "phase": "intake"}, "p90_hours"), 3.8)

	// [Feb 1, Feb 10): only visits left by Feb 9: D1's five and D2's intake (left Feb 9 11:00).
	early := compute(t, loopReq("phase_time", "2026-02-01", "2026-02-10", ""))
	exact(t, "early intake deliverables", rowCell(t, early, map[string]string{"phase": "intake"}, "deliverables"), "2")
	near(t, "early intake p50", rowCell(t, early, map[string]string{"phase": "intake"}, "value"), 3) // [2 4]
	exact(t, "early production deliverables", rowCell(t, early, map[string]string{"phase": "production"}, "deliverables"), "1")
}

func TestHandoffWait(t *testing.T) {
	loadLoop(t)
	res := compute(t, loopReq("handoff_wait", "2026-02-01", "2026-03-01", ""))
	pair := func(from, to, col string) string {
		return rowCell(t, res, map[string]string{"from_phase": from, "to_phase": to}, col)
	}
	// intake → brief: D1–D5, all direct: 5 transitions of 0 h.
	exact(t, "intake→brief transitions", pair("intake", "brief", "transitions"), "5")
	near(t, "intake→brief p50", pair("intake", "brief", "value"), 0)
	// production → internal_review: D1 0, D2 4 (through "Ready for QA"), D4 0 → [0 0 4]:
	// p50 0; p90 at 1.8 = 0 + 0.8 × 4 = 3.2; one of them waited.
	near(t, "pr→ir p50", pair("production", "internal_review", "value"), 0)
	near(t, "pr→ir p90", pair("production", "internal_review", "p90_hours"), 3.2)
	exact(t, "pr→ir waited", pair("production", "internal_review", "waited"), "1")
	// client_review → delivered, from the client's approval: D1 2, D2 3, D3 1 → [1 2 3]:
	// p50 2; p90 at 1.8 = 2 + 0.8 × 1 = 2.8.
	near(t, "cr→dl p50", pair("client_review", "delivered", "value"), 2)
	near(t, "cr→dl p90", pair("client_review", "delivered", "p90_hours"), 2.8)
	exact(t, "cr→dl transitions", pair("client_review", "delivered", "transitions"), "3")
	// client_review → production after the changes request: D2 1 h.
	near(t, "cr→pr p50", pair("client_review", "production", "value"), 1)
	// production → client_review: D2's second round, D3, D4: 3 of 0 h.
	exact(t, "pr→cr transitions", pair("production", "client_review", "transitions"), "3")
	// internal_review → production (D4 sent back): 1.
	exact(t, "ir→pr transitions", pair("internal_review", "production", "transitions"), "1")
	// D3's production → Blocked → production is no handoff.
	from := slices.IndexFunc(res.Columns, func(c metrics.Column) bool { return c.Name == "from_phase" })
	to := slices.IndexFunc(res.Columns, func(c metrics.Column) bool { return c.Name == "to_phase" })
	for _, row := range res.Rows {
		if metrics.Cell(row[from]) == metrics.Cell(row[to]) {
			t.Errorf("a transition from a phase to itself: %v", row)
		}
	}
	// pairs: in→br, br→pr, pr→ir, pr→cr, ir→cr, ir→pr, cr→pr, cr→dl.
	if len(res.Rows) != 8 {
		t.Errorf("handoff_wait: %d pairs, want 8: %v", len(res.Rows), res.Rows)
	}
}

func TestQACoverage(t *testing.T) {
	loadLoop(t)
	res := compute(t, loopReq("qa_coverage", "2026-02-01", "2026-03-01", ""))
	// Reached client review: D1, D2 (from internal review: covered), D3 (from
	// production: no review), D4 (reviewed, sent back to production, then to the
	// client unreviewed: a miss). 2 ÷ 4.
	near(t, "qa_coverage", cell(t, res, "", "", "value"), 0.5)
	exact(t, "covered", cell(t, res, "", "", "covered"), "2")
	exact(t, "reached", cell(t, res, "", "", "reached_client_review"), "4")
	byClient := compute(t, loopReq("qa_coverage", "2026-02-01", "2026-03-01", "client"))
	near(t, "c-a qa_coverage", cell(t, byClient, "", "c-a", "value"), 1) // D1, D2
	near(t, "c-b qa_coverage", cell(t, byClient, "", "c-b", "value"), 0) // D3, D4
	// Only D1 first reached client review before Feb 9.
	early := compute(t, loopReq("qa_coverage", "2026-02-01", "2026-02-09", ""))
	exact(t, "early reached", cell(t, early, "", "", "reached_client_review"), "1")
}

// Onboarding (org "onboard-test", UTC). First entries: c-a Jan 5 2026, c-b
// Nov 1 2025, c-c Feb 1 2026 (its entries name only project p-c of c-c).
func TestOnboardingHours(t *testing.T) {
	const org = "onboard-test"
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "api", ExternalID: id} }
	e := func(id, client, project, day, hours, task string, tags ...string) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta(id), PersonID: "p1", Date: d(day), Hours: dec(hours), ClientID: client,
			ProjectID: project, Task: task, Tags: tags, Billable: true}
	}
	write(t,
		[]ingest.Person{{Meta: meta("p1"), ValidFrom: d("2025-01-01"), Name: "P1", WeeklyCapacityHours: dec("40")}},
		[]ingest.Project{{Meta: meta("p-a"), Name: "A", ClientID: "c-a", Kind: ingest.KindTM},
			{Meta: meta("p-b"), Name: "B", ClientID: "c-b", Kind: ingest.KindTM},
			{Meta: meta("p-c"), Name: "C", ClientID: "c-c", Kind: ingest.KindTM}},
		[]ingest.TimeEntry{
			e("a1", "c-a", "p-a", "2026-01-05", "2", "Design"),                  // c-a's first day, not onboarding
			e("a2", "c-a", "p-a", "2026-01-10", "3", "Kickoff", "Onboarding"),   // tag, any case: 3
			e("a3", "c-a", "p-a", "2026-01-12", "5", "Design"),                  // not onboarding
			e("a4", "c-a", "p-a", "2026-02-20", "2", " ONBOARDING "),            // task, any case: 2
			e("a5", "c-a", "p-a", "2026-03-06", "4", "Kickoff", "onboarding"),   // day 61 (Jan 5 + 60): out
			e("a6", "c-a", "p-a", "2026-01-15", "1", "Call", "onboarding-call"), // another tag
			e("b1", "c-b", "p-b", "2025-11-01", "1", "Design"),                  // c-b's first day
			e("b2", "c-b", "p-b", "2025-11-20", "2", "Onboarding"),              // in its first 60 days
			e("b3", "c-b", "p-b", "2026-01-15", "1.5", "Onboarding"),            // after Dec 31: out
			e("c1", "", "p-c", "2026-02-01", "1", "Design"),                     // c-c's first day
			e("c2", "", "p-c", "2026-02-02", "2.5", "", "onboarding"),           // 2.5
		},
	)
	req := metrics.Request{KPI: "onboarding_hours", Org: org, From: d("2026-01-01"), To: d("2026-04-01"), GroupBy: "client"}
	res := compute(t, req)
	exact(t, "c-a onboarding", cell(t, res, "", "c-a", "value"), "5") // a2 3 + a4 2
	equalText(t, "c-a first_day", cell(t, res, "", "c-a", "first_day"), "2026-01-05")
	exact(t, "c-c onboarding", cell(t, res, "", "c-c", "value"), "2.5")
	if len(res.Rows) != 2 {
		t.Errorf("onboarding_hours: %d rows, want c-a and c-c (c-b's 2026 hours are past its first 60 days)", len(res.Rows))
	}
	req.GroupBy = ""
	all := compute(t, req)
	exact(t, "onboarding total", cell(t, all, "", "", "value"), "7.5") // 3 + 2 + 2.5
	exact(t, "onboarding entries", cell(t, all, "", "", "entries"), "3")
	req.From, req.To, req.GroupBy = d("2025-11-01"), d("2026-01-01"), "client"
	old := compute(t, req)
	exact(t, "c-b onboarding 2025", cell(t, old, "", "c-b", "value"), "2")
}

// Data quality (org "quality-test", UTC, Monday–Friday, no holidays), over
// [Mon Mar 2, Thu Mar 12) with testNow Tue Mar 10: the logged part covers Mar 2–9.
//
//	q1 40 h/week (8 a day), cost 50, bill rate 100; logs 8 h on Mar 2–6, 10 h on
//	   Mar 9 and 8 h on Mar 10 (today), billable on project qp of client qc.
//	q2 40 h/week, no rates of its own, role writer (cost 40, no bill rate); logs
//	   4 h on Mar 2, billable, client qc and no project.
//	q3 20 h/week (4 a day), role intern (no rates); logs 3 h on Sat Mar 7,
//	   non-billable, client qc, project "ghost" (no such record).
//
// Deliverables appeared in the range: dq1 (first event Mar 3, due date), dq2
// (first event Mar 4, no due date), dq3 (no events, updated Mar 5, due date);
// dq4 appeared Feb 20 (first event): outside.
func TestDataQuality(t *testing.T) {
	const org = "quality-test"
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "api", ExternalID: id} }
	person := func(id, role, weekly string, cost, bill *decimal.Decimal) ingest.Person {
		return ingest.Person{Meta: meta(id), ValidFrom: d("2026-01-01"), Name: id, Role: role,
			WeeklyCapacityHours: dec(weekly), CostRate: cost, BillRate: bill}
	}
	entry := func(id, person, day, hours, client, project string, billable bool) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta(id), PersonID: person, Date: d(day), Hours: dec(hours), ClientID: client,
			ProjectID: project, Billable: billable}
	}
	var entries []ingest.TimeEntry
	for _, day := range []string{"2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"} {
		entries = append(entries, entry("q1-"+day, "q1", day, "8", "qc", "qp", true))
	}
	entries = append(entries,
		entry("q1-09", "q1", "2026-03-09", "10", "qc", "qp", true),
		entry("q1-10", "q1", "2026-03-10", "8", "qc", "qp", true),
		entry("q2-02", "q2", "2026-03-02", "4", "qc", "", true),
		entry("q3-07", "q3", "2026-03-07", "3", "qc", "ghost", false),
	)
	dlv := func(id string, due, updated *time.Time) ingest.Deliverable {
		return ingest.Deliverable{Meta: meta(id), Name: id, ClientID: "qc", ProjectID: "qp", DueDate: due, UpdatedAt: updated, InScope: true}
	}
	created := func(id, deliverable, at string) ingest.TaskEvent {
		return ingest.TaskEvent{Meta: meta(id), OccurredAt: utc(at), Type: ingest.EventCreated, DeliverableID: deliverable, Phase: "intake"}
	}
	write(t,
		[]settings.Settings{{ID: org, Name: "Quality test", TimeZone: "UTC", Currency: "USD"}},
		[]ingest.Role{{Org: org, Role: "writer", ValidFrom: d("2025-01-01"), CostRate: pdec("40")},
			{Org: org, Role: "intern", ValidFrom: d("2025-01-01")}},
		[]ingest.Person{person("q1", "designer", "40", pdec("50"), pdec("100")), person("q2", "writer", "40", nil, nil),
			person("q3", "intern", "20", nil, nil)},
		[]ingest.Client{{Meta: meta("qc"), Name: "QC"}},
		[]ingest.Project{{Meta: meta("qp"), Name: "QP", ClientID: "qc", Kind: ingest.KindTM}},
		entries,
		[]ingest.Deliverable{dlv("dq1", pd("2026-03-20"), nil), dlv("dq2", nil, nil), dlv("dq3", pd("2026-03-25"), pt("2026-03-05 10:00")),
			dlv("dq4", nil, nil)},
		[]ingest.TaskEvent{created("e1", "dq1", "2026-03-03 10:00"), created("e2", "dq2", "2026-03-04 10:00"),
			created("e4", "dq4", "2026-02-20 10:00")},
	)
	res := compute(t, metrics.Request{KPI: "data_quality", Org: org, From: d("2026-03-02"), To: d("2026-03-12")})
	// logged: available on Mar 2–6 and 9 (6 workdays before today): q1 48, q2 48, q3 24 = 120;
	// logged up to available: q1 8 × 5 + min(10, 8) = 48, q2 4, q3's Saturday 0 → 52 ÷ 120.
	near(t, "logged_ratio", cell(t, res, "", "", "logged_ratio"), 52.0/120)
	exact(t, "available_hours", cell(t, res, "", "", "available_hours"), "120")
	// entries in range: q1 7, q2 1, q3 1 = 9; known client and project: q1's 7.
	near(t, "known_client_project_ratio", cell(t, res, "", "", "known_client_project_ratio"), 7.0/9)
	// deliverables that appeared: dq1, dq2, dq3; with a due date: dq1, dq3.
	near(t, "due_date_ratio", cell(t, res, "", "", "due_date_ratio"), 2.0/3)
	// billable entries: q1's 7 (rate 100) and q2's 1 (no rate anywhere): 7 ÷ 8.
	near(t, "bill_rate_ratio", cell(t, res, "", "", "bill_rate_ratio"), 7.0/8)
	// people employed: q1 (own 50), q2 (writer's 40), q3 (none): 2 ÷ 3.
	near(t, "cost_rate_ratio", cell(t, res, "", "", "cost_rate_ratio"), 2.0/3)
	// score: (13/30 + 7/9 + 2/3 + 7/8 + 2/3) ÷ 5 = (156 + 280 + 240 + 315 + 240)/360 ÷ 5 = 1231/1800.
	near(t, "data_quality", cell(t, res, "", "", "value"), 1231.0/1800)
	exact(t, "parts_known", cell(t, res, "", "", "parts_known"), "5")

	// The weekend Mar 7–8: no available hours, no billable entry, no deliverable
	// appeared: those parts are null and left out. Entries: q3's, unknown project: 0 ÷ 1;
	// people: 2 ÷ 3. Score (0 + 2/3) ÷ 2 = 1/3.
	weekend := compute(t, metrics.Request{KPI: "data_quality", Org: org, From: d("2026-03-07"), To: d("2026-03-09")})
	for _, col := range []string{"logged_ratio", "due_date_ratio", "bill_rate_ratio"} {
		if got := cell(t, weekend, "", "", col); got != "" {
			t.Errorf("weekend %s = %q, want null (no data)", col, got)
		}
	}
	near(t, "weekend known", cell(t, weekend, "", "", "known_client_project_ratio"), 0)
	exact(t, "weekend parts_known", cell(t, weekend, "", "", "parts_known"), "2")
	near(t, "weekend data_quality", cell(t, weekend, "", "", "value"), 1.0/3)

	// By week: the three deliverables appeared in the week of Mar 2, none in
	// the week of Mar 9, whose due-date part is null and left out. Week of
	// Mar 9 (Mar 9–11; of its days only Mar 9 is before today, Mar 10):
	// logged q1 min(10, 8) = 8 of available 8 + 8 + 4 = 20 → 2/5; entries
	// q1-09 and q1-10, both known: 2/2; billable 2, both rated: 2/2; people
	// 2/3. Score (2/5 + 1 + 1 + 2/3) ÷ 4 = (24 + 60 + 60 + 40)/60 ÷ 4 = 46/60.
	weekly := compute(t, metrics.Request{KPI: "data_quality", Org: org, From: d("2026-03-02"), To: d("2026-03-12"), Interval: "week"})
	near(t, "week of Mar 2 due_date_ratio", cell(t, weekly, "2026-03-02", "", "due_date_ratio"), 2.0/3)
	if got := cell(t, weekly, "2026-03-09", "", "due_date_ratio"); got != "" {
		t.Errorf("week of Mar 9 due_date_ratio = %q, want null: no deliverable appeared", got)
	}
	exact(t, "week of Mar 9 deliverables", cell(t, weekly, "2026-03-09", "", "deliverables"), "0")
	exact(t, "week of Mar 9 parts_known", cell(t, weekly, "2026-03-09", "", "parts_known"), "4")
	near(t, "week of Mar 9 data_quality", cell(t, weekly, "2026-03-09", "", "value"), 46.0/60)
}

// writeAt stores records as the ingest writer does at the given clock, which
// stamps ingested_at (the freshness maturity_level reads).
func writeAt(tb testing.TB, at time.Time, records ...any) {
	tb.Helper()
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: testStore(tb), Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return at }, Changed: testFacts(tb).Changed})
	if err != nil {
		tb.Fatal(err)
	}
	for _, recs := range records {
		if _, err := w.Write(tb.Context(), "test", recs); err != nil {
			tb.Fatal(err)
		}
	}
}

// writeThresholds stores n alert thresholds for org.
func writeThresholds(tb testing.TB, org string, n int) {
	tb.Helper()
	b := &store.Batch{Table: "ops.alert_thresholds",
		Columns: []string{"org_id", "threshold_id", "kpi", "scope_kind", "scope_value", "comparator", "value",
			"for_seconds", "severity", "created_at", "version"}}
	var orgs, ids, kpis, kinds, scopes, cmps, sev []string
	var vals []decimal.Decimal
	var fors []uint32
	var at []time.Time
	var versions []uint64
	for i := range n {
		orgs, ids, kpis = append(orgs, org), append(ids, string(rune('a'+i))), append(kpis, "write_off_rate")
		kinds, scopes, cmps, sev = append(kinds, "org"), append(scopes, ""), append(cmps, "gt"), append(sev, "warning")
		vals, fors, at, versions = append(vals, dec("0.05")), append(fors, 3600), append(at, testNow), append(versions, 1)
	}
	b.Values = []any{orgs, ids, kpis, kinds, scopes, cmps, vals, fors, sev, at, versions}
	if err := testStore(tb).Insert(tb.Context(), b); err != nil {
		tb.Fatal(err)
	}
}

// writeMaturity stores the evidence of a well-run org (UTC, grace 0):
//
//	Deliverables that appeared and were delivered in [Jan 1, Mar 11) 2026:
//	  m1–m4 follow the loop (intake, brief, production, internal_review,
//	  client_review + review request, approval, delivered), with due dates;
//	  m5 goes intake → production → client_review → delivered: no brief, no
//	  internal review; m6 has no events and no due date (updated Mar 2), open.
//	Quarters before min(to, today + 1) = Mar 11: Q4 2025 (last) and Q3 2025 (prev).
//	  On time (deliverables with no events, delivered in 2025): Q3 q3a due Aug 15
//	  delivered Aug 14 (on time), q3b due Sep 10 delivered Sep 12 (late) → 1/2;
//	  Q4 q4a due Nov 14 delivered Nov 14 23:00 (on time), q4b due Dec 1 delivered
//	  Nov 30 (on time), q4c due Dec 15 open (overdue at Jan 1) → 2/3.
//	  Write-off hours: Q3 100 billable h, 10 written off → 0.1; Q4 100 billable h,
//	  4 written off + a 2 h write-off adjustment → 0.06.
//	  Retros (r): Q3's held Sep 15 2025 (a record, or with r.q3Event a
//	  retro_held task event from a tool), Q4's held r.q4 (a record; "" for
//	  none), each with one action owned by p1 (Ada Lovelace); Q4's is closed
//	  at r.closed ("" for never).
//	Time entries ingested at ingested; thresholds alert thresholds.
func writeMaturity(tb testing.TB, org string, ingested time.Time, thresholds int, r maturityRetros) {
	tb.Helper()
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "api", ExternalID: id} }
	var events []ingest.TaskEvent
	ev := func(deliverable, typ, phase string, at time.Time) {
		events = append(events, ingest.TaskEvent{Meta: meta(deliverable + "-" + at.Format(time.RFC3339) + "-" + typ),
			OccurredAt: at, Type: typ, DeliverableID: deliverable, Phase: phase})
	}
	var deliverables []ingest.Deliverable
	// loop runs one deliverable created on day through the phases, one day apart
	// from 09:00; it is delivered on the last step and due two days later.
	loop := func(id, day string, phases ...string) {
		at := utc(day + " 09:00")
		ev(id, ingest.EventCreated, phases[0], at)
		for _, p := range phases[1:] {
			at = at.Add(24 * time.Hour)
			ev(id, ingest.EventStatusChanged, p, at)
			if p == "client_review" {
				ev(id, ingest.EventClientReviewRequested, p, at)
				ev(id, ingest.EventClientApproved, p, at.Add(2*time.Hour))
			}
		}
		due := at.Add(48 * time.Hour).Truncate(24 * time.Hour)
		deliverables = append(deliverables, ingest.Deliverable{Meta: meta(id), Name: id, DueDate: &due, DeliveredAt: &at, InScope: true})
	}
	full := []string{"intake", "brief", "production", "internal_review", "client_review", "delivered"}
	loop("m1", "2026-01-05", full...)
	loop("m2", "2026-01-12", full...)
	loop("m3", "2026-02-02", full...)
	loop("m4", "2026-02-09", full...)
	loop("m5", "2026-02-16", "intake", "production", "client_review", "delivered")
	old := func(id, due string, delivered *time.Time) ingest.Deliverable {
		return ingest.Deliverable{Meta: meta(id), Name: id, DueDate: pd(due), DeliveredAt: delivered, InScope: true,
			UpdatedAt: pt("2025-07-01 09:00")}
	}
	deliverables = append(deliverables,
		ingest.Deliverable{Meta: meta("m6"), Name: "m6", InScope: true, UpdatedAt: pt("2026-03-02 09:00")},
		old("q3a", "2025-08-15", pt("2025-08-14 15:00")), old("q3b", "2025-09-10", pt("2025-09-12 15:00")),
		old("q4a", "2025-11-14", pt("2025-11-14 23:00")), old("q4b", "2025-12-01", pt("2025-11-30 15:00")),
		old("q4c", "2025-12-15", nil))
	if r.q3Event {
		events = append(events, ingest.TaskEvent{Meta: meta("retro-q3"), OccurredAt: utc("2025-09-15 15:00"), Type: ingest.EventRetroHeld, Phase: "reported"})
	}
	entry := func(id, day, hours, status string) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta(id), PersonID: "p1", Date: d(day), Hours: dec(hours), Billable: true, BillingStatus: status}
	}
	write(tb,
		[]settings.Settings{{ID: org, Name: org, TimeZone: "UTC", Currency: "USD"}},
		[]ingest.Person{{Meta: meta("p1"), Name: "Ada Lovelace"}},
		deliverables, events,
		[]ingest.Adjustment{{Meta: meta("adj-1"), Kind: ingest.WriteOff, ClientID: "c", Date: d("2025-11-05"), Hours: pdec("2"),
			Amount: pdec("200"), Reason: "goodwill"}},
	)
	writeAt(tb, ingested, []ingest.TimeEntry{
		entry("w1", "2025-08-05", "90", ingest.Billed), entry("w2", "2025-08-06", "10", ingest.WrittenOff),
		entry("w3", "2025-11-05", "96", ingest.Billed), entry("w4", "2025-11-06", "4", ingest.WrittenOff),
	})
	writeThresholds(tb, org, thresholds)
	writeRetros(tb, org, r)
}

// maturityRetros are writeMaturity's retros: q3Event makes Q3 2025's retro a
// retro_held task event rather than a record; q4 is the day Q4 2025's was
// held ("" for not held); closed is when Q4's action was closed ("" for
// still open).
type maturityRetros struct {
	q3Event    bool
	q4, closed string
}

// writeRetros stores r's retro records and their actions as the Retros page
// does (metrics.SaveRetro, metrics.AddAction, metrics.SetActionStatus), each
// at its own clock: Q3's action due Oct 15 2025, Q4's due Jan 31 2026.
func writeRetros(tb testing.TB, org string, r maturityRetros) {
	tb.Helper()
	s, ctx := testStore(tb), tb.Context()
	retro := func(quarter, held string) {
		at := utc(held + " 15:00")
		if _, err := metrics.SaveRetro(ctx, s, org, "ann@example.com", metrics.Retro{Quarter: d(quarter), HeldOn: d(held)}, d(held), at); err != nil {
			tb.Fatal(err)
		}
	}
	action := func(quarter, title, due string, created time.Time) metrics.Action {
		a, err := metrics.AddAction(ctx, s, org, "ann@example.com", metrics.Action{Origin: metrics.OriginRetro, Period: d(quarter),
			Title: title, Owner: "p1", Due: d(due)}, created)
		if err != nil {
			tb.Fatal(err)
		}
		return a
	}
	if !r.q3Event {
		retro("2025-07-01", "2025-09-15")
	}
	action("2025-07-01", "Brief template for every intake", "2025-10-15", utc("2025-09-15 16:00"))
	if r.q4 == "" {
		return
	}
	retro("2025-10-01", r.q4)
	a := action("2025-10-01", "Internal review before every client review", "2026-01-31", utc(r.q4+" 16:00"))
	if r.closed != "" {
		if _, found, err := metrics.SetActionStatus(ctx, s, org, "ann@example.com", a.ID, true, utc(r.closed)); err != nil || !found {
			tb.Fatalf("close %s: found %v, %v", a.ID, found, err)
		}
	}
}

func TestMaturityLevel(t *testing.T) {
	// Q3 and Q4 2025 retros held (Sep 15, Dec 10), Q4's action closed Jan 20.
	writeMaturity(t, "maturity-test", utc("2026-03-05 09:00"), 3, maturityRetros{q4: "2025-12-10", closed: "2026-01-20 10:00"})
	res := compute(t, metrics.Request{KPI: "maturity_level", Org: "maturity-test", From: d("2026-01-01"), To: d("2026-03-11")})
	// L2: appeared m1–m6; due date and intake event: m1–m5 → 5/6 ≥ 50%.
	near(t, "due_and_intake_ratio", cell(t, res, "", "", "due_and_intake_ratio"), 5.0/6)
	exact(t, "l2", cell(t, res, "", "", "l2_due_and_intake"), "1")
	// L3: delivered m1–m5, the loop followed by m1–m4 → 4/5 = 80%, just enough.
	near(t, "canonical_loop_ratio", cell(t, res, "", "", "canonical_loop_ratio"), 0.8)
	exact(t, "l3", cell(t, res, "", "", "l3_canonical_loop"), "1")
	// L4: entries ingested Mar 5 09:00, within 7 days of Mar 10 12:00; 3 thresholds.
	exact(t, "l4 fresh", cell(t, res, "", "", "l4_fresh_data"), "1")
	exact(t, "l4 thresholds", cell(t, res, "", "", "l4_alert_thresholds"), "1")
	// L5: retro records of Q3 and Q4 2025, one each; their two actions, Q4's
	// closed Jan 20 before min(to Mar 11, now Mar 10 12:00) → 1 of 2 closed;
	// on time 1/2 → 2/3 (up), write-off hours 10/100 = 0.1 → (4 + 2)/100 = 0.06 (down).
	equalText(t, "last_quarter", cell(t, res, "", "", "last_quarter"), "2025-10-01")
	exact(t, "prev_retros", cell(t, res, "", "", "prev_retros"), "1")
	exact(t, "last_retros", cell(t, res, "", "", "last_retros"), "1")
	exact(t, "retro_actions", cell(t, res, "", "", "retro_actions"), "2")
	exact(t, "retro_actions_closed", cell(t, res, "", "", "retro_actions_closed"), "1")
	near(t, "prev_on_time_rate", cell(t, res, "", "", "prev_on_time_rate"), 0.5)
	near(t, "last_on_time_rate", cell(t, res, "", "", "last_on_time_rate"), 2.0/3)
	near(t, "prev_write_off_hours_rate", cell(t, res, "", "", "prev_write_off_hours_rate"), 0.1)
	near(t, "last_write_off_hours_rate", cell(t, res, "", "", "last_write_off_hours_rate"), 0.06)
	exact(t, "l5 retros", cell(t, res, "", "", "l5_quarterly_retros"), "1")
	exact(t, "l5 actions closed", cell(t, res, "", "", "l5_retro_actions_closed"), "1")
	exact(t, "l5 improved", cell(t, res, "", "", "l5_kpis_improved"), "1")
	exact(t, "level", cell(t, res, "", "", "value"), "5")

	// Q3's retro a tool's retro_held event (Sep 15) instead of a record: it
	// still counts, 1 retro in Q3; the level stays 5.
	writeMaturity(t, "maturity-tool", utc("2026-03-05 09:00"), 3, maturityRetros{q3Event: true, q4: "2025-12-10", closed: "2026-01-20 10:00"})
	tool := compute(t, metrics.Request{KPI: "maturity_level", Org: "maturity-tool", From: d("2026-01-01"), To: d("2026-03-11")})
	exact(t, "tool prev_retros", cell(t, tool, "", "", "prev_retros"), "1")
	exact(t, "tool level", cell(t, tool, "", "", "value"), "5")

	// Both retros held, but their actions all open as of the range's end: Q3's
	// never closed, Q4's closed on Mar 12 10:00, after min(to Mar 11 00:00,
	// now Mar 10 12:00) → 0 of 2 closed; the retros changed nothing yet: level 4.
	writeMaturity(t, "maturity-open", utc("2026-03-05 09:00"), 3, maturityRetros{q4: "2025-12-10", closed: "2026-03-12 10:00"})
	open := compute(t, metrics.Request{KPI: "maturity_level", Org: "maturity-open", From: d("2026-01-01"), To: d("2026-03-11")})
	exact(t, "open retro_actions", cell(t, open, "", "", "retro_actions"), "2")
	exact(t, "open retro_actions_closed", cell(t, open, "", "", "retro_actions_closed"), "0")
	exact(t, "open l5 retros", cell(t, open, "", "", "l5_quarterly_retros"), "1")
	exact(t, "open l5 actions closed", cell(t, open, "", "", "l5_retro_actions_closed"), "0")
	exact(t, "open l5 improved", cell(t, open, "", "", "l5_kpis_improved"), "1")
	exact(t, "open level", cell(t, open, "", "", "value"), "4")
	// The same org a week later (to Mar 20, now Mar 19): Q4's action was
	// closed Mar 12, before min(Mar 20, Mar 19 12:00) → 1 closed: level 5.
	later := compute(t, metrics.Request{KPI: "maturity_level", Org: "maturity-open", From: d("2026-01-01"), To: d("2026-03-20"),
		Now: utc("2026-03-19 12:00")})
	exact(t, "later retro_actions_closed", cell(t, later, "", "", "retro_actions_closed"), "1")

	// Q4's retro held Mar 20 2026, after the range's end (to Mar 11): not yet
	// held as of then, so Q4 has no retro (and no closed action) and the
	// level stops at 4.
	writeMaturity(t, "maturity-mid", utc("2026-03-05 09:00"), 3, maturityRetros{q4: "2026-03-20", closed: "2026-03-20 17:00"})
	mid := compute(t, metrics.Request{KPI: "maturity_level", Org: "maturity-mid", From: d("2026-01-01"), To: d("2026-03-11")})
	exact(t, "mid last_retros", cell(t, mid, "", "", "last_retros"), "0")
	exact(t, "mid l5 retros", cell(t, mid, "", "", "l5_quarterly_retros"), "0")
	exact(t, "mid l5 improved", cell(t, mid, "", "", "l5_kpis_improved"), "1")
	exact(t, "mid level", cell(t, mid, "", "", "value"), "4")

	// Stale data (ingested Feb 20, more than 7 days before Mar 10 12:00) and 2
	// thresholds: both L4 conditions fail, so the level stays at 3 although L5's hold.
	writeMaturity(t, "maturity-stale", utc("2026-02-20 09:00"), 2, maturityRetros{q4: "2025-12-10", closed: "2026-01-20 10:00"})
	stale := compute(t, metrics.Request{KPI: "maturity_level", Org: "maturity-stale", From: d("2026-01-01"), To: d("2026-03-11")})
	exact(t, "stale l4 fresh", cell(t, stale, "", "", "l4_fresh_data"), "0")
	exact(t, "stale l4 thresholds", cell(t, stale, "", "", "l4_alert_thresholds"), "0")
	exact(t, "stale l5 retros", cell(t, stale, "", "", "l5_quarterly_retros"), "1")
	exact(t, "stale l5 actions closed", cell(t, stale, "", "", "l5_retro_actions_closed"), "1")
	exact(t, "stale level", cell(t, stale, "", "", "value"), "3")

	// An ad-hoc org: three deliverables, one with a due date and an intake event
	// (1/3 < 50%); that one was delivered through the whole loop (L3's condition
	// holds on its own, 1/1); no entries, thresholds, retros or KPI history.
	const low = "maturity-low"
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: low, Source: "api", ExternalID: id} }
	var events []ingest.TaskEvent
	at := utc("2026-02-02 09:00")
	for i, p := range []string{"intake", "brief", "production", "internal_review", "client_review", "delivered"} {
		typ := ingest.EventStatusChanged
		if i == 0 {
			typ = ingest.EventCreated
		}
		events = append(events, ingest.TaskEvent{Meta: meta("l-" + p), OccurredAt: at, Type: typ, DeliverableID: "l1", Phase: p})
		at = at.Add(24 * time.Hour)
	}
	write(t,
		[]ingest.Deliverable{
			{Meta: meta("l1"), Name: "l1", DueDate: pd("2026-02-10"), DeliveredAt: pt("2026-02-07 09:00"), InScope: true},
			{Meta: meta("l2"), Name: "l2", InScope: true, UpdatedAt: pt("2026-02-03 09:00")},
			{Meta: meta("l3"), Name: "l3", DueDate: pd("2026-02-20"), InScope: true, UpdatedAt: pt("2026-02-04 09:00")},
		},
		events,
	)
	lowRes := compute(t, metrics.Request{KPI: "maturity_level", Org: low, From: d("2026-01-01"), To: d("2026-03-11")})
	near(t, "low due_and_intake_ratio", cell(t, lowRes, "", "", "due_and_intake_ratio"), 1.0/3)
	for col, want := range map[string]string{"l2_due_and_intake": "0", "l3_canonical_loop": "1", "l4_fresh_data": "0",
		"l4_alert_thresholds": "0", "l5_quarterly_retros": "0", "l5_retro_actions_closed": "0", "l5_kpis_improved": "0", "value": "1"} {
		exact(t, "low "+col, cell(t, lowRes, "", "", col), want)
	}
	if got := cell(t, lowRes, "", "", "last_ingested_at"); got != "" {
		t.Errorf("low last_ingested_at = %q, want null (no entries)", got)
	}
}
