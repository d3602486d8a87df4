package metrics_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
	"github.com/opsmetrics/opsmetrics/sql/storetest"
)

// counting is a Querier that counts the queries that reach the store.
type counting struct {
	q metrics.Querier
	n atomic.Int64
}

func (c *counting) Query(ctx context.Context, query string, p store.Params) (*store.Rows, error) {
	c.n.Add(1)
	return c.q.Query(ctx, query, p)
}

// The cache orgs: two orgs with one person each, logging hours in January
// 2026.
const cacheOrgA, cacheOrgB = "cache-a", "cache-b"

func cacheEntry(org, id, date, hours string) ingest.TimeEntry {
	return ingest.TimeEntry{Meta: ingest.Meta{Org: org, Source: "api", ExternalID: id}, PersonID: "p1",
		Date: d(date), Hours: dec(hours), Billable: true, ProjectID: "web", ClientID: "c1", BillingStatus: ingest.Unbilled}
}

func TestCacheAnswersUntilAWriteLands(t *testing.T) {
	s := testStore(t)
	versions := must(metrics.NewVersions(s, slog.New(slog.DiscardHandler)))
	under := &counting{q: s}
	cache := must(metrics.NewCache(metrics.CacheConfig{Store: under, Versions: versions}))
	for _, o := range []string{cacheOrgA, cacheOrgB} {
		write(t, []settings.Settings{{ID: o, Name: o, TimeZone: "UTC", Currency: "USD"}},
			[]ingest.Person{{Meta: ingest.Meta{Org: o, Source: "api", ExternalID: "p1"}, ValidFrom: d("2025-01-01"), Name: "P",
				WeeklyCapacityHours: dec("40"), Workdays: 31}},
			[]ingest.TimeEntry{cacheEntry(o, "e1", "2026-01-05", "3")})
	}
	testFacts(t).Wait()
	logged := func(org string) (string, int64) {
		t.Helper()
		before := under.n.Load()
		res, err := metrics.Compute(t.Context(), cache, testFacts(t), metrics.Request{KPI: "logged_hours", Org: org,
			From: d("2026-01-01"), To: d("2026-02-01"), Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		return cell(t, res, "", "", "value"), under.n.Load() - before
	}
	// The first answer reads the store; the same request again does not.
	if v, n := logged(cacheOrgA); v != "3" || n == 0 {
		t.Fatalf("first answer: %s h after %d queries; want 3 h from the store", v, n)
	}
	if v, n := logged(cacheOrgA); v != "3" || n != 0 {
		t.Fatalf("repeated answer: %s h after %d queries; want 3 h from memory", v, n)
	}
	vA, vB := must(versions.Of(t.Context(), cacheOrgA)), must(versions.Of(t.Context(), cacheOrgB))
	logged(cacheOrgB)

	// A write to A: A's very next answer has it (3 + 2 = 5 h); B's is still
	// a hit, and B's version did not move.
	write(t, []ingest.TimeEntry{cacheEntry(cacheOrgA, "e2", "2026-01-06", "2")})
	if must(versions.Of(t.Context(), cacheOrgA)) == vA || must(versions.Of(t.Context(), cacheOrgB)) != vB {
		t.Fatalf("versions after a write to %s: A %s (was %s), B %s (was %s)", cacheOrgA,
			must(versions.Of(t.Context(), cacheOrgA)), vA, must(versions.Of(t.Context(), cacheOrgB)), vB)
	}
	if v, n := logged(cacheOrgA); v != "5" || n == 0 {
		t.Fatalf("after a write: %s h after %d queries; want 5 h (3 + 2) from the store", v, n)
	}
	if v, n := logged(cacheOrgB); v != "3" || n != 0 {
		t.Fatalf("the other org after a write: %s h after %d queries; want 3 h from memory", v, n)
	}

	// A settings change is a write too: the org's time zone moves which day
	// an entry falls on, so the answer is read again.
	write(t, []settings.Settings{{ID: cacheOrgA, Name: cacheOrgA, TimeZone: "Europe/Berlin", Currency: "USD"}})
	if _, n := logged(cacheOrgA); n == 0 {
		t.Fatal("after a settings change: answered from memory")
	}

	// A write of a derived table (the entry facts) moves no version.
	vA = must(versions.Of(t.Context(), cacheOrgA))
	if err := s.Exec(t.Context(), "ALTER TABLE ops.entry_facts DELETE WHERE org_id = {org:String} AND build_id = 'none'",
		store.Params{"org": cacheOrgA}); err != nil {
		t.Fatal(err)
	}
	if v := must(versions.Of(t.Context(), cacheOrgA)); v != vA {
		t.Fatalf("a write of entry facts moved the version from %s to %s", vA, v)
	}
	// A statement whose orgs are not known moves every org's.
	if err := s.Exec(t.Context(), "ALTER TABLE ops.holidays DELETE WHERE org_id = 'nobody-at-all'", nil); err != nil {
		t.Fatal(err)
	}
	if must(versions.Of(t.Context(), cacheOrgA)) == vA || must(versions.Of(t.Context(), cacheOrgB)) == vB {
		t.Fatal("a write of unknown orgs left a version where it was")
	}
}

func TestCacheNowIsTheMinute(t *testing.T) {
	s := testStore(t)
	versions := must(metrics.NewVersions(s, slog.New(slog.DiscardHandler)))
	under := &counting{q: s}
	cache := must(metrics.NewCache(metrics.CacheConfig{Store: under, Versions: versions}))
	q := "SELECT {org:String} AS org, {now:DateTime64(3)} AS now"
	ask := func(now time.Time) (time.Time, int64) {
		t.Helper()
		before := under.n.Load()
		rows := must(cache.Query(t.Context(), q, store.Params{"org": "cache-now", "now": now}))
		var org string
		var at time.Time
		if err := rows.Scan(0, &org, &at); err != nil {
			t.Fatal(err)
		}
		rows.Data[0][1] = "changed by the caller" // must not reach the cache
		return at, under.n.Load() - before
	}
	t0 := time.Date(2026, 12, 7, 10, 15, 5, 0, time.UTC)
	if at, n := ask(t0); n != 1 || !at.Equal(t0.Truncate(time.Minute)) {
		t.Fatalf("first: now %s after %d queries; want 10:15:00 from the store", at, n)
	}
	if at, n := ask(t0.Add(40 * time.Second)); n != 0 || !at.Equal(t0.Truncate(time.Minute)) {
		t.Fatalf("same minute: now %s after %d queries; want 10:15:00 from memory", at, n)
	}
	if at, n := ask(t0.Add(60 * time.Second)); n != 1 || !at.Equal(time.Date(2026, 12, 7, 10, 16, 0, 0, time.UTC)) {
		t.Fatalf("next minute: now %s after %d queries; want 10:16:00 from the store", at, n)
	}
}

// A second process on a shared store sees the first one's writes through
// ops.data_versions.
func TestVersionsSharedStore(t *testing.T) {
	storetest.Embedded(t, "it plays a shared server with the embedded engine")
	s := chdbtest.Shared(t)
	log := slog.New(slog.DiscardHandler)
	writer := must(metrics.NewVersions(sharedStore{s, s}, log))
	reader := must(metrics.NewVersions(sharedStore{s, nil}, log)) // hears of no write itself
	before := must(reader.Of(t.Context(), "cache-shared"))
	if err := s.Insert(t.Context(), &store.Batch{Table: "ops.holidays", Columns: []string{"org_id", "date", "name"},
		Values: []any{[]string{"cache-shared"}, []time.Time{d("2026-12-24")}, []string{"Eve"}}}); err != nil {
		t.Fatal(err)
	}
	if after := must(reader.Of(t.Context(), "cache-shared")); after == before {
		t.Fatalf("the other process's version stayed %s after a write", after)
	}
	_ = writer
}

// sharedStore is the shared engine as a store another process also uses:
// not exclusive, and telling of writes only when w is set.
type sharedStore struct {
	*chdb.Store
	w store.WriteWatcher
}

func (s sharedStore) Exclusive() bool { return false }

func (s sharedStore) WatchWrites(f func(context.Context, store.Write)) {
	if s.w != nil {
		s.w.WatchWrites(f)
	}
}

// BenchmarkCacheHit is the cost of a KPI answered from memory: the
// request's checks, the org's settings, the version, the key and a copy of
// the rows (go test -run '^$' -bench CacheHit ./metrics).
func BenchmarkCacheHit(b *testing.B) {
	s := testStore(b)
	versions := must(metrics.NewVersions(s, slog.New(slog.DiscardHandler)))
	cache := must(metrics.NewCache(metrics.CacheConfig{Store: s, Versions: versions}))
	write(b, []settings.Settings{{ID: "cache-bench", Name: "B", TimeZone: "UTC", Currency: "USD"}},
		[]ingest.TimeEntry{cacheEntry("cache-bench", "e1", "2026-01-05", "3")})
	orgs := must(settings.NewCache(settings.Config{Store: cache}))
	for _, kpi := range []string{"revenue", "logged_hours"} {
		b.Run(kpi, func(b *testing.B) {
			r := metrics.Request{KPI: kpi, Org: "cache-bench", From: d("2026-01-01"), To: d("2026-02-01"), Orgs: orgs, GroupBy: "client", WithNames: true}
			for b.Loop() {
				if _, err := metrics.Compute(b.Context(), cache, testFacts(b), r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A page is rendered once per org data version, minute and key.
func TestCacheRendered(t *testing.T) {
	s := testStore(t)
	versions := must(metrics.NewVersions(s, slog.New(slog.DiscardHandler)))
	cache := must(metrics.NewCache(metrics.CacheConfig{Store: s, Versions: versions}))
	renders := 0
	page := func(key string) string {
		t.Helper()
		b, err := cache.Rendered(t.Context(), "cache-render", key, func() ([]byte, error) {
			renders++
			return []byte(key), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// Two minutes' boundary would render again: start just after one.
	if time.Now().Second() > 55 {
		time.Sleep(6 * time.Second)
	}
	if page("overview?a") != "overview?a" || page("overview?a") != "overview?a" || renders != 1 {
		t.Fatalf("the same page twice: %d renders, want 1", renders)
	}
	if page("overview?b") != "overview?b" || renders != 2 {
		t.Fatalf("another key: %d renders, want 2", renders)
	}
	if err := s.Insert(t.Context(), &store.Batch{Table: "ops.holidays", Columns: []string{"org_id", "date", "name"},
		Values: []any{[]string{"cache-render"}, []time.Time{d("2026-12-25")}, []string{"Christmas"}}}); err != nil {
		t.Fatal(err)
	}
	if page("overview?a"); renders != 3 {
		t.Fatalf("after a write of the org: %d renders, want 3", renders)
	}
}

// A session's last use, written every five minutes of activity, moves no
// version: sessions are read by auth alone, never through the cache.
func TestSessionWriteMovesNoVersion(t *testing.T) {
	s := testStore(t)
	versions := must(metrics.NewVersions(s, slog.New(slog.DiscardHandler)))
	before := must(versions.Of(t.Context(), "cache-session"))
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := s.Insert(t.Context(), &store.Batch{Table: "ops.sessions",
		Columns: []string{"id_hash", "org_id", "user_id", "token_id", "created_at", "expires_at", "last_seen", "revoked", "version"},
		Values: []any{[]string{"h1"}, []string{"cache-session"}, []string{"u1"}, []string{""}, []time.Time{now},
			[]time.Time{now.Add(time.Hour)}, []time.Time{now}, []uint8{0}, []uint64{1}}}); err != nil {
		t.Fatal(err)
	}
	if after := must(versions.Of(t.Context(), "cache-session")); after != before {
		t.Fatalf("a session write moved the org's version from %s to %s", before, after)
	}
}
