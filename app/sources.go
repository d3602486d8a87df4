package app

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// newCollector builds the collector of connected sources and registers its
// metrics: opsmetrics_source_sync_* with the labels org, source (the id)
// and kind only; never a token, an account or an error text.
func newCollector(sources *collect.Sources, s store.Store, im *importer.Importer, log *slog.Logger, reg prometheus.Registerer) (*collect.Collector, error) {
	labels := []string{"org", "source", "kind"}
	failures := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opsmetrics_source_sync_failures_total",
		Help: "Syncs of a connected source that failed."}, labels)
	rows := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opsmetrics_source_sync_rows_total",
		Help: "Records syncs of a connected source wrote, by result: added, updated, deleted (tombstones) or rejected."},
		append(labels, "result"))
	col, err := collect.New(collect.Config{Sources: sources, Importer: im, Store: s, Logger: log,
		Synced: func(st collect.Status, r collect.Result, err error) {
			if err != nil {
				failures.WithLabelValues(st.Org, st.ID, st.Kind).Inc()
				return
			}
			for result, n := range map[string]int{"added": r.Added, "updated": r.Updated, "deleted": r.Deleted, "rejected": r.Rejected} {
				rows.WithLabelValues(st.Org, st.ID, st.Kind, result).Add(float64(n))
			}
		}})
	if err != nil {
		return nil, err
	}
	for _, c := range []prometheus.Collector{failures, rows, &sourceGauges{col: col}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return col, nil
}

// sourceGauges exports each source's state as the scheduler last read it.
type sourceGauges struct{ col *collect.Collector }

var (
	lastSuccessDesc = prometheus.NewDesc("opsmetrics_source_sync_last_success_timestamp_seconds",
		"When the last successful sync of a connected source started (0: never).", []string{"org", "source", "kind"}, nil)
	failingSinceDesc = prometheus.NewDesc("opsmetrics_source_sync_failing_since_timestamp_seconds",
		"When a connected source's syncs began to fail, 0 while they succeed; OpsmetricsSourceSyncFailing reads it.",
		[]string{"org", "source", "kind"}, nil)
	needsTokenDesc = prometheus.NewDesc("opsmetrics_source_sync_needs_token",
		"1 when the tool refused a connected source's token: it is not synced until given a new one.", []string{"org", "source", "kind"}, nil)
)

func (g *sourceGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- lastSuccessDesc
	ch <- failingSinceDesc
	ch <- needsTokenDesc
}

func (g *sourceGauges) Collect(ch chan<- prometheus.Metric) {
	for _, st := range g.col.Statuses() {
		stateGauges(ch, [3]*prometheus.Desc{lastSuccessDesc, failingSinceDesc, needsTokenDesc},
			st.State.LastSuccess, st.State.FailingSince, st.State.NeedsToken, st.Org, st.ID, st.Kind)
	}
}

// stateGauges sends the gauges of a scheduled job's state (a source's
// syncs, a hook's reconciliations) with labels: descs are its last
// success, its failing since (each a Unix time, 0 for none) and its
// needs-token (1 or 0).
func stateGauges(ch chan<- prometheus.Metric, descs [3]*prometheus.Desc, lastSuccess, failingSince *time.Time, needsToken bool, labels ...string) {
	unix := func(t *time.Time) float64 {
		if t == nil {
			return 0
		}
		return float64(t.Unix())
	}
	var needs float64
	if needsToken {
		needs = 1
	}
	ch <- prometheus.MustNewConstMetric(descs[0], prometheus.GaugeValue, unix(lastSuccess), labels...)
	ch <- prometheus.MustNewConstMetric(descs[1], prometheus.GaugeValue, unix(failingSince), labels...)
	ch <- prometheus.MustNewConstMetric(descs[2], prometheus.GaugeValue, needs, labels...)
}
