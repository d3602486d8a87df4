package app

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/ingest/hook/spool"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// webhooks are the task tools' webhooks of a running service: the spool
// they are kept in before the 2xx, the receiver of /hooks/{id}, the worker
// that applies the spool and the scheduler that reconciles the hooks with
// a token.
type webhooks struct {
	spool     *spool.Spool
	receiver  *hook.Receiver
	worker    *hook.Worker
	scheduler *hook.Scheduler
}

// webhooksConfig is what newWebhooks needs.
type webhooksConfig struct {
	Store    store.Store
	Importer *importer.Importer
	Logger   *slog.Logger
	Sealer   *auth.Sealer
	Sources  *collect.Sources // whose fenced leases the reconciler shares
	Dir      string           // the spool's
	Mappers  func(string, hook.API) (hook.Mapper, bool)
	Mappings *hook.Mappings // the one the mapping API changes
	Settings *org.Cache
	// ReconcileEvery is how often each hook with a token is reconciled.
	ReconcileEvery time.Duration
	Registerer     prometheus.Registerer
}

// newWebhooks opens the spool in cfg.Dir and builds the receiver, worker
// and scheduler, and registers their metrics: opsmetrics_hook_deliveries_total{tool,
// status}, the spool's pending gauges and opsmetrics_hook_reconcile_*. The
// caller runs the worker and the scheduler and closes the spool.
func newWebhooks(cfg webhooksConfig) (*webhooks, error) {
	log := cfg.Logger
	hooks, err := hook.NewHooks(hook.HooksConfig{Store: cfg.Store, Sealer: cfg.Sealer})
	if err != nil {
		return nil, err
	}
	sp, err := spool.Open(spool.Config{Dir: cfg.Dir, Logger: log})
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
	w, err := hook.NewWorker(hook.WorkerConfig{Hooks: hooks, Store: cfg.Store, Importer: cfg.Importer, Logger: log, Queue: sp,
		Mappers: cfg.Mappers, Mappings: cfg.Mappings, Settings: cfg.Settings, Counted: count})
	if err != nil {
		return fail(err)
	}
	recon, err := hook.NewReconciliation(hook.ReconcileConfig{Importer: cfg.Importer, Store: cfg.Store, Logger: log})
	if err != nil {
		return fail(err)
	}
	runs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opsmetrics_hook_reconcile_runs_total",
		Help: "Reconciliations of a hook with the tool's API, by tool and result: ok or failed."}, []string{"tool", "result"})
	added := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opsmetrics_hook_reconcile_events_added_total",
		Help: "Task events the reconciler added that the webhooks had missed, by tool."}, []string{"tool"})
	sched, err := hook.NewScheduler(hook.SchedulerConfig{Hooks: hooks, Reconciliation: recon, Leases: cfg.Sources, Logger: log,
		Mappings: cfg.Mappings, Settings: cfg.Settings, Every: cfg.ReconcileEvery,
		Done: func(h hook.Hook, _ hook.ReconcileState, res hook.ReconcileResult, err error) {
			result := "ok"
			if err != nil {
				result = "failed"
			}
			runs.WithLabelValues(h.Tool, result).Inc()
			added.WithLabelValues(h.Tool).Add(float64(res.Added))
		}})
	if err != nil {
		return fail(err)
	}
	for _, c := range []prometheus.Collector{deliveries, &spoolGauges{sp: sp}, runs, added, &reconcileGauges{s: sched}} {
		if err := cfg.Registerer.Register(c); err != nil {
			return fail(err)
		}
	}
	return &webhooks{spool: sp, receiver: rc, worker: w, scheduler: sched}, nil
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

// reconcileGauges export each reconcilable hook's state as the scheduler
// last read it: a removed hook drops out at its next look.
type reconcileGauges struct{ s *hook.Scheduler }

var (
	reconcileLabels          = []string{"org", "hook", "tool"}
	reconcileLastSuccessDesc = prometheus.NewDesc("opsmetrics_hook_reconcile_last_success_timestamp_seconds",
		"When the last successful reconciliation of a hook started (0: never).", reconcileLabels, nil)
	reconcileFailingDesc = prometheus.NewDesc("opsmetrics_hook_reconcile_failing_since_timestamp_seconds",
		"When a hook's reconciliations began to fail, 0 while they succeed; OpsmetricsHookReconcileFailing reads it.", reconcileLabels, nil)
	reconcileNeedsTokenDesc = prometheus.NewDesc("opsmetrics_hook_reconcile_needs_token",
		"1 when the tool refused a hook's API token: it is not reconciled until the hook is added again with a new one.", reconcileLabels, nil)
)

func (g *reconcileGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- reconcileLastSuccessDesc
	ch <- reconcileFailingDesc
	ch <- reconcileNeedsTokenDesc
}

func (g *reconcileGauges) Collect(ch chan<- prometheus.Metric) {
	for _, l := range g.s.Statuses() {
		var st hook.ReconcileState // never run: no success, not failing
		if l.Reconcile != nil {
			st = *l.Reconcile
		}
		stateGauges(ch, [3]*prometheus.Desc{reconcileLastSuccessDesc, reconcileFailingDesc, reconcileNeedsTokenDesc},
			st.LastSuccess, st.FailingSince, st.NeedsToken, l.Org, l.ID, l.Tool)
	}
}
