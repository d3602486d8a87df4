package metrics_test

import (
	"fmt"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// The capacity and utilization scenario: org "util-test" over January and
// February 2026 (January has 22 weekdays, February 20).
//
//   - ana, designer, Brand: 40 h/week Monday to Friday (8 h a day); from
//     2026-02-01 a new version gives her 32 h/week (6.4 h a day): a capacity
//     change mid-period.
//   - ben, developer, Digital: a part-timer, 24 h/week on Monday, Wednesday and
//     Friday (workdays 1+4+16 = 21, so 8 h a day); he leaves: end_date
//     2026-02-16 (exclusive). His own target 0.8 overrides his role's 0.7.
//   - dan, intern, Ops: 0 h/week, a zero-capacity person.
//
// Holidays (org calendar): 2026-01-01 (Thursday) and 2026-01-19 (Monday).
// Time off: ana 2026-01-19..20 whole days (the 19th is also a holiday), ben
// 2026-01-07 4 h.
const utilOrg = "util-test"

func loadUtilization(t *testing.T) {
	t.Helper()
	entry := func(id, person, date, hours string, billable bool) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: ingest.Meta{Org: utilOrg, Source: "api", ExternalID: id}, PersonID: person,
			Date: d(date), Hours: dec(hours), Billable: billable, ProjectID: "web", ClientID: "acme", BillingStatus: ingest.Unbilled}
	}
	var entries []ingest.TimeEntry
	add := func(person, hours string, billable bool, dates ...string) {
		for _, day := range dates {
			entries = append(entries, entry(fmt.Sprintf("%s-%s-%s", person, day, hours), person, day, hours, billable))
		}
	}
	// ana, January: 12 billable days of 8 h (96 h) and 3 non-billable (24 h).
	add("ana", "8", true, "2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09", "2026-01-12",
		"2026-01-13", "2026-01-14", "2026-01-15", "2026-01-16", "2026-01-21", "2026-01-22")
	add("ana", "8", false, "2026-01-23", "2026-01-26", "2026-01-27")
	// ben, January: 10 billable days of 8 h (80 h), 4 h non-billable on the 7th and the 30th (8 h).
	add("ben", "8", true, "2026-01-02", "2026-01-05", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16",
		"2026-01-21", "2026-01-23", "2026-01-26", "2026-01-28")
	add("ben", "4", false, "2026-01-07", "2026-01-30")
	// dan, January: 5 h billable with no capacity.
	add("dan", "5", true, "2026-01-06")
	// February: ana 10 billable days of 8 h (80 h), ben 5 (40 h).
	add("ana", "8", true, "2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05", "2026-02-06", "2026-02-09",
		"2026-02-10", "2026-02-11", "2026-02-12", "2026-02-13")
	add("ben", "8", true, "2026-02-02", "2026-02-04", "2026-02-06", "2026-02-09", "2026-02-11")
	tombstoned := entry("ana-gone", "ana", "2026-01-28", "8", true)

	person := func(id, from, role, team, weekly string, workdays uint8) ingest.Person {
		return ingest.Person{Meta: ingest.Meta{Org: utilOrg, Source: "api", ExternalID: id}, ValidFrom: d(from), Name: id,
			Role: role, Team: team, WeeklyCapacityHours: dec(weekly), Workdays: workdays, StartDate: pd("2025-01-01")}
	}
	ana1, ana2 := person("ana", "2025-01-01", "designer", "Brand", "40", 31), person("ana", "2026-02-01", "designer", "Brand", "32", 31)
	ben := person("ben", "2025-06-01", "developer", "Digital", "24", 21)
	ben.UtilizationTarget, ben.EndDate = pdec("0.8"), pd("2026-02-16")
	dan := person("dan", "2025-01-01", "intern", "Ops", "0", 31)

	write(t,
		[]settings.Settings{{ID: utilOrg, Name: "Util", TimeZone: "UTC", Currency: "USD"}},
		[]ingest.Role{{Org: utilOrg, Role: "designer", ValidFrom: d("2025-01-01"), UtilizationTarget: pdec("0.75")},
			{Org: utilOrg, Role: "developer", ValidFrom: d("2025-01-01"), UtilizationTarget: pdec("0.7")}},
		[]ingest.Person{ana1, ana2, ben, dan},
		[]ingest.Holiday{{Org: utilOrg, Date: d("2026-01-01"), Name: "New Year"}, {Org: utilOrg, Date: d("2026-01-19"), Name: "MLK Day"}},
		[]ingest.TimeOff{
			{Meta: ingest.Meta{Org: utilOrg, Source: "api", ExternalID: "to-ana"}, PersonID: "ana", StartDate: d("2026-01-19"), EndDate: d("2026-01-20")},
			{Meta: ingest.Meta{Org: utilOrg, Source: "api", ExternalID: "to-ben"}, PersonID: "ben", StartDate: d("2026-01-07"), EndDate: d("2026-01-07"), HoursPerDay: pdec("4")},
		},
		entries,
		entries[:1], // a re-ingested duplicate: counted once
		[]ingest.TimeEntry{tombstoned},
		[]ingest.Allocation{
			{Meta: ingest.Meta{Org: utilOrg, Source: "api", ExternalID: "al-1"}, PersonID: "ana", ProjectID: "web",
				StartDate: d("2026-03-02"), EndDate: d("2026-03-06"), HoursPerWeek: pdec("20"), Status: ingest.Confirmed, Probability: dec("1")},
			{Meta: ingest.Meta{Org: utilOrg, Source: "api", ExternalID: "al-2"}, PersonID: "ana", ProjectID: "pitch",
				StartDate: d("2026-03-02"), EndDate: d("2026-03-06"), HoursPerDay: pdec("2"), Status: ingest.Tentative, Probability: dec("0.5")},
		},
	)
	tombstoned.Deleted = true
	write(t, []ingest.TimeEntry{tombstoned}) // the 28th's entry is gone again
}

func TestCapacityAndUtilization(t *testing.T) {
	loadUtilization(t)
	jan := metrics.Request{Org: utilOrg, From: d("2026-01-01"), To: d("2026-02-01")}
	req := func(kpi string, base metrics.Request, by, interval string) metrics.Request {
		base.KPI, base.GroupBy, base.Interval = kpi, by, interval
		return base
	}

	// Available hours in January, by person.
	// ana: 22 weekdays × 8 = 176 contracted; holidays 1st and 19th: 16; time off
	// 19th and 20th: 16, but the 19th is floored at 0 (8 − 8 − 8 < 0), so
	// available = 176 − 8 (1st) − 8 (19th) − 8 (20th) = 152.
	// ben: Mondays 5, 12, 19, 26, Wednesdays 7, 14, 21, 28, Fridays 2, 9, 16, 23, 30:
	// 13 days × 8 = 104; the 19th is a holiday (−8), the 7th has 4 h off: 104 − 8 − 4 = 92.
	// dan: 0 h/week, so 0.
	res := compute(t, req("available_hours", jan, "person", ""))
	exact(t, "ana available", cell(t, res, "", "ana", "value"), "152")
	exact(t, "ana contracted", cell(t, res, "", "ana", "contracted_hours"), "176")
	exact(t, "ana time off", cell(t, res, "", "ana", "time_off_hours"), "16")
	exact(t, "ana holidays", cell(t, res, "", "ana", "holiday_hours"), "16")
	exact(t, "ben available", cell(t, res, "", "ben", "value"), "92")
	exact(t, "ben contracted", cell(t, res, "", "ben", "contracted_hours"), "104")
	exact(t, "dan available", cell(t, res, "", "dan", "value"), "0")

	// Billable utilization, January, org: billable 96 (ana) + 80 (ben) + 5 (dan)
	// = 181 over 152 + 92 + 0 = 244 available: 181 / 244.
	// (The duplicate of ana's 5th counts once; the tombstoned 28th not at all.)
	res = compute(t, req("billable_utilization", jan, "", ""))
	near(t, "org billable utilization", cell(t, res, "", "", "value"), 181.0/244)
	exact(t, "org billable hours", cell(t, res, "", "", "billable_hours"), "181")
	// Targets: ana 0.75 (her role's), ben 0.8 (his own), dan none (0):
	// 152 × 0.75 + 92 × 0.8 = 114 + 73.6 = 187.6 target hours; 187.6 / 244.
	exact(t, "target hours", cell(t, res, "", "", "target_hours"), "187.6")
	near(t, "target", cell(t, res, "", "", "target"), 187.6/244)
	near(t, "gap", cell(t, res, "", "", "utilization_gap"), 181.0/244-187.6/244)

	// By person and month. January: ana 96/152, ben 80/92, dan null (no capacity).
	// February: ana's new capacity, 20 weekdays × 6.4 = 128 available, 80 billable;
	// ben works until the 13th: Feb 2, 4, 6, 9, 11, 13 = 6 days × 8 = 48, 40 billable.
	two := metrics.Request{Org: utilOrg, From: d("2026-01-01"), To: d("2026-03-01")}
	res = compute(t, req("billable_utilization", two, "person", "month"))
	near(t, "ana Jan", cell(t, res, "2026-01-01", "ana", "value"), 96.0/152)
	near(t, "ben Jan", cell(t, res, "2026-01-01", "ben", "value"), 80.0/92)
	if v := cell(t, res, "2026-01-01", "dan", "value"); v != "" {
		t.Errorf("dan (zero capacity) = %s, want null", v)
	}
	near(t, "ana Feb", cell(t, res, "2026-02-01", "ana", "value"), 80.0/128)
	exact(t, "ana Feb available", cell(t, res, "2026-02-01", "ana", "available_hours"), "128")
	near(t, "ben Feb", cell(t, res, "2026-02-01", "ben", "value"), 40.0/48)

	// By team over both months: Brand (ana) (96 + 80) / (152 + 128) = 176 / 280;
	// Digital (ben) (80 + 40) / (92 + 48) = 120 / 140; Ops (dan) 5 / 0 = null.
	res = compute(t, req("billable_utilization", two, "team", ""))
	near(t, "Brand", cell(t, res, "", "Brand", "value"), 176.0/280)
	near(t, "Digital", cell(t, res, "", "Digital", "value"), 120.0/140)
	if v := cell(t, res, "", "Ops", "value"); v != "" {
		t.Errorf("Ops (zero capacity) = %s, want null", v)
	}
	// A filter: team Brand alone in January is ana's 96 / 152.
	brand := req("billable_utilization", jan, "", "")
	brand.Filters = map[string]string{"team": "Brand"}
	near(t, "Brand filter", cell(t, compute(t, brand), "", "", "value"), 96.0/152)

	// Total utilization, January: logged 120 (ana) + 88 (ben) + 5 (dan) = 213 over 244.
	near(t, "total utilization", cell(t, compute(t, req("total_utilization", jan, "", "")), "", "", "value"), 213.0/244)
	// Billable ratio, January: 181 billable of 213 logged.
	near(t, "billable ratio", cell(t, compute(t, req("billable_ratio", jan, "", "")), "", "", "value"), 181.0/213)

	// Untracked hours, January. ana is available 8 h on 19 days (22 weekdays
	// minus the 1st, 19th and 20th) and logged 8 h on 15 of them: 4 days × 8 = 32
	// (the 2nd, 28th — its entry was tombstoned — 29th and 30th).
	// ben: the 30th has 8 available and 4 logged (4); the 7th 4 and 4 (0); every
	// other available day is fully logged: 4. dan: 0. Org: 36.
	res = compute(t, req("untracked_hours", jan, "person", ""))
	exact(t, "ana untracked", cell(t, res, "", "ana", "value"), "32")
	exact(t, "ben untracked", cell(t, res, "", "ben", "value"), "4")
	exact(t, "org untracked", cell(t, compute(t, req("untracked_hours", jan, "", "")), "", "", "value"), "36")

	// Scheduled utilization, week of 2026-03-02, ana: 20 h/week confirmed spread
	// over 5 days of 6.4 h = 4 h a day = 20 h; 2 h a day tentative at 50% = 5 h;
	// (20 + 5) / (5 × 6.4 = 32).
	week := metrics.Request{KPI: "scheduled_utilization", Org: utilOrg, From: d("2026-03-02"), To: d("2026-03-09"),
		Filters: map[string]string{"person": "ana"}}
	res = compute(t, week)
	near(t, "ana scheduled", cell(t, res, "", "", "value"), 25.0/32)
	exact(t, "ana tentative", cell(t, res, "", "", "tentative_hours"), "5")
}

// TestGroupsAddUp: additive measures of a group equal the sum of its parts,
// and a group's ratio equals the ratio of its sums, for every grouping.
func TestGroupsAddUp(t *testing.T) {
	loadUtilization(t)
	base := metrics.Request{KPI: "billable_utilization", Org: utilOrg, From: d("2026-01-01"), To: d("2026-03-01")}
	total := compute(t, base)
	wantB, wantA := sumColumn(t, total, "billable_hours"), sumColumn(t, total, "available_hours")
	for _, by := range []string{"person", "role", "team"} {
		for _, interval := range []string{"", "week", "month"} {
			r := base
			r.GroupBy, r.Interval = by, interval
			res := compute(t, r)
			if b, a := sumColumn(t, res, "billable_hours"), sumColumn(t, res, "available_hours"); b != wantB || a != wantA {
				t.Errorf("by %s/%s: Σ billable %v, Σ available %v; ungrouped %v, %v", by, interval, b, a, wantB, wantA)
			}
			for i := range res.Rows {
				b, a := rowValue(t, res, i, "billable_hours"), rowValue(t, res, i, "available_hours")
				v := metrics.Cell(res.Rows[i][colIndex(t, res, "value")])
				if a == 0 {
					if v != "" {
						t.Errorf("by %s/%s row %d: value %s with no available hours, want null", by, interval, i, v)
					}
					continue
				}
				near(t, fmt.Sprintf("by %s/%s row %d", by, interval, i), v, b/a)
			}
		}
	}
	// Logged hours by client, project or person add up to the org's.
	logged := metrics.Request{KPI: "logged_hours", Org: utilOrg, From: d("2026-01-01"), To: d("2026-03-01")}
	want := sumColumn(t, compute(t, logged), "value")
	for _, by := range []string{"person", "client", "project", "team"} {
		r := logged
		r.GroupBy = by
		if got := sumColumn(t, compute(t, r), "value"); got != want {
			t.Errorf("logged by %s: %v, want %v", by, got, want)
		}
	}
}
