package collect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
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
	Store    ingest.Querier // where the stored entries of a window are read
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
	rs := newRecords(pctx, c.cfg.Store, st, now)
	if err := rs.load(win); err != nil {
		return res, Cursor{}, err
	}
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

// records is the Emitter a Tool writes to and the ingest.Parser the
// importer reads from: a channel between the Tool's goroutine and the
// import, then the tombstones found once the Tool is done.
type records struct {
	ctx   context.Context
	q     ingest.Querier
	src   Status
	now   time.Time
	rows  chan item
	done  chan struct{}
	err   error // the Tool's, once done is closed
	seed  maphash.Seed
	seen  map[uint64]struct{} // every emitted time entry's key
	dates map[time.Time]bool  // the dates of the emitted entries
	lists []Window            // time-entry windows the Tool re-listed
	// spans are the allocation and time-off windows the Tool re-listed, by
	// entity; spanSeen the keys of the allocations and time off it emitted.
	spans    map[string][]Window
	spanSeen map[uint64]struct{}
	win      Window // the window whose stored entries are in stored
	// stored holds the live time entries of this tool stored on win's
	// dates when the sync began: an entry the Tool gives again unchanged
	// (the same updated_at) is not written again.
	stored map[uint64]stored
	tail   []ingest.Row // tombstones, after the Tool's rows
	n      int
	ended  bool
}

type stored struct {
	id      string
	date    time.Time
	version uint64
}

// load reads the stored live entries of this tool on w's dates.
func (r *records) load(w Window) error {
	r.win, r.stored = w, map[uint64]stored{}
	return r.query(w, func(s stored) { r.stored[r.key(s.id)] = s })
}

func (r *records) query(w Window, each func(stored)) error {
	rows, err := r.q.Query(r.ctx, store.QueryText("source_entries_window"), store.Params{"org": r.src.Org, "source": r.src.Kind,
		"from": w.From, "to": w.To})
	if err != nil {
		return fmt.Errorf("read the stored entries of %s: %w", r.src.Kind, err)
	}
	for i := range rows.Len() {
		var s stored
		if err := rows.Scan(i, &s.id, &s.date, &s.version); err != nil {
			return err
		}
		each(s)
	}
	return nil
}

type item struct {
	row ingest.Row
	err error
}

var _ Emitter = (*records)(nil)
var _ ingest.Parser = (*records)(nil)

func newRecords(ctx context.Context, q ingest.Querier, src Status, now time.Time) *records {
	return &records{ctx: ctx, q: q, src: src, now: now, rows: make(chan item, 256), done: make(chan struct{}),
		seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}, dates: map[time.Time]bool{},
		spans: map[string][]Window{}, spanSeen: map[uint64]struct{}{}}
}

func (r *records) key(id string) uint64 { return maphash.String(r.seed, id) }

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
		k := r.key(rec.ExternalID)
		r.seen[k] = struct{}{}
		r.dates[rec.Date] = true
		if s, ok := r.stored[k]; ok && it.err == nil && !rec.Deleted && rec.UpdatedAt != nil &&
			uint64(rec.UpdatedAt.UnixMicro()) == s.version && s.date.Equal(rec.Date) {
			return nil // unchanged since it was stored
		}
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
		r.spanSeen[r.key("invoice_line\x00"+rec.ExternalID)] = struct{}{}
		if why := ingest.CheckDate(rec.Date, r.now); why != "" && !rec.Deleted {
			it.err = &ingest.RowError{File: r.src.Kind + " " + r.src.ID, Line: line, Field: "date",
				Value: rec.Date.Format(time.DateOnly), Reason: why + " (" + rec.ExternalID + ")"}
		}
		record = rec
	case ingest.Allocation:
		rec.Org, rec.Source = r.src.Org, r.src.Kind
		r.spanSeen[r.key("allocation\x00"+rec.ExternalID)] = struct{}{}
		if !rec.Deleted {
			it.err = r.checkSpan(line, rec.ExternalID, rec.StartDate, rec.EndDate, rec.HoursPerDay, rec.HoursPerWeek)
		}
		record = rec
	case ingest.TimeOff:
		rec.Org, rec.Source = r.src.Org, r.src.Kind
		r.spanSeen[r.key("time_off\x00"+rec.ExternalID)] = struct{}{}
		if !rec.Deleted {
			it.err = r.checkSpan(line, rec.ExternalID, rec.StartDate, rec.EndDate, rec.HoursPerDay, nil)
		}
		record = rec
	default:
		return fmt.Errorf("collect: a tool emitted %T, which is no canonical record", record)
	}
	if it.err == nil {
		it.row = ingest.Row{Line: line, Record: record, Refs: refs}
	}
	select {
	case r.rows <- it:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
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

// close ends the Tool's rows with its error (nil: it listed everything).
func (r *records) close(err error) {
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
			if err := r.tombstones(); err != nil {
				return ingest.Row{}, err
			}
		case <-r.ctx.Done():
			return ingest.Row{}, r.ctx.Err()
		}
	}
	if len(r.tail) == 0 {
		return ingest.Row{}, io.EOF
	}
	row := r.tail[0]
	r.tail = r.tail[1:]
	return row, nil
}

// tombstones finds the stored time entries of this tool to delete:
//   - an entry of this account (an "api:<account>:" key) on a date the Tool
//     re-listed in full, which the listing did not give: deleted in the tool;
//   - a row of a CSV export of the same tool (a key without "api:") on a date
//     the Tool re-listed or gave an entry on: the API's entries replace the
//     CSV's on the dates the API covers, so no hour is counted twice.
func (r *records) tombstones() error {
	mine := "api:" + r.src.Account() + ":"
	bury := func(s stored) {
		r.n++
		r.tail = append(r.tail, ingest.Row{Line: r.n, Record: ingest.TimeEntry{
			Meta: ingest.Meta{Org: r.src.Org, Source: r.src.Kind, ExternalID: s.id, Deleted: true}, Date: s.date}})
	}
	for _, s := range r.stored {
		listed := false
		for _, w := range r.lists {
			listed = listed || w.Contains(s.date)
		}
		switch {
		case strings.HasPrefix(s.id, mine):
			if _, seen := r.seen[r.key(s.id)]; listed && !seen {
				bury(s)
			}
		case !strings.HasPrefix(s.id, "api:"):
			if listed || r.dates[s.date] {
				bury(s)
			}
		}
	}
	if err := r.spanTombstones(); err != nil {
		return err
	}
	// CSV rows on dates outside the window that an updated entry names.
	for d := range r.dates {
		if r.win.Contains(d) {
			continue
		}
		if err := r.query(Window{From: d, To: d}, func(s stored) {
			if !strings.HasPrefix(s.id, "api:") {
				bury(s)
			}
		}); err != nil {
			return err
		}
	}
	return nil
}

// spanTombstones finds the stored allocations and time off of this account
// that overlap a window the Tool re-listed and that the listing did not
// give: removed in the tool (Float, Runn and Forecast list only what is
// live); and the invoice lines dated in such a window (Harvest: an invoice
// deleted, or a line removed from it).
func (r *records) spanTombstones() error {
	mine := "api:" + r.src.Account() + ":"
	for _, entity := range []string{"allocation", "time_off", "invoice_line"} {
		wins := r.spans[entity]
		if len(wins) == 0 {
			continue
		}
		e, _ := ingest.EntityNamed(entity)
		all := wins[0]
		for _, w := range wins[1:] {
			all.From, all.To = minTime(all.From, w.From), maxTime(all.To, w.To)
		}
		query := "source_spans_window"
		if entity == "invoice_line" {
			query = "source_dates_window"
		}
		rows, err := r.q.Query(r.ctx, store.QueryText(query), store.Params{"table": e.Table, "org": r.src.Org,
			"source": r.src.Kind, "from": all.From, "to": all.To})
		if err != nil {
			return fmt.Errorf("read the stored %s of %s: %w", e.Plural, r.src.Kind, err)
		}
		for i := range rows.Len() {
			var id string
			var start, end time.Time
			if err := rows.Scan(i, &id, &start, &end); err != nil {
				return err
			}
			if !strings.HasPrefix(id, mine) {
				continue
			}
			if _, seen := r.spanSeen[r.key(entity+"\x00"+id)]; seen {
				continue
			}
			listed := false
			for _, w := range wins {
				listed = listed || (!start.After(w.To) && !end.Before(w.From))
			}
			if !listed {
				continue
			}
			r.n++
			meta := ingest.Meta{Org: r.src.Org, Source: r.src.Kind, ExternalID: id, Deleted: true}
			var rec any = ingest.Allocation{Meta: meta, StartDate: start, EndDate: end}
			switch entity {
			case "time_off":
				rec = ingest.TimeOff{Meta: meta, StartDate: start, EndDate: end}
			case "invoice_line":
				rec = ingest.InvoiceLine{Meta: meta, Date: start}
			}
			r.tail = append(r.tail, ingest.Row{Line: r.n, Record: rec})
		}
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
