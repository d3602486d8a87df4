package canonical

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// schemas holds the format of every entity of ingest.Entities, by name.
var schemas = map[string]schema{
	"person":       personSpec,
	"client":       clientSpec,
	"project":      projectSpec,
	"time_entry":   timeEntrySpec,
	"deliverable":  deliverableSpec,
	"task_event":   taskEventSpec,
	"allocation":   allocationSpec,
	"time_off":     timeOffSpec,
	"holiday":      holidaySpec,
	"adjustment":   adjustmentSpec,
	"invoice_line": invoiceLineSpec,
}

// Enum values.
var (
	projectKinds    = []string{ingest.KindRetainer, ingest.KindFixedFee, ingest.KindTM, ingest.KindInternal}
	billingStatuses = []string{ingest.Unbilled, ingest.Billed, ingest.WrittenOff}
	allocStatuses   = []string{ingest.Confirmed, ingest.Tentative}
	adjustmentKinds = []string{ingest.WriteOff, ingest.WriteUp}
	// adjustmentReasons are the reasons the adjustments table knows; a bounded
	// set, because reports group by it.
	adjustmentReasons = []string{"over_service", "goodwill", "internal_error", "estimate_overrun", "other"}
)

// defaultTentativeProbability weighs a tentative allocation that gives no
// probability.
var defaultTentativeProbability = decimal.RequireFromString("0.5")

func personMeta(r *ingest.Person) *ingest.Meta { return &r.Meta }

var personSpec = newSpec("person", initMeta(personMeta), isDeleted(personMeta),
	func(r *ingest.Person, st rowState) *issue {
		if !st.has("valid_from") && r.StartDate != nil { // the key group asks for one of the two
			r.ValidFrom = *r.StartDate
		}
		if !st.has("weekly_capacity_hours") {
			r.WeeklyCapacityHours = dec40
		}
		if st.tomb {
			return nil
		}
		return endBefore(r.StartDate, r.EndDate, "end_date")
	},
	[]group{{names: []string{"valid_from", "start_date"}, key: true}},
	externalID(personMeta),
	sourceField(personMeta),
	deletedField(personMeta),
	textField("name", func(r *ingest.Person) *string { return &r.Name }).required(),
	conv("email", parseEmail, func(r *ingest.Person) *string { return &r.Email }),
	textField("role", func(r *ingest.Person) *string { return &r.Role }),
	textField("team", func(r *ingest.Person) *string { return &r.Team }),
	decField("weekly_capacity_hours", weekHours, func(r *ingest.Person) *decimal.Decimal { return &r.WeeklyCapacityHours }),
	conv("workdays", parseWorkdays, func(r *ingest.Person) *uint8 { return &r.Workdays }),
	optDecField("cost_rate", money, func(r *ingest.Person) **decimal.Decimal { return &r.CostRate }),
	optDecField("bill_rate", money, func(r *ingest.Person) **decimal.Decimal { return &r.BillRate }),
	optDecField("utilization_target", ratio, func(r *ingest.Person) **decimal.Decimal { return &r.UtilizationTarget }),
	optDateField("start_date", func(r *ingest.Person) **time.Time { return &r.StartDate }),
	optDateField("end_date", func(r *ingest.Person) **time.Time { return &r.EndDate }),
	dateField("valid_from", func(r *ingest.Person) *time.Time { return &r.ValidFrom }),
	textField("holiday_calendar", func(r *ingest.Person) *string { return &r.HolidayCalendar }),
)

func clientMeta(r *ingest.Client) *ingest.Meta { return &r.Meta }

var clientSpec = newSpec("client", initMeta(clientMeta), isDeleted(clientMeta), nil, nil,
	externalID(clientMeta),
	sourceField(clientMeta),
	deletedField(clientMeta),
	textField("name", func(r *ingest.Client) *string { return &r.Name }).required(),
	conv("currency", parseCurrency, func(r *ingest.Client) *string { return &r.Currency }),
)

func projectMeta(r *ingest.Project) *ingest.Meta { return &r.Meta }

var projectSpec = newSpec("project", initMeta(projectMeta), isDeleted(projectMeta),
	func(r *ingest.Project, st rowState) *issue {
		if !st.has("billable_default") {
			r.BillableDefault = r.Kind != ingest.KindInternal
		}
		if st.tomb {
			return nil
		}
		return endBefore(r.StartDate, r.EndDate, "end_date")
	}, nil,
	externalID(projectMeta),
	sourceField(projectMeta),
	deletedField(projectMeta),
	textField("name", func(r *ingest.Project) *string { return &r.Name }).required(),
	idField("client", func(r *ingest.Project) *string { return &r.ClientID }),
	enumField("kind", projectKinds, func(r *ingest.Project) *string { return &r.Kind }).required(),
	boolField("billable_default", func(r *ingest.Project) *bool { return &r.BillableDefault }),
	optDecField("bill_rate", money, func(r *ingest.Project) **decimal.Decimal { return &r.BillRate }),
	optDecField("budget_hours", hours, func(r *ingest.Project) **decimal.Decimal { return &r.BudgetHours }),
	optDecField("budget_amount", money, func(r *ingest.Project) **decimal.Decimal { return &r.BudgetAmount }),
	optDecField("retainer_fee_monthly", money, func(r *ingest.Project) **decimal.Decimal { return &r.RetainerFeeMonthly }),
	optDecField("retainer_hours_monthly", hours, func(r *ingest.Project) **decimal.Decimal { return &r.RetainerHoursMonthly }),
	optDateField("start_date", func(r *ingest.Project) **time.Time { return &r.StartDate }),
	optDateField("end_date", func(r *ingest.Project) **time.Time { return &r.EndDate }),
)

func timeEntryMeta(r *ingest.TimeEntry) *ingest.Meta { return &r.Meta }

var timeEntrySpec = newSpec("time_entry", initMeta(timeEntryMeta), isDeleted(timeEntryMeta),
	func(r *ingest.TimeEntry, st rowState) *issue {
		if r.BillingStatus == "" {
			r.BillingStatus = ingest.Unbilled
		}
		return nil
	}, nil,
	externalID(timeEntryMeta),
	sourceField(timeEntryMeta),
	deletedField(timeEntryMeta),
	idField("person", func(r *ingest.TimeEntry) *string { return &r.PersonID }).required(),
	dateField("date", func(r *ingest.TimeEntry) *time.Time { return &r.Date }).required(),
	decField("hours", entryHours, func(r *ingest.TimeEntry) *decimal.Decimal { return &r.Hours }).required(),
	idField("project", func(r *ingest.TimeEntry) *string { return &r.ProjectID }),
	idField("client", func(r *ingest.TimeEntry) *string { return &r.ClientID }),
	textField("task", func(r *ingest.TimeEntry) *string { return &r.Task }),
	textField("notes", func(r *ingest.TimeEntry) *string { return &r.Notes }),
	boolField("billable", func(r *ingest.TimeEntry) *bool { return &r.Billable }).required(),
	optDecField("bill_rate", money, func(r *ingest.TimeEntry) **decimal.Decimal { return &r.BillRate }),
	optDecField("cost_rate", money, func(r *ingest.TimeEntry) **decimal.Decimal { return &r.CostRate }),
	enumField("billing_status", billingStatuses, func(r *ingest.TimeEntry) *string { return &r.BillingStatus }),
	idField("invoice_id", func(r *ingest.TimeEntry) *string { return &r.InvoiceID }),
	optDecField("billed_amount", money, func(r *ingest.TimeEntry) **decimal.Decimal { return &r.BilledAmount }),
	conv("currency", parseCurrency, func(r *ingest.TimeEntry) *string { return &r.Currency }),
	listField("tags", func(r *ingest.TimeEntry) *[]string { return &r.Tags }),
	textField("phase", func(r *ingest.TimeEntry) *string { return &r.Phase }),
	idField("deliverable", func(r *ingest.TimeEntry) *string { return &r.DeliverableID }),
	optTimeField("updated_at", func(r *ingest.TimeEntry) **time.Time { return &r.UpdatedAt }),
)

func deliverableMeta(r *ingest.Deliverable) *ingest.Meta { return &r.Meta }

var deliverableSpec = newSpec("deliverable", initMeta(deliverableMeta), isDeleted(deliverableMeta),
	func(r *ingest.Deliverable, st rowState) *issue {
		if !st.has("in_scope") {
			r.InScope = true // what the agency delivers counts against the retainer unless said otherwise
		}
		return nil
	}, nil,
	externalID(deliverableMeta),
	sourceField(deliverableMeta),
	deletedField(deliverableMeta),
	textField("name", func(r *ingest.Deliverable) *string { return &r.Name }).required(),
	idField("client", func(r *ingest.Deliverable) *string { return &r.ClientID }),
	idField("project", func(r *ingest.Deliverable) *string { return &r.ProjectID }),
	optDateField("due_date", func(r *ingest.Deliverable) **time.Time { return &r.DueDate }),
	optDateField("committed_due_date", func(r *ingest.Deliverable) **time.Time { return &r.CommittedDueDate }),
	optTimeField("delivered_at", func(r *ingest.Deliverable) **time.Time { return &r.DeliveredAt }),
	boolField("in_scope", func(r *ingest.Deliverable) *bool { return &r.InScope }),
	idField("owner", func(r *ingest.Deliverable) *string { return &r.OwnerID }),
	optTimeField("updated_at", func(r *ingest.Deliverable) **time.Time { return &r.UpdatedAt }),
)

func taskEventMeta(r *ingest.TaskEvent) *ingest.Meta { return &r.Meta }

var taskEventSpec = newSpec("task_event", initMeta(taskEventMeta), isDeleted(taskEventMeta), nil, nil,
	externalID(taskEventMeta),
	sourceField(taskEventMeta),
	deletedField(taskEventMeta),
	timeField("occurred_at", func(r *ingest.TaskEvent) *time.Time { return &r.OccurredAt }).required(),
	conv("type", parseToken, func(r *ingest.TaskEvent) *string { return &r.Type }).required(),
	idField("deliverable", func(r *ingest.TaskEvent) *string { return &r.DeliverableID }),
	idField("task", func(r *ingest.TaskEvent) *string { return &r.TaskID }),
	idField("client", func(r *ingest.TaskEvent) *string { return &r.ClientID }),
	idField("project", func(r *ingest.TaskEvent) *string { return &r.ProjectID }),
	textField("from_status", func(r *ingest.TaskEvent) *string { return &r.FromStatus }),
	textField("to_status", func(r *ingest.TaskEvent) *string { return &r.ToStatus }),
	textField("phase", func(r *ingest.TaskEvent) *string { return &r.Phase }),
	textField("actor", func(r *ingest.TaskEvent) *string { return &r.Actor }),
	optDateField("due_date", func(r *ingest.TaskEvent) **time.Time { return &r.DueDate }),
)

func allocationMeta(r *ingest.Allocation) *ingest.Meta { return &r.Meta }

var allocationSpec = newSpec("allocation", initMeta(allocationMeta), isDeleted(allocationMeta),
	func(r *ingest.Allocation, st rowState) *issue {
		if r.Status == "" {
			r.Status = ingest.Confirmed
		}
		switch {
		case r.Status == ingest.Confirmed && st.has("probability") && !r.Probability.Equal(decOne) && !st.tomb:
			return &issue{field: "probability", value: r.Probability.String(),
				reason: "a confirmed allocation is certain: give status tentative, or leave probability out"}
		case r.Status == ingest.Confirmed:
			r.Probability = decOne
		case !st.has("probability"):
			r.Probability = defaultTentativeProbability
		}
		if st.tomb {
			return nil
		}
		if r.HoursPerWeek != nil && r.HoursPerDay != nil {
			return &issue{field: "hours_per_day", value: r.HoursPerDay.String(),
				reason: "give hours_per_week or hours_per_day, not both"}
		}
		return endBefore(&r.StartDate, &r.EndDate, "end_date")
	},
	[]group{{names: []string{"person", "role"}}, {names: []string{"hours_per_week", "hours_per_day"}}},
	externalID(allocationMeta),
	sourceField(allocationMeta),
	deletedField(allocationMeta),
	idField("person", func(r *ingest.Allocation) *string { return &r.PersonID }),
	textField("role", func(r *ingest.Allocation) *string { return &r.Role }),
	idField("project", func(r *ingest.Allocation) *string { return &r.ProjectID }).required(),
	dateField("start_date", func(r *ingest.Allocation) *time.Time { return &r.StartDate }).required(),
	dateField("end_date", func(r *ingest.Allocation) *time.Time { return &r.EndDate }).required(),
	optDecField("hours_per_week", weekHours, func(r *ingest.Allocation) **decimal.Decimal { return &r.HoursPerWeek }),
	optDecField("hours_per_day", dayHours, func(r *ingest.Allocation) **decimal.Decimal { return &r.HoursPerDay }),
	enumField("status", allocStatuses, func(r *ingest.Allocation) *string { return &r.Status }),
	decField("probability", ratio, func(r *ingest.Allocation) *decimal.Decimal { return &r.Probability }),
)

func timeOffMeta(r *ingest.TimeOff) *ingest.Meta { return &r.Meta }

var timeOffSpec = newSpec("time_off", initMeta(timeOffMeta), isDeleted(timeOffMeta),
	func(r *ingest.TimeOff, st rowState) *issue {
		if st.tomb {
			return nil
		}
		return endBefore(&r.StartDate, &r.EndDate, "end_date")
	}, nil,
	externalID(timeOffMeta),
	sourceField(timeOffMeta),
	deletedField(timeOffMeta),
	idField("person", func(r *ingest.TimeOff) *string { return &r.PersonID }).required(),
	dateField("start_date", func(r *ingest.TimeOff) *time.Time { return &r.StartDate }).required(),
	dateField("end_date", func(r *ingest.TimeOff) *time.Time { return &r.EndDate }).required(),
	optDecField("hours_per_day", dayHours, func(r *ingest.TimeOff) **decimal.Decimal { return &r.HoursPerDay }),
)

// Holidays have no source or external id: a holiday is keyed by its
// calendar and date.
var holidaySpec = newSpec("holiday", func(r *ingest.Holiday, e *env) { r.Org = e.org }, func(r *ingest.Holiday) bool { return r.Deleted }, nil, nil,
	dateField("date", func(r *ingest.Holiday) *time.Time { return &r.Date }).keyed(),
	textField("name", func(r *ingest.Holiday) *string { return &r.Name }),
	textField("calendar", func(r *ingest.Holiday) *string { return &r.Calendar }),
	boolField("deleted", func(r *ingest.Holiday) *bool { return &r.Deleted }),
)

func adjustmentMeta(r *ingest.Adjustment) *ingest.Meta { return &r.Meta }

var adjustmentSpec = newSpec("adjustment", initMeta(adjustmentMeta), isDeleted(adjustmentMeta), nil,
	[]group{{names: []string{"amount", "hours"}}},
	externalID(adjustmentMeta),
	sourceField(adjustmentMeta),
	deletedField(adjustmentMeta),
	enumField("kind", adjustmentKinds, func(r *ingest.Adjustment) *string { return &r.Kind }).required(),
	idField("client", func(r *ingest.Adjustment) *string { return &r.ClientID }).required(),
	idField("project", func(r *ingest.Adjustment) *string { return &r.ProjectID }),
	idField("person", func(r *ingest.Adjustment) *string { return &r.PersonID }),
	idField("time_entry", func(r *ingest.Adjustment) *string { return &r.TimeEntryID }),
	dateField("date", func(r *ingest.Adjustment) *time.Time { return &r.Date }).required(),
	optDecField("hours", hours, func(r *ingest.Adjustment) **decimal.Decimal { return &r.Hours }),
	optDecField("amount", money, func(r *ingest.Adjustment) **decimal.Decimal { return &r.Amount }),
	enumField("reason", adjustmentReasons, func(r *ingest.Adjustment) *string { return &r.Reason }),
)

func invoiceLineMeta(r *ingest.InvoiceLine) *ingest.Meta { return &r.Meta }

var invoiceLineSpec = newSpec("invoice_line", initMeta(invoiceLineMeta), isDeleted(invoiceLineMeta), nil, nil,
	externalID(invoiceLineMeta),
	sourceField(invoiceLineMeta),
	deletedField(invoiceLineMeta),
	idField("invoice_id", func(r *ingest.InvoiceLine) *string { return &r.InvoiceID }),
	idField("client", func(r *ingest.InvoiceLine) *string { return &r.ClientID }),
	idField("project", func(r *ingest.InvoiceLine) *string { return &r.ProjectID }),
	dateField("date", func(r *ingest.InvoiceLine) *time.Time { return &r.Date }).required(),
	optDecField("hours", signedHours, func(r *ingest.InvoiceLine) **decimal.Decimal { return &r.Hours }),
	decField("amount", signedMoney, func(r *ingest.InvoiceLine) *decimal.Decimal { return &r.Amount }).required(),
	listField("time_entry_ids", func(r *ingest.InvoiceLine) *[]string { return &r.TimeEntryIDs }),
)
