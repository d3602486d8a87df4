package importer

import (
	"slices"
	"testing"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// TestStagingTablesMatch: every staging table has its table's columns, in
// the same order and of the same types, so that the copy (SELECT *) puts
// every value where it belongs. A migration that adds a column to a table
// must add it to its staging table too.
func TestStagingTablesMatch(t *testing.T) {
	s := chdbtest.Shared(t)
	columns := func(table string) []string {
		rows, err := s.Query(t.Context(), `SELECT name || ' ' || type FROM system.columns
			WHERE database = 'ops' AND table = {t:String} ORDER BY position`, store.Params{"t": table})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i := range rows.Len() {
			var c string
			if err := rows.Scan(i, &c); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		return out
	}
	for _, st := range stagedTables {
		want, got := columns(st.table), columns(st.staging)
		if st.table == "orgs" {
			// staging_orgs adds batch_id, which its copy leaves out
			got = slices.DeleteFunc(got, func(c string) bool { return c == "batch_id String" })
		}
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("ops.%s columns\n%q\nops.%s columns\n%q", st.staging, got, st.table, want)
		}
	}
}
