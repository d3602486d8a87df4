package metrics

import (
	"strings"
	"testing"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/storetest"
)

// Every quiet table exists: a misspelt name would move versions on every
// entry-facts build, and the cache would miss after each.
func TestQuietTablesExist(t *testing.T) {
	s := storetest.Shared(t)
	for table := range quietTables {
		db, name, _ := strings.Cut(table, ".")
		rows, err := s.Query(t.Context(), "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {name:String}",
			store.Params{"db": db, "name": name})
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		if err := rows.Scan(0, &n); err != nil || n != 1 {
			t.Errorf("quiet table %s: %d tables of that name (%v)", table, n, err)
		}
	}
}
