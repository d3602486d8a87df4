package metrics_test

import (
	"log/slog"
	"reflect"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// The approval KPIs read the scenario of delivery_test.go (org "delivery-test").
//
// Review cycles decided in January and February (New York date of the decision),
// calendar hours and business hours (09:00–17:00 New York = 14:00–22:00 UTC):
//
//	D1   Mon Jan 12 14:00 → Tue Jan 13 19:00  29 h   Mon 14–22 (8) + Tue 14–19 (5) = 13
//	D2   Fri Jan 16 20:00 → Mon Jan 19 15:30  67.5 h Fri 20–22 (2) + Mon 14–15:30 (1.5) = 3.5
//	D8#1 Mon Feb 2 15:00 → Tue Feb 3 15:00    24 h   Mon 15–22 (7) + Tue 14–15 (1) = 8
//	D8#2 Wed Feb 4 21:00 → Thu Feb 5 22:00    25 h   Wed 21–22 (1) + Thu 14–22 (8) = 9
//	D8#3 Fri Feb 6 13:00 → Mon Feb 9 14:00    73 h   Fri 14–22 (8) + Mon 14–14 (0) = 8
//	     (the reminder at 18:00 does not restart the cycle)
//	D10  Mon Feb 9 15:00 → Wed Feb 11 02:00   35 h   Mon 15–22 (7) + Tue 14–22 (8) = 15
//	     (the decision is Tue Feb 10 21:00 in New York, after hours)
//	D11  Sat Jan 24 15:00 → Sun Jan 25 20:00  29 h   0 (a weekend)
//
// D7's cycle is gone with the tombstoned deliverable; D6's approval had no request.
// Calendar hours sorted: 24, 25, 29, 29, 35, 67.5, 73.
// Business hours sorted:  0, 3.5, 8, 8, 9, 13, 15.
// Percentiles interpolate at position (n − 1) × level of the sorted values.

func TestApprovalTime(t *testing.T) {
	loadDelivery(t)

	// Seven cycles: p50 at position 3 = 29 h and 8 business hours.
	res := compute(t, deliveryReq("approval_time_p50", "2026-01-01", "2026-03-01", "", ""))
	near(t, "p50", cell(t, res, "", "", "value"), 29)
	near(t, "p50 business", cell(t, res, "", "", "business_hours"), 8)
	exact(t, "cycles", cell(t, res, "", "", "cycles"), "7")

	// p90 at position 5.4: 67.5 + 0.4 × (73 − 67.5) = 69.7; business 13 + 0.4 × (15 − 13) = 13.8.
	res = compute(t, deliveryReq("approval_time_p90", "2026-01-01", "2026-03-01", "", ""))
	near(t, "p90", cell(t, res, "", "", "value"), 69.7)
	near(t, "p90 business", cell(t, res, "", "", "business_hours"), 13.8)

	// Per client. acme: D1 (29 h, 13) and D2 (67.5 h, 3.5): p50 (29 + 67.5) / 2 = 48.25,
	// business (3.5 + 13) / 2 = 8.25. beta, D8's cycles (events with no client, so the
	// deliverable's project's) and D10: 24, 25, 35, 73 → p50 at 1.5 = 30; business
	// 8, 8, 9, 15 → 8.5. gamma: D11 alone, 29 h and 0 business hours.
	res = compute(t, deliveryReq("approval_time_p50", "2026-01-01", "2026-03-01", "client", ""))
	near(t, "acme p50", cell(t, res, "", "c-acme", "value"), 48.25)
	near(t, "acme p50 business", cell(t, res, "", "c-acme", "business_hours"), 8.25)
	near(t, "beta p50", cell(t, res, "", "c-beta", "value"), 30)
	near(t, "beta p50 business", cell(t, res, "", "c-beta", "business_hours"), 8.5)
	exact(t, "beta cycles", cell(t, res, "", "c-beta", "cycles"), "4")
	near(t, "gamma p50", cell(t, res, "", "c-gamma", "value"), 29)
	near(t, "gamma p50 business", cell(t, res, "", "c-gamma", "business_hours"), 0)

	// p90 per client: acme 29 + 0.9 × 38.5 = 63.65, business 3.5 + 0.9 × 9.5 = 12.05;
	// beta at 2.7: 35 + 0.7 × 38 = 61.6, business 9 + 0.7 × 6 = 13.2.
	res = compute(t, deliveryReq("approval_time_p90", "2026-01-01", "2026-03-01", "client", ""))
	near(t, "acme p90", cell(t, res, "", "c-acme", "value"), 63.65)
	near(t, "acme p90 business", cell(t, res, "", "c-acme", "business_hours"), 12.05)
	near(t, "beta p90", cell(t, res, "", "c-beta", "value"), 61.6)
	near(t, "beta p90 business", cell(t, res, "", "c-beta", "business_hours"), 13.2)

	// By month of the decision: January D1, D2, D11 (29, 67.5, 29): p50 29;
	// February D8 ×3, D10: 30. Filtered to c-beta: 30 as well.
	res = compute(t, deliveryReq("approval_time_p50", "2026-01-01", "2026-03-01", "", "month"))
	near(t, "January p50", cell(t, res, "2026-01-01", "", "value"), 29)
	near(t, "February p50", cell(t, res, "2026-02-01", "", "value"), 30)
	r := deliveryReq("approval_time_p50", "2026-01-01", "2026-03-01", "", "")
	r.Filters = map[string]string{"client": "c-beta"}
	near(t, "filtered to beta", cell(t, compute(t, r), "", "", "value"), 30)

	// March, across the daylight-saving change (business hours 13:00–21:00 UTC after Mar 8):
	//   D9 Thu Feb 26 15:00 → Tue Mar 3 15:00: 5 days = 120 h; Thu 15–22 (7) + Fri (8)
	//     + Mon (8) + Tue 14–15 (1) = 24.
	//   D5 Fri Mar 6 20:00 → Mon Mar 9 14:00: 66 h; Fri 20–22 (2) + Mon 13–14 (1) = 3.
	// p50 (66 + 120) / 2 = 93, business (3 + 24) / 2 = 13.5.
	res = compute(t, deliveryReq("approval_time_p50", "2026-03-01", "2026-04-01", "", ""))
	near(t, "March p50", cell(t, res, "", "", "value"), 93)
	near(t, "March p50 business", cell(t, res, "", "", "business_hours"), 13.5)
}

func TestPendingReviews(t *testing.T) {
	loadDelivery(t)

	// At min(to, now) = Mar 1 00:00 New York = Mar 1 05:00 UTC, open cycles:
	//   D3 since Feb 20 15:00: 9 days − 10 h = 206 h;
	//   D9 since Feb 26 15:00 (decided only on Mar 3): 2 days + 14 h = 62 h;
	//   D4 since Feb 27 17:00: 36 h. (D5's request, Mar 6, comes after.)
	// 3 pending, oldest 206 h, 2 older than 48 h.
	res := compute(t, deliveryReq("pending_reviews", "2026-01-01", "2026-03-01", "", ""))
	exact(t, "pending", cell(t, res, "", "", "value"), "3")
	near(t, "oldest", cell(t, res, "", "", "oldest_age_hours"), 206)
	exact(t, "stuck", cell(t, res, "", "", "stuck"), "2")

	// By client: acme D9 and D4 (D4's events carry no client: the deliverable's).
	res = compute(t, deliveryReq("pending_reviews", "2026-01-01", "2026-03-01", "client", ""))
	exact(t, "acme pending", cell(t, res, "", "c-acme", "value"), "2")
	near(t, "acme oldest", cell(t, res, "", "c-acme", "oldest_age_hours"), 62)
	exact(t, "acme stuck", cell(t, res, "", "c-acme", "stuck"), "1")
	exact(t, "beta pending", cell(t, res, "", "c-beta", "value"), "1")

	// Monthly snapshots: at the end of January (Feb 1 05:00 UTC) every cycle so far
	// was decided: 0, with no oldest age; at the end of February as above.
	res = compute(t, deliveryReq("pending_reviews", "2026-01-01", "2026-03-01", "", "month"))
	exact(t, "January pending", cell(t, res, "2026-01-01", "", "value"), "0")
	if v := cell(t, res, "2026-01-01", "", "oldest_age_hours"); v != "" {
		t.Errorf("January oldest age = %q, want null", v)
	}
	exact(t, "February pending", cell(t, res, "2026-02-01", "", "value"), "3")

	// March: the cutoff is now, Mar 10 12:00 UTC. D9 and D5 are decided; D3 has
	// waited 18 days − 3 h = 429 h, D4 11 days − 5 h = 259 h.
	res = compute(t, deliveryReq("pending_reviews", "2026-03-01", "2026-04-01", "", ""))
	exact(t, "March pending", cell(t, res, "", "", "value"), "2")
	near(t, "March oldest", cell(t, res, "", "", "oldest_age_hours"), 429)
	exact(t, "March stuck", cell(t, res, "", "", "stuck"), "2")
}

func TestRevisionRounds(t *testing.T) {
	loadDelivery(t)

	// Deliverables with a client decision in January and February: D1, D2, D6, D11 with
	// no changes requested, D8 with 2 (its first one ingested twice counts once), D10
	// with 1 (decided Feb 10 in New York). D7 is tombstoned; D9's decision is in March.
	// 3 rounds over 6 deliverables: 0.5.
	res := compute(t, deliveryReq("revision_rounds", "2026-01-01", "2026-03-01", "", ""))
	near(t, "mean", cell(t, res, "", "", "value"), 0.5)
	exact(t, "rounds", cell(t, res, "", "", "rounds"), "3")
	exact(t, "deliverables", cell(t, res, "", "", "deliverables"), "6")
	exact(t, "zero", cell(t, res, "", "", "zero_rounds"), "4")
	exact(t, "one", cell(t, res, "", "", "one_round"), "1")
	exact(t, "two", cell(t, res, "", "", "two_rounds"), "1")

	// Per client: acme D1, D2, D6: 0/3 = 0; beta D8, D10: 3/2 = 1.5; gamma D11: 0.
	res = compute(t, deliveryReq("revision_rounds", "2026-01-01", "2026-03-01", "client", ""))
	near(t, "acme", cell(t, res, "", "c-acme", "value"), 0)
	near(t, "beta", cell(t, res, "", "c-beta", "value"), 1.5)
	near(t, "gamma", cell(t, res, "", "c-gamma", "value"), 0)

	// By month of the last decision: January D1, D2, D11: 0; February D6, D8, D10: 3/3.
	res = compute(t, deliveryReq("revision_rounds", "2026-01-01", "2026-03-01", "", "month"))
	near(t, "January", cell(t, res, "2026-01-01", "", "value"), 0)
	near(t, "February", cell(t, res, "2026-02-01", "", "value"), 1)
}

func TestFirstPassApprovalRate(t *testing.T) {
	loadDelivery(t)
	// Approved in January and February: D1, D2, D11 (approved in their only cycle),
	// D6 (its first decision is an approval, even without a request), D8 (after two
	// rounds of changes). 4/5.
	res := compute(t, deliveryReq("first_pass_approval_rate", "2026-01-01", "2026-03-01", "", ""))
	near(t, "rate", cell(t, res, "", "", "value"), 0.8)
	exact(t, "first pass", cell(t, res, "", "", "first_pass"), "4")
	exact(t, "approved", cell(t, res, "", "", "approved"), "5")

	// beta: D8 only, 0/1 = 0 (not null); acme D1, D2, D6: 3/3.
	res = compute(t, deliveryReq("first_pass_approval_rate", "2026-01-01", "2026-03-01", "client", ""))
	near(t, "beta", cell(t, res, "", "c-beta", "value"), 0)
	near(t, "acme", cell(t, res, "", "c-acme", "value"), 1)
}

func TestReviewReworkHours(t *testing.T) {
	loadDelivery(t)
	// First changes requested: D8 Feb 3 (New York), D10 Feb 10 in New York (Feb 11 in UTC);
	// D7's is gone with it. Entries in January and February on deliverables:
	//   alice D1 Jan 12 5 (no changes), D10 Feb 9 1 (before), D10 Feb 10 1.5 (rework);
	//   bob D8 Feb 2 3 (before), Feb 3 2 (the same day: rework), Feb 6 4 (rework), D7 Feb 18 2.
	// (bob's Mar 2 entry is out of range; his Feb 4 entry has no deliverable.)
	// Rework 1.5 + 2 + 4 = 7.5 of 5 + 1 + 1.5 + 3 + 2 + 4 + 2 = 18.5 deliverable hours.
	res := compute(t, deliveryReq("review_rework_hours", "2026-01-01", "2026-03-01", "", ""))
	exact(t, "rework", cell(t, res, "", "", "value"), "7.5")
	exact(t, "deliverable hours", cell(t, res, "", "", "deliverable_hours"), "18.5")
	exact(t, "reworked deliverables", cell(t, res, "", "", "reworked_deliverables"), "2")

	// By person: alice 1.5 of 7.5; bob 6 of 11.
	res = compute(t, deliveryReq("review_rework_hours", "2026-01-01", "2026-03-01", "person", ""))
	exact(t, "alice rework", cell(t, res, "", "alice", "value"), "1.5")
	exact(t, "alice deliverable hours", cell(t, res, "", "alice", "deliverable_hours"), "7.5")
	exact(t, "bob rework", cell(t, res, "", "bob", "value"), "6")
	exact(t, "bob deliverable hours", cell(t, res, "", "bob", "deliverable_hours"), "11")

	// By client (entries name only a project; the client is the project's): acme 0 of 5.
	res = compute(t, deliveryReq("review_rework_hours", "2026-01-01", "2026-03-01", "client", ""))
	exact(t, "acme rework", cell(t, res, "", "c-acme", "value"), "0")
	exact(t, "beta rework", cell(t, res, "", "c-beta", "value"), "7.5")
}

// TestApprovalTimeSkipsHolidays: the org calendar's holidays are not business
// hours; another calendar's holidays and a holiday on a weekend change nothing.
// Org "approvals-holiday-test" in New York, 09:00–17:00 Monday to Friday
// (14:00–22:00 UTC in January). Holidays: Mon Jan 19 (org calendar), Sat Jan 24
// (org calendar, a weekend), Tue Jan 27 (calendar "uk", a person's).
//
//	H1 Fri Jan 16 20:00 → Tue Jan 20 15:00 UTC  91 h   Fri 20–22 (2) + Mon holiday (0) + Tue 14–15 (1) = 3
//	H2 Mon Jan 19 15:00 → Mon Jan 19 20:00      5 h    inside the holiday: 0
//	H3 Fri Jan 23 20:00 → Tue Jan 27 15:00      91 h   Fri (2) + Mon 26 (8) + Tue 14–15 (1) = 11
//
// Business hours sorted 0, 3, 11: p50 3; p90 at position 1.8: 3 + 0.8 × (11 − 3) = 9.4.
// (Without the holiday: 5, 11, 11, p50 11.) Calendar hours 5, 91, 91: p50 91.
func TestApprovalTimeSkipsHolidays(t *testing.T) {
	const org = "approvals-holiday-test"
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "api", ExternalID: id} }
	ev := func(id, deliverable, typ, at string) ingest.TaskEvent {
		return ingest.TaskEvent{Meta: meta(id), OccurredAt: utc(at), Type: typ, DeliverableID: deliverable, ClientID: "c", ProjectID: "p"}
	}
	const req, ok = ingest.EventClientReviewRequested, ingest.EventClientApproved
	write(t,
		[]settings.Settings{{ID: org, Name: "Holidays", TimeZone: "America/New_York", Currency: "USD"}},
		[]ingest.Holiday{
			{Org: org, Date: d("2026-01-19"), Name: "Martin Luther King Jr. Day"},
			{Org: org, Date: d("2026-01-24"), Name: "A Saturday"},
			{Org: org, Calendar: "uk", Date: d("2026-01-27"), Name: "Another calendar's"},
		},
		[]ingest.TaskEvent{
			ev("h1r", "H1", req, "2026-01-16 20:00"), ev("h1a", "H1", ok, "2026-01-20 15:00"),
			ev("h2r", "H2", req, "2026-01-19 15:00"), ev("h2a", "H2", ok, "2026-01-19 20:00"),
			ev("h3r", "H3", req, "2026-01-23 20:00"), ev("h3a", "H3", ok, "2026-01-27 15:00"),
		},
	)
	r := metrics.Request{KPI: "approval_time_p50", Org: org, From: d("2026-01-01"), To: d("2026-02-01")}
	res := compute(t, r)
	near(t, "p50", cell(t, res, "", "", "value"), 91)
	near(t, "p50 business", cell(t, res, "", "", "business_hours"), 3)
	r.KPI = "approval_time_p90"
	near(t, "p90 business", cell(t, compute(t, r), "", "", "business_hours"), 9.4)
}

// TestStuckReviewLimit: a review counts as stuck after the org's limit, 48
// hours unless an admin sets another (opsmetrics org set --stuck-review-hours).
// At Mar 10 12:00 UTC two reviews wait: since Mar 8 00:00 (60 h) and since
// Mar 9 06:00 (30 h).
func TestStuckReviewLimit(t *testing.T) {
	const org = "stuck-limit-test"
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "api", ExternalID: id} }
	write(t, []settings.Settings{{ID: org, Name: "Stuck", TimeZone: "UTC", Currency: "USD"}},
		[]ingest.TaskEvent{
			{Meta: meta("r1"), OccurredAt: utc("2026-03-08 00:00"), Type: ingest.EventClientReviewRequested, DeliverableID: "d1", ClientID: "c"},
			{Meta: meta("r2"), OccurredAt: utc("2026-03-09 06:00"), Type: ingest.EventClientReviewRequested, DeliverableID: "d2", ClientID: "c"},
		})
	r := metrics.Request{KPI: "pending_reviews", Org: org, From: d("2026-03-01"), To: d("2026-03-11"), Now: utc("2026-03-10 12:00")}
	// The default 48 h: only the 60-hour one.
	exact(t, "stuck at 48 h", cell(t, compute(t, r), "", "", "stuck"), "1")
	s := testStore(t)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler), Changed: testFacts(t).Changed})
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := settings.NewCache(settings.Config{Store: s, Writer: w})
	if err != nil {
		t.Fatal(err)
	}
	limit := 24
	if _, err := orgs.Update(t.Context(), org, settings.Patch{StuckReviewHours: &limit}); err != nil {
		t.Fatal(err)
	}
	// 24 h: both (60 and 30 > 24).
	exact(t, "stuck at 24 h", cell(t, compute(t, r), "", "", "stuck"), "2")
}

// ApprovalSplit's three parts, from one query, are what approval_time_p50
// answers for each request alone: by trend interval over the range shown,
// and the whole of the previous range and of the range shown.
func TestApprovalSplit(t *testing.T) {
	loadDelivery(t)
	beta := map[string]string{"client": "c-beta"}
	for _, c := range []struct {
		name                       string
		from, to, prevFrom, prevTo string
		interval                   string
		filters                    map[string]string
		before                     float64 // the previous range's p50, worked out by hand; < 0: no cycles
	}{
		// January: D1 29 h, D2 67.5 h, D11 29 h → sorted 29, 29, 67.5: p50 29.
		{"February by week", "2026-02-01", "2026-03-01", "2026-01-01", "2026-02-01", "week", nil, 29},
		// 1–8 February (New York decision dates): D8#1 Feb 3 24 h, D8#2 Feb 5 25 h → 24.5;
		// D8#3 (Feb 9) and D10 (Feb 10) fall between the ranges and count in neither.
		{"March to date by day", "2026-03-01", "2026-03-08", "2026-02-01", "2026-02-08", "day", nil, 24.5},
		// beta had no cycle decided in January.
		{"beta by month", "2026-02-01", "2026-03-01", "2026-01-01", "2026-02-01", "month", beta, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := metrics.Request{KPI: "approval_time_p50", Org: deliveryOrg, From: d(c.from), To: d(c.to), Interval: c.interval,
				Filters: c.filters, Now: testNow}
			trend, prev, whole, err := metrics.ApprovalSplit(t.Context(), testStore(t), r, d(c.prevFrom), d(c.prevTo))
			if err != nil {
				t.Fatal(err)
			}
			before, shown := r, r
			before.From, before.To, before.Interval = d(c.prevFrom), d(c.prevTo), ""
			shown.Interval = ""
			for _, p := range []struct {
				what string
				got  *metrics.Result
				want metrics.Request
			}{{"trend", trend, r}, {"previous range", prev, before}, {"range shown", whole, shown}} {
				want := compute(t, p.want)
				if !reflect.DeepEqual(p.got.Columns, want.Columns) || !reflect.DeepEqual(p.got.Rows, want.Rows) ||
					p.got.From != want.From || p.got.To != want.To || p.got.Interval != want.Interval {
					t.Errorf("%s: %s–%s %q %v %v, want %s–%s %q %v %v", p.what, p.got.From, p.got.To, p.got.Interval, p.got.Columns,
						p.got.Rows, want.From, want.To, want.Interval, want.Columns, want.Rows)
				}
			}
			if c.before < 0 {
				if len(prev.Rows) != 0 {
					t.Errorf("previous range: rows %v, want none", prev.Rows)
				}
				return
			}
			near(t, "previous range p50", cell(t, prev, "", "", "value"), c.before)
		})
	}
}
