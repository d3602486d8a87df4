package main

import (
	"context"
	"strings"

	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/metrics"
	store "github.com/opsmetrics/opsmetrics/sql"
)

func cmdServe(ctx context.Context, e *env, args []string) int {
	var so storeOptions
	var lo logOptions
	fs := newFlags(e, "serve", "serve [flags]",
		"Serves the HTTP API and dashboards. Migrates the schema first. Stops gracefully on SIGTERM or Ctrl-C.")
	addr := fs.String("addr", envOr(e, "OPSMETRICS_ADDR", ":8080"), "listen address (OPSMETRICS_ADDR)")
	bodyLimit := fs.String("body-limit", envOr(e, "OPSMETRICS_BODY_LIMIT", "32M"), "largest request body accepted (OPSMETRICS_BODY_LIMIT)")
	readHeader := fs.Duration("read-header-timeout", envDuration(e, "OPSMETRICS_READ_HEADER_TIMEOUT", 10*time.Second),
		"longest a client may take to send a request's headers (OPSMETRICS_READ_HEADER_TIMEOUT)")
	bodyIdle := fs.Duration("body-idle-timeout", envDuration(e, "OPSMETRICS_BODY_IDLE_TIMEOUT", 30*time.Second),
		"longest a request body may send no byte; a slow but steady upload is never cut (OPSMETRICS_BODY_IDLE_TIMEOUT)")
	bodyTotal := fs.Duration("body-timeout", envDuration(e, "OPSMETRICS_BODY_TIMEOUT", 10*time.Minute),
		"longest a whole request body may take to arrive, e.g. an import on a slow link (OPSMETRICS_BODY_TIMEOUT)")
	shutdown := fs.Duration("shutdown-timeout", envDuration(e, "OPSMETRICS_SHUTDOWN_TIMEOUT", 20*time.Second),
		"how long in-flight requests may finish after SIGTERM (OPSMETRICS_SHUTDOWN_TIMEOUT)")
	metricsAddr := fs.String("metrics-addr", envOr(e, "OPSMETRICS_METRICS_ADDR", "127.0.0.1:9464"),
		"listen address of /metrics for Prometheus; it holds every org's KPIs, so keep it off the public network ('' turns it off) (OPSMETRICS_METRICS_ADDR)")
	refresh := fs.Duration("kpi-refresh", envDuration(e, "OPSMETRICS_KPI_REFRESH", 5*time.Minute),
		"how often the KPI gauges of /metrics are recomputed (OPSMETRICS_KPI_REFRESH)")
	maxSeries := fs.Int("max-series", 10_000, "most KPI series /metrics exports; the rest are counted as dropped")
	publicURL := fs.String("public-url", e.getenv("OPSMETRICS_PUBLIC_URL"),
		"the URL people open opsmetrics at, such as https://ops.example.com: alert texts link to its dashboards (OPSMETRICS_PUBLIC_URL)")
	so.register(fs, e)
	lo.register(fs, e)
	log, code := parseWithLog(e, fs, args, &lo)
	if code >= 0 {
		return code
	}
	if *publicURL != "" {
		u, err := url.Parse(*publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			fmt.Fprintf(e.stderr, "opsmetrics serve: --public-url %q: want an http or https URL such as https://ops.example.com\n", *publicURL)
			return 2
		}
		*publicURL = strings.TrimRight(u.String(), "/")
	}
	s, err := so.openMigrated(ctx, log)
	if err != nil {
		return fail(e, err)
	}
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: log})
	if err != nil {
		s.Close()
		return fail(e, err)
	}
	refreshStopped := func() {} // returns once no KPI refresh runs: the store closes after that
	closeStore := true          // until the shutdown closes it, within its bound
	defer func() {
		if closeStore {
			refreshStopped()
			facts.Wait()
			s.Close()
		}
	}()

	reg := prometheus.NewRegistry()
	if *publicURL != "" {
		// The alert rules read it to make their dashboard links absolute.
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "opsmetrics_public_url_info",
			Help:        "The URL opsmetrics' dashboards are at (--public-url), for the links in alert texts; always 1.",
			ConstLabels: prometheus.Labels{"url": *publicURL}}, func() float64 { return 1 }))
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ingested := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opsmetrics_ingested_rows_total",
		Help: "Rows imported (files and the HTTP intake), by entity and result: inserted (written, tombstones too) or rejected."},
		[]string{"entity", "result"})
	reg.MustRegister(ingested)
	im, err := importer.New(importer.Config{Store: s, Logger: log, Distributed: so.cluster != "", Changed: facts.Changed, Rows: func(entity, result string, n int) {
		ingested.WithLabelValues(entity, result).Add(float64(n))
	}})
	if err != nil {
		return fail(e, err)
	}
	if err := recoverIntake(ctx, im, store.IsExclusive(s), time.Now()); err != nil {
		return fail(e, err)
	}
	if err := facts.RefreshAll(ctx); err != nil { // what changed while no server ran
		return fail(e, err)
	}
	if *metricsAddr != "" {
		kc, err := metrics.NewCollector(metrics.CollectorConfig{Store: s, Facts: facts, Logger: log, Registerer: reg, Interval: *refresh, MaxSeries: *maxSeries})
		if err != nil {
			return fail(e, err)
		}
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fail(e, fmt.Errorf("listen on %s for /metrics: %w", *metricsAddr, err))
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
		ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := ms.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics_server_failed", "err", err)
			}
		}()
		defer ms.Close()
		kctx, stopRefresh := context.WithCancel(ctx)
		refreshed := make(chan struct{})
		go func() { kc.Run(kctx); close(refreshed) }()
		refreshStopped = func() { <-refreshed }
		defer stopRefresh() // runs before the store's close, which waits for it
		log.Info("metrics_listening", "addr", mln.Addr().String(), "refresh", refresh.String())
		fmt.Fprintf(e.stdout, "opsmetrics metrics on %s/metrics\n", browsable(mln.Addr()))
	}
	srv, err := newServer(serverConfig{Store: s, Logger: log, BodyLimit: *bodyLimit, Tokens: auth.New(s, nil), Importer: im, Facts: facts, Registerer: reg,
		BodyIdle: *bodyIdle, BodyTotal: *bodyTotal})
	if err != nil {
		return fail(e, err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(e, fmt.Errorf("listen on %s: %w", *addr, err))
	}
	// Requests run in a context of their own, not the signal's: SIGTERM
	// gives them until --shutdown-timeout, and only then cancels them.
	reqCtx, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	var inflight sync.WaitGroup
	var running atomic.Int64
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inflight.Add(1)
			running.Add(1)
			defer func() { running.Add(-1); inflight.Done() }()
			srv.ServeHTTP(w, r)
		}),
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
		ReadHeaderTimeout: *readHeader,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	info := s.Info()
	log.Info("http_listening", "addr", ln.Addr().String(), "engine", info.Name, "engine_version", info.Version)
	fmt.Fprintf(e.stdout, "opsmetrics listening on %s\n", browsable(ln.Addr()))

	select {
	case err := <-errc:
		return fail(e, fmt.Errorf("http server: %w", err))
	case <-ctx.Done():
	}
	// Stop accepting, let requests finish until the timeout, cancel those
	// still running, wait for their handlers, and close the store last: a
	// handler never finds the store closed under it, and the process exits
	// within --shutdown-timeout plus shutdownMargin.
	log.Info("shutdown_started", "timeout", shutdown.String())
	deadline := time.Now().Add(*shutdown)
	sctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		// Cancelling ends their queries and imports; closing their
		// connections wakes a handler that waits for a body's next byte.
		log.Warn("shutdown_requests_cancelled", "requests", running.Load())
		cancelRequests()
		_ = hs.Close()
		if !within(inflight.Wait, time.Until(deadline.Add(shutdownMargin))) {
			log.Error("shutdown_requests_unfinished", "requests", running.Load())
		}
	}
	closeStore = false
	stopped := within(func() {
		refreshStopped() // the signal's context has stopped it
		facts.Wait()     // a build under way ends first
		s.Close()        // waits for the engine's own statements, such as a cancelled query's end
	}, time.Until(deadline.Add(shutdownMargin)))
	if !stopped {
		log.Error("shutdown_store_not_closed", "margin", shutdownMargin.String())
	}
	log.Info("shutdown_complete")
	return 0
}

// recoverIntake finishes the intake requests a stopped server left half
// done (importer.Recover): those that were being made visible become
// visible, those still being read are dropped. On an engine this process
// has alone (store.IsExclusive) every request it finds was cut off; other
// processes may be serving from a shared one, so there only a request that
// started an hour ago counts as abandoned (the staging tables' TTL removes
// the rest).
func recoverIntake(ctx context.Context, im *importer.Importer, exclusive bool, now time.Time) error {
	stale := now
	if !exclusive {
		stale = now.Add(-time.Hour)
	}
	if _, _, err := im.Recover(ctx, stale); err != nil {
		return fmt.Errorf("recover the intake requests of the last run: %w", err)
	}
	return nil
}

// shutdownMargin is how long after --shutdown-timeout cancelled requests
// get to return and the store gets to close, together; the process exits
// by then either way.
const shutdownMargin = 5 * time.Second

// within runs f and reports whether it returned within d. When it did not,
// f goes on running in the background.
func within(f func(), d time.Duration) bool {
	done := make(chan struct{})
	go func() { f(); close(done) }()
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// browsable is the URL a person can open for a listen address: a wildcard
// host becomes localhost.
func browsable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return "http://" + a.String()
	}
	return fmt.Sprintf("http://localhost:%d", tcp.Port)
}
