package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest/demo"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	store "github.com/opsmetrics/opsmetrics/sql"
)

func cmdDemo(e *env) *cobra.Command {
	var so storeOptions
	var lo logOptions
	var cfg demo.Config
	cmd, fs := newCommand("demo", "load a generated demo agency", `Loads a generated agency: people, clients, projects, a year of time entries,
deliverables with review cycles, allocations, time off and holidays. The same flags
give the same data, and loading it again replaces it rather than adding to it.
History ends today in each org's time zone, so dashboards show current data; only
allocations, booked time off and due dates lie ahead. Then every client gets last
month's report as its account lead would have written it (commentary from the month's
KPIs, next-month actions, a draft) and the org its recent quarterly retros; a second
run writes none of them again.`)
	fs.Int64Var(&cfg.Seed, "seed", 1, "random seed")
	fs.IntVar(&cfg.Orgs, "orgs", 1, "number of orgs")
	fs.IntVar(&cfg.People, "people", 18, "people per org")
	fs.IntVar(&cfg.Months, "months", 12, "months of history")
	fs.IntVar(&cfg.Entries, "entries", 0, "total time entries across orgs (0: natural volume)")
	force := fs.Bool("force", false, "load again even when this demo was loaded before")
	optimize := fs.Bool("optimize", true, "merge parts after loading (faster reads)")
	reports := fs.Bool("reports", true, "write last month's client reports (commentary, actions, drafts) and the quarterly retros; false: the data alone, for benchmarks")
	publicURL := fs.String("public-url", cmp.Or(e.getenv("OPSMETRICS_PUBLIC_URL"), "http://localhost:8080"),
		"where serve will be opened, for the printed sign-in link (OPSMETRICS_PUBLIC_URL)")
	so.register(fs, e)
	lo.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
		now := time.Now()
		cfg.End = demo.EndToday(now, cfg.Orgs)
		if err := cfg.Validate(); err != nil {
			return fail(e, err)
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		defer s.Close()
		im, err := importer.New(importer.Config{Store: s, Logger: log})
		if err != nil {
			return fail(e, err)
		}

		if !*force {
			loaded, err := demo.Loaded(ctx, im, cfg)
			if err != nil {
				return fail(e, err)
			}
			if loaded {
				fmt.Fprintf(e.stdout, "demo data is already loaded (batch %s; --force loads it again)\n", demo.BatchID(cfg))
				if code := demoReports(ctx, e, s, cfg, now, log, *reports); code != 0 {
					return code
				}
				return demoSummary(ctx, e, s, strings.TrimRight(*publicURL, "/"))
			}
		}
		bar := newRowProgress(e.stderr, int64(cfg.Entries), "loading demo data")
		_, err = demo.Load(ctx, cfg, demo.LoadConfig{Importer: im, Logger: log, OnRows: bar.add})
		bar.done()
		if err == nil && *optimize {
			err = im.Optimize(ctx)
		}
		if err != nil {
			return fail(e, err)
		}
		// The money KPIs read entry facts built after the last write.
		facts, err := app.NewFacts(s, log, nil)
		if err == nil {
			err = facts.RefreshAll(ctx)
			facts.Wait()
		}
		if err != nil {
			return fail(e, err)
		}
		if code := demoReports(ctx, e, s, cfg, now, log, *reports); code != 0 {
			return code
		}
		return demoSummary(ctx, e, s, strings.TrimRight(*publicURL, "/"))
	})
	return cmd
}

// demoSummary prints what is loaded and an API token for the first demo org:
// with the embedded engine, `serve` holds the data directory, so a token
// made now is how a user tries the API on the running server.
func demoSummary(ctx context.Context, e *env, s store.Store, publicURL string) int {
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
	plain, _, err := auth.New(s, nil).CreateBy(ctx, org, "demo", []string{auth.ScopeIngest, auth.ScopeRead}, 0, "cli")
	if err != nil {
		return fail(e, err)
	}
	// An admin of the demo org, signed in by a one-time link: loading the
	// demo again gives a new link (the old one stops working).
	users, err := auth.NewUsers(auth.UsersConfig{Store: s})
	if err != nil {
		return fail(e, err)
	}
	link, admin, err := users.Invite(ctx, org, "admin@"+org+".example", "Demo Admin", auth.RoleAdmin, "cli")
	if err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.stdout, "\nAPI token for org %s (%s), scopes ingest and read, for machines:\n  %s\n", org, name, plain)
	fmt.Fprintf(e.stdout, "\nDashboards: once `opsmetrics serve` runs, open this one-time sign-in link for\n%s, an admin of %s; it asks for a password (works once, for 7 days):\n  %s/invite/%s\n", admin.Email, name, publicURL, link)
	return 0
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
