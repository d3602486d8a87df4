package metrics_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
	"github.com/opsmetrics/opsmetrics/sql/storetest"
)

// summing is the shared engine counting how often the entry facts' sources
// are summed up.
type summing struct {
	*chdb.Store
	sums atomic.Int64
}

func (s *summing) Query(ctx context.Context, q string, p store.Params) (*store.Rows, error) {
	if q == store.QueryText("entry_facts_sources") {
		s.sums.Add(1)
	}
	return s.Store.Query(ctx, q, p)
}

// With data versions, an org's build stays current through writes of other
// orgs; a write of its own is in the very next answer.
func TestFactsCurrentWhileTheVersionStands(t *testing.T) {
	storetest.Embedded(t, "it counts the engine's queries through a wrapper of *chdb.Store")
	s := &summing{Store: chdbtest.Shared(t)}
	const org, other = "facts-version", "facts-version-other"
	for _, o := range []string{org, other} {
		write(t, []settings.Settings{{ID: o, Name: o, TimeZone: "UTC", Currency: "USD"}},
			[]ingest.Person{{Meta: ingest.Meta{Org: o, Source: "api", ExternalID: "p1"}, ValidFrom: d("2025-01-01"), Name: "P",
				WeeklyCapacityHours: dec("40"), Workdays: 31}},
			[]ingest.TimeEntry{cacheEntry(o, "e1", "2026-01-05", "3")})
	}
	testFacts(t).Wait() // the shared facts' builds, which write() asked for, are not raced
	versions := must(metrics.NewVersions(s.Store, slog.New(slog.DiscardHandler)))
	facts := must(metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler), Versions: versions}))
	defer facts.Wait()
	logged := func() (string, int64) {
		t.Helper()
		before := s.sums.Load()
		res := must(metrics.Compute(t.Context(), s, facts, metrics.Request{KPI: "logged_hours", Org: org,
			From: d("2026-01-01"), To: d("2026-02-01"), Now: testNow}))
		return cell(t, res, "", "", "value"), s.sums.Load() - before
	}
	if v, _ := logged(); v != "3" {
		t.Fatalf("logged %s h, want 3", v)
	}
	if v, n := logged(); v != "3" || n != 0 {
		t.Fatalf("again: logged %s h after %d sums; want 3 from the build as it stands", v, n)
	}
	write(t, []ingest.TimeEntry{cacheEntry(other, "e2", "2026-01-06", "2")})
	testFacts(t).Wait()
	if v, n := logged(); v != "3" || n != 0 {
		t.Fatalf("after another org's write: logged %s h after %d sums; want 3 and no sum", v, n)
	}
	write(t, []ingest.TimeEntry{cacheEntry(org, "e2", "2026-01-06", "2")})
	testFacts(t).Wait()
	if v, n := logged(); v != "5" || n == 0 { // 3 + 2 h
		t.Fatalf("after its own write: logged %s h after %d sums; want 5 from a new build", v, n)
	}
}
