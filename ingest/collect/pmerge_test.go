package collect_test

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// One person, one id: the fields (issue 15). A person Harvest and Float
// both know is one row whose fields are merged by authority: Harvest's
// rates (testdata/harvest/users.json, from Harvest's documented users: Kim
// and Jim Allen, default_hourly_rate 100, cost_rate 50, roles Designer and
// Developer), Float's capacity (testdata/float/people.json, from Float's
// documented people: 101 "Ana Silva", renamed Kim here, default_hourly_rate
// 120, the default 40 h week, department Studio, start_date 2023-01-09; 102
// Jim, 100 an hour, work_days_hours 0+6+6+6+6 = 24 h, department
// Engineering), whichever tool came first.

// personRows is every field of an org's people but the id and source, one
// string a version, sorted.
func personRows(t *testing.T, r *rig, orgID string) []string {
	t.Helper()
	return strings.Split(strings.Trim(query1(t, r.s, `SELECT arraySort(groupArray(concat(name, '|', email, '|', role, '|',
			team, '|', toString(valid_from), '|', toString(weekly_capacity_hours), '|', toString(workdays), '|',
			ifNull(toString(cost_rate), '-'), '|', ifNull(toString(bill_rate), '-'), '|', ifNull(toString(start_date), '-'), '|',
			toString(capacity_assumed))))
		FROM ops.people FINAL WHERE org_id = {org:String}`, orgID), "[]'"), "','")
}

// mergedRows: name from the tracker (Harvest), email Harvest's (Float's
// is in other capitals), role the tracker's, team Float's (Harvest has
// none), capacity Float's, cost and bill rate Harvest's (100 over Float's
// 120 for Kim), start date Float's (Harvest has none); workdays Float's:
// 31 is Monday to Friday (Kim: Float's default week), 15 Monday to
// Thursday (Jim's work_days_hours [0, 6, 6, 6, 6, 0, 0]).
var mergedRows = []string{
	"Jim Allen|jimallen@example.com|Developer|Engineering|2000-01-01|24|15|50|100|-|0",
	"Kim Allen|kimallen@example.com|Designer|Studio|2000-01-01|40|31|50|100|2023-01-09|0",
}

// marginMarch2017 is the margin KPI of the org over March 2017: its value
// (revenue − labour cost) and labour cost.
func marginMarch2017(t *testing.T, r *rig, orgID string) (value, labour string) {
	t.Helper()
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: r.s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	facts.Changed(t.Context(), []string{orgID})
	res, err := metrics.Compute(t.Context(), r.s, facts, metrics.Request{KPI: "margin", Org: orgID,
		From: time.Date(2017, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2017, 4, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 {
		t.Fatalf("margin rows: %v", res.Rows)
	}
	cell := func(name string) string {
		i := slices.IndexFunc(res.Columns, func(c metrics.Column) bool { return c.Name == name })
		return metrics.Cell(res.Rows[0][i])
	}
	return cell("value"), cell("labour_cost")
}

// syncBoth syncs Harvest and Float into a new org, Float first or not.
// Harvest's documented entries give no cost rate here (cost_rate null, as
// Harvest sends it to a token that may not see costs), so their labour
// cost rests on the person's cost rate: the one a merge must not lose.
func syncBoth(t *testing.T, name string, floatFirst bool) (*rig, string) {
	t.Helper()
	orgID := peopleOrg(name)
	r := newRig(t, orgID)
	hvURL, _, flURL := harvestAndFloat(t, func(hv *fakeHarvest) {
		for _, e := range hv.entries {
			e["cost_rate"] = nil
		}
	})
	hv := r.add(t, orgID, hvURL)
	fl := r.addSource(t, collect.Source{Org: orgID, Kind: "float", Workspace: "acme", BaseURL: flURL})
	order := []collect.Source{hv, fl}
	if floatFirst {
		order = []collect.Source{fl, hv}
	}
	for _, src := range order {
		if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
			t.Fatal(err)
		}
	}
	return r, orgID
}

// TestPeopleMergeBothOrders: Float then Harvest and Harvest then Float end
// with the same people (ids aside: the first tool's), Harvest's cost rate
// and Float's capacity, and the same margin. Kim's documented entries in
// March 2017: 2.11 + 1.35 + 1.0 + 2.0 = 6.46 h, all costed at Harvest's 50:
// labour cost 6.46 × 50 = 323. Revenue: the billable 5.46 h at 100 = 546
// (T&M standard value, kpis.md §6), so the margin is 546 − 323 = 223.
// Before the merge, Float then Harvest kept Float's row, which has no cost
// rate: the labour cost was unknown.
func TestPeopleMergeBothOrders(t *testing.T) {
	for _, floatFirst := range []bool{true, false} {
		r, orgID := syncBoth(t, "both", floatFirst)
		if got := personRows(t, r, orgID); !slices.Equal(got, mergedRows) {
			t.Errorf("float first %v: people\n%q\nwant\n%q", floatFirst, got, mergedRows)
		}
		if v, c := marginMarch2017(t, r, orgID); v != "223" || c != "323" {
			t.Errorf("float first %v: margin %s, labour cost %s; want 223 and 323", floatFirst, v, c)
		}
		// Syncing both again, everything again (--full), changes nothing.
		for _, kind := range []string{"float", "harvest"} {
			srcs, err := r.sources.List(t.Context(), orgID)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range srcs {
				if s.Kind == kind {
					if _, err := r.col.Sync(t.Context(), orgID, s.ID, true); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if got := personRows(t, r, orgID); !slices.Equal(got, mergedRows) {
			t.Errorf("float first %v: people after full syncs\n%q", floatFirst, got)
		}
	}
}

// TestPeopleMergeOrgWord: a people file (source hr) names Kim by email
// with a cost rate of 60 and a 32 h week from 2017-03-02: the org's word
// beats both tools from that date, and only from it. Labour cost over March
// 2017: 2017-03-01's 1.35 + 1.0 + 2.0 = 4.35 h at Harvest's 50 = 217.5,
// 2017-03-02's 2.11 h at 60 = 126.6; 344.1 in all. Margin 546 − 344.1 =
// 201.9. This week Kim has the org's 32 h, of which Float's task 401 books
// 30 (6 h a day).
func TestPeopleMergeOrgWord(t *testing.T) {
	for _, floatFirst := range []bool{true, false} {
		r, orgID := syncBoth(t, "org", floatFirst)
		people := "external_id,source,name,email,cost_rate,weekly_capacity_hours,valid_from\n" +
			"p-kim,hr,Kim Allen,kimallen@example.com,60,32,2017-03-02\n"
		sum, err := r.im.Import(t.Context(), importer.Request{Org: orgID, Format: "csv", Entity: "person", File: "people.csv",
			Body: strings.NewReader(people)})
		if err != nil || sum.Rejected() != 0 {
			t.Fatalf("people import: %v %+v", err, sum.Errors)
		}
		want := append(slices.Clone(mergedRows), "Kim Allen|kimallen@example.com|Designer|Studio|2017-03-02|32|31|60|100|2023-01-09|0")
		slices.Sort(want)
		if got := personRows(t, r, orgID); !slices.Equal(got, want) {
			t.Errorf("float first %v: people\n%q\nwant\n%q", floatFirst, got, want)
		}
		if v, c := marginMarch2017(t, r, orgID); v != "201.9" || c != "344.1" {
			t.Errorf("float first %v: margin %s, labour cost %s; want 201.9 and 344.1", floatFirst, v, c)
		}
		grid := capacityKeys(t, r, orgID)
		kim := strings.Trim(query1(t, r.s, `SELECT groupUniqArray(external_id) FROM ops.people FINAL
			WHERE org_id = {org:String} AND name = 'Kim Allen'`, orgID), "[]'")
		if grid[kim] != "32/30/0" {
			t.Errorf("float first %v: Kim's week %q, want 32/30/0", floatFirst, grid[kim])
		}
		// A tool's sync after the people file keeps the org's word.
		srcs, err := r.sources.List(t.Context(), orgID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range srcs {
			if _, err := r.col.Sync(t.Context(), orgID, s.ID, true); err != nil {
				t.Fatal(err)
			}
		}
		if got := personRows(t, r, orgID); !slices.Equal(got, want) {
			t.Errorf("float first %v: people after the tools again\n%q", floatFirst, got)
		}
	}
}
