package chdb_test

import (
	"log/slog"
	"os"
	"strings"
	"testing"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
	"github.com/opsmetrics/opsmetrics/sql/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chdbtest.Close()
	os.Exit(code)
}

func engine(t testing.TB) *chdb.Store { return chdbtest.Shared(t) }

func libPath(t testing.TB) string { return chdbtest.LibPath(t) }

func TestConformance(t *testing.T) {
	storetest.Run(t, engine(t))
}

func TestSecondOpenInProcessIsRefused(t *testing.T) {
	s := engine(t)
	_, err := chdb.Open(chdb.Config{LibPath: libPath(t), DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		t.Fatal("a second engine opened in the same process")
	}
	if want := s.Info().Detail; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the open data directory %s", err, want)
	}
}

// An INSERT keeps every row it is given, even rows with the same key: the
// engine skips collapsing them on insert (optimize_on_insert = 0, 10% of a
// large import's time), so FINAL and merges do it, keeping the last row.
func TestInsertKeepsDuplicateKeysForFinal(t *testing.T) {
	s := engine(t)
	ctx := t.Context()
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS ops",
		"DROP TABLE IF EXISTS ops.insert_probe",
		"CREATE TABLE ops.insert_probe (k String, v UInt64, s String) ENGINE = ReplacingMergeTree(v) ORDER BY k",
	} {
		if _, err := s.Query(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	b := &store.Batch{Table: "ops.insert_probe", Columns: []string{"k", "v", "s"},
		Values: []any{[]string{"b", "a", "a", "a"}, []uint64{1, 1, 1, 1}, []string{"b", "first", "second", "last"}}}
	if err := s.Insert(ctx, b); err != nil {
		t.Fatal(err)
	}
	var stored, final uint64
	var last string
	rows, err := s.Query(ctx, "SELECT (SELECT count() FROM ops.insert_probe), (SELECT count() FROM ops.insert_probe FINAL), (SELECT s FROM ops.insert_probe FINAL WHERE k = 'a')", nil)
	if err == nil {
		err = rows.Scan(0, &stored, &final, &last)
	}
	if err != nil {
		t.Fatal(err)
	}
	// 4 rows stored; under FINAL, keys a and b, and for a (three rows of
	// equal version) the last inserted.
	if stored != 4 || final != 2 || last != "last" {
		t.Errorf("stored %d rows, %d under FINAL, a = %q; want 4, 2, \"last\"", stored, final, last)
	}
}

// A ReadCounter in the context adds up what its queries read from tables:
// numbers(1000) is 1,000 rows of 8 bytes, read once per query.
func TestReadCounter(t *testing.T) {
	s := chdbtest.Shared(t)
	var c chdb.ReadCounter
	ctx := chdb.WithReadCounter(t.Context(), &c)
	for range 2 {
		if _, err := s.Query(ctx, "SELECT sum(number) FROM numbers(1000)", nil); err != nil {
			t.Fatal(err)
		}
	}
	if c.Rows.Load() != 2000 || c.Bytes.Load() != 16000 {
		t.Errorf("read %d rows, %d bytes; want 2000 rows of 8 bytes", c.Rows.Load(), c.Bytes.Load())
	}
	// Without one, nothing is counted.
	if _, err := s.Query(t.Context(), "SELECT sum(number) FROM numbers(1000)", nil); err != nil || c.Rows.Load() != 2000 {
		t.Errorf("a query without the counter: %d rows (%v)", c.Rows.Load(), err)
	}
}
