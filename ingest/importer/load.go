package importer

import (
	"context"
	"fmt"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Batch names a Load in ops.ingest_batches.
type Batch struct {
	ID     string // the batch id: the same records loaded again should get the same one (Done)
	Org    string // "" for records of several orgs
	Source string
	Format string
}

// Load writes records that need no parsing, resolving or counting
// (generated ones: complete, valid and each key once) as one batch with the
// lifecycle of an import that is not staged: the batch is recorded running
// in ops.ingest_batches before its first row, then done with the rows
// written, or failed with gen's error, so that status, recovery and the
// counts treat it as any import. gen calls write with slices the
// ingest.Writer takes ([]ingest.Person, ...); each call is one INSERT of the
// slice's rows, which stay written whatever happens later, and returns how
// many. Load returns the rows written and gen's error, or the store's.
func (im *Importer) Load(ctx context.Context, b Batch, gen func(write func(records any) (int, error)) error) (int, error) {
	rec := ingest.BatchRecord{Org: b.Org, ID: b.ID, Source: b.Source, Format: b.Format,
		StartedAt: im.cfg.Now().UTC(), Status: ingest.BatchRunning}
	if _, err := im.writer.Write(ctx, rec.ID, []ingest.BatchRecord{rec}); err != nil {
		return 0, err
	}
	written := 0
	err := gen(func(records any) (int, error) {
		n, err := im.writer.Write(ctx, rec.ID, records)
		written += n
		return n, err
	})
	rec.RowsRead, rec.RowsInserted = uint64(written), uint64(written)
	return written, im.finished(ctx, rec, err)
}

// finished records a batch that was not staged as done, or as failed with
// runErr, and returns runErr or the error of recording it. It records even
// when ctx is cancelled, which is often why runErr is set.
func (im *Importer) finished(ctx context.Context, rec ingest.BatchRecord, runErr error) error {
	finished := im.cfg.Now().UTC()
	rec.FinishedAt, rec.Status = &finished, ingest.BatchDone
	if runErr != nil {
		rec.Status, rec.Error = ingest.BatchFailed, runErr.Error()
	}
	if _, err := im.writer.Write(context.WithoutCancel(ctx), rec.ID, []ingest.BatchRecord{rec}); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// Done reports whether batch id of org is recorded done: all of it was
// written.
func (im *Importer) Done(ctx context.Context, org, id string) (bool, error) {
	rows, err := im.cfg.Store.Query(ctx, store.QueryText("ingest_batch_status"), store.Params{"org": org, "batch": id})
	if err != nil || rows.Len() == 0 {
		return false, err
	}
	var status string
	var inserted uint64
	var finished *time.Time
	if err := rows.Scan(0, &status, &inserted, &finished); err != nil {
		return false, err
	}
	return status == ingest.BatchDone, nil
}

// Optimize merges the parts of every entity's table, and of
// ops.ingest_batches, into one per partition, so that reads of freshly
// loaded data pay neither for many small parts nor for FINAL across
// unmerged versions. It rewrites the tables: call it after a bulk load, not
// after every import.
func (im *Importer) Optimize(ctx context.Context) error {
	var tables []string
	for _, e := range ingest.Entities() {
		tables = append(tables, e.Table)
	}
	for _, t := range append(tables, "ingest_batches") {
		// The names come from the registry, never from input.
		if err := im.cfg.Store.Exec(ctx, "OPTIMIZE TABLE "+store.Database+"."+t+" FINAL", nil); err != nil {
			return fmt.Errorf("optimize %s.%s: %w", store.Database, t, err)
		}
	}
	return nil
}
