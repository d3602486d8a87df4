package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/metrics"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// leader runs a job that must run on one serve replica at a time, of all
// those on one ClickHouse server (the KPI refresh): only while this
// replica holds the job's lease (collect.Leases, org "", key the job's
// name). The lease is renewed while the job runs and checked every third
// of its TTL; once it is lost (this replica stalled past it, another took
// it over) the job's context ends. A replica that does not hold it tries
// again every retry, so when the holder stops, another takes over within
// the lease's TTL. On the embedded engine the one process takes it at once.
type leader struct {
	leases *collect.Leases
	key    string // the job's lease key
	owner  string // this replica, in the lease's claims
	every  time.Duration
	retry  time.Duration
	log    *slog.Logger
	// held is told true when this replica starts the job under the lease
	// and false when the job has ended (lost, or ctx ended).
	held func(bool)
}

// run runs job under the lease until ctx ends.
func (l *leader) run(ctx context.Context, job func(context.Context)) {
	for {
		lease, err := l.leases.Hold(ctx, "", l.key, l.owner)
		if err != nil && ctx.Err() == nil {
			l.log.Warn("lease_failed", "lease", l.key, "err", err)
		}
		if lease != nil {
			l.log.Info("lease_taken", "lease", l.key, "owner", l.owner)
			l.under(ctx, lease, job)
			l.log.Info("lease_ended", "lease", l.key, "owner", l.owner)
		}
		t := time.NewTimer(l.retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// under runs job while lease holds, then releases it.
func (l *leader) under(ctx context.Context, lease *collect.Lease, job func(context.Context)) {
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := lease.Keep(jctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		t := time.NewTicker(l.every)
		defer t.Stop()
		for {
			select {
			case <-jctx.Done():
				return
			case <-t.C:
			}
			if err := lease.Check(jctx); errors.Is(err, collect.ErrLeaseLost) {
				l.log.Warn("lease_lost", "lease", l.key, "err", err)
				cancel()
				return
			}
		}
	}()
	l.held(true)
	job(jctx)
	cancel()
	<-watched
	stop()
	// Released, the next holder need not wait for it to run out; if that
	// fails, it runs out within its TTL.
	if err := lease.Release(ctx); err != nil && !errors.Is(err, collect.ErrLeaseLost) {
		l.log.Warn("lease_release_failed", "lease", l.key, "err", err)
	}
	l.held(false)
}

// kpiRefresh is how this process runs the KPI refresh: on the embedded
// engine at once; on a ClickHouse server under the lease "kpi-refresh", so
// that of several serve replicas one refreshes and serves the KPI series
// (Prometheus scrapes them all; the alert rules reduce the instance label
// away) and another takes over within a minute of its stopping. A replica
// that loses the lease drops its KPI series (Collector.Forget).
// opsmetrics_kpi_refresh_leader says which replica refreshes.
func kpiRefresh(s store.Store, kc *metrics.Collector, log *slog.Logger, reg prometheus.Registerer) (func(context.Context), error) {
	if store.IsExclusive(s) {
		return kc.Run, nil
	}
	leases, err := collect.NewLeases(collect.LeasesConfig{Store: s})
	if err != nil {
		return nil, err
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "opsmetrics_kpi_refresh_leader",
		Help: "1 while this serve replica holds the KPI refresh's lease and serves the KPI series, 0 while another replica does."})
	if err := reg.Register(g); err != nil {
		return nil, err
	}
	l := &leader{leases: leases, key: "kpi-refresh", owner: collect.ReplicaName(), every: collect.DefaultLeaseTTL / 3,
		retry: collect.DefaultLeaseTTL / 3, log: log, held: func(held bool) {
			if held {
				g.Set(1)
				return
			}
			g.Set(0)
			kc.Forget()
		}}
	return func(ctx context.Context) { l.run(ctx, kc.Run) }, nil
}
