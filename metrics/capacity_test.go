package metrics_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
	"github.com/shopspring/decimal"
)

// The capacity grid scenario: org "capacity-test", the grid asked from
// Wednesday 2026-04-01 to Thursday 2026-04-23. From moves back to Monday
// 2026-03-30 and To forward to Monday 2026-04-27, so the weeks are
// W1 = 03-30, W2 = 04-06, W3 = 04-13, W4 = 04-20; the days counted are
// 04-01 .. 04-26 (Monday 03-30 and Tuesday 03-31 are before From and do not
// count). Everyone works Monday to Friday unless said otherwise.
//
//   - alice, designer, studio: 40 h/week, 8 h a day.
//   - bob, designer, studio: 40 h/week, 8 h a day, leaves: end_date 2026-04-15
//     (exclusive), so his last day is Tuesday 04-14.
//   - carol, developer, build: a part-timer, 24 h/week on Monday, Tuesday and
//     Wednesday (workdays 1+2+4 = 7), 8 h a day.
//   - dan, developer, build: 40 h/week, 8 h a day.
//   - eve, 20 h/week, 4 h a day: pm in studio, then from 2026-04-13 a new
//     version makes her strategist in build (a role and team change
//     mid-horizon).
//
// Holiday (org calendar): Easter Monday 2026-04-06. Time off: dan 04-14..15
// whole days; alice 04-22 4 h.
//
// Allocations:
//   - al-alice: alice 4 h/day, 03-30..04-10, confirmed.
//   - al-alice-gone: alice 8 h/day, 04-13..04-17, confirmed, then deleted.
//   - al-bob: bob 8 h/day, 04-13..04-17, confirmed (he is gone from the 15th).
//   - al-carol: carol 12 h/week, 04-01..04-30, confirmed: 12 × 8/24 = 4 h on
//     each of her days.
//   - al-dan-t: dan 20 h/week, 04-13..04-24, tentative 50 %: 20 × 8/40 = 4 h a
//     day, × 0.5.
//     A day off (holiday, time off) books nothing: a booking's hours scale by
//     the day's available ÷ contracted hours.
//   - al-dan: dan 40 h/week, 04-20..04-26, confirmed: 8 h a day.
//   - al-eve: eve 2 h/day, 04-08..04-14, confirmed: across her role change.
//   - ph-designer: a designer placeholder, 10 h/week, 04-08..04-30, confirmed.
//   - ph-qa: a qa placeholder (nobody is qa), 6 h/day, 04-20..04-22,
//     tentative 50 %.
//
// History for derating (the 12 ISO weeks before now's week: testNow is
// Tuesday 2026-03-10, so [2025-12-15, 2026-03-09)):
//   - al-carol-hist: carol 4 h/day on p2, 02-02..02-13, confirmed: her days
//     in it are 02-02, 03, 04, 09, 10, 11, so 6 × 4 = 24 h scheduled. Her
//     entries: on p2 10 h on 02-02, 10 h on 02-03, 10 h on 02-20 (after the
//     allocation, still in the window) = 30 h actual; not counted: 5 h on p9
//     (not an allocated project), 7 h on p2 on 03-09 (now's week) and 6 h on
//     p2 on 2025-12-12 (before the window). Ratio 30 ÷ 24 = 1.25.
//     Not counted either: 4 h on p8 on 01-06, a project she had only a
//     tentative allocation on (al-carol-hist-t, 2 h/day 01-05..01-09), which
//     schedules nothing.
//   - al-dan-hist: dan 8 h/day on p4, 02-02..02-06, tentative; he logged 10 h on
//     p4. A tentative allocation schedules nothing, so his ratio stays 1.
const capacityOrg = "capacity-test"

var capacityOnce sync.Once

func loadCapacity(t *testing.T) {
	t.Helper()
	capacityOnce.Do(func() {
		m := func(id string) ingest.Meta { return ingest.Meta{Org: capacityOrg, Source: "api", ExternalID: id} }
		person := func(id, from, role, team, weekly string, workdays uint8) ingest.Person {
			return ingest.Person{Meta: m(id), ValidFrom: d(from), Name: id, Role: role, Team: team,
				WeeklyCapacityHours: dec(weekly), Workdays: workdays, StartDate: pd("2024-01-01")}
		}
		bob := person("bob", "2024-01-01", "designer", "studio", "40", 31)
		bob.EndDate = pd("2026-04-15")
		perDay := func(id, person, project, from, to, hours, status, prob string) ingest.Allocation {
			return ingest.Allocation{Meta: m(id), PersonID: person, ProjectID: project, StartDate: d(from), EndDate: d(to),
				HoursPerDay: pdec(hours), Status: status, Probability: dec(prob)}
		}
		perWeek := func(id, person, project, from, to, hours, status, prob string) ingest.Allocation {
			return ingest.Allocation{Meta: m(id), PersonID: person, ProjectID: project, StartDate: d(from), EndDate: d(to),
				HoursPerWeek: pdec(hours), Status: status, Probability: dec(prob)}
		}
		gone := perDay("al-alice-gone", "alice", "p1", "2026-04-13", "2026-04-17", "8", ingest.Confirmed, "1")
		designer := perWeek("ph-designer", "", "p6", "2026-04-08", "2026-04-30", "10", ingest.Confirmed, "1")
		designer.Role = "designer"
		qa := perDay("ph-qa", "", "p7", "2026-04-20", "2026-04-22", "6", ingest.Tentative, "0.5")
		qa.Role = "qa"
		entry := func(id, person, project, date, hours string) ingest.TimeEntry {
			return ingest.TimeEntry{Meta: m(id), PersonID: person, ProjectID: project, Date: d(date), Hours: dec(hours),
				Billable: true, BillingStatus: ingest.Unbilled}
		}
		write(t,
			[]settings.Settings{{ID: capacityOrg, Name: "Capacity test", TimeZone: "UTC", Currency: "USD"}},
			[]ingest.Person{
				person("alice", "2024-01-01", "designer", "studio", "40", 31), bob,
				person("carol", "2024-01-01", "developer", "build", "24", 7),
				person("dan", "2024-01-01", "developer", "build", "40", 31),
				person("eve", "2024-01-01", "pm", "studio", "20", 31),
				person("eve", "2026-04-13", "strategist", "build", "20", 31),
			},
			[]ingest.Holiday{{Org: capacityOrg, Date: d("2026-04-06"), Name: "Easter Monday"}},
			[]ingest.TimeOff{
				{Meta: m("to-dan"), PersonID: "dan", StartDate: d("2026-04-14"), EndDate: d("2026-04-15")},
				{Meta: m("to-alice"), PersonID: "alice", StartDate: d("2026-04-22"), EndDate: d("2026-04-22"), HoursPerDay: pdec("4")},
			},
			[]ingest.Allocation{
				perDay("al-alice", "alice", "p1", "2026-03-30", "2026-04-10", "4", ingest.Confirmed, "1"), gone,
				perDay("al-bob", "bob", "p3", "2026-04-13", "2026-04-17", "8", ingest.Confirmed, "1"),
				perWeek("al-carol", "carol", "p2", "2026-04-01", "2026-04-30", "12", ingest.Confirmed, "1"),
				perWeek("al-dan-t", "dan", "p3", "2026-04-13", "2026-04-24", "20", ingest.Tentative, "0.5"),
				perWeek("al-dan", "dan", "p4", "2026-04-20", "2026-04-26", "40", ingest.Confirmed, "1"),
				perDay("al-eve", "eve", "p5", "2026-04-08", "2026-04-14", "2", ingest.Confirmed, "1"),
				designer, qa,
				perDay("al-carol-hist", "carol", "p2", "2026-02-02", "2026-02-13", "4", ingest.Confirmed, "1"),
				perDay("al-carol-hist-t", "carol", "p8", "2026-01-05", "2026-01-09", "2", ingest.Tentative, "0.5"),
				perDay("al-dan-hist", "dan", "p4", "2026-02-02", "2026-02-06", "8", ingest.Tentative, "0.5"),
			},
			[]ingest.TimeEntry{
				entry("c-1", "carol", "p2", "2026-02-02", "10"), entry("c-2", "carol", "p2", "2026-02-03", "10"),
				entry("c-3", "carol", "p2", "2026-02-20", "10"), entry("c-4", "carol", "p9", "2026-02-04", "5"),
				entry("c-5", "carol", "p2", "2026-03-09", "7"), entry("c-6", "carol", "p2", "2025-12-12", "6"),
				entry("c-7", "carol", "p8", "2026-01-06", "4"), entry("d-1", "dan", "p4", "2026-02-02", "10"),
			},
		)
		gone.Deleted = true
		write(t, []ingest.Allocation{gone})
	})
}

// capacityGrid asks for the scenario's grid.
func capacityGrid(t *testing.T, by string, tentative, derate bool) *metrics.CapacityGrid {
	t.Helper()
	loadCapacity(t)
	g, err := metrics.Capacity(t.Context(), testStore(t), metrics.CapacityRequest{Org: capacityOrg,
		From: d("2026-04-01"), To: d("2026-04-23"), By: by, IncludeTentative: tentative, Derate: derate, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// wantCell checks one cell: available, booked, tentative and free hours.
func wantCell(t *testing.T, g *metrics.CapacityGrid, key, week, available, booked, tentative, free string) {
	t.Helper()
	for _, c := range g.Cells {
		if c.Key == key && c.Week.Equal(d(week)) {
			for _, v := range []struct{ what, got, want string }{
				{"available", c.Available.String(), available}, {"booked", c.Booked.String(), booked},
				{"tentative", c.Tentative.String(), tentative}, {"free", c.Free.String(), free}} {
				exact(t, key+" "+week+" "+v.what, v.got, v.want)
			}
			return
		}
	}
	t.Errorf("no cell %s %s", key, week)
}

const wk1, wk2, wk3, wk4 = "2026-03-30", "2026-04-06", "2026-04-13", "2026-04-20"

func TestCapacityGridShape(t *testing.T) {
	g := capacityGrid(t, "role", true, false)
	weeks := []string{wk1, wk2, wk3, wk4}
	if len(g.Weeks) != len(weeks) {
		t.Fatalf("weeks %v, want %v", g.Weeks, weeks)
	}
	for i, w := range weeks {
		if !g.Weeks[i].Equal(d(w)) {
			t.Errorf("week %d = %s, want %s", i, g.Weeks[i].Format(time.DateOnly), w)
		}
	}
	// Every role × every week, sorted by role then week: qa and strategist
	// have rows in weeks where they have no hours.
	keys := []string{"designer", "developer", "pm", "qa", "strategist"}
	if len(g.Cells) != len(keys)*len(weeks) {
		t.Fatalf("%d cells, want %d × %d", len(g.Cells), len(keys), len(weeks))
	}
	for i, c := range g.Cells {
		if c.Key != keys[i/4] || !c.Week.Equal(d(weeks[i%4])) {
			t.Errorf("cell %d is %s %s, want %s %s", i, c.Key, c.Week.Format(time.DateOnly), keys[i/4], weeks[i%4])
		}
	}
	if g.Org != capacityOrg || g.By != "role" || !g.IncludeTentative || g.Derate {
		t.Errorf("grid header %+v", g)
	}
}

func TestCapacityGridByPerson(t *testing.T) {
	g := capacityGrid(t, "person", false, false)
	// alice. W1, the partial first week: only Wed 04-01 .. Fri 04-03 count:
	// 3 × 8 = 24 available; al-alice books 4 h on those 3 days = 12 (not on
	// 03-30 and 03-31, before From); free 24 − 12 = 12.
	wantCell(t, g, "alice", wk1, "24", "12", "0", "12")
	// W2, the holiday week: 4 × 8 = 32 available (Easter Monday is 0). A
	// holiday books nothing (4 h × 0 available ÷ 8 contracted), so the
	// booking counts on Tue..Fri: 4 × 4 = 16; free 32 − 16 = 16.
	wantCell(t, g, "alice", wk2, "32", "16", "0", "16")
	// W3: 5 × 8 = 40; the deleted al-alice-gone books nothing.
	wantCell(t, g, "alice", wk3, "40", "0", "0", "40")
	// W4: 40 − 4 h time off on 04-22 = 36.
	wantCell(t, g, "alice", wk4, "36", "0", "0", "36")

	// bob leaves: W1 3 × 8 = 24, W2 4 × 8 = 32 (holiday), W3 only Mon 13 and
	// Tue 14: 16 available, and al-bob books 8 h on those 2 days = 16 (none
	// after he left); W4 nothing.
	wantCell(t, g, "bob", wk1, "24", "0", "0", "24")
	wantCell(t, g, "bob", wk2, "32", "0", "0", "32")
	wantCell(t, g, "bob", wk3, "16", "16", "0", "0")
	wantCell(t, g, "bob", wk4, "0", "0", "0", "0")

	// carol, 12 h/week spread over her Mon, Tue, Wed: 12 × 8/24 = 4 h a day.
	// W1: only Wed 04-01 counts: 8 available, 4 booked, free 4.
	wantCell(t, g, "carol", wk1, "8", "4", "0", "4")
	// W2: Mon is the holiday: 2 × 8 = 16 available; the weekly booking
	// spreads over available hours: 12 × 8/24 on Tue and Wed = 8; free 8.
	wantCell(t, g, "carol", wk2, "16", "8", "0", "8")
	// W3, W4: 24 available, 12 booked, free 12.
	wantCell(t, g, "carol", wk3, "24", "12", "0", "12")
	wantCell(t, g, "carol", wk4, "24", "12", "0", "12")

	// dan. W3: time off Tue and Wed: 40 − 16 = 24; the tentative 20 h/week at
	// 50 % books 20 × 8/40 = 4 h on Mon, Thu and Fri only (nothing on days
	// off): 3 × 4 × 0.5 = 6, reported but not subtracted: free 24.
	wantCell(t, g, "dan", wk1, "24", "0", "0", "24")
	wantCell(t, g, "dan", wk2, "32", "0", "0", "32")
	wantCell(t, g, "dan", wk3, "24", "0", "6", "24")
	// W4: 40 available, 40 confirmed (al-dan), tentative 10: free 40 − 40 = 0.
	wantCell(t, g, "dan", wk4, "40", "40", "10", "0")

	// eve, 4 h a day. W1 3 × 4 = 12; W2 4 × 4 = 16 with al-eve's 2 h on Wed,
	// Thu, Fri = 6; W3 20 with 2 h on Mon, Tue = 4; W4 20.
	wantCell(t, g, "eve", wk1, "12", "0", "0", "12")
	wantCell(t, g, "eve", wk2, "16", "6", "0", "10")
	wantCell(t, g, "eve", wk3, "20", "4", "0", "16")
	wantCell(t, g, "eve", wk4, "20", "0", "0", "20")

	// Persons only: the placeholders do not show.
	if n := len(g.Cells); n != 5*4 {
		t.Errorf("%d cells, want 5 people × 4 weeks", n)
	}
}

func TestCapacityGridTentative(t *testing.T) {
	with, without := capacityGrid(t, "person", true, false), capacityGrid(t, "person", false, false)
	// dan W3: 24 available, tentative 20 h/week × 8/40 = 4 h on each of the
	// 3 days he is not off × 0.5 = 6: free 24 − 6 = 18 with tentative, 24 without.
	wantCell(t, with, "dan", wk3, "24", "0", "6", "18")
	wantCell(t, without, "dan", wk3, "24", "0", "6", "24")
	// dan W4: 40 − 40 confirmed − 10 tentative = −10, overbooked and kept
	// negative; 0 without tentative.
	wantCell(t, with, "dan", wk4, "40", "40", "10", "-10")
	wantCell(t, without, "dan", wk4, "40", "40", "10", "0")

	// The qa placeholder: 6 h/day on Mon 20, Tue 21, Wed 22 at 50 % = 9
	// tentative on a role nobody holds: free −9 with tentative, 0 without.
	wantCell(t, capacityGrid(t, "role", true, false), "qa", wk4, "0", "0", "9", "-9")
	wantCell(t, capacityGrid(t, "role", false, false), "qa", wk4, "0", "0", "9", "0")
}

func TestCapacityGridByRole(t *testing.T) {
	g := capacityGrid(t, "role", true, false)
	// designer = alice + bob + the designer placeholder (10 h/week from Wed
	// 04-08: W2 has Wed, Thu, Fri = 3 of 5 org workdays, 10 × 3/5 = 6; W3 and
	// W4 10 each).
	// W1: available 24 + 24 = 48; booked alice 12; free 36.
	wantCell(t, g, "designer", wk1, "48", "12", "0", "36")
	// W2: 32 + 32 = 64; booked alice 16 + placeholder 6 = 22; free 42.
	wantCell(t, g, "designer", wk2, "64", "22", "0", "42")
	// W3: alice 40 + bob 16 = 56; booked bob 16 + placeholder 10 = 26; free 30.
	wantCell(t, g, "designer", wk3, "56", "26", "0", "30")
	// W4, bob gone: alice 36; booked placeholder 10; free 26.
	wantCell(t, g, "designer", wk4, "36", "10", "0", "26")

	// developer = carol + dan.
	// W1: 8 + 24 = 32; booked 4; free 28.
	wantCell(t, g, "developer", wk1, "32", "4", "0", "28")
	// W2: 16 + 32 = 48; booked carol 8; free 40.
	wantCell(t, g, "developer", wk2, "48", "8", "0", "40")
	// W3: 24 + 24 = 48; booked 12; tentative 6; free 48 − 12 − 6 = 30.
	wantCell(t, g, "developer", wk3, "48", "12", "6", "30")
	// W4: 24 + 40 = 64; booked 12 + 40 = 52; tentative 10; free 2.
	wantCell(t, g, "developer", wk4, "64", "52", "10", "2")

	// eve moves from pm to strategist on 04-13, her hours and booking with her.
	wantCell(t, g, "pm", wk2, "16", "6", "0", "10")
	wantCell(t, g, "pm", wk3, "0", "0", "0", "0")
	wantCell(t, g, "strategist", wk2, "0", "0", "0", "0")
	wantCell(t, g, "strategist", wk3, "20", "4", "0", "16")

	// qa has only the placeholder: zero cells before W4.
	wantCell(t, g, "qa", wk1, "0", "0", "0", "0")
}

func TestCapacityGridByTeam(t *testing.T) {
	g := capacityGrid(t, "team", false, false)
	// studio = alice + bob + eve while she is in it (W1, W2).
	// W1: 24 + 24 + 12 = 60; booked alice 12; free 48.
	wantCell(t, g, "studio", wk1, "60", "12", "0", "48")
	// W2: 32 + 32 + 16 = 80; booked alice 16 + eve 6 = 22; free 58.
	wantCell(t, g, "studio", wk2, "80", "22", "0", "58")
	// W3: alice 40 + bob 16 = 56; booked bob 16; free 40.
	wantCell(t, g, "studio", wk3, "56", "16", "0", "40")
	// build = carol + dan + eve from W3.
	// W3: 24 + 24 + 20 = 68; booked carol 12 + eve 4 = 16; tentative 6 (not
	// subtracted); free 52. Placeholders never book a team.
	wantCell(t, g, "build", wk3, "68", "16", "6", "52")
	// W4: 24 + 40 + 20 = 84; booked 12 + 40 = 52; free 32.
	wantCell(t, g, "build", wk4, "84", "52", "10", "32")
	if n := len(g.Cells); n != 2*4 {
		t.Errorf("%d cells, want 2 teams × 4 weeks", n)
	}
}

func TestCapacityGridDerate(t *testing.T) {
	g := capacityGrid(t, "person", false, true)
	// carol's ratio is 30 ÷ 24 = 1.25 (see the scenario): her confirmed
	// bookings 4, 8, 12, 12 become 5, 10, 15, 15.
	wantCell(t, g, "carol", wk1, "8", "5", "0", "3")
	wantCell(t, g, "carol", wk2, "16", "10", "0", "6")
	wantCell(t, g, "carol", wk4, "24", "15", "0", "9")
	// No confirmed history: ratio 1 (alice none at all, dan only tentative).
	wantCell(t, g, "alice", wk2, "32", "16", "0", "16")
	wantCell(t, g, "dan", wk4, "40", "40", "10", "0")
	// By role: developer W4 = carol 15 + dan 40 = 55 booked; 64 − 55 = 9.
	wantCell(t, capacityGrid(t, "role", false, true), "developer", wk4, "64", "55", "10", "9")
	if !g.Derate {
		t.Error("grid does not say it is derated")
	}
}

func TestCapacityGridBadRequest(t *testing.T) {
	loadCapacity(t)
	ok := metrics.CapacityRequest{Org: capacityOrg, From: d("2026-04-01"), To: d("2026-04-23"), By: "role", Now: testNow}
	for name, change := range map[string]func(*metrics.CapacityRequest){
		"no org":        func(r *metrics.CapacityRequest) { r.Org = "" },
		"by client":     func(r *metrics.CapacityRequest) { r.By = "client" },
		"no by":         func(r *metrics.CapacityRequest) { r.By = "" },
		"no from":       func(r *metrics.CapacityRequest) { r.From = time.Time{} },
		"from after to": func(r *metrics.CapacityRequest) { r.From, r.To = r.To, r.From },
		"from is to":    func(r *metrics.CapacityRequest) { r.To = r.From },
		// 2026-03-30 + 209 weeks; 208 weeks (4 years) is the most.
		"209 weeks": func(r *metrics.CapacityRequest) { r.To = d("2026-03-30").AddDate(0, 0, 7*209) },
	} {
		r := ok
		change(&r)
		if _, err := metrics.Capacity(t.Context(), testStore(t), r); !errors.Is(err, metrics.ErrBadRequest) {
			t.Errorf("%s: err = %v, want ErrBadRequest", name, err)
		}
	}
	// 208 weeks is allowed.
	r := ok
	r.To = d("2026-03-30").AddDate(0, 0, 7*208)
	g, err := metrics.Capacity(t.Context(), testStore(t), r)
	if err != nil || len(g.Weeks) != 208 {
		t.Errorf("208 weeks: %v", err)
	}
}

// TestEarliestStartOnTheGrid runs an earliest-start request on the engine
// with the capacity scenario: a holiday, time off, a leaver, a placeholder.
func TestEarliestStartOnTheGrid(t *testing.T) {
	loadCapacity(t)
	r := metrics.EarliestStartRequest{Org: capacityOrg, Demand: map[string]decimal.Decimal{"designer": dec("35")}, Weeks: 2,
		NotBefore: d("2026-04-01"), HorizonWeeks: 10, IncludeTentative: true, Now: testNow}
	a, err := metrics.EarliestStart(t.Context(), testStore(t), r)
	if err != nil {
		t.Fatal(err)
	}
	// Designer free hours (TestCapacityGridByRole): week of 04-06 42, 04-13 30
	// (bob leaves), 04-20 26 (alice's 4 h off, the placeholder's 10); 04-27:
	// alice 40 less the placeholder's last 4 days, 10 × 4/5 = 8: 32; from 05-04
	// alice's 40. The first Monday on or after Wednesday 04-01 is 04-06.
	// 35 h for 2 weeks: starts 04-06 (30 in week 2), 04-13, 04-20 and 04-27
	// fail; 05-04 has 40 and 40, 5 h to spare.
	if !a.Feasible || !a.Start.Equal(d("2026-05-04")) || !a.FirstWeek.Equal(d("2026-04-06")) {
		t.Fatalf("start %v (feasible %v, first week %s), want 2026-05-04", a.Start, a.Feasible, a.FirstWeek)
	}
	if f := a.Roles[0]; !f.Slack.Equal(dec("5")) || !f.TightestWeek.Equal(d("2026-05-04")) {
		t.Errorf("fit %+v, want 5 h to spare in the week of 05-04", f)
	}
	// Starting on 04-06, the second week is short: 35 − 30 = 5.
	if len(a.Shortfall) != 1 || !a.Shortfall[0].Week.Equal(d("2026-04-13")) || !a.Shortfall[0].Short.Equal(dec("5")) {
		t.Errorf("shortfall %+v, want 5 h in the week of 04-13", a.Shortfall)
	}
	// 70 h over 3 weeks is 23.33 a week: 42, 30 and 26 all have it, from 04-06.
	if a.Stretched == nil || a.Stretched.Weeks != 3 || !a.Stretched.Start.Equal(d("2026-04-06")) {
		t.Errorf("stretched %+v, want 3 weeks from 04-06", a.Stretched)
	}
	// More than the designers ever have is a clear answer, not an error.
	r.Demand["designer"] = dec("60")
	if a, err = metrics.EarliestStart(t.Context(), testStore(t), r); err != nil || a.Feasible {
		t.Fatalf("60 h a week: %+v, %v; want no feasible start", a, err)
	}
}
