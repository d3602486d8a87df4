// Package ingest turns what agencies export and send (time tracker CSVs, task
// webhooks, API payloads, generated demo data) into the canonical records of
// spec/formats.md and writes them to the store in batches. Entities is the
// one list of the kinds of record: names, URL plurals, tables, record types
// and the order they are written in.
package ingest

import (
	"time"

	"github.com/shopspring/decimal"
)

// Meta is the bookkeeping every source record carries. Version decides which
// copy of a natural key wins: UpdatedAt in microseconds when the source gives
// it, else the ingest time.
type Meta struct {
	Org        string
	Source     string
	ExternalID string
	Deleted    bool
}

// Role carries effective-dated defaults for everyone holding it.
type Role struct {
	Org               string
	Role              string
	ValidFrom         time.Time
	BillRate          *decimal.Decimal
	CostRate          *decimal.Decimal
	UtilizationTarget *decimal.Decimal
}

// Person is one effective-dated version of a person: a change of capacity,
// rate, role or team is a new Person with a later ValidFrom.
type Person struct {
	Meta
	ValidFrom           time.Time
	Name                string
	Email               string
	Role                string
	Team                string
	WeeklyCapacityHours decimal.Decimal
	Workdays            uint8 // bit 0 = Monday ... bit 6 = Sunday; 0 means Monday to Friday
	CostRate            *decimal.Decimal
	BillRate            *decimal.Decimal
	UtilizationTarget   *decimal.Decimal
	StartDate           *time.Time
	EndDate             *time.Time
	HolidayCalendar     string
	// CapacityAssumed marks a person the Resolver created on first sight:
	// nobody gave their weekly capacity, so it is an assumed full-time week,
	// and the numbers that rest on it say so.
	CapacityAssumed bool
}

// Client is a customer of the agency.
type Client struct {
	Meta
	Name     string
	Currency string
}

// Project kinds.
const (
	KindRetainer = "retainer"
	KindFixedFee = "fixed_fee"
	KindTM       = "time_and_materials"
	KindInternal = "internal"
)

// Project is billable work for a client, or internal work.
type Project struct {
	Meta
	Name                 string
	ClientID             string
	Kind                 string
	BillableDefault      bool
	BillRate             *decimal.Decimal
	BudgetHours          *decimal.Decimal
	BudgetAmount         *decimal.Decimal
	RetainerFeeMonthly   *decimal.Decimal
	RetainerHoursMonthly *decimal.Decimal
	StartDate            *time.Time
	EndDate              *time.Time
}

// Billing statuses of a time entry.
const (
	Unbilled   = "unbilled"
	Billed     = "billed"
	WrittenOff = "written_off"
)

// TimeEntry is hours one person logged on one day.
type TimeEntry struct {
	Meta
	PersonID      string
	Date          time.Time
	Hours         decimal.Decimal
	ProjectID     string
	ClientID      string
	Task          string
	Notes         string
	Billable      bool
	BillRate      *decimal.Decimal
	CostRate      *decimal.Decimal
	BillingStatus string
	InvoiceID     string
	BilledAmount  *decimal.Decimal
	Currency      string
	Tags          []string
	Phase         string
	DeliverableID string
	UpdatedAt     *time.Time
}

// Deliverable is something promised to a client by a date.
type Deliverable struct {
	Meta
	Name             string
	ClientID         string
	ProjectID        string
	DueDate          *time.Time
	CommittedDueDate *time.Time
	DeliveredAt      *time.Time
	InScope          bool
	OwnerID          string
	UpdatedAt        *time.Time
}

// Task event types the KPIs read.
const (
	EventCreated                = "created"
	EventStatusChanged          = "status_changed"
	EventDueDateChanged         = "due_date_changed"
	EventClientReviewRequested  = "client_review_requested"
	EventClientApproved         = "client_approved"
	EventClientChangesRequested = "client_changes_requested"
	EventDelivered              = "delivered"
	EventRetroHeld              = "retro_held"
)

// TaskEvent is one change to a task or deliverable.
type TaskEvent struct {
	Meta
	OccurredAt    time.Time
	Type          string
	DeliverableID string
	TaskID        string
	ClientID      string
	ProjectID     string
	FromStatus    string
	ToStatus      string
	Phase         string
	Actor         string
	DueDate       *time.Time
}

// Allocation statuses.
const (
	Confirmed = "confirmed"
	Tentative = "tentative"
)

// Allocation books a person (or a role placeholder) on a project.
type Allocation struct {
	Meta
	PersonID     string
	Role         string
	ProjectID    string
	StartDate    time.Time
	EndDate      time.Time
	HoursPerWeek *decimal.Decimal
	HoursPerDay  *decimal.Decimal
	Status       string
	Probability  decimal.Decimal
	// UpdatedAt is when the tool last changed the booking (or what it is
	// read from), nil when it does not say: it versions the row, so a
	// booking given again unchanged can be skipped (see TimeEntry).
	UpdatedAt *time.Time
}

// TimeOff is leave, inclusive of both dates.
type TimeOff struct {
	Meta
	PersonID    string
	StartDate   time.Time
	EndDate     time.Time
	HoursPerDay *decimal.Decimal // nil: the full contracted day
	UpdatedAt   *time.Time       // as Allocation's
}

// Holiday is a day off on a calendar ("" is the org calendar).
type Holiday struct {
	Org      string
	Calendar string
	Date     time.Time
	Name     string
	Deleted  bool
}

// Adjustment kinds.
const (
	WriteOff = "write_off"
	WriteUp  = "write_up"
)

// Adjustment is an explicit write-off or write-up.
type Adjustment struct {
	Meta
	Kind        string
	ClientID    string
	ProjectID   string
	PersonID    string
	TimeEntryID string
	Date        time.Time
	Hours       *decimal.Decimal
	Amount      *decimal.Decimal
	Reason      string
}

// InvoiceLine is one billed line.
type InvoiceLine struct {
	Meta
	InvoiceID    string
	ClientID     string
	ProjectID    string
	Date         time.Time
	Hours        *decimal.Decimal
	Amount       decimal.Decimal
	TimeEntryIDs []string
}

// Ingest batch statuses. A batch written straight to the tables (the CLI)
// is running until done or failed; a staged one (the HTTP intake) is staging
// while its rows go to the staging tables, committing while they are copied
// into the tables, then done; failed when it was dropped.
const (
	BatchRunning    = "running"
	BatchStaging    = "staging"
	BatchCommitting = "committing"
	BatchDone       = "done"
	BatchFailed     = "failed"
)

// BatchRecord is the bookkeeping of one import: what was imported, from
// where, when, and how it ended. Writing it again with a later state
// replaces the earlier one.
type BatchRecord struct {
	Org          string // "" for a batch that spans orgs (the demo)
	ID           string
	Source       string
	Format       string
	FileName     string
	FileSHA256   string
	StartedAt    time.Time
	FinishedAt   *time.Time
	RowsRead     uint64
	RowsInserted uint64
	RowsRejected uint64
	Status       string
	Error        string
}
