package main

import (
	"strings"
	"testing"
)

// TestKPICommandMistakes: what the kpi and capacity commands say about a
// caller's mistakes, all before they open a store.
func TestKPICommandMistakes(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		code      int
		want, not string
	}{
		{[]string{"kpi", "billable_ratio", "--org", "acme", "--from", "2026-11-31"}, 2,
			`--from "2026-11-31": there is no such day: November 2026 has 30 days`, "want a date"},
		{[]string{"kpi", "billable_ratio", "--org", "acme", "--from", "2026-04-01", "--to", "2026-02-30"}, 2,
			`--to "2026-02-30": there is no such day: February 2026 has 28 days`, "want a date"},
		{[]string{"kpi", "billable_ratio", "--org", "acme", "--from", "04/01/2026"}, 2,
			`--from "04/01/2026": want a date as YYYY-MM-DD`, ""},
		{[]string{"kpi", "billable_utilisation", "--org", "acme"}, 2,
			`unknown KPI "billable_utilisation" (opsmetrics kpi list shows them)`, "/api/"},
		{[]string{"capacity", "grid", "--org", "acme", "--from", "2026-11-31"}, 2,
			`--from "2026-11-31": there is no such day: November 2026 has 30 days`, ""},
		{[]string{"capacity", "grid", "--org", "acme", "--from", "2026-12-07", "--to", "2027-02-29"}, 2,
			`--to "2027-02-29": there is no such day: February 2027 has 28 days`, ""},
		{[]string{"capacity", "earliest-start", "--org", "acme", "--need", "designer=10", "--weeks", "2", "--not-before", "2027-04-31"}, 2,
			`--not-before "2027-04-31": there is no such day: April 2027 has 30 days`, ""},
	} {
		var out, errb strings.Builder
		code := run(t.Context(), tc.args, getenvFrom(nil), &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) || (tc.not != "" && strings.Contains(errb.String(), tc.not)) {
			t.Errorf("opsmetrics %s: exit %d, %q; want exit %d with %q", strings.Join(tc.args, " "), code, errb.String(), tc.code, tc.want)
		}
	}
}

// TestKPIListTakesOrg: every org has the same KPIs, so `kpi list` accepts
// the --org that every other kpi command takes, and lists them.
func TestKPIListTakesOrg(t *testing.T) {
	for _, args := range [][]string{{"kpi", "list", "--org", "x"}, {"kpi", "list", "--org", "x", "--format", "json"}} {
		var out, errb strings.Builder
		if code := run(t.Context(), args, getenvFrom(nil), &out, &errb); code != 0 || !strings.Contains(out.String(), "billable_utilization") {
			t.Errorf("opsmetrics %s: exit %d, stdout %.200q, stderr %q", strings.Join(args, " "), code, out.String(), errb.String())
		}
	}
}
