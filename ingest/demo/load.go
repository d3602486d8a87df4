package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/importer"
)

// BatchID names the load of a dataset by everything that determines its
// records. It validates its copy of cfg first, so that a Config and the
// Config validated name the same load; an invalid one is never loaded.
func BatchID(cfg Config) string {
	_ = cfg.Validate()
	h := sha256.Sum256(fmt.Appendf(nil, "%d/%d/%d/%d/%d/%s/%d", cfg.Seed, cfg.Orgs, cfg.People, cfg.Months,
		cfg.Entries, cfg.End.Format(time.DateOnly), cfg.ForwardWeeks))
	return "demo-" + hex.EncodeToString(h[:6])
}

// Loaded reports whether the dataset of cfg was loaded in full before (its
// batch is recorded done), so that loading it again can be skipped.
func Loaded(ctx context.Context, im *importer.Importer, cfg Config) (bool, error) {
	if err := cfg.Validate(); err != nil {
		return false, err
	}
	return im.Done(ctx, "", BatchID(cfg))
}

// LoadConfig configures Load.
type LoadConfig struct {
	Importer *importer.Importer
	Logger   *slog.Logger
	// OnRows, if set, is told of the rows of every INSERT, for progress.
	OnRows func(n int)
}

// Validate reports a missing importer or logger.
func (c *LoadConfig) Validate() error {
	if c.Importer == nil || c.Logger == nil {
		return errors.New("demo load: importer and logger are required")
	}
	return nil
}

// Load generates the dataset of cfg and writes it through the importer as
// one batch (Importer.Load) named BatchID(cfg), spanning orgs and of the
// source Source. Loading a dataset again replaces its records, as their keys
// are the same; Importer.Optimize afterwards makes reads of it faster. It
// returns the counts generated, and Generate's error, the store's or the
// configuration's.
func Load(ctx context.Context, cfg Config, lc LoadConfig) (Counts, error) {
	if err := lc.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	b := importer.Batch{ID: BatchID(cfg), Source: Source, Format: "generated"}
	var counts Counts
	rows, err := lc.Importer.Load(ctx, b, func(write func(records any) (int, error)) error {
		var err error
		counts, err = Generate(ctx, cfg, func(records any) error {
			n, err := write(records)
			if lc.OnRows != nil {
				lc.OnRows(n)
			}
			return err
		})
		return err
	})
	if err != nil {
		return counts, fmt.Errorf("load demo data: %w", err)
	}
	lc.Logger.Info("demo_loaded", "batch", b.ID, "rows", rows, "seconds", time.Since(start).Seconds(), "records", counts)
	return counts, nil
}
