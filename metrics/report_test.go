package metrics_test

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// The report scenario: org "report-hand" (UTC, EUR, grace 0), one client
// c-hand "Harbour Foods" with one retainer r-hand (20 h and 2,000 a month,
// bill rate 100, since 2025-12-01); person p-hand (cost rate 40). The
// report is February 2026's (closed at testNow, Mar 10), against January.
//
// Time entries on r-hand (billable unless said):
//
//	January:  Jan 12 10 h, Jan 20 8 h                        = 18 h, under 20
//	February: Feb 3 10 h, Feb 10 10 h, Feb 17 6 h = 26 h billable,
//	          Feb 18 2 h non-billable                         = 28 h used
//
// No invoice line bills overage. A write_off adjustment of 2 h on r-hand on
// Feb 10, reason goodwill.
//
// Deliverables of r-hand:
//
//	d-3 Newsletter          due Jan 20, delivered Jan 20 17:00   on time
//	d-4 Banner set          due Jan 28, delivered Jan 30 09:00   late 2 days
//	d-1 Spring brief        due Feb 6,  delivered Feb 5 10:00    on time
//	d-2 Landing page        due Feb 12, delivered Feb 16 15:00   late 4 days
//	d-5 Photo shoot         due Feb 25, not delivered            overdue at Mar 1
//
// Client reviews: d-3 requested Jan 19 09:00, approved Jan 19 21:00 (12 h);
// d-4 requested Jan 28 09:00, approved Jan 30 09:00 (48 h); d-1 requested
// Feb 4 10:00, approved Feb 5 10:00 (24 h); d-2 requested Feb 13 09:00,
// changes requested Feb 14 09:00 (24 h), requested again Feb 15 09:00,
// approved Feb 16 15:00 (30 h).
//
// Contract (stored): retainer_hours; deliverables, target 0.9; approvals,
// target 24 h; write_offs, target 0.1.
const reportOrg = "report-hand"

func writeReportScenario(t *testing.T) {
	t.Helper()
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: reportOrg, Source: "api", ExternalID: id} }
	entry := func(day, hours string, billable bool) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta("te-" + day + "-" + hours), PersonID: "p-hand", Date: d(day), Hours: dec(hours),
			ProjectID: "r-hand", Billable: billable}
	}
	ret := ingest.Project{Meta: meta("r-hand"), Name: "Harbour retainer", ClientID: "c-hand", Kind: ingest.KindRetainer,
		BillableDefault: true, BillRate: pdec("100"), RetainerHoursMonthly: pdec("20"), RetainerFeeMonthly: pdec("2000"),
		StartDate: pd("2025-12-01")}
	deliverable := func(id, name, due, delivered string) ingest.Deliverable {
		x := ingest.Deliverable{Meta: meta(id), Name: name, ClientID: "c-hand", ProjectID: "r-hand", DueDate: pd(due),
			CommittedDueDate: pd(due), InScope: true, OwnerID: "p-hand"}
		if delivered != "" {
			x.DeliveredAt = pt(delivered)
		}
		return x
	}
	event := func(id, deliverable, typ, at string) ingest.TaskEvent {
		return ingest.TaskEvent{Meta: meta(id), OccurredAt: utc(at), Type: typ, DeliverableID: deliverable, ClientID: "c-hand", ProjectID: "r-hand"}
	}
	write(t,
		[]settings.Settings{{ID: reportOrg, Name: "Report hand", TimeZone: "UTC", Currency: "EUR"}},
		[]ingest.Person{{Meta: meta("p-hand"), ValidFrom: d("2025-01-01"), Name: "Hana Ito", Role: "designer",
			WeeklyCapacityHours: dec("40"), CostRate: pdec("40")}},
		[]ingest.Client{{Meta: meta("c-hand"), Name: "Harbour Foods"}},
		[]ingest.Project{ret},
		[]ingest.TimeEntry{entry("2026-01-12", "10", true), entry("2026-01-20", "8", true),
			entry("2026-02-03", "10", true), entry("2026-02-10", "10", true), entry("2026-02-17", "6", true),
			entry("2026-02-18", "2", false)},
		[]ingest.Adjustment{{Meta: meta("adj-goodwill"), Kind: "write_off", ClientID: "c-hand", ProjectID: "r-hand",
			Date: d("2026-02-10"), Hours: pdec("2"), Reason: "goodwill"}},
		[]ingest.Deliverable{
			deliverable("d-3", "Newsletter", "2026-01-20", "2026-01-20 17:00"),
			deliverable("d-4", "Banner set", "2026-01-28", "2026-01-30 09:00"),
			deliverable("d-1", "Spring brief", "2026-02-06", "2026-02-05 10:00"),
			deliverable("d-2", "Landing page", "2026-02-12", "2026-02-16 15:00"),
			deliverable("d-5", "Photo shoot", "2026-02-25", ""),
		},
		[]ingest.TaskEvent{
			event("ev-1", "d-3", ingest.EventClientReviewRequested, "2026-01-19 09:00"),
			event("ev-2", "d-3", ingest.EventClientApproved, "2026-01-19 21:00"),
			event("ev-3", "d-4", ingest.EventClientReviewRequested, "2026-01-28 09:00"),
			event("ev-4", "d-4", ingest.EventClientApproved, "2026-01-30 09:00"),
			event("ev-5", "d-1", ingest.EventClientReviewRequested, "2026-02-04 10:00"),
			event("ev-6", "d-1", ingest.EventClientApproved, "2026-02-05 10:00"),
			event("ev-7", "d-2", ingest.EventClientReviewRequested, "2026-02-13 09:00"),
			event("ev-8", "d-2", ingest.EventClientChangesRequested, "2026-02-14 09:00"),
			event("ev-9", "d-2", ingest.EventClientReviewRequested, "2026-02-15 09:00"),
			event("ev-10", "d-2", ingest.EventClientApproved, "2026-02-16 15:00"),
		},
	)
	s := testStore(t)
	target := func(v string) *decimal.Decimal { return pdec(v) }
	if _, err := metrics.SaveReportSettings(t.Context(), s, reportOrg, "test", metrics.ReportSettings{Client: "c-hand",
		Contract: []metrics.ContractKPI{{Section: metrics.SectionRetainerHours}, {Section: metrics.SectionDeliverables, Target: target("0.9")},
			{Section: metrics.SectionApprovals, Target: target("24")}, {Section: metrics.SectionWriteOffs, Target: target("0.1")}},
		Recipients: []string{"cmo@harbour.example"}}, testNow); err != nil {
		t.Fatal(err)
	}
}

func TestClientReportByHand(t *testing.T) {
	writeReportScenario(t)
	s := testStore(t)
	rep, err := metrics.ClientReport(t.Context(), s, testFacts(t), metrics.ReportRequest{Org: reportOrg, Client: "Harbour Foods",
		Month: d("2026-02-01"), Now: testNow, Money: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Client != "c-hand" || rep.ClientName != "Harbour Foods" || !rep.Closed || rep.Currency != "EUR" || !rep.Prev.Equal(d("2026-01-01")) {
		t.Fatalf("report head: %+v", rep)
	}
	// A section not carried is not computed.
	if rep.Budgets != nil {
		t.Errorf("budget_burn is not in the contract, got %+v", rep.Budgets)
	}
	hours := func(what string, got *decimal.Decimal, want string) {
		t.Helper()
		if got == nil {
			t.Errorf("%s = nil, want %s", what, want)
			return
		}
		exact(t, what, got.String(), want)
	}
	ratio := func(what string, got *float64, want float64) {
		t.Helper()
		if got == nil {
			t.Errorf("%s = nil, want %v", what, want)
			return
		}
		near(t, what, decimal.NewFromFloat(*got).String(), want)
	}

	// Retainer hours. February: contracted 20; used 10+10+6+2 = 28 (every
	// hour); billable 26; over-service max(0, 26 − 20 − 0 billed) = 6.
	// January: used 10+8 = 18, billable 18, over-service max(0, 18 − 20) = 0.
	if rep.Retainers == nil || len(rep.Retainers.Rows) != 1 {
		t.Fatalf("retainer rows: %+v", rep.Retainers)
	}
	r := rep.Retainers.Rows[0]
	if r.Project != "r-hand" || r.ProjectName != "Harbour retainer" {
		t.Errorf("retainer: %s %s", r.Project, r.ProjectName)
	}
	hours("Feb contracted", r.This.Contracted, "20")
	hours("Feb used", r.This.Used, "28")
	hours("Feb billable", r.This.Billable, "26")
	hours("Feb over-service", r.This.OverService, "6")
	hours("Jan used", r.Last.Used, "18")
	hours("Jan billable", r.Last.Billable, "18")
	hours("Jan over-service", r.Last.OverService, "0")
	if r.This.Forecast != nil || r.This.Overage != nil {
		t.Errorf("a closed month has no forecast: %+v", r.This)
	}

	// Deliverables. February (due in Feb: d-1, d-2, d-5): on time d-1;
	// delivered 2; late 2 − 1 = 1 (d-2); open-overdue d-5 (its deadline, Feb
	// 26 00:00, is before the cut min(Mar 1, now)); on_time_rate = 1 ÷ (2 +
	// 1) = 0.333…; slips of late deliveries delivered in Feb: d-2 Feb 16 − Feb
	// 12 = 4 → p50 4, p90 4. January: on time d-3, late d-4 (Jan 30 − Jan 28
	// = 2): 1 ÷ 2 = 0.5, p50 2.
	dv := rep.Delivery
	if dv == nil || dv.This.OnTime != 1 || dv.This.Delivered != 2 || dv.This.Late != 1 || dv.This.OpenOverdue != 1 || dv.This.SlipLate != 1 {
		t.Fatalf("February delivery: %+v", dv)
	}
	ratio("Feb on_time_rate", dv.This.OnTimeRate, 1.0/3)
	ratio("Feb slip p50", dv.This.SlipP50, 4)
	ratio("Feb slip p90", dv.This.SlipP90, 4)
	ratio("Jan on_time_rate", dv.Last.OnTimeRate, 0.5)
	ratio("Jan slip p50", dv.Last.SlipP50, 2)
	if dv.Target == nil || !dv.Target.Equal(dec("0.9")) {
		t.Errorf("on-time target %v, want 0.9", dv.Target)
	}

	// Approvals. February's decided cycles 24, 24, 30 h: p50 24; p90 at
	// (3 − 1) × 0.9 = 1.8 → 24 + 0.8 × (30 − 24) = 28.8. Deliverables decided
	// in Feb: d-1 (0 rounds), d-2 (1): mean 0.5, 1 round. First pass: d-1 of
	// the 2 approved = 0.5. January: 12 and 48 h: p50 12 + 0.5 × 36 = 30,
	// p90 12 + 0.9 × 36 = 44.4; 0 rounds over 2; first pass 2 ÷ 2 = 1.
	ap := rep.Approvals
	if ap == nil || ap.This.Cycles != 3 || ap.This.Rounds != 1 || ap.This.Decided != 2 || ap.This.Approved != 2 || ap.This.FirstPass != 1 {
		t.Fatalf("February approvals: %+v", ap)
	}
	ratio("Feb p50", ap.This.P50, 24)
	ratio("Feb p90", ap.This.P90, 28.8)
	ratio("Feb rounds mean", ap.This.RoundsMean, 0.5)
	ratio("Feb first pass", ap.This.FirstPassRate, 0.5)
	ratio("Jan p50", ap.Last.P50, 30)
	ratio("Jan p90", ap.Last.P90, 44.4)
	ratio("Jan rounds mean", ap.Last.RoundsMean, 0)
	ratio("Jan first pass", ap.Last.FirstPassRate, 1)

	// Write-offs. February: over_service 6 h (× rate 100 = 600) and goodwill
	// 2 h (× 100 = 200): 8 h of 26 billable = 0.307692…, value 800. January:
	// 0 of 18 = 0.
	wo := rep.WriteOffs
	if wo == nil || len(wo.This.Reasons) != 2 {
		t.Fatalf("February write-offs: %+v", wo)
	}
	if x := wo.This.Reasons[0]; x.Reason != "over_service" || !x.Hours.Equal(dec("6")) || x.Value == nil || !x.Value.Equal(dec("600")) {
		t.Errorf("first reason %+v, want over_service 6 h 600", x)
	}
	if x := wo.This.Reasons[1]; x.Reason != "goodwill" || !x.Hours.Equal(dec("2")) || x.Value == nil || !x.Value.Equal(dec("200")) {
		t.Errorf("second reason %+v, want goodwill 2 h 200", x)
	}
	hours("Feb write-off hours", &wo.This.Hours, "8")
	hours("Feb billable hours", &wo.This.BillableHours, "26")
	ratio("Feb write-off hours rate", wo.This.HoursRate, 8.0/26)
	hours("Feb write-off value", wo.This.Value, "800")
	ratio("Jan write-off hours rate", wo.Last.HoursRate, 0)

	// Money. February: revenue = the retainer fee 2,000 (no T&M, no billed
	// overage); labour cost 28 h × 40 = 1,120; margin 880; margin % 880 ÷
	// 2,000 = 0.44. January: 18 × 40 = 720, margin 1,280, 0.64.
	m := rep.Money
	if m == nil {
		t.Fatal("no money section with Money")
	}
	hours("Feb revenue", m.This.Revenue, "2000")
	hours("Feb labour cost", m.This.LabourCost, "1120")
	hours("Feb margin", m.This.Margin, "880")
	ratio("Feb margin %", m.This.MarginPct, 0.44)
	hours("Jan labour cost", m.Last.LabourCost, "720")
	ratio("Jan margin %", m.Last.MarginPct, 0.64)

	// The month's rows: due or delivered in February, by due date.
	want := []struct {
		id, status string
		slip       int64 // -1: none
		rounds     uint64
	}{{"d-1", "on_time", -1, 0}, {"d-2", "late", 4, 1}, {"d-5", "overdue", 4, 0}} // d-5: Mar 1 (the cut) − Feb 25 = 4
	if len(rep.Deliverables) != len(want) {
		t.Fatalf("deliverable rows: %+v", rep.Deliverables)
	}
	for i, w := range want {
		g := rep.Deliverables[i]
		slip := int64(-1)
		if g.SlipDays != nil {
			slip = *g.SlipDays
		}
		if g.ID != w.id || g.Status != w.status || slip != w.slip || g.RevisionRounds != w.rounds || g.ProjectName != "Harbour retainer" {
			t.Errorf("row %d: %+v (slip %d), want %+v", i, g, slip, w)
		}
	}
	if g := rep.Deliverables[1]; g.Name != "Landing page" || !g.Due.Equal(d("2026-02-12")) || g.Delivered == nil || !g.Delivered.Equal(d("2026-02-16")) {
		t.Errorf("d-2 row: %+v", g)
	}

	// Without Money: no money section, no write-off values.
	plain, err := metrics.ClientReport(t.Context(), s, testFacts(t), metrics.ReportRequest{Org: reportOrg, Client: "c-hand",
		Month: d("2026-02-01"), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Money != nil || plain.WriteOffs.This.Value != nil || plain.WriteOffs.This.Reasons[0].Value != nil {
		t.Errorf("without Money the report holds amounts: %+v %+v", plain.Money, plain.WriteOffs.This)
	}

	// The open month: March at testNow has a forecast instead of over-service.
	mar, err := metrics.ClientReport(t.Context(), s, testFacts(t), metrics.ReportRequest{Org: reportOrg, Client: "c-hand",
		Month: d("2026-03-01"), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if mar.Closed || mar.Retainers.Rows[0].This.OverService != nil || mar.Retainers.Rows[0].Last.OverService == nil {
		t.Errorf("March: closed %v, %+v", mar.Closed, mar.Retainers.Rows[0])
	}

	// A month not begun, an unknown client.
	if _, err := metrics.ClientReport(t.Context(), s, testFacts(t), metrics.ReportRequest{Org: reportOrg, Client: "c-hand",
		Month: d("2026-04-01"), Now: testNow}); err == nil || !strings.Contains(err.Error(), "2026-04") {
		t.Errorf("April: %v, want an error naming 2026-04", err)
	}
	if _, err := metrics.ClientReport(t.Context(), s, testFacts(t), metrics.ReportRequest{Org: reportOrg, Client: "nobody-here",
		Month: d("2026-02-01"), Now: testNow}); err == nil || !strings.Contains(err.Error(), "nobody-here") {
		t.Errorf("unknown client: %v, want an error naming it", err)
	}
}

// TestClientReportDecisionsSpanningMonths: a deliverable whose client asked
// for changes in January and approved in February counts once, in
// February, with its one round: the two columns never count it twice.
//
//	d-span: review requested Jan 10, changes requested Jan 12 (round 1),
//	requested again Feb 2, approved Feb 4.
//	February: 1 deliverable decided, 1 round → mean 1; approved 1, its
//	first decision was not an approval → first pass 0 ÷ 1 = 0.
//	January: no deliverable whose last decision of the two months is in
//	January → 0 decided, mean null; no approval → first pass null.
func TestClientReportDecisionsSpanningMonths(t *testing.T) {
	const o = "report-span"
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: o, Source: "test", ExternalID: id} }
	event := func(id, typ, at string) ingest.TaskEvent {
		return ingest.TaskEvent{Meta: meta(id), OccurredAt: utc(at), Type: typ, DeliverableID: "d-span", ClientID: "c-span", ProjectID: "p-span"}
	}
	write(t, []ingest.Client{{Meta: meta("c-span"), Name: "Span Ltd"}},
		[]ingest.Project{{Meta: meta("p-span"), Name: "Span site", ClientID: "c-span", Kind: ingest.KindFixedFee}},
		[]ingest.Deliverable{{Meta: meta("d-span"), Name: "Home page", ProjectID: "p-span", ClientID: "c-span", DueDate: pd("2026-02-10"), DeliveredAt: pt("2026-02-04 12:00")}},
		[]ingest.TaskEvent{event("e1", ingest.EventClientReviewRequested, "2026-01-10 09:00"), event("e2", ingest.EventClientChangesRequested, "2026-01-12 09:00"),
			event("e3", ingest.EventClientReviewRequested, "2026-02-02 09:00"), event("e4", ingest.EventClientApproved, "2026-02-04 09:00")})
	rep, err := metrics.ClientReport(t.Context(), testStore(t), testFacts(t), metrics.ReportRequest{Org: o, Client: "c-span", Month: d("2026-02-01"), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	ap := rep.Approvals
	if ap == nil {
		t.Fatal("no approvals section")
	}
	if ap.This.Decided != 1 || ap.This.Rounds != 1 || ap.This.RoundsMean == nil || *ap.This.RoundsMean != 1 ||
		ap.This.Approved != 1 || ap.This.FirstPass != 0 || ap.This.FirstPassRate == nil || *ap.This.FirstPassRate != 0 {
		t.Errorf("February: %+v, want 1 decided with 1 round, approved 1, first pass 0", ap.This)
	}
	if ap.Last.Decided != 0 || ap.Last.RoundsMean != nil || ap.Last.Approved != 0 || ap.Last.FirstPassRate != nil {
		t.Errorf("January: %+v, want nothing decided (the deliverable is February's)", ap.Last)
	}
}
