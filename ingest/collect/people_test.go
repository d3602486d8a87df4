package collect_test

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// One person, one id (issue 15): the same human from a CSV export and a
// tool's API, or from two tools, is one person of the org. The Harvest fake
// serves the documented users (testdata/harvest/users.json, from
// https://help.getharvest.com/api-v2/users-api/users/users/): Jim Allen,
// Kim Allen and Bob Powell, each with weekly_capacity 126000 s = 35 h, and
// the documented time entries, all Kim Allen's: 2017-03-01 1.35 + 1.0 +
// 2.0 h and 2017-03-02 2.11 h, 5.46 h of them billable (1.0 is not).

// peopleOrg is an org name of its own for each run, so that -count=2 finds
// no people of the last run in the shared store.
func peopleOrg(name string) string { return fmt.Sprintf("pp-%s-%d", name, time.Now().UnixNano()) }

// kimCSV is Kim Allen's four documented entries as Harvest's CSV export
// has them: a name, no email, no capacity.
const kimCSV = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n" +
	"2017-03-02,ABC Corp,Marketing Website,,Graphic Design,Adding CSS styling,2.11,Yes,No,Kim,Allen,Designer,Yes,100,211,50,105.5,\n" +
	"2017-03-01,123 Industries,Online Store - Phase 1,,Programming,Importing products,1.35,Yes,Yes,Kim,Allen,Designer,Yes,100,135,50,67.5,\n" +
	"2017-03-01,123 Industries,Online Store - Phase 1,,Research,Evaluating 3rd party libraries,1.0,No,No,Kim,Allen,Designer,Yes,,0,50,50,\n" +
	"2017-03-01,123 Industries,Online Store - Phase 1,,Project Management,Planning meetings,2.0,Yes,Yes,Kim,Allen,Designer,Yes,100,200,50,100,\n"

// peopleOf is an org's people: name -> weekly capacity in force, with
// "(assumed)" when it is; several people of one name are listed apart.
func peopleOf(t *testing.T, r *rig, orgID string) []string {
	t.Helper()
	return strings.Split(strings.Trim(query1(t, r.s, `SELECT arraySort(groupArray(concat(name, ' ', toString(weekly_capacity_hours),
			if(capacity_assumed = 1, ' (assumed)', ''))))
		FROM ops.people FINAL WHERE org_id = {org:String}`, orgID), "[]'"), "','")
}

// utilization is billable_utilization over [2017-03-01, 2017-03-03) (a
// Wednesday and a Thursday) for the org and for Kim Allen's person id.
func utilization(t *testing.T, r *rig, orgID string) (org, kim string) {
	t.Helper()
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: r.s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	facts.Changed(t.Context(), []string{orgID})
	from, to := time.Date(2017, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2017, 3, 3, 0, 0, 0, 0, time.UTC)
	value := func(groupBy string) map[string]string {
		res, err := metrics.Compute(t.Context(), r.s, facts, metrics.Request{KPI: "billable_utilization", Org: orgID,
			From: from, To: to, GroupBy: groupBy})
		if err != nil {
			t.Fatal(err)
		}
		g := slices.IndexFunc(res.Columns, func(c metrics.Column) bool { return c.Name == "grp" || c.Name == groupBy })
		v := slices.IndexFunc(res.Columns, func(c metrics.Column) bool { return c.Name == "value" })
		out := map[string]string{}
		for _, row := range res.Rows {
			key := ""
			if g >= 0 {
				key = metrics.Cell(row[g])
			}
			out[key] = metrics.Cell(row[v])
		}
		return out
	}
	kimID := query1(t, r.s, `SELECT groupArray(external_id) FROM ops.people FINAL WHERE org_id = {org:String} AND name = 'Kim Allen'`, orgID)
	return value("")[""], value("person")[strings.Trim(kimID, "[]'")]
}

// The API-only numbers of the documented example, by hand: three people of
// 35 h over Monday to Friday, 7 h a day; two days are 14 h each, 42 h in
// all. Kim's billable hours are 2.11 + 1.35 + 2.0 = 5.46: Kim 5.46 / 14 =
// 0.39, the org 5.46 / 42 = 0.13. With the CSV's Kim Allen kept as a fourth
// person of an assumed 40 h (16 h over the two days) the org would read
// 5.46 / 58 = 0.0941...
var apiOnlyPeople = []string{"Bob Powell 35", "Jim Allen 35", "Kim Allen 35"}

const apiOnlyOrg, apiOnlyKim = "0.13", "0.39"

// TestPeopleCSVThenAPI: an org imports Harvest's CSV export (Kim Allen by
// name, an assumed 40 h week), then connects the Harvest API: the API's Kim
// Allen is the CSV's person, now with the API's 35 h, and the people, their
// capacities and the utilization are the API-only org's.
func TestPeopleCSVThenAPI(t *testing.T) {
	orgID := peopleOrg("csvapi")
	r := newRig(t, orgID)
	sum, err := r.im.Import(t.Context(), importer.Request{Org: orgID, File: "harvest.csv", Body: strings.NewReader(kimCSV)})
	if err != nil || sum.Rejected() != 0 {
		t.Fatalf("CSV import: %v %+v", err, sum.Errors)
	}
	if got := peopleOf(t, r, orgID); !slices.Equal(got, []string{"Kim Allen 40 (assumed)"}) {
		t.Fatalf("after the CSV: %q", got)
	}
	csvKim := query1(t, r.s, `SELECT groupArray(external_id) FROM ops.people FINAL WHERE org_id = {org:String}`, orgID)

	_, srv := newFakeHarvest(t, testToken, "123456")
	if _, err := r.col.Sync(t.Context(), orgID, r.add(t, orgID, srv.URL).ID, false); err != nil {
		t.Fatal(err)
	}
	if got := peopleOf(t, r, orgID); !slices.Equal(got, apiOnlyPeople) {
		t.Errorf("people after the API: %q, want %q", got, apiOnlyPeople)
	}
	// Kim keeps the CSV's person id, and the API's entries carry it.
	if kim := query1(t, r.s, `SELECT groupArray(external_id) FROM ops.people FINAL WHERE org_id = {org:String} AND name = 'Kim Allen'`,
		orgID); kim != csvKim {
		t.Errorf("Kim Allen is %s, the CSV made %s", kim, csvKim)
	}
	if ids := query1(t, r.s, `SELECT groupUniqArray(person_id) FROM ops.time_entries FINAL WHERE org_id = {org:String}`,
		orgID); ids != csvKim {
		t.Errorf("the entries name %s, want %s", ids, csvKim)
	}
	if o, k := utilization(t, r, orgID); o != apiOnlyOrg || k != apiOnlyKim {
		t.Errorf("utilization: org %s, Kim %s; want %s and %s", o, k, apiOnlyOrg, apiOnlyKim)
	}

	// The API-only org, for comparison: the same numbers.
	apiOrg := peopleOrg("apionly")
	ra := newRig(t, apiOrg)
	if _, err := ra.col.Sync(t.Context(), apiOrg, ra.add(t, apiOrg, srv.URL).ID, false); err != nil {
		t.Fatal(err)
	}
	if got := peopleOf(t, ra, apiOrg); !slices.Equal(got, apiOnlyPeople) {
		t.Errorf("API-only people: %q", got)
	}
	if o, k := utilization(t, ra, apiOrg); o != apiOnlyOrg || k != apiOnlyKim {
		t.Errorf("API-only utilization: org %s, Kim %s", o, k)
	}
}

// TestPeopleAPIThenCSV: the Harvest API first, then a CSV export with one
// more entry of Kim Allen, on 2017-03-02 (3.0 h billable), a date the API
// has too: the CSV's Kim is the API's, no person is created. Over the two
// days Kim has 5.46 + 3.0 = 8.46 billable hours: Kim 8.46 / 14 = 0.604285714...
// and the org 8.46 / 42 = 0.201428571..., as Float64 divides them.
func TestPeopleAPIThenCSV(t *testing.T) {
	orgID := peopleOrg("apicsv")
	r := newRig(t, orgID)
	_, srv := newFakeHarvest(t, testToken, "123456")
	if _, err := r.col.Sync(t.Context(), orgID, r.add(t, orgID, srv.URL).ID, false); err != nil {
		t.Fatal(err)
	}
	csv := strings.SplitAfterN(kimCSV, "\n", 2)[0] +
		"2017-03-02,ABC Corp,Marketing Website,,Graphic Design,Review,3.0,Yes,No,Kim,Allen,Designer,Yes,100,300,50,150,\n"
	sum, err := r.im.Import(t.Context(), importer.Request{Org: orgID, File: "harvest.csv", Body: strings.NewReader(csv)})
	if err != nil || sum.Rejected() != 0 {
		t.Fatalf("CSV import: %v %+v", err, sum.Errors)
	}
	if sum.Created["person"] != 0 {
		t.Errorf("the CSV created %d people", sum.Created["person"])
	}
	if got := peopleOf(t, r, orgID); !slices.Equal(got, apiOnlyPeople) {
		t.Errorf("people: %q, want %q", got, apiOnlyPeople)
	}
	if o, k := utilization(t, r, orgID); o != "0.20142857142857146" || k != "0.6042857142857143" {
		t.Errorf("utilization: org %s, Kim %s", o, k)
	}
}

// capacityKeys is this week's capacity grid by person: key -> available,
// booked and tentative hours.
func capacityKeys(t *testing.T, r *rig, orgID string) map[string]string {
	t.Helper()
	mon := thisMonday()
	g, err := metrics.Capacity(t.Context(), r.s, metrics.CapacityRequest{Org: orgID, From: mon, To: mon.AddDate(0, 0, 7), By: "person"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range g.Cells {
		out[c.Key] = fmt.Sprintf("%s/%s/%s", c.Available.String(), c.Booked.String(), c.Tentative.String())
	}
	return out
}

// harvestAndFloat is a Harvest fake with Jim and Kim Allen only, and a
// Float fake whose people 101 and 102 are Kim and Jim, by email (one in
// other capitals and with spaces: emails match case- and space-blind).
// edit, if any, changes the Harvest fake before it serves.
func harvestAndFloat(t *testing.T, edit ...func(*fakeHarvest)) (harvestURL string, fl *fakeFloat, floatURL string) {
	hv, hsrv := newFakeHarvest(t, testToken, "123456")
	hv.lists["users"] = hv.lists["users"][:2]
	for _, e := range edit {
		e(hv)
	}
	fl, fsrv := newFakeFloat(t, testToken)
	fl.lists["people"][0]["name"], fl.lists["people"][0]["email"] = "Kim Allen", " KimAllen@Example.com"
	fl.lists["people"][1]["name"], fl.lists["people"][1]["email"] = "Jim Allen", "jimallen@example.com"
	return hsrv.URL, fl, fsrv.URL
}

// TestPeopleHarvestThenFloat: Harvest's Jim and Kim, then Float's people
// 101 (Kim) and 102 (Jim): the grid has two people, with Harvest's ids and
// Float's capacity (the booking tool's wins over the tracker's, whichever
// came first: the same grid as TestPeopleFloatThenHarvest). This week
// (testdata/float, moved to this Monday): Kim (Float's default 40 h, 8 h a
// day) has task 401, 6 h a day confirmed: 30 h booked; Jim has Float's 24 h
// (work_days_hours [0, 6, 6, 6, 6, 0, 0]: 6 h on each day Monday to
// Thursday), less the 3 h of time off on Wednesday: 21 h; task 402, 4 h a
// day tentative at Float's 0.5, books his contracted days only, Wednesday
// × 3/6 available: 4 × (3 + 3/6) × 0.5 = 7 h tentative (kpis.md §8).
func TestPeopleHarvestThenFloat(t *testing.T) {
	orgID := peopleOrg("hvfl")
	r := newRig(t, orgID)
	hvURL, _, flURL := harvestAndFloat(t)
	if _, err := r.col.Sync(t.Context(), orgID, r.add(t, orgID, hvURL).ID, false); err != nil {
		t.Fatal(err)
	}
	fl := r.addSource(t, collect.Source{Org: orgID, Kind: "float", Workspace: "acme", BaseURL: flURL})
	if _, err := r.col.Sync(t.Context(), orgID, fl.ID, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"api:123456:user:1782959": "40/30/0", "api:123456:user:3230547": "21/0/7"}
	if got := capacityKeys(t, r, orgID); !maps.Equal(got, want) {
		t.Errorf("grid: %v, want %v", got, want)
	}
	// A second Float sync, with every record again (--full), changes no one.
	if _, err := r.col.Sync(t.Context(), orgID, fl.ID, true); err != nil {
		t.Fatal(err)
	}
	if got := capacityKeys(t, r, orgID); !maps.Equal(got, want) {
		t.Errorf("grid after a full Float sync: %v, want %v", got, want)
	}
}

// TestPeopleFloatThenHarvest: Float first, then Harvest: the people have
// Float's ids and capacity, with Harvest's entries on them. This week: Kim
// (Float's default 40 h, 8 h a day) has 30 h booked; Jim has Float's 24 h
// (work_days_hours [0, 6, 6, 6, 6, 0, 0]: 6 h on each day Monday to
// Thursday), less the 3 h of time off on Wednesday: 21 h; task 402's 4 h a
// day tentative books his contracted days only, Wednesday × 3/6 available:
// 4 × (3 + 3/6) × 0.5 = 7 h. Kim's documented entries land on Float's Kim.
func TestPeopleFloatThenHarvest(t *testing.T) {
	orgID := peopleOrg("flhv")
	r := newRig(t, orgID)
	hvURL, _, flURL := harvestAndFloat(t)
	fl := r.addSource(t, collect.Source{Org: orgID, Kind: "float", Workspace: "acme", BaseURL: flURL})
	if _, err := r.col.Sync(t.Context(), orgID, fl.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := r.col.Sync(t.Context(), orgID, r.add(t, orgID, hvURL).ID, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"api:acme:user:101": "40/30/0", "api:acme:user:102": "21/0/7"}
	if got := capacityKeys(t, r, orgID); !maps.Equal(got, want) {
		t.Errorf("grid: %v, want %v", got, want)
	}
	if ids := query1(t, r.s, `SELECT groupUniqArray(person_id) FROM ops.time_entries FINAL WHERE org_id = {org:String}`,
		orgID); ids != "['api:acme:user:101']" {
		t.Errorf("Kim's entries name %s", ids)
	}
}

// TestPeopleSameName: Float has two people named Kim Allen and no email;
// Harvest's Kim Allen (with an email) could be either, so the three stay
// three people and the sync's warning names both of Float's.
func TestPeopleSameName(t *testing.T) {
	orgID := peopleOrg("same")
	r := newRig(t, orgID)
	hvURL, fake, flURL := harvestAndFloat(t)
	for _, p := range fake.lists["people"][:2] {
		p["name"], p["email"] = "Kim Allen", nil
	}
	fl := r.addSource(t, collect.Source{Org: orgID, Kind: "float", Workspace: "acme", BaseURL: flURL})
	if _, err := r.col.Sync(t.Context(), orgID, fl.ID, false); err != nil {
		t.Fatal(err)
	}
	res, err := r.col.Sync(t.Context(), orgID, r.add(t, orgID, hvURL).ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := query1(t, r.s, `SELECT arraySort(groupArray(external_id)) FROM ops.people FINAL WHERE org_id = {org:String} AND name = 'Kim Allen'`,
		orgID); got != "['api:123456:user:1782959','api:acme:user:101','api:acme:user:102']" {
		t.Errorf("the Kim Allens: %s", got)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "api:acme:user:101, api:acme:user:102") ||
		!strings.Contains(res.Warnings[0], `"Kim Allen"`) {
		t.Errorf("warnings: %q", res.Warnings)
	}
}
