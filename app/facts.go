package app

import (
	"context"
	"errors"
	"log/slog"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/metrics"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// NewFacts returns the entry facts of s for this process (serve, and the
// commands that read KPIs). On a store other processes write too, an org's
// facts are built under its facts lease (collect.Leases, key
// "entry-facts"), so that two replicas never build one org at once.
// versions may be nil.
func NewFacts(s store.Store, log *slog.Logger, versions *metrics.Versions) (*metrics.Facts, error) {
	cfg := metrics.FactsConfig{Store: s, Logger: log, Versions: versions}
	if !store.IsExclusive(s) {
		leases, err := collect.NewLeases(collect.LeasesConfig{Store: s})
		if err != nil {
			return nil, err
		}
		cfg.Hold = factsHold(leases, collect.ReplicaName())
	}
	return metrics.NewFacts(cfg)
}

// factsHold is metrics.FactsConfig.Hold over leases, for owner: the org's
// lease "entry-facts" (source ids start with "src_", hook ids with "hk_").
func factsHold(leases *collect.Leases, owner string) func(context.Context, string) (metrics.FactsLease, error) {
	return func(ctx context.Context, org string) (metrics.FactsLease, error) {
		l, err := leases.Hold(ctx, org, "entry-facts", owner)
		if l == nil || err != nil {
			return nil, err
		}
		return factsLease{l}, nil
	}
}

// factsLease is a held facts lease; releasing one already lost is no
// error (the next holder has it).
type factsLease struct{ *collect.Lease }

func (l factsLease) Release(ctx context.Context) error {
	if err := l.Lease.Release(ctx); !errors.Is(err, collect.ErrLeaseLost) {
		return err
	}
	return nil
}
