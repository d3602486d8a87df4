package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// shared is the embedded engine without its Exclusive ability: the leases
// act as on a ClickHouse server several replicas share (claim, settle,
// read back).
type shared struct{ collect.Store }

// Two replicas run the KPI refresh under its lease: one at a time, and when
// the running one stops, the other takes over within the lease's TTL.
func TestLeaderRunsOnce(t *testing.T) {
	// An engine of its own, closed at the end: a process runs one at a time,
	// and the other tests of this binary open theirs (apptest).
	st, err := chdb.Open(chdb.Config{LibPath: chdbtest.LibPath(t), DataDir: filepath.Join(t.TempDir(), "data"),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := store.Migrate(t.Context(), st, store.MigrateConfig{}); err != nil {
		t.Fatal(err)
	}
	leases, err := collect.NewLeases(collect.LeasesConfig{Store: shared{st}, TTL: 1500 * time.Millisecond,
		Settle: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	key := "kpi-refresh-test-" + time.Now().Format("150405.000000")
	var running, most atomic.Int32
	var mu sync.Mutex
	var ran []string // who ran, in order
	replica := func(name string) (context.CancelFunc, chan struct{}) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		l := &leader{leases: leases, key: key, owner: name, every: 100 * time.Millisecond, retry: 100 * time.Millisecond,
			log: slog.New(slog.DiscardHandler), held: func(bool) {}}
		go func() {
			defer close(done)
			l.run(ctx, func(ctx context.Context) {
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				mu.Lock()
				ran = append(ran, name)
				mu.Unlock()
				<-ctx.Done()
				running.Add(-1)
			})
		}()
		return cancel, done
	}
	stopA, doneA := replica("replica-a")
	stopB, doneB := replica("replica-b")
	defer func() { stopA(); stopB(); <-doneA; <-doneB }()

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 20 s", what)
			}
		}
	}
	waitFor("a replica runs the job", func() bool { return running.Load() == 1 })
	time.Sleep(2 * time.Second) // more than the TTL: renewals keep it, the other keeps trying
	mu.Lock()
	first := ran[0]
	mu.Unlock()
	if n := most.Load(); n != 1 || len(ran) != 1 {
		t.Fatalf("%d jobs ran at once, %d started (%v); want one", n, len(ran), ran)
	}
	// The holder stops (its process ends): the other takes over.
	if first == "replica-a" {
		stopA()
		<-doneA
	} else {
		stopB()
		<-doneB
	}
	waitFor("the other replica takes over", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ran) == 2 && running.Load() == 1
	})
	if ran[1] == first || most.Load() != 1 {
		t.Fatalf("ran %v, at most %d at once; want the other replica second, one at a time", ran, most.Load())
	}
}

// Two replicas that start at once both migrate a fresh store: both
// succeed, every migration is recorded once, and a third run has nothing
// left to apply (every statement is IF NOT EXISTS, records replace).
func TestMigrateFromTwoReplicasAtOnce(t *testing.T) {
	st, err := chdb.Open(chdb.Config{LibPath: chdbtest.LibPath(t), DataDir: filepath.Join(t.TempDir(), "data"),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := store.Migrate(t.Context(), st, store.MigrateConfig{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	rows, err := st.Query(t.Context(), "SELECT count(), uniqExact(version) FROM ops.schema_migrations FINAL", nil)
	if err != nil {
		t.Fatal(err)
	}
	var n, versions uint64
	if err := rows.Scan(0, &n, &versions); err != nil {
		t.Fatal(err)
	}
	if n != uint64(len(all)) || versions != n {
		t.Errorf("recorded %d migrations (%d versions), want %d once each", n, versions, len(all))
	}
	if again, err := store.Migrate(t.Context(), st, store.MigrateConfig{}); err != nil || len(again) != 0 {
		t.Errorf("a third run applied %v (%v), want nothing", again, err)
	}
}
