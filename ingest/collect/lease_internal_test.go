package collect

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// TestLeaseOneReplica: replicas a and b both find a source's lease free;
// a writes its claim, and b writes its own while a waits for claims to
// settle (as b does when it checked just before a wrote). Both then read
// the same holder, b, and a does not sync beside it.
func TestLeaseOneReplica(t *testing.T) {
	s := chdbtest.Shared(t)
	key := make([]byte, auth.KeySize)
	rand.Read(key)
	sealer, err := auth.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Hour)
	b, err := NewSources(SourcesConfig{Store: s, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	settled := false
	a, err := NewSources(SourcesConfig{Store: s, Sealer: sealer, Sleep: func(ctx context.Context, d time.Duration) error {
		settled = d == DefaultSettle
		return b.claim(ctx, "lease-org", "src_1", "replica-b", until)
	}})
	if err != nil {
		t.Fatal(err)
	}
	aGot, err := a.lease(t.Context(), "lease-org", "src_1", "replica-a", until)
	if err != nil {
		t.Fatal(err)
	}
	who, _, err := b.holder(t.Context(), "lease-org", "src_1")
	if err != nil {
		t.Fatal(err)
	}
	if aGot || who != "replica-b" || !settled {
		t.Errorf("replica a took the lease: %v; the holder b reads: %q; a waited %v to settle; want false, replica-b, true", aGot, who, settled)
	}
	// Once b holds it, a finds it taken without writing a claim.
	if again, err := a.lease(t.Context(), "lease-org", "src_1", "replica-a", until); err != nil || again {
		t.Errorf("a second try by a: %v, %v; want false", again, err)
	}
}
