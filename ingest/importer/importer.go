// Package importer runs one input (an export file, an upload or an API
// body) through format detection, parsing, validation, name resolution and
// batched, idempotent writes, and reports what happened to every row. Every
// write is one batch in ops.ingest_batches, recorded running (or staging)
// before its first row and done or failed at the end; generated records (the
// demo) are written as such a batch too (Load).
package importer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Store is the part of the store an Importer needs.
type Store interface {
	ingest.Inserter
	ingest.Querier
	// Exec runs a statement that returns no rows: a staged import's copy
	// and drop.
	Exec(ctx context.Context, query string, params store.Params) error
}

// Config configures an Importer.
type Config struct {
	Store     Store
	Logger    *slog.Logger
	BatchRows int // rows per INSERT; default 25,000
	Now       func() time.Time
	// PauseMerges stops the engine's background merges while an import
	// writes, for a process that imports one input at a time (the CLI), on
	// an engine that can pause them (store.MergePauser: one this process
	// has alone); on any other it does nothing. An import writes
	// one part per batch, and merging those parts as they arrive takes a third
	// of a large import's time; paused, they are merged afterwards, in the
	// background. The engine's memory grows with its unmerged parts, so
	// merges run again whenever MaxPausedParts are waiting, and at the end of
	// every Import (docs/benchmarks.md has the measurements).
	PauseMerges bool
	// Rows, when set, is told what every finished import wrote and rejected,
	// per entity ("inserted": rows and tombstones written; "rejected"), for
	// the service's metrics.
	Rows func(entity, result string, n int)
	// Distributed says the store's tables are Distributed tables (a
	// cluster), through which a staged batch cannot be dropped by partition:
	// the staging tables' TTL removes it a day later instead.
	Distributed bool
	// Settings is where an import reads its org's settings (fresh: the
	// row it may write must not be a stale copy) and which it tells when
	// it ends, since it may have written them or the currencies the org's
	// data names. nil: a cache of the importer's own.
	Settings *org.Cache
	// Changed, when set, is told the org of every import that wrote rows,
	// once they are visible (and of every batch Recover makes visible), so
	// that what is derived from the org's data (metrics' entry facts) is
	// brought up to date before anyone reads it.
	Changed func(ctx context.Context, orgs []string)
}

// MaxPausedParts is the active part count at which a paused import lets
// merges run again; they are paused again once at most resumedPartsLow
// parts are left. Far below the 1,000 parts at which the engine delays
// inserts, and low enough to bound the engine's memory (docs/benchmarks.md).
const (
	MaxPausedParts  = 60
	resumedPartsLow = 10
)

// Validate fills defaults and reports what is missing.
func (c *Config) Validate() error {
	if c.Store == nil || c.Logger == nil {
		return errors.New("importer: store and logger are required")
	}
	if c.BatchRows <= 0 {
		c.BatchRows = 25_000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Settings == nil {
		var err error
		if c.Settings, err = org.NewCache(org.Config{Store: c.Store}); err != nil {
			return err
		}
	}
	return nil
}

// Importer imports inputs. It is safe for concurrent use; each Import is
// independent.
type Importer struct {
	cfg    Config
	writer *ingest.Writer
	merges store.MergePauser // nil unless Config.PauseMerges and the engine can
}

// New returns an Importer.
func New(cfg Config) (*Importer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: cfg.Store, Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	im := &Importer{cfg: cfg, writer: w}
	if cfg.PauseMerges {
		im.merges, _ = cfg.Store.(store.MergePauser)
	}
	return im, nil
}

// changed tells Config.Changed that org's visible data changed.
func (im *Importer) changed(ctx context.Context, org string) {
	if im.cfg.Changed != nil {
		im.cfg.Changed(ctx, []string{org})
	}
}

// Request is one input to import.
type Request struct {
	Org       string
	File      string    // the name errors and the ingest log use
	Body      io.Reader // an io.ReadSeeker lets Strict avoid a temporary copy
	Format    string    // "" to detect from the content
	Entity    string    // for opsmetrics' own formats, when not detected
	DateOrder string    // "", "mdy" or "dmy" for ambiguous Clockify dates
	DryRun    bool      // parse, validate and resolve, but write nothing
	Strict    bool      // write nothing when any row is rejected
	// Stage makes the import all or nothing: its rows go to the staging
	// tables and become visible only once the whole input was read without
	// an error (and, with Strict, without a rejected row). An input that
	// fails, a cancelled ctx or a killed process leave nothing visible
	// (Recover). Without it, the batches written before an error stay
	// written (Summary.KeptThroughLine). The HTTP intake stages; the CLI,
	// whose files may be far larger than a request, does not.
	Stage bool
	// CountChanges splits written rows into new and updated, at the cost of
	// one key lookup per batch when the source already has rows. Without it
	// Counts.Written alone is set.
	CountChanges bool
	// BeforeCommit, if set, runs right before a staged import's rows are
	// made visible (Stage only; with it, every write is staged, even one
	// that would fit one INSERT). An error drops the staged batch: nothing
	// of it is written, and Import returns that error. A collector checks
	// there that it still holds its source's sync lease (ingest/collect).
	BeforeCommit func(ctx context.Context) error
	// OnReject, if set, receives every rejected row as it is found.
	OnReject func(*ingest.RowError)
	// OnProgress, if set, receives the bytes read so far and the rows read.
	OnProgress func(bytes int64, rows int)
	// Records, when set, is read instead of Body: rows already parsed into
	// canonical records, such as a collector's (ingest/collect), which
	// then go through the same checks, resolving, counting and batch
	// lifecycle as a file's. Format names them in ops.ingest_batches and
	// must be set; Body is not read.
	Records ingest.Parser

	exact   bool   // read again after an export turned out unsorted: keep every date's keys
	batchID string // the batch of the first attempt, on that second reading
}

// Counts are the outcome for one entity. They count records, as the store
// holds them after the import: a key the input gives more than once is one
// record, counted once as written or deleted by the version that wins, and
// its other rows are Repeated. Read = Valid + Rejected, and Valid = Written +
// Deleted + Repeated when the rows were written. Written, New, Updated and
// Deleted are all 0 when the summary says nothing was written (a dry run, a
// strict or staged import that wrote nothing).
type Counts struct {
	Read     int `json:"read"`     // rows read, valid or not
	Valid    int `json:"valid"`    // rows that passed every check: Read minus Rejected
	Written  int `json:"written"`  // live records stored (new plus updated)
	New      int `json:"new"`      // written, not stored before (with CountChanges)
	Updated  int `json:"updated"`  // written, replacing a stored record with the same key (with CountChanges)
	Deleted  int `json:"deleted"`  // records deleted: tombstones stored
	Repeated int `json:"repeated"` // rows whose key an earlier row of the input had: one record is stored for the key
	Rejected int `json:"rejected"` // rows not written
}

// Summary is the outcome of one Import.
type Summary struct {
	File     string             `json:"file"`
	Format   string             `json:"format"`
	BatchID  string             `json:"batch_id"`
	Entities map[string]*Counts `json:"entities"`
	// Created counts the people, clients and projects created on first sight.
	Created map[string]int     `json:"created,omitempty"`
	Errors  []*ingest.RowError `json:"errors,omitempty"` // the first MaxErrors rejected rows
	// Warnings are what the import could not decide but did not reject:
	// a person whose name two stored people have (ingest.Resolver).
	Warnings []string `json:"warnings,omitempty"`
	// Written says the rows counted as written are in the store: false for
	// a dry run, a strict run with rejected rows, and an import that failed
	// before it wrote anything (a staged one writes nothing when it fails).
	Written bool `json:"written"`
	// KeptThroughLine is set when an import that was not staged failed
	// part way (Import's error) after writing some rows: every valid row up
	// to this line was written, none after it. After a *ingest.FileError it
	// is the line of the last row before the break.
	KeptThroughLine int `json:"kept_through_line,omitempty"`
}

// MaxErrors bounds the rejected rows a Summary keeps; OnReject sees them all.
const MaxErrors = 1000

// Rejected is the total of rejected rows.
func (s *Summary) Rejected() int {
	n := 0
	for _, c := range s.Entities {
		n += c.Rejected
	}
	return n
}

// nothingWritten makes the counts say that nothing was written.
func (s *Summary) nothingWritten() {
	s.Written = false
	for _, c := range s.Entities {
		c.Written, c.New, c.Updated, c.Deleted = 0, 0, 0, 0
	}
	clear(s.Created)
}

func (s *Summary) counts(entity string) *Counts {
	c, ok := s.Entities[entity]
	if !ok {
		c = &Counts{}
		s.Entities[entity] = c
	}
	return c
}

// Import imports one input. Rows are written in batches of BatchRows, each
// one INSERT per table; a rejected row never stops the others unless Strict.
// It returns the summary, and an error for a failure of the input as a whole
// (*ingest.FileError), of its reader (say, a body over its limit), of ctx or
// of the store. A staged import (Request.Stage) then writes nothing. One that
// is not keeps the batches written before the error, and after a FileError
// also the valid rows before the break (Summary.KeptThroughLine says up to
// which line); importing the same input again adds nothing twice.
func (im *Importer) Import(ctx context.Context, req Request) (*Summary, error) {
	if req.Org == "" {
		return nil, errors.New("no org given")
	}
	defer im.cfg.Settings.Forget(req.Org)
	started := im.cfg.Now().UTC()
	hash := sha256.New()
	counter := &countingReader{r: io.TeeReader(req.Body, hash)}
	body := bufio.NewReaderSize(counter, 256<<10)
	format, entity := req.Format, req.Entity
	if req.Records != nil && format == "" {
		return nil, errors.New("importer: records without a format")
	}
	if req.Records != nil {
		req.Body = eof{}
		counter = &countingReader{r: eof{}}
		body = bufio.NewReaderSize(counter, 16)
	}
	if format == "" {
		var err error
		if format, entity, err = detect(body, req.File); err != nil {
			return nil, err
		}
		if req.Entity != "" {
			entity = req.Entity
		}
	}
	sum := &Summary{File: req.File, Format: format, Entities: map[string]*Counts{}, Created: map[string]int{}}
	sum.BatchID = batchID(req, started)
	if req.batchID != "" {
		sum.BatchID = req.batchID
	}
	opts := ingest.Options{File: req.File, Org: req.Org, DateOrder: req.DateOrder}
	// An export that can be read again lets its keyer forget past dates; the
	// run below reads it again with every date kept if a date comes back.
	rs, seekable := req.Body.(io.ReadSeeker)
	opts.ForgetPastDays = seekable && !req.exact && !req.Strict && isExport(format)

	if req.DryRun {
		req.CountChanges = false // what is new is counted only once it is written
	}
	if req.Strict && !req.DryRun && !req.Stage && req.Records == nil {
		// Validate everything first; write only a clean input. A staged
		// import instead drops its stage when a row was rejected.
		rs, cleanup, err := rewindable(req.Body, body)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		check := req
		check.Body, check.DryRun, check.Strict, check.Format, check.Entity = rs, true, false, format, entity
		dry, err := im.Import(ctx, check)
		if err != nil || dry.Rejected() > 0 {
			if dry != nil {
				dry.BatchID = sum.BatchID
			}
			return dry, err
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		counter = &countingReader{r: io.TeeReader(rs, hash)}
		hash.Reset()
		body = bufio.NewReaderSize(counter, 256<<10)
	}

	parser := req.Records
	if parser == nil {
		var err error
		if parser, err = newParser(body, format, entity, opts); err != nil {
			return sum, err
		}
	}
	run := &run{im: im, req: req, sum: sum, entity: entity, input: counter, watchDates: opts.ForgetPastDays, writer: im.writer,
		distinct: isExport(format)}
	if !run.distinct {
		run.seen = newKeys()
	}
	run.spill = newSpill(im.cfg.Store)
	defer run.spill.drop(im)
	run.dayLimit = newDayLimit()
	if !run.watchDates {
		// An export read in date order forgets the keys of past days; any
		// other input would keep every key it gave.
		run.dayLimit.spill = run.spill
	}
	// A store that takes RowBinary gets time entries encoded as they are
	// parsed: a batch is then held once, compactly (Writer.TakesEncoded).
	// A dry run encodes too, so that it rejects what the real run would.
	run.encode = im.writer.TakesEncoded()
	run.resolver = ingest.NewResolver(im.cfg.Store, req.Org)
	if err := run.loadOrg(ctx); err != nil {
		return sum, err
	}
	rec := ingest.BatchRecord{Org: req.Org, ID: sum.BatchID, Source: format, Format: format, FileName: req.File,
		StartedAt: started, Status: ingest.BatchRunning}
	if req.Stage {
		// Recorded before any row, so that Recover finds a request that
		// stops before it completes, staged or not, and records it failed.
		// (One written with a single INSERT and stopped right after it
		// is recorded failed with its rows visible: the INSERT was whole.)
		rec.Status = ingest.BatchStaging
	}
	if !req.DryRun {
		// Written whole even when ctx ends meanwhile: the engine may have
		// stored the row when the call returns ctx's error, and a batch left
		// "staging" would wait for the next start to be recorded failed. A
		// cancelled ctx stops the run below, which records it failed.
		if _, err := im.writer.Write(context.WithoutCancel(ctx), sum.BatchID, []ingest.BatchRecord{rec}); err != nil {
			return sum, err
		}
	}
	if req.Stage && !req.DryRun {
		run.stage = func() error {
			w, staged, err := im.stager(sum.BatchID)
			if err != nil {
				return err
			}
			run.writer, run.staged = w, staged
			return nil
		}
	}
	defer run.resumeMerges(ctx)
	defer run.dayLimit.drain()
	runErr := run.rows(ctx, parser)
	var fileErr *ingest.FileError
	refused := req.Stage && req.Strict && sum.Rejected() > 0 // a strict request writes nothing then
	if (runErr == nil && !refused) || (!req.Stage && errors.As(runErr, &fileErr)) {
		// Unstaged, the valid rows before a break in the file are kept too,
		// so that what was kept is "every row before line N".
		run.final = runErr == nil
		if err := run.flush(ctx); runErr == nil {
			runErr = err
		}
	}
	if err := run.finish(); runErr == nil {
		runErr = err
	}
	sum.Warnings = run.resolver.Warnings()
	staged := run.staged
	if c, ok := parser.(io.Closer); ok {
		c.Close() // the Clockify parser's spool file
	}
	if errors.Is(runErr, errUnsorted) {
		if staged != nil {
			im.dropStaged(ctx, sum.BatchID, staged.tables()) // the second reading stages every row again
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return sum, err
		}
		im.cfg.Logger.Info("import_unsorted_rereading", "file", req.File)
		again := req
		again.exact, again.batchID, again.Format, again.Entity = true, sum.BatchID, format, entity
		return im.Import(ctx, again) // what was written is written again with the same ids
	}
	if req.DryRun {
		sum.nothingWritten()
		return sum, runErr
	}
	rec.FileSHA256 = hex.EncodeToString(hash.Sum(nil))
	for _, c := range sum.Entities {
		rec.RowsRead += uint64(c.Read)
		rec.RowsInserted += uint64(c.Written + c.Deleted)
		rec.RowsRejected += uint64(c.Rejected)
	}
	switch {
	case staged != nil:
		runErr = im.finishStaged(ctx, req, sum, rec, staged.tables(), runErr)
	case refused:
		runErr = im.abandon(ctx, rec, nil, fmt.Sprintf("strict: %d rows were rejected", sum.Rejected()))
		sum.nothingWritten()
	default:
		runErr = im.finishRun(ctx, sum, rec, run, runErr)
	}
	if sum.Written {
		im.changed(ctx, req.Org)
	}
	if im.cfg.Rows != nil {
		for entity, c := range sum.Entities {
			im.cfg.Rows(entity, "inserted", c.Written+c.Deleted)
			im.cfg.Rows(entity, "rejected", c.Rejected)
		}
	}
	return sum, runErr
}

// finishStaged commits a staged import that read its input without an
// error (and, if strict, without a rejected row), or drops it.
func (im *Importer) finishStaged(ctx context.Context, req Request, sum *Summary, rec ingest.BatchRecord, tables []int, runErr error) error {
	why := ""
	switch {
	case runErr != nil:
		why = runErr.Error()
	case req.Strict && sum.Rejected() > 0:
		why = fmt.Sprintf("strict: %d rows were rejected", sum.Rejected())
	}
	if why == "" && req.BeforeCommit != nil {
		if err := req.BeforeCommit(ctx); err != nil {
			runErr, why = err, err.Error()
		}
	}
	if why == "" {
		runErr = im.commit(ctx, rec, tables)
		sum.Written = runErr == nil
	} else if err := im.abandon(ctx, rec, tables, why); err != nil && runErr == nil {
		runErr = err
	}
	if !sum.Written {
		sum.nothingWritten()
	}
	return runErr
}

// finishRun records how an import that was not staged ended: what it wrote
// stays written, and the summary says up to which line.
func (im *Importer) finishRun(ctx context.Context, sum *Summary, rec ingest.BatchRecord, run *run, runErr error) error {
	run.mu.Lock()
	kept := run.keptLine
	run.mu.Unlock()
	sum.Written = runErr == nil || kept > 0
	if !sum.Written {
		sum.nothingWritten()
	}
	if runErr != nil {
		sum.KeptThroughLine = kept
	}
	return im.finished(ctx, rec, runErr)
}

func isExport(format string) bool {
	return format == FormatHarvest || format == FormatToggl || format == FormatClockify
}

func batchID(req Request, at time.Time) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%d", req.Org, req.File, at.UnixNano()))
	return "imp-" + at.Format("20060102T150405") + "-" + hex.EncodeToString(h[:4])
}

// rewindable returns a seekable copy of the input: the body itself when it
// can seek, else a temporary file holding what the buffered reader has.
func rewindable(orig io.Reader, buffered *bufio.Reader) (io.ReadSeeker, func(), error) {
	if rs, ok := orig.(io.ReadSeeker); ok {
		if _, err := rs.Seek(0, io.SeekStart); err == nil {
			return rs, func() {}, nil
		}
	}
	f, err := os.CreateTemp("", "opsmetrics-import-*")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := io.Copy(f, buffered); err != nil {
		cleanup()
		return nil, nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, nil, err
	}
	return f, cleanup, nil
}

// eof is an empty body: a Request with Records reads none.
type eof struct{}

func (eof) Read([]byte) (int, error) { return 0, io.EOF }

// countingReader counts the bytes read, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
