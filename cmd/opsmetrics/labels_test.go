package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// harvestFirstSight imports a Harvest export whose one person, Ana García
// (role Designer), the org does not know: the import creates her on first
// sight with an assumed 40 h week. It returns a CLI runner over that data.
func harvestFirstSight(t *testing.T) func(args ...string) (int, string, string) {
	t.Helper()
	env := testEnv(t)
	file := filepath.Join(t.TempDir(), "harvest.csv")
	os.WriteFile(file, []byte("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n"+
		"2026-01-05,Acme Corp,Website,ACME,Design,Logo,2,Yes,No,Ana,García,Designer,Yes,150,300,60,120,United States Dollar - USD\n"+
		"2026-01-07,Acme Corp,Website,ACME,Design,Icons,1.5,Yes,No,Ana,García,Designer,Yes,150,225,60,90,United States Dollar - USD\n"), 0o644)
	cli := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(t.Context(), append(args, "--log-level", "warn"), getenvFrom(env), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := cli("import", file, "--org", "acme"); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	return cli
}

// TestKPIHeaderCurrency: the table's header names the currency only for a
// KPI with money columns (the catalog's rule, as the API's currency note);
// hours and ratios are not in dollars.
func TestKPIHeaderCurrency(t *testing.T) {
	cli := harvestFirstSight(t)
	for _, c := range []struct {
		kpi   string
		money bool
	}{{"logged_hours", false}, {"billable_utilization", false}, {"revenue", true}, {"margin", true}} {
		code, out, errs := cli("kpi", c.kpi, "--org", "acme", "--from", "2026-01-01", "--to", "2026-02-01")
		if code != 0 {
			t.Fatalf("kpi %s: exit %d\n%s", c.kpi, code, errs)
		}
		header, _, _ := strings.Cut(out, "\n")
		if got := strings.Contains(header, "USD"); got != c.money {
			t.Errorf("kpi %s: header %q names USD: %v, want %v", c.kpi, header, got, c.money)
		}
		if !strings.Contains(header, "definition v") {
			t.Errorf("kpi %s: header %q has no definition version", c.kpi, header)
		}
	}
}

// TestThresholdsHelpKPIs: the help of `alerts thresholds set` says where
// each KPI it takes is described: a KPI of the catalog is in `opsmetrics kpi
// list`, and the counts only alerts watch (overdue_deliverables,
// stuck_reviews) are said to be alert-only, not sent to a list that lacks them.
func TestThresholdsHelpKPIs(t *testing.T) {
	var out, errb strings.Builder
	run(t.Context(), []string{"alerts", "thresholds", "set", "--help"}, getenvFrom(testEnv(t)), &out, &errb)
	help := out.String() + errb.String()
	var alertOnly []string
	for name := range metrics.ThresholdKPIs {
		if _, ok := metrics.Lookup(name); !ok {
			alertOnly = append(alertOnly, name)
		}
	}
	if len(alertOnly) == 0 {
		t.Fatal("every threshold KPI is in the catalog: this test checks nothing")
	}
	slices.Sort(alertOnly)
	want := strings.Join(alertOnly, " and ") + " are alert-only counts"
	if !strings.Contains(help, want) {
		t.Errorf("help does not say %q:\n%s", want, help)
	}
	if strings.Contains(help, "by its name in opsmetrics kpi list") {
		t.Errorf("help sends every KPI to opsmetrics kpi list, which lacks %v:\n%s", alertOnly, help)
	}
}
