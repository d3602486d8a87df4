package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

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
	cfg WriterConfig
}

// NewWriter returns a Writer, or the configuration error.
func NewWriter(cfg WriterConfig) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Writer{cfg: cfg}, nil
}

// Write inserts records, a slice of one canonical record type ([]TimeEntry,
// []Person, ...), tagged with batchID. It returns the number of rows written.
func (w *Writer) Write(ctx context.Context, batchID string, records any) (int, error) {
	now := w.cfg.Now().UTC().Truncate(time.Millisecond)
	st := stamp{at: now, version: uint64(now.UnixMicro()), batch: batchID}
	var b *columns
	switch recs := records.(type) {
	case []Org:
		b = orgRows(recs, st)
	case []Role:
		b = roleRows(recs, st)
	case []Person:
		b = personRows(recs, st)
	case []Client:
		b = clientRows(recs, st)
	case []Project:
		b = projectRows(recs, st)
	case []TimeEntry:
		b = timeEntryRows(recs, st)
	case []Deliverable:
		b = deliverableRows(recs, st)
	case []TaskEvent:
		b = taskEventRows(recs, st)
	case []Allocation:
		b = allocationRows(recs, st)
	case []TimeOff:
		b = timeOffRows(recs, st)
	case []Holiday:
		b = holidayRows(recs, st)
	case []Adjustment:
		b = adjustmentRows(recs, st)
	case []InvoiceLine:
		b = invoiceLineRows(recs, st)
	case []BatchRecord:
		b = batchRows(recs, st)
	default:
		return 0, fmt.Errorf("ingest writer: cannot write %T", records)
	}
	if b.n == 0 {
		return 0, nil
	}
	if err := w.cfg.Store.Insert(ctx, &store.Batch{Table: b.table, Columns: b.names, Values: b.vals}); err != nil {
		return 0, fmt.Errorf("write %d rows to %s: %w", b.n, b.table, err)
	}
	return b.n, nil
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

func orgRows(recs []Org, st stamp) *columns {
	c := newColumns("ops.orgs", len(recs))
	col(c, "org_id", func(i int) string { return recs[i].ID })
	col(c, "name", func(i int) string { return recs[i].Name })
	col(c, "time_zone", func(i int) string { return recs[i].TimeZone })
	col(c, "currency", func(i int) string { return recs[i].Currency })
	col(c, "overhead_per_hour", func(i int) dec { return recs[i].OverheadPerHour })
	col(c, "version", func(int) uint64 { return st.version })
	col(c, "ingested_at", func(int) time.Time { return st.at })
	return c
}

func roleRows(recs []Role, st stamp) *columns {
	c := newColumns("ops.roles", len(recs))
	col(c, "org_id", func(i int) string { return recs[i].Org })
	col(c, "role", func(i int) string { return recs[i].Role })
	col(c, "valid_from", func(i int) time.Time { return orEpoch(recs[i].ValidFrom) })
	col(c, "bill_rate", func(i int) pdec { return recs[i].BillRate })
	col(c, "cost_rate", func(i int) pdec { return recs[i].CostRate })
	col(c, "utilization_target", func(i int) pdec { return recs[i].UtilizationTarget })
	col(c, "version", func(int) uint64 { return st.version })
	col(c, "ingested_at", func(int) time.Time { return st.at })
	col(c, "batch_id", func(int) string { return st.batch })
	return c
}

func personRows(recs []Person, st stamp) *columns {
	c := newColumns("ops.people", len(recs))
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "valid_from", func(i int) time.Time { return orEpoch(recs[i].ValidFrom) })
	col(c, "name", func(i int) string { return recs[i].Name })
	col(c, "email", func(i int) string { return recs[i].Email })
	col(c, "role", func(i int) string { return recs[i].Role })
	col(c, "team", func(i int) string { return recs[i].Team })
	col(c, "weekly_capacity_hours", func(i int) dec { return recs[i].WeeklyCapacityHours })
	col(c, "workdays", func(i int) uint8 {
		if recs[i].Workdays == 0 {
			return 0b0011111 // Monday to Friday
		}
		return recs[i].Workdays
	})
	col(c, "cost_rate", func(i int) pdec { return recs[i].CostRate })
	col(c, "bill_rate", func(i int) pdec { return recs[i].BillRate })
	col(c, "utilization_target", func(i int) pdec { return recs[i].UtilizationTarget })
	col(c, "start_date", func(i int) ptm { return recs[i].StartDate })
	col(c, "end_date", func(i int) ptm { return recs[i].EndDate })
	col(c, "holiday_calendar", func(i int) string { return recs[i].HolidayCalendar })
	c.bookkeeping(st, meta, nil)
	return c
}

func clientRows(recs []Client, st stamp) *columns {
	c := newColumns("ops.clients", len(recs))
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "name", func(i int) string { return recs[i].Name })
	col(c, "currency", func(i int) string { return recs[i].Currency })
	c.bookkeeping(st, meta, nil)
	return c
}

func projectRows(recs []Project, st stamp) *columns {
	c := newColumns("ops.projects", len(recs))
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
	return c
}

func timeEntryRows(recs []TimeEntry, st stamp) *columns {
	c := newColumns("ops.time_entries", len(recs))
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "person_id", func(i int) string { return recs[i].PersonID })
	col(c, "date", func(i int) time.Time { return orEpoch(recs[i].Date) })
	col(c, "hours", func(i int) dec { return recs[i].Hours })
	col(c, "project_id", func(i int) string { return recs[i].ProjectID })
	col(c, "client_id", func(i int) string { return recs[i].ClientID })
	col(c, "task", func(i int) string { return recs[i].Task })
	col(c, "notes", func(i int) string { return recs[i].Notes })
	col(c, "billable", func(i int) uint8 { return flag(recs[i].Billable) })
	col(c, "bill_rate", func(i int) pdec { return recs[i].BillRate })
	col(c, "cost_rate", func(i int) pdec { return recs[i].CostRate })
	col(c, "billing_status", func(i int) string {
		if recs[i].BillingStatus == "" {
			return Unbilled
		}
		return recs[i].BillingStatus
	})
	col(c, "invoice_id", func(i int) string { return recs[i].InvoiceID })
	col(c, "billed_amount", func(i int) pdec { return recs[i].BilledAmount })
	col(c, "currency", func(i int) string { return recs[i].Currency })
	col(c, "tags", func(i int) []string { return orEmpty(recs[i].Tags) })
	col(c, "phase", func(i int) string { return recs[i].Phase })
	col(c, "deliverable_id", func(i int) string { return recs[i].DeliverableID })
	col(c, "updated_at", func(i int) ptm { return recs[i].UpdatedAt })
	c.bookkeeping(st, meta, func(i int) *time.Time { return recs[i].UpdatedAt })
	return c
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

func deliverableRows(recs []Deliverable, st stamp) *columns {
	c := newColumns("ops.deliverables", len(recs))
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
	return c
}

func taskEventRows(recs []TaskEvent, st stamp) *columns {
	c := newColumns("ops.task_events", len(recs))
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
	return c
}

func allocationRows(recs []Allocation, st stamp) *columns {
	c := newColumns("ops.allocations", len(recs))
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
	c.bookkeeping(st, meta, nil)
	return c
}

func timeOffRows(recs []TimeOff, st stamp) *columns {
	c := newColumns("ops.time_off", len(recs))
	meta := func(i int) *Meta { return &recs[i].Meta }
	c.source(meta)
	col(c, "person_id", func(i int) string { return recs[i].PersonID })
	col(c, "start_date", func(i int) time.Time { return orEpoch(recs[i].StartDate) })
	col(c, "end_date", func(i int) time.Time { return orEpoch(recs[i].EndDate) })
	col(c, "hours_per_day", func(i int) pdec { return recs[i].HoursPerDay })
	c.bookkeeping(st, meta, nil)
	return c
}

func holidayRows(recs []Holiday, st stamp) *columns {
	c := newColumns("ops.holidays", len(recs))
	col(c, "org_id", func(i int) string { return recs[i].Org })
	col(c, "calendar", func(i int) string { return recs[i].Calendar })
	col(c, "date", func(i int) time.Time { return orEpoch(recs[i].Date) })
	col(c, "name", func(i int) string { return recs[i].Name })
	col(c, "version", func(int) uint64 { return st.version })
	col(c, "deleted", func(i int) uint8 { return flag(recs[i].Deleted) })
	col(c, "ingested_at", func(int) time.Time { return st.at })
	col(c, "batch_id", func(int) string { return st.batch })
	return c
}

func adjustmentRows(recs []Adjustment, st stamp) *columns {
	c := newColumns("ops.adjustments", len(recs))
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
	return c
}

func invoiceLineRows(recs []InvoiceLine, st stamp) *columns {
	c := newColumns("ops.invoice_lines", len(recs))
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
	return c
}

func batchRows(recs []BatchRecord, st stamp) *columns {
	c := newColumns("ops.ingest_batches", len(recs))
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
	return c
}
