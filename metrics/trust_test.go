package metrics_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// The trust scenario: a real Harvest export whose Cost Rate column is 0.0,
// as Harvest writes it for people without a cost rate.
//   - Ana García is new to the org: the import creates her on first sight
//     (source resolved, an assumed 40-hour week, no cost rate, no target).
//     She logs 6 billable hours on Website on Mon 5 Jan 2026 and 2
//     non-billable hours on Tue 6 Jan, at a bill rate of 150.
//   - Ben Jones was imported before, as a person: 30 hours a week, a cost
//     rate of 50, a utilization target of 0.8. He logs 4 billable hours on
//     App on Wed 7 Jan at 100; the export's Cost Rate 0.0 does not hide his
//     own 50.
//
// The range is that week, [Mon 5 Jan, Sat 10 Jan).
const trustOrg = "trust-test"

var trustOnce sync.Once

const trustExport = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n" +
	"2026-01-05,Acme Corp,Website,WEB,Design,Logo,6,Yes,No,Ana,García,Designer,Yes,150,900,0.0,0.0,Euro - EUR\n" +
	"2026-01-06,Acme Corp,Website,WEB,Design,Review,2,No,No,Ana,García,Designer,Yes,150,0,0.0,0.0,Euro - EUR\n" +
	"2026-01-07,Acme Corp,App,APP,Build,Pages,4,Yes,No,Ben,Jones,Developer,Yes,100,400,0.0,0.0,Euro - EUR\n"

func loadTrust(tb testing.TB) {
	tb.Helper()
	trustOnce.Do(func() {
		write(tb, []ingest.Person{{Meta: ingest.Meta{Org: trustOrg, Source: "api", ExternalID: "p-ben"}, ValidFrom: d("2025-01-01"),
			Name: "Ben Jones", Role: "developer", WeeklyCapacityHours: dec("30"), CostRate: pdec("50"), UtilizationTarget: pdec("0.8")}})
		im, err := importer.New(importer.Config{Store: testStore(tb), Logger: slog.New(slog.DiscardHandler), Changed: testFacts(tb).Changed})
		if err != nil {
			tb.Fatal(err)
		}
		sum, err := im.Import(tb.Context(), importer.Request{Org: trustOrg, File: "harvest.csv", Body: strings.NewReader(trustExport)})
		if err != nil || len(sum.Errors) > 0 {
			tb.Fatalf("import: %v %v", err, sum)
		}
	})
}

func trustReq(kpi, by string) metrics.Request {
	return metrics.Request{KPI: kpi, Org: trustOrg, From: d("2026-01-05"), To: d("2026-01-10"), GroupBy: by}
}

// flagsOf is the flags of the row whose group is group ("" ungrouped).
func flagsOf(tb testing.TB, res *metrics.Result, group string) []metrics.Flag {
	tb.Helper()
	for i, row := range res.Rows {
		if res.GroupBy == "" || metrics.Cell(row[colIndex(tb, res, res.GroupBy)]) == group {
			return res.Flags[i]
		}
	}
	tb.Fatalf("%s: no row for %q", res.KPI, group)
	return nil
}

func wantFlags(tb testing.TB, res *metrics.Result, group string, want ...metrics.Flag) {
	tb.Helper()
	if got := flagsOf(tb, res, group); !slices.Equal(got, want) {
		tb.Errorf("%s %q: flags %v, want %v", res.KPI, group, got, want)
	}
}

func TestMarginWithoutCostRates(t *testing.T) {
	loadTrust(t)
	// By project. Website: Ana's 6 + 2 = 8 h, none with a cost rate: revenue 6 × 150
	// = 900, labour cost unknown, so margin and margin % are unknown, not 900 and 100%.
	// App: Ben's 4 h × his cost rate 50 = 200; revenue 4 × 100 = 400; margin 200, 50%.
	for _, kpi := range []string{"margin_pct", "margin", "labour_cost"} {
		res := compute(t, trustReq(kpi, "project"))
		web := projectOf(t, res, "Website")
		if got := cell(t, res, "", web, "value"); got != "" {
			t.Errorf("%s Website = %s, want null (no hour has a cost rate)", kpi, got)
		}
		exact(t, kpi+" Website uncosted hours", cell(t, res, "", web, "uncosted_hours"), "8")
		exact(t, kpi+" Website hours", cell(t, res, "", web, "hours"), "8")
		if got := cell(t, res, "", web, "labour_cost"); got != "" {
			t.Errorf("%s Website labour_cost = %s, want null", kpi, got)
		}
		wantFlags(t, res, web, metrics.FlagCostRateMissing)
		app := projectOf(t, res, "App")
		exact(t, kpi+" App labour cost", cell(t, res, "", app, "labour_cost"), "200")
		exact(t, kpi+" App uncosted hours", cell(t, res, "", app, "uncosted_hours"), "0")
		wantFlags(t, res, app)
	}
	byProject := compute(t, trustReq("margin_pct", "project"))
	exact(t, "Website revenue", cell(t, byProject, "", projectOf(t, byProject, "Website"), "revenue"), "900")
	near(t, "App margin %", cell(t, byProject, "", projectOf(t, byProject, "App"), "value"), 0.5)

	// The org as a whole: revenue 900 + 400 = 1,300; labour cost 200 covers 4 of the 12
	// hours, so margin 1,100 (84.6%) is marked: 8 of 12 hours have no cost rate.
	all := compute(t, trustReq("margin_pct", ""))
	near(t, "org margin %", cell(t, all, "", "", "value"), 1100.0/1300)
	exact(t, "org labour cost", cell(t, all, "", "", "labour_cost"), "200")
	exact(t, "org uncosted hours", cell(t, all, "", "", "uncosted_hours"), "8")
	wantFlags(t, all, "", metrics.FlagCostRateMissing)
	if share, ok := metrics.TableOf(all).Share(0, metrics.FlagCostRateMissing); !ok || share != 8.0/12 {
		t.Errorf("org uncosted share = %v %v, want 8/12", share, ok)
	}
	if all.Currency != "EUR" {
		t.Errorf("currency %q, want EUR from the export", all.Currency)
	}

	// What each surface shows. JSON: a flags field on every row and a note.
	b, err := json.Marshal(byProject)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rows  []map[string]any
		Notes []string
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	flags := map[any]any{}
	for _, r := range got.Rows {
		flags[r["project"]] = r["flags"]
	}
	if len(flags) != 2 || !strings.Contains(string(b), `"flags":["cost_rate_missing"]`) || !strings.Contains(string(b), `"flags":[]`) {
		t.Errorf("JSON rows' flags: %v, want [cost_rate_missing] on Website and [] on App", flags)
	}
	if len(got.Notes) != 1 || !strings.HasPrefix(got.Notes[0], "cost_rate_missing: 1 of 2 rows rest on hours without a cost rate") {
		t.Errorf("notes %q, want one on the missing cost rates", got.Notes)
	}
	// The table: "unknown" where Website's margin would be, and the note under it.
	var table bytes.Buffer
	if err := byProject.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "unknown") || !strings.Contains(table.String(), "no cost rate (100% of h)") ||
		strings.Contains(table.String(), "100.0%") || !strings.Contains(table.String(), "cost_rate_missing: 1 of 2 rows") {
		t.Errorf("table:\n%s\nwant Website's margin unknown with its note, never 100.0%%", table.String())
	}
	// CSV: a flags column.
	var csv bytes.Buffer
	if err := byProject.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(csv.String(), "\n"); !strings.HasSuffix(lines[0], ",flags") || !strings.Contains(csv.String(), ",cost_rate_missing\n") {
		t.Errorf("CSV:\n%s\nwant a flags column", csv.String())
	}
}

// projectOf is the id of the project named name.
func projectOf(tb testing.TB, res *metrics.Result, name string) string {
	tb.Helper()
	rows, err := testStore(tb).Query(tb.Context(), "SELECT external_id FROM ops.projects FINAL WHERE org_id = {org:String} AND name = {name:String}",
		map[string]any{"org": trustOrg, "name": name})
	if err != nil || rows.Len() != 1 {
		tb.Fatalf("project %s: %v", name, err)
	}
	var id string
	if err := rows.Scan(0, &id); err != nil {
		tb.Fatal(err)
	}
	return id
}

func TestAssumedCapacityAndUnsetTargets(t *testing.T) {
	loadTrust(t)
	ana := personOf(t, "Ana García")
	// Ana's week is assumed: 40 h, Monday to Friday, 8 h a day. Ben's is his own, 30 h.
	util := compute(t, trustReq("billable_utilization", "person"))
	near(t, "Ana utilization", cell(t, util, "", ana, "value"), 6.0/40)
	exact(t, "Ana assumed hours", cell(t, util, "", ana, "assumed_hours"), "40")
	exact(t, "Ana untargeted hours", cell(t, util, "", ana, "untargeted_hours"), "40")
	// No target was ever set for her: no target and no gap, not a gap against 0%.
	if got := cell(t, util, "", ana, "target"); got != "" {
		t.Errorf("Ana target = %s, want null", got)
	}
	if got := cell(t, util, "", ana, "utilization_gap"); got != "" {
		t.Errorf("Ana gap = %s, want null", got)
	}
	wantFlags(t, util, ana, metrics.FlagCapacityAssumed, metrics.FlagTargetUnset)
	near(t, "Ben utilization", cell(t, util, "", "p-ben", "value"), 4.0/30)
	near(t, "Ben gap", cell(t, util, "", "p-ben", "utilization_gap"), 4.0/30-0.8)
	exact(t, "Ben assumed hours", cell(t, util, "", "p-ben", "assumed_hours"), "0")
	wantFlags(t, util, "p-ben")

	// Both: 10 billable of 70 available hours, 40 of them assumed. The target is
	// over the 30 hours that have one, 0.8, not 24 ÷ 70 = 34% with Ana's unset
	// target read as 0%; the gap is 10/70 − 0.8.
	org := compute(t, trustReq("billable_utilization", ""))
	near(t, "utilization", cell(t, org, "", "", "value"), 10.0/70)
	near(t, "target", cell(t, org, "", "", "target"), 0.8)
	exact(t, "target hours", cell(t, org, "", "", "target_hours"), "24")
	near(t, "gap", cell(t, org, "", "", "utilization_gap"), 10.0/70-0.8)
	wantFlags(t, org, "", metrics.FlagCapacityAssumed, metrics.FlagTargetUnset)
	tgt := compute(t, trustReq("utilization_target", ""))
	near(t, "utilization_target", cell(t, tgt, "", "", "value"), 0.8)
	wantFlags(t, tgt, "", metrics.FlagCapacityAssumed, metrics.FlagTargetUnset)

	// Untracked hours rest on the same assumed week. Ana: Mon 8 − 6 = 2, Tue 8 − 2
	// = 6, Wed to Fri 8 each: 32. Ben: 6 a day, 4 logged on Wed: 6 + 6 + 2 + 6 + 6 = 26.
	un := compute(t, trustReq("untracked_hours", "person"))
	exact(t, "Ana untracked", cell(t, un, "", ana, "value"), "32")
	exact(t, "Ana untracked assumed", cell(t, un, "", ana, "assumed_hours"), "40")
	wantFlags(t, un, ana, metrics.FlagCapacityAssumed)
	exact(t, "Ben untracked", cell(t, un, "", "p-ben", "value"), "26")
	wantFlags(t, un, "p-ben")
	for _, kpi := range []string{"available_hours", "contracted_hours", "total_utilization"} {
		res := compute(t, trustReq(kpi, "person"))
		exact(t, kpi+" Ana assumed", cell(t, res, "", ana, "assumed_hours"), "40")
		wantFlags(t, res, ana, metrics.FlagCapacityAssumed)
		wantFlags(t, res, "p-ben")
	}
}

// personOf is the id of the person named name in the trust org.
func personOf(tb testing.TB, name string) string {
	tb.Helper()
	rows, err := testStore(tb).Query(tb.Context(), "SELECT DISTINCT external_id FROM ops.people FINAL WHERE org_id = {org:String} AND name = {name:String}",
		map[string]any{"org": trustOrg, "name": name})
	if err != nil || rows.Len() != 1 {
		tb.Fatalf("person %s: %v", name, err)
	}
	var id string
	if err := rows.Scan(0, &id); err != nil {
		tb.Fatal(err)
	}
	return id
}
