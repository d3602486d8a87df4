package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Inserter is the part of the store a Writer needs.
type Inserter interface {
	Insert(ctx context.Context, b *store.Batch) error
}

// WriterConfig configures a Writer.
type WriterConfig struct {
	Store  Inserter
	Logger *slog.Logger
	// Now is the ingest clock; it stamps ingested_at and the version of records
	// without an updated_at. Defaults to time.Now.
	Now func() time.Time
	// Changed, when set, is told the orgs of every Write once it is stored,
	// so that what is derived from their data (metrics' entry facts) is
	// brought up to date before anyone reads it. It is for writers of a few
	// records at a time; a bulk load (the importer, the demo) leaves it nil
	// and reports once, when it is done.
	Changed func(ctx context.Context, orgs []string)
}

// Validate reports a missing store or logger.
func (c *WriterConfig) Validate() error {
	if c.Store == nil {
		return errors.New("ingest writer: no store")
	}
	if c.Logger == nil {
		return errors.New("ingest writer: no logger")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Writer converts canonical records into columnar batches and inserts them.
// One Write call is one INSERT: all of its records are stored or none.
type Writer struct {
	cfg   WriterConfig
	spare columnPool
	rb    store.RowBinaryInserter // the store's, or nil when it takes only columns
}

// NewWriter returns a Writer, or the configuration error.
func NewWriter(cfg WriterConfig) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Writer{cfg: cfg}
	w.rb, _ = cfg.Store.(store.RowBinaryInserter)
	return w, nil
}

var _ org.Writer = (*Writer)(nil)

// Write inserts records, a slice of one entity's Record type ([]TimeEntry,
// []Person, ...) or of org.Settings, Role, BatchRecord, PersonAlias or PersonSource, tagged with batchID. It returns the number of rows written.
func (w *Writer) Write(ctx context.Context, batchID string, records any) (int, error) {
	st := w.stamp(batchID)
	c := &columns{pool: &w.spare}
	switch recs := records.(type) {
	case []org.Settings:
		orgRows(c, recs, st)
	case []Role:
		roleRows(c, recs, st)
	case []BatchRecord:
		batchRows(c, recs, st)
	case []PersonAlias:
		aliasRows(c, recs, st)
	case []PersonSource:
		personSourceRows(c, recs, st)
	default:
		if !entityRows(c, records, st) {
			return 0, fmt.Errorf("ingest writer: cannot write %T", records)
		}
	}
	if c.n == 0 {
		return 0, nil
	}
	if err := w.cfg.Store.Insert(ctx, &store.Batch{Table: c.table, Columns: c.names, Values: c.vals}); err != nil {
		// Not reused: the store may still be reading a batch it gave up on.
		return 0, fmt.Errorf("write %d rows to %s: %w", c.n, c.table, err)
	}
	var orgs []string
	if w.cfg.Changed != nil {
		orgs = c.orgs() // before the pool hands the columns on
	}
	w.spare.put(c)
	if w.cfg.Changed != nil {
		w.cfg.Changed(ctx, orgs)
	}
	return c.n, nil
}

// stamp returns the stamp of a write taking place now.
func (w *Writer) stamp(batchID string) stamp {
	now := w.cfg.Now().UTC().Truncate(time.Millisecond)
	return stamp{at: now, version: uint64(now.UnixMicro()), batch: batchID}
}

// stamp is what one Write adds to every row.
type stamp struct {
	at      time.Time
	version uint64
	batch   string
}

// versionOf prefers the source's updated_at, so an older export imported
// later never overwrites a newer edit.
func (s stamp) versionOf(updatedAt *time.Time) uint64 {
	if updatedAt != nil {
		return uint64(updatedAt.UnixMicro())
	}
	return s.version
}

func flag(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func orgRows(c *columns, recs []org.Settings, st stamp) {
	c.begin("ops.orgs", len(recs))
	col(c, "org_id", func(i int) string { return recs[i].ID })
	col(c, "name", func(i int) string { return recs[i].Name })
	col(c, "time_zone", func(i int) string { return recs[i].WithDefaults().TimeZone })
	col(c, "currency", func(i int) string { return recs[i].Currency })
	col(c, "overhead_per_hour", func(i int) dec { return recs[i].OverheadPerHour })
	col(c, "workdays", func(i int) uint8 { return recs[i].WithDefaults().Workdays })
	col(c, "workday_start_minute", func(i int) uint16 { return recs[i].WithDefaults().DayStart })
	col(c, "workday_end_minute", func(i int) uint16 { return recs[i].WithDefaults().DayEnd })
	col(c, "grace_days", func(i int) uint16 { return recs[i].GraceDays })
	col(c, "stuck_review_hours", func(i int) uint16 { return recs[i].WithDefaults().StuckReviewHours })
	col(c, "version", func(int) uint64 { return st.version })
	col(c, "ingested_at", func(int) time.Time { return st.at })
}

func roleRows(c *columns, recs []Role, st stamp) {
	c.begin("ops.roles", len(recs))
	col(c, "org_id", func(i int) string { return recs[i].Org })
	col(c, "role", func(i int) string { return recs[i].Role })
	col(c, "valid_from", func(i int) time.Time { return orEpoch(recs[i].ValidFrom) })
	col(c, "bill_rate", func(i int) pdec { return recs[i].BillRate })
	col(c, "cost_rate", func(i int) pdec { return recs[i].CostRate })
	col(c, "utilization_target", func(i int) pdec { return recs[i].UtilizationTarget })
	col(c, "version", func(int) uint64 { return st.version })
	col(c, "ingested_at", func(int) time.Time { return st.at })
	col(c, "batch_id", func(int) string { return st.batch })
}

func personRows(c *columns, recs []Person, st stamp) {
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	personFields(c, func(i int) *Person { return &recs[i] })
	c.bookkeeping(st, meta, nil)
}

// personSourceRows writes the sources' words of people
// (sql/schema/0013_person_sources.sql).
func personSourceRows(c *columns, recs []PersonSource, st stamp) {
	c.begin("ops.person_sources", len(recs))
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "person_id", func(i int) string { return recs[i].PersonID })
	personFields(c, func(i int) *Person { return &recs[i].Person })
	c.bookkeeping(st, meta, nil)
}

// personFields adds the columns ops.people and ops.person_sources share.
func personFields(c *columns, rec func(i int) *Person) {
	col(c, "valid_from", func(i int) time.Time { return orEpoch(rec(i).ValidFrom) })
	col(c, "name", func(i int) string { return rec(i).Name })
	col(c, "email", func(i int) string { return rec(i).Email })
	col(c, "role", func(i int) string { return rec(i).Role })
	col(c, "team", func(i int) string { return rec(i).Team })
	col(c, "weekly_capacity_hours", func(i int) dec { return rec(i).WeeklyCapacityHours })
	col(c, "workdays", func(i int) uint8 { return workdaysOf(rec(i).Workdays) })
	col(c, "cost_rate", func(i int) pdec { return rec(i).CostRate })
	col(c, "bill_rate", func(i int) pdec { return rec(i).BillRate })
	col(c, "utilization_target", func(i int) pdec { return rec(i).UtilizationTarget })
	col(c, "start_date", func(i int) ptm { return rec(i).StartDate })
	col(c, "end_date", func(i int) ptm { return rec(i).EndDate })
	col(c, "holiday_calendar", func(i int) string { return rec(i).HolidayCalendar })
	col(c, "capacity_assumed", func(i int) uint8 { return flag(rec(i).CapacityAssumed) })
}

func aliasRows(c *columns, recs []PersonAlias, st stamp) {
	c.begin("ops.person_aliases", len(recs))
	col(c, "org_id", func(i int) string { return recs[i].Org })
	col(c, "source", func(i int) string { return recs[i].Source })
	col(c, "external_id", func(i int) string { return recs[i].ExternalID })
	col(c, "person_id", func(i int) string { return recs[i].PersonID })
	col(c, "version", func(int) uint64 { return st.version })
	col(c, "ingested_at", func(int) time.Time { return st.at })
	col(c, "batch_id", func(int) string { return st.batch })
}

func clientRows(c *columns, recs []Client, st stamp) {
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "name", func(i int) string { return recs[i].Name })
	col(c, "currency", func(i int) string { return recs[i].Currency })
	c.bookkeeping(st, meta, nil)
}

func projectRows(c *columns, recs []Project, st stamp) {
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "name", func(i int) string { return recs[i].Name })
	col(c, "client_id", func(i int) string { return recs[i].ClientID })
	col(c, "kind", func(i int) string { return recs[i].Kind })
	col(c, "billable_default", func(i int) uint8 { return flag(recs[i].BillableDefault) })
	col(c, "bill_rate", func(i int) pdec { return recs[i].BillRate })
	col(c, "budget_hours", func(i int) pdec { return recs[i].BudgetHours })
	col(c, "budget_amount", func(i int) pdec { return recs[i].BudgetAmount })
	col(c, "retainer_fee_monthly", func(i int) pdec { return recs[i].RetainerFeeMonthly })
	col(c, "retainer_hours_monthly", func(i int) pdec { return recs[i].RetainerHoursMonthly })
	col(c, "start_date", func(i int) ptm { return recs[i].StartDate })
	col(c, "end_date", func(i int) ptm { return recs[i].EndDate })
	c.bookkeeping(st, meta, nil)
}

func timeEntryRows(c *columns, recs []TimeEntry, st stamp) {
	// One pass over the records fills every column. Time entries come in
	// the largest batches, which a pass per column would read 25 times.
	cols := newTimeEntryCols(c)
	for i := range recs {
		cols.set(i, &recs[i], st)
	}
}

// timeEntryCols are the columns of ops.time_entries, c.n values each.
type timeEntryCols struct {
	org, source, id, person, project, client, task, notes []string
	status, invoice, currency, phase, deliverable, batch  []string
	date, ingestedAt                                      []time.Time
	hours                                                 []dec
	billRate, costRate, billed                            []pdec
	billable, deleted                                     []uint8
	tags                                                  [][]string
	updatedAt                                             []ptm
	version                                               []uint64
}

func newTimeEntryCols(c *columns) *timeEntryCols {
	return &timeEntryCols{
		org: column[string](c, "org_id"), source: column[string](c, "source"), id: column[string](c, "external_id"),
		person: column[string](c, "person_id"), date: column[time.Time](c, "date"), hours: column[dec](c, "hours"),
		project: column[string](c, "project_id"), client: column[string](c, "client_id"),
		task: column[string](c, "task"), notes: column[string](c, "notes"), billable: column[uint8](c, "billable"),
		billRate: column[pdec](c, "bill_rate"), costRate: column[pdec](c, "cost_rate"),
		status: column[string](c, "billing_status"), invoice: column[string](c, "invoice_id"), billed: column[pdec](c, "billed_amount"),
		currency: column[string](c, "currency"), tags: column[[]string](c, "tags"), phase: column[string](c, "phase"),
		deliverable: column[string](c, "deliverable_id"), updatedAt: column[ptm](c, "updated_at"),
		version: column[uint64](c, "version"), deleted: column[uint8](c, "deleted"),
		ingestedAt: column[time.Time](c, "ingested_at"), batch: column[string](c, "batch_id"),
	}
}

// set fills row i from r.
func (t *timeEntryCols) set(i int, r *TimeEntry, st stamp) {
	t.org[i], t.source[i], t.id[i] = r.Org, r.Source, r.ExternalID
	t.person[i], t.date[i], t.hours[i] = r.PersonID, orEpoch(r.Date), r.Hours
	t.project[i], t.client[i] = r.ProjectID, r.ClientID
	t.task[i], t.notes[i], t.billable[i] = r.Task, r.Notes, flag(r.Billable)
	t.billRate[i], t.costRate[i] = r.BillRate, r.CostRate
	t.status[i] = r.BillingStatus
	if t.status[i] == "" {
		t.status[i] = Unbilled
	}
	t.invoice[i], t.billed[i] = r.InvoiceID, r.BilledAmount
	t.currency[i], t.tags[i], t.phase[i] = r.Currency, orEmpty(r.Tags), r.Phase
	t.deliverable[i], t.updatedAt[i] = r.DeliverableID, r.UpdatedAt
	t.version[i], t.deleted[i] = st.versionOf(r.UpdatedAt), flag(r.Deleted)
	t.ingestedAt[i], t.batch[i] = st.at, st.batch
}

// EntryEncoder encodes time entries as RowBinary one at a time, for one
// INSERT into ops.time_entries (Writer.WriteEncoded).
type EntryEncoder struct {
	row   *timeEntryCols // one row, which enc reads
	table string
	names []string
	enc   *store.RowBinaryEncoder
	st    stamp
	data  []byte
	offs  []int // where each row starts in data
	n     int
}

// TakesEncoded reports whether the Writer's store takes rows encoded as
// RowBinary (store.RowBinaryInserter). An import into one encodes each time
// entry as it is parsed (EntryEncoder), so a batch waiting to be written is
// held once, as compact bytes, rather than as records and then again as
// columns.
func (w *Writer) TakesEncoded() bool { return w.rb != nil }

// NewEntryEncoder returns an encoder of time entries for the Writer's store,
// or nil when the store does not take encoded rows.
func (w *Writer) NewEntryEncoder(ctx context.Context) (*EntryEncoder, error) {
	if w.rb == nil {
		return nil, nil
	}
	c := &columns{}
	c.begin(entityFor[TimeEntry]().QualifiedTable(), 1)
	e := &EntryEncoder{row: newTimeEntryCols(c), table: c.table, names: c.names}
	types, err := w.rb.ColumnTypes(ctx, c.table, c.names)
	if err != nil {
		return nil, err
	}
	if e.enc, err = store.NewRowBinaryEncoder(&store.Batch{Table: c.table, Columns: c.names, Values: c.vals}, types); err != nil {
		return nil, err
	}
	return e, nil
}

// Begin starts a batch: its rows get one ingest time and version, taken now.
func (e *EntryEncoder) Begin(w *Writer, batchID string) {
	e.st = w.stamp(batchID)
	e.data, e.offs, e.n = e.data[:0], e.offs[:0], 0
}

// Append encodes r. A value its column cannot hold (an amount with more
// digits than the column keeps) is a *store.EncodeError, and r is left out.
func (e *EntryEncoder) Append(r *TimeEntry) error {
	e.row.set(0, r, e.st)
	start := len(e.data)
	var err error
	if e.data, err = e.enc.AppendRow(e.data, 0); err != nil {
		return err
	}
	e.offs = append(e.offs, start)
	e.n++
	return nil
}

// Drop removes rows encoded since Begin, by their indexes in the order they
// were appended (ascending), so that they are not written.
func (e *EntryEncoder) Drop(rows []int) {
	if len(rows) == 0 {
		return
	}
	end := func(i int) int {
		if i+1 < e.n {
			return e.offs[i+1]
		}
		return len(e.data)
	}
	data, offs := e.data[:e.offs[rows[0]]], e.offs[:rows[0]]
	for k, i := range rows {
		next := e.n // the kept rows after row i run up to the next dropped one
		if k+1 < len(rows) {
			next = rows[k+1]
		}
		for j := i + 1; j < next; j++ {
			offs = append(offs, len(data))
			data = append(data, e.data[e.offs[j]:end(j)]...)
		}
	}
	e.data, e.offs, e.n = data, offs, len(offs)
}

// Len is the number of rows encoded since Begin.
func (e *EntryEncoder) Len() int { return e.n }

// WriteEncoded inserts what e has encoded since Begin as one INSERT and
// returns the number of rows written.
func (w *Writer) WriteEncoded(ctx context.Context, e *EntryEncoder) (int, error) {
	if e.n == 0 {
		return 0, nil
	}
	if err := w.rb.InsertRowBinary(ctx, e.table, e.names, e.data); err != nil {
		return 0, fmt.Errorf("write %d rows to %s: %w", e.n, e.table, err)
	}
	return e.n, nil
}

// orEpoch stores a missing time (a tombstone carries only its key) as the
// epoch; the parsers require real values on every live record.
func orEpoch(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func deliverableRows(c *columns, recs []Deliverable, st stamp) {
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "name", func(i int) string { return recs[i].Name })
	col(c, "client_id", func(i int) string { return recs[i].ClientID })
	col(c, "project_id", func(i int) string { return recs[i].ProjectID })
	col(c, "due_date", func(i int) ptm { return recs[i].DueDate })
	col(c, "committed_due_date", func(i int) ptm { return recs[i].CommittedDueDate })
	col(c, "delivered_at", func(i int) ptm { return recs[i].DeliveredAt })
	col(c, "in_scope", func(i int) uint8 { return flag(recs[i].InScope) })
	col(c, "owner_id", func(i int) string { return recs[i].OwnerID })
	col(c, "updated_at", func(i int) ptm { return recs[i].UpdatedAt })
	c.bookkeeping(st, meta, func(i int) *time.Time { return recs[i].UpdatedAt })
}

func taskEventRows(c *columns, recs []TaskEvent, st stamp) {
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "occurred_at", func(i int) time.Time { return orEpoch(recs[i].OccurredAt) })
	col(c, "type", func(i int) string { return recs[i].Type })
	col(c, "deliverable_id", func(i int) string { return recs[i].DeliverableID })
	col(c, "task_id", func(i int) string { return recs[i].TaskID })
	col(c, "client_id", func(i int) string { return recs[i].ClientID })
	col(c, "project_id", func(i int) string { return recs[i].ProjectID })
	col(c, "from_status", func(i int) string { return recs[i].FromStatus })
	col(c, "to_status", func(i int) string { return recs[i].ToStatus })
	col(c, "phase", func(i int) string { return recs[i].Phase })
	col(c, "actor", func(i int) string { return recs[i].Actor })
	col(c, "due_date", func(i int) ptm { return recs[i].DueDate })
	c.bookkeeping(st, meta, nil)
}

func allocationRows(c *columns, recs []Allocation, st stamp) {
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "person_id", func(i int) string { return recs[i].PersonID })
	col(c, "role", func(i int) string { return recs[i].Role })
	col(c, "project_id", func(i int) string { return recs[i].ProjectID })
	col(c, "start_date", func(i int) time.Time { return orEpoch(recs[i].StartDate) })
	col(c, "end_date", func(i int) time.Time { return orEpoch(recs[i].EndDate) })
	col(c, "hours_per_week", func(i int) pdec { return recs[i].HoursPerWeek })
	col(c, "hours_per_day", func(i int) pdec { return recs[i].HoursPerDay })
	col(c, "status", func(i int) string { return recs[i].Status })
	col(c, "probability", func(i int) dec {
		if recs[i].Status != Tentative {
			return decimal.NewFromInt(1) // a confirmed booking is certain
		}
		return recs[i].Probability
	})
	c.bookkeeping(st, meta, func(i int) *time.Time { return recs[i].UpdatedAt })
}

func timeOffRows(c *columns, recs []TimeOff, st stamp) {
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "person_id", func(i int) string { return recs[i].PersonID })
	col(c, "start_date", func(i int) time.Time { return orEpoch(recs[i].StartDate) })
	col(c, "end_date", func(i int) time.Time { return orEpoch(recs[i].EndDate) })
	col(c, "hours_per_day", func(i int) pdec { return recs[i].HoursPerDay })
	c.bookkeeping(st, meta, func(i int) *time.Time { return recs[i].UpdatedAt })
}

func holidayRows(c *columns, recs []Holiday, st stamp) {
	col(c, "org_id", func(i int) string { return recs[i].Org })
	col(c, "calendar", func(i int) string { return recs[i].Calendar })
	col(c, "date", func(i int) time.Time { return orEpoch(recs[i].Date) })
	col(c, "name", func(i int) string { return recs[i].Name })
	col(c, "version", func(int) uint64 { return st.version })
	col(c, "deleted", func(i int) uint8 { return flag(recs[i].Deleted) })
	col(c, "ingested_at", func(int) time.Time { return st.at })
	col(c, "batch_id", func(int) string { return st.batch })
}

func adjustmentRows(c *columns, recs []Adjustment, st stamp) {
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "kind", func(i int) string { return recs[i].Kind })
	col(c, "client_id", func(i int) string { return recs[i].ClientID })
	col(c, "project_id", func(i int) string { return recs[i].ProjectID })
	col(c, "person_id", func(i int) string { return recs[i].PersonID })
	col(c, "time_entry_id", func(i int) string { return recs[i].TimeEntryID })
	col(c, "date", func(i int) time.Time { return orEpoch(recs[i].Date) })
	col(c, "hours", func(i int) pdec { return recs[i].Hours })
	col(c, "amount", func(i int) pdec { return recs[i].Amount })
	col(c, "reason", func(i int) string { return recs[i].Reason })
	c.bookkeeping(st, meta, nil)
}

func invoiceLineRows(c *columns, recs []InvoiceLine, st stamp) {
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "invoice_id", func(i int) string { return recs[i].InvoiceID })
	col(c, "client_id", func(i int) string { return recs[i].ClientID })
	col(c, "project_id", func(i int) string { return recs[i].ProjectID })
	col(c, "date", func(i int) time.Time { return orEpoch(recs[i].Date) })
	col(c, "hours", func(i int) pdec { return recs[i].Hours })
	col(c, "amount", func(i int) dec { return recs[i].Amount })
	col(c, "time_entry_ids", func(i int) []string { return orEmpty(recs[i].TimeEntryIDs) })
	c.bookkeeping(st, meta, nil)
}

func batchRows(c *columns, recs []BatchRecord, st stamp) {
	c.begin("ops.ingest_batches", len(recs))
	col(c, "org_id", func(i int) string { return recs[i].Org })
	col(c, "batch_id", func(i int) string { return recs[i].ID })
	col(c, "source", func(i int) string { return recs[i].Source })
	col(c, "format", func(i int) string { return recs[i].Format })
	col(c, "file_name", func(i int) string { return recs[i].FileName })
	col(c, "file_sha256", func(i int) string { return recs[i].FileSHA256 })
	col(c, "started_at", func(i int) time.Time { return recs[i].StartedAt })
	col(c, "finished_at", func(i int) ptm { return recs[i].FinishedAt })
	col(c, "rows_read", func(i int) uint64 { return recs[i].RowsRead })
	col(c, "rows_inserted", func(i int) uint64 { return recs[i].RowsInserted })
	col(c, "rows_rejected", func(i int) uint64 { return recs[i].RowsRejected })
	col(c, "status", func(i int) string { return recs[i].Status })
	col(c, "error", func(i int) string { return recs[i].Error })
	col(c, "version", func(int) uint64 { return st.version })
}
