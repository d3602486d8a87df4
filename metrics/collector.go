package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// The KPI collector answers from what changed. It refreshes every org at
// start; then, every Check, it reads the orgs' data versions (Versions: in
// memory on the embedded engine, one small query on a server) and
// recomputes only the orgs whose version moved since their last refresh,
// the orgs that appeared, and every org once the UTC day (the month and
// 30-day windows) has moved. The gauges that change with the clock alone
// (on-time with its open-overdue deliverables, overdue deliverables, stuck
// reviews, open and overdue actions) are recomputed for every org each
// Interval, though no version moved; data age is computed at each scrape.
// One goroutine refreshes, one org at a time: a write that lands during a
// round is taken by the next. After each round that changed anything the
// KPI families are capped, encoded and compressed once
// (collector_exposition.go), and /metrics writes those bytes.

// CollectorConfig configures the KPI collector.
type CollectorConfig struct {
	Store  Querier
	Facts  *Facts // the store's entry facts, for the money KPIs
	Logger *slog.Logger
	// Registerer takes the collector's own metrics (refresh duration, lag,
	// errors, dropped series), the data freshness gauges and, unless
	// PreEncoded, the KPI families as a prometheus.Collector.
	Registerer prometheus.Registerer
	// Versions are the store's data versions; nil: Run recomputes every
	// org each Interval, as a full refresh.
	Versions *Versions
	// Interval is the cadence of the clock's gauges (and, without
	// Versions, of full refreshes); default 5 minutes. A scrape never runs
	// a KPI query: it reads what the last round computed.
	Interval time.Duration
	// Check is how often Run reads the data versions; default 2 seconds.
	Check time.Duration
	// MaxSeries caps the KPI series exported (default 50,000). Org-level
	// series are kept first; the scoped ones share what remains evenly
	// among the orgs (an org with fewer than its share keeps all of its).
	// The orgs that lost series are in opsmetrics_kpi_dropped_series{org}
	// and a kpi_series_capped log line.
	MaxSeries int
	// PreEncoded leaves the KPI families out of Registerer: Handler serves
	// them from the body encoded after each round. Without it they are
	// registered as a collector, built again at every Gather.
	PreEncoded bool
	// Orgs, when set, limits the gauges to these orgs; empty: every org.
	Orgs []string
	// Settings is where org settings are read; nil: from Store for
	// every KPI.
	Settings *org.Cache
	Now      func() time.Time // default time.Now
}

// DefaultMaxSeries is the default cap of KPI series: the 100 orgs of the
// 10M-entry benchmark export about 11,200; 50,000 leaves room for four
// times as many before anything is dropped.
const DefaultMaxSeries = 50_000

// Validate fills defaults and reports what is missing.
func (c *CollectorConfig) Validate() error {
	if c.Store == nil || c.Facts == nil || c.Logger == nil || c.Registerer == nil {
		return errors.New("kpi collector: store, facts, logger and registerer are required")
	}
	if c.Interval <= 0 {
		c.Interval = 5 * time.Minute
	}
	if c.Check <= 0 {
		c.Check = 2 * time.Second
	}
	if c.MaxSeries <= 0 {
		c.MaxSeries = DefaultMaxSeries
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
	famWriteOff    = kpiFamily("write_off_ratio", "Write-off value ÷ standard value of billable work (spec kpis.md §4).", "client", "window")
	famUtilization = kpiFamily("billable_utilization_ratio", "Billable hours ÷ available hours (spec kpis.md §2).", "team", "role", "window")
	famOnTime      = kpiFamily("on_time_ratio", "Deliverables delivered on time ÷ delivered and open-overdue (spec kpis.md §3).", "client", "window")
	famApprovalP90 = kpiFamily("approval_time_p90_seconds", "90th percentile of client approval time, calendar seconds (spec kpis.md §5).", "client", "window")
	famMargin      = kpiFamily("margin_ratio", "Margin ÷ revenue (spec kpis.md §6).", "client", "window")
	famOverdue     = kpiFamily("overdue_deliverables", "Open deliverables past their due date and grace days, now.", "client")
	famStuck       = kpiFamily("stuck_reviews", "Client review requests waiting for a decision longer than the org's stuck-review limit (48 hours unless set), now (spec kpis.md §5).", "client")
	famOverage     = kpiFamily("overage_forecast_ratio", "Forecast hours ÷ contracted hours of each active project's current budget period (> 1: heading over).", "project")
	famName        = newFamily("opsmetrics_name_info", "The display name of an id that KPI series carry as a label (kind org, client or project), for alert texts; always 1.",
		"org", "kind", "id", "name")
	famActionsOpen = newFamily("opsmetrics_report_actions_open",
		"Next month's actions and decisions of the monthly reports and retros that are open now, per org and client (a retro's count in the org's only).",
		"org", "client")
	famActionsOverdue = newFamily("opsmetrics_report_actions_overdue",
		"Open actions and decisions whose due day is before the org's today (its time zone), per org and client (a retro's count in the org's only).",
		"org", "client")
	famThreshold = newFamily("opsmetrics_alert_threshold", "An alert threshold set through the API; the generic rules compare each KPI gauge with it.",
		"org", "kpi", "client", "team", "comparator", "severity", "for", "threshold_id")

	descLastIngest = prometheus.NewDesc("opsmetrics_data_last_ingest_timestamp_seconds", "Unix time of the newest time entry or task event ingested, per source.", []string{"org", "source"}, nil)
	descDataAge    = prometheus.NewDesc("opsmetrics_data_age_seconds", "Seconds since the newest time entry or task event ingested, per source.", []string{"org", "source"}, nil)
)

// families are the ones the encoded body holds, by name.
var families = map[string]*family{}

func init() {
	for _, f := range []*family{famWriteOff, famUtilization, famOnTime, famApprovalP90, famMargin, famOverdue, famStuck, famOverage,
		famName, famActionsOpen, famActionsOverdue, famThreshold} {
		families[f.name] = f
	}
}

// idKinds are the families whose second label (after org) is the id of a
// client or a project, which opsmetrics_name_info names.
var idKinds = map[*family]string{famWriteOff: "client", famOnTime: "client", famApprovalP90: "client",
	famMargin: "client", famOverdue: "client", famStuck: "client", famOverage: "project",
	famActionsOpen: "client", famActionsOverdue: "client"}

func kpiFamily(name, help string, labels ...string) *family {
	return newFamily("opsmetrics_kpi_"+name, help, append([]string{"org"}, labels...)...)
}

// sample is one KPI series of a refresh.
type sample struct {
	fam    *family
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

// orgState is what the collector holds of one org.
type orgState struct {
	name      string
	computed  bool      // kpis hold a refresh
	version   string    // the data version kpis were computed at
	day       time.Time // the UTC day their windows end on
	kpis      []sample  // recomputed when the version or the day moves
	clock     []sample  // recomputed each Interval too
	names     map[nameKey]string
	limits    []sample  // the org's alert thresholds
	confirmed time.Time // when its gauges were last known to be at its data version
	retryAt   time.Time // after a failed refresh: not before
}

// Collector exports the KPI gauges of every org, refreshed from what
// changed (see the top of this file), the alert thresholds, and data
// freshness.
type Collector struct {
	cfg     CollectorConfig
	started time.Time

	rounds sync.Mutex // one round at a time; held by Refresh and Update

	mu         sync.RWMutex
	orgs       map[string]*orgState
	ingests    []ingestStamp
	encoded    *exposition
	lastClock  time.Time      // cfg.Now of the last clock pass (rounds)
	lastEncode time.Time      // (rounds)
	dropped    map[string]int // series dropped by org at the last encode (rounds)

	refreshSeconds prometheus.Gauge
	refreshErrors  prometheus.Counter
	lastSuccess    prometheus.Gauge
	droppedTotal   prometheus.Counter
	droppedByOrg   *prometheus.GaugeVec
	refreshed      *prometheus.CounterVec
	queryDuration  *prometheus.HistogramVec
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector registers the collector and its own metrics.
func NewCollector(cfg CollectorConfig) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Collector{cfg: cfg, started: time.Now(), orgs: map[string]*orgState{},
		refreshSeconds: prometheus.NewGauge(prometheus.GaugeOpts{Name: "opsmetrics_kpi_refresh_duration_seconds",
			Help: "How long the last refresh round that recomputed any org took."}),
		refreshErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "opsmetrics_kpi_refresh_errors_total",
			Help: "KPI refreshes (or an org's part of one) that failed."}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "opsmetrics_kpi_refresh_last_success_timestamp_seconds",
			Help: "Unix time of the last refresh round (a check of the data versions included) that completed without an error."}),
		droppedTotal: prometheus.NewCounter(prometheus.CounterOpts{Name: "opsmetrics_kpi_series_dropped_total",
			Help: "KPI series left out by the cardinality cap, summed over the refresh rounds that changed anything (opsmetrics_kpi_dropped_series says whose, now)."}),
		droppedByOrg: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "opsmetrics_kpi_dropped_series",
			Help: "KPI series of an org that the cardinality cap (--max-series) leaves out of /metrics now; only orgs that lost some."}, []string{"org"}),
		refreshed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opsmetrics_kpi_orgs_refreshed_total",
			Help: "Orgs whose gauges were recomputed, by part: all (their data version or day moved, or a full refresh) or clock (the gauges that move with the clock alone)."},
			[]string{"part"}),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "opsmetrics_query_duration_seconds",
			Help: "Duration of KPI queries run by the collector.", Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"kpi"}),
	}
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "opsmetrics_kpi_refresh_lag_seconds",
		Help: "Seconds since the gauges of the org that has waited longest were last known current: a write moves the org's data version, and its gauges lag until its refresh."},
		c.lag)
	series := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "opsmetrics_kpi_series",
		Help: "KPI series /metrics exports now (after the cap; thresholds and names not counted)."}, c.seriesCount)
	ms := []prometheus.Collector{freshness{c}, c.refreshSeconds, c.refreshErrors, c.lastSuccess, c.droppedTotal, c.droppedByOrg,
		c.refreshed, c.queryDuration, lag, series}
	if !cfg.PreEncoded {
		ms = append(ms, c)
	}
	for _, m := range ms {
		if err := cfg.Registerer.Register(m); err != nil {
			return nil, err
		}
	}
	for _, part := range []string{"all", "clock"} {
		c.refreshed.WithLabelValues(part)
	}
	return c, nil
}

// Describe sends the KPI, threshold and name families.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range families {
		ch <- f.desc
	}
}

// Collect sends the families of the last encoding; it runs no query.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	e := c.encoded
	c.mu.RUnlock()
	if e == nil {
		return
	}
	for _, f := range e.families {
		desc := families[f.GetName()].desc
		for _, m := range f.GetMetric() {
			ch <- dtoMetric{desc, m}
		}
	}
}

// freshness exports the newest ingest per org and source, and its age as
// of the scrape.
type freshness struct{ c *Collector }

func (f freshness) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLastIngest
	ch <- descDataAge
}

func (f freshness) Collect(ch chan<- prometheus.Metric) {
	f.c.mu.RLock()
	ingests := f.c.ingests
	f.c.mu.RUnlock()
	now := f.c.cfg.Now()
	for _, in := range ingests {
		ch <- prometheus.MustNewConstMetric(descLastIngest, prometheus.GaugeValue, float64(in.at.UnixMilli())/1000, in.org, in.source)
		ch <- prometheus.MustNewConstMetric(descDataAge, prometheus.GaugeValue, now.Sub(in.at).Seconds(), in.org, in.source)
	}
}

// lag is opsmetrics_kpi_refresh_lag_seconds.
func (c *Collector) lag() float64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	oldest := time.Time{}
	if len(c.orgs) == 0 && c.encoded == nil {
		oldest = c.started // nothing listed yet
	}
	for _, st := range c.orgs {
		at := st.confirmed
		if at.IsZero() {
			at = c.started
		}
		if oldest.IsZero() || at.Before(oldest) {
			oldest = at
		}
	}
	if oldest.IsZero() {
		return 0
	}
	return time.Since(oldest).Seconds()
}

func (c *Collector) seriesCount() float64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.encoded == nil {
		return 0
	}
	return float64(c.encoded.series)
}

// Run refreshes every org at once, then checks the data versions every
// Check (or, without Versions, refreshes every org every Interval) until
// ctx ends.
func (c *Collector) Run(ctx context.Context) {
	ctx = WithSurface(ctx, "collector")
	period := c.cfg.Check
	if c.cfg.Versions == nil {
		period = c.cfg.Interval
	}
	t := time.NewTicker(period)
	defer t.Stop()
	round := c.Refresh
	for {
		if err := round(ctx); err != nil && ctx.Err() == nil {
			c.cfg.Logger.Warn("kpi_refresh_failed", "err", err)
		}
		round = c.Update
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Forget drops every org's gauges and the encoded body, so /metrics shows
// no KPI series until the next Run: a replica that stops refreshing (it
// lost the refresh's lease to another) does not go on serving numbers
// that no longer move. Call it when Run has returned.
func (c *Collector) Forget() {
	c.rounds.Lock()
	defer c.rounds.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.orgs)
	c.encoded = nil
}

// Refresh recomputes every org's gauges, thresholds and names, and the
// data freshness, and encodes /metrics. An org whose queries fail keeps
// its previous gauges; the error is counted and returned after the others
// are done.
func (c *Collector) Refresh(ctx context.Context) error {
	return c.round(ctx, true)
}

// Update recomputes the orgs whose data version or UTC day moved since
// their last refresh (and new ones), and the clock's gauges of every org
// when Interval has passed since they were; without Versions, every org.
// Errors as Refresh's.
func (c *Collector) Update(ctx context.Context) error {
	return c.round(ctx, c.cfg.Versions == nil)
}

type orgRef struct{ id, name string }

func (c *Collector) round(ctx context.Context, all bool) error {
	c.rounds.Lock()
	defer c.rounds.Unlock()
	ctx = WithSurface(ctx, "collector")
	start := time.Now()
	now := c.cfg.Now()
	day := Today(now.UTC())
	list, err := c.listOrgs(ctx)
	var versions map[string]string
	if err == nil && c.cfg.Versions != nil {
		ids := make([]string, len(list))
		for i, o := range list {
			ids[i] = o.id
		}
		versions, err = c.cfg.Versions.Many(ctx, ids)
	}
	if err != nil {
		c.refreshErrors.Inc()
		return err
	}
	checked := time.Now() // the versions are as of here, or later
	clockDue := all || c.lastClock.IsZero() || now.Sub(c.lastClock) >= c.cfg.Interval
	if clockDue {
		c.lastClock = now
	}
	type job struct {
		orgRef
		full bool
	}
	var jobs []job
	c.mu.Lock()
	seen := map[string]bool{}
	for _, o := range list {
		seen[o.id] = true
		st := c.orgs[o.id]
		if st == nil {
			st = &orgState{}
			c.orgs[o.id] = st
		}
		moved := all || !st.computed || st.name != o.name || versions[o.id] != st.version || !st.day.Equal(day)
		st.name = o.name
		switch {
		case moved && (all || !checked.Before(st.retryAt)):
			jobs = append(jobs, job{o, true})
		case moved: // failed lately: it waits, and lags
		case clockDue:
			st.confirmed = checked
			jobs = append(jobs, job{o, false})
		default:
			st.confirmed = checked
		}
	}
	removed := len(c.orgs) > len(seen)
	maps.DeleteFunc(c.orgs, func(id string, _ *orgState) bool { return !seen[id] })
	c.mu.Unlock()

	var errs []error
	full, clock := 0, 0
	for _, j := range jobs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if j.full {
			got, err := c.orgAll(ctx, j.orgRef, now)
			if err == nil {
				got.version, got.day, got.confirmed, got.computed = versions[j.id], day, checked, true
				c.mu.Lock()
				c.orgs[j.id] = got
				c.mu.Unlock()
				full++
				c.refreshed.WithLabelValues("all").Inc()
			} else {
				errs = append(errs, c.orgFailed(j.id, err))
			}
		} else {
			got, err := c.clockSamples(ctx, j.id, now)
			if err == nil {
				c.mu.Lock()
				if st := c.orgs[j.id]; st != nil {
					st.clock = got
				}
				c.mu.Unlock()
				clock++
				c.refreshed.WithLabelValues("clock").Inc()
			} else {
				errs = append(errs, c.orgFailed(j.id, err))
			}
		}
		// A long round (the first one) shows what it has so far.
		if time.Since(start) > 10*time.Second && time.Since(c.lastEncode) > 10*time.Second {
			if err := c.publish(false); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if full > 0 || removed {
		ingests, err := c.loadIngests(ctx)
		if err != nil {
			c.refreshErrors.Inc()
			errs = append(errs, err)
		} else {
			c.mu.Lock()
			c.ingests = ingests
			c.mu.Unlock()
		}
	}
	if full+clock > 0 || removed || c.encoded == nil {
		if err := c.publish(true); err != nil {
			errs = append(errs, err)
		}
		c.refreshSeconds.Set(time.Since(start).Seconds())
		c.cfg.Logger.Debug("kpi_refresh_round", "orgs_all", full, "orgs_clock", clock, "seconds", time.Since(start).Seconds())
	}
	if len(errs) == 0 {
		c.lastSuccess.Set(float64(c.cfg.Now().UnixMilli()) / 1000)
	}
	return errors.Join(errs...)
}

// orgFailed counts and logs an org's failed refresh; the org keeps its
// gauges and is retried after a pause. It returns err naming the org.
func (c *Collector) orgFailed(id string, err error) error {
	c.refreshErrors.Inc()
	c.cfg.Logger.Warn("kpi_refresh_org_failed", "org", id, "err", err)
	c.mu.Lock()
	if st := c.orgs[id]; st != nil {
		st.retryAt = time.Now().Add(min(c.cfg.Interval, time.Minute))
	}
	c.mu.Unlock()
	return fmt.Errorf("org %s: %w", id, err)
}

// listOrgs reads the orgs to export (Orgs of them, when set).
func (c *Collector) listOrgs(ctx context.Context) ([]orgRef, error) {
	rows, err := c.cfg.Store.Query(ctx, store.QueryText("org_list"), nil)
	if err != nil {
		return nil, err
	}
	var out []orgRef
	for i := range rows.Len() {
		var o orgRef
		if err := rows.Scan(i, &o.id, &o.name); err != nil {
			return nil, err
		}
		if len(c.cfg.Orgs) == 0 || slices.Contains(c.cfg.Orgs, o.id) {
			out = append(out, o)
		}
	}
	return out, nil
}

// orgAll computes all of an org's gauges, names and thresholds.
func (c *Collector) orgAll(ctx context.Context, o orgRef, now time.Time) (*orgState, error) {
	kpis, err := c.kpiSamples(ctx, o.id, now)
	if err != nil {
		return nil, err
	}
	clock, err := c.clockSamples(ctx, o.id, now)
	if err != nil {
		return nil, err
	}
	names, err := c.orgNames(ctx, o.id, o.name)
	if err != nil {
		return nil, err
	}
	ts, err := loadThresholds(ctx, c.cfg.Store, o.id)
	if err != nil {
		return nil, err
	}
	st := &orgState{name: o.name, kpis: kpis, clock: clock, names: names}
	for _, ot := range ts {
		t := ot.t
		var client, team string
		switch t.Scope {
		case "client":
			client = t.ScopeValue
		case "team":
			team = t.ScopeValue
		}
		st.limits = append(st.limits, sample{famThreshold, []string{ot.org, t.KPI, client, team, t.Comparator, t.Severity, ForLabel(t.For.Duration), t.ID},
			t.Value.Mul(ThresholdKPIs[t.KPI].perBase()).InexactFloat64()})
	}
	return st, nil
}

// publish caps every org's series, encodes them with the names of what is
// kept and the thresholds, and reports the orgs that lost series. Called
// by rounds only; final is the round's last, which counts what it drops in
// opsmetrics_kpi_series_dropped_total.
func (c *Collector) publish(final bool) error {
	c.mu.RLock()
	byOrg := make(map[string][]sample, len(c.orgs))
	var extra []sample
	allNames := map[nameKey]string{}
	for id, st := range c.orgs {
		byOrg[id] = slices.Concat(st.kpis, st.clock)
		extra = append(extra, st.limits...)
		maps.Copy(allNames, st.names)
	}
	c.mu.RUnlock()
	kept, dropped := capSeries(byOrg, c.cfg.MaxSeries)
	named := map[nameKey]bool{}
	name := func(k nameKey) {
		if n, ok := allNames[k]; ok && !named[k] {
			named[k] = true
			extra = append(extra, sample{famName, []string{k.org, k.kind, k.id, n}, 1})
		}
	}
	for _, s := range kept {
		name(nameKey{s.labels[0], "org", s.labels[0]})
		if kind, ok := idKinds[s.fam]; ok && s.labels[1] != "" {
			name(nameKey{s.labels[0], kind, s.labels[1]})
		}
	}
	e, err := encode(kept, extra)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.encoded = e
	c.mu.Unlock()
	c.lastEncode = time.Now()
	total := 0
	for _, n := range dropped {
		total += n
	}
	if final {
		c.droppedTotal.Add(float64(total))
	}
	if !maps.Equal(dropped, c.dropped) {
		c.droppedByOrg.Reset()
		var orgs []string
		for _, id := range slices.Sorted(maps.Keys(dropped)) {
			c.droppedByOrg.WithLabelValues(id).Set(float64(dropped[id]))
			orgs = append(orgs, fmt.Sprintf("%s (%d)", id, dropped[id]))
		}
		if total > 0 {
			c.cfg.Logger.Warn("kpi_series_capped", "max_series", c.cfg.MaxSeries, "dropped", total, "orgs", strings.Join(orgs, ", "))
		}
		c.dropped = dropped
	}
	return nil
}

// capSeries keeps at most max of byOrg's series: every org's org-level
// series first (in org order while they fit), then the scoped ones shared
// evenly (water-filling: an org with fewer than the even share keeps all
// of its, and what it leaves goes to the others). Within an org, scoped
// series are kept by family and labels. dropped counts the series left out
// per org, only orgs that lost some.
func capSeries(byOrg map[string][]sample, limit int) (kept []sample, dropped map[string]int) {
	dropped = map[string]int{}
	ids := slices.Sorted(maps.Keys(byOrg))
	scoped := map[string][]sample{}
	budget := limit
	for _, id := range ids {
		for _, s := range byOrg[id] {
			switch {
			case !s.orgLevel():
				scoped[id] = append(scoped[id], s)
			case budget > 0:
				kept = append(kept, s)
				budget--
			default:
				dropped[id]++
			}
		}
	}
	// Fill the smallest first, so each org's share is what is left over
	// the orgs still to fill.
	bySize := slices.Clone(ids)
	slices.SortStableFunc(bySize, func(a, b string) int { return len(scoped[a]) - len(scoped[b]) })
	for i, id := range bySize {
		ss := scoped[id]
		share := budget / (len(bySize) - i)
		n := min(len(ss), share)
		if n < len(ss) {
			slices.SortFunc(ss, compareSamples)
			dropped[id] += len(ss) - n
		}
		kept = append(kept, ss[:n]...)
		budget -= n
	}
	return kept, dropped
}

func compareSamples(a, b sample) int {
	if c := strings.Compare(a.fam.name, b.fam.name); c != 0 {
		return c
	}
	return slices.Compare(a.labels, b.labels)
}

// compute runs one KPI and times it.
func (c *Collector) compute(ctx context.Context, r Request) (*Result, error) {
	start := time.Now()
	r.Orgs = c.cfg.Settings
	res, err := Compute(ctx, c.cfg.Store, c.cfg.Facts, r)
	c.queryDuration.WithLabelValues(r.KPI).Observe(time.Since(start).Seconds())
	return res, err
}

// window is a range the ratio KPIs are exported over.
type window struct {
	name     string
	from, to time.Time
}

// windows are the month to date and the trailing 30 days (what the alerts
// compare, as the Alerts settings show it), both to the end of now's UTC
// day.
func windows(now time.Time) []window {
	today := Today(now.UTC())
	tomorrow := today.AddDate(0, 0, 1)
	from30, _ := AlertWindow(now)
	return []window{
		{"month", time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC), tomorrow},
		{"30d", from30, tomorrow},
	}
}

// ratioPart names the columns summed for a ratio's org-level total.
type ratioPart struct{ num, den []string }

// ratioKPI adds a ratio KPI by one scope and, withTotal, its org-level
// total: the ratio of the scopes' summed parts.
func (c *Collector) ratioKPI(ctx context.Context, add func(*family, float64, ...string), org string, now time.Time, f *family, kpi, scope string,
	p ratioPart, w window, labelsOf func(g string) []string, withTotal bool) error {
	res, err := c.compute(ctx, Request{KPI: kpi, Org: org, From: w.from, To: w.to, GroupBy: scope, Now: now})
	if err != nil {
		return err
	}
	t := TableOf(res)
	var n, den float64
	for r := range t.Len() {
		// Work with no client (or team, role) counts in the org's total
		// only: its empty label would be the org-level series.
		if v, ok := t.Num(r, "value"); ok && t.Str(r, scope) != "" {
			add(f, v, labelsOf(t.Str(r, scope))...)
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
		add(f, n/den, labelsOf("")...)
	}
	return nil
}

// adder returns a function that appends an org's sample to *out.
func adder(org string, out *[]sample) func(*family, float64, ...string) {
	return func(f *family, v float64, labels ...string) {
		*out = append(*out, sample{fam: f, labels: append([]string{org}, labels...), value: v})
	}
}

// kpiSamples computes the gauges of one org that move only with its data
// and the UTC day: per window, each KPI by its scope (client, team or
// role) and the org-level value as the ratio of the scopes' summed parts
// (or its own query for a percentile); then the overage forecast.
func (c *Collector) kpiSamples(ctx context.Context, org string, now time.Time) ([]sample, error) {
	now = now.UTC()
	ws := windows(now)
	// Each job adds to its own slice, run two at a time (RunQueries), and
	// the slices are joined in the jobs' order, so a round's series come
	// out in the same order whichever query ends first.
	var jobs []func(add func(*family, float64, ...string)) error
	for _, w := range ws {
		win := w.name
		client := func(g string) []string { return []string{g, win} }
		jobs = append(jobs,
			func(add func(*family, float64, ...string)) error {
				return c.ratioKPI(ctx, add, org, now, famWriteOff, "write_off_rate", "client", ratioPart{[]string{"write_off_value"}, []string{"standard_value"}}, w, client, true)
			},
			func(add func(*family, float64, ...string)) error {
				return c.ratioKPI(ctx, add, org, now, famUtilization, "billable_utilization", "team", ratioPart{[]string{"billable_hours"}, []string{"available_hours"}}, w,
					func(g string) []string { return []string{g, "", win} }, true)
			},
			func(add func(*family, float64, ...string)) error {
				return c.ratioKPI(ctx, add, org, now, famUtilization, "billable_utilization", "role", ratioPart{[]string{"billable_hours"}, []string{"available_hours"}}, w,
					func(g string) []string { return []string{"", g, win} }, false)
			},
			func(add func(*family, float64, ...string)) error {
				return c.ratioKPI(ctx, add, org, now, famMargin, "margin_pct", "client", ratioPart{[]string{"margin"}, []string{"revenue"}}, w, client, true)
			},
		)
		for _, scope := range []string{"", "client"} { // a percentile: the org's own, and per client; hours to seconds
			jobs = append(jobs, func(add func(*family, float64, ...string)) error {
				res, err := c.compute(ctx, Request{KPI: "approval_time_p90", Org: org, From: w.from, To: w.to, GroupBy: scope, Now: now})
				if err != nil {
					return err
				}
				t := TableOf(res)
				for r := range t.Len() {
					g := t.Str(r, scope)
					if v, ok := t.Num(r, "value"); ok && t.Num0(r, "cycles") > 0 && (scope == "" || g != "") {
						add(famApprovalP90, v*3600, client(g)...)
					}
				}
				return nil
			})
		}
	}
	// Overage forecast of each active project's current budget period.
	jobs = append(jobs, func(add func(*family, float64, ...string)) error {
		res, err := c.compute(ctx, Request{KPI: "overage_forecast", Org: org, From: ws[0].from, To: ws[0].to, GroupBy: "project", Now: now})
		if err != nil {
			return err
		}
		t := TableOf(res)
		for r := range t.Len() {
			f, fok := t.Num(r, "forecast_hours")
			b, bok := t.Num(r, "budget_hours")
			if fok && bok && b > 0 {
				add(famOverage, f/b, t.Str(r, "project"))
			}
		}
		return nil
	})
	parts := make([][]sample, len(jobs))
	run := make([]func(context.Context) error, len(jobs))
	for i, job := range jobs {
		run[i] = func(context.Context) error { return job(adder(org, &parts[i])) }
	}
	if err := RunQueries(ctx, run...); err != nil {
		return nil, err
	}
	return slices.Concat(parts...), nil
}

// clockSamples computes the gauges of one org that move with the clock
// alone: on-time per window (its open-overdue deliverables are counted as
// of now), the counts now of open-overdue deliverables (due in the last
// year) and of stuck client reviews (past the org's limit), per client and
// for the org, and the open and overdue actions.
func (c *Collector) clockSamples(ctx context.Context, org string, now time.Time) ([]sample, error) {
	now = now.UTC()
	var out []sample
	add := adder(org, &out)
	ws := windows(now)
	for _, w := range ws {
		win := w.name
		if err := c.ratioKPI(ctx, add, org, now, famOnTime, "on_time_rate", "client", ratioPart{[]string{"on_time"}, []string{"delivered", "open_overdue"}}, w,
			func(g string) []string { return []string{g, win} }, true); err != nil {
			return nil, err
		}
	}
	tomorrow := ws[0].to
	for _, n := range []struct {
		f        *family
		kpi, col string
	}{{famOverdue, "on_time_rate", "open_overdue"}, {famStuck, "pending_reviews", "stuck"}} {
		res, err := c.compute(ctx, Request{KPI: n.kpi, Org: org, From: tomorrow.AddDate(-1, 0, -1), To: tomorrow, GroupBy: "client", Now: now})
		if err != nil {
			return nil, err
		}
		t := TableOf(res)
		var total float64
		for r := range t.Len() {
			v := t.Num0(r, n.col)
			total += v
			if g := t.Str(r, "client"); g != "" {
				add(n.f, v, g)
			}
		}
		add(n.f, total, "")
	}
	if err := c.actionSamples(ctx, org, add); err != nil {
		return nil, err
	}
	return out, nil
}

// actionSamples adds the loop's counts now (issue 18): the org's open
// actions and decisions, and those whose due day is before its today in
// its own time zone (Action.Overdue), per client with any open and for
// the org (0 when none is).
func (c *Collector) actionSamples(ctx context.Context, org string, add func(*family, float64, ...string)) error {
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
	add(famActionsOpen, total.open, "")
	add(famActionsOverdue, total.overdue, "")
	for _, cl := range clients {
		add(famActionsOpen, byClient[cl].open, cl)
		add(famActionsOverdue, byClient[cl].overdue, cl)
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
