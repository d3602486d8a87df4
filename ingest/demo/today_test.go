package demo

import (
	"fmt"
	"testing"
	"time"
)

// TestHistoryEndsToday: with End from EndToday, nothing that has happened
// (time entries, task events such as approvals, deliveries, write-offs,
// invoices) is dated after today in the org's own time zone, summer time
// included, while bookings and due dates still lie ahead and the history
// reaches this week.
func TestHistoryEndsToday(t *testing.T) {
	for _, tc := range []struct {
		now  time.Time
		orgs int
	}{
		{time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC), 10},   // still 9 March on the American west coast
		{time.Date(2026, 7, 15, 23, 30, 0, 0, time.UTC), 10}, // summer time; 16 July in Berlin
		{time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC), 1},   // one org, New York
		{time.Date(2027, 1, 31, 23, 59, 0, 0, time.UTC), 3},  // the last day of a month
	} {
		t.Run(fmt.Sprintf("%s/%d orgs", tc.now.Format(time.RFC3339), tc.orgs), func(t *testing.T) {
			ds := generate(t, Config{Seed: 3, Orgs: tc.orgs, People: 8, Months: 3, End: EndToday(tc.now, tc.orgs)})
			today := map[string]string{} // org -> today's date where it is
			loc := map[string]*time.Location{}
			for _, o := range ds.orgs {
				l, err := time.LoadLocation(o.TimeZone)
				if err != nil {
					t.Fatal(err)
				}
				loc[o.ID], today[o.ID] = l, tc.now.In(l).Format(time.DateOnly)
			}
			after := func(what, id, org string, day string) {
				if day > today[org] {
					t.Errorf("%s %s of %s is dated %s, after today (%s in %s)", what, id, org, day, today[org], loc[org])
				}
			}
			latest := map[string]string{}
			for _, e := range ds.entries {
				d := e.Date.Format(time.DateOnly)
				after("time entry", e.ExternalID, e.Org, d)
				latest[e.Org] = max(latest[e.Org], d)
			}
			for _, ev := range ds.events {
				after(ev.Type+" event", ev.ExternalID, ev.Org, ev.OccurredAt.In(loc[ev.Org]).Format(time.DateOnly))
			}
			ahead := map[string]bool{}
			for _, d := range ds.deliverables {
				if d.DeliveredAt != nil {
					after("delivery", d.ExternalID, d.Org, d.DeliveredAt.In(loc[d.Org]).Format(time.DateOnly))
				}
				if d.UpdatedAt != nil {
					after("update", d.ExternalID, d.Org, d.UpdatedAt.In(loc[d.Org]).Format(time.DateOnly))
				}
				if d.DueDate != nil && d.DueDate.Format(time.DateOnly) > today[d.Org] {
					ahead["due date "+d.Org] = true
				}
			}
			for _, a := range ds.adjustments {
				after("adjustment", a.ExternalID, a.Org, a.Date.Format(time.DateOnly))
			}
			for _, l := range ds.lines {
				after("invoice line", l.ExternalID, l.Org, l.Date.Format(time.DateOnly))
			}
			for _, a := range ds.allocations {
				if a.EndDate.Format(time.DateOnly) > today[a.Org] {
					ahead["allocation "+a.Org] = true
				}
			}
			for _, o := range ds.orgs {
				weekAgo := tc.now.In(loc[o.ID]).AddDate(0, 0, -7).Format(time.DateOnly)
				if latest[o.ID] < weekAgo {
					t.Errorf("%s: the latest time entry is on %s, more than a week before today (%s)", o.ID, latest[o.ID], today[o.ID])
				}
				if !ahead["due date "+o.ID] || !ahead["allocation "+o.ID] {
					t.Errorf("%s: due dates ahead %v, allocations ahead %v; want both", o.ID, ahead["due date "+o.ID], ahead["allocation "+o.ID])
				}
			}
		})
	}
}
