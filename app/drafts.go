package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// draftsConfig configures the monthly reports' draft scheduler.
type draftsConfig struct {
	Store metrics.RecordStore
	// Settings gives each org's time zone and workdays.
	Settings interface {
		Get(ctx context.Context, id string) (org.Settings, error)
	}
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time // defaults to time.Now
	Every      time.Duration    // how often it checks; 0 is an hour
}

func (c *draftsConfig) Validate() error {
	if c.Store == nil || c.Settings == nil || c.Logger == nil || c.Registerer == nil {
		return errors.New("drafts: store, settings, logger and registerer are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Every <= 0 {
		c.Every = time.Hour
	}
	return nil
}

// drafts prepares, on the first workday of a month in each org's time
// zone and with its workdays (metrics.DraftsDue), a draft of last month's
// report for every client of every org (metrics.PrepareDrafts). It checks
// at start and every hour, so a day on which no server ran is caught up on
// the next start in the month. Preparing writes only drafts that are
// missing: several replicas checking at once write nothing twice (a race
// between two of them writes the same draft twice, which the table's
// version collapses to one), and a draft already sent is never touched.
type drafts struct {
	cfg      draftsConfig
	prepared *prometheus.CounterVec
}

func newDrafts(cfg draftsConfig) (*drafts, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &drafts{cfg: cfg, prepared: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opsmetrics_report_drafts_prepared_total",
		Help: "Drafts of clients' monthly reports prepared, by org: on the month's first workday, or with Prepare drafts now on /reports."},
		[]string{"org"})}
	if err := cfg.Registerer.Register(d.prepared); err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	return d, nil
}

// Run checks now and then every cfg.Every until ctx ends. A failed check
// is logged and tried again at the next one.
func (d *drafts) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.Every)
	defer t.Stop()
	for {
		if _, err := d.Check(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Logger.Error("report_drafts_failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Check prepares the drafts due now for every org and returns how many it
// wrote. An org whose drafts fail does not stop the others; the errors
// come back joined.
func (d *drafts) Check(ctx context.Context) (int, error) {
	now := d.cfg.Now()
	rows, err := d.cfg.Store.Query(ctx, store.QueryText("org_list"), nil)
	if err != nil {
		return 0, fmt.Errorf("report drafts: list orgs: %w", err)
	}
	total := 0
	var errs []error
	for i := range rows.Len() {
		var id, name string
		if err := rows.Scan(i, &id, &name); err != nil {
			return total, fmt.Errorf("report drafts: list orgs: %w", err)
		}
		s, err := d.cfg.Settings.Get(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("report drafts of org %s: settings: %w", id, err))
			continue
		}
		month, due := metrics.DraftsDue(now, s)
		if !due {
			continue
		}
		n, err := metrics.PrepareDrafts(ctx, d.cfg.Store, id, month, now)
		if n > 0 {
			d.prepared.WithLabelValues(id).Add(float64(n))
			d.cfg.Logger.Info("report_drafts_prepared", "org", id, "month", month.Format("2006-01"), "drafts", n)
		}
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// Count adds n drafts of org prepared elsewhere (Prepare drafts now on
// /reports) to the counter.
func (d *drafts) Count(org string, n int) {
	if n > 0 {
		d.prepared.WithLabelValues(org).Add(float64(n))
	}
}
