package metrics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// A client's monthly report (issue 18): the sections its contract carries
// (ReportSettings), each for the month and the month before it, read from
// the KPIs themselves (one Compute per number, filtered by the client), and
// the month's deliverables as rows. Nothing here computes a KPI its own
// way: this file only picks the KPIs' rows for the two months.
//
// Money budgets: a project's budget amount is the client's own contract
// figure, but the value used against it is hours × bill rate (spec §4), so
// used value and remaining amount reveal rates. Budget amounts, used value
// and remaining amounts are therefore filled only with Money (the internal
// view of a partner or an admin); hour budgets are always shown.

// ReportRequest asks for client's report of the month containing Month.
type ReportRequest struct {
	Org, Client string
	Month       time.Time // any day of the month; its first day is used
	// Now is "now" for the open-overdue cut and the current month's
	// forecast; zero means time.Now.
	Now time.Time
	// Money adds what only partners and admins see: revenue, labour cost,
	// margin and rate, write-off values, money budgets. The client's view
	// never sets it.
	Money bool
	// Settings, Orgs and Names as in Request: read once by the caller, or
	// nil to be read here.
	Settings *org.Settings
	Orgs     *org.Cache
	Names    *Names
}

// Report is a client's monthly report. A section the client's contract
// does not carry is nil (or, for the retainer and budget rows, empty
// with its Carried flag false) and was not computed.
type Report struct {
	Org        string    `json:"org"`
	Client     string    `json:"client"`
	ClientName string    `json:"client_name"`
	Month      time.Time `json:"month"`
	Prev       time.Time `json:"previous_month"`
	// Closed is whether the month has ended at now in the org's time zone;
	// an open month has forecasts instead of over-service.
	Closed   bool   `json:"closed"`
	Currency string `json:"currency,omitempty"`
	// CurrencyWhy says why Currency is "" (the org's settings and data name none).
	CurrencyWhy string         `json:"-"`
	Contract    ReportSettings `json:"contract"`

	Retainers    *RetainerSection    `json:"retainer_hours,omitempty"`
	Budgets      *BudgetSection      `json:"budget_burn,omitempty"`
	Delivery     *DeliverySection    `json:"deliverables,omitempty"`
	Approvals    *ApprovalSection    `json:"approvals,omitempty"`
	WriteOffs    *WriteOffSection    `json:"write_offs,omitempty"`
	Money        *MoneySection       `json:"money,omitempty"`
	Deliverables []ReportDeliverable `json:"deliverable_rows"`
}

// RetainerSection is the retainer hours section: one row per retainer
// project of the client.
type RetainerSection struct {
	Rows []RetainerRow `json:"rows"`
	// Idle are the client's retainer projects that ran in neither month
	// (ended, or not begun), by name; they have no row.
	Idle []string `json:"idle,omitempty"`
}

// RetainerRow is one retainer project in the month and the month before.
type RetainerRow struct {
	Project     string        `json:"project"`
	ProjectName string        `json:"project_name"`
	This        RetainerMonth `json:"this"`
	Last        RetainerMonth `json:"last"`
}

// RetainerMonth is a retainer's month: budget_used's contracted (budget)
// and used hours; for a closed month over_service_hours' billable and
// over-service hours; for the open month overage_forecast's forecast at
// period end and overage. Nil: the KPI gave nothing (no such month).
type RetainerMonth struct {
	Contracted  *decimal.Decimal `json:"contracted_hours"`
	Used        *decimal.Decimal `json:"used_hours"`
	Billable    *decimal.Decimal `json:"billable_hours,omitempty"`
	OverService *decimal.Decimal `json:"over_service_hours,omitempty"`
	Forecast    *decimal.Decimal `json:"forecast_hours,omitempty"`
	Overage     *decimal.Decimal `json:"overage_forecast_hours,omitempty"`
	Closed      bool             `json:"closed"`
}

// BudgetSection is the budget burn section: the client's budgeted
// projects other than the retainers the retainer section shows.
type BudgetSection struct {
	Rows []BudgetRow `json:"rows"`
}

// BudgetRow is one budgeted project as of the end of the month and of the
// month before.
type BudgetRow struct {
	Project     string      `json:"project"`
	ProjectName string      `json:"project_name"`
	This        BudgetMonth `json:"this"`
	Last        BudgetMonth `json:"last"`
}

// BudgetMonth is budget_remaining and projected_exhaustion_date of a
// project as of a month's end (or now): hours always, amounts only with
// Money (see the file comment).
type BudgetMonth struct {
	Listed      bool             `json:"listed"` // the KPIs list the project then (its budget period runs)
	PeriodEnd   *time.Time       `json:"period_end,omitempty"`
	BudgetHours *decimal.Decimal `json:"budget_hours"`
	Used        *decimal.Decimal `json:"used_hours"`
	Remaining   *decimal.Decimal `json:"remaining_hours"`
	BurnRate    *decimal.Decimal `json:"burn_rate"`
	Exhaustion  *time.Time       `json:"projected_exhaustion_date,omitempty"`
	Exhausted   bool             `json:"exhausted"`
	// Only with Money.
	BudgetAmount    *decimal.Decimal `json:"budget_amount,omitempty"`
	UsedValue       *decimal.Decimal `json:"used_value,omitempty"`
	RemainingAmount *decimal.Decimal `json:"remaining_amount,omitempty"`
}

// DeliverySection is the deliverables section: on_time_rate (due in the
// month) and slip_days (delivered late in the month), with the contract's
// on-time target.
type DeliverySection struct {
	This   DeliveryMonth    `json:"this"`
	Last   DeliveryMonth    `json:"last"`
	Target *decimal.Decimal `json:"target,omitempty"`
}

// DeliveryMonth is one month of the deliverables section.
type DeliveryMonth struct {
	OnTimeRate  *float64 `json:"on_time_rate"`
	OnTime      uint64   `json:"on_time"`
	Delivered   uint64   `json:"delivered"`
	Late        uint64   `json:"late"` // delivered − on time
	OpenOverdue uint64   `json:"open_overdue"`
	SlipP50     *float64 `json:"slip_days_p50"`
	SlipP90     *float64 `json:"slip_days_p90"`
	SlipLate    uint64   `json:"late_delivered_in_month"`
}

// ApprovalSection is the approvals section: approval_time_p50 and _p90,
// revision_rounds and first_pass_approval_rate, with the contract's p50
// target in hours.
type ApprovalSection struct {
	This   ApprovalMonth    `json:"this"`
	Last   ApprovalMonth    `json:"last"`
	Target *decimal.Decimal `json:"target,omitempty"`
}

// ApprovalMonth is one month of the approvals section (calendar hours).
type ApprovalMonth struct {
	P50           *float64 `json:"approval_time_p50"`
	P90           *float64 `json:"approval_time_p90"`
	BusinessP50   *float64 `json:"approval_business_hours_p50"`
	Cycles        uint64   `json:"cycles"`
	RoundsMean    *float64 `json:"revision_rounds_mean"`
	Rounds        uint64   `json:"revision_rounds"`
	Decided       uint64   `json:"deliverables_decided"`
	FirstPassRate *float64 `json:"first_pass_approval_rate"`
	FirstPass     uint64   `json:"first_pass"`
	Approved      uint64   `json:"approved"`
}

// WriteOffSection is the write-offs section: write_off_by_reason and
// write_off_hours_rate, with the contract's rate ceiling.
type WriteOffSection struct {
	This   WriteOffMonth    `json:"this"`
	Last   WriteOffMonth    `json:"last"`
	Target *decimal.Decimal `json:"target,omitempty"`
}

// WriteOffMonth is one month of the write-offs section. Values only with
// Money.
type WriteOffMonth struct {
	Reasons       []WriteOffReason `json:"reasons"`
	Hours         decimal.Decimal  `json:"write_off_hours"`
	BillableHours decimal.Decimal  `json:"billable_hours"`
	HoursRate     *float64         `json:"write_off_hours_rate"`
	Value         *decimal.Decimal `json:"write_off_value,omitempty"`
}

// WriteOffReason is one reason's written-off hours (and value, with Money).
type WriteOffReason struct {
	Reason string           `json:"reason"`
	Hours  decimal.Decimal  `json:"hours"`
	Value  *decimal.Decimal `json:"value,omitempty"`
}

// MoneySection is the internal view's money: margin_pct's revenue,
// labour cost, margin and margin %, and effective_rate.
type MoneySection struct {
	This MoneyMonth `json:"this"`
	Last MoneyMonth `json:"last"`
}

// MoneyMonth is one month's money of the client.
type MoneyMonth struct {
	Revenue    *decimal.Decimal `json:"revenue"`
	LabourCost *decimal.Decimal `json:"labour_cost"` // nil: no hour has a cost rate
	Margin     *decimal.Decimal `json:"margin"`
	MarginPct  *float64         `json:"margin_pct"`
	Hours      *decimal.Decimal `json:"hours"`
	Uncosted   *decimal.Decimal `json:"uncosted_hours"`
}

// Deliverable statuses of a report's rows.
const (
	DeliverableOnTime  = "on_time"
	DeliverableLate    = "late"
	DeliverableOverdue = "overdue"
	DeliverableOpen    = "open"
)

// ReportDeliverable is one of the month's deliverables
// (sql/queries/report_deliverables.sql).
type ReportDeliverable struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Project        string     `json:"project"`
	ProjectName    string     `json:"project_name"`
	Due            *time.Time `json:"due_date"`
	Delivered      *time.Time `json:"delivered_day"`
	Status         string     `json:"status"`
	SlipDays       *int64     `json:"slip_days"`
	RevisionRounds uint64     `json:"revision_rounds"`
}

var reportDeliverablesList = list{"report_deliverables", "report deliverables", []string{"client", "project", "person"}}

// ClientReport computes r's report: the client's report settings, then
// the KPIs its sections read, at most two queries at a time. The client
// is resolved as a filter is (an id or a unique name). Errors:
// ErrBadRequest (wrapped; *FilterError for an unknown client) for no org
// or client, a month not begun yet; the store's otherwise.
func ClientReport(ctx context.Context, q Querier, facts *Facts, r ReportRequest) (*Report, error) {
	if r.Org == "" || r.Client == "" {
		return nil, badf("org and client are required")
	}
	if r.Now.IsZero() {
		r.Now = time.Now()
	}
	orgs := r.Orgs
	if orgs == nil {
		var err error
		if orgs, err = org.NewCache(org.Config{Store: q}); err != nil {
			return nil, err
		}
	}
	settings := r.Settings
	if settings == nil || settings.ID != r.Org {
		s, err := orgs.Get(ctx, r.Org)
		if err != nil {
			return nil, fmt.Errorf("settings of org %s: %w", r.Org, err)
		}
		settings = &s
	}
	names := r.Names
	if names == nil || names.Org != r.Org {
		var err error
		if names, err = LoadNames(ctx, q, r.Org); err != nil {
			return nil, err
		}
	}
	client, err := names.Resolve(ctx, "client", r.Client)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(settings.WithDefaults().TimeZone)
	if err != nil {
		loc = time.UTC
	}
	today := Today(r.Now.In(loc))
	month := MonthStart(r.Month)
	next := month.AddDate(0, 1, 0)
	if month.After(today) {
		return nil, badf("month %s: it has not begun yet (today is %s in the org's time zone)", month.Format("2006-01"), day(today))
	}
	cs, err := loadReportSettings(ctx, q, names, r.Org, client)
	if err != nil {
		return nil, err
	}
	rep := &Report{Org: r.Org, Client: client, ClientName: nameOf(names, "client", client), Month: month, Prev: month.AddDate(0, -1, 0),
		Closed: !today.Before(next), Contract: cs[0], Deliverables: []ReportDeliverable{}}
	if rep.Currency, rep.CurrencyWhy, err = orgs.Currency(ctx, *settings); err != nil {
		return nil, err
	}

	base := Request{Org: r.Org, Filters: map[string]string{"client": client}, Now: r.Now, Settings: settings, Orgs: orgs, Names: names}
	at := func(kpi string, from, to time.Time, kv ...string) Request {
		x := base
		x.KPI, x.From, x.To = kpi, from, to
		for i := 0; i+1 < len(kv); i += 2 {
			switch kv[i] {
			case "group_by":
				x.GroupBy = kv[i+1]
			case "interval":
				x.Interval = kv[i+1]
			}
		}
		return x
	}
	prev := rep.Prev
	// month and the month before it, by month, in one query where a KPI's
	// months do not depend on the range's end (ratios by the day of their
	// events); apart where they do (open-overdue cut, "last decision in the
	// range", budget snapshots).
	both := func(kpi string, kv ...string) Request {
		return at(kpi, prev, next, append([]string{"interval", "month"}, kv...)...)
	}
	var (
		mu   sync.Mutex
		jobs []func(context.Context) error
		res  = map[string]*Result{}
	)
	ask := func(key string, req Request) {
		jobs = append(jobs, func(ctx context.Context) error {
			out, err := Compute(ctx, q, facts, req)
			mu.Lock()
			res[key] = out
			mu.Unlock()
			return err
		})
	}
	// The longest first (money, the rows), the quick ones last, so the two
	// at a time end together rather than one running alone at the end.
	if r.Money {
		ask("margin", both("margin_pct"))
	}
	var rows *Result
	jobs = append(jobs, func(ctx context.Context) (err error) {
		rows, err = runList(ctx, q, reportDeliverablesList, at("", month, next), nil)
		return err
	})
	has := rep.Contract.Has
	var retainers []string
	if has(SectionRetainerHours) || has(SectionBudgetBurn) {
		rows, err := q.Query(ctx, store.QueryText("report_retainers"), store.Params{"org": r.Org, "client": client})
		if err != nil {
			return nil, fmt.Errorf("report retainers: %w", err)
		}
		for i := range rows.Len() {
			var id string
			if err := rows.Scan(i, &id); err != nil {
				return nil, fmt.Errorf("report retainers: %w", err)
			}
			retainers = append(retainers, id)
		}
	}
	if has(SectionRetainerHours) && len(retainers) > 0 {
		ask("used", at("budget_used", month, next, "group_by", "project"))
		ask("used-prev", at("budget_used", prev, month, "group_by", "project"))
		ask("over", both("over_service_hours", "group_by", "project"))
		if !rep.Closed {
			ask("overage", at("overage_forecast", month, next, "group_by", "project"))
		}
	}
	if has(SectionBudgetBurn) {
		ask("remaining-prev", at("budget_remaining", prev, month, "group_by", "project"))
		ask("exhaustion", at("projected_exhaustion_date", month, next, "group_by", "project"))
	}
	if has(SectionApprovals) {
		ask("p50", both("approval_time_p50"))
		// both months from one query each: a deliverable counts once, in the
		// month of its last decision (approval) of the two, so this month's
		// figures are exactly the month's own, and last month's leave out
		// the deliverables decided again this month (they are this month's)
		ask("rounds", both("revision_rounds"))
		ask("first-pass", both("first_pass_approval_rate"))
	}
	if has(SectionWriteOffs) {
		ask("reasons", both("write_off_by_reason"))
		ask("wo-rate", both("write_off_hours_rate"))
	}
	if has(SectionDeliverables) {
		ask("on-time", at("on_time_rate", month, next))
		ask("on-time-prev", at("on_time_rate", prev, month))
		ask("slips", both("slip_days"))
	}
	if err := RunQueries(ctx, jobs...); err != nil {
		return nil, fmt.Errorf("report of client %s, %s: %w", client, month.Format("2006-01"), err)
	}

	if has(SectionRetainerHours) {
		rep.Retainers = retainerSection(names, retainers, rep.Closed, month, prev, res)
	}
	if has(SectionBudgetBurn) {
		skip := []string(nil)
		if has(SectionRetainerHours) {
			skip = retainers
		}
		rep.Budgets = budgetSection(names, skip, r.Money, res)
	}
	if has(SectionDeliverables) {
		rep.Delivery = &DeliverySection{This: deliveryMonth(res["on-time"], res["slips"], month), Last: deliveryMonth(res["on-time-prev"], res["slips"], prev),
			Target: rep.Contract.Target(SectionDeliverables)}
	}
	if has(SectionApprovals) {
		rep.Approvals = &ApprovalSection{This: approvalMonth(res["p50"], res["rounds"], res["first-pass"], month),
			Last: approvalMonth(res["p50"], res["rounds"], res["first-pass"], prev), Target: rep.Contract.Target(SectionApprovals)}
	}
	if has(SectionWriteOffs) {
		rep.WriteOffs = &WriteOffSection{This: writeOffMonth(res["reasons"], res["wo-rate"], month, r.Money),
			Last: writeOffMonth(res["reasons"], res["wo-rate"], prev, r.Money), Target: rep.Contract.Target(SectionWriteOffs)}
	}
	if r.Money {
		rep.Money = &MoneySection{This: moneyMonth(res["margin"], month), Last: moneyMonth(res["margin"], prev)}
	}
	rep.Deliverables = reportDeliverables(names, rows)
	return rep, nil
}

// RunQueries runs jobs at most two at a time (the engine uses both cores
// for one query too), starting them in order, so a caller that puts its
// longest first does not find them at its tail, and joins their errors: a
// page's or a report's queries.
func RunQueries(ctx context.Context, jobs ...func(context.Context) error) error {
	errs := make([]error, len(jobs))
	var next atomic.Int64 // the next job to start
	var wg sync.WaitGroup
	for range min(2, len(jobs)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(jobs)); i = next.Add(1) - 1 {
				errs[i] = jobs[i](ctx)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// rowOf is the row of t whose period (when t has one) is period and
// whose group column (when col is not "") is id; -1 for none.
func rowOf(t Table, period time.Time, col, id string) int {
	_, hasPeriod := t.idx["period"]
	for r := range t.Len() {
		if hasPeriod && !period.IsZero() && !t.Date(r, "period").Equal(period) {
			continue
		}
		if col != "" && t.Str(r, col) != id {
			continue
		}
		return r
	}
	return -1
}

// decAt is a row's decimal in column col; nil for null, a missing column
// or no row (r < 0).
func decAt(t Table, r int, col string) *decimal.Decimal {
	if r < 0 {
		return nil
	}
	s := t.Str(r, col)
	if s == "" {
		return nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return nil
	}
	return &d
}

// floatAt is a row's number in column col; nil for null, a missing column
// or no row.
func floatAt(t Table, r int, col string) *float64 {
	if r < 0 {
		return nil
	}
	v, ok := t.Num(r, col)
	if !ok {
		return nil
	}
	return &v
}

// countAt is a row's count in column col; 0 for none.
func countAt(t Table, r int, col string) uint64 {
	if r < 0 {
		return 0
	}
	v, _ := t.Num(r, col)
	return uint64(v)
}

func dateAt(t Table, r int, col string) *time.Time {
	if r < 0 {
		return nil
	}
	if d := t.Date(r, col); !d.IsZero() {
		return &d
	}
	return nil
}

func retainerSection(n *Names, retainers []string, closed bool, month, prev time.Time, res map[string]*Result) *RetainerSection {
	out := &RetainerSection{Rows: []RetainerRow{}}
	used, usedPrev, over, overage := TableOf(res["used"]), TableOf(res["used-prev"]), TableOf(res["over"]), TableOf(res["overage"])
	for _, p := range retainers {
		row := RetainerRow{Project: p, ProjectName: nameOf(n, "project", p)}
		fill := func(m *RetainerMonth, u Table, period time.Time, isClosed bool) {
			r := rowOf(u, time.Time{}, "project", p)
			m.Contracted, m.Used, m.Closed = decAt(u, r, "budget_hours"), decAt(u, r, "used_hours"), isClosed
			if isClosed {
				o := rowOf(over, period, "project", p)
				m.Billable, m.OverService = decAt(over, o, "billable_hours"), decAt(over, o, "value")
				if o >= 0 && m.Contracted == nil {
					m.Contracted = decAt(over, o, "retainer_hours")
				}
			} else {
				o := rowOf(overage, time.Time{}, "project", p)
				m.Forecast, m.Overage = decAt(overage, o, "forecast_hours"), decAt(overage, o, "value")
			}
		}
		if rowOf(used, time.Time{}, "project", p) < 0 && rowOf(usedPrev, time.Time{}, "project", p) < 0 &&
			rowOf(over, time.Time{}, "project", p) < 0 && rowOf(overage, time.Time{}, "project", p) < 0 {
			out.Idle = append(out.Idle, row.ProjectName)
			continue
		}
		fill(&row.This, used, month, closed)
		fill(&row.Last, usedPrev, prev, true)
		out.Rows = append(out.Rows, row)
	}
	return out
}

func budgetSection(n *Names, skip []string, money bool, res map[string]*Result) *BudgetSection {
	out := &BudgetSection{Rows: []BudgetRow{}}
	// This month's budgets, burn and exhaustion from projected_exhaustion_date
	// (which carries budget_remaining's columns too); last month's from
	// budget_remaining as of its end: the burn rate and the projected
	// exhaustion are this month's only, a forecast as of last month's end
	// being history, not a comparison.
	ex, remPrev := TableOf(res["exhaustion"]), TableOf(res["remaining-prev"])
	var ids []string
	for _, t := range []Table{ex, remPrev} {
		for r := range t.Len() {
			if id := t.Str(r, "project"); !slices.Contains(ids, id) && !slices.Contains(skip, id) {
				ids = append(ids, id)
			}
		}
	}
	// fill reads one month of a project from t, whose remaining hours are
	// in column remaining; with forecast, its burn and exhaustion too.
	fill := func(t Table, remaining string, forecast bool, id string) BudgetMonth {
		r := rowOf(t, time.Time{}, "project", id)
		m := BudgetMonth{Listed: r >= 0}
		if r < 0 {
			return m
		}
		m.BudgetHours, m.Remaining = decAt(t, r, "budget_hours"), decAt(t, r, remaining)
		if m.BudgetHours != nil {
			m.Used = decAt(t, r, "used_hours")
		}
		m.PeriodEnd = dateAt(t, r, "period_end")
		if forecast {
			m.BurnRate, m.Exhaustion = decAt(t, r, "burn_rate"), dateAt(t, r, "value")
			m.Exhausted = countAt(t, r, "exhausted") > 0
		}
		if money {
			m.BudgetAmount, m.UsedValue, m.RemainingAmount = decAt(t, r, "budget_amount"), decAt(t, r, "used_value"), decAt(t, r, "remaining_amount")
		}
		return m
	}
	for _, id := range ids {
		out.Rows = append(out.Rows, BudgetRow{Project: id, ProjectName: nameOf(n, "project", id), This: fill(ex, "remaining_hours", true, id), Last: fill(remPrev, "value", false, id)})
	}
	slices.SortStableFunc(out.Rows, func(a, b BudgetRow) int {
		if a.ProjectName < b.ProjectName {
			return -1
		}
		if a.ProjectName > b.ProjectName {
			return 1
		}
		return 0
	})
	return out
}

func deliveryMonth(onTime, slips *Result, period time.Time) DeliveryMonth {
	t, s := TableOf(onTime), TableOf(slips)
	r, sr := rowOf(t, time.Time{}, "", ""), rowOf(s, period, "", "")
	m := DeliveryMonth{OnTimeRate: floatAt(t, r, "value"), OnTime: countAt(t, r, "on_time"), Delivered: countAt(t, r, "delivered"),
		OpenOverdue: countAt(t, r, "open_overdue"), SlipLate: countAt(s, sr, "late")}
	m.Late = m.Delivered - m.OnTime
	if m.SlipLate > 0 {
		m.SlipP50, m.SlipP90 = floatAt(s, sr, "value"), floatAt(s, sr, "p90")
	}
	return m
}

func approvalMonth(p50, rounds, firstPass *Result, period time.Time) ApprovalMonth {
	a, c, f := TableOf(p50), TableOf(rounds), TableOf(firstPass)
	ar, cr, fr := rowOf(a, period, "", ""), rowOf(c, period, "", ""), rowOf(f, period, "", "")
	m := ApprovalMonth{Cycles: countAt(a, ar, "cycles"), RoundsMean: floatAt(c, cr, "value"), Rounds: countAt(c, cr, "rounds"),
		Decided: countAt(c, cr, "deliverables"), FirstPassRate: floatAt(f, fr, "value"), FirstPass: countAt(f, fr, "first_pass"),
		Approved: countAt(f, fr, "approved")}
	if m.Cycles > 0 {
		m.P50, m.P90, m.BusinessP50 = floatAt(a, ar, "value"), floatAt(a, ar, "p90"), floatAt(a, ar, "business_hours")
	}
	return m
}

func writeOffMonth(reasons, rate *Result, period time.Time, money bool) WriteOffMonth {
	t, w := TableOf(reasons), TableOf(rate)
	m := WriteOffMonth{Reasons: []WriteOffReason{}}
	var total decimal.Decimal
	for r := range t.Len() {
		if !t.Date(r, "period").Equal(period) {
			continue
		}
		x := WriteOffReason{Reason: t.Str(r, "reason")}
		if h := decAt(t, r, "write_off_hours"); h != nil {
			x.Hours = *h
		}
		if v := decAt(t, r, "value"); v != nil && money {
			x.Value = v
			total = total.Add(*v)
		}
		m.Reasons = append(m.Reasons, x)
	}
	slices.SortStableFunc(m.Reasons, func(a, b WriteOffReason) int { return b.Hours.Cmp(a.Hours) })
	wr := rowOf(w, period, "", "")
	if h := decAt(w, wr, "write_off_hours"); h != nil {
		m.Hours = *h
	}
	if h := decAt(w, wr, "billable_hours"); h != nil {
		m.BillableHours = *h
	}
	m.HoursRate = floatAt(w, wr, "value")
	if money {
		m.Value = &total
	}
	return m
}

func moneyMonth(margin *Result, period time.Time) MoneyMonth {
	t := TableOf(margin)
	r := rowOf(t, period, "", "")
	return MoneyMonth{Revenue: decAt(t, r, "revenue"), LabourCost: decAt(t, r, "labour_cost"), Margin: decAt(t, r, "margin"),
		MarginPct: floatAt(t, r, "value"), Hours: decAt(t, r, "hours"), Uncosted: decAt(t, r, "uncosted_hours")}
}

func reportDeliverables(n *Names, res *Result) []ReportDeliverable {
	t := TableOf(res)
	out := make([]ReportDeliverable, 0, t.Len())
	for r := range t.Len() {
		x := ReportDeliverable{ID: t.Str(r, "deliverable_id"), Name: t.Str(r, "name"), Project: t.Str(r, "project_id"),
			Due: dateAt(t, r, "due_date"), Delivered: dateAt(t, r, "delivered_day"), Status: t.Str(r, "status"),
			RevisionRounds: countAt(t, r, "revision_rounds")}
		if x.Name == "" {
			x.Name = x.ID
		}
		if x.Project != "" {
			x.ProjectName = nameOf(n, "project", x.Project)
		}
		if v, ok := t.Num(r, "slip_days"); ok {
			s := int64(v)
			x.SlipDays = &s
		}
		out = append(out, x)
	}
	return out
}
