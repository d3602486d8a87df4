package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/auth/oidc"
	"github.com/opsmetrics/opsmetrics/metrics"
)

func cmdServe(e *env) *cobra.Command {
	var so storeOptions
	var lo logOptions
	cmd, fs := newCommand("serve", "serve the HTTP API and dashboards",
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
		"how often the /metrics gauges that move with the clock alone (overdue, stuck reviews, actions) are recomputed; the others follow each org's writes within seconds (OPSMETRICS_KPI_REFRESH)")
	maxSeries := fs.Int("max-series", metrics.DefaultMaxSeries, "most KPI series /metrics exports (org-level ones first, the rest shared evenly); opsmetrics_kpi_dropped_series{org} names the orgs that lost some")
	cacheBytes := fs.Uint64("cache-bytes", metrics.DefaultCacheBytes, "bound of the KPI cache, which answers at each org's current data version: query results up to this many bytes, rendered pages up to a quarter of it more")
	publicURL := fs.String("public-url", e.getenv("OPSMETRICS_PUBLIC_URL"),
		"the URL people open opsmetrics at, such as https://ops.example.com: alert texts link to its dashboards, and the tools' webhooks are sent to it + /hooks/{id} (OPSMETRICS_PUBLIC_URL)")
	reconcileEvery := fs.Duration("reconcile-every", envDuration(e, "OPSMETRICS_RECONCILE_EVERY", 15*time.Minute),
		"how often each hook with an API token is reconciled with the tool's API, for the transitions its webhooks missed (OPSMETRICS_RECONCILE_EVERY)")
	chromium := fs.String("chromium", e.getenv("OPSMETRICS_CHROMIUM"),
		"the Chromium binary that prints reports' PDFs; default the first of chromium, chromium-browser, google-chrome, google-chrome-stable on PATH (OPSMETRICS_CHROMIUM)")
	var sec secretOptions
	var sp spoolOptions
	var sm smtpOptions
	sm.register(fs, e)
	var oo oidcOptions
	oo.register(fs, e)
	so.register(fs, e)
	lo.register(fs, e)
	sec.register(fs, e)
	sp.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
		public, err := parsePublicURL(*publicURL)
		if err != nil {
			fmt.Fprintf(e.stderr, "opsmetrics serve: %v\n", err)
			return 2
		}
		sso, err := oo.config(public)
		if err != nil {
			fmt.Fprintf(e.stderr, "opsmetrics serve: %v\n", err)
			return 2
		}
		key, err := sec.key(e, &so)
		if err != nil {
			return fail(e, err)
		}
		mailer, err := sm.mailer()
		if err != nil {
			return fail(e, err)
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		err = app.Run(ctx, app.Options{Store: s, Logger: log, Stdout: e.stdout, Addr: *addr, MetricsAddr: *metricsAddr,
			PublicURL: public, Distributed: so.cluster != "", BodyLimit: *bodyLimit, ReadHeaderTimeout: *readHeader,
			BodyIdleTimeout: *bodyIdle, BodyTimeout: *bodyTotal, ShutdownTimeout: *shutdown, KPIRefresh: *refresh, MaxSeries: *maxSeries, CacheBytes: *cacheBytes,
			SecretKey: key, SpoolDir: sp.path(&so), ReconcileEvery: *reconcileEvery, Mailer: mailer, OIDC: sso,
			Chromium: *chromium})
		if err != nil {
			return fail(e, err)
		}
		return 0
	})
	return cmd
}

// parsePublicURL checks --public-url and drops its trailing slash, as the
// alert texts append paths to it; "" stays "".
func parsePublicURL(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--public-url %q: want an http or https URL such as https://ops.example.com", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// oidcOptions are serve's flags for sign-in through an OpenID Connect
// provider (docs/auth.md, "Single sign-on").
type oidcOptions struct {
	issuer, clientID, secretFile, name, domains string
}

func (o *oidcOptions) register(fs flags, e *env) {
	fs.StringVar(&o.issuer, "oidc-issuer", e.getenv("OPSMETRICS_OIDC_ISSUER"),
		"sign-in through this OpenID Connect provider: https://accounts.google.com, or https://login.microsoftonline.com/<tenant id>/v2.0; needs --public-url (OPSMETRICS_OIDC_ISSUER)")
	fs.StringVar(&o.clientID, "oidc-client-id", e.getenv("OPSMETRICS_OIDC_CLIENT_ID"), "the client (application) id registered with the provider (OPSMETRICS_OIDC_CLIENT_ID)")
	fs.StringVar(&o.secretFile, "oidc-client-secret-file", e.getenv("OPSMETRICS_OIDC_CLIENT_SECRET_FILE"),
		"file holding the client secret (OPSMETRICS_OIDC_CLIENT_SECRET_FILE)")
	fs.StringVar(&o.name, "oidc-name", e.getenv("OPSMETRICS_OIDC_NAME"), "the provider's name on the sign-in button; default Google, Microsoft or the issuer's host (OPSMETRICS_OIDC_NAME)")
	fs.StringVar(&o.domains, "oidc-domains", e.getenv("OPSMETRICS_OIDC_DOMAINS"),
		"comma-separated email domains admitted, such as example.com,example.org; default any (OPSMETRICS_OIDC_DOMAINS)")
}

// config is the sign-in's configuration, nil without --oidc-issuer. The
// app sets its redirect URL, users, sessions and logger.
func (o *oidcOptions) config(publicURL string) (*oidc.Config, error) {
	if o.issuer == "" {
		if o.clientID != "" || o.secretFile != "" {
			return nil, fmt.Errorf("--oidc-client-id and --oidc-client-secret-file need --oidc-issuer")
		}
		return nil, nil
	}
	if publicURL == "" {
		return nil, fmt.Errorf("--oidc-issuer needs --public-url: the provider sends people back to <public-url>%s", oidc.CallbackPath)
	}
	if o.secretFile == "" {
		return nil, fmt.Errorf("--oidc-issuer needs --oidc-client-secret-file")
	}
	secret, err := oidc.ReadSecret(o.secretFile)
	if err != nil {
		return nil, err
	}
	c := &oidc.Config{Issuer: o.issuer, ClientID: o.clientID, ClientSecret: secret, Name: o.name,
		RedirectURL: publicURL + oidc.CallbackPath}
	for _, d := range strings.Split(o.domains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			c.Domains = append(c.Domains, strings.ToLower(d))
		}
	}
	return c, nil
}
