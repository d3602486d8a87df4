package metrics

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// CollectorConfig configures the KPI collector.
type CollectorConfig struct {
	Store      Querier
	Facts      *Facts // the store's entry facts, for the money KPIs
	Logger     *slog.Logger
	Registerer prometheus.Registerer // the collector and its own metrics register here
	// Interval between refreshes; default 5 minutes. A scrape never runs a
	// KPI query: it reads what the last refresh computed.
	Interval time.Duration
	// MaxSeries caps the KPI series exported (default 10,000); the rest are
	// counted in opsmetrics_kpi_series_dropped_total. Org-level series are
	// kept first.
	MaxSeries int
	// Orgs, when set, limits the gauges to these orgs; empty: every org.
	Orgs []string
	// Settings is where org settings are read; nil: from Store for
	// every KPI.
	Settings *org.Cache
	Now      func() time.Time // default time.Now
}

// Validate fills defaults and reports what is missing.
func (c *CollectorConfig) Validate() error {
	if c.Store == nil || c.Facts == nil || c.Logger == nil || c.Registerer == nil {
		return errors.New("kpi collector: store, facts, logger and registerer are required")
	}
	if c.Interval <= 0 {
		c.Interval = 5 * time.Minute
	}
	if c.MaxSeries <= 0 {
		c.MaxSeries = 10_000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// gauge families: the names and label sets of the KPI gauges. Every series
// of a family has all its labels; a scope label is "" on the org-level
// series (Prometheus stores an empty label as absent).
var (
	descWriteOff    = kpiDesc("write_off_ratio", "Write-off value ÷ standard value of billable work (spec kpis.md §4).", "client", "window")
	descUtilization = kpiDesc("billable_utilization_ratio", "Billable hours ÷ available hours (spec kpis.md §2).", "team", "role", "window")
	descOnTime      = kpiDesc("on_time_ratio", "Deliverables delivered on time ÷ delivered and open-overdue (spec kpis.md §3).", "client", "window")
	descApprovalP90 = kpiDesc("approval_time_p90_seconds", "90th percentile of client approval time, calendar seconds (spec kpis.md §5).", "client", "window")
	descMargin      = kpiDesc("margin_ratio", "Margin ÷ revenue (spec kpis.md §6).", "client", "window")
	descOverdue     = kpiDesc("overdue_deliverables", "Open deliverables past their due date and grace days, now.", "client")
	descStuck       = kpiDesc("stuck_reviews", "Client review requests waiting for a decision longer than the org's stuck-review limit (48 hours unless set), now (spec kpis.md §5).", "client")
	descOverage     = kpiDesc("overage_forecast_ratio", "Forecast hours ÷ contracted hours of each active project's current budget period (> 1: heading over).", "project")
	descLastIngest  = prometheus.NewDesc("opsmetrics_data_last_ingest_timestamp_seconds", "Unix time of the newest time entry or task event ingested, per source.", []string{"org", "source"}, nil)
	descDataAge     = prometheus.NewDesc("opsmetrics_data_age_seconds", "Seconds since the newest time entry or task event ingested, per source.", []string{"org", "source"}, nil)
	descName        = prometheus.NewDesc("opsmetrics_name_info", "The display name of an id that KPI series carry as a label (kind org, client or project), for alert texts; always 1.",
		[]string{"org", "kind", "id", "name"}, nil)
	descActionsOpen = prometheus.NewDesc("opsmetrics_report_actions_open",
		"Next month's actions and decisions of the monthly reports and retros that are open now, per org and client (a retro's count in the org's only).",
		[]string{"org", "client"}, nil)
	descActionsOverdue = prometheus.NewDesc("opsmetrics_report_actions_overdue",
		"Open actions and decisions whose due day is before the org's today (its time zone), per org and client (a retro's count in the org's only).",
		[]string{"org", "client"}, nil)
	descThreshold = prometheus.NewDesc("opsmetrics_alert_threshold", "An alert threshold set through the API; the generic rules compare each KPI gauge with it.",
		[]string{"org", "kpi", "client", "team", "comparator", "severity", "for", "threshold_id"}, nil)
)

// idKinds are the families whose second label (after org) is the id of a
// client or a project, which opsmetrics_name_info names.
var idKinds = map[*prometheus.Desc]string{descWriteOff: "client", descOnTime: "client", descApprovalP90: "client",
	descMargin: "client", descOverdue: "client", descStuck: "client", descOverage: "project",
	descActionsOpen: "client", descActionsOverdue: "client"}

func kpiDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("opsmetrics_kpi_"+name, help, append([]string{"org"}, labels...), nil)
}

// sample is one KPI series of a refresh.
type sample struct {
	desc   *prometheus.Desc
	labels []string // org first, then the family's labels
	value  float64
}

// orgLevel reports whether a sample has no scope (all labels after org
// empty but the window).
func (s sample) orgLevel() bool {
	for _, l := range s.labels[1:] {
		if l != "" && l != "month" && l != "30d" {
			return false
		}
	}
	return true
}

// nameKey is an id of a kind (org, client, project) within an org.
type nameKey struct{ org, kind, id string }

type ingestStamp struct {
	org, source string
	at          time.Time
}

// Collector exports the KPI gauges of every org from a cache refreshed on
// an interval, the alert thresholds, and data freshness.
type Collector struct {
	cfg CollectorConfig

	mu         sync.RWMutex
	byOrg      map[string][]sample // the last good refresh of each org
	samples    []sample            // byOrg flattened and capped
	names      map[nameKey]string  // display names of the orgs, clients and projects in byOrg
	ingests    []ingestStamp
	thresholds []orgThreshold

	refreshSeconds prometheus.Gauge
	refreshErrors  prometheus.Counter
	lastSuccess    prometheus.Gauge
	dropped        prometheus.Counter
	queryDuration  *prometheus.HistogramVec
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector registers the collector and its own metrics.
func NewCollector(cfg CollectorConfig) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Collector{cfg: cfg, byOrg: map[string][]sample{}, names: map[nameKey]string{},
		refreshSeconds: prometheus.NewGauge(prometheus.GaugeOpts{Name: "opsmetrics_kpi_refresh_duration_seconds",
			Help: "How long the last refresh of the KPI gauges took."}),
		refreshErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "opsmetrics_kpi_refresh_errors_total",
			Help: "KPI refreshes (or an org's part of one) that failed."}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "opsmetrics_kpi_refresh_last_success_timestamp_seconds",
			Help: "Unix time of the last refresh of the KPI gauges that completed without an error."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "opsmetrics_kpi_series_dropped_total",
			Help: "KPI series left out of a refresh by the cardinality cap."}),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "opsmetrics_query_duration_seconds",
			Help: "Duration of KPI queries run by the collector.", Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"kpi"}),
	}
	for _, m := range []prometheus.Collector{c, c.refreshSeconds, c.refreshErrors, c.lastSuccess, c.dropped, c.queryDuration} {
		if err := cfg.Registerer.Register(m); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Describe sends the KPI, threshold and freshness families.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWriteOff, descUtilization, descOnTime, descApprovalP90, descMargin, descOverdue,
		descStuck, descOverage, descLastIngest, descDataAge, descThreshold, descName, descActionsOpen, descActionsOverdue} {
		ch <- d
	}
}

// Collect sends what the last refresh found; it runs no query.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	named := map[nameKey]bool{}
	name := func(k nameKey) {
		if n, ok := c.names[k]; ok && !named[k] {
			named[k] = true
			ch <- prometheus.MustNewConstMetric(descName, prometheus.GaugeValue, 1, k.org, k.kind, k.id, n)
		}
	}
	for _, s := range c.samples {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, s.value, s.labels...)
		name(nameKey{s.labels[0], "org", s.labels[0]})
		if kind, ok := idKinds[s.desc]; ok && s.labels[1] != "" {
			name(nameKey{s.labels[0], kind, s.labels[1]})
		}
	}
	now := c.cfg.Now()
	for _, in := range c.ingests {
		ch <- prometheus.MustNewConstMetric(descLastIngest, prometheus.GaugeValue, float64(in.at.UnixMilli())/1000, in.org, in.source)
		ch <- prometheus.MustNewConstMetric(descDataAge, prometheus.GaugeValue, now.Sub(in.at).Seconds(), in.org, in.source)
	}
	for _, ot := range c.thresholds {
		t := ot.t
		var client, team string
		switch t.Scope {
		case "client":
			client = t.ScopeValue
		case "team":
			team = t.ScopeValue
		}
		ch <- prometheus.MustNewConstMetric(descThreshold, prometheus.GaugeValue, t.Value.Mul(ThresholdKPIs[t.KPI].perBase()).InexactFloat64(),
			ot.org, t.KPI, client, team, t.Comparator, t.Severity, ForLabel(t.For.Duration), t.ID)
	}
}

// Run refreshes at once and then every Interval until ctx ends.
func (c *Collector) Run(ctx context.Context) {
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		if err := c.Refresh(ctx); err != nil && ctx.Err() == nil {
			c.cfg.Logger.Warn("kpi_refresh_failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Refresh recomputes every org's KPI gauges, the thresholds and the data
// freshness. An org whose queries fail keeps its previous gauges; the error
// is counted and returned after the others are done.
func (c *Collector) Refresh(ctx context.Context) error {
	start := time.Now()
	defer func() { c.refreshSeconds.Set(time.Since(start).Seconds()) }()
	rows, err := c.cfg.Store.Query(ctx, store.QueryText("org_list"), nil)
	if err != nil {
		c.refreshErrors.Inc()
		return err
	}
	var errs []error
	seen := map[string]bool{}
	for i := range rows.Len() {
		var org, name string
		if err := rows.Scan(i, &org, &name); err != nil {
			return err
		}
		if len(c.cfg.Orgs) > 0 && !slices.Contains(c.cfg.Orgs, org) {
			continue
		}
		seen[org] = true
		got, err := c.orgSamples(ctx, org)
		var names map[nameKey]string
		if err == nil {
			names, err = c.orgNames(ctx, org, name)
		}
		if err != nil {
			c.refreshErrors.Inc()
			errs = append(errs, err)
			c.cfg.Logger.Warn("kpi_refresh_org_failed", "org", org, "err", err)
			continue
		}
		c.mu.Lock()
		c.byOrg[org] = got
		maps.DeleteFunc(c.names, func(k nameKey, _ string) bool { return k.org == org })
		maps.Copy(c.names, names)
		c.mu.Unlock()
	}
	ingests, err := c.loadIngests(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	thresholds, err := loadThresholds(ctx, c.cfg.Store, "")
	if err != nil {
		errs = append(errs, err)
	}
	c.mu.Lock()
	for org := range c.byOrg {
		if !seen[org] {
			delete(c.byOrg, org)
		}
	}
	maps.DeleteFunc(c.names, func(k nameKey, _ string) bool { return !seen[k.org] })
	c.samples = c.capped()
	if ingests != nil {
		c.ingests = ingests
	}
	if thresholds != nil {
		c.thresholds = thresholds
	}
	c.mu.Unlock()
	if len(errs) == 0 {
		c.lastSuccess.Set(float64(c.cfg.Now().UnixMilli()) / 1000)
	}
	return errors.Join(errs...)
}

// capped flattens byOrg in a fixed order (org-level series first, then by
// labels) and keeps at most MaxSeries. Called with mu held.
func (c *Collector) capped() []sample {
	var all []sample
	for _, ss := range c.byOrg {
		all = append(all, ss...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.orgLevel() != b.orgLevel() {
			return a.orgLevel()
		}
		if a.desc != b.desc {
			return a.desc.String() < b.desc.String()
		}
		for k := range a.labels {
			if a.labels[k] != b.labels[k] {
				return a.labels[k] < b.labels[k]
			}
		}
		return false
	})
	if len(all) > c.cfg.MaxSeries {
		c.dropped.Add(float64(len(all) - c.cfg.MaxSeries))
		all = all[:c.cfg.MaxSeries]
	}
	return all
}

// compute runs one KPI and times it.
func (c *Collector) compute(ctx context.Context, r Request) (*Result, error) {
	start := time.Now()
	r.Orgs = c.cfg.Settings
	res, err := Compute(ctx, c.cfg.Store, c.cfg.Facts, r)
	c.queryDuration.WithLabelValues(r.KPI).Observe(time.Since(start).Seconds())
	return res, err
}

// orgSamples computes one org's gauges: per window, each KPI by its scope
// (client, team or role), and the org-level value as the ratio of the
// scopes' summed parts (or its own query for a percentile).
func (c *Collector) orgSamples(ctx context.Context, org string) ([]sample, error) {
	now := c.cfg.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	tomorrow := today.AddDate(0, 0, 1)
	from30, _ := AlertWindow(now) // what the alerts compare, as the Alerts settings show it
	windows := []struct {
		name     string
		from, to time.Time
	}{
		{"month", time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC), tomorrow},
		{"30d", from30, tomorrow},
	}
	var out []sample
	add := func(d *prometheus.Desc, v float64, labels ...string) {
		out = append(out, sample{desc: d, labels: append([]string{org}, labels...), value: v})
	}
	// ratioKPI adds a ratio KPI by one scope and its org-level total.
	type part struct{ num, den []string }
	ratioKPI := func(d *prometheus.Desc, kpi, scope string, p part, window string, from, to time.Time, labelsOf func(g string) []string, withTotal bool) error {
		res, err := c.compute(ctx, Request{KPI: kpi, Org: org, From: from, To: to, GroupBy: scope, Now: now})
		if err != nil {
			return err
		}
		t := TableOf(res)
		var n, den float64
		for r := range t.Len() {
			// Work with no client (or team, role) counts in the org's total
			// only: its empty label would be the org-level series.
			if v, ok := t.Num(r, "value"); ok && t.Str(r, scope) != "" {
				add(d, v, labelsOf(t.Str(r, scope))...)
			}
			// A row whose numerator is unknown (a client's margin when none
			// of its hours has a cost rate) is left out of the total whole,
			// not counted as 0 over its revenue.
			var rn, rd float64
			known := true
			for _, col := range p.num {
				x, ok := t.Num(r, col)
				rn, known = rn+x, known && ok
			}
			for _, col := range p.den {
				x, _ := t.Num(r, col)
				rd += x
			}
			if known {
				n, den = n+rn, den+rd
			}
		}
		if withTotal && den != 0 {
			add(d, n/den, labelsOf("")...)
		}
		return nil
	}
	for _, w := range windows {
		win := w.name
		client := func(g string) []string { return []string{g, win} }
		steps := []func() error{
			func() error {
				return ratioKPI(descWriteOff, "write_off_rate", "client", part{[]string{"write_off_value"}, []string{"standard_value"}}, win, w.from, w.to, client, true)
			},
			func() error {
				return ratioKPI(descUtilization, "billable_utilization", "team", part{[]string{"billable_hours"}, []string{"available_hours"}}, win, w.from, w.to,
					func(g string) []string { return []string{g, "", win} }, true)
			},
			func() error {
				return ratioKPI(descUtilization, "billable_utilization", "role", part{[]string{"billable_hours"}, []string{"available_hours"}}, win, w.from, w.to,
					func(g string) []string { return []string{"", g, win} }, false)
			},
			func() error {
				return ratioKPI(descOnTime, "on_time_rate", "client", part{[]string{"on_time"}, []string{"delivered", "open_overdue"}}, win, w.from, w.to, client, true)
			},
			func() error {
				return ratioKPI(descMargin, "margin_pct", "client", part{[]string{"margin"}, []string{"revenue"}}, win, w.from, w.to, client, true)
			},
			func() error { // a percentile: the org's own, and per client; hours to seconds
				for _, scope := range []string{"", "client"} {
					res, err := c.compute(ctx, Request{KPI: "approval_time_p90", Org: org, From: w.from, To: w.to, GroupBy: scope, Now: now})
					if err != nil {
						return err
					}
					t := TableOf(res)
					for r := range t.Len() {
						g := t.Str(r, scope)
						if v, ok := t.Num(r, "value"); ok && t.Num0(r, "cycles") > 0 && (scope == "" || g != "") {
							add(descApprovalP90, v*3600, client(g)...)
						}
					}
				}
				return nil
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return nil, err
			}
		}
	}
	// Counts now, per client and for the org: open-overdue deliverables (due
	// in the last year) and stuck client reviews (past the org's limit).
	for _, n := range []struct {
		d        *prometheus.Desc
		kpi, col string
	}{{descOverdue, "on_time_rate", "open_overdue"}, {descStuck, "pending_reviews", "stuck"}} {
		res, err := c.compute(ctx, Request{KPI: n.kpi, Org: org, From: today.AddDate(-1, 0, 0), To: tomorrow, GroupBy: "client", Now: now})
		if err != nil {
			return nil, err
		}
		t := TableOf(res)
		var total float64
		for r := range t.Len() {
			v := t.Num0(r, n.col)
			total += v
			if g := t.Str(r, "client"); g != "" {
				add(n.d, v, g)
			}
		}
		add(n.d, total, "")
	}
	if err := c.actionSamples(ctx, org, add); err != nil {
		return nil, err
	}
	// Overage forecast of each active project's current budget period.
	res, err := c.compute(ctx, Request{KPI: "overage_forecast", Org: org, From: windows[0].from, To: tomorrow, GroupBy: "project", Now: now})
	if err != nil {
		return nil, err
	}
	t := TableOf(res)
	for r := range t.Len() {
		f, fok := t.Num(r, "forecast_hours")
		b, bok := t.Num(r, "budget_hours")
		if fok && bok && b > 0 {
			add(descOverage, f/b, t.Str(r, "project"))
		}
	}
	return out, nil
}

// actionSamples adds the loop's counts now (issue 18): the org's open
// actions and decisions, and those whose due day is before its today in
// its own time zone (Action.Overdue), per client with any open and for
// the org (0 when none is).
func (c *Collector) actionSamples(ctx context.Context, org string, add func(*prometheus.Desc, float64, ...string)) error {
	now, err := OrgNow(ctx, c.cfg.Store, c.cfg.Settings, org, c.cfg.Now())
	if err != nil {
		return err
	}
	today := Today(now)
	open, err := ListActions(ctx, c.cfg.Store, org, ActionFilter{OpenOnly: true})
	if err != nil {
		return err
	}
	type counts struct{ open, overdue float64 }
	var total counts
	byClient := map[string]*counts{}
	var clients []string
	for _, a := range open {
		n := &counts{}
		if a.Client != "" {
			if byClient[a.Client] == nil {
				byClient[a.Client] = n
				clients = append(clients, a.Client)
			}
			n = byClient[a.Client]
		}
		for _, x := range []*counts{&total, n} {
			x.open++
			if a.Overdue(today) {
				x.overdue++
			}
		}
	}
	add(descActionsOpen, total.open, "")
	add(descActionsOverdue, total.overdue, "")
	for _, cl := range clients {
		add(descActionsOpen, byClient[cl].open, cl)
		add(descActionsOverdue, byClient[cl].overdue, cl)
	}
	return nil
}

// orgNames reads the display names of an org (orgName, from the org list)
// and of its clients and projects.
func (c *Collector) orgNames(ctx context.Context, org, orgName string) (map[nameKey]string, error) {
	rows, err := c.cfg.Store.Query(ctx, store.QueryText("name_info"), store.Params{"org": org})
	if err != nil {
		return nil, err
	}
	names := map[nameKey]string{}
	if orgName != "" {
		names[nameKey{org, "org", org}] = orgName
	}
	for i := range rows.Len() {
		var kind, id, name string
		if err := rows.Scan(i, &kind, &id, &name); err != nil {
			return nil, err
		}
		names[nameKey{org, kind, id}] = name
	}
	return names, nil
}

func (c *Collector) loadIngests(ctx context.Context) ([]ingestStamp, error) {
	rows, err := c.cfg.Store.Query(ctx, store.QueryText("last_ingest"), nil)
	if err != nil {
		return nil, err
	}
	out := make([]ingestStamp, rows.Len())
	for i := range out {
		if err := rows.Scan(i, &out[i].org, &out[i].source, &out[i].at); err != nil {
			return nil, err
		}
	}
	return out, nil
}
