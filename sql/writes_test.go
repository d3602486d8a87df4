package sql

import (
	"slices"
	"testing"
)

func TestStatementWrite(t *testing.T) {
	for _, c := range []struct {
		query  string
		params Params
		ok     bool
		table  string
		orgs   []string
	}{
		{"-- header\n-- more\nINSERT INTO ops.time_entries (a) SELECT 1", Params{"org": "o1"}, true, "ops.time_entries", []string{"o1"}},
		{"/* opsmetrics-query:7 */ ALTER TABLE ops.entry_facts DELETE WHERE 1", nil, true, "ops.entry_facts", nil},
		{"insert into `ops`.`orgs` values (1)", nil, true, "ops.orgs", nil},
		{"TRUNCATE TABLE IF EXISTS ops.staging_x", nil, true, "ops.staging_x", nil},
		{"DROP TABLE IF EXISTS ops.staging_y", Params{"org": 3}, true, "ops.staging_y", nil},
		{"CREATE TABLE IF NOT EXISTS ops.data_versions (a UInt8) ENGINE = Memory", nil, true, "ops.data_versions", nil},
		{"EXCHANGE TABLES ops.a AND ops.b", nil, true, "", nil}, // a table it cannot name: any table
		{"OPTIMIZE TABLE ops.time_entries FINAL", nil, false, "", nil},
		{"SYSTEM STOP MERGES", nil, false, "", nil},
		{"  (SELECT 1)", nil, false, "", nil},
		{"WITH x AS (SELECT 1) SELECT * FROM x", nil, false, "", nil},
	} {
		w, ok := StatementWrite(t.Context(), c.query, c.params)
		if ok != c.ok || w.Table != c.table || !slices.Equal(w.Orgs, c.orgs) {
			t.Errorf("StatementWrite(%q) = %+v, %v; want table %q orgs %v, %v", c.query, w, ok, c.table, c.orgs, c.ok)
		}
	}
}

func TestBatchWrite(t *testing.T) {
	w := BatchWrite(t.Context(), &Batch{Table: "ops.people", Columns: []string{"id", "org_id"}, Values: []any{[]string{"a", "b", "c"}, []string{"o2", "o1", "o2"}}})
	if w.Table != "ops.people" || !slices.Equal(w.Orgs, []string{"o1", "o2"}) {
		t.Errorf("BatchWrite = %+v; want ops.people and orgs [o1 o2]", w)
	}
	if w := BatchWrite(t.Context(), &Batch{Table: "ops.orgs_x", Columns: []string{"id"}, Values: []any{[]string{"a"}}}); w.Orgs != nil {
		t.Errorf("a batch without org_id: orgs %v, want nil (any org)", w.Orgs)
	}
}

// The importer's copy from staging names its table by a parameter and has no
// org: the context says whose batch it is.
func TestWriteOrgsOfTheContext(t *testing.T) {
	ctx := WithWriteOrgs(t.Context(), "o7")
	w, ok := StatementWrite(ctx, "INSERT INTO {table:Identifier} SELECT * FROM {staging:Identifier}", Params{"table": "time_entries"})
	if !ok || w.Table != "" || !slices.Equal(w.Orgs, []string{"o7"}) {
		t.Errorf("StatementWrite with the batch's org in ctx = %+v, %v; want orgs [o7]", w, ok)
	}
	if w := BatchWrite(ctx, &Batch{Table: "ops.x", Columns: []string{"id"}, Values: []any{[]string{"a"}}}); !slices.Equal(w.Orgs, []string{"o7"}) {
		t.Errorf("BatchWrite without org_id, ctx o7: orgs %v", w.Orgs)
	}
	if w := RowBinaryWrite(t.Context(), "ops.x"); w.Orgs != nil {
		t.Errorf("RowBinaryWrite without orgs in ctx: %v, want nil", w.Orgs)
	}
}
