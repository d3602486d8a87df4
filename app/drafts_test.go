package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// TestDraftsScheduler: with a clock the test sets, each org's drafts of
// July 2026 are prepared on its own first workday of August (a month that
// starts on a Saturday) in its own time zone, not before, never twice
// (a second replica finds them and writes nothing), and caught up on a
// later day when no server ran on the first workday.
func TestDraftsScheduler(t *testing.T) {
	// The app's tests each open an engine of their own (one per process
	// at a time), so Check sees only this test's orgs.
	s, err := chdb.Open(chdb.Config{LibPath: chdbtest.LibPath(t), DataDir: filepath.Join(t.TempDir(), "data"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if _, err := store.Migrate(ctx, s, store.MigrateConfig{}); err != nil {
		t.Fatal(err)
	}
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	client := func(o, id, name string) ingest.Client {
		return ingest.Client{Meta: ingest.Meta{Org: o, Source: "test", ExternalID: id}, Name: name}
	}
	if _, err := w.Write(ctx, "test", []ingest.Client{client("ds-berlin", "c1", "Acme"), client("ds-berlin", "c2", "Globex"),
		client("ds-dubai", "d1", "Initech")}); err != nil {
		t.Fatal(err)
	}
	// The orgs as an import or `org set` stores them: Berlin works Monday
	// to Friday, Dubai Sunday to Thursday.
	berlin, dubai, late := org.New("ds-berlin"), org.New("ds-dubai"), org.New("ds-late")
	berlin.TimeZone, dubai.TimeZone, late.TimeZone = "Europe/Berlin", "Asia/Dubai", "UTC"
	dubai.Workdays, _ = org.ParseWorkdays("sun,mon-thu")
	if _, err := w.Write(ctx, "test", []org.Settings{berlin, dubai}); err != nil {
		t.Fatal(err)
	}
	settings, err := org.NewCache(org.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	var now time.Time
	newScheduler := func() (*drafts, *prometheus.Registry) {
		reg := prometheus.NewRegistry()
		d, err := newDrafts(draftsConfig{Store: s, Settings: settings, Logger: slog.New(slog.DiscardHandler), Registerer: reg,
			Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return d, reg
	}
	d, _ := newScheduler()
	july := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	drafted := func(o string) int {
		t.Helper()
		x, err := metrics.ListDrafts(ctx, s, o, july)
		if err != nil {
			t.Fatal(err)
		}
		return len(x)
	}
	for _, step := range []struct {
		name, now      string
		berlin, dubai  int // drafts of July each org has afterwards
		wrote          int // drafts this check wrote
		cBerlin, cDuba float64
	}{
		// 2026-08-01 is a Saturday: a workday for neither.
		{"Saturday the 1st", "2026-08-01T12:00:00Z", 0, 0, 0, 0, 0},
		// 21:00 UTC is Sunday 01:00 in Dubai (UTC+4), a workday there; still Saturday 23:00 in Berlin.
		{"Sunday the 2nd in Dubai, Saturday in Berlin", "2026-08-01T21:00:00Z", 0, 1, 1, 0, 1},
		{"Sunday the 2nd, later", "2026-08-02T12:00:00Z", 0, 1, 0, 0, 1},
		// Monday 3 August, 08:00 in Berlin (UTC+2).
		{"Monday the 3rd", "2026-08-03T06:00:00Z", 2, 1, 2, 2, 1},
		{"the next hour: nothing twice", "2026-08-03T07:00:00Z", 2, 1, 0, 2, 1},
	} {
		now = must(time.Parse(time.RFC3339, step.now))
		n, err := d.Check(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if n != step.wrote || drafted("ds-berlin") != step.berlin || drafted("ds-dubai") != step.dubai {
			t.Errorf("%s: wrote %d, Berlin has %d, Dubai %d; want %d, %d, %d", step.name, n, drafted("ds-berlin"), drafted("ds-dubai"),
				step.wrote, step.berlin, step.dubai)
		}
		if b, u := testutil.ToFloat64(d.prepared.WithLabelValues("ds-berlin")), testutil.ToFloat64(d.prepared.WithLabelValues("ds-dubai")); b != step.cBerlin || u != step.cDuba {
			t.Errorf("%s: counted %v and %v, want %v and %v", step.name, b, u, step.cBerlin, step.cDuba)
		}
	}

	// A second replica, checking at the same time, finds every draft.
	d2, _ := newScheduler()
	if n, err := d2.Check(ctx); err != nil || n != 0 {
		t.Errorf("a second replica wrote %d (%v), want 0", n, err)
	}

	// An org whose first workday passed with no server running: its
	// drafts are prepared at the next start in the month, by Run's first
	// check.
	if _, err := w.Write(ctx, "test", []org.Settings{late}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(ctx, "test", []ingest.Client{client("ds-late", "l1", "Umbrella")}); err != nil {
		t.Fatal(err)
	}
	now = must(time.Parse(time.RFC3339, "2026-08-19T10:00:00Z"))
	d3, _ := newScheduler()
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d3.Run(rctx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for drafted("ds-late") == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	<-done
	if drafted("ds-late") != 1 || testutil.ToFloat64(d3.prepared.WithLabelValues("ds-late")) != 1 {
		t.Errorf("catching up: ds-late has %d drafts of July, counted %v; want 1, 1", drafted("ds-late"),
			testutil.ToFloat64(d3.prepared.WithLabelValues("ds-late")))
	}
	if n := drafted("ds-berlin"); n != 2 {
		t.Errorf("Berlin after the catch-up: %d drafts, want 2", n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
