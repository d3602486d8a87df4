package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// A staged import (Request.Stage) writes its rows to the staging tables
// (sql/schema/0005_staging.sql) under its batch id and copies them into the
// tables the KPIs read only once the whole input was read without an error:
// a request answered with an error, cancelled or killed part way leaves
// nothing visible. Its ingest_batches row goes staging -> committing -> done
// (or failed), and Recover finishes or drops what a stopped process left.

// stagedTables are the tables an import writes, each with its staging
// table, in the order a batch is copied: the org, the person aliases and
// the sources' words of people (ingest.Resolver) first, then the entities in write order
// (ingest.Entities), so that referenced records are visible before the
// records that refer to them.
var stagedTables = func() []stagedTable {
	out := []stagedTable{{"orgs", "staging_orgs"}, {"person_aliases", "staging_person_aliases"},
		{"person_sources", "staging_person_sources"}}
	for _, e := range ingest.Entities() {
		out = append(out, stagedTable{e.Table, e.Staging})
	}
	return out
}()

// stagedTable is a table and its staging table, unqualified.
type stagedTable struct{ table, staging string }

// stagingStore is the store a staged run writes through: every INSERT goes
// to the staging table of its table, and the tables written are remembered,
// so that the commit copies only those.
type stagingStore struct {
	Store
	batch   string
	mu      sync.Mutex
	written map[string]bool // unqualified table names
}

var _ ingest.Inserter = (*stagingStore)(nil)

// staging returns the qualified staging table of a qualified table.
func (s *stagingStore) staging(table string) (string, error) {
	name, _ := strings.CutPrefix(table, store.Database+".")
	for _, t := range stagedTables {
		if t.table == name {
			s.mu.Lock()
			s.written[name] = true
			s.mu.Unlock()
			return store.Database + "." + t.staging, nil
		}
	}
	return "", fmt.Errorf("importer: %s has no staging table", table) // a table the importer was never meant to write
}

// Insert writes b to its table's staging table.
func (s *stagingStore) Insert(ctx context.Context, b *store.Batch) error {
	table, err := s.staging(b.Table)
	if err != nil {
		return err
	}
	staged := *b
	staged.Table = table
	if table == store.Database+".staging_orgs" {
		// ops.orgs has no batch_id; its staging table has, to find the row.
		n, err := b.Len()
		if err != nil {
			return err
		}
		ids := make([]string, n)
		for i := range ids {
			ids[i] = s.batch
		}
		staged.Columns = append(slices.Clip(b.Columns), "batch_id")
		staged.Values = append(slices.Clip(b.Values), ids)
	}
	return s.Store.Insert(ctx, &staged)
}

// tables returns the tables written so far, in copy order.
func (s *stagingStore) tables() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for i, t := range stagedTables {
		if s.written[t.table] {
			out = append(out, i)
		}
	}
	return out
}

// stagingRowBinary is a stagingStore over a store that takes RowBinary.
type stagingRowBinary struct {
	*stagingStore
	rb store.RowBinaryInserter
}

var _ store.RowBinaryInserter = stagingRowBinary{}

func (s stagingRowBinary) ColumnTypes(ctx context.Context, table string, cols []string) ([]string, error) {
	staged, err := s.staging(table)
	if err != nil {
		return nil, err
	}
	return s.rb.ColumnTypes(ctx, staged, cols)
}

func (s stagingRowBinary) InsertRowBinary(ctx context.Context, table string, cols []string, data []byte) error {
	staged, err := s.staging(table)
	if err != nil {
		return err
	}
	return s.rb.InsertRowBinary(ctx, staged, cols, data)
}

// stager returns the writer of a staged run and the store it writes through.
func (im *Importer) stager(batch string) (*ingest.Writer, *stagingStore, error) {
	ss := &stagingStore{Store: im.cfg.Store, batch: batch, written: map[string]bool{}}
	var ins ingest.Inserter = ss
	if rb, ok := im.cfg.Store.(store.RowBinaryInserter); ok {
		// The time entries of a staged run are encoded as they come too:
		// the staging store passes the engine's ability on.
		ins = stagingRowBinary{stagingStore: ss, rb: rb}
	}
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: ins, Logger: im.cfg.Logger, Now: im.cfg.Now})
	return w, ss, err
}

// commit makes a staged batch visible: the batch is recorded as committing
// (from then on Recover finishes it), its rows are copied table by table,
// and it is recorded as done with rec's counts. It runs to the end even when
// ctx is cancelled (the client went away): a copy stopped half way would
// leave part of the request visible until the next start.
func (im *Importer) commit(ctx context.Context, rec ingest.BatchRecord, tables []int) error {
	ctx = context.WithoutCancel(ctx)
	rec.Status = ingest.BatchCommitting
	if _, err := im.writer.Write(ctx, rec.ID, []ingest.BatchRecord{rec}); err != nil {
		// Not committing, so nothing will be copied: drop the stage.
		_ = im.abandon(ctx, rec, tables, "the commit could not start: "+err.Error())
		return err
	}
	copyCtx := ctx
	if rec.Org != "" { // one org's batch: its copies write that org's rows alone (metrics' data versions)
		copyCtx = store.WithWriteOrgs(ctx, rec.Org)
	}
	if err := im.copyStaged(copyCtx, rec.ID, tables); err != nil {
		return fmt.Errorf("batch %s was staged but not all of it was made visible; it will be at the next start: %w", rec.ID, err)
	}
	finished := im.cfg.Now().UTC()
	rec.Status, rec.FinishedAt = ingest.BatchDone, &finished
	if _, err := im.writer.Write(ctx, rec.ID, []ingest.BatchRecord{rec}); err != nil {
		return fmt.Errorf("batch %s is written, but its record could not say so: %w", rec.ID, err)
	}
	im.dropStaged(ctx, rec.ID, tables)
	return nil
}

// copyStaged copies a batch's rows of the given staging tables into their
// tables. Copying a batch again adds nothing (staging_copy.sql).
func (im *Importer) copyStaged(ctx context.Context, batch string, tables []int) error {
	for _, i := range tables {
		t := stagedTables[i]
		var err error
		if t.table == "orgs" {
			err = im.cfg.Store.Exec(ctx, store.QueryText("staging_copy_orgs"), store.Params{"batch": batch})
		} else {
			err = im.cfg.Store.Exec(ctx, store.QueryText("staging_copy"),
				store.Params{"table": t.table, "staging": t.staging, "batch": batch})
		}
		if err != nil {
			return fmt.Errorf("copy batch %s into ops.%s: %w", batch, t.table, err)
		}
	}
	return nil
}

// abandon drops a staged batch that will not be made visible and records it
// as failed with why; nothing of it was written.
func (im *Importer) abandon(ctx context.Context, rec ingest.BatchRecord, tables []int, why string) error {
	ctx = context.WithoutCancel(ctx)
	im.dropStaged(ctx, rec.ID, tables)
	finished := im.cfg.Now().UTC()
	rec.Status, rec.Error, rec.FinishedAt, rec.RowsInserted = ingest.BatchFailed, why, &finished, 0
	_, err := im.writer.Write(ctx, rec.ID, []ingest.BatchRecord{rec})
	return err
}

// dropStaged removes a batch from the staging tables. The rows are not
// visible either way, so a failure is logged, and the TTL of the staging
// tables removes them a day later; on a cluster that TTL is the only way.
func (im *Importer) dropStaged(ctx context.Context, batch string, tables []int) {
	if im.cfg.Distributed {
		return
	}
	for _, i := range tables {
		err := im.cfg.Store.Exec(ctx, store.QueryText("staging_drop"), store.Params{"staging": stagedTables[i].staging, "batch": batch})
		if err != nil {
			im.cfg.Logger.Warn("staging_drop_failed", "batch", batch, "table", stagedTables[i].staging, "err", err)
		}
	}
}

// allStaged is every staging table: Recover does not know which a batch wrote.
func allStaged() []int {
	out := make([]int, len(stagedTables))
	for i := range out {
		out[i] = i
	}
	return out
}

// Recover finishes what a stopped process left of its staged imports: a
// batch found committing is copied again in full and recorded as done (all
// of it becomes visible), a batch found staging that started before
// staleBefore is dropped and recorded as failed (none of it does). Call it at
// start-up, before serving; with an engine shared by several processes, pass
// a time far enough back that no live request started before it. It returns
// the number of batches finished and dropped.
func (im *Importer) Recover(ctx context.Context, staleBefore time.Time) (committed, dropped int, err error) {
	rows, err := im.cfg.Store.Query(ctx, store.QueryText("ingest_batches_unfinished"), nil)
	if err != nil {
		return 0, 0, fmt.Errorf("read unfinished ingest batches: %w", err)
	}
	for i := range rows.Len() {
		var rec ingest.BatchRecord
		if err := rows.Scan(i, &rec.Org, &rec.ID, &rec.Source, &rec.Format, &rec.FileName, &rec.FileSHA256,
			&rec.StartedAt, &rec.RowsRead, &rec.RowsInserted, &rec.RowsRejected, &rec.Status); err != nil {
			return committed, dropped, err
		}
		switch {
		case rec.Status == ingest.BatchCommitting:
			if err := im.commit(ctx, rec, allStaged()); err != nil {
				return committed, dropped, err
			}
			committed++
			im.cfg.Logger.Info("ingest_batch_recovered", "org", rec.Org, "batch", rec.ID, "rows", rec.RowsInserted)
			im.changed(ctx, rec.Org)
		case rec.StartedAt.Before(staleBefore):
			if err := im.abandon(ctx, rec, allStaged(), "the process stopped before the batch was complete; nothing of it was written"); err != nil {
				return committed, dropped, err
			}
			dropped++
			im.cfg.Logger.Info("ingest_batch_dropped", "org", rec.Org, "batch", rec.ID)
		}
	}
	return committed, dropped, nil
}
