package hook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/hook/spool"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Statuses of a delivery, as the tools' own delivery logs show them.
const (
	StatusApplied = "applied" // its records are written
	StatusIgnored = "ignored" // nothing to write: the reason says why (a duplicate, an event not read)
	StatusFailed  = "failed"  // its body could not be mapped: the reason says why; replay redoes it
	StatusPending = "pending" // in the spool, not applied yet
)

// Importer writes records as one batch (importer.Importer).
type Importer interface {
	Import(ctx context.Context, req importer.Request) (*importer.Summary, error)
}

var _ Importer = (*importer.Importer)(nil)

// MappingSource gives an org's Mapping of one tool.
type MappingSource interface {
	Mapping(ctx context.Context, org, tool string) (Mapping, error)
}

// Defaults is the MappingSource of every org until it configures its own:
// DefaultMapping.
type Defaults struct{}

var _ MappingSource = Defaults{}

// Mapping implements MappingSource.
func (Defaults) Mapping(context.Context, string, string) (Mapping, error) {
	return DefaultMapping(), nil
}

// OrgSettings gives an org's settings (org.Cache): the worker reads the
// org's time zone from them.
type OrgSettings interface {
	Get(ctx context.Context, id string) (org.Settings, error)
}

var _ OrgSettings = (*org.Cache)(nil)

// loadSettings is OrgSettings straight from the store (org.Load), for a
// process with no cache of them (the CLI).
type loadSettings struct{ q org.Querier }

func (l loadSettings) Get(ctx context.Context, id string) (org.Settings, error) {
	s, _, err := org.Load(ctx, l.q, id)
	return s, err
}

// mappingOf is the Mapping h's deliveries and reconciliations are mapped
// under: the org's mapping of h's tool, h's client and project as its
// Default, and the org's time zone as its Zone. Errors are ms's and
// settings' (the store's), or an org time zone this Go cannot load.
func mappingOf(ctx context.Context, ms MappingSource, settings OrgSettings, h Hook) (Mapping, error) {
	m, err := ms.Mapping(ctx, h.Org, h.Tool)
	if err != nil {
		return Mapping{}, fmt.Errorf("read the mapping of %s in org %s: %w", h.Tool, h.Org, err)
	}
	m.Default = Target{Client: h.Client, Project: h.Project}
	s, err := settings.Get(ctx, h.Org)
	if err != nil {
		return Mapping{}, fmt.Errorf("read the settings of org %s: %w", h.Org, err)
	}
	tz := s.WithDefaults().TimeZone
	if m.Zone, err = time.LoadLocation(tz); err != nil {
		return Mapping{}, fmt.Errorf("org %s: time zone %q: %w", h.Org, tz, err)
	}
	return m, nil
}

// WorkerConfig configures a Worker.
type WorkerConfig struct {
	Hooks    *Hooks
	Store    Store // where deliveries are recorded (ops.hook_deliveries)
	Importer Importer
	Logger   *slog.Logger
	// Queue is the spool the Worker applies (Run); nil for a Worker that
	// only replays and lists.
	Queue Queue
	// Mappers gives a tool's Mapper; nil: MapperOf.
	Mappers func(tool string, api API) (Mapper, bool)
	// Mappings gives an org's mapping of a tool; nil: Defaults.
	Mappings MappingSource
	// Settings gives an org's time zone; nil: read from Store each batch.
	Settings OrgSettings
	HTTP     *http.Client     // for the tools' APIs; nil: a client with a 60 s timeout
	Now      func() time.Time // nil: time.Now
	// BatchMax deliveries are applied together, waiting at most BatchWait
	// for them to gather (defaults 500 and 200 ms).
	BatchMax  int
	BatchWait time.Duration
	// MaxBackoff caps the wait between attempts while the store fails
	// (default 30 s; the first wait is a tenth of it, at most 1 s).
	MaxBackoff time.Duration
	// Counted, when set, is told each delivery's outcome, for the metrics.
	Counted func(tool, status string)
}

// Validate fills defaults and reports what is missing.
func (c *WorkerConfig) Validate() error {
	if c.Hooks == nil || c.Store == nil || c.Importer == nil || c.Logger == nil {
		return errors.New("hook: the worker needs hooks, a store, an importer and a logger")
	}
	if c.Mappers == nil {
		c.Mappers = MapperOf
	}
	if c.Mappings == nil {
		c.Mappings = Defaults{}
	}
	if c.Settings == nil {
		c.Settings = loadSettings{q: c.Store}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.BatchMax <= 0 {
		c.BatchMax = 500
	}
	if c.BatchWait <= 0 {
		c.BatchWait = 200 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	return nil
}

// Worker applies spooled deliveries in order: it maps each through its
// tool's Mapper, writes the records through the importer, records the
// outcome in ops.hook_deliveries, and only then acks the spool.
type Worker struct {
	cfg WorkerConfig
}

// NewWorker returns a Worker.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Worker{cfg: cfg}, nil
}

// Hooks returns the Worker's hooks.
func (w *Worker) Hooks() *Hooks { return w.cfg.Hooks }

// outcome is what became of one delivery.
type outcome struct {
	d       Delivery
	event   string
	status  string
	reason  string
	records int
	events  []string // the ExternalIDs of the task events it wrote
	wrote   []string // each record it wrote, in words
}

// TransientError is a failure of the store (down, timed out): the
// deliveries stay in the spool and are tried again.
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// transient reports whether err is the store's passing trouble rather than
// something about the deliveries.
func transient(err error) bool {
	return errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrTimeout) || errors.Is(err, store.ErrMemory) ||
		errors.Is(err, store.ErrAuth) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// apply maps, writes and records ds. With dedupe, a delivery whose ID was
// applied before is ignored as a duplicate and one whose receipt is
// already recorded (a restart between the record and the ack) is skipped;
// a replay maps every delivery again and replaces its record. The error
// is a *TransientError (nothing or only part written: apply ds again) or
// ctx's; a delivery's own failure is its outcome, not an error.
// apply maps ds and writes their records. dedupe skips deliveries already
// applied (the spool's path); before, on a replay, holds the task events
// each delivery wrote the last time (by index into ds): those its new
// mapping no longer makes are removed.
func (w *Worker) apply(ctx context.Context, ds []Delivery, dedupe bool, before [][]string) ([]outcome, error) {
	hooks, err := w.cfg.Hooks.List(ctx, "")
	if err != nil {
		return nil, &TransientError{Err: fmt.Errorf("read the hooks: %w", err)}
	}
	byID := map[string]Hook{}
	for _, h := range hooks {
		byID[h.ID] = h
	}
	outs := make([]outcome, len(ds))
	skip := make([]bool, len(ds))
	if dedupe {
		if err := w.dedupe(ctx, ds, outs, skip); err != nil {
			return nil, err
		}
	}
	type group struct {
		org, tool string
		rows      []ingest.Row
		owner     []int // rows[i] belongs to ds[owner[i]]
	}
	groups := map[string]*group{}
	var order []string
	apis := map[string]API{}
	mappings := map[string]Mapping{} // by hook
	refused := map[string]bool{}     // hooks whose token the tool refused in this batch
	for i, d := range ds {
		if skip[i] || outs[i].status != "" {
			continue
		}
		outs[i] = outcome{d: d, event: d.Header.Get("X-GitHub-Event")}
		fail := func(format string, a ...any) {
			outs[i].status, outs[i].reason = StatusFailed, fmt.Sprintf(format, a...)
		}
		h, ok := byID[d.Hook]
		if !ok {
			fail("hook %s was removed", d.Hook)
			continue
		}
		api, ok := apis[h.ID]
		if !ok && h.token != "" {
			token, err := w.cfg.Hooks.open(h, h.token)
			if err == nil {
				api, err = newAPI(h.Tool, h.BaseURL, token, w.cfg.HTTP)
			}
			if err != nil {
				fail("the hook's API token: %v", err)
				continue
			}
		}
		apis[h.ID] = api
		mapper, ok := w.cfg.Mappers(d.Tool, api)
		if !ok {
			fail("no mapper for tool %q", d.Tool)
			continue
		}
		m, ok := mappings[h.ID]
		if !ok {
			if m, err = mappingOf(ctx, w.cfg.Mappings, w.cfg.Settings, h); err != nil {
				if transient(err) {
					return nil, &TransientError{Err: err}
				}
				fail("%v", err)
				continue
			}
			mappings[h.ID] = m // read once a batch: a batch holds up to BatchMax deliveries
		}
		mapped, err := mapper.Map(ctx, d, m)
		if mapped.Event != "" {
			outs[i].event = mapped.Event
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, collect.ErrNeedsToken) && !refused[h.ID] {
				// `hook list` says so, and the schedule stops reconciling it.
				refused[h.ID] = true
				if merr := w.cfg.Hooks.markNeedsToken(ctx, h, err); merr != nil {
					w.cfg.Logger.Warn("hook_needs_token_not_recorded", "hook", h.ID, "err", merr.Error())
				}
			}
			fail("%v", err)
			continue
		}
		if len(mapped.Records) == 0 {
			outs[i].status, outs[i].reason = StatusIgnored, mapped.Ignored
			if outs[i].reason == "" {
				outs[i].reason = "no records in it"
			}
			continue
		}
		key := d.Org + "\x00" + d.Tool
		g := groups[key]
		if g == nil {
			g = &group{org: d.Org, tool: d.Tool}
			groups[key] = g
			order = append(order, key)
		}
		var bad error
		for _, rec := range mapped.Records {
			switch r := rec.(type) {
			case ingest.TaskEvent:
				r.Org, r.Source = d.Org, d.Tool
				rec = r
				outs[i].events = append(outs[i].events, r.ExternalID)
				outs[i].wrote = append(outs[i].wrote, describeEvent(r))
			case ingest.Deliverable:
				r.Org, r.Source = d.Org, d.Tool
				rec = r
				outs[i].wrote = append(outs[i].wrote, describeDeliverable(r))
			default:
				bad = fmt.Errorf("the %s mapper made a %T; only task events and deliverables are kept", d.Tool, rec)
			}
			g.rows = append(g.rows, ingest.Row{Line: len(g.rows) + 1, Record: rec})
			g.owner = append(g.owner, i)
		}
		if bad != nil {
			// Drop what this delivery added: none of it is written.
			for len(g.owner) > 0 && g.owner[len(g.owner)-1] == i {
				g.rows, g.owner = g.rows[:len(g.rows)-1], g.owner[:len(g.owner)-1]
			}
			outs[i].events, outs[i].wrote = nil, nil
			fail("%v", bad)
			continue
		}
		outs[i].status, outs[i].records = StatusApplied, len(mapped.Records)
		if len(mapped.Unmapped) > 0 {
			outs[i].reason = "unmapped statuses: " + strings.Join(mapped.Unmapped, ", ")
		}
	}
	// A replay removes the events a delivery wrote before that its new
	// mapping no longer makes (or all of them, when it now fails or is
	// ignored). They are not the delivery's records: not counted, and a
	// rejected one (none is: a tombstone needs only its key) says nothing.
	gone := map[string]*group{}
	for i, prev := range before {
		if skip[i] || len(prev) == 0 {
			continue
		}
		d := ds[i]
		key := d.Org + "\x00" + d.Tool
		g := groups[key]
		if g == nil {
			g = gone[key]
		}
		if g == nil {
			g = &group{org: d.Org, tool: d.Tool}
			gone[key] = g
			order = append(order, key)
		}
		for _, id := range prev {
			if !slices.Contains(outs[i].events, id) {
				g.rows = append(g.rows, ingest.Row{Line: len(g.rows) + 1, Record: ingest.TaskEvent{
					Meta: ingest.Meta{Org: d.Org, Source: d.Tool, ExternalID: id, Deleted: true}}})
				g.owner = append(g.owner, -1)
			}
		}
	}
	for _, key := range order {
		g := groups[key]
		if g == nil {
			g = gone[key]
		}
		sum, err := w.cfg.Importer.Import(ctx, importer.Request{Org: g.org, File: g.tool + " webhooks", Format: g.tool + "_webhook",
			Records: &rowsParser{rows: g.rows}, Stage: true})
		if err == nil && !sum.Written && rejected(sum) < len(g.rows) {
			err = errNotWritten // valid rows, yet nothing written: try again
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if transient(err) || errors.Is(err, errNotWritten) {
				return nil, &TransientError{Err: fmt.Errorf("write the %s deliveries of org %s: %w", g.tool, g.org, err)}
			}
			for _, i := range g.owner {
				if i >= 0 {
					outs[i].status, outs[i].reason, outs[i].records, outs[i].events, outs[i].wrote = StatusFailed, err.Error(), 0, nil, nil
				}
			}
			continue
		}
		for _, re := range sum.Errors {
			if re.Line < 1 || re.Line > len(g.owner) || g.owner[re.Line-1] < 0 {
				continue
			}
			o := &outs[g.owner[re.Line-1]]
			o.records--
			if o.records == 0 {
				o.status = StatusFailed
			}
			if !strings.Contains(o.reason, "rejected") {
				o.reason = strings.TrimPrefix(o.reason+"; rejected: "+re.Error(), "; ")
			}
		}
	}
	for i := range outs {
		if skip[i] {
			outs[i] = outcome{}
		}
	}
	return outs, w.record(ctx, outs)
}

var errNotWritten = errors.New("the batch was not written")

func rejected(sum *importer.Summary) int {
	n := 0
	for _, c := range sum.Entities {
		n += c.Rejected
	}
	return n
}

// dedupe marks the deliveries of ds already applied (ignored: duplicate)
// or already recorded (skip).
func (w *Worker) dedupe(ctx context.Context, ds []Delivery, outs []outcome, skip []bool) error {
	hooks, ids := make([]string, 0, len(ds)), make([]string, 0, len(ds))
	for _, d := range ds {
		hooks, ids = append(hooks, d.Hook), append(ids, d.ID)
	}
	rows, err := w.cfg.Store.Query(ctx, store.QueryText("hook_deliveries_seen"), store.Params{"hooks": hooks, "ids": ids})
	if err != nil {
		return &TransientError{Err: fmt.Errorf("read the recorded deliveries: %w", err)}
	}
	applied := map[string]time.Time{} // hook/id -> when first applied
	recorded := map[string]bool{}     // hook/id/received
	for i := range rows.Len() {
		var hook, id, status, reason string
		var received time.Time
		if err := rows.Scan(i, &hook, &id, &received, &status, &reason); err != nil {
			return err
		}
		recorded[hook+"/"+id+"/"+received.UTC().Format(time.RFC3339Nano)] = true
		if _, ok := applied[hook+"/"+id]; !ok && status == StatusApplied {
			applied[hook+"/"+id] = received
		}
	}
	for i, d := range ds {
		key := d.Hook + "/" + d.ID
		switch first, ok := applied[key]; {
		case recorded[key+"/"+d.Received.UTC().Format(time.RFC3339Nano)]:
			skip[i] = true
		case ok:
			outs[i] = outcome{d: d, event: d.Header.Get("X-GitHub-Event"), status: StatusIgnored,
				reason: "duplicate of " + first.UTC().Format(time.RFC3339Nano)}
		default:
			// A later copy in this same batch is the duplicate of this one.
			applied[key] = d.Received
		}
	}
	return nil
}

// record writes the outcomes (but the empty ones: skipped) to ops.hook_deliveries.
func (w *Worker) record(ctx context.Context, outs []outcome) error {
	n := 0
	cols := struct {
		org, hook, id, tool, event, status, reason, header, body []string
		received                                                 []time.Time
		records                                                  []uint32
		version                                                  []uint64
		events, wrote                                            [][]string
	}{}
	version := uint64(w.cfg.Now().UnixMicro())
	for _, o := range outs {
		if o.status == "" {
			continue
		}
		hdr, err := json.Marshal(o.d.Header)
		if err != nil {
			return err
		}
		n++
		cols.org, cols.hook, cols.id = append(cols.org, o.d.Org), append(cols.hook, o.d.Hook), append(cols.id, o.d.ID)
		cols.tool, cols.event, cols.status = append(cols.tool, o.d.Tool), append(cols.event, o.event), append(cols.status, o.status)
		cols.reason, cols.header, cols.body = append(cols.reason, o.reason), append(cols.header, string(hdr)), append(cols.body, string(o.d.Body))
		cols.received, cols.records, cols.version = append(cols.received, o.d.Received), append(cols.records, uint32(max(o.records, 0))),
			append(cols.version, version)
		cols.events = append(cols.events, append([]string{}, o.events...))
		cols.wrote = append(cols.wrote, append([]string{}, o.wrote...))
	}
	if n == 0 {
		return nil
	}
	err := w.cfg.Store.Insert(ctx, &store.Batch{Table: "ops.hook_deliveries",
		Columns: []string{"org_id", "hook_id", "received", "delivery_id", "tool", "event", "status", "reason", "records", "header", "body",
			"version", "events", "wrote"},
		Values: []any{cols.org, cols.hook, cols.received, cols.id, cols.tool, cols.event, cols.status, cols.reason, cols.records,
			cols.header, cols.body, cols.version, cols.events, cols.wrote}})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &TransientError{Err: fmt.Errorf("record the deliveries: %w", err)}
	}
	for _, o := range outs {
		if o.status != "" && w.cfg.Counted != nil {
			w.cfg.Counted(o.d.Tool, o.status)
		}
	}
	return nil
}

// rowsParser is an ingest.Parser over rows already made.
type rowsParser struct {
	rows []ingest.Row
	next int
}

var _ ingest.Parser = (*rowsParser)(nil)

func (p *rowsParser) Next() (ingest.Row, error) {
	if p.next >= len(p.rows) {
		return ingest.Row{}, io.EOF
	}
	p.next++
	return p.rows[p.next-1], nil
}

// Record is one spooled delivery as the Queue gives it back.
type Record = spool.Record

// Queue is the spool as the Worker reads it (spool.Spool): Read returns
// the unacked records after seq after, in order; Notify is signalled after
// appends; Ack(seq) says everything up to seq is applied.
type Queue interface {
	Read(after uint64, max int) ([]Record, error)
	Notify() <-chan struct{}
	Ack(seq uint64) error
}

var _ Queue = (*spool.Spool)(nil)
var _ Appender = (*spool.Spool)(nil)

// Run applies the Queue's deliveries in order until ctx ends. While the
// store fails it tries the same batch again, waiting longer each time up
// to MaxBackoff, and acks nothing: the deliveries stay in the spool.
func (w *Worker) Run(ctx context.Context) {
	if w.cfg.Queue == nil {
		return
	}
	var after uint64
	poll := time.NewTicker(time.Second) // a missed signal costs a second at most
	defer poll.Stop()
	for ctx.Err() == nil {
		recs, err := w.cfg.Queue.Read(after, w.cfg.BatchMax)
		if err != nil {
			w.cfg.Logger.Error("hook_spool_read_failed", "err", err.Error())
		}
		if len(recs) == 0 || err != nil {
			select {
			case <-ctx.Done():
			case <-w.cfg.Queue.Notify():
				wait(ctx, w.cfg.BatchWait) // let a batch gather
			case <-poll.C:
			}
			continue
		}
		ds := make([]Delivery, 0, len(recs))
		for _, r := range recs {
			var d Delivery
			if err := json.Unmarshal(r.Data, &d); err != nil {
				// Only this process writes the spool: a record it cannot
				// read is a bug, and retrying it would stop every later one.
				w.cfg.Logger.Error("hook_spool_record_unreadable", "seq", r.Seq, "err", err.Error())
				continue
			}
			ds = append(ds, d)
		}
		backoff := min(time.Second, w.cfg.MaxBackoff/10)
		for {
			_, err := w.apply(ctx, ds, true, nil)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			w.cfg.Logger.Warn("hook_deliveries_not_applied", "deliveries", len(ds), "retry_in", backoff.String(), "err", err.Error())
			if !wait(ctx, backoff) {
				return
			}
			backoff = min(backoff*2, w.cfg.MaxBackoff)
		}
		after = recs[len(recs)-1].Seq
		if err := w.cfg.Queue.Ack(after); err != nil {
			// Applied and recorded: after a restart they are found
			// recorded and skipped.
			w.cfg.Logger.Error("hook_spool_ack_failed", "seq", after, "err", err.Error())
		}
	}
}

// wait waits d or until ctx ends, and reports whether d passed.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// WithQueue returns a Worker like w over q: one that lists q's pending
// deliveries (the CLI, with serve stopped).
func (w *Worker) WithQueue(q Queue) *Worker {
	cfg := w.cfg
	cfg.Queue = q
	return &Worker{cfg: cfg}
}
