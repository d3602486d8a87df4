// Package app is the opsmetrics service: Run builds the echo server (its
// middleware, body deadlines, request durations and routes: the intake,
// the KPI, threshold and org APIs, the dashboards, sign-in, the status
// page, readiness and OpenAPI), answers every error through one error
// table, serves /metrics on a listener of its own with the KPI collector,
// and shuts down gracefully when its context ends. Modelled on
// Alertmanager's app.Run(ctx, Options): cmd/opsmetrics turns flags into
// Options, and a test runs the whole service on :0 (app/apptest), learning
// its ports through Options.Listening.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/auth/oidc"
	"github.com/opsmetrics/opsmetrics/dashboards"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Options configure Run. The zero values of the limits are not defaults:
// cmd/opsmetrics sets every one from its flags.
type Options struct {
	// Store is opened and migrated. Run owns it from then on and closes it
	// before it returns, after the last request and KPI refresh.
	Store  store.Store
	Logger *slog.Logger
	// Stdout gets the "opsmetrics listening on ..." lines a person reads.
	Stdout io.Writer

	Addr        string // the HTTP listen address, such as :8080
	MetricsAddr string // the /metrics listen address; "" serves no /metrics
	// PublicURL is the URL people open opsmetrics at, without a trailing
	// slash (alert texts link to its dashboards); "" when not known.
	PublicURL string
	// Distributed says the store's tables are Distributed tables.
	Distributed bool

	BodyLimit         string        // largest intake body, such as "32M"
	ReadHeaderTimeout time.Duration // longest a client may take to send a request's headers
	BodyIdleTimeout   time.Duration // longest a request body may send no byte
	BodyTimeout       time.Duration // longest a whole request body may take
	ShutdownTimeout   time.Duration // how long in-flight requests may finish once ctx ends
	KPIRefresh        time.Duration // how often the KPI gauges are recomputed
	MaxSeries         int           // most KPI series /metrics exports
	CacheBytes        uint64        // bound of the KPI cache's estimated bytes; 0: metrics.DefaultCacheBytes

	// SecretKey seals and opens the tokens of connected sources
	// (auth.Sealer): with it Run serves the sources API and syncs every
	// source on its schedule; nil turns both off.
	SecretKey []byte
	// SpoolDir is where webhook deliveries are kept until applied: with it
	// and SecretKey (which seals the hooks' secrets) Run receives the task
	// tools' webhooks at /hooks/{id} and serves the hooks API.
	SpoolDir string
	// HookMappers gives a tool's webhook Mapper; nil: hook.MapperOf.
	HookMappers func(tool string, api hook.API) (hook.Mapper, bool)
	// ReconcileEvery is how often each hook with an API token is
	// reconciled with the tool's API; 0 is hook.Scheduler's default (15 min).
	ReconcileEvery time.Duration

	// Mailer, when set, emails invitations made in the app (--smtp-url).
	Mailer *auth.Mailer
	// OIDC, when set, signs people in through an OpenID Connect provider
	// at /login/oidc; Run sets its logger, org names, users and sessions.
	OIDC *oidc.Config

	// Chromium is the browser that prints reports' PDFs (a path or a name
	// on PATH); "" looks for dashboards.ChromiumNames on PATH when the first
	// PDF is asked for.
	Chromium string

	// Observe, when set, is handed the entry facts and the KPI cache Run
	// made, before it serves: for tests and benchmarks that wait for a
	// write's build (Facts.Wait) and count the cache's hits (Cache.Counts).
	Observe func(*metrics.Facts, *metrics.Cache)

	// Listening, when set, is called once the HTTP server accepts requests,
	// with the addresses it and /metrics listen on (metrics nil when
	// MetricsAddr is ""): how a caller that asked for port 0 learns the port.
	Listening func(http, metrics net.Addr)
}

// Validate reports what is missing or out of range.
func (o Options) Validate() error {
	switch {
	case o.Store == nil || o.Logger == nil || o.Stdout == nil:
		return errors.New("app: store, logger and stdout are required")
	case o.Addr == "":
		return errors.New("app: no listen address")
	case o.BodyLimit == "":
		return errors.New("app: no body limit")
	case o.ReadHeaderTimeout <= 0 || o.ShutdownTimeout <= 0 || o.KPIRefresh <= 0:
		return errors.New("app: the read-header and shutdown timeouts and the KPI refresh must be positive")
	case o.BodyIdleTimeout < 0 || o.BodyTimeout < 0 || o.MaxSeries < 0:
		return errors.New("app: negative body timeout or series limit")
	}
	return nil
}

// Run serves until ctx ends, then stops accepting, lets requests finish
// within ShutdownTimeout, cancels the rest, and closes the store: it
// returns once that is done (or ShutdownTimeout plus ShutdownMargin has
// passed). It returns an error when it cannot start (a taken address) or
// the HTTP server fails; nil after a shutdown.
func Run(ctx context.Context, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	s, log := o.Store, o.Logger
	versions, err := metrics.NewVersions(s, log)
	if err != nil {
		s.Close()
		return err
	}
	facts, err := NewFacts(s, log, versions)
	if err != nil {
		s.Close()
		return err
	}
	refreshStopped := func() {} // returns once no KPI refresh runs: the store closes after that
	syncsStopped := func() {}   // returns once no source sync runs: the store closes after that too
	hooksStopped := func() {}   // returns once the webhook worker has stopped and the spool is closed
	draftsStopped := func() {}  // returns once no report drafts are being prepared
	closeStore := true          // until the shutdown closes it, within its bound
	defer func() {
		if closeStore {
			refreshStopped()
			syncsStopped()
			hooksStopped()
			draftsStopped()
			facts.Wait()
			s.Close()
		}
	}()

	reg := prometheus.NewRegistry()
	if o.PublicURL != "" {
		// The alert rules read it to make their dashboard links absolute.
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "opsmetrics_public_url_info",
			Help:        "The URL opsmetrics' dashboards are at (--public-url), for the links in alert texts; always 1.",
			ConstLabels: prometheus.Labels{"url": o.PublicURL}}, func() float64 { return 1 }))
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cache, err := metrics.NewCache(metrics.CacheConfig{Store: s, Versions: versions, MaxBytes: o.CacheBytes, Registerer: reg})
	if err != nil {
		return err
	}
	if o.Observe != nil {
		o.Observe(facts, cache)
	}
	ingested := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opsmetrics_ingested_rows_total",
		Help: "Rows imported (files and the HTTP intake), by entity and result: inserted (written, tombstones too) or rejected."},
		[]string{"entity", "result"})
	reg.MustRegister(ingested)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: log, Changed: facts.Changed})
	if err != nil {
		return err
	}
	// Settings are read through the KPI cache at every ask (TTL 0): exact
	// while the org's data version stands, even when another replica
	// changed them, and a map lookup otherwise.
	settings, err := org.NewCache(org.Config{Store: cache, Writer: w, TTL: 0, Audit: s})
	if err != nil {
		return err
	}
	im, err := importer.New(importer.Config{Store: s, Logger: log, Distributed: o.Distributed, Settings: settings, Changed: facts.Changed,
		Rows: func(entity, result string, n int) { ingested.WithLabelValues(entity, result).Add(float64(n)) }})
	if err != nil {
		return err
	}
	if err := recoverIntake(ctx, im, store.IsExclusive(s), time.Now()); err != nil {
		return err
	}
	if err := facts.RefreshAll(ctx); err != nil { // what changed while no server ran
		return err
	}
	var metricsAt net.Addr
	if o.MetricsAddr != "" {
		kc, err := metrics.NewCollector(metrics.CollectorConfig{Store: cache, Facts: facts, Logger: log, Registerer: reg, Interval: o.KPIRefresh,
			MaxSeries: o.MaxSeries, Settings: settings, Versions: versions, PreEncoded: true})
		if err != nil {
			return err
		}
		mln, err := net.Listen("tcp", o.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s for /metrics: %w", o.MetricsAddr, err)
		}
		metricsAt = mln.Addr()
		mux := http.NewServeMux()
		// The KPI families from the body encoded after each refresh round,
		// then the registry's small families, gathered per scrape.
		mux.Handle("/metrics", promhttp.InstrumentMetricHandler(reg, kc.Handler(reg)))
		ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := ms.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics_server_failed", "err", err)
			}
		}()
		defer ms.Close()
		refresh, err := kpiRefresh(s, kc, log, reg)
		if err != nil {
			return err
		}
		kctx, stopRefresh := context.WithCancel(ctx)
		refreshed := make(chan struct{})
		go func() { refresh(kctx); close(refreshed) }()
		refreshStopped = func() { <-refreshed }
		defer stopRefresh() // runs before the store's close, which waits for it
		log.Info("metrics_listening", "addr", mln.Addr().String(), "refresh", o.KPIRefresh.String())
		fmt.Fprintf(o.Stdout, "opsmetrics metrics on %s/metrics\n", browsable(mln.Addr()))
	}
	// One mapping store for the mapping API and the webhook worker, so a
	// change through the one applies to the next delivery of the other.
	mappings, err := hook.NewMappings(hook.MappingsConfig{Store: s})
	if err != nil {
		return err
	}
	var col *collect.Collector
	var sealer *auth.Sealer
	var sources *collect.Sources
	if o.SecretKey != nil {
		if sealer, err = auth.NewSealer(o.SecretKey); err != nil {
			return err
		}
		if sources, err = collect.NewSources(collect.SourcesConfig{Store: s, Sealer: sealer}); err != nil {
			return err
		}
		if col, err = newCollector(sources, s, im, log, reg); err != nil {
			return err
		}
		sctx, stopSyncs := context.WithCancel(ctx)
		synced := make(chan struct{})
		go func() { col.Run(sctx); close(synced) }()
		syncsStopped = func() { <-synced }
		defer stopSyncs()
	}
	var wh *webhooks
	if o.SecretKey != nil && o.SpoolDir != "" {
		if wh, err = newWebhooks(webhooksConfig{Store: s, Importer: im, Logger: log, Sealer: sealer, Sources: sources, Dir: o.SpoolDir,
			Mappers: o.HookMappers, Mappings: mappings, Settings: settings, ReconcileEvery: o.ReconcileEvery, Registerer: reg}); err != nil {
			return fmt.Errorf("webhooks: %w", err)
		}
		hctx, stopWorker := context.WithCancel(ctx)
		applied, reconciled := make(chan struct{}), make(chan struct{})
		go func() { wh.worker.Run(hctx); close(applied) }()
		go func() { wh.scheduler.Run(hctx); close(reconciled) }()
		hooksStopped = func() {
			stopWorker()
			<-applied
			<-reconciled                             // a cancelled reconciliation writes nothing and keeps its cursor
			if err := wh.spool.Close(); err != nil { // after the last request's Append
				log.Error("hook_spool_close_failed", "err", err)
			}
		}
		defer stopWorker()
	}
	// The monthly reports' drafts, prepared on each org's first workday.
	dr, err := newDrafts(draftsConfig{Store: s, Settings: settings, Logger: log, Registerer: reg})
	if err != nil {
		return err
	}
	dctx, stopDrafts := context.WithCancel(ctx)
	draftsDone := make(chan struct{})
	go func() { dr.Run(dctx); close(draftsDone) }()
	draftsStopped = func() { <-draftsDone }
	defer stopDrafts()
	tokens := auth.New(s, nil)
	users, err := auth.NewUsers(auth.UsersConfig{Store: s})
	if err != nil {
		return err
	}
	sessions, err := auth.NewSessions(auth.SessionsConfig{Store: s, Users: users, Tokens: tokens})
	if err != nil {
		return err
	}
	var sso *oidc.Handler
	if o.OIDC != nil {
		c := *o.OIDC
		c.Logger = log
		c.OrgName = func(ctx context.Context, id string) string {
			if s, err := settings.Get(ctx, id); err == nil && s.Name != "" {
				return s.Name
			}
			return id
		}
		c.Users, c.Sessions = users, sessions
		if sso, err = oidc.New(c); err != nil {
			return err
		}
	}
	// One browser for every PDF, started with the first; closed last.
	printer, err := dashboards.NewPrinter(dashboards.PrinterConfig{Chromium: o.Chromium, Logger: log, LinkBase: o.PublicURL})
	if err != nil {
		return err
	}
	defer printer.Close()
	srv, err := newServer(serverConfig{Printer: printer, OIDC: sso, Store: s, Logger: log, BodyLimit: o.BodyLimit, Tokens: tokens, Users: users, Sessions: sessions,
		Mailer: o.Mailer, Importer: im,
		Settings: settings, Facts: facts, Reads: cache, Registerer: reg, BodyIdle: o.BodyIdleTimeout, BodyTotal: o.BodyTimeout, Collector: col,
		Webhooks: wh, Mappings: mappings, PublicURL: o.PublicURL, Drafts: dr})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	// Requests run in a context of their own, not ctx: when ctx ends they
	// get until ShutdownTimeout, and only then are cancelled.
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
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	info := s.Info()
	log.Info("http_listening", "addr", ln.Addr().String(), "engine", info.Name, "engine_version", info.Version)
	fmt.Fprintf(o.Stdout, "opsmetrics listening on %s\n", browsable(ln.Addr()))
	if o.Listening != nil {
		o.Listening(ln.Addr(), metricsAt)
	}

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	// Stop accepting, let requests finish until the timeout, cancel those
	// still running, wait for their handlers, and close the store last: a
	// handler never finds the store closed under it, and Run returns
	// within ShutdownTimeout plus ShutdownMargin.
	log.Info("shutdown_started", "timeout", o.ShutdownTimeout.String())
	deadline := time.Now().Add(o.ShutdownTimeout)
	sctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		// Cancelling ends their queries and imports; closing their
		// connections wakes a handler that waits for a body's next byte.
		log.Warn("shutdown_requests_cancelled", "requests", running.Load())
		cancelRequests()
		_ = hs.Close()
		if !within(inflight.Wait, time.Until(deadline.Add(ShutdownMargin))) {
			log.Error("shutdown_requests_unfinished", "requests", running.Load())
		}
	}
	closeStore = false
	stopped := within(func() {
		refreshStopped() // ctx's end has stopped it
		syncsStopped()   // and the source syncs, whose staged batches it drops
		hooksStopped()   // and the webhook worker; what it did not apply stays in the spool
		draftsStopped()  // and the report drafts' check, whose drafts are written or not, each whole
		facts.Wait()     // a build under way ends first
		s.Close()        // waits for the engine's own statements, such as a cancelled query's end
	}, time.Until(deadline.Add(ShutdownMargin)))
	if !stopped {
		log.Error("shutdown_store_not_closed", "margin", ShutdownMargin.String())
	}
	log.Info("shutdown_complete")
	return nil
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

// ShutdownMargin is how long after Options.ShutdownTimeout cancelled requests
// get to return and the store gets to close, together; Run returns
// by then either way.
const ShutdownMargin = 5 * time.Second

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
