package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// TestPanicIsA500 loads the embedded engine (whose signal handlers must stay
// off), panics with a nil dereference inside a handler, and checks the client
// gets a plain 500 and the server keeps serving.
func TestPanicIsA500(t *testing.T) {
	s, err := chdb.Open(chdb.Config{LibPath: chdbtest.LibPath(t), DataDir: filepath.Join(t.TempDir(), "data"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	im, err := importer.New(importer.Config{Store: s, Logger: log, Changed: facts.Changed})
	if err != nil {
		t.Fatal(err)
	}
	e, err := newServer(serverConfig{Store: s, Logger: log, BodyLimit: "1M", Tokens: auth.New(s, nil), Importer: im, Facts: facts, Settings: settingsOf(t, s),
		Mappings: mappingsOf(t, s)})
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/api/v1/boom", func(c echo.Context) error {
		var m *struct{ n int }
		return c.String(200, string(rune(m.n))) // nil dereference: a SIGSEGV the Go runtime must turn into a panic
	})
	srv := httptest.NewServer(e)
	defer srv.Close()

	for range 3 {
		resp, err := http.Get(srv.URL + "/api/v1/boom")
		if err != nil {
			t.Fatal(err)
		}
		var body apiError
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 500 || body.Error != "internal error" || body.RequestID == "" {
			t.Fatalf("panic: %d %+v", resp.StatusCode, body)
		}
	}
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/readyz after panics: %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "handler_panic") || !strings.Contains(logs.String(), "nil pointer") {
		t.Errorf("panic not logged with its cause:\n%.500s", logs.String())
	}
}

// nopStore is a store that is never reached: for tests of routing alone.
type nopStore struct{}

func (nopStore) Exec(context.Context, string, store.Params) error { return errors.New("nopStore") }
func (nopStore) Query(context.Context, string, store.Params) (*store.Rows, error) {
	return nil, errors.New("nopStore")
}
func (nopStore) Insert(context.Context, *store.Batch) error { return errors.New("nopStore") }
func (nopStore) Ping(context.Context) error                 { return errors.New("nopStore") }
func (nopStore) Info() store.EngineInfo                     { return store.EngineInfo{Name: "nop"} }
func (nopStore) Close() error                               { return nil }

func httptestGet(t *testing.T, h http.Handler, path string) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// TestRequestDurations: every answered request is observed once, by its
// route (not its path), method and status class; a path no route knows is
// "other".
func TestRequestDurations(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := nopServer(t, slog.New(slog.DiscardHandler), reg)
	for _, path := range []string{"/healthz", "/healthz", "/api/v1/kpis/margin_pct", "/api/v1/kpis/utilization", "/no/such/page", "/readyz"} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	got := map[string]uint64{}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetValue())
			}
			got[strings.Join(labels, " ")] = m.GetHistogram().GetSampleCount()
		}
	}
	// Labels in name order: code, method, route. The KPI calls have no token
	// (401), the engine of /readyz answers nothing (503).
	want := map[string]uint64{
		"2xx GET /healthz": 2, "4xx GET /api/v1/kpis/:name": 2, "4xx GET other": 1, "5xx GET /readyz": 1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("observed %v, want %v", got, want)
	}
}

// TestClientGoneIsNot500: a request whose client went away ends as 499,
// logged at debug, not as a server error.
func TestClientGoneIsNot500(t *testing.T) {
	var logs strings.Builder
	e := nopServer(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})), prometheus.NewRegistry())
	e.GET("/api/v1/slow", func(c echo.Context) error {
		<-c.Request().Context().Done()
		return fmt.Errorf("kpi x: %w", c.Request().Context().Err())
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/slow", nil).WithContext(ctx))
	if rec.Code != 499 || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("status %d, log %q", rec.Code, logs.String())
	}
	// A cancellation while the client still waits is the server's: a 500.
	e.GET("/api/v1/inner", func(c echo.Context) error { return context.Canceled })
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/inner", nil))
	if rec.Code != 500 {
		t.Errorf("an inner cancellation: status %d", rec.Code)
	}
}

// nopServer is the whole echo app on a store that answers nothing, with reg
// (nil: none) for its metrics.
func nopServer(t *testing.T, log *slog.Logger, reg prometheus.Registerer) *echo.Echo {
	t.Helper()
	var s store.Store = nopStore{}
	facts, err := NewFacts(s, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	im, err := importer.New(importer.Config{Store: s, Logger: log, Changed: facts.Changed})
	if err != nil {
		t.Fatal(err)
	}
	colReg := reg
	if colReg == nil {
		colReg = prometheus.NewRegistry()
	}
	sealer, err := auth.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	sources, err := collect.NewSources(collect.SourcesConfig{Store: s, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	col, err := newCollector(sources, s, im, log, colReg)
	if err != nil {
		t.Fatal(err)
	}
	settings, mappings := settingsOf(t, s), mappingsOf(t, s)
	wh, err := newWebhooks(webhooksConfig{Store: s, Importer: im, Logger: log, Sealer: sealer, Sources: sources, Dir: t.TempDir(),
		Mappings: mappings, Settings: settings, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.spool.Close() })
	e, err := newServer(serverConfig{Store: s, Logger: log, BodyLimit: "1M", Tokens: auth.New(s, nil), Importer: im, Facts: facts, Settings: settings,
		Registerer: reg, Collector: col, Webhooks: wh, Mappings: mappings})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// mappingsOf is the hooks' mapping store over s, as Run makes one.
func mappingsOf(t *testing.T, s store.Store) *hook.Mappings {
	t.Helper()
	m, err := hook.NewMappings(hook.MappingsConfig{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// settingsOf is a settings cache over s, as Run makes one.
func settingsOf(t *testing.T, s store.Store) *org.Cache {
	t.Helper()
	c, err := org.NewCache(org.Config{Store: s, TTL: org.DefaultTTL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
