package metrics_test

import (
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

const sourcesOrg = "sources-test"

// TestSources: the overview's sources are the org's live ones, oldest
// first, each with its newest state row, written here by hand as the
// collectors write them (ingest/collect's saveState; ops.source_state).
func TestSources(t *testing.T) {
	s := testStore(t)
	ins := func(b *store.Batch) {
		t.Helper()
		if err := s.Insert(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	source := func(org, id, kind, account, workspace, created string, version uint64, deleted uint8) {
		ins(&store.Batch{Table: "ops.sources",
			Columns: []string{"org_id", "source_id", "kind", "account_id", "workspace", "base_url", "since", "every_seconds",
				"token_sealed", "created_at", "version", "deleted"},
			Values: []any{[]string{org}, []string{id}, []string{kind}, []string{account}, []string{workspace}, []string{""},
				[]*time.Time{nil}, []uint32{900}, []string{"v1:sealed"}, []time.Time{utc(created)}, []uint64{version}, []uint8{deleted}}})
	}
	state := func(id, attempt string, success, failing *time.Time, lastErr string, needs uint8, version uint64) {
		ins(&store.Batch{Table: "ops.source_state",
			Columns: []string{"org_id", "source_id", "cursor", "last_attempt", "last_success", "failing_since", "last_error",
				"needs_token", "rows_added", "rows_updated", "rows_deleted", "version"},
			Values: []any{[]string{sourcesOrg}, []string{id}, []string{"{}"}, []time.Time{utc(attempt)}, []*time.Time{success},
				[]*time.Time{failing}, []string{lastErr}, []uint8{needs}, []uint64{1}, []uint64{0}, []uint64{0}, []uint64{version}}})
	}
	source(sourcesOrg, "src_ok", "harvest", "123456", "", "2026-12-01 09:00", 1, 0)
	source(sourcesOrg, "src_fail", "toggl", "", "4567890", "2026-12-02 09:00", 1, 0)
	source(sourcesOrg, "src_token", "clockify", "", "64a1b2", "2026-12-03 09:00", 1, 0)
	source(sourcesOrg, "src_new", "float", "", "acme", "2026-12-04 09:00", 1, 0)
	source(sourcesOrg, "src_gone", "runn", "", "gone", "2026-12-01 08:00", 1, 0)
	source(sourcesOrg, "src_gone", "runn", "", "gone", "2026-12-01 08:00", 2, 1) // removed
	source("other-org", "src_other", "harvest", "999", "", "2026-12-01 09:00", 1, 0)

	state("src_ok", "2026-12-07 05:00", pt("2026-12-07 05:00"), nil, "", 0, 1)
	// The failing source succeeded once, then failed twice: the newest
	// state row (version 3) wins, and failing_since is the first failure.
	state("src_fail", "2026-12-06 10:00", pt("2026-12-06 10:00"), nil, "", 0, 1)
	state("src_fail", "2026-12-06 10:15", pt("2026-12-06 10:00"), pt("2026-12-06 10:15"), "toggl GET /reports: 502 Bad Gateway", 0, 2)
	state("src_fail", "2026-12-06 10:30", pt("2026-12-06 10:00"), pt("2026-12-06 10:15"), "toggl GET /reports: 503 Service Unavailable", 0, 3)
	state("src_token", "2026-12-07 04:00", nil, pt("2026-12-07 04:00"), "clockify GET /user: needs a new token (401 [REDACTED])", 1, 1)

	got, err := metrics.Sources(t.Context(), s, sourcesOrg)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id, kind, account       string
		success, failing, error string
		needs, failingNow, new  bool
	}
	str := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return p.UTC().Format("2006-01-02 15:04")
	}
	var rows []row
	for _, s := range got {
		rows = append(rows, row{s.ID, s.Kind, s.Account, str(s.LastSuccess), str(s.FailingSince), s.LastError, s.NeedsToken, s.Failing(), s.LastAttempt == nil})
	}
	want := []row{
		{"src_ok", "harvest", "123456", "2026-12-07 05:00", "", "", false, false, false},
		{"src_fail", "toggl", "4567890", "2026-12-06 10:00", "2026-12-06 10:15", "toggl GET /reports: 503 Service Unavailable", false, true, false},
		{"src_token", "clockify", "64a1b2", "", "2026-12-07 04:00", "clockify GET /user: needs a new token (401 [REDACTED])", true, true, false},
		{"src_new", "float", "acme", "", "", "", false, false, true},
	}
	if len(rows) != len(want) {
		t.Fatalf("sources = %+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("source %d = %+v, want %+v", i, rows[i], want[i])
		}
	}

	none, err := metrics.Sources(t.Context(), s, "no-such-org")
	if err != nil || len(none) != 0 {
		t.Errorf("an org without sources: %v, %v", none, err)
	}
}

// TestLastIngest: an org's newest ingest time, and none before its first.
func TestLastIngest(t *testing.T) {
	s := testStore(t)
	const org = "last-ingest-test"
	if _, ok, err := metrics.LastIngest(t.Context(), s, org); err != nil || ok {
		t.Fatalf("before any import: ok %v, err %v", ok, err)
	}
	before := time.Now().Add(-time.Second)
	write(t, []settings.Settings{{ID: org, Name: "Last ingest", TimeZone: "UTC", Currency: "EUR"}},
		[]ingest.TimeEntry{{Meta: ingest.Meta{Org: org, Source: "api", ExternalID: "e1"}, PersonID: "p", Date: d("2026-02-02"), Hours: dec("1")}})
	at, ok, err := metrics.LastIngest(t.Context(), s, org)
	if err != nil || !ok {
		t.Fatalf("after an import: ok %v, err %v", ok, err)
	}
	if at.Before(before) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("last ingest %s, want about now", at)
	}
}
