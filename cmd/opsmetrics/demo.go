package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/demo"
	"github.com/opsmetrics/opsmetrics/metrics"
	store "github.com/opsmetrics/opsmetrics/sql"
)

func cmdDemo(ctx context.Context, e *env, args []string) int {
	var so storeOptions
	var lo logOptions
	var cfg demo.Config
	fs := newFlags(e, "demo", "demo [flags]", `Loads a generated agency: people, clients, projects, a year of time entries,
deliverables with review cycles, allocations, time off and holidays. The same flags
give the same data, and loading it again replaces it rather than adding to it.
History ends today in each org's time zone, so dashboards show current data; only
allocations, booked time off and due dates lie ahead.`)
	fs.Int64Var(&cfg.Seed, "seed", 1, "random seed")
	fs.IntVar(&cfg.Orgs, "orgs", 1, "number of orgs")
	fs.IntVar(&cfg.People, "people", 18, "people per org")
	fs.IntVar(&cfg.Months, "months", 12, "months of history")
	fs.IntVar(&cfg.Entries, "entries", 0, "total time entries across orgs (0: natural volume)")
	force := fs.Bool("force", false, "load again even when this demo was loaded before")
	optimize := fs.Bool("optimize", true, "merge parts after loading (faster reads)")
	so.register(fs, e)
	lo.register(fs, e)
	log, code := parseWithLog(e, fs, args, &lo)
	if code >= 0 {
		return code
	}
	cfg.End = demo.EndToday(time.Now(), cfg.Orgs)
	if err := cfg.Validate(); err != nil {
		return fail(e, err)
	}
	s, err := so.openMigrated(ctx, log)
	if err != nil {
		return fail(e, err)
	}
	defer s.Close()

	batchID := demoBatchID(cfg)
	if !*force {
		done, err := batchDone(ctx, s, batchID)
		if err != nil {
			return fail(e, err)
		}
		if done {
			fmt.Fprintf(e.stdout, "demo data is already loaded (batch %s; --force loads it again)\n", batchID)
			return demoSummary(ctx, e, s)
		}
	}
	if err := loadDemo(ctx, e, s, log, cfg, batchID); err != nil {
		return fail(e, err)
	}
	if *optimize {
		if err := optimizeTables(ctx, s); err != nil {
			return fail(e, err)
		}
	}
	// The money KPIs read entry facts built after the last write.
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: log})
	if err == nil {
		err = facts.RefreshAll(ctx)
		facts.Wait()
	}
	if err != nil {
		return fail(e, err)
	}
	return demoSummary(ctx, e, s)
}

// demoSummary prints what is loaded and an API token for the first demo org:
// with the embedded engine, `serve` holds the data directory, so a token
// made now is how a user tries the API on the running server.
func demoSummary(ctx context.Context, e *env, s store.Store) int {
	if code := printCounts(ctx, e, s); code != 0 {
		return code
	}
	rows, err := s.Query(ctx, store.QueryText("org_list"), nil)
	if err != nil {
		return fail(e, err)
	}
	if rows.Len() == 0 {
		return 0
	}
	var org, name string
	if err := rows.Scan(0, &org, &name); err != nil {
		return fail(e, err)
	}
	plain, _, err := auth.New(s, nil).Create(ctx, org, "demo", []string{auth.ScopeIngest, auth.ScopeRead}, 0)
	if err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.stdout, "\nAPI token for org %s (%s), scopes ingest and read:\n  %s\n", org, name, plain)
	fmt.Fprintf(e.stdout, "\nDashboards: once `opsmetrics serve` runs on :8080, open this sign-in link (the token\nafter '#' never leaves your browser):\n  http://localhost:8080/login#%s\n", plain)
	return 0
}

// demoBatchID names a demo load by everything that determines its records.
func demoBatchID(cfg demo.Config) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%d/%d/%d/%d/%d/%s/%d", cfg.Seed, cfg.Orgs, cfg.People, cfg.Months,
		cfg.Entries, cfg.End.Format(time.DateOnly), cfg.ForwardWeeks))
	return "demo-" + hex.EncodeToString(h[:6])
}

func batchDone(ctx context.Context, s store.Store, id string) (bool, error) {
	rows, err := s.Query(ctx, store.QueryText("ingest_batch_status"), store.Params{"org": "", "batch": id})
	if err != nil {
		return false, err
	}
	if rows.Len() == 0 {
		return false, nil
	}
	var status string
	var inserted uint64
	var finished *time.Time
	if err := rows.Scan(0, &status, &inserted, &finished); err != nil {
		return false, err
	}
	return status == ingest.BatchDone, nil
}

func loadDemo(ctx context.Context, e *env, s store.Store, log *slog.Logger, cfg demo.Config, batchID string) error {
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: log})
	if err != nil {
		return err
	}
	rec := ingest.BatchRecord{ID: batchID, Source: "demo", Format: "generated", StartedAt: time.Now().UTC(), Status: ingest.BatchRunning}
	if _, err := w.Write(ctx, batchID, []ingest.BatchRecord{rec}); err != nil {
		return err
	}
	bar := newRowProgress(e.stderr, int64(cfg.Entries), "loading demo data")
	var written uint64
	counts, err := demo.Generate(ctx, cfg, func(records any) error {
		n, err := w.Write(ctx, batchID, records)
		written += uint64(n)
		bar.add(n)
		return err
	})
	bar.done()
	finished := time.Now().UTC()
	rec.FinishedAt, rec.RowsRead, rec.RowsInserted = &finished, written, written
	rec.Status = ingest.BatchDone
	if err != nil {
		rec.Status, rec.Error = ingest.BatchFailed, err.Error()
	}
	if _, werr := w.Write(context.WithoutCancel(ctx), batchID, []ingest.BatchRecord{rec}); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	log.Info("demo_loaded", "batch", batchID, "rows", written, "seconds", finished.Sub(rec.StartedAt).Seconds(), "records", counts)
	return nil
}

// optimizeTables merges each table's parts so reads of freshly loaded data
// do not pay for many small parts or for FINAL across unmerged versions.
func optimizeTables(ctx context.Context, s store.Store) error {
	for _, t := range []string{"people", "clients", "projects", "time_entries", "deliverables", "task_events",
		"allocations", "time_off", "holidays", "adjustments", "invoice_lines", "ingest_batches"} {
		if err := s.Exec(ctx, "OPTIMIZE TABLE ops."+t+" FINAL", nil); err != nil {
			return fmt.Errorf("optimize ops.%s: %w", t, err)
		}
	}
	return nil
}

func printCounts(ctx context.Context, e *env, s store.Store) int {
	rows, err := s.Query(ctx, store.QueryText("table_counts"), nil)
	if err != nil {
		return fail(e, err)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\trows\t")
	for i := range rows.Len() {
		var table string
		var n uint64
		if err := rows.Scan(i, &table, &n); err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(tw, "%s\t%d\t\n", table, n)
	}
	tw.Flush()
	return 0
}
