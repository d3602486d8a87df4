package main

import (
	"context"

	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
)

func cmdServe(ctx context.Context, e *env, args []string) int {
	var so storeOptions
	var lo logOptions
	fs := newFlags(e, "serve", "serve [flags]",
		"Serves the HTTP API and dashboards. Migrates the schema first. Stops gracefully on SIGTERM or Ctrl-C.")
	addr := fs.String("addr", envOr(e, "OPSMETRICS_ADDR", ":8080"), "listen address (OPSMETRICS_ADDR)")
	bodyLimit := fs.String("body-limit", envOr(e, "OPSMETRICS_BODY_LIMIT", "32M"), "largest request body accepted (OPSMETRICS_BODY_LIMIT)")
	shutdown := fs.Duration("shutdown-timeout", envDuration(e, "OPSMETRICS_SHUTDOWN_TIMEOUT", 20*time.Second),
		"how long in-flight requests may finish after SIGTERM (OPSMETRICS_SHUTDOWN_TIMEOUT)")
	so.register(fs, e)
	lo.register(fs, e)
	log, code := parseWithLog(e, fs, args, &lo)
	if code >= 0 {
		return code
	}
	s, err := so.openMigrated(ctx, log)
	if err != nil {
		return fail(e, err)
	}
	defer s.Close()

	im, err := importer.New(importer.Config{Store: s, Logger: log})
	if err != nil {
		return fail(e, err)
	}
	srv, err := newServer(serverConfig{Store: s, Logger: log, BodyLimit: *bodyLimit, Tokens: auth.New(s, nil), Importer: im})
	if err != nil {
		return fail(e, err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(e, fmt.Errorf("listen on %s: %w", *addr, err))
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
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
	log.Info("shutdown_started", "timeout", shutdown.String())
	sctx, cancel := context.WithTimeout(context.Background(), *shutdown)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown_incomplete", "err", err)
	}
	log.Info("shutdown_complete")
	return 0
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
