package collect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Config configures a Collector.
type Config struct {
	Sources  *Sources
	Importer *importer.Importer
	Store    SyncStore // where stored versions are read and a sync's keys written
	Logger   *slog.Logger
	HTTP     *http.Client                                     // nil: a client with a 60 s timeout
	Now      func() time.Time                                 // nil: time.Now
	Sleep    func(ctx context.Context, d time.Duration) error // nil: real waits (tests make them instant)
	// Synced, when set, is told every sync's outcome, for the service's
	// metrics.
	Synced func(st Status, r Result, err error)
}

// Collector runs syncs: it pulls a source with its Tool and writes what
// the Tool emits as one staged import (visible all at once, or not at all),
// then advances the source's cursor.
type Collector struct {
	cfg   Config
	owner string // names this Collector's claims on sync leases

	mu       sync.Mutex
	statuses map[string]Status // org/id -> the latest known status, for Statuses
}

// Statuses returns the latest status of every source the scheduler (Run)
// has listed or any sync of this Collector has finished, for the service's
// metrics; nil before either.
func (c *Collector) Statuses() []Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Status, 0, len(c.statuses))
	for _, st := range c.statuses {
		out = append(out, st)
	}
	return out
}

func (c *Collector) setStatuses(list []Status) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statuses = map[string]Status{}
	for _, st := range list {
		c.statuses[st.Org+"/"+st.ID] = st
	}
}

func (c *Collector) setStatus(st Status) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.statuses == nil {
		c.statuses = map[string]Status{}
	}
	c.statuses[st.Org+"/"+st.ID] = st
}

// New returns a Collector.
func New(cfg Config) (*Collector, error) {
	if cfg.Sources == nil || cfg.Importer == nil || cfg.Store == nil || cfg.Logger == nil {
		return nil, errors.New("collect: sources, importer, store and logger are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	owner := make([]byte, 8)
	if _, err := rand.Read(owner); err != nil {
		return nil, err
	}
	host, _ := os.Hostname() // for people reading ops.source_leases
	return &Collector{cfg: cfg, owner: host + "/" + hex.EncodeToString(owner)}, nil
}

// Sources returns the Collector's sources.
func (c *Collector) Sources() *Sources { return c.cfg.Sources }

// Result is what one sync did.
type Result struct {
	Source   string             `json:"source"`
	BatchID  string             `json:"batch_id,omitempty"`
	Read     int                `json:"read"`     // records the tool gave
	Added    int                `json:"added"`    // records stored for the first time
	Updated  int                `json:"updated"`  // records replaced (an edit in the tool, or a re-listing)
	Deleted  int                `json:"deleted"`  // tombstones: deleted in the tool, or CSV rows the API replaced
	Rejected int                `json:"rejected"` // records that failed validation
	Errors   []*ingest.RowError `json:"errors,omitempty"`
	// Warnings: people the sync could not tell apart by name (see
	// ingest.Resolver), kept apart.
	Warnings []string `json:"warnings,omitempty"`
}

// Sync pulls source id of org once: everything since the source's Since
// when full (or on its first sync), else what changed since its cursor plus
// a re-listing of the last DefaultWindow. It holds the source's sync lease
// while it runs. It records the outcome in the source's state and returns
// it; the error is the sync's, token redacted (ErrNeedsToken wrapped when
// the tool refused the token), or ErrBusy (wrapped) when another sync of
// the source is under way, or ErrLeaseLost (wrapped) when another sync
// took the source over meanwhile: then nothing of this one was written.
func (c *Collector) Sync(ctx context.Context, orgID, id string, full bool) (Result, error) {
	if _, err := c.cfg.Sources.Get(ctx, orgID, id); err != nil {
		return Result{Source: id}, err
	}
	res, ran, err := c.leased(ctx, orgID, id, full, nil)
	if err == nil && !ran {
		err = fmt.Errorf("source %s of org %s: %w; try again once it ends", id, orgID, ErrBusy)
	}
	return res, err
}

// leased takes the sync lease of source id of org, reads the source's
// state afresh under it and syncs it unless skip (if set) says that state
// needs no sync, renewing the lease meanwhile, then releases it. ran is
// false when another sync holds the lease or skip said so.
func (c *Collector) leased(ctx context.Context, orgID, id string, full bool, skip func(Status) bool) (res Result, ran bool, err error) {
	res = Result{Source: id}
	l, err := c.cfg.Sources.acquire(ctx, orgID, id, c.owner)
	if err != nil || l == nil {
		return res, false, err
	}
	defer l.release(ctx)
	st, err := c.cfg.Sources.Get(ctx, orgID, id)
	if err != nil || (skip != nil && skip(st)) {
		return res, false, err
	}
	stop := l.keep(ctx)
	defer stop()
	res, err = c.sync(ctx, st, l, full)
	return res, true, err
}

// sync runs a sync of st under l, which it checks before the batch is made
// visible and before the state is saved: a sync that lost it saves nothing.
func (c *Collector) sync(ctx context.Context, st Status, l *Lease, full bool) (Result, error) {
	res := Result{Source: st.ID}
	started := c.cfg.Now().UTC()
	token, err := c.cfg.Sources.token(st)
	var next Cursor
	if err == nil {
		res, next, err = c.pull(ctx, st, l, token, full, started)
	}
	err = Redact(err, token)
	if err != nil && ctx.Err() != nil {
		return res, err // stopped (a shutdown): not the source's failure, and the state stays as it was
	}
	if lerr := l.check(ctx); lerr != nil {
		// Another sync holds the source now (or the store cannot say):
		// the state is its to write, and this sync's batch was dropped,
		// unless it was committed before the lease was lost, which the
		// records' keys make harmless.
		c.cfg.Logger.Warn("source_sync_dropped", "org", st.Org, "source", st.ID, "kind", st.Kind, "err", lerr.Error())
		if err != nil && !errors.Is(err, ErrLeaseLost) {
			lerr = fmt.Errorf("%w (the sync had failed: %v)", lerr, err)
		}
		return res, fmt.Errorf("sync of %s dropped: %w", st.ID, lerr)
	}
	s := st.State
	s.LastAttempt = &started
	if err == nil {
		s.LastSuccess, s.FailingSince, s.LastError, s.NeedsToken = &started, nil, "", false
		s.RowsAdded, s.RowsUpdated, s.RowsDeleted = uint64(res.Added), uint64(res.Updated), uint64(res.Deleted)
		s.Cursor = next
	} else {
		if s.FailingSince == nil {
			s.FailingSince = &started
		}
		s.LastError = err.Error()
		s.NeedsToken = errors.Is(err, ErrNeedsToken)
	}
	st.State = s
	if serr := c.cfg.Sources.saveState(ctx, st); serr != nil && err == nil {
		err = fmt.Errorf("record the sync of %s: %w", st.ID, serr)
	}
	if err != nil {
		c.cfg.Logger.Warn("source_sync_failed", "org", st.Org, "source", st.ID, "kind", st.Kind, "err", err.Error())
	} else {
		c.cfg.Logger.Info("source_synced", "org", st.Org, "source", st.ID, "kind", st.Kind,
			"added", res.Added, "updated", res.Updated, "deleted", res.Deleted, "rejected", res.Rejected)
	}
	c.setStatus(st)
	if c.cfg.Synced != nil {
		c.cfg.Synced(st, res, err)
	}
	return res, err
}

// pull runs the Tool and the import, and returns the cursor the next sync
// starts from.
func (c *Collector) pull(ctx context.Context, st Status, l *Lease, token string, full bool, now time.Time) (Result, Cursor, error) {
	res := Result{Source: st.ID}
	tool, err := Lookup(st.Kind)
	if err != nil {
		return res, Cursor{}, err
	}
	today := now.Truncate(24 * time.Hour)
	since := st.Since
	if since.IsZero() {
		since = today.Add(-DefaultSince)
	}
	cursor := st.State.Cursor
	if full {
		cursor = Cursor{}
	}
	win := Window{From: today.Add(-DefaultWindow), To: today.Add(24 * time.Hour)} // tomorrow: time zones ahead of UTC
	if since.After(win.From) || cursor.UpdatedSince.IsZero() {
		win.From = since
	}
	p := Pull{Source: st.Source, Token: token, Cursor: cursor, Window: win, Full: full || cursor.UpdatedSince.IsZero(), Now: now,
		Client: NewClient(ClientConfig{HTTP: c.cfg.HTTP, Kind: st.Kind, Secret: token, Limit: limitOf(st.Kind), Per: 15 * time.Second,
			Sleep: c.cfg.Sleep})}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rs, err := newRecords(pctx, c.cfg.Store, st, now)
	if err != nil {
		return res, Cursor{}, err
	}
	defer rs.forget(c.cfg.Logger)
	var next Cursor
	go func() {
		var perr error
		next, perr = tool.Pull(pctx, p, rs)
		rs.close(perr)
	}()
	sum, err := c.cfg.Importer.Import(ctx, importer.Request{Org: st.Org, File: st.Kind + " " + st.ID, Format: st.Kind + "_api",
		Records: rs, Stage: true, CountChanges: true, BeforeCommit: l.check})
	cancel()
	rs.drain()
	if err != nil {
		return res, Cursor{}, err
	}
	if sum != nil {
		res.BatchID = sum.BatchID
		res.Errors, res.Warnings = sum.Errors, sum.Warnings
		for _, n := range sum.Entities {
			res.Read += n.Read
			res.Added += n.New
			res.Updated += n.Updated
			res.Deleted += n.Deleted
			res.Rejected += n.Rejected
		}
	}
	if !sum.Written && res.Read-res.Rejected > 0 {
		return res, Cursor{}, errors.New("the sync's batch was not written")
	}
	return res, next, nil
}

// limitOf is a tool's documented request limit per 15 s.
func limitOf(kind string) int {
	switch kind {
	case "harvest":
		return 100
	case "float":
		return 50 // 200 GETs a minute
	case "toggl":
		return 15 // one a second per token
	}
	return 0
}

// blockRows is how many records the Tool emits before records checks them
// against the store and hands them on: one lookup of stored versions and
// one INSERT into ops.sync_seen a block. It bounds what a sync holds, which
// is otherwise independent of the number of entries.
var blockRows = 2000

// goneRows is how many tombstones one page of a deletion query holds.
var goneRows = 5000

// records is the Emitter a Tool writes to and the ingest.Parser the
// importer reads from: a channel between the Tool's goroutine and the
// import, then the tombstones found once the Tool is done.
//
// Its memory does not grow with the entries: the Tool's records go in
// blocks (blockRows), each checked against the store for entries given
// again unchanged and its keys written to ops.sync_seen, and the deletion
// pass is an anti-join in the engine against those keys, read a page at a
// time (goneRows).
type records struct {
	ctx  context.Context
	q    SyncStore
	src  Status
	now  time.Time
	sync string // this sync's id in ops.sync_seen
	rows chan item
	done chan struct{}
	err  error // the Tool's, once done is closed

	// The block being filled, and the keys of its records for ops.sync_seen.
	block   []item
	seen    seenBlock
	writing chan error      // the last block's keys being written to ops.sync_seen
	stored  map[string]bool // entities the source had records of when the sync began: look versions up

	lists []Window // time-entry windows the Tool re-listed
	gave  bool     // the Tool gave a time entry: CSV rows on its date are replaced
	// spans are the allocation, time-off and invoice-line windows the Tool
	// re-listed, by entity.
	spans map[string][]Window

	tail  []ingest.Row // the current page of tombstones
	gone  []goneQuery  // the deletion queries still to read
	n     int
	ended bool
}

// seenBlock is a block's keys, as the columns of ops.sync_seen.
type seenBlock struct {
	entity, id []string
	date       []time.Time
}

func (b *seenBlock) add(entity, id string, d time.Time) {
	b.entity, b.id, b.date = append(b.entity, entity), append(b.id, id), append(b.date, d)
}

func (b *seenBlock) reset() { b.entity, b.id, b.date = b.entity[:0], b.id[:0], b.date[:0] }

type item struct {
	row ingest.Row
	err error
}

var _ Emitter = (*records)(nil)
var _ ingest.Parser = (*records)(nil)

// SyncStore is what a sync needs of the store: the reads and writes of
// Store, and Exec to drop its keys from ops.sync_seen when it ends.
type SyncStore interface {
	Store
	Exec(ctx context.Context, query string, params store.Params) error
}

var _ SyncStore = store.Store(nil)

// newRecords returns the records of one sync, which asks the store once
// an entity whether the source has time entries, allocations and time off
// stored.
func newRecords(ctx context.Context, q SyncStore, src Status, now time.Time) (*records, error) {
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	r := &records{ctx: ctx, q: q, src: src, now: now, sync: "sync_" + hex.EncodeToString(id), rows: make(chan item, 256),
		done: make(chan struct{}), spans: map[string][]Window{}, stored: map[string]bool{}}
	for _, entity := range []string{"time_entry", "allocation", "time_off"} {
		e, _ := ingest.EntityNamed(entity)
		var found bool
		rows, err := q.Query(ctx, store.QueryText("source_has_rows"), store.Params{"table": e.Table, "org": src.Org,
			"source": src.Kind})
		if err == nil {
			err = rows.Scan(0, &found)
		}
		if err != nil {
			return nil, fmt.Errorf("read whether %s has stored %ss: %w", src.Kind, entity, err)
		}
		r.stored[entity] = found
	}
	return r, nil
}

// Emit implements Emitter.
func (r *records) Emit(record any, refs *ingest.Refs) error {
	var it item
	r.n++
	line := r.n
	switch rec := record.(type) {
	case ingest.TimeEntry:
		rec.Org, rec.Source = r.src.Org, r.src.Kind
		bad := func(field, value, why string) {
			it.err = &ingest.RowError{File: r.src.Kind + " " + r.src.ID, Line: line, Field: field, Value: value,
				Reason: why + " (entry " + rec.ExternalID + ")"}
		}
		if why := ingest.CheckDate(rec.Date, r.now); why != "" && !rec.Deleted {
			bad("spent_date", rec.Date.Format(time.DateOnly), why)
		} else if why := ingest.CheckHours(rec.Hours); why != "" && !rec.Deleted {
			bad("hours", rec.Hours.String(), why)
		}
		r.seen.add("time_entry", rec.ExternalID, rec.Date)
		r.gave = true
		record = rec
	case ingest.Person:
		rec.Org, rec.Source = r.src.Org, r.src.Kind
		record = rec
	case ingest.Client:
		rec.Org, rec.Source = r.src.Org, r.src.Kind
		record = rec
	case ingest.Project:
		rec.Org, rec.Source = r.src.Org, r.src.Kind
		record = rec
	case ingest.InvoiceLine:
		rec.Org, rec.Source = r.src.Org, r.src.Kind
		r.seen.add("invoice_line", rec.ExternalID, rec.Date)
		if why := ingest.CheckDate(rec.Date, r.now); why != "" && !rec.Deleted {
			it.err = &ingest.RowError{File: r.src.Kind + " " + r.src.ID, Line: line, Field: "date",
				Value: rec.Date.Format(time.DateOnly), Reason: why + " (" + rec.ExternalID + ")"}
		}
		record = rec
	case ingest.Allocation:
		rec.Org, rec.Source = r.src.Org, r.src.Kind
		r.seen.add("allocation", rec.ExternalID, rec.StartDate)
		if !rec.Deleted {
			it.err = r.checkSpan(line, rec.ExternalID, rec.StartDate, rec.EndDate, rec.HoursPerDay, rec.HoursPerWeek)
		}
		record = rec
	case ingest.TimeOff:
		rec.Org, rec.Source = r.src.Org, r.src.Kind
		r.seen.add("time_off", rec.ExternalID, rec.StartDate)
		if !rec.Deleted {
			it.err = r.checkSpan(line, rec.ExternalID, rec.StartDate, rec.EndDate, rec.HoursPerDay, nil)
		}
		record = rec
	case *ingest.RowError:
		// A record the tool could not read in full: rejected, and named
		// in the sync's errors.
		rec.File, rec.Line = r.src.Kind+" "+r.src.ID, line
		it.err = rec
	default:
		return fmt.Errorf("collect: a tool emitted %T, which is no canonical record", record)
	}
	if it.err == nil {
		it.row = ingest.Row{Line: line, Record: record, Refs: refs}
	}
	r.block = append(r.block, it)
	if len(r.block) < blockRows {
		return nil
	}
	return r.flush()
}

// flush drops the block's time entries and bookings given again unchanged
// since they were stored (skipUnchanged: not written again), hands the
// rest to the import, and writes the block's keys to ops.sync_seen in the
// background, one block at a time: the import need not wait for it, and
// the deletion queries run only once close has waited for the last.
func (r *records) flush() error {
	if err := r.skipUnchanged(); err != nil {
		return err
	}
	if err := r.wait(); err != nil {
		return err
	}
	if n := len(r.seen.id); n > 0 {
		b := &store.Batch{Table: store.Database + ".sync_seen",
			Columns: []string{"org_id", "sync_id", "entity", "external_id", "date"},
			Values:  []any{repeat(r.src.Org, n), repeat(r.sync, n), r.seen.entity, r.seen.id, r.seen.date}}
		r.seen = seenBlock{} // the batch keeps the block's slices
		r.writing = make(chan error, 1)
		go func() { r.writing <- r.q.Insert(r.ctx, b) }()
	}
	for i, it := range r.block {
		if it.row.Record == nil && it.err == nil {
			continue // skipped
		}
		select {
		case r.rows <- it:
		case <-r.ctx.Done():
			return r.ctx.Err()
		}
		r.block[i] = item{}
	}
	r.block = r.block[:0]
	return nil
}

// wait waits for the keys being written to ops.sync_seen, if any.
func (r *records) wait() error {
	if r.writing == nil {
		return nil
	}
	err := <-r.writing
	r.writing = nil
	if err != nil {
		return fmt.Errorf("record the keys %s listed: %w", r.src.Kind, err)
	}
	return nil
}

// skipUnchanged empties the items of the block's records that are stored
// live with the same version: time entries with the same updated_at and
// date, allocations and time off with a stored version at least theirs (the
// tool's modified time: a row written before bookings were versioned has
// its ingest time, later than an unchanged booking's). A booking whose
// latest stored row is a tombstone at least as recent as it (removed from
// the window, then given again unchanged) loses its UpdatedAt, so that it
// is written with the ingest time and outranks the tombstone.
func (r *records) skipUnchanged() error {
	for _, entity := range []string{"time_entry", "allocation", "time_off"} {
		if !r.stored[entity] {
			continue // nothing stored to compare with (a first sync)
		}
		var ids strings.Builder
		for _, it := range r.block {
			if id, _, _, ok := versioned(it.row.Record, entity); ok {
				ids.WriteString(id)
				ids.WriteByte('\n')
			}
		}
		if ids.Len() == 0 {
			continue
		}
		stored, err := r.versions(entity, strings.TrimSuffix(ids.String(), "\n"))
		if err != nil {
			return fmt.Errorf("read the stored versions of %s %ss: %w", r.src.Kind, entity, err)
		}
		for i, it := range r.block {
			id, v, d, ok := versioned(it.row.Record, entity)
			s, found := stored[id]
			switch {
			case !ok || !found:
			case entity == "time_entry":
				if v == s.v && s.date.Equal(d) {
					r.block[i] = item{} // unchanged since it was stored
				}
			case s.deleted:
				if s.v >= v {
					r.block[i].row.Record = unversioned(it.row.Record)
				}
			case s.v >= v:
				r.block[i] = item{}
			}
		}
	}
	return nil
}

// stored is the latest stored row of a key.
type stored struct {
	date    time.Time // a time entry's
	v       uint64
	deleted bool // a booking's; a time entry's tombstones are not read
}

// versions reads the stored versions of the entity's ids (one a line),
// at most a block's.
func (r *records) versions(entity, ids string) (map[string]stored, error) {
	params := store.Params{"org": r.src.Org, "source": r.src.Kind, "ids": ids}
	query := "source_versions"
	if entity != "time_entry" {
		e, _ := ingest.EntityNamed(entity)
		query, params["table"] = "source_span_versions", e.Table
	}
	rows, err := r.q.Query(r.ctx, store.QueryText(query), params)
	if err != nil {
		return nil, err
	}
	out := make(map[string]stored, rows.Len())
	for i := range rows.Len() {
		var id string
		var s stored
		if entity == "time_entry" {
			err = rows.Scan(i, &id, &s.date, &s.v)
		} else {
			err = rows.Scan(i, &id, &s.v, &s.deleted)
		}
		if err != nil {
			return nil, err
		}
		out[id] = s
	}
	return out, nil
}

// versioned is rec's key, version and date when rec is a live record of
// entity that carries the tool's change time (and a key fit for the ids
// parameter); ok false otherwise.
func versioned(rec any, entity string) (id string, v uint64, date time.Time, ok bool) {
	var at *time.Time
	switch e := rec.(type) {
	case ingest.TimeEntry:
		if entity != "time_entry" || e.Deleted {
			return "", 0, date, false
		}
		id, at, date = e.ExternalID, e.UpdatedAt, e.Date
	case ingest.Allocation:
		if entity != "allocation" || e.Deleted {
			return "", 0, date, false
		}
		id, at = e.ExternalID, e.UpdatedAt
	case ingest.TimeOff:
		if entity != "time_off" || e.Deleted {
			return "", 0, date, false
		}
		id, at = e.ExternalID, e.UpdatedAt
	default:
		return "", 0, date, false
	}
	if at == nil || strings.Contains(id, "\n") {
		return "", 0, date, false
	}
	return id, uint64(at.UnixMicro()), date, true
}

// unversioned is the booking rec without its UpdatedAt: written, it is
// versioned by the ingest time.
func unversioned(rec any) any {
	switch e := rec.(type) {
	case ingest.Allocation:
		e.UpdatedAt = nil
		return e
	case ingest.TimeOff:
		e.UpdatedAt = nil
		return e
	}
	return rec
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// checkSpan is the canonical format's check of an allocation's or a time
// off's dates and hours (ingest/canonical: end_date not before start_date,
// at most 24 hours a day and 168 a week, none negative): a RowError naming
// the record, or nil.
func (r *records) checkSpan(line int, id string, start, end time.Time, perDay, perWeek *decimal.Decimal) error {
	bad := func(field, value, why string) error {
		return &ingest.RowError{File: r.src.Kind + " " + r.src.ID, Line: line, Field: field, Value: value,
			Reason: why + " (" + id + ")"}
	}
	switch {
	case start.IsZero():
		return bad("start_date", "", "no start date")
	case end.Before(start):
		return bad("end_date", end.Format(time.DateOnly), "before start_date "+start.Format(time.DateOnly))
	case perDay != nil && ingest.CheckHours(*perDay) != "":
		return bad("hours_per_day", perDay.String(), ingest.CheckHours(*perDay))
	case perWeek != nil && (perWeek.Sign() < 0 || perWeek.GreaterThan(decimal.NewFromInt(168))):
		return bad("hours_per_week", perWeek.String(), "not between 0 and 168 hours in one week")
	}
	return nil
}

// Listed implements Emitter.
func (r *records) Listed(entity string, w Window) {
	switch entity {
	case "time_entry":
		r.lists = append(r.lists, w)
	case "allocation", "time_off", "invoice_line":
		r.spans[entity] = append(r.spans[entity], w)
	}
}

// close ends the Tool's rows with its error (nil: it listed everything),
// after handing on the last block.
func (r *records) close(err error) {
	if err == nil {
		err = r.flush()
	}
	// Always waited for: forget must not drop the keys before they land.
	if werr := r.wait(); err == nil {
		err = werr
	}
	r.err = err
	close(r.done)
}

// drain lets a Tool still emitting after the import stopped return.
func (r *records) drain() {
	for {
		select {
		case <-r.rows:
		case <-r.done:
			return
		}
	}
}

// forget removes this sync's keys from ops.sync_seen. They are never read
// again, so a failure is only logged: the table's TTL removes them a day later.
func (r *records) forget(log *slog.Logger) {
	err := r.q.Exec(context.WithoutCancel(r.ctx), store.QueryText("sync_seen_drop"), store.Params{"sync": r.sync})
	if err != nil {
		log.Debug("sync_seen_drop_failed", "sync", r.sync, "err", err)
	}
}

// Next implements ingest.Parser: the Tool's rows, then the tombstones of
// what it no longer lists and of the CSV rows its entries replace.
func (r *records) Next() (ingest.Row, error) {
	for !r.ended {
		select {
		case it := <-r.rows:
			return it.row, it.err
		case <-r.done:
			select { // rows sent before done
			case it := <-r.rows:
				return it.row, it.err
			default:
			}
			if r.err != nil {
				return ingest.Row{}, r.err
			}
			r.ended = true
			r.gone = r.goneQueries()
		case <-r.ctx.Done():
			return ingest.Row{}, r.ctx.Err()
		}
	}
	for len(r.tail) == 0 {
		if len(r.gone) == 0 {
			return ingest.Row{}, io.EOF
		}
		if err := r.nextGone(); err != nil {
			return ingest.Row{}, err
		}
	}
	row := r.tail[0]
	r.tail[0] = ingest.Row{}
	r.tail = r.tail[1:]
	return row, nil
}

// goneQuery is one deletion query of a sync, read a page at a time.
type goneQuery struct {
	entity string
	query  string
	params store.Params
	after  string // the last external_id read; "" before the first page
}

// goneQueries are the deletion queries of this sync, which the engine
// answers against the keys in ops.sync_seen:
//   - time entries (source_entries_gone): an entry of this account on a
//     date the Tool re-listed in full that the listing did not give; a CSV
//     row of the same tool on a date the Tool re-listed or gave an entry on,
//     so no hour is counted twice;
//   - allocations and time off that overlap a window the Tool re-listed,
//     and invoice lines dated in one, that the listing did not give
//     (source_spans_gone, source_dates_gone).
func (r *records) goneQueries() []goneQuery {
	var out []goneQuery
	add := func(entity, query string, wins []Window) {
		froms, tos := make([]string, len(wins)), make([]string, len(wins))
		for i, w := range wins {
			froms[i], tos[i] = w.From.Format(time.DateOnly), w.To.Format(time.DateOnly)
		}
		params := store.Params{"org": r.src.Org, "source": r.src.Kind, "mine": "api:" + r.src.Account() + ":", "sync": r.sync,
			"froms": froms, "tos": tos, "limit": goneRows}
		if entity != "time_entry" { // source_entries_gone names its table and entity itself
			e, _ := ingest.EntityNamed(entity)
			params["table"], params["entity"] = e.Table, entity
		}
		out = append(out, goneQuery{entity: entity, query: query, params: params})
	}
	if len(r.lists) > 0 || r.gave {
		add("time_entry", "source_entries_gone", r.lists)
	}
	for _, entity := range []string{"allocation", "time_off", "invoice_line"} {
		if wins := r.spans[entity]; len(wins) > 0 {
			query := "source_spans_gone"
			if entity == "invoice_line" {
				query = "source_dates_gone"
			}
			add(entity, query, wins)
		}
	}
	return out
}

// nextGone reads the next page of the first deletion query into tail, and
// moves on to the next query after its last page.
func (r *records) nextGone() error {
	g := &r.gone[0]
	g.params["after"] = g.after
	rows, err := r.q.Query(r.ctx, store.QueryText(g.query), g.params)
	if err != nil {
		return fmt.Errorf("find the %s deleted in %s: %w", g.entity, r.src.Kind, err)
	}
	if rows.Len() < goneRows {
		r.gone = r.gone[1:]
	}
	for i := range rows.Len() {
		meta := ingest.Meta{Org: r.src.Org, Source: r.src.Kind, Deleted: true}
		var rec any
		switch g.entity {
		case "time_entry":
			var d time.Time
			if err := rows.Scan(i, &meta.ExternalID, &d); err != nil {
				return err
			}
			rec = ingest.TimeEntry{Meta: meta, Date: d}
		default:
			var start, end time.Time
			if err := rows.Scan(i, &meta.ExternalID, &start, &end); err != nil {
				return err
			}
			switch g.entity {
			case "allocation":
				rec = ingest.Allocation{Meta: meta, StartDate: start, EndDate: end}
			case "time_off":
				rec = ingest.TimeOff{Meta: meta, StartDate: start, EndDate: end}
			case "invoice_line":
				rec = ingest.InvoiceLine{Meta: meta, Date: start}
			}
		}
		g.after = meta.ExternalID
		r.n++
		r.tail = append(r.tail, ingest.Row{Line: r.n, Record: rec})
	}
	return nil
}
