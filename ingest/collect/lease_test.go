package collect_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// stallOnEntries is a transport that runs stall once, before the first
// request for time entries goes out: the replica is stopped there.
type stallOnEntries struct {
	once  sync.Once
	stall func()
}

func (s *stallOnEntries) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/time_entries") {
		s.once.Do(s.stall)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestLeaseStalledReplica: replicas a and b share one store and sync the
// same Harvest source. a takes the source's lease and stalls (a GC pause, a
// stopped VM: its lease is not renewed) once it began to pull; meanwhile b
// finds a's lease run out, takes it over and syncs. When a wakes it has
// lost the lease, by its own clock ("stalled") or, when its clock lags b's
// by more than the lease, by the newest claim being b's ("clock behind").
// Either way a's batch is dropped: the org holds exactly one sync's rows
// (the documented page: 4 entries, 6.46 h, 5.46 billable, 546.00; see
// TestHarvestDoneWhen), not one row of a's even before merges, and the
// state is b's success.
func TestLeaseStalledReplica(t *testing.T) {
	for _, behind := range []bool{false, true} {
		name := map[bool]string{false: "stalled", true: "clock behind"}[behind]
		t.Run(name, func(t *testing.T) {
			orgID := uniq("hv-lease")
			r := newRig(t, orgID)
			_, srv := newFakeHarvest(t, testToken, "123456")
			src := r.add(t, orgID, srv.URL)

			start := time.Now()
			var mu sync.Mutex
			offset := time.Duration(0) // how far the shared clock has moved
			clock := func(skew time.Duration) func() time.Time {
				return func() time.Time { mu.Lock(); defer mu.Unlock(); return start.Add(offset + skew) }
			}
			// A replica's heartbeat never beats: a stalled process's timers
			// stall with it, and b is done before it would beat.
			never := func(ctx context.Context, d time.Duration) error { <-ctx.Done(); return ctx.Err() }
			replica := func(now func() time.Time, client *http.Client) *collect.Collector {
				sources, err := collect.NewSources(collect.SourcesConfig{Store: r.s, Sealer: r.sealer, Now: now, Sleep: never})
				if err != nil {
					t.Fatal(err)
				}
				log := slog.New(slog.DiscardHandler)
				im, err := importer.New(importer.Config{Store: r.s, Logger: log, BatchRows: 3})
				if err != nil {
					t.Fatal(err)
				}
				c, err := collect.New(collect.Config{Sources: sources, Importer: im, Store: r.s, Logger: log, Now: now, HTTP: client,
					Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			bSkew := time.Duration(0)
			if behind {
				bSkew = collect.DefaultLeaseTTL + time.Second
			}
			b := replica(clock(bSkew), nil)
			var bRes collect.Result
			var bErr error
			a := replica(clock(0), &http.Client{Transport: &stallOnEntries{stall: func() {
				if !behind {
					mu.Lock()
					offset += collect.DefaultLeaseTTL + time.Second
					mu.Unlock()
				}
				bRes, bErr = b.Sync(t.Context(), orgID, src.ID, false)
			}}})

			aRes, aErr := a.Sync(t.Context(), orgID, src.ID, false)
			if bErr != nil || bRes.Added != 11 {
				t.Fatalf("b's sync: %+v, %v; want 11 added (4 entries, 3 users, 2 clients, 2 projects)", bRes, bErr)
			}
			if !errors.Is(aErr, collect.ErrLeaseLost) || aRes.Added+aRes.Updated+aRes.Deleted != 0 {
				t.Fatalf("a's sync: %+v, %v; want nothing written, ErrLeaseLost", aRes, aErr)
			}
			want := totals{4, "6.46", "5.46", "546"}
			if got := sums(t, r.s, orgID); got != want {
				t.Errorf("totals: %+v, want a single sync's %+v", got, want)
			}
			rows, err := r.s.Query(t.Context(), `SELECT count() FROM ops.time_entries WHERE org_id = {org:String}`,
				store.Params{"org": orgID})
			var raw int
			if err != nil || rows.Scan(0, &raw) != nil || raw != 4 {
				t.Errorf("time entry rows before merges: %d (%v), want 4: a wrote none", raw, err)
			}
			st, err := r.sources.Get(t.Context(), orgID, src.ID)
			if err != nil || st.State.LastSuccess == nil || st.State.LastError != "" || st.State.RowsAdded != 11 {
				t.Errorf("state: %+v, %v; want b's success", st.State, err)
			}
			// b released its lease: a sync now runs (and finds nothing new).
			if res, err := b.Sync(t.Context(), orgID, src.ID, false); err != nil || res.Added+res.Updated+res.Deleted != 0 {
				t.Errorf("the next sync: %+v, %v", res, err)
			}
		})
	}
}

// TestSyncBusy: a sync of a source whose lease another sync holds is
// refused with ErrBusy and writes nothing.
func TestSyncBusy(t *testing.T) {
	orgID := uniq("hv-busy")
	r := newRig(t, orgID)
	_, srv := newFakeHarvest(t, testToken, "123456")
	src := r.add(t, orgID, srv.URL)
	var inner error
	client := &http.Client{Transport: &stallOnEntries{stall: func() {
		_, inner = r.col.Sync(t.Context(), orgID, src.ID, false)
	}}}
	c, err := collect.New(collect.Config{Sources: r.sources, Importer: r.im, Store: r.s, Logger: slog.New(slog.DiscardHandler), HTTP: client})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(inner, collect.ErrBusy) || !strings.Contains(inner.Error(), src.ID) {
		t.Errorf("a second sync while the first ran: %v, want ErrBusy naming %s", inner, src.ID)
	}
	if got, want := sums(t, r.s, orgID), (totals{4, "6.46", "5.46", "546"}); got != want {
		t.Errorf("totals: %+v, want %+v", got, want)
	}
}
