package ingest

import (
	"log/slog"
	"os"
	"reflect"
	"slices"
	"testing"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chdbtest.Close()
	os.Exit(code)
}

// TestEntitiesInSchema: every entity's table and staging table exist once
// the schema is migrated.
func TestEntitiesInSchema(t *testing.T) {
	s := chdbtest.Shared(t)
	rows, err := s.Query(t.Context(), `SELECT name FROM system.tables WHERE database = {db:String}`, store.Params{"db": store.Database})
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]bool{}
	for i := range rows.Len() {
		var name string
		if err := rows.Scan(i, &name); err != nil {
			t.Fatal(err)
		}
		tables[name] = true
	}
	for _, e := range Entities() {
		for _, table := range []string{e.Table, e.Staging} {
			if !tables[table] {
				t.Errorf("entity %s: no table %s.%s", e.Name, store.Database, table)
			}
		}
	}
}

// TestEntityLookups: names, plurals and record types are unique, each
// finds its entity, and EntityNames lists every entity once.
func TestEntityLookups(t *testing.T) {
	es := Entities()
	for _, e := range es {
		byName, _ := EntityNamed(e.Name)
		byPlural, _ := EntityByPlural(e.Plural)
		byType, _ := EntityOf(e.Record)
		for how, got := range map[string]Entity{"name": byName, "plural": byPlural, "record type": byType} {
			if got.Name != e.Name {
				t.Errorf("entity %s by %s: got %q", e.Name, how, got.Name)
			}
		}
		if e.Record.Kind() != reflect.Struct {
			t.Errorf("entity %s: record type %v is not a struct", e.Name, e.Record)
		}
	}
	if _, ok := EntityNamed("people"); ok {
		t.Error(`EntityNamed("people") found an entity; people is a plural`)
	}
	names := EntityNames()
	sorted := slices.Sorted(slices.Values(names))
	if len(slices.Compact(sorted)) != len(es) || len(EntityPlurals()) != len(es) {
		t.Errorf("EntityNames %v does not list each of the %d entities once", names, len(es))
	}
	for i, n := range names {
		if e, _ := EntityNamed(n); EntityPlurals()[i] != e.Plural {
			t.Errorf("EntityPlurals()[%d] = %s, want %s's plural %s", i, EntityPlurals()[i], n, e.Plural)
		}
	}
}

// TestWriteTables: the Writer writes each entity's records to its table.
func TestWriteTables(t *testing.T) {
	for _, e := range Entities() {
		rec := &recorder{}
		w, err := NewWriter(WriterConfig{Store: rec, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		one := reflect.MakeSlice(reflect.SliceOf(e.Record), 1, 1).Interface()
		if _, err := w.Write(t.Context(), "b", one); err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		if len(rec.batches) != 1 || rec.batches[0].Table != store.Database+"."+e.Table {
			t.Errorf("%s: wrote %d batches, the first to %v", e.Name, len(rec.batches), rec.batches)
		}
	}
}
