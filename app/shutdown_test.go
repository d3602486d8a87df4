package app_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// TestShutdownCancelsAnImportItOutlasts stops the server (as SIGTERM does)
// while an import's body still trickles in, with a 1 s --shutdown-timeout:
// app.Run returns within the timeout and its margin, having cancelled the
// request and waited for its handler, and the store is closed only then, so
// the import never runs into a closed store.
func TestShutdownCancelsAnImportItOutlasts(t *testing.T) {
	svc := apptest.New(t)
	token := svc.Token("sd-acme", "ingest")
	var logs apptest.SyncBuffer
	base, stopServe := svc.Serve(func(o *app.Options) {
		o.MetricsAddr, o.ShutdownTimeout = "", time.Second
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})

	type answer struct {
		code int
		err  error
	}
	answered := make(chan answer, 1)
	bounded, stop := context.WithTimeout(t.Context(), 20*time.Second)
	defer stop()
	go func() {
		// 40 lines, one every 100 ms: 4 s, well past the shutdown timeout.
		code, _, err := trickle(bounded, base+"/api/v1/time_entries", token, 100*time.Millisecond, 40)
		answered <- answer{code, err}
	}()
	time.Sleep(500 * time.Millisecond) // the import is under way
	start := time.Now()
	err := stopServe() // fails the test if app.Run does not return within 30 s
	took := time.Since(start)
	t.Logf("app.Run returned %v after the stop", took)
	if took > time.Second+app.ShutdownMargin {
		t.Errorf("app.Run returned %v after the stop, want at most the 1 s timeout + %v", took, app.ShutdownMargin)
	}
	if err != nil {
		t.Errorf("app.Run after stop: %v", err)
	}
	a := <-answered
	if a.code != 0 {
		t.Errorf("the import outlasting the shutdown was answered %d (%v); want its request cancelled, unanswered", a.code, a.err)
	}
	log := logs.String()
	if !strings.Contains(log, "msg=shutdown_requests_cancelled requests=1") {
		t.Errorf("no cancelled request logged:\n%s", log)
	}
	if strings.Contains(log, "engine is closed") || strings.Contains(log, "status=503") {
		t.Errorf("the import ran into the closed store:\n%s", log)
	}
}
