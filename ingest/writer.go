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
	var b *rowBatch
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
	if err := w.cfg.Store.Insert(ctx, &store.Batch{Table: b.table, Columns: b.cols, Values: b.vals}); err != nil {
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

// metaCols are the leading natural-key columns, metaTail the trailing
// bookkeeping columns of every source entity table.
var (
	metaCols = []string{"org_id", "source", "external_id"}
	metaTail = []string{"version", "deleted", "ingested_at", "batch_id"}
)

func sourceTable(table string, cols ...string) *rowBatch {
	all := append(append(append([]string{}, metaCols...), cols...), metaTail...)
	return newRowBatch(table, all...)
}

func (b *rowBatch) addSource(m Meta, st stamp, updatedAt *time.Time, vals ...any) {
	row := append([]any{m.Org, m.Source, m.ExternalID}, vals...)
	b.add(append(row, st.versionOf(updatedAt), flag(m.Deleted), st.at, st.batch)...)
}

func orgRows(recs []Org, st stamp) *rowBatch {
	b := newRowBatch("ops.orgs", "org_id", "name", "time_zone", "currency", "overhead_per_hour", "version", "ingested_at")
	for _, r := range recs {
		b.add(r.ID, r.Name, r.TimeZone, r.Currency, r.OverheadPerHour, st.version, st.at)
	}
	return b
}

func roleRows(recs []Role, st stamp) *rowBatch {
	b := newRowBatch("ops.roles", "org_id", "role", "valid_from", "bill_rate", "cost_rate", "utilization_target", "version", "ingested_at", "batch_id")
	for _, r := range recs {
		b.add(r.Org, r.Role, r.ValidFrom, r.BillRate, r.CostRate, r.UtilizationTarget, st.version, st.at, st.batch)
	}
	return b
}

func personRows(recs []Person, st stamp) *rowBatch {
	b := sourceTable("ops.people", "valid_from", "name", "email", "role", "team", "weekly_capacity_hours", "workdays",
		"cost_rate", "bill_rate", "utilization_target", "start_date", "end_date", "holiday_calendar")
	for _, r := range recs {
		wd := r.Workdays
		if wd == 0 {
			wd = 0b0011111
		}
		b.addSource(r.Meta, st, nil, r.ValidFrom, r.Name, r.Email, r.Role, r.Team, r.WeeklyCapacityHours, wd,
			r.CostRate, r.BillRate, r.UtilizationTarget, r.StartDate, r.EndDate, r.HolidayCalendar)
	}
	return b
}

func clientRows(recs []Client, st stamp) *rowBatch {
	b := sourceTable("ops.clients", "name", "currency")
	for _, r := range recs {
		b.addSource(r.Meta, st, nil, r.Name, r.Currency)
	}
	return b
}

func projectRows(recs []Project, st stamp) *rowBatch {
	b := sourceTable("ops.projects", "name", "client_id", "kind", "billable_default", "bill_rate", "budget_hours",
		"budget_amount", "retainer_fee_monthly", "retainer_hours_monthly", "start_date", "end_date")
	for _, r := range recs {
		b.addSource(r.Meta, st, nil, r.Name, r.ClientID, r.Kind, flag(r.BillableDefault), r.BillRate, r.BudgetHours,
			r.BudgetAmount, r.RetainerFeeMonthly, r.RetainerHoursMonthly, r.StartDate, r.EndDate)
	}
	return b
}

func timeEntryRows(recs []TimeEntry, st stamp) *rowBatch {
	b := sourceTable("ops.time_entries", "person_id", "date", "hours", "project_id", "client_id", "task", "notes",
		"billable", "bill_rate", "cost_rate", "billing_status", "invoice_id", "billed_amount", "currency", "tags",
		"phase", "deliverable_id", "updated_at")
	for _, r := range recs {
		status := r.BillingStatus
		if status == "" {
			status = Unbilled
		}
		tags := r.Tags
		if tags == nil {
			tags = []string{}
		}
		b.addSource(r.Meta, st, r.UpdatedAt, r.PersonID, r.Date, r.Hours, r.ProjectID, r.ClientID, r.Task, r.Notes,
			flag(r.Billable), r.BillRate, r.CostRate, status, r.InvoiceID, r.BilledAmount, r.Currency, tags,
			r.Phase, r.DeliverableID, r.UpdatedAt)
	}
	return b
}

func deliverableRows(recs []Deliverable, st stamp) *rowBatch {
	b := sourceTable("ops.deliverables", "name", "client_id", "project_id", "due_date", "committed_due_date",
		"delivered_at", "in_scope", "owner_id", "updated_at")
	for _, r := range recs {
		b.addSource(r.Meta, st, r.UpdatedAt, r.Name, r.ClientID, r.ProjectID, r.DueDate, r.CommittedDueDate,
			r.DeliveredAt, flag(r.InScope), r.OwnerID, r.UpdatedAt)
	}
	return b
}

func taskEventRows(recs []TaskEvent, st stamp) *rowBatch {
	b := sourceTable("ops.task_events", "occurred_at", "type", "deliverable_id", "task_id", "client_id",
		"project_id", "from_status", "to_status", "phase", "actor", "due_date")
	for _, r := range recs {
		b.addSource(r.Meta, st, nil, r.OccurredAt, r.Type, r.DeliverableID, r.TaskID, r.ClientID, r.ProjectID,
			r.FromStatus, r.ToStatus, r.Phase, r.Actor, r.DueDate)
	}
	return b
}

func allocationRows(recs []Allocation, st stamp) *rowBatch {
	b := sourceTable("ops.allocations", "person_id", "role", "project_id", "start_date", "end_date",
		"hours_per_week", "hours_per_day", "status", "probability")
	for _, r := range recs {
		p := r.Probability
		if r.Status != Tentative {
			p = decimal.NewFromInt(1)
		}
		b.addSource(r.Meta, st, nil, r.PersonID, r.Role, r.ProjectID, r.StartDate, r.EndDate, r.HoursPerWeek,
			r.HoursPerDay, r.Status, p)
	}
	return b
}

func timeOffRows(recs []TimeOff, st stamp) *rowBatch {
	b := sourceTable("ops.time_off", "person_id", "start_date", "end_date", "hours_per_day")
	for _, r := range recs {
		b.addSource(r.Meta, st, nil, r.PersonID, r.StartDate, r.EndDate, r.HoursPerDay)
	}
	return b
}

func holidayRows(recs []Holiday, st stamp) *rowBatch {
	b := newRowBatch("ops.holidays", "org_id", "calendar", "date", "name", "version", "deleted", "ingested_at", "batch_id")
	for _, r := range recs {
		b.add(r.Org, r.Calendar, r.Date, r.Name, st.version, flag(r.Deleted), st.at, st.batch)
	}
	return b
}

func adjustmentRows(recs []Adjustment, st stamp) *rowBatch {
	b := sourceTable("ops.adjustments", "kind", "client_id", "project_id", "person_id", "time_entry_id", "date",
		"hours", "amount", "reason")
	for _, r := range recs {
		b.addSource(r.Meta, st, nil, r.Kind, r.ClientID, r.ProjectID, r.PersonID, r.TimeEntryID, r.Date, r.Hours,
			r.Amount, r.Reason)
	}
	return b
}

func invoiceLineRows(recs []InvoiceLine, st stamp) *rowBatch {
	b := sourceTable("ops.invoice_lines", "invoice_id", "client_id", "project_id", "date", "hours", "amount",
		"time_entry_ids")
	for _, r := range recs {
		ids := r.TimeEntryIDs
		if ids == nil {
			ids = []string{}
		}
		b.addSource(r.Meta, st, nil, r.InvoiceID, r.ClientID, r.ProjectID, r.Date, r.Hours, r.Amount, ids)
	}
	return b
}

func batchRows(recs []BatchRecord, st stamp) *rowBatch {
	b := newRowBatch("ops.ingest_batches", "org_id", "batch_id", "source", "format", "file_name", "file_sha256",
		"started_at", "finished_at", "rows_read", "rows_inserted", "rows_rejected", "status", "error", "version")
	for _, r := range recs {
		b.add(r.Org, r.ID, r.Source, r.Format, r.FileName, r.FileSHA256, r.StartedAt, r.FinishedAt, r.RowsRead,
			r.RowsInserted, r.RowsRejected, r.Status, r.Error, st.version)
	}
	return b
}
