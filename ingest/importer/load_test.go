package importer_test

import (
	"errors"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// TestLoad: a load is recorded running, then done with its rows, as an
// import is; one whose generator fails is recorded failed with why and
// keeps what it wrote; Optimize leaves the records as they are.
func TestLoad(t *testing.T) {
	im, s := newImporter(t)
	batch := func(id string) (status, why string, inserted uint64) {
		t.Helper()
		rows, err := s.Query(t.Context(), `SELECT status, error, rows_inserted FROM ops.ingest_batches FINAL
			WHERE org_id = '' AND batch_id = {b:String}`, store.Params{"b": id})
		if err != nil || rows.Len() != 1 {
			t.Fatalf("batch %s: %v, %d rows", id, err, rows.Len())
		}
		if err := rows.Scan(0, &status, &why, &inserted); err != nil {
			t.Fatal(err)
		}
		return status, why, inserted
	}
	clients := []ingest.Client{
		{Meta: ingest.Meta{Org: "load-a", Source: "gen", ExternalID: "c1"}, Name: "One"},
		{Meta: ingest.Meta{Org: "load-b", Source: "gen", ExternalID: "c2"}, Name: "Two"},
	}
	b := importer.Batch{ID: "load-ok", Source: "gen", Format: "generated"}
	n, err := im.Load(t.Context(), b, func(write func(any) (int, error)) error {
		if status, _, _ := batch(b.ID); status != ingest.BatchRunning {
			t.Errorf("during the load the batch is %s, want running", status)
		}
		_, err := write(clients)
		return err
	})
	if err != nil || n != 2 {
		t.Fatalf("Load = %d, %v; want 2 rows", n, err)
	}
	if status, _, inserted := batch(b.ID); status != ingest.BatchDone || inserted != 2 {
		t.Errorf("after the load the batch is %s with %d rows, want done with 2", status, inserted)
	}
	if done, err := im.Done(t.Context(), "", b.ID); !done || err != nil {
		t.Errorf("Done = %v, %v; want true", done, err)
	}

	boom := errors.New("generator broke")
	failed := importer.Batch{ID: "load-failed", Source: "gen", Format: "generated"}
	n, err = im.Load(t.Context(), failed, func(write func(any) (int, error)) error {
		if _, err := write(clients[:1]); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || n != 1 {
		t.Fatalf("Load = %d, %v; want 1 row and the generator's error", n, err)
	}
	if status, why, inserted := batch(failed.ID); status != ingest.BatchFailed || why != boom.Error() || inserted != 1 {
		t.Errorf("failed load: batch %s (%q) with %d rows, want failed (%q) with 1", status, why, inserted, boom)
	}
	if done, err := im.Done(t.Context(), "", failed.ID); done || err != nil {
		t.Errorf("Done of a failed load = %v, %v; want false", done, err)
	}
	if done, err := im.Done(t.Context(), "", "never-loaded"); done || err != nil {
		t.Errorf("Done of an unknown batch = %v, %v; want false", done, err)
	}

	if err := im.Optimize(t.Context()); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Query(t.Context(), `SELECT count() FROM ops.clients WHERE org_id IN ('load-a', 'load-b')`, nil)
	if err != nil {
		t.Fatal(err)
	}
	var stored uint64
	if err := rows.Scan(0, &stored); err != nil {
		t.Fatal(err)
	}
	if stored != 2 { // c1 twice, merged into one by the OPTIMIZE
		t.Errorf("after Optimize ops.clients holds %d rows of the two clients, want 2", stored)
	}
}
