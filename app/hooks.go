package app

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/ingest/hook/spool"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// webhooks are the task tools' webhooks of a running service: the spool
// they are kept in before the 2xx, the receiver of /hooks/{id} and the
// worker that applies the spool.
type webhooks struct {
	spool    *spool.Spool
	receiver *hook.Receiver
	worker   *hook.Worker
}

// newWebhooks opens the spool in dir and builds the receiver and worker,
// and registers their metrics: opsmetrics_hook_deliveries_total{tool,
// status} and the spool's pending gauges. The caller runs the worker and
// closes the spool.
func newWebhooks(s store.Store, im *importer.Importer, log *slog.Logger, key []byte, dir string, reg prometheus.Registerer) (*webhooks, error) {
	sealer, err := auth.NewSealer(key)
	if err != nil {
		return nil, err
	}
	hooks, err := hook.NewHooks(hook.HooksConfig{Store: s, Sealer: sealer})
	if err != nil {
		return nil, err
	}
	sp, err := spool.Open(spool.Config{Dir: dir, Logger: log})
	if err != nil {
		return nil, err
	}
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opsmetrics_hook_deliveries_total",
		Help: "Webhook deliveries by tool and outcome: applied, ignored, failed (its body could not be mapped) or rejected (a missing or wrong signature)."},
		[]string{"tool", "status"})
	count := func(tool, status string) { deliveries.WithLabelValues(tool, status).Inc() }
	fail := func(err error) (*webhooks, error) { sp.Close(); return nil, err }
	rc, err := hook.NewReceiver(hook.ReceiverConfig{Hooks: hooks, Spool: sp, Logger: log, Counted: count})
	if err != nil {
		return fail(err)
	}
	w, err := hook.NewWorker(hook.WorkerConfig{Hooks: hooks, Store: s, Importer: im, Logger: log, Queue: sp, Counted: count})
	if err != nil {
		return fail(err)
	}
	for _, c := range []prometheus.Collector{deliveries, &spoolGauges{sp: sp}} {
		if err := reg.Register(c); err != nil {
			return fail(err)
		}
	}
	return &webhooks{spool: sp, receiver: rc, worker: w}, nil
}

// spoolGauges export how much the webhook spool holds that is not applied.
type spoolGauges struct{ sp *spool.Spool }

var (
	spoolPendingDesc = prometheus.NewDesc("opsmetrics_hook_spool_pending",
		"Webhook deliveries kept in the spool and not applied yet.", nil, nil)
	spoolAgeDesc = prometheus.NewDesc("opsmetrics_hook_spool_oldest_pending_age_seconds",
		"Age of the oldest delivery in the spool not applied yet, 0 when none is; OpsmetricsHookSpoolStuck reads it.", nil, nil)
)

func (g *spoolGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- spoolPendingDesc
	ch <- spoolAgeDesc
}

func (g *spoolGauges) Collect(ch chan<- prometheus.Metric) {
	st := g.sp.Stats()
	var age float64
	if !st.Oldest.IsZero() {
		age = time.Since(st.Oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(spoolPendingDesc, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(spoolAgeDesc, prometheus.GaugeValue, age)
}
