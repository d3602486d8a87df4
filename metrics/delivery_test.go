package metrics_test

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// The delivery and approval scenario (spec kpis.md §3 and §5): org
// "delivery-test" in America/New_York (UTC−5 until the daylight-saving change
// on Sunday 2026-03-08, UTC−4 after), grace_days 0, workdays Monday to Friday,
// business hours 09:00–17:00 (the org defaults). testNow is 2026-03-10 12:00
// UTC (08:00 in New York). Clients c-acme (project p-acme), c-beta (p-beta) and
// c-gamma (p-gamma); owners alice and bob. Times below are UTC.
//
// Deliverables (committed / due / delivered):
//
//	D1  acme  alice  Jan 15 / Jan 15 / Jan 16 03:00 = Jan 15 22:00 in New York: on time
//	D2  acme  bob    Jan 20 / Jan 20 / Jan 23 15:00: late, 3 days
//	D3  beta  alice  none   / Feb 10 / open: overdue
//	D4  acme  alice  Mar 10 / Mar 10 / open: not yet due at now (its day is not over)
//	D5  beta  bob    Mar 9  / Mar 9  / open: overdue at now
//	D6  acme  alice  Feb 5  / Feb 5  / Feb 4 14:00: on time; ingested twice (first open, then delivered)
//	D7  beta  bob    Feb 10 / Feb 12 / Feb 20 15:00: late, then tombstoned: gone everywhere
//	D8  ""    bob    Feb 2  / Feb 16 / Feb 13 16:00 (project p-beta, so client c-beta):
//	    on time against the due date, late against the committed one
//	D9  acme  alice  Feb 25 / Mar 5  / Mar 4 15:00
//	D10 beta  alice  Jan 26 / Jan 26 / Feb 20 15:00: late, 25 days
//	D11 gamma bob    Feb 9  / Feb 9  / Feb 10 17:00: late, 1 day
//
// Due-date changes: D1 to Jan 15 (its committed date: no change); D3 to Feb 10
// (no committed date: this is the commitment); D8 to Feb 9, to Feb 16, to Feb 16
// again (no change); D9 to Mar 5; D11 to Feb 12 and back to Feb 9; D7 to Feb 12.
//
// Review events (r = client_review_requested, c = client_changes_requested,
// a = client_approved):
//
//	D1  r Mon Jan 12 14:00, a Tue Jan 13 19:00 (the approval ingested twice)
//	D2  r Fri Jan 16 20:00, a Mon Jan 19 15:30: across a weekend
//	D8  (events carry no client or project) r Mon Feb 2 15:00, c Tue Feb 3 15:00
//	    (ingested twice), r Wed Feb 4 21:00, c Thu Feb 5 22:00, r Fri Feb 6 13:00,
//	    r Fri Feb 6 18:00 (a reminder: same cycle), a Mon Feb 9 14:00
//	D10 r Mon Feb 9 15:00, c Wed Feb 11 02:00 = Tue Feb 10 21:00 in New York
//	D11 r Sat Jan 24 15:00, a Sun Jan 25 20:00: all weekend
//	D6  a Wed Feb 4 13:00 with no request: closes no cycle
//	D3  r Fri Feb 20 15:00: no decision yet
//	D4  (no client on the events) r Fri Feb 27 17:00: no decision yet
//	D9  r Thu Feb 26 15:00, a Tue Mar 3 15:00
//	D5  r Fri Mar 6 20:00 (15:00 EST), a Mon Mar 9 14:00 (10:00 EDT)
//	D7  r Mon Feb 16 15:00, c Tue Feb 17 15:00 (tombstoned deliverable)
//
// Business hours in UTC: 14:00–22:00 before Mar 8, 13:00–21:00 after.
//
// Time entries on deliverables: alice D1 Jan 12 5 h, D10 Feb 9 1 h, D10 Feb 10
// 1.5 h; bob D8 Feb 2 3 h, Feb 3 2 h, Feb 6 4 h, Mar 2 2 h, D7 Feb 18 2 h; and
// bob Feb 4 3 h on no deliverable.
const deliveryOrg = "delivery-test"

var deliveryOnce sync.Once

func loadDelivery(tb testing.TB) {
	tb.Helper()
	deliveryOnce.Do(func() { writeDelivery(tb) })
}

func writeDelivery(tb testing.TB) {
	tb.Helper()
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: deliveryOrg, Source: "api", ExternalID: id} }
	dv := func(id, client, project, owner string, committed, due, delivered *time.Time) ingest.Deliverable {
		return ingest.Deliverable{Meta: meta(id), Name: id, ClientID: client, ProjectID: project, OwnerID: owner,
			CommittedDueDate: committed, DueDate: due, DeliveredAt: delivered, InScope: true, UpdatedAt: pt("2026-01-02 09:00")}
	}
	d6open := dv("D6", "c-acme", "p-acme", "alice", pd("2026-02-05"), pd("2026-02-05"), nil)
	d6open.UpdatedAt = pt("2026-02-01 09:00")
	d6done := dv("D6", "c-acme", "p-acme", "alice", pd("2026-02-05"), pd("2026-02-05"), pt("2026-02-04 14:00"))
	d6done.UpdatedAt = pt("2026-02-04 15:00")
	d7 := dv("D7", "c-beta", "p-beta", "bob", pd("2026-02-10"), pd("2026-02-12"), pt("2026-02-20 15:00"))
	d7gone := d7
	d7gone.Deleted, d7gone.UpdatedAt = true, pt("2026-02-21 09:00")
	deliverables := []ingest.Deliverable{
		dv("D1", "c-acme", "p-acme", "alice", pd("2026-01-15"), pd("2026-01-15"), pt("2026-01-16 03:00")),
		dv("D2", "c-acme", "p-acme", "bob", pd("2026-01-20"), pd("2026-01-20"), pt("2026-01-23 15:00")),
		dv("D3", "c-beta", "p-beta", "alice", nil, pd("2026-02-10"), nil),
		dv("D4", "c-acme", "p-acme", "alice", pd("2026-03-10"), pd("2026-03-10"), nil),
		dv("D5", "c-beta", "p-beta", "bob", pd("2026-03-09"), pd("2026-03-09"), nil),
		d6open, d7,
		dv("D8", "", "p-beta", "bob", pd("2026-02-02"), pd("2026-02-16"), pt("2026-02-13 16:00")),
		dv("D9", "c-acme", "p-acme", "alice", pd("2026-02-25"), pd("2026-03-05"), pt("2026-03-04 15:00")),
		dv("D10", "c-beta", "p-beta", "alice", pd("2026-01-26"), pd("2026-01-26"), pt("2026-02-20 15:00")),
		dv("D11", "c-gamma", "p-gamma", "bob", pd("2026-02-09"), pd("2026-02-09"), pt("2026-02-10 17:00")),
	}

	clientOf := map[string]string{"D1": "c-acme", "D2": "c-acme", "D3": "c-beta", "D5": "c-beta", "D6": "c-acme",
		"D7": "c-beta", "D9": "c-acme", "D10": "c-beta", "D11": "c-gamma"}
	projectOf := map[string]string{"c-acme": "p-acme", "c-beta": "p-beta", "c-gamma": "p-gamma"}
	ev := func(id, deliverable, typ, when string) ingest.TaskEvent {
		c := clientOf[deliverable] // D4 and D8 carry none
		return ingest.TaskEvent{Meta: meta(id), OccurredAt: utc(when), Type: typ, DeliverableID: deliverable,
			TaskID: deliverable, ClientID: c, ProjectID: projectOf[c]}
	}
	due := func(id, deliverable, at, day string) ingest.TaskEvent {
		e := ev(id, deliverable, ingest.EventDueDateChanged, at)
		e.DueDate = pd(day)
		return e
	}
	const req, chg, ok = ingest.EventClientReviewRequested, ingest.EventClientChangesRequested, ingest.EventClientApproved
	events := []ingest.TaskEvent{
		due("dd-1", "D1", "2026-01-05 15:00", "2026-01-15"),
		due("dd-3", "D3", "2026-01-10 15:00", "2026-02-10"),
		due("dd-8a", "D8", "2026-01-20 15:00", "2026-02-09"),
		due("dd-8b", "D8", "2026-02-05 15:00", "2026-02-16"),
		due("dd-8c", "D8", "2026-02-06 15:00", "2026-02-16"),
		due("dd-9", "D9", "2026-02-20 15:00", "2026-03-05"),
		due("dd-11a", "D11", "2026-01-28 15:00", "2026-02-12"),
		due("dd-11b", "D11", "2026-02-03 15:00", "2026-02-09"),
		due("dd-7", "D7", "2026-02-03 15:00", "2026-02-12"),
		ev("rv-1a", "D1", req, "2026-01-12 14:00"), ev("rv-1b", "D1", ok, "2026-01-13 19:00"),
		ev("rv-2a", "D2", req, "2026-01-16 20:00"), ev("rv-2b", "D2", ok, "2026-01-19 15:30"),
		ev("rv-8a", "D8", req, "2026-02-02 15:00"), ev("rv-8b", "D8", chg, "2026-02-03 15:00"),
		ev("rv-8c", "D8", req, "2026-02-04 21:00"), ev("rv-8d", "D8", chg, "2026-02-05 22:00"),
		ev("rv-8e", "D8", req, "2026-02-06 13:00"), ev("rv-8f", "D8", req, "2026-02-06 18:00"),
		ev("rv-8g", "D8", ok, "2026-02-09 14:00"),
		ev("rv-10a", "D10", req, "2026-02-09 15:00"), ev("rv-10b", "D10", chg, "2026-02-11 02:00"),
		ev("rv-11a", "D11", req, "2026-01-24 15:00"), ev("rv-11b", "D11", ok, "2026-01-25 20:00"),
		ev("rv-6a", "D6", ok, "2026-02-04 13:00"),
		ev("rv-3a", "D3", req, "2026-02-20 15:00"),
		ev("rv-4a", "D4", req, "2026-02-27 17:00"),
		ev("rv-9a", "D9", req, "2026-02-26 15:00"), ev("rv-9b", "D9", ok, "2026-03-03 15:00"),
		ev("rv-5a", "D5", req, "2026-03-06 20:00"), ev("rv-5b", "D5", ok, "2026-03-09 14:00"),
		ev("rv-7a", "D7", req, "2026-02-16 15:00"), ev("rv-7b", "D7", chg, "2026-02-17 15:00"),
	}
	var again []ingest.TaskEvent // webhooks delivered twice
	for _, e := range events {
		if e.ExternalID == "rv-1b" || e.ExternalID == "rv-8b" {
			again = append(again, e)
		}
	}

	entry := func(id, person, day, hours, deliverable, project string) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta(id), PersonID: person, Date: d(day), Hours: dec(hours), ProjectID: project,
			Billable: true, BillingStatus: ingest.Unbilled, DeliverableID: deliverable}
	}
	project := func(id, client string) ingest.Project {
		return ingest.Project{Meta: meta(id), Name: id, ClientID: client, Kind: ingest.KindTM, BillableDefault: true}
	}
	write(tb,
		[]settings.Settings{{ID: deliveryOrg, Name: "Delivery", TimeZone: "America/New_York", Currency: "USD"}},
		[]ingest.Project{project("p-acme", "c-acme"), project("p-beta", "c-beta"), project("p-gamma", "c-gamma")},
		deliverables,
		[]ingest.Deliverable{d6done}, // D6 re-ingested, newer: counted once, as delivered
		[]ingest.Deliverable{d7gone},
		events, again,
		[]ingest.TimeEntry{
			entry("e1", "alice", "2026-01-12", "5", "D1", "p-acme"),
			entry("e2", "bob", "2026-02-02", "3", "D8", "p-beta"),
			entry("e3", "bob", "2026-02-03", "2", "D8", "p-beta"),
			entry("e4", "bob", "2026-02-06", "4", "D8", "p-beta"),
			entry("e5", "alice", "2026-02-09", "1", "D10", "p-beta"),
			entry("e6", "alice", "2026-02-10", "1.5", "D10", "p-beta"),
			entry("e7", "bob", "2026-03-02", "2", "D8", "p-beta"),
			entry("e8", "bob", "2026-02-04", "3", "", "p-beta"),
			entry("e9", "bob", "2026-02-18", "2", "D7", "p-beta"),
		},
	)
}

// deliveryReq builds a request on the delivery org.
func deliveryReq(kpi, from, to, by, interval string) metrics.Request {
	return metrics.Request{KPI: kpi, Org: deliveryOrg, From: d(from), To: d(to), GroupBy: by, Interval: interval}
}

func TestOnTimeRate(t *testing.T) {
	loadDelivery(t)

	// January and February: the cutoff is min(Mar 1 00:00 New York, now) = Mar 1.
	// Due in range: D1, D2, D3, D6, D8, D10, D11 (D7 is tombstoned; D4, D5, D9 are due in March).
	//   D1 delivered Jan 15 22:00 in New York (Jan 16 in UTC): on time.
	//   D2 late (Jan 23 > Jan 20). D3 open, due Feb 10 passed: open-overdue.
	//   D6 on time (Feb 4 ≤ Feb 5; its older open version is replaced, not counted).
	//   D8 on time against its current due date (Feb 13 ≤ Feb 16).
	//   D10 late (Feb 20 > Jan 26). D11 late (Feb 10 > Feb 9, grace 0).
	// on_time 3, delivered 6, open_overdue 1: 3 / (6 + 1) = 3/7.
	res := compute(t, deliveryReq("on_time_rate", "2026-01-01", "2026-03-01", "", ""))
	near(t, "on_time_rate", cell(t, res, "", "", "value"), 3.0/7)
	exact(t, "on_time", cell(t, res, "", "", "on_time"), "3")
	exact(t, "delivered", cell(t, res, "", "", "delivered"), "6")
	exact(t, "open_overdue", cell(t, res, "", "", "open_overdue"), "1")

	// By client: acme D1 on, D2 late, D6 on: 2/3. beta D3 overdue, D8 on (its client
	// comes from project p-beta), D10 late: 1 / (2 + 1). gamma D11 late: 0/1 = 0, not null.
	res = compute(t, deliveryReq("on_time_rate", "2026-01-01", "2026-03-01", "client", ""))
	near(t, "acme", cell(t, res, "", "c-acme", "value"), 2.0/3)
	near(t, "beta", cell(t, res, "", "c-beta", "value"), 1.0/3)
	exact(t, "beta open_overdue", cell(t, res, "", "c-beta", "open_overdue"), "1")
	near(t, "gamma", cell(t, res, "", "c-gamma", "value"), 0)

	// By owner: alice D1 on, D3 overdue, D6 on, D10 late: 2 / (3 + 1). bob D2 late,
	// D8 on, D11 late: 1/3.
	res = compute(t, deliveryReq("on_time_rate", "2026-01-01", "2026-03-01", "person", ""))
	near(t, "alice", cell(t, res, "", "alice", "value"), 0.5)
	near(t, "bob", cell(t, res, "", "bob", "value"), 1.0/3)

	// By month of the due date: January D1 on, D2 late, D10 late: 1/3. February D3
	// overdue, D6 on, D8 on, D11 late: 2 / (3 + 1).
	res = compute(t, deliveryReq("on_time_rate", "2026-01-01", "2026-03-01", "", "month"))
	near(t, "January", cell(t, res, "2026-01-01", "", "value"), 1.0/3)
	near(t, "February", cell(t, res, "2026-02-01", "", "value"), 0.5)

	// A filter: client c-beta alone gives beta's 1/3.
	r := deliveryReq("on_time_rate", "2026-01-01", "2026-03-01", "", "")
	r.Filters = map[string]string{"client": "c-beta"}
	near(t, "filtered to beta", cell(t, compute(t, r), "", "", "value"), 1.0/3)

	// March: the cutoff is now (Mar 10 12:00 UTC = 08:00 in New York), before `to`.
	// D4 is open and due Mar 10, whose day is not over: not counted. D5 is open and
	// due Mar 9, over at Mar 10 04:00 UTC: open-overdue. D9 delivered Mar 4 ≤ Mar 5: on
	// time. 1 / (1 + 1).
	res = compute(t, deliveryReq("on_time_rate", "2026-03-01", "2026-04-01", "", ""))
	near(t, "March", cell(t, res, "", "", "value"), 0.5)
	exact(t, "March delivered", cell(t, res, "", "", "delivered"), "1")
	exact(t, "March open_overdue", cell(t, res, "", "", "open_overdue"), "1")

	// Only D4 is due on Mar 10, and it is not yet overdue: 0/0 is null, not 0.
	res = compute(t, deliveryReq("on_time_rate", "2026-03-10", "2026-03-11", "", ""))
	if v := cell(t, res, "", "", "value"); v != "" {
		t.Errorf("on_time_rate with nothing delivered or overdue = %q, want null", v)
	}
}

func TestCommittedOnTimeRate(t *testing.T) {
	loadDelivery(t)
	// Against committed_due_date (else due_date), in January and February:
	//   D1 Jan 15 on time; D2 Jan 20 late; D3 no commitment, so Feb 10: overdue;
	//   D6 Feb 5 on time; D8 committed Feb 2, delivered Feb 13: late;
	//   D9 committed Feb 25 (due Mar 5 now), delivered Mar 4: late; D10, D11 late.
	// on_time 2, delivered 7, open_overdue 1: 2 / 8.
	res := compute(t, deliveryReq("committed_on_time_rate", "2026-01-01", "2026-03-01", "", ""))
	near(t, "committed_on_time_rate", cell(t, res, "", "", "value"), 0.25)
	exact(t, "on_time", cell(t, res, "", "", "on_time"), "2")
	exact(t, "delivered", cell(t, res, "", "", "delivered"), "7")
	exact(t, "open_overdue", cell(t, res, "", "", "open_overdue"), "1")

	// beta: D3 overdue, D8 late, D10 late: 0 / (2 + 1) = 0.
	res = compute(t, deliveryReq("committed_on_time_rate", "2026-01-01", "2026-03-01", "client", ""))
	near(t, "beta", cell(t, res, "", "c-beta", "value"), 0)
	near(t, "acme", cell(t, res, "", "c-acme", "value"), 2.0/4) // D1, D6 on; D2, D9 late
}

func TestSlipDays(t *testing.T) {
	loadDelivery(t)
	// Late deliveries delivered (New York date) in January and February:
	// D2 Jan 23 − Jan 20 = 3, D10 Feb 20 − Jan 26 = 5 + 20 = 25, D11 Feb 10 − Feb 9 = 1.
	// (D1 is on time in New York; D7 is tombstoned; D9 is delivered in March.)
	// Sorted 1, 3, 25: p50 = 3; p90 at position (3 − 1) × 0.9 = 1.8: 3 + 0.8 × (25 − 3) = 20.6.
	res := compute(t, deliveryReq("slip_days", "2026-01-01", "2026-03-01", "", ""))
	near(t, "p50", cell(t, res, "", "", "value"), 3)
	near(t, "p90", cell(t, res, "", "", "p90"), 20.6)
	exact(t, "late", cell(t, res, "", "", "late"), "3")
	exact(t, "total", cell(t, res, "", "", "slip_days_total"), "29") // 3 + 25 + 1

	// By month of delivery: January D2 (3); February D10, D11: p50 of 1, 25 = 13,
	// p90 = 1 + 0.9 × 24 = 22.6.
	res = compute(t, deliveryReq("slip_days", "2026-01-01", "2026-03-01", "", "month"))
	near(t, "January p50", cell(t, res, "2026-01-01", "", "value"), 3)
	near(t, "February p50", cell(t, res, "2026-02-01", "", "value"), 13)
	near(t, "February p90", cell(t, res, "2026-02-01", "", "p90"), 22.6)

	res = compute(t, deliveryReq("slip_days", "2026-01-01", "2026-03-01", "client", ""))
	near(t, "beta", cell(t, res, "", "c-beta", "value"), 25)
	near(t, "gamma", cell(t, res, "", "c-gamma", "value"), 1)
}

func TestPromiseDrift(t *testing.T) {
	loadDelivery(t)
	// Due in January and February: D1, D2, D3, D6, D8, D10, D11 (7 deliverables).
	//   D1: committed Jan 15, set to Jan 15: no change.
	//   D3: no committed date; its one event is the commitment: no change.
	//   D8: Feb 2 → Feb 9 (7) → Feb 16 (7) → Feb 16 (no change): 2 changes, 14 days.
	//   D11: Feb 9 → Feb 12 (3) → Feb 9 (3, earlier counts too): 2 changes, 6 days.
	//   D7's change is gone with it.
	// changes 4, days 20, drifted 2.
	res := compute(t, deliveryReq("promise_drift", "2026-01-01", "2026-03-01", "", ""))
	exact(t, "changes", cell(t, res, "", "", "value"), "4")
	exact(t, "days moved", cell(t, res, "", "", "days_moved"), "20")
	exact(t, "deliverables", cell(t, res, "", "", "deliverables"), "7")
	exact(t, "drifted", cell(t, res, "", "", "drifted"), "2")

	res = compute(t, deliveryReq("promise_drift", "2026-01-01", "2026-03-01", "client", ""))
	exact(t, "acme changes", cell(t, res, "", "c-acme", "value"), "0") // D1, D2, D6
	exact(t, "beta days", cell(t, res, "", "c-beta", "days_moved"), "14")
	exact(t, "gamma days", cell(t, res, "", "c-gamma", "days_moved"), "6")

	// March: D4, D5, D9; D9 Feb 25 → Mar 5 = 3 + 5 = 8 days.
	res = compute(t, deliveryReq("promise_drift", "2026-03-01", "2026-04-01", "", ""))
	exact(t, "March changes", cell(t, res, "", "", "value"), "1")
	exact(t, "March days", cell(t, res, "", "", "days_moved"), "8")
}

// TestDeliveryOrgSettings runs on an org whose settings an admin changed
// (as opsmetrics org set and PUT /api/v1/org do): grace days 2, workdays
// Monday to Saturday and business hours 08:00–12:00, in New York.
func TestDeliveryOrgSettings(t *testing.T) {
	const org = "delivery-grace-test"
	s := testStore(t)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler), Changed: testFacts(t).Changed})
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := settings.NewCache(settings.Config{Store: s, Writer: w})
	if err != nil {
		t.Fatal(err)
	}
	name, tz, currency, days, hours, grace := "Grace", "America/New_York", "USD", "mon-sat", "08:00-12:00", 2
	if _, err := orgs.Update(t.Context(), org, settings.Patch{Name: &name, TimeZone: &tz, Currency: &currency,
		Workdays: &days, BusinessHours: &hours, GraceDays: &grace}); err != nil {
		t.Fatal(err)
	}
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "api", ExternalID: id} }
	dv := func(id, due string, delivered *time.Time) ingest.Deliverable {
		return ingest.Deliverable{Meta: meta(id), Name: id, ClientID: "c", ProjectID: "p", OwnerID: "o",
			DueDate: pd(due), CommittedDueDate: pd(due), DeliveredAt: delivered, InScope: true}
	}
	ev := func(id, typ string, at time.Time) ingest.TaskEvent {
		return ingest.TaskEvent{Meta: meta(id), OccurredAt: at, Type: typ, DeliverableID: "G1", ClientID: "c", ProjectID: "p"}
	}
	write(t,
		[]ingest.Deliverable{
			dv("G1", "2026-01-15", pt("2026-01-17 15:00")), // 2 days late: inside the grace
			dv("G2", "2026-01-15", pt("2026-01-18 15:00")), // 3 days late: late
			dv("G3", "2026-01-28", nil),                    // grace ends with Jan 30: overdue at Feb 1
			dv("G4", "2026-01-30", nil),                    // grace ends with Feb 1: not yet overdue at Feb 1
		},
		[]ingest.TaskEvent{
			// Fri Jan 16 11:00 EST to Mon Jan 19 09:00 EST.
			ev("g-r", ingest.EventClientReviewRequested, time.Date(2026, 1, 16, 16, 0, 0, 0, time.UTC)),
			ev("g-a", ingest.EventClientApproved, time.Date(2026, 1, 19, 14, 0, 0, 0, time.UTC)),
		},
	)
	req := func(kpi string) metrics.Request {
		return metrics.Request{KPI: kpi, Org: org, From: d("2026-01-01"), To: d("2026-02-01")}
	}

	// G1 on time (Jan 17 ≤ Jan 15 + 2), G2 late, G3 overdue, G4 left out: 1 / (2 + 1).
	res := compute(t, req("on_time_rate"))
	near(t, "on_time_rate with grace", cell(t, res, "", "", "value"), 1.0/3)
	exact(t, "open_overdue with grace", cell(t, res, "", "", "open_overdue"), "1")

	// Slip days count from the due date, not from the end of the grace: G2 Jan 18 − Jan 15 = 3.
	res = compute(t, req("slip_days"))
	near(t, "slip with grace", cell(t, res, "", "", "value"), 3)
	exact(t, "late with grace", cell(t, res, "", "", "late"), "1")

	// Calendar: Jan 16 16:00 to Jan 19 14:00 UTC = 72 − 2 = 70 h. Business hours, 08:00–12:00
	// New York on Monday to Saturday: Fri 11–12 (1) + Sat 8–12 (4) + Sun (0) + Mon 8–9 (1) = 6.
	res = compute(t, req("approval_time_p50"))
	near(t, "calendar hours", cell(t, res, "", "", "value"), 70)
	near(t, "business hours", cell(t, res, "", "", "business_hours"), 6)
}
