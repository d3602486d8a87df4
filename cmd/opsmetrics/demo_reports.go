package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest/demo"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// The demo agency's monthly reports (issue 18): after `opsmetrics demo`
// loads its data, every client of every demo org gets last month's report
// records as an agency would have written them on this month's first
// workday: commentary that cites the client's own KPIs of that month (so
// the text agrees with the report beside it), an internal note for some,
// "next month" actions and decisions (some closed, one or two open past
// their due date), report settings with targets for a few, the draft; and
// the org gets a retro per recent quarter with its notes and actions.
//
// The records go through the metrics layer like any user's. Their texts
// and choices are seeded from the org and client ids; their times come
// from the demo's one "now". Nothing is written twice: a client whose
// draft exists is done (the draft is written last), a quarter whose retro
// exists is done, and the steps before those check what exists.

// demoReportsSummary is what the demo's reports step left in the store.
type demoReportsSummary struct {
	clients, actions, retros int
	months                   []string // last month of each org, once each
}

func (s demoReportsSummary) String() string {
	return fmt.Sprintf("reports: %d clients with commentary and %d actions for %s; %d retros",
		s.clients, s.actions, strings.Join(s.months, ", "), s.retros)
}

// demoAuthor writes what no person of the demo writes (report settings).
const demoAuthor = "demo"

// demoReports writes the demo's report records (writeDemoReports) and
// prints its summary line, when on.
func demoReports(ctx context.Context, e *env, s metrics.RecordStore, cfg demo.Config, now time.Time, log *slog.Logger, on bool) int {
	if !on {
		return 0
	}
	sum, err := writeDemoReports(ctx, s, cfg, now, log)
	if err != nil {
		return fail(e, err)
	}
	fmt.Fprintln(e.stdout, sum)
	return 0
}

// writeDemoReports writes the report records of the orgs of cfg, as of now
// (the time demo's End was taken from), and returns what is stored. It
// writes in three rounds over all orgs, each round's rows in a few inserts
// (demoStore): texts, actions and settings; the closing of actions done
// (which reads them back); then the drafts and retros that mark a client's
// report and a quarter's retro complete.
func writeDemoReports(ctx context.Context, s metrics.RecordStore, cfg demo.Config, now time.Time, log *slog.Logger) (demoReportsSummary, error) {
	var sum demoReportsSummary
	start := time.Now()
	agencies, err := demo.Agencies(ctx, cfg)
	if err != nil {
		return sum, err
	}
	ds := newDemoStore(s)
	// The settings of an org do not change while this runs.
	orgs, err := org.NewCache(org.Config{Store: ds, TTL: time.Hour})
	if err != nil {
		return sum, err
	}
	writers := make([]*reportWriter, len(agencies))
	rounds := []func(i int) error{
		func(i int) error {
			w, err := newReportWriter(ctx, ds, orgs, agencies[i], now)
			if err == nil {
				writers[i], err = w, w.write(ctx)
			}
			return err
		},
		func(i int) error { return writers[i].closeDone(ctx) },
		func(i int) error { return writers[i].finish(ctx) },
	}
	for r, round := range rounds {
		if r > 0 {
			if err := ds.flush(ctx); err != nil {
				return sum, fmt.Errorf("demo reports: %w", err)
			}
		}
		if err := eachOrg(len(agencies), func(i int) error {
			if err := round(i); err != nil {
				return fmt.Errorf("demo reports of org %s: %w", agencies[i].Org, err)
			}
			return nil
		}); err != nil {
			return sum, err
		}
	}
	if err := ds.flush(ctx); err != nil {
		return sum, fmt.Errorf("demo reports: %w", err)
	}
	for _, w := range writers {
		w.count(&sum)
	}
	log.Debug("demo_reports_written", "orgs", len(agencies), "clients", sum.clients, "actions", sum.actions,
		"retros", sum.retros, "inserts", ds.inserts, "seconds", time.Since(start).Seconds())
	return sum, nil
}

// demoWorkers is how many orgs are written at once: the engine runs
// queries side by side, and most of the time goes to small queries.
const demoWorkers = 2

// eachOrg calls fn for 0 to n-1, demoWorkers at a time, and returns the
// error of the lowest i that failed.
func eachOrg(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(demoWorkers, n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if errs[i] = fn(i); errs[i] != nil {
					next.Store(int64(n)) // stop handing out orgs
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// demoStore is the store as the demo's reports step uses it: an org's
// names read once (the step writes none), and rows kept per table and
// columns until flush, so thousands of one-row writes of the metrics
// layer go in a few inserts. Reads do not see rows not yet flushed.
type demoStore struct {
	metrics.RecordStore
	mu      sync.Mutex
	names   map[string]*store.Rows // org_names per org
	pending []*store.Batch         // in the order their tables were first written
	inserts int                    // inserts made
}

func newDemoStore(s metrics.RecordStore) *demoStore {
	return &demoStore{RecordStore: s, names: map[string]*store.Rows{}}
}

var _ metrics.RecordStore = (*demoStore)(nil)

// Query runs q on the store, but org_names once per org.
func (d *demoStore) Query(ctx context.Context, q string, p store.Params) (*store.Rows, error) {
	org, ok := p["org"].(string)
	if !ok || q != store.QueryText("org_names") {
		return d.RecordStore.Query(ctx, q, p)
	}
	d.mu.Lock()
	rows, ok := d.names[org]
	d.mu.Unlock()
	if ok {
		return rows, nil
	}
	rows, err := d.RecordStore.Query(ctx, q, p)
	if err == nil {
		d.mu.Lock()
		d.names[org] = rows
		d.mu.Unlock()
	}
	return rows, err
}

// Insert keeps b's rows for flush, after those of its table and columns.
func (d *demoStore) Insert(_ context.Context, b *store.Batch) error {
	if _, err := b.Len(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, p := range d.pending {
		if p.Table == b.Table && slices.Equal(p.Columns, b.Columns) {
			for i := range p.Values {
				p.Values[i] = reflect.AppendSlice(reflect.ValueOf(p.Values[i]), reflect.ValueOf(b.Values[i])).Interface()
			}
			return nil
		}
	}
	c := &store.Batch{Table: b.Table, Columns: slices.Clone(b.Columns), Values: make([]any, len(b.Values))}
	for i, v := range b.Values { // a copy: appending must not write into the caller's slices
		rv := reflect.ValueOf(v)
		c.Values[i] = reflect.AppendSlice(reflect.MakeSlice(rv.Type(), 0, rv.Len()), rv).Interface()
	}
	d.pending = append(d.pending, c)
	return nil
}

// flush inserts the rows kept, one insert per table and columns.
func (d *demoStore) flush(ctx context.Context) error {
	for len(d.pending) > 0 {
		if err := d.RecordStore.Insert(ctx, d.pending[0]); err != nil {
			return err
		}
		d.inserts++
		d.pending = d.pending[1:]
	}
	return nil
}

// reportWriter writes one org's report records.
type reportWriter struct {
	s     metrics.RecordStore
	orgs  *org.Cache
	a     demo.Agency
	loc   *time.Location
	now   time.Time
	today time.Time // the org's calendar day at now, as UTC midnight
	month time.Time // last month: the one reported on
	this  time.Time // this month's first day
	// prepared is when the month's reports were written: this month's first
	// workday at 9:30 where the org is, or an hour before now when that is
	// still ahead.
	prepared time.Time
	people   map[string]demo.Member

	// What the store holds already.
	drafts   map[string]bool
	settings map[string]bool
	stored   []metrics.Action // actions and decisions
	retroQs  map[time.Time]bool

	// What write leaves for the later rounds: actions to close once stored,
	// then the drafts and retros that mark a report and a retro complete.
	closes     []plannedClose
	newDrafts  []metrics.Draft
	newRetros  []plannedRetro
	retroCount int
}

// plannedClose is the closing of w.stored[i] by its author at at.
type plannedClose struct {
	i  int
	at time.Time
}

// plannedRetro is a retro to save once its notes and actions are stored.
type plannedRetro struct {
	r   metrics.Retro
	who string
	at  time.Time
}

func newReportWriter(ctx context.Context, s metrics.RecordStore, orgs *org.Cache, a demo.Agency, now time.Time) (*reportWriter, error) {
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		loc = time.FixedZone(a.TimeZone, int(a.Offset/time.Second))
	}
	y, m, d := now.In(loc).Date()
	w := &reportWriter{s: s, orgs: orgs, a: a, loc: loc, now: now, today: time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		people: map[string]demo.Member{}, drafts: map[string]bool{}, settings: map[string]bool{}, retroQs: map[time.Time]bool{}}
	w.this = metrics.MonthStart(w.today)
	w.month = w.this.AddDate(0, -1, 0)
	first := w.this
	for first.Weekday() == time.Saturday || first.Weekday() == time.Sunday {
		first = first.AddDate(0, 0, 1)
	}
	w.prepared = w.local(first, 9, 30)
	if limit := now.Add(-time.Hour); w.prepared.After(limit) {
		w.prepared = limit
	}
	for _, p := range a.People {
		w.people[p.ID] = p
	}

	drafts, err := metrics.ListDrafts(ctx, s, a.Org, w.month)
	if err != nil {
		return nil, err
	}
	for _, d := range drafts {
		w.drafts[d.Client] = true
	}
	if w.stored, err = metrics.ListActions(ctx, s, a.Org, metrics.ActionFilter{}); err != nil {
		return nil, err
	}
	settings, err := metrics.LoadReportSettings(ctx, s, a.Org, "")
	if err != nil {
		return nil, err
	}
	for _, r := range settings {
		w.settings[r.Client] = r.Stored
	}
	retros, err := metrics.ListRetros(ctx, s, a.Org)
	if err != nil {
		return nil, err
	}
	for _, r := range retros {
		w.retroQs[r.Quarter] = true
	}
	return w, nil
}

// local is day d (a date as UTC midnight) at hour:minute in the org's zone.
func (w *reportWriter) local(d time.Time, hour, minute int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, w.loc)
}

// rng is the random stream of the org's key (a client id, a quarter).
func (w *reportWriter) rng(key string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(w.a.Org + "/" + key))
	x := h.Sum64()
	return rand.New(rand.NewPCG(x, x^0x9e3779b97f4a7c15))
}

// write writes the org's texts, actions and settings of last month's
// reports and its retros, and plans what the later rounds write.
func (w *reportWriter) write(ctx context.Context) error {
	// History must reach into the month for a report on it.
	if !w.a.HistoryStart.Before(w.this) || len(w.a.Clients) == 0 {
		return w.writeRetros(ctx)
	}
	var todo []demo.Account
	for _, c := range w.a.Clients {
		if !w.drafts[c.ID] {
			todo = append(todo, c)
		}
	}
	if len(todo) > 0 {
		kpis, err := w.clientKPIs(ctx)
		if err != nil {
			return err
		}
		// One or two clients' first action stays open past its due date, so
		// the overview's loop has something to chase; two or three clients
		// have report settings of their own.
		overdue, settings := w.pick("overdue", 1, 2), w.pick("settings", 2, 3)
		for _, c := range todo {
			m := kpis[c.ID]
			m.Account, m.Month = c, w.month
			if err := w.writeClient(ctx, c, m, overdue[c.ID], settings[c.ID]); err != nil {
				return fmt.Errorf("client %s (%s): %w", c.ID, c.Name, err)
			}
		}
	}
	return w.writeRetros(ctx)
}

// closeDone closes the actions write planned to close, once they are stored.
func (w *reportWriter) closeDone(ctx context.Context) error {
	for _, c := range w.closes {
		a := &w.stored[c.i]
		closed, found, err := metrics.SetActionStatus(ctx, w.s, w.a.Org, a.CreatedBy, a.ID, true, c.at)
		switch {
		case err != nil:
			return err
		case !found:
			return fmt.Errorf("action %s (%s) was added but is not stored", a.ID, a.Title)
		}
		*a = closed
	}
	return nil
}

// finish writes the drafts and retros write planned.
func (w *reportWriter) finish(ctx context.Context) error {
	for _, d := range w.newDrafts {
		if err := metrics.WriteDraft(ctx, w.s, w.a.Org, d, d.PreparedAt.Add(5*time.Minute)); err != nil {
			return fmt.Errorf("draft of client %s: %w", d.Client, err)
		}
		w.drafts[d.Client] = true
	}
	for _, p := range w.newRetros {
		if _, err := metrics.SaveRetro(ctx, w.s, w.a.Org, p.who, p.r, w.today, p.at); err != nil {
			return fmt.Errorf("retro %s: %w", metrics.QuarterLabel(p.r.Quarter), err)
		}
		w.retroCount++
	}
	return nil
}

// count adds what the org has stored to sum.
func (w *reportWriter) count(sum *demoReportsSummary) {
	for _, c := range w.a.Clients {
		if w.drafts[c.ID] {
			sum.clients++
		}
	}
	for _, x := range w.stored {
		if x.Origin == metrics.OriginReport && x.Period.Equal(w.month) {
			sum.actions++
		}
	}
	sum.retros += w.retroCount
	if label := w.month.Format("2006-01"); !slices.Contains(sum.months, label) {
		sum.months = append(sum.months, label)
	}
}

// pick picks lo to hi of the org's clients, seeded by key.
func (w *reportWriter) pick(key string, lo, hi int) map[string]bool {
	r := w.rng(key)
	out := map[string]bool{}
	for _, i := range r.Perm(len(w.a.Clients))[:min(lo+r.IntN(hi-lo+1), len(w.a.Clients))] {
		out[w.a.Clients[i].ID] = true
	}
	return out
}

// clientMonth is what a client's commentary says: its KPIs of the month.
type clientMonth struct {
	demo.Account
	Month time.Time
	// on_time_rate: deliverables due in the month (delivered or open past
	// their date), those on time, those still open.
	Due, OnTime, OpenOverdue int
	// approval_time_p50: review requests decided and their median wait.
	Reviews     int
	ApprovalP50 float64 // hours
	// over_service_hours of a retainer: billable hours against the retainer's.
	RetainerRow              bool
	Billable, Retainer, Over float64
	// budget_used of a project client: hours used of the budget so far.
	BudgetHours, UsedHours float64
}

// Late is how many deliverables due in the month went out late.
func (m clientMonth) Late() int { return m.Due - m.OnTime - m.OpenOverdue }

// clientKPIs reads the month's KPIs of every client, one query per KPI.
func (w *reportWriter) clientKPIs(ctx context.Context) (map[string]clientMonth, error) {
	out := map[string]clientMonth{}
	row := func(res *metrics.Result, i int, col string) float64 {
		j := slices.IndexFunc(res.Columns, func(c metrics.Column) bool { return c.Name == col })
		if j < 0 {
			return 0
		}
		v, _ := metrics.Float(res.Rows[i][j])
		return v
	}
	each := func(kpi string, fn func(m *clientMonth, res *metrics.Result, i int)) error {
		res, err := metrics.Compute(ctx, w.s, nil, metrics.Request{KPI: kpi, Org: w.a.Org, From: w.month, To: w.this,
			GroupBy: "client", Now: w.now, Orgs: w.orgs})
		if err != nil {
			return err
		}
		g := slices.IndexFunc(res.Columns, func(c metrics.Column) bool { return c.Name == "client" })
		for i := range res.Rows {
			id, _ := res.Rows[i][g].(string)
			m := out[id]
			fn(&m, res, i)
			out[id] = m
		}
		return nil
	}
	steps := []struct {
		kpi string
		fn  func(m *clientMonth, res *metrics.Result, i int)
	}{
		{"on_time_rate", func(m *clientMonth, res *metrics.Result, i int) {
			m.OpenOverdue = int(row(res, i, "open_overdue"))
			m.Due = int(row(res, i, "delivered")) + m.OpenOverdue
			m.OnTime = int(row(res, i, "on_time"))
		}},
		{"approval_time_p50", func(m *clientMonth, res *metrics.Result, i int) {
			m.Reviews, m.ApprovalP50 = int(row(res, i, "cycles")), row(res, i, "value")
		}},
		{"over_service_hours", func(m *clientMonth, res *metrics.Result, i int) {
			m.RetainerRow = true
			m.Billable, m.Retainer, m.Over = row(res, i, "billable_hours"), row(res, i, "retainer_hours"), row(res, i, "value")
		}},
		{"budget_used", func(m *clientMonth, res *metrics.Result, i int) {
			m.BudgetHours, m.UsedHours = row(res, i, "budget_hours"), row(res, i, "used_hours")
		}},
	}
	for _, st := range steps {
		if err := each(st.kpi, st.fn); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeClient writes client c's report records of the month, the draft last.
func (w *reportWriter) writeClient(ctx context.Context, c demo.Account, m clientMonth, overdue, settings bool) error {
	r := w.rng(c.ID)
	author := w.people[c.Lead].Email
	if author == "" {
		author = demoAuthor
	}
	notes := []metrics.Note{{Field: metrics.NoteCommentary, Body: commentary(m, r)}}
	if body := internalNote(m, r); body != "" {
		notes = append(notes, metrics.Note{Field: metrics.NoteInternal, Body: body})
	}
	for i, n := range notes {
		n.Client, n.Period, n.Author = c.ID, w.month, author
		if _, err := metrics.SaveNote(ctx, w.s, w.a.Org, n, w.prepared.Add(time.Duration(i)*time.Minute)); err != nil {
			return err
		}
	}
	if !slices.ContainsFunc(w.stored, func(x metrics.Action) bool {
		return x.Client == c.ID && x.Origin == metrics.OriginReport && x.Period.Equal(w.month)
	}) {
		if err := w.writeClientActions(ctx, c, m, overdue, author, r); err != nil {
			return err
		}
	}
	if settings && !w.settings[c.ID] {
		if err := w.writeSettings(ctx, c); err != nil {
			return err
		}
	}
	w.newDrafts = append(w.newDrafts, metrics.Draft{Client: c.ID, Month: w.month, Status: metrics.DraftPrepared,
		PreparedAt: w.prepared.UTC().Truncate(time.Millisecond)})
	return nil
}

// plannedAction is an action or decision a text proposes, before its dates.
type plannedAction struct {
	kind, title string
	lead        bool // owned by the account lead, else by someone else on the account
}

// writeClientActions adds the client's 1–3 "next month" items, due this
// month: those due before today closed, but for the org's chosen overdue
// ones; some of the later ones closed early.
func (w *reportWriter) writeClientActions(ctx context.Context, c demo.Account, m clientMonth, overdue bool, who string, r *rand.Rand) error {
	planned := nextMonthItems(m, r)
	days := w.this.AddDate(0, 1, -1).Day()
	for i, p := range planned {
		owner := c.Lead
		if !p.lead && len(c.Team) > 1 {
			owner = c.Team[1+r.IntN(len(c.Team)-1)]
		}
		due := weekdayBefore(w.this.AddDate(0, 0, r.IntN(days)))
		if due.Before(w.this) {
			due = weekdayAfter(w.this)
		}
		late := overdue && i == 0
		if late {
			due = weekdayBefore(w.today.AddDate(0, 0, -1-r.IntN(3)))
		}
		created := w.prepared.Add(time.Duration(10+i) * time.Minute)
		a, err := metrics.AddAction(ctx, w.s, w.a.Org, who, metrics.Action{Client: c.ID, Origin: metrics.OriginReport,
			Period: w.month, Kind: p.kind, Title: p.title, Owner: owner, Due: due}, created)
		if err != nil {
			return err
		}
		w.stored = append(w.stored, a)
		if !late {
			w.maybeClose(created, r)
		}
	}
	return nil
}

// maybeClose plans to close the action last stored, created at created:
// always when due before today, else one time in four (done early). It is
// closed on its due day in the afternoon, or some time between its
// creation and now, never after now.
func (w *reportWriter) maybeClose(created time.Time, r *rand.Rand) {
	i := len(w.stored) - 1
	a := w.stored[i]
	if !a.Due.Before(w.today) && r.IntN(4) != 0 {
		return
	}
	at := created.Add(time.Duration(r.Int64N(int64(w.now.Sub(created)) + 1)))
	if a.Due.Before(w.today) {
		at = w.local(a.Due, 14+r.IntN(4), r.IntN(60))
	}
	w.closes = append(w.closes, plannedClose{i: i, at: earliest(latest(at, created.Add(time.Minute)), w.now)})
}

// writeSettings gives c's report the contract's targets (on time 90%,
// approval p50 48 h) and the client's recipients.
func (w *reportWriter) writeSettings(ctx context.Context, c demo.Account) error {
	sections := metrics.DefaultSections(c.Retainer, c.Budget)
	onTime, approval := decimal.RequireFromString("0.9"), decimal.NewFromInt(48)
	var contract []metrics.ContractKPI
	for _, s := range sections {
		k := metrics.ContractKPI{Section: s}
		switch s {
		case metrics.SectionDeliverables:
			k.Target = &onTime
		case metrics.SectionApprovals:
			k.Target = &approval
		}
		contract = append(contract, k)
	}
	to := []string{contactEmail(c.Contact, c.Domain), "accounts@" + c.Domain}
	_, err := metrics.SaveReportSettings(ctx, w.s, w.a.Org, demoAuthor, metrics.ReportSettings{Client: c.ID,
		Contract: contract, Recipients: to}, w.prepared.Add(-24*time.Hour))
	return err
}

// contactEmail is "first.last@domain" of a contact's name.
func contactEmail(name, domain string) string {
	local := strings.Map(func(r rune) rune {
		switch {
		case r == ' ':
			return '.'
		case r >= 'a' && r <= 'z':
			return r
		}
		return -1
	}, strings.ToLower(name))
	if local == "" {
		local = "reports"
	}
	return local + "@" + domain
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func weekdayBefore(d time.Time) time.Time {
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

func weekdayAfter(d time.Time) time.Time {
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// hours writes a number of hours as a whole number.
func hours(h float64) string { return fmt.Sprintf("%.0f", math.Round(h)) }

// percent writes num/den as a whole percentage.
func percent(num, den int) string {
	return fmt.Sprintf("%.0f%%", math.Round(100*float64(num)/float64(den)))
}

// plural is "1 deliverable" or "3 deliverables".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// approvalTarget is the approval time the demo's texts measure against:
// the 48 hours the report settings set as the target.
const approvalTarget = 48

// commentary is the account lead's text to the client about m: 2–4
// sentences on delivery, approvals, hours, and what comes next month.
func commentary(m clientMonth, r *rand.Rand) string {
	month, next := m.Month.Format("January"), m.Month.AddDate(0, 1, 0).Format("January")
	var s []string
	late := m.Late()
	switch {
	case m.Due == 0:
		s = append(s, fmt.Sprintf("No deliverables fell due for %s in %s.", m.Name, month))
	case m.OnTime == m.Due && m.Due == 1:
		s = append(s, fmt.Sprintf("The one deliverable due in %s went out on time.", month))
	case m.Due == 1 && late == 1:
		s = append(s, fmt.Sprintf("The one deliverable due in %s went out late.", month))
	case m.Due == 1:
		s = append(s, fmt.Sprintf("The one deliverable due in %s is still open past its date and first on our list for %s.", month, next))
	case m.OnTime == m.Due && m.Due == 2:
		s = append(s, fmt.Sprintf("Both deliverables due in %s went out on time.", month))
	case m.OnTime == m.Due:
		s = append(s, fmt.Sprintf("All %d deliverables due in %s went out on time.", m.Due, month))
	default:
		t := fmt.Sprintf("%d of the %s due in %s went out on time (%s)", m.OnTime, plural(m.Due, "deliverable", "deliverables"),
			month, percent(m.OnTime, m.Due))
		if late > 0 {
			t += fmt.Sprintf(", %d late", late)
		}
		if m.OpenOverdue > 0 {
			t += fmt.Sprintf("; %s still open past its date and first on our list for %s", plural(m.OpenOverdue, "is", "are"), next)
		}
		s = append(s, t+".")
	}
	if m.Reviews > 0 {
		reviews := plural(m.Reviews, "review", "reviews")
		if m.ApprovalP50 <= approvalTarget {
			s = append(s, fmt.Sprintf("Your team's decisions came back in a median of %s hours across %s, inside the %d hours we plan around.",
				hours(m.ApprovalP50), reviews, approvalTarget))
		} else {
			s = append(s, fmt.Sprintf("Decisions took a median of %s hours across %s, longer than the %d hours we plan around, and that is where most of the waiting sat.",
				hours(m.ApprovalP50), reviews, approvalTarget))
		}
	}
	switch {
	case m.RetainerRow && m.Over > 0:
		s = append(s, fmt.Sprintf("We logged %s billable hours against the %s-hour retainer, %s over it.",
			hours(m.Billable), hours(m.Retainer), hours(m.Over)))
	case m.RetainerRow && m.Retainer > 0:
		s = append(s, fmt.Sprintf("We used %s of the %s retainer hours.", hours(m.Billable), hours(m.Retainer)))
	case m.BudgetHours > 0:
		s = append(s, fmt.Sprintf("The project work has used %s of its %s budget hours so far (%s).",
			hours(m.UsedHours), hours(m.BudgetHours), fmt.Sprintf("%.0f%%", math.Round(100*m.UsedHours/m.BudgetHours))))
	}
	switch {
	case m.OpenOverdue > 0 || late > 0:
		s = append(s, fmt.Sprintf("For %s we are tightening our production estimates before we commit to dates.", next))
	case m.Reviews > 0 && m.ApprovalP50 > approvalTarget:
		s = append(s, fmt.Sprintf("For %s we suggest a fixed weekly review slot to keep work moving.", next))
	case m.RetainerRow && m.Over > 0:
		s = append(s, fmt.Sprintf("Before %s fills up, we'd like to agree how requests beyond the retainer are handled.", next))
	default:
		closers := []string{
			fmt.Sprintf("We keep the same rhythm in %s and will share the plan at our next check-in.", next),
			fmt.Sprintf("We'll send the %s plan for sign-off this week.", next),
			fmt.Sprintf("Nothing needs a decision from you now; %s's priorities follow in our next check-in.", next),
		}
		s = append(s, closers[r.IntN(len(closers))])
	}
	return strings.Join(s, " ")
}

// internalNote is what the team notes for itself about m, or "" (most
// months): over-servicing, a slipping on-time rate, a slow approver.
func internalNote(m clientMonth, r *rand.Rand) string {
	switch {
	case m.RetainerRow && m.Over > 0:
		return fmt.Sprintf("Over-servicing again: %s hours above the retainer in %s. Raise at renewal.", hours(m.Over), m.Month.Format("January"))
	case m.Due > 0 && float64(m.OnTime)/float64(m.Due) < 0.75:
		return fmt.Sprintf("On time at %s this month. Check production estimates before promising %s dates.", percent(m.OnTime, m.Due), m.Contact)
	case m.Reviews > 0 && m.ApprovalP50 > 72:
		return fmt.Sprintf("%s is the bottleneck on approvals (%s h median). Ask for a deputy approver.", m.Contact, hours(m.ApprovalP50))
	case m.Late() == 0 && m.OpenOverdue == 0 && (m.Reviews == 0 || m.ApprovalP50 <= approvalTarget) && r.IntN(3) == 0:
		return "Healthy account. Good candidate for a case study; ask at the next quarterly review."
	}
	return ""
}

// nextMonthItems are 1–3 actions and decisions that follow from m: those
// its numbers call for first, then the usual ones.
func nextMonthItems(m clientMonth, r *rand.Rand) []plannedAction {
	next := m.Month.AddDate(0, 1, 0).Format("January")
	var out []plannedAction
	if m.OpenOverdue > 0 {
		out = append(out, plannedAction{metrics.ActionKind, "Deliver the overdue work and confirm a new date with " + m.Contact, true})
	}
	if m.Late() > 0 {
		out = append(out, plannedAction{metrics.ActionKind, "Re-estimate production on the next briefs before committing dates", false})
	}
	if m.Reviews > 0 && m.ApprovalP50 > approvalTarget {
		out = append(out, plannedAction{metrics.DecisionKind, fmt.Sprintf("Weekly review slot with %s to keep approvals under %d hours", m.Contact, approvalTarget), true})
	}
	if m.RetainerRow && m.Over > 0 {
		out = append(out, plannedAction{metrics.DecisionKind, "Requests beyond the retainer go through a change order", true})
	}
	if !m.RetainerRow && m.BudgetHours > 0 && m.UsedHours > 0.8*m.BudgetHours {
		out = append(out, plannedAction{metrics.ActionKind, "Share the budget forecast with " + m.Contact, true})
	}
	usual := []plannedAction{
		{metrics.ActionKind, fmt.Sprintf("Send the %s plan to %s for sign-off", next, m.Contact), true},
		{metrics.ActionKind, "Book the quarterly account review with " + m.Contact, true},
		{metrics.DecisionKind, "Status call moves to Tuesdays at 10:00", true},
		{metrics.ActionKind, "Update the brand asset library with this month's final files", false},
	}
	r.Shuffle(len(usual), func(i, j int) { usual[i], usual[j] = usual[j], usual[i] })
	out = append(out, usual...)
	return out[:1+r.IntN(3)]
}

// writeRetros writes a retro for each of the last four complete quarters
// and the current one that history covers, with its notes and 1–3 actions,
// on the day of the org's retro_held event of that quarter when there is
// one (else the second week after the quarter; the current quarter only
// with an event).
func (w *reportWriter) writeRetros(ctx context.Context) error {
	current := metrics.QuarterStart(w.today)
	var quarters []time.Time
	for q := current.AddDate(0, -12, 0); !q.After(current); q = q.AddDate(0, 3, 0) {
		if !w.a.HistoryStart.After(q.AddDate(0, 1, 0)) {
			quarters = append(quarters, q)
		}
	}
	if len(quarters) == 0 {
		return nil
	}
	var onTime map[time.Time][2]int // quarter: on time, due
	for _, q := range quarters {
		if w.retroQs[q] {
			w.retroCount++
			continue
		}
		held, ok := w.heldOn(q)
		if !ok {
			continue
		}
		if onTime == nil {
			var err error
			if onTime, err = w.quarterOnTime(ctx, quarters[0], w.this.AddDate(0, 1, 0)); err != nil {
				return err
			}
		}
		if err := w.writeRetro(ctx, q, held, onTime[q]); err != nil {
			return fmt.Errorf("retro %s: %w", metrics.QuarterLabel(q), err)
		}
	}
	return nil
}

// heldOn is the day quarter q's retro was held: the org's retro_held day
// from 45 days into the quarter to 45 days after it closest to its end,
// not after today; else, for a quarter that has ended, the Tuesday of the
// second week after it (today at the latest).
func (w *reportWriter) heldOn(q time.Time) (time.Time, bool) {
	end := q.AddDate(0, 3, 0)
	var best time.Time
	for _, d := range w.a.RetroDays {
		if d.Before(q.AddDate(0, 0, 45)) || !d.Before(end.AddDate(0, 0, 45)) || d.After(w.today) {
			continue
		}
		if best.IsZero() || d.Sub(end).Abs() < best.Sub(end).Abs() {
			best = d
		}
	}
	switch {
	case !best.IsZero():
		return best, true
	case end.After(w.today):
		return time.Time{}, false
	}
	d := end.AddDate(0, 0, 7)
	for d.Weekday() != time.Tuesday {
		d = d.AddDate(0, 0, 1)
	}
	return earliest(d, w.today), true
}

// quarterOnTime sums the org's monthly on_time_rate over [from, to) into
// quarters: on time and due (delivered or open past the date).
func (w *reportWriter) quarterOnTime(ctx context.Context, from, to time.Time) (map[time.Time][2]int, error) {
	res, err := metrics.Compute(ctx, w.s, nil, metrics.Request{KPI: "on_time_rate", Org: w.a.Org, From: from, To: to,
		Interval: "month", Now: w.now, Orgs: w.orgs})
	if err != nil {
		return nil, err
	}
	col := func(name string) int {
		return slices.IndexFunc(res.Columns, func(c metrics.Column) bool { return c.Name == name })
	}
	p, on, del, open := col("period"), col("on_time"), col("delivered"), col("open_overdue")
	out := map[time.Time][2]int{}
	for _, row := range res.Rows {
		period, _ := row[p].(time.Time)
		q := metrics.QuarterStart(period)
		a, _ := metrics.Float(row[on])
		b, _ := metrics.Float(row[del])
		c, _ := metrics.Float(row[open])
		x := out[q]
		out[q] = [2]int{x[0] + int(a), x[1] + int(b+c)}
	}
	return out, nil
}

// Retro texts the demo draws from, one of each per retro.
var (
	retroWorked = []string{
		"Weekly planning on Mondays kept the production queue honest; fewer briefs jumped the line.",
		"Internal review before every client review caught most of the rework early.",
		"Pairing a strategist with each new brief made the first drafts land closer.",
		"Moving status updates into the shared board cut the ad-hoc check-in calls.",
	}
	retroBroke = []string{
		"Two briefs started before the scope was signed off, and we wrote off the difference.",
		"Due dates were promised before production had estimated the work.",
		"Time logging lagged by days in busy weeks, so the budget views were late to warn us.",
		"Handoffs from design to development waited on missing files more than once.",
	}
	retroSlowed = []string{
		"Client reviews were the longest wait: work sat in review longer than in production.",
		"Handoffs between teams sat unassigned overnight.",
		"Approvals waited on one person at two clients; there was no deputy.",
		"Revision rounds piled up where the brief left the audience open.",
	}
	retroActions = []string{
		"Add a scope sign-off step to the brief template",
		"Estimate production before any due date goes to a client",
		"Name a deputy approver for every retainer client",
		"Daily time-logging reminder at 17:00",
		"Handoff checklist between design and development",
		"Review slot in every client's weekly calendar",
	}
)

// writeRetro writes quarter q's notes and actions, then the retro itself
// (so a retro stored means its records are).
func (w *reportWriter) writeRetro(ctx context.Context, q, held time.Time, onTime [2]int) error {
	r := w.rng(metrics.QuarterLabel(q))
	host := w.host()
	at := w.local(held, 16, 0)
	if at.After(w.now) {
		at = w.now.Add(-time.Minute)
	}
	worked := retroWorked[r.IntN(len(retroWorked))]
	if onTime[1] > 0 {
		worked = fmt.Sprintf("On-time delivery at %s (%d of %d deliverables due in the quarter). %s",
			percent(onTime[0], onTime[1]), onTime[0], onTime[1], worked)
	}
	texts := map[string]string{metrics.NoteWorked: worked, metrics.NoteBroke: retroBroke[r.IntN(len(retroBroke))],
		metrics.NoteSlowed: retroSlowed[r.IntN(len(retroSlowed))]}
	for i, f := range metrics.RetroNoteFields {
		if _, err := metrics.SaveNote(ctx, w.s, w.a.Org, metrics.Note{Period: q, Field: f, Body: texts[f], Author: host.Email},
			at.Add(time.Duration(i)*time.Minute)); err != nil {
			return err
		}
	}
	if len(w.a.People) > 0 && !slices.ContainsFunc(w.stored, func(x metrics.Action) bool { return x.Origin == metrics.OriginRetro && x.Period.Equal(q) }) {
		titles := slices.Clone(retroActions)
		r.Shuffle(len(titles), func(i, j int) { titles[i], titles[j] = titles[j], titles[i] })
		for i, title := range titles[:1+r.IntN(3)] {
			owner := w.a.People[r.IntN(len(w.a.People))]
			created := at.Add(time.Duration(5+i) * time.Minute)
			a, err := metrics.AddAction(ctx, w.s, w.a.Org, host.Email, metrics.Action{Origin: metrics.OriginRetro, Period: q,
				Kind: metrics.ActionKind, Title: title, Owner: owner.ID, Due: weekdayAfter(held.AddDate(0, 0, 14+r.IntN(15)))}, created)
			if err != nil {
				return err
			}
			w.stored = append(w.stored, a)
			if a.Due.Before(w.today) { // done by its date: retros that change things
				w.maybeClose(created, r)
			}
		}
	}
	w.newRetros = append(w.newRetros, plannedRetro{r: metrics.Retro{Quarter: q, HeldOn: held}, who: host.Email,
		at: earliest(at.Add(10*time.Minute), w.now)})
	return nil
}

// host is who runs the org's retros: its creative director, else its first person.
func (w *reportWriter) host() demo.Member {
	if i := slices.IndexFunc(w.a.People, func(p demo.Member) bool { return p.Role == "creative_director" }); i >= 0 {
		return w.a.People[i]
	}
	if len(w.a.People) > 0 {
		return w.a.People[0]
	}
	return demo.Member{Email: demoAuthor}
}
