package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/harvest"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// run is the state of one Import: the rows buffered per entity and the
// resolver of names to ids.
type run struct {
	im       *Importer
	req      Request
	sum      *Summary
	entity   string
	resolver *ingest.Resolver
	org      org.Settings // the org's settings; Currency is "" until the org or the input sets it
	orgDirty bool         // the org row must be written: it is new, or its currency became known

	mu         sync.Mutex // guards sum's counts, which the writer goroutine updates too
	jobs       chan job
	writerDone chan error
	pending    map[string]*pending
	buffered   int                 // rows in pending
	spare      map[string]*pending // written batches, to fill again; guarded by mu
	hadRows    map[string]bool     // table + source -> whether it held rows when the import started
	rowsSeen   int
	input      *countingReader
	watchDates bool      // the keyer forgets past dates: stop when one comes back
	maxDate    time.Time // the latest entry date so far
	paused     bool      // background merges are stopped (Config.PauseMerges)
	written    int       // batches written
	encode     bool      // time entries are encoded as they come (ingest.Writer.TakesEncoded)
	distinct   bool      // every row has its own key (an export's keyer numbers identical rows)
	seen       keys      // the keys of the rows counted so far, unless distinct; its map is count's alone
	dayLimit   *dayLimit // what this input wrote per person-day
	spill      *spill    // where seen and dayLimit keep the keys of the jobs before the current one

	writer   *ingest.Writer // the Importer's, or a staged run's (Request.Stage)
	staged   *stagingStore  // set once a staged run stages its first job
	stage    func() error   // stages the run from now on (Request.Stage): sets writer and staged
	final    bool           // the job flush takes now is the run's last
	line     int            // the line of the last row buffered
	keptLine int            // the line of the last row of the last job written; guarded by mu
}

// errUnsorted stops a run whose export went back to an earlier date after
// its keyer had forgotten it; Import reads the input again keeping every date.
var errUnsorted = errors.New("the export is not sorted by date")

// pending holds one entity's valid rows until the next flush.
type pending struct {
	table   string               // where its stored keys are looked up (lookupTable)
	source  string               // the source of the first record; one input has one source
	records recordSlice          // nil while enc holds the rows
	enc     *ingest.EntryEncoder // time entries encoded as they come, for a store that takes them
	keys    []string
	rows    []rowKey // each row's tombstone flag, and unless run.distinct its key and version
	days    []dayRow // time entries: each row's person-day and hours
	// storedKnown: the day limit found which rows' keys are stored (rowKey.stored)
	storedKnown bool
	counts      *Counts // the entity's in the summary, guarded by run.mu
	deleted     int
	n           int
}

func (r *run) loadOrg(ctx context.Context) error {
	var found bool
	var err error
	r.org, found, err = r.im.cfg.Settings.Load(ctx, r.req.Org)
	r.orgDirty = !found
	return err
}

// entryParser is a parser of a time export that fills in the caller's
// TimeEntry and Refs instead of returning a Row: a TimeEntry boxed into
// Row.Record is an allocation of some 350 bytes per row. On an error the two
// hold nothing of use.
type entryParser interface {
	NextEntry(e *ingest.TimeEntry, refs *ingest.Refs) (line int, err error)
}

var _ entryParser = (*harvest.Parser)(nil)

// rows reads every row, rejecting invalid ones and flushing full batches.
func (r *run) rows(ctx context.Context, p ingest.Parser) error {
	// next reads a row and add buffers it.
	var row ingest.Row
	next := func() (err error) { row, err = p.Next(); return err }
	add := func() error { r.line = row.Line; return r.add(ctx, row) }
	if ep, ok := p.(entryParser); ok {
		var e ingest.TimeEntry
		var refs ingest.Refs
		var line int
		next = func() (err error) { line, err = ep.NextEntry(&e, &refs); return err }
		add = func() error { r.line = line; return r.addEntry(ctx, &e, line, &refs) }
	}
	for {
		err := next()
		if r.req.OnProgress != nil && (r.rowsSeen%4096 == 0 || err != nil) {
			r.req.OnProgress(r.input.n, r.rowsSeen)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			r.rowsSeen++
			r.reject(r.entity, rowErr)
			continue
		}
		if err != nil {
			return err
		}
		r.rowsSeen++
		if err := add(); err != nil {
			return err
		}
		if r.buffered >= r.im.cfg.BatchRows {
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func (r *run) reject(entity string, e *ingest.RowError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.sum.counts(entity)
	c.Read++
	c.Rejected++
	if len(r.sum.Errors) < MaxErrors {
		r.sum.Errors = append(r.sum.Errors, e)
	}
	if r.req.OnReject != nil {
		r.req.OnReject(e)
	}
}

// add validates what only the org can tell (its currency), resolves names
// and buffers the record.
func (r *run) add(ctx context.Context, row ingest.Row) error {
	switch rec := row.Record.(type) {
	case ingest.TimeEntry:
		return r.addEntry(ctx, &rec, row.Line, row.Refs)
	case ingest.Person:
		keep, err := r.resolver.Person(ctx, &rec)
		if err != nil || !keep {
			return err // not kept: the person is another source's (ingest.Resolver.Person)
		}
		// A person's key has its valid_from: each is one version.
		push(r, "person", rec, rec.Meta, version{key: rec.ValidFrom.Format(time.DateOnly)})
	case ingest.Client:
		push(r, "client", rec, rec.Meta, version{})
	case ingest.Project:
		push(r, "project", rec, rec.Meta, version{})
	case ingest.Deliverable:
		push(r, "deliverable", rec, rec.Meta, version{updatedAt: rec.UpdatedAt})
	case ingest.TaskEvent:
		push(r, "task_event", rec, rec.Meta, version{})
	case ingest.Allocation:
		if err := r.personID(ctx, rec.Source, &rec.PersonID); err != nil {
			return err
		}
		push(r, "allocation", rec, rec.Meta, version{})
	case ingest.TimeOff:
		if err := r.personID(ctx, rec.Source, &rec.PersonID); err != nil {
			return err
		}
		push(r, "time_off", rec, rec.Meta, version{})
	case ingest.Adjustment:
		if err := r.personID(ctx, rec.Source, &rec.PersonID); err != nil {
			return err
		}
		push(r, "adjustment", rec, rec.Meta, version{})
	case ingest.InvoiceLine:
		push(r, "invoice_line", rec, rec.Meta, version{})
	case ingest.Holiday:
		push(r, "holiday", rec, ingest.Meta{Deleted: rec.Deleted},
			version{key: rec.Calendar + "\x00" + rec.Date.Format(time.DateOnly)}) // a holiday's key
	default:
		return fmt.Errorf("importer: parser returned %s, which has no table", reflect.TypeOf(row.Record))
	}
	return nil
}

// personID maps a record's person id to the org's person (an alias the
// resolver knows), so every record of one human carries one id.
func (r *run) personID(ctx context.Context, source string, id *string) error {
	var err error
	*id, err = r.resolver.PersonID(ctx, source, *id)
	return err
}

// addEntry is add for a time entry.
func (r *run) addEntry(ctx context.Context, e *ingest.TimeEntry, line int, refs *ingest.Refs) error {
	if r.watchDates {
		if e.Date.Before(r.maxDate) {
			return errUnsorted
		}
		r.maxDate = e.Date
	}
	if e.Currency != "" {
		if r.org.Currency == "" {
			r.org.Currency, r.orgDirty = e.Currency, true // the first currency an org sees becomes its currency
		}
		if e.Currency != r.org.Currency {
			r.reject("time_entry", &ingest.RowError{File: r.req.File, Line: line, Field: "currency", Value: e.Currency,
				Reason: fmt.Sprintf("org %s keeps its books in %s; convert the amounts or import into another org", r.req.Org, r.org.Currency)})
			return nil
		}
	}
	if err := r.resolver.Resolve(ctx, e, refs); err != nil {
		return err
	}
	if r.encode {
		return r.pushEncoded(ctx, e, line)
	}
	push(r, "time_entry", *e, e.Meta, version{updatedAt: e.UpdatedAt})
	r.bufferDay(r.pending["time_entry"], e, line)
	return nil
}

// pushEncoded appends a time entry to its pending batch as RowBinary: the
// batch then holds a compact copy of each row instead of the record, whose
// strings keep the whole input line alive.
func (r *run) pushEncoded(ctx context.Context, e *ingest.TimeEntry, line int) error {
	p := r.pendingFor("time_entry", e.Source)
	if p.enc == nil {
		var err error
		if p.enc, err = r.writer.NewEntryEncoder(ctx); err != nil {
			return err
		}
	}
	if p.n == 0 {
		p.enc.Begin(r.writer, r.sum.BatchID)
	}
	if err := p.enc.Append(e); err != nil {
		var ee *store.EncodeError
		if !errors.As(err, &ee) {
			return err
		}
		r.reject("time_entry", &ingest.RowError{File: r.req.File, Line: line, Field: ee.Column,
			Value: entryValue(e, ee.Column), Reason: ee.Err.Error()})
		return nil
	}
	r.buffer(p, e.Meta, version{updatedAt: e.UpdatedAt})
	r.bufferDay(p, e, line)
	return nil
}

// entryValue is the value of a time entry's column that can fail to encode.
func entryValue(e *ingest.TimeEntry, column string) string {
	dec := func(d *decimal.Decimal) string {
		if d == nil {
			return ""
		}
		return d.String()
	}
	switch column {
	case "hours":
		return e.Hours.String()
	case "bill_rate":
		return dec(e.BillRate)
	case "cost_rate":
		return dec(e.CostRate)
	case "billed_amount":
		return dec(e.BilledAmount)
	case "date":
		return e.Date.Format(time.DateOnly)
	}
	return ""
}

// recordSlice is a pending batch's records: a *records[T].
type recordSlice interface {
	slice() any
	reset()
}

// records grows behind a pointer: storing each longer slice in an interface
// would allocate its header once a row.
type records[T any] struct{ s []T }

func (r *records[T]) slice() any { return r.s }

// reset empties the slice for the next batch, which overwrites each record
// as it appends.
func (r *records[T]) reset() { r.s = r.s[:0] }

// push appends a record to its entity's pending batch.
func push[T any](r *run, entity string, rec T, m ingest.Meta, v version) {
	p := r.pendingFor(entity, m.Source)
	if p.records == nil {
		// Capacity for a whole batch: growing by appends would allocate
		// about five times the batch over its life.
		p.records = &records[T]{s: make([]T, 0, r.im.cfg.BatchRows)}
	}
	recs := p.records.(*records[T])
	recs.s = append(recs.s, rec)
	r.buffer(p, m, v)
}

// pendingFor returns entity's pending batch, a written one to fill again or
// a new one.
func (r *run) pendingFor(entity, source string) *pending {
	if r.pending == nil {
		r.pending = map[string]*pending{}
	}
	p, ok := r.pending[entity]
	if !ok {
		r.mu.Lock()
		p = r.spare[entity]
		delete(r.spare, entity)
		if p == nil {
			p = &pending{table: lookupTable(entity), keys: make([]string, 0, r.im.cfg.BatchRows), rows: make([]rowKey, 0, r.im.cfg.BatchRows),
				counts: r.sum.counts(entity)}
		}
		r.mu.Unlock()
		p.source = source
		r.pending[entity] = p
	}
	return p
}

// lookupTable is the table in which an import looks up the stored keys of
// entity's records, or "" when they have no external_id to look up.
func lookupTable(entity string) string {
	if e, ok := ingest.EntityNamed(entity); ok && e.ExternalIDs {
		return e.Table
	}
	return ""
}

// buffer counts a row added to p.
func (r *run) buffer(p *pending, m ingest.Meta, v version) {
	p.keys = append(p.keys, m.ExternalID)
	row := rowKey{deleted: m.Deleted}
	if !r.distinct {
		row = r.seen.rowKey(m, v)
	}
	p.rows = append(p.rows, row)
	if m.Deleted {
		p.deleted++
	}
	p.n++
	r.buffered++
	r.mu.Lock()
	p.counts.Read++
	p.counts.Valid++
	r.mu.Unlock()
}

// job is one flush's worth of writes, in the order they must happen.
type job struct {
	org     []org.Settings // the org row, when it is new or its currency became known
	created []any          // people, clients and projects the resolver created, people it merged or retired, aliases, words
	batches []*pending     // in write order (ingest.Entities)
	entity  []string
	line    int  // the line of its last row
	final   bool // the run's last job: no job reads the key states it leaves
}

// flush hands the buffered rows to the writer goroutine, which counts and
// writes them while the parser goes on; it waits only while the writer is
// still busy with the previous job, so at most two batches are in memory.
func (r *run) flush(ctx context.Context) error {
	if err := r.checkDays(ctx); err != nil {
		return err
	}
	j := r.takeJob()
	if r.req.DryRun {
		return r.process(ctx, j)
	}
	if r.stage != nil && r.staged == nil && !(r.final && j.single() && r.req.BeforeCommit == nil) {
		// A request whose rows all fit in one job of one table is written
		// with one INSERT, which the store applies whole; anything larger
		// is staged, so that it becomes visible only once it is complete.
		// With BeforeCommit everything is staged: the check runs before
		// the commit, and an unstaged INSERT has none.
		if err := r.stage(); err != nil {
			return err
		}
	}
	if r.jobs == nil {
		r.jobs, r.writerDone = make(chan job), make(chan error, 1)
		go func() {
			var err error
			for j := range r.jobs {
				if err == nil {
					err = r.process(ctx, j)
				}
			}
			r.writerDone <- err
		}()
	}
	select {
	case r.jobs <- j:
		return nil
	case err := <-r.writerDone:
		r.jobs = nil // the writer stopped on an error
		return err
	}
}

// single reports whether j writes one INSERT: rows of one table, no org row
// and no records created on first sight.
func (j job) single() bool {
	if len(j.org) > 0 || len(j.batches) > 1 {
		return false
	}
	for _, c := range j.created {
		if reflect.ValueOf(c).Len() > 0 {
			return false
		}
	}
	return true
}

// finish waits for the writer to write every job handed to it.
func (r *run) finish() error {
	if r.jobs == nil {
		return nil
	}
	close(r.jobs)
	r.jobs = nil
	return <-r.writerDone
}

func (r *run) takeJob() job {
	var j job
	if r.orgDirty {
		j.org = []org.Settings{r.org} // every setting as read: only a new org's row or its currency changes
		r.orgDirty = false
	}
	people, clients, projects := r.resolver.TakeCreated()
	for entity, n := range map[string]int{"person": len(people), "client": len(clients), "project": len(projects)} {
		if n > 0 {
			r.sum.Created[entity] += n
		}
	}
	aliases, rewritten, words := r.resolver.TakeLinks()
	j.created = []any{people, clients, projects, rewritten, aliases, words}
	for _, e := range ingest.Entities() {
		if p, ok := r.pending[e.Name]; ok {
			j.batches = append(j.batches, p)
			j.entity = append(j.entity, e.Name)
		}
	}
	r.pending, r.buffered = nil, 0
	j.line, j.final = r.line, r.final
	return j
}

// process counts a job's rows as new or updated and, unless this is a dry
// run, writes them: each table's rows as one INSERT.
func (r *run) process(ctx context.Context, j job) error {
	if !r.req.DryRun {
		for _, recs := range append([]any{j.org}, j.created...) {
			if err := r.write(ctx, recs); err != nil {
				return err
			}
		}
	}
	if !r.distinct {
		if err := r.seen.load(ctx, r.spill, j.batches); err != nil {
			return err
		}
	}
	for i, p := range j.batches {
		before := r.countsOf(j.entity[i])
		if err := r.count(ctx, j.entity[i], p); err != nil {
			return err
		}
		if r.req.DryRun {
			continue
		}
		var err error
		if p.enc != nil {
			var n int
			// Encoded rows do not say whose they are: the run's org's alone
			// (metrics' data versions).
			if n, err = r.writer.WriteEncoded(store.WithWriteOrgs(ctx, r.req.Org), p.enc); err == nil {
				err = r.wrote(ctx, n)
			}
		} else {
			err = r.write(ctx, p.records.slice())
		}
		if err != nil {
			r.setCounts(j.entity[i], before) // not written: the summary must not count it
			return err
		}
	}
	if !r.distinct && !j.final {
		if err := r.seen.save(ctx, r.spill); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.req.DryRun {
		r.keptLine = j.line
	}
	if r.spare == nil {
		r.spare = map[string]*pending{}
	}
	for i, p := range j.batches {
		// Written: the next batch reuses its buffers rather than allocate a
		// batch's worth of memory again.
		if p.records != nil {
			p.records.reset()
		}
		p.keys, p.rows, p.days, p.deleted, p.n, p.storedKnown = p.keys[:0], p.rows[:0], p.days[:0], 0, 0, false
		r.spare[j.entity[i]] = p
	}
	return nil
}

func (r *run) write(ctx context.Context, recs any) error {
	n, err := r.writer.Write(ctx, r.sum.BatchID, recs)
	if err != nil {
		return err
	}
	return r.wrote(ctx, n)
}

// wrote keeps the engine's merges paused or lets them run, after an INSERT
// of n rows.
func (r *run) wrote(ctx context.Context, n int) error {
	if n == 0 || r.im.merges == nil {
		return nil
	}
	r.written++
	if r.written == 1 {
		// The first batch is written with merges on, so a pause never
		// outlives a run that wrote nothing.
		return r.pauseMerges(ctx)
	}
	if r.written%checkPartsEvery != 0 {
		return nil
	}
	// Merges stay paused until the import's tables hold MaxPausedParts
	// active parts, then run until few are left: each row is merged about
	// once, in one large merge, and the engine's memory, which grows with
	// its parts, stays bounded.
	rows, err := r.im.cfg.Store.Query(ctx, store.QueryText("active_parts"), nil)
	if err != nil {
		return err
	}
	var parts uint64
	if err := rows.Scan(0, &parts); err != nil {
		return err
	}
	switch {
	case !r.paused && parts <= resumedPartsLow:
		return r.pauseMerges(ctx)
	case r.paused && parts >= MaxPausedParts:
		return r.resumeMerges(ctx)
	}
	return nil
}

func (r *run) pauseMerges(ctx context.Context) error {
	if err := r.im.merges.PauseMerges(ctx); err != nil {
		return err
	}
	r.paused = true
	return nil
}

// checkPartsEvery is how often, in batches, an import with PauseMerges
// looks at the engine's part count.
const checkPartsEvery = 5

// resumeMerges starts the background merges that write paused, if it did.
func (r *run) resumeMerges(ctx context.Context) error {
	if !r.paused {
		return nil
	}
	if err := r.im.merges.ResumeMerges(context.WithoutCancel(ctx)); err != nil {
		r.im.cfg.Logger.Error("import_resume_merges", "err", err)
		return err
	}
	r.paused = false
	return nil
}

// countsOf returns a copy of an entity's counts, for setCounts to restore.
func (r *run) countsOf(entity string) Counts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return *r.sum.counts(entity)
}

// setCounts restores the counts countsOf returned, keeping the rows read
// since: they were read whatever became of the batch.
func (r *run) setCounts(entity string, c Counts) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.sum.counts(entity)
	c.Read, c.Valid, c.Rejected = cur.Read, cur.Valid, cur.Rejected
	*cur = c
}

// count splits a pending batch into new, updated, deleted and repeated
// records: a row whose key an earlier row of the input had is repeated, and
// the two are one record, counted by the row the store keeps (the input's
// keys are remembered unless they are distinct, as an export's are). With
// CountChanges it asks which keys are stored already. The keys of earlier
// jobs are in r.seen.m as process loaded them.
func (r *run) count(ctx context.Context, entity string, p *pending) error {
	firsts := p.keys // the rows whose key the input had not given before
	if !r.distinct {
		firsts = nil
		inBatch := make(map[uint64]bool, len(p.rows))
		for i, row := range p.rows {
			if _, ok := r.seen.m[row.hash]; !ok && !inBatch[row.hash] {
				inBatch[row.hash] = true
				firsts = append(firsts, p.keys[i])
			}
		}
	}
	var existing map[string]bool
	if !p.storedKnown {
		var err error
		if existing, err = r.existing(ctx, p, firsts); err != nil {
			return err
		}
	}
	var d Counts // this batch's change to the entity's counts
	changes := func(existed bool, n int) {
		if !r.req.CountChanges {
			return
		}
		if existed {
			d.Updated += n
		} else {
			d.New += n
		}
	}
	now := r.im.cfg.Now().UnixMicro()
	for i, row := range p.rows {
		st, seen := keyState{}, false
		if !r.distinct {
			st, seen = r.seen.m[row.hash]
		}
		if !seen {
			st = keyState{micros: row.micros, deleted: row.deleted, existed: existing[p.keys[i]] || row.stored}
			if !r.distinct {
				r.seen.m[row.hash] = st
			}
			if row.deleted {
				d.Deleted++
			} else {
				d.Written++
				changes(st.existed, 1)
			}
			continue
		}
		d.Repeated++
		if !st.replacedBy(row, now) {
			continue
		}
		switch {
		case st.deleted && !row.deleted: // the record comes back
			d.Deleted--
			d.Written++
			changes(st.existed, 1)
		case !st.deleted && row.deleted:
			d.Written--
			d.Deleted++
			changes(st.existed, -1)
		}
		st.micros, st.deleted = row.micros, row.deleted
		r.seen.m[row.hash] = st
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.sum.counts(entity)
	c.Written += d.Written
	c.New += d.New
	c.Updated += d.Updated
	c.Deleted += d.Deleted
	c.Repeated += d.Repeated
	return nil
}

// existing returns which of ids are stored and live, when CountChanges asks.
func (r *run) existing(ctx context.Context, p *pending, ids []string) (map[string]bool, error) {
	if p.table == "" || !r.req.CountChanges || len(ids) == 0 {
		return nil, nil
	}
	had, err := r.sourceHadRows(ctx, p.table, p.source)
	if err != nil || !had {
		return nil, err
	}
	rows, err := r.im.cfg.Store.Query(ctx, store.QueryText("existing_keys"), store.Params{"table": p.table,
		"org": r.req.Org, "source": p.source, "ids": strings.Join(ids, "\n"), "batch": r.sum.BatchID})
	if err != nil {
		return nil, err
	}
	found := make(map[string]bool, rows.Len())
	for i := range rows.Len() {
		var id string
		if err := rows.Scan(i, &id); err != nil {
			return nil, err
		}
		found[id] = true
	}
	return found, nil
}

// sourceHadRows reports, once per import, whether the org had records from
// source in table before this import wrote any.
func (r *run) sourceHadRows(ctx context.Context, table, source string) (bool, error) {
	key := table + "\x00" + source
	if had, ok := r.hadRows[key]; ok {
		return had, nil
	}
	rows, err := r.im.cfg.Store.Query(ctx, store.QueryText("source_has_rows"),
		store.Params{"table": table, "org": r.req.Org, "source": source})
	if err != nil {
		return false, err
	}
	var had bool
	if err := rows.Scan(0, &had); err != nil {
		return false, err
	}
	if r.hadRows == nil {
		r.hadRows = map[string]bool{}
	}
	r.hadRows[key] = had
	return had, nil
}
