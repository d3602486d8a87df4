package demo

import (
	"log/slog"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chdbtest.Close()
	os.Exit(code)
}

// TestEmitsInWriteOrder: Generate emits the entities in the registry's
// write order, so that a load writes referenced records first.
func TestEmitsInWriteOrder(t *testing.T) {
	var got []string
	_, err := Generate(t.Context(), Config{End: testEnd, People: 4, Months: 3}, func(records any) error {
		if e, ok := ingest.EntityOf(reflect.TypeOf(records).Elem()); ok && !slices.Contains(got, e.Name) {
			got = append(got, e.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range ingest.Entities() {
		want = append(want, e.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Generate emits %v, the write order is %v", got, want)
	}
}

// TestLoad loads a small dataset through the importer: its batch is done
// with every generated row, each table holds what was generated, and
// Loaded says so afterwards.
func TestLoad(t *testing.T) {
	s := chdbtest.Shared(t)
	im, err := importer.New(importer.Config{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Seed: 3, End: testEnd, People: 4, Months: 2}
	if loaded, err := Loaded(t.Context(), im, cfg); loaded || err != nil {
		t.Fatalf("Loaded before the load = %v, %v", loaded, err)
	}
	rows := 0
	counts, err := Load(t.Context(), cfg, LoadConfig{Importer: im, Logger: slog.New(slog.DiscardHandler),
		OnRows: func(n int) { rows += n }})
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Optimize(t.Context()); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if rows != total {
		t.Errorf("OnRows was told of %d rows, Generate made %d", rows, total)
	}
	if loaded, err := Loaded(t.Context(), im, cfg); !loaded || err != nil {
		t.Errorf("Loaded after the load = %v, %v", loaded, err)
	}
	res, err := s.Query(t.Context(), `SELECT status, source, format, rows_inserted FROM ops.ingest_batches FINAL
		WHERE org_id = '' AND batch_id = {b:String}`, store.Params{"b": BatchID(cfg)})
	if err != nil || res.Len() != 1 {
		t.Fatalf("the batch: %v, %d rows", err, res.Len())
	}
	var status, source, format string
	var inserted uint64
	if err := res.Scan(0, &status, &source, &format, &inserted); err != nil {
		t.Fatal(err)
	}
	if status != ingest.BatchDone || source != Source || format != "generated" || inserted != uint64(total) {
		t.Errorf("batch %s/%s/%s with %d rows, want done/%s/generated with %d", status, source, format, inserted, Source, total)
	}
	for _, e := range ingest.Entities() {
		// Without FINAL: Optimize merged every table.
		res, err := s.Query(t.Context(), "SELECT count() FROM "+e.QualifiedTable()+" WHERE batch_id = {b:String}",
			store.Params{"b": BatchID(cfg)})
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		if err := res.Scan(0, &n); err != nil {
			t.Fatal(err)
		}
		if int(n) != counts[e.Plural] {
			t.Errorf("%s holds %d rows of the batch, Generate made %d", e.QualifiedTable(), n, counts[e.Plural])
		}
	}
}
