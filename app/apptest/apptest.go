// Package apptest runs the opsmetrics service for tests and talks to it as a
// client does. New opens a migrated embedded store in t.TempDir(); a test
// makes tokens and loads data into it, then Serve runs app.Run on loopback
// ports. The request helpers (Post, Get, Send) and the bodies they send
// (NDJSONEntries, CSVEntries) serve the tests of app and those of
// cmd/opsmetrics that start the service as a process; Stored reads what a
// stopped service left in its data directory.
package apptest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/demo"
	"github.com/opsmetrics/opsmetrics/metrics"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// Service is one opsmetrics service of a test: its store, and once Serve
// runs it, the URLs it answers on.
type Service struct {
	t                testing.TB
	store            store.Store
	LibPath, DataDir string // the embedded engine's library and data directory
	URL              string // the API and pages, such as http://127.0.0.1:41234; set by Serve
	MetricsURL       string // /metrics, "" when it is off; set by Serve
	// Facts and Cache are the entry facts and the KPI cache app.Run made
	// (app.Options.Observe); set by Serve.
	Facts *metrics.Facts
	Cache *metrics.Cache
}

// New opens the embedded engine on a fresh data directory in t.TempDir()
// and migrates it. The store is closed when the test ends, or by app.Run
// once Serve has handed it over.
func New(t testing.TB) *Service {
	t.Helper()
	return Open(t, filepath.Join(t.TempDir(), "data"))
}

// Open is New on the data directory dir, which may hold data already (a
// benchmark's copy of its data: the engine locks dir, and Serve writes to
// it). No other process may have dir open.
func Open(t testing.TB, dir string) *Service {
	t.Helper()
	s := &Service{t: t, LibPath: chdbtest.LibPath(t), DataDir: dir}
	st, err := chdb.Open(chdb.Config{LibPath: s.LibPath, DataDir: s.DataDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Migrate(t.Context(), st, store.MigrateConfig{}); err != nil {
		st.Close()
		t.Fatalf("migrate: %v", err)
	}
	s.store = st
	t.Cleanup(func() {
		if s.store != nil { // not handed to app.Run
			s.store.Close()
		}
	})
	return s
}

// Token creates a token of org with one scope and returns its plaintext.
// It must be called before Serve.
func (s *Service) Token(org, scope string) string {
	s.t.Helper()
	plain, _, err := auth.New(s.unserved(), nil).Create(s.t.Context(), org, "", []string{scope}, 0)
	if err != nil {
		s.t.Fatalf("create token: %v", err)
	}
	return plain
}

// Demo loads the generated demo agency (one org, Acme Creative, with its
// default people) with months of history ending today, as `opsmetrics
// demo --months` does. It must be called before Serve.
func (s *Service) Demo(months int) {
	s.t.Helper()
	cfg := demo.Config{Seed: 1, Months: months, End: demo.EndToday(time.Now(), 1)}
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s.unserved(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := demo.Generate(s.t.Context(), cfg, func(records any) error {
		_, err := w.Write(s.t.Context(), "demo-test", records)
		return err
	}); err != nil {
		s.t.Fatalf("load the demo: %v", err)
	}
}

// unserved is the store while the test still owns it.
func (s *Service) unserved() store.Store {
	if s.store == nil {
		s.t.Fatal("apptest: the service is already served; make tokens and load data before Serve")
	}
	return s.store
}

// Serve runs app.Run on 127.0.0.1:0 (and /metrics on another free port)
// with the limits serve's flags default to, as edit (nil: none) changes
// them, and returns once it listens: its base URL, and stop, which ends its
// context and returns Run's error once Run has returned. The test fails if
// Run does not start, or does not return within 30 s of stop; stop runs at
// the test's end if the test has not called it.
func (s *Service) Serve(edit func(*app.Options)) (base string, stop func() error) {
	s.t.Helper()
	type addrs struct{ http, metrics net.Addr }
	listening := make(chan addrs, 1)
	o := app.Options{Store: s.unserved(), Logger: slog.New(slog.DiscardHandler), Stdout: io.Discard,
		Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", BodyLimit: "32M", ReadHeaderTimeout: 10 * time.Second,
		BodyIdleTimeout: 30 * time.Second, BodyTimeout: 10 * time.Minute, ShutdownTimeout: 20 * time.Second,
		KPIRefresh: 5 * time.Minute, MaxSeries: 10_000,
		Listening: func(h, m net.Addr) { listening <- addrs{h, m} }}
	if edit != nil {
		edit(&o)
	}
	observe := o.Observe
	o.Observe = func(f *metrics.Facts, c *metrics.Cache) {
		s.Facts, s.Cache = f, c
		if observe != nil {
			observe(f, c)
		}
	}
	s.store = nil // app.Run owns it now, and closes it
	ctx, cancel := context.WithCancel(context.WithoutCancel(s.t.Context()))
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, o) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				s.t.Errorf("app.Run did not return within 30 s of the stop")
			}
		})
		return err
	}
	s.t.Cleanup(func() { stop() })
	select {
	case a := <-listening:
		s.URL = "http://" + a.http.String()
		if a.metrics != nil {
			s.MetricsURL = "http://" + a.metrics.String() + "/metrics"
		}
	case err := <-done:
		s.t.Fatalf("app.Run: %v", err)
	case <-time.After(60 * time.Second):
		s.t.Fatal("app.Run did not start listening within 60 s")
	}
	return s.URL, stop
}

// Stored opens the data directory of a stopped service and returns org's
// stored time entries and its ingest batches by status.
func (s *Service) Stored(org string) (entries int, batches map[string]int) {
	s.t.Helper()
	return Stored(s.t, s.LibPath, s.DataDir, org)
}

// Stored opens the embedded engine's data directory dir (with the library
// lib) and returns org's stored time entries and its ingest batches by
// status. No other process may have the directory open.
func Stored(t testing.TB, lib, dir, org string) (entries int, batches map[string]int) {
	t.Helper()
	s, err := chdb.Open(chdb.Config{LibPath: lib, DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	rows, err := s.Query(ctx, "SELECT count() FROM ops.time_entries FINAL WHERE org_id = {org:String}", store.Params{"org": org})
	if err != nil {
		t.Fatal(err)
	}
	if err := rows.Scan(0, &entries); err != nil {
		t.Fatal(err)
	}
	rows, err = s.Query(ctx, "SELECT toString(status), count() FROM ops.ingest_batches FINAL WHERE org_id = {org:String} GROUP BY status", store.Params{"org": org})
	if err != nil {
		t.Fatal(err)
	}
	batches = map[string]int{}
	for i := range rows.Len() {
		var status string
		var n int
		if err := rows.Scan(i, &status, &n); err != nil {
			t.Fatal(err)
		}
		batches[status] = n
	}
	return entries, batches
}

// IntakeReply is the intake API's answer, as Post reads it.
type IntakeReply struct {
	Written  *bool
	Entities map[string]struct{ Read, Valid, Written, New, Updated, Deleted, Rejected int }
	Rejected int
	Errors   []struct {
		Line                 int
		Field, Value, Reason string
	}
	Error string
}

// Post sends body to url with a bearer token (none for "") and returns the
// status and the intake's answer; an answer that is not JSON fails the test.
func Post(t testing.TB, url, token, contentType string, body io.Reader) (int, IntakeReply) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r IntakeReply
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("POST %s: %d, not JSON: %s", url, resp.StatusCode, raw)
	}
	return resp.StatusCode, r
}

// Get sends a GET with a bearer token and an Accept header (none for "")
// and returns the status, the Content-Type and the body.
func Get(t testing.TB, url, token, accept string) (int, string, string) {
	t.Helper()
	return Send(t, http.MethodGet, url, token, "", "Accept", accept)
}

// Send makes one request with a bearer token (none for "") and header pairs
// (an empty value is left out), and returns the status, the Content-Type and
// the body.
func Send(t testing.TB, method, url, token, body string, header ...string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] != "" {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// NDJSONEntries returns entries of 1.5 hours, each its own person's: one
// person logs at most 24 hours a day.
func NDJSONEntries(ids ...string) string {
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, `{"external_id":%q,"person":"p-%s","date":"2026-04-01","hours":1.5,"billable":true}`+"\n", id, id)
	}
	return b.String()
}

// CSVEntries is a CSV body of n time entries, te-00001 to te-n; the row on
// line bad (the header is line 1), if any, holds a byte that is not UTF-8.
func CSVEntries(n, bad int) string {
	var b strings.Builder
	b.WriteString("external_id,person,date,hours,billable\n")
	for i := 1; i <= n; i++ {
		notes := ""
		if i+1 == bad {
			notes = "\xff"
		}
		// A thousand people, one entry a day each: no one passes 24 hours a day.
		day := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/1000)
		fmt.Fprintf(&b, "te-%05d%s,p%d,%s,1.5,true\n", i, notes, i%1000, day.Format(time.DateOnly))
	}
	return b.String()
}

// SyncBuffer is a strings.Builder that goroutines may write at once: for
// logs a test reads while the service writes them.
type SyncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
