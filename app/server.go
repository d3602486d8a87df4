package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/auth/oidc"
	"github.com/opsmetrics/opsmetrics/dashboards"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/ingest/intake"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// serverConfig is what the HTTP server needs.
type serverConfig struct {
	Store     store.Store
	Logger    *slog.Logger
	BodyLimit string // largest intake body, e.g. "32M"
	Tokens    *auth.Tokens
	Importer  *importer.Importer
	// Settings is the process's one cache of org settings.
	Settings *org.Cache
	Facts    *metrics.Facts // the store's, which Importer tells of its changes
	// Reads is where the KPI API and the pages read numbers: the process's
	// metrics.Cache; nil: Store, uncached.
	Reads metrics.Querier
	// Registerer, when set, gets opsmetrics_http_request_duration_seconds.
	Registerer prometheus.Registerer
	// BodyIdle ends a request whose body sends no byte for this long, and
	// BodyTotal one whose body has not all arrived this long after its
	// headers: each with a 408. Zero means no limit.
	BodyIdle, BodyTotal time.Duration
	// Collector, when set, serves the sources API (admin scope).
	Collector *collect.Collector
	// Webhooks, when set, receive the tools' webhooks at /hooks/{id} and
	// serve the hooks API (admin scope); PublicURL makes the hooks' URLs.
	Webhooks  *webhooks
	PublicURL string
	// Mappings serves the hooks' mapping API (admin scope); the webhook
	// worker maps with the same one.
	Mappings *hook.Mappings
	// Users and Sessions sign people in; nil: made over Store.
	Users    *auth.Users
	Sessions *auth.Sessions
	// Mailer, when set, emails invitations (--smtp-url).
	Mailer *auth.Mailer
	// OIDC, when set, serves the sign-in through an OpenID Connect provider
	// and /login offers "Sign in with <its name>".
	OIDC *oidc.Handler
	// Drafts, when set, counts the report drafts /reports prepares.
	Drafts *drafts
	// Printer prints the reports' PDFs; nil: the download says PDFs are
	// not available.
	Printer *dashboards.Printer
}

func (c serverConfig) Validate() error {
	if c.Store == nil || c.Logger == nil || c.Tokens == nil || c.Importer == nil || c.Settings == nil || c.Facts == nil || c.Mappings == nil {
		return errors.New("server: store, logger, tokens, importer, settings, facts and mappings are required")
	}
	if c.BodyLimit == "" {
		return errors.New("server: no body limit")
	}
	return nil
}

// newServer builds the echo app: middleware, the one error handler that
// turns typed errors into statuses, and the routes.
func newServer(cfg serverConfig) (*echo.Echo, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// echo v4 trusts X-Forwarded-For by default; opsmetrics does not, so a client
	// cannot choose the address that logs and rate limits see.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = errorHandler(cfg.Logger)
	e.Use(dashboards.SecurityHeaders) // first: every response, error pages too
	e.Use(middleware.RequestID())
	if cfg.Registerer != nil {
		mw, err := requestDurations(cfg.Registerer)
		if err != nil {
			return nil, err
		}
		e.Use(mw)
	}
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			cfg.Logger.Error("handler_panic", "path", c.Path(), "request_id", requestID(c), "err", err, "stack", string(stack))
			return err
		},
	}))
	// Inside the duration middleware, which answers errors itself: a body
	// timeout must replace the handler's error before that.
	e.Use(bodyDeadlines(cfg.BodyIdle, cfg.BodyTotal))
	e.Use(surfaces)
	if cfg.Reads == nil {
		cfg.Reads = cfg.Store
	}

	// Pages and read APIs take small bodies; the intake takes up to BodyLimit.
	small := middleware.BodyLimit("64K")

	api := e.Group("/api/v1")
	intake.Register(api.Group("", middleware.BodyLimit(cfg.BodyLimit), auth.Require(cfg.Tokens, auth.ScopeIngest)),
		intake.Config{Importer: cfg.Importer, Logger: cfg.Logger})
	users, sessions, err := signIn(cfg)
	if err != nil {
		return nil, err
	}
	// Forms post with a CSRF token; its cookie is Secure behind HTTPS.
	csrf := auth.CSRF(strings.HasPrefix(cfg.PublicURL, "https://"))
	// The read API: a bearer token, or the pages' session (then CSRF on
	// what changes something, and no money KPIs without PermMoney).
	read := api.Group("", small, sessions.ReadAPI(cfg.Tokens), csrf, moneyKPIs)
	orgOf := func(c echo.Context) (string, bool) {
		p, ok := auth.PrincipalOf(c)
		return p.Org, ok
	}
	admin := api.Group("", small, auth.Require(cfg.Tokens, auth.ScopeAdmin))
	metrics.RegisterAPI(read, cfg.Reads, cfg.Facts, cfg.Settings, orgOf, time.Now)
	metrics.RegisterThresholdAPI(read, admin, cfg.Store, orgOf, auth.WhoOf, time.Now)
	metrics.RegisterReportAPI(read, admin, cfg.Store, orgOf, auth.WhoOf, time.Now)
	metrics.RegisterRetroAPI(read, cfg.Store, cfg.Settings, orgOf, auth.WhoOf, time.Now, auth.RequirePerm(auth.PermReports))
	registerOrg(read, admin, cfg.Settings)
	if cfg.Collector != nil {
		collect.Register(admin, cfg.Collector, orgOf)
	}
	hook.RegisterMappingAPI(admin, cfg.Mappings, orgOf)
	if wh := cfg.Webhooks; wh != nil {
		// No API token: each tool's signature authenticates its deliveries.
		wh.receiver.Register(e.Group(""))
		hook.Register(admin, wh.worker, wh.scheduler, orgOf, cfg.PublicURL, wh.receiver.Invalidate)
	}
	api.GET("/openapi.json", openAPIHandler(), small)

	// Dashboards: a browser session of a user, or of a read token.
	oidcName := ""
	if cfg.OIDC != nil {
		oidcName = cfg.OIDC.Name()
		cfg.OIDC.Register(e.Group(""), small, csrf)
	}
	login, err := auth.NewLogin(auth.LoginConfig{Users: users, Sessions: sessions, Tokens: cfg.Tokens, OIDCName: oidcName})
	if err != nil {
		return nil, err
	}
	login.Register(e.Group(""), small, csrf)
	dcfg := dashboards.Config{Store: cfg.Reads, Facts: cfg.Facts, Logger: cfg.Logger, Org: orgOf, Settings: cfg.Settings,
		Users: users, Tokens: cfg.Tokens, Account: account{users, sessions}, PublicURL: cfg.PublicURL, Mailer: mailerOf(cfg.Mailer),
		OrgWriter: cfg.Settings, Changes: cfg.Store, Records: recordWriter{cfg.Importer, cfg.Facts.Changed}, Reports: cfg.Store,
		Printer: cfg.Printer}
	if c, ok := cfg.Reads.(*metrics.Cache); ok {
		dcfg.Rendered = c // rendered pages kept per data version too
	}
	if cfg.Mailer != nil {
		dcfg.ReportMailer = cfg.Mailer
	}
	if cfg.Drafts != nil {
		dcfg.DraftsPrepared = cfg.Drafts.Count
	}
	if cfg.Collector != nil {
		dcfg.Sources, dcfg.SyncSource = sourceAdmin{cfg.Collector.Sources()}, sourceSyncer{cfg.Collector}
	}
	if wh := cfg.Webhooks; wh != nil {
		dcfg.Hooks, dcfg.HookDeliveries, dcfg.HooksChanged = hookAdmin{wh.worker.Hooks()}, hookDeliveries{wh.worker}, wh.receiver.Invalidate
		dcfg.HookMappings = hookMappings{cfg.Mappings}
	}
	err = dashboards.Register(e.Group(""), dcfg, small, csrf, sessions.Require("/login"))
	if err != nil {
		return nil, err
	}
	// Engine health for anyone; row counts for a signed-in org or its admin token.
	e.GET("/status", indexHandler(cfg.Store), small, sessions.Identify(cfg.Tokens, auth.ScopeAdmin))
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	}, small)
	e.GET("/readyz", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
		defer cancel()
		info := cfg.Store.Info()
		if err := cfg.Store.Ping(ctx); err != nil {
			cfg.Logger.Warn("not_ready", "err", err)
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "engine": info.Name})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ready", "engine": info.Name, "engine_version": info.Version})
	}, small)
	return e, nil
}

// requestDurations observes every request's duration by route (the
// registered path, such as /api/v1/kpis/:name, so ids never become labels),
// method and status class.
func requestDurations(reg prometheus.Registerer) (echo.MiddlewareFunc, error) {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "opsmetrics_http_request_duration_seconds",
		Help:    "Duration of HTTP requests (API, dashboards, sign-in), by route, method and status class (2xx, 4xx, 5xx).",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route", "method", "code"})
	if err := reg.Register(h); err != nil {
		return nil, err
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err) // the error handler answers now, so the status is known
			}
			code := c.Response().Status
			route := c.Path()
			if route == "" || strings.HasPrefix(route, "/*") || code == http.StatusNotFound {
				route = "other" // unknown paths: no label per path a client makes up
			}
			h.WithLabelValues(route, c.Request().Method, fmt.Sprintf("%dxx", code/100)).Observe(time.Since(start).Seconds())
			return nil
		}
	}, nil
}

// bodyDeadlines bounds how slowly a request body may arrive, so a client
// cannot hold a connection and a handler by sending a byte now and then: no
// byte for idle, or the body not complete total after the headers, and the
// body's next read fails; the request then ends in a 408 that names the
// limit. A slow but steady upload is unaffected by idle. The limits are
// read deadlines on the connection, moved on at each read.
func bodyDeadlines(idle, total time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if (idle <= 0 && total <= 0) || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
				return next(c)
			}
			b := &deadlineBody{ReadCloser: r.Body, rc: http.NewResponseController(c.Response()), idle: idle, total: total}
			if total > 0 {
				b.end = time.Now().Add(total)
			}
			if err := b.arm(); err != nil {
				return next(c) // a writer without deadlines (a test recorder): no limits to apply
			}
			r.Body = b
			err := next(c)
			if exceeded := b.exceeded(); exceeded != "" && !c.Response().Committed {
				c.Response().Header().Set(echo.HeaderConnection, "close") // the rest of the body will not be read
				return echo.NewHTTPError(http.StatusRequestTimeout, exceeded)
			}
			return err
		}
	}
}

// deadlineBody is a request body whose every read first moves the
// connection's read deadline on (see bodyDeadlines).
type deadlineBody struct {
	io.ReadCloser
	rc          *http.ResponseController
	idle, total time.Duration
	end         time.Time // zero: no total limit

	mu      sync.Mutex
	byTotal bool   // the deadline armed last is the total one
	timeout string // which limit a read ran into, once one has
}

// arm sets the read deadline for the next read: idle from now, or the end
// of the total time when that comes first.
func (b *deadlineBody) arm() error {
	var d time.Time
	byTotal := false
	if b.idle > 0 {
		d = time.Now().Add(b.idle)
	}
	if !b.end.IsZero() && (d.IsZero() || b.end.Before(d)) {
		d, byTotal = b.end, true
	}
	b.mu.Lock()
	b.byTotal = byTotal
	b.mu.Unlock()
	return b.rc.SetReadDeadline(d)
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if err := b.arm(); err != nil {
		return 0, err
	}
	n, err := b.ReadCloser.Read(p)
	switch {
	case errors.Is(err, io.EOF):
		// net/http now watches the idle connection for the client going
		// away; a deadline left here would cancel the request's context
		// while the handler still writes what it read.
		_ = b.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.mu.Lock()
		if b.byTotal {
			b.timeout = fmt.Sprintf("the request body did not arrive within %s (--body-timeout); send smaller requests", b.total)
		} else {
			b.timeout = fmt.Sprintf("the request body stalled: no byte for %s (--body-idle-timeout)", b.idle)
		}
		b.mu.Unlock()
	}
	return n, err
}

// exceeded returns the message of the limit a read ran into, or "".
func (b *deadlineBody) exceeded() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.timeout
}

// surfaces marks a request's reads as the API's or the pages' in the KPI
// cache's counters (metrics.WithSurface).
func surfaces(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		surface := "page"
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			surface = "api"
		}
		r := c.Request()
		c.SetRequest(r.WithContext(metrics.WithSurface(r.Context(), surface)))
		return next(c)
	}
}
