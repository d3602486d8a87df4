package collect

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// shared is the store as replicas on one ClickHouse server see it: it does
// not say it is exclusive, so taking a lease settles.
type shared struct{ Store }

// clock is a test's clock, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func leaseKey(t *testing.T) (string, string) {
	return fmt.Sprintf("lease-%s-%d", t.Name(), time.Now().UnixNano()), "src_1"
}

func testSources(t *testing.T, st Store, now func() time.Time, sleep func(context.Context, time.Duration) error) *Sources {
	t.Helper()
	key := make([]byte, auth.KeySize)
	rand.Read(key)
	sealer, err := auth.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := NewSources(SourcesConfig{Store: st, Sealer: sealer, Now: now, Sleep: sleep})
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// TestLeaseOneReplica: replicas a and b both find a source's lease free;
// a writes its claim, and b takes it while a waits for claims to settle (as
// b does when it checked just before a wrote). Both then read the same
// holder, b, and a does not sync beside it.
func TestLeaseOneReplica(t *testing.T) {
	s := shared{chdbtest.Shared(t)}
	orgID, id := leaseKey(t)
	b := testSources(t, s, nil, nil)
	var bl *Lease
	settled := false
	a := testSources(t, s, nil, func(ctx context.Context, d time.Duration) error {
		settled = d == DefaultSettle
		bl = &Lease{ls: b.leases, org: orgID, source: id, owner: "replica-b", token: 7, until: time.Now().Add(time.Hour)}
		return b.leases.claim(ctx, bl, bl.until, 0)
	})
	al, err := a.acquire(t.Context(), orgID, id, "replica-a")
	if err != nil {
		t.Fatal(err)
	}
	if al != nil || !settled || bl.check(t.Context()) != nil {
		t.Errorf("replica a took the lease: %v; a waited %v to settle; b's check: %v; want no lease, true, nil", al != nil, settled, bl.check(t.Context()))
	}
	// Once b holds it, a finds it taken without writing a claim.
	if again, err := a.acquire(t.Context(), orgID, id, "replica-a"); err != nil || again != nil {
		t.Errorf("a second try by a: %v, %v; want no lease", again, err)
	}
}

// TestLeaseFenced: a holder renews its lease while its sync runs, so
// nobody takes it; once it stalls past it, another replica takes it over,
// and the stalled holder's check, renewal and release all fail without
// writing a claim over the new holder's. The new holder's release frees it.
func TestLeaseFenced(t *testing.T) {
	s := shared{chdbtest.Shared(t)}
	orgID, id := leaseKey(t)
	clk := &clock{t: time.Now()}
	instant := func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	a := testSources(t, s, clk.Now, instant)
	b := testSources(t, s, clk.Now, instant)
	ctx := t.Context()

	al, err := a.acquire(ctx, orgID, id, "replica-a")
	if err != nil || al == nil {
		t.Fatalf("a: %v, %v", al, err)
	}
	// Two renewals 40 s apart carry a's lease past its first minute.
	for range 2 {
		clk.Add(40 * time.Second)
		if err := al.renew(ctx); err != nil {
			t.Fatalf("renew: %v", err)
		}
		if bl, err := b.acquire(ctx, orgID, id, "replica-b"); err != nil || bl != nil {
			t.Fatalf("b took a renewed lease: %v, %v", bl, err)
		}
	}
	// a stalls past its lease (80 s + 61 s > its last renewal at 80 s + 60 s).
	clk.Add(DefaultLeaseTTL + time.Second)
	bl, err := b.acquire(ctx, orgID, id, "replica-b")
	if err != nil || bl == nil {
		t.Fatalf("b could not take an expired lease: %v, %v", bl, err)
	}
	for name, err := range map[string]error{"check": al.check(ctx), "renew": al.renew(ctx), "release": al.release(ctx)} {
		if !errors.Is(err, ErrLeaseLost) {
			t.Errorf("a's %s after b took over: %v, want ErrLeaseLost", name, err)
		}
	}
	if err := bl.check(ctx); err != nil {
		t.Fatalf("b lost its lease to a's attempts: %v", err)
	}
	// The token fences, not only the clock: a hold of the same owner with
	// another token (a second sync of b's process) is not b's hold.
	other := &Lease{ls: b.leases, org: orgID, source: id, owner: "replica-b", token: bl.token + 2, until: clk.Now().Add(time.Minute)}
	if err := other.check(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("another token of b's owner: %v, want ErrLeaseLost", err)
	}
	if err := bl.release(ctx); err != nil {
		t.Fatal(err)
	}
	if al2, err := a.acquire(ctx, orgID, id, "replica-a"); err != nil || al2 == nil {
		t.Errorf("a after b released: %v, %v; want the lease", al2, err)
	}
}
