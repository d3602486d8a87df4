package metrics_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// The daily rollup (ops.entry_days) is built with the entry facts, under
// the same build: after a re-import (a new version of an entry) and a
// tombstone, the current build's rollup holds the re-imported entry once,
// at its new values, and not the deleted one, and every day row sums
// exactly the facts of its group.
func TestRollupAgreesWithFacts(t *testing.T) {
	const org = "rollup-agree"
	s := testStore(t)
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "test", ExternalID: id} }
	entry := func(id, day, project, hours string, billable bool) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta(id), PersonID: "ana", Date: d(day), ProjectID: project, Hours: dec(hours),
			Billable: billable, BillingStatus: ingest.Unbilled}
	}
	e2 := entry("e2", "2026-01-05", "web", "2", true)
	e3 := entry("e3", "2026-01-05", "web", "1", true)
	e4 := entry("e4", "2026-01-06", "web", "2", true)
	e4.BillingStatus = ingest.WrittenOff
	write(t,
		[]ingest.Client{{Meta: meta("c1"), Name: "Client One"}},
		[]ingest.Person{{Meta: meta("ana"), ValidFrom: d("2025-01-01"), Name: "Ana", Role: "designer", Team: "Studio",
			WeeklyCapacityHours: dec("40"), BillRate: pdec("100"), CostRate: pdec("40"), StartDate: pd("2025-01-01")}},
		[]ingest.Project{
			{Meta: meta("web"), Name: "Web", ClientID: "c1", Kind: ingest.KindTM},
			{Meta: meta("care"), Name: "Care", ClientID: "c1", Kind: ingest.KindRetainer,
				RetainerFeeMonthly: pdec("1000"), RetainerHoursMonthly: pdec("10"), StartDate: pd("2025-01-01")},
		},
		[]ingest.TimeEntry{entry("e1", "2026-01-05", "web", "3", true), e2, e3, e4,
			entry("e5", "2026-01-06", "web", "1.5", false),
			entry("e6", "2026-01-07", "care", "8", true), entry("e7", "2026-01-08", "care", "4", true)},
		[]ingest.Adjustment{{Meta: meta("a1"), Kind: "write_off", PersonID: "ana", TimeEntryID: "e4", Reason: "goodwill",
			Amount: pdec("200")}},
	)
	logged := func(what, want string) {
		t.Helper()
		res := compute(t, metrics.Request{KPI: "logged_hours", Org: org, From: d("2026-01-01"), To: d("2026-02-01")})
		exact(t, what, cell(t, res, "", "", "value"), want)
	}
	logged("before the re-import", "21.5") // 3 + 2 + 1 + 2 + 1.5 + 8 + 4

	// Re-imported: e2 now 5 h, billed for 450; e3 deleted.
	e2.Hours, e2.BillingStatus, e2.BilledAmount = dec("5"), ingest.Billed, pdec("450")
	e3.Deleted = true
	write(t, []ingest.TimeEntry{e2, e3})
	logged("after the re-import", "23.5") // 3 + 5 + 2 + 1.5 + 8 + 4: e2 once at 5 h, e3 gone

	build := currentBuild(t, s, org)
	got := rollupRows(t, s, org, build)
	// Per day, project, billable, status and reason (one person and client):
	// entries, hours, standard value (hours × 100 when billable), billed
	// value, cost (hours × 40), write-off, write-off hours, write-up,
	// retainer excess hours and their value.
	want := map[string]string{
		// e1: 3 h unbilled
		"2026-01-05 web 1 unbilled other": "1 3 300 0 120 0 0 0 0 0",
		// e2 re-imported: 5 h billed at 450 for 500 of work: 50 written off
		// on the invoice, 50 ÷ 100 = 0.5 h
		"2026-01-05 web 1 billed other": "1 5 500 450 200 50 0.5 0 0 0",
		// e4: written off whole (200), with its adjustment's reason
		"2026-01-06 web 1 written_off goodwill": "1 2 200 0 80 200 2 0 0 0",
		// e5: 1.5 h not billable, no standard value
		"2026-01-06 web 0 unbilled other": "1 1.5 0 0 60 0 0 0 0 0",
		// e6, e7: 8 + 4 = 12 h on a 10 h retainer: the last 2 h (e7's) are
		// excess, worth 2 × 100
		"2026-01-07 care 1 unbilled other": "1 8 800 0 320 0 0 0 0 0",
		"2026-01-08 care 1 unbilled other": "1 4 400 0 160 0 0 0 2 200",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("rollup row %s = %q, want %q", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("rollup row %s = %q, not expected", k, g)
		}
	}

	// Every group of the build's facts sums to its rollup rows, and the
	// other way round.
	facts := must(s.Query(t.Context(), `
		SELECT toString(date), project_id, client_id, person_id, role, team, billable, billing_status, count(),
			toString(sum(toDecimal128(hours, 10))), toString(sum(standard_value)), toString(sum(billed_value)),
			toString(sum(retainer_excess_hours))
		FROM ops.entry_facts FINAL WHERE org_id = {org:String} AND build_id = {facts:String}
		GROUP BY ALL ORDER BY ALL`, store.Params{"org": org, "facts": build}))
	days := must(s.Query(t.Context(), `
		SELECT toString(date), project_id, client_id, person_id, role, team, billable, billing_status, sum(entries),
			toString(sum(hours)), toString(sum(standard_value)), toString(sum(billed_value)),
			toString(sum(retainer_excess_hours))
		FROM ops.entry_days FINAL WHERE org_id = {org:String} AND build_id = {facts:String}
		GROUP BY ALL ORDER BY ALL`, store.Params{"org": org, "facts": build}))
	if f, r := fmt.Sprint(facts.Data), fmt.Sprint(days.Data); f != r || facts.Len() != 6 {
		t.Errorf("rollup of build %s:\n %s\nits facts (want 6 groups):\n %s", build, r, f)
	}
}

// currentBuild returns the org's one recorded entry facts build, once the
// older builds' prunes (run after the waiters are let go) have ended.
func currentBuild(t *testing.T, s metrics.Querier, org string) string {
	t.Helper()
	testFacts(t).Wait()
	rows := must(s.Query(t.Context(), "SELECT build_id FROM ops.entry_fact_builds FINAL WHERE org_id = {org:String}",
		store.Params{"org": org}))
	if rows.Len() != 1 {
		t.Fatalf("org %s has %d recorded builds, want 1", org, rows.Len())
	}
	var b string
	must(0, rows.Scan(0, &b))
	return b
}

// rollupRows returns the org's rollup rows of a build keyed by "date
// project billable status reason", each as its sums separated by spaces,
// with trailing zeros trimmed.
func rollupRows(t *testing.T, s metrics.Querier, org, build string) map[string]string {
	t.Helper()
	rows := must(s.Query(t.Context(), `
		SELECT toString(date), project_id, billable, billing_status, reason,
			entries, hours, standard_value, billed_value, cost, write_off, write_off_hours, write_up,
			retainer_excess_hours, retainer_excess_value
		FROM ops.entry_days FINAL WHERE org_id = {org:String} AND build_id = {facts:String}`,
		store.Params{"org": org, "facts": build}))
	out := map[string]string{}
	for _, r := range rows.Data {
		var vals []string
		for _, v := range r[5:] {
			vals = append(vals, fmt.Sprint(v))
		}
		out[fmt.Sprint(r[0], " ", r[1], " ", r[2], " ", r[3], " ", r[4])] = strings.Join(vals, " ")
	}
	return out
}

// Building entry facts and their rollup writes only derived tables
// (entry_facts, adjustment_facts, entry_days, entry_fact_builds): it moves
// no data version, so a build never turns the answers cached for the data
// it was built from into misses.
func TestFactsBuildMovesNoVersion(t *testing.T) {
	const org = "rollup-quiet"
	s := testStore(t)
	versions := must(metrics.NewVersions(s, slog.New(slog.DiscardHandler)))
	// Writes reported to nobody (another process's), so that the read
	// below builds the org's facts.
	writeTo(t, nil, []ingest.Person{{Meta: factsMeta(org, "p"), ValidFrom: d("2025-01-01"), Name: "P", Role: "dev",
		WeeklyCapacityHours: dec("40"), BillRate: pdec("60"), StartDate: pd("2025-01-01")}},
		[]ingest.TimeEntry{{Meta: factsMeta(org, "e1"), PersonID: "p", Date: d("2026-01-05"), Hours: dec("2"), Billable: true}})
	before := must(versions.Of(t.Context(), org))
	b := &builds{newProcess: newProcess{s}}
	facts := processFacts(t, b)
	res := must(metrics.Compute(t.Context(), s, facts, metrics.Request{KPI: "revenue", Org: org, From: d("2026-01-01"),
		To: d("2026-02-01"), Now: testNow}))
	exact(t, "revenue", cell(t, res, "", "", "value"), "120") // 2 h × 60
	facts.Wait()
	if b.n.Load() != 1 {
		t.Fatalf("the read built the facts %d times, want 1", b.n.Load())
	}
	if after := must(versions.Of(t.Context(), org)); after != before {
		t.Errorf("a facts build moved the data version from %s to %s", before, after)
	}
}
