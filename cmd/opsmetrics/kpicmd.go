package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/metrics"
)

func cmdKPI(e *env) *cobra.Command {
	var so storeOptions
	var lo logOptions
	cmd, fs := newCommand("kpi NAME", "compute a KPI (utilization, on-time delivery, write-off, margin, ...)", `Computes one KPI for one org over [from, to) in the org's time zone, as defined in
docs/kpis.md. "opsmetrics kpi list" lists the KPIs with their groupings and filters.
Without --from and --to it answers for the current month to date in the org's time
zone, from the 1st to today included, as the pages do.

Examples:
  opsmetrics kpi billable_utilization --org acme --from 2026-01-01 --to 2026-04-01 --by team --interval month
  opsmetrics kpi write_off_rate --org acme --client c-0003 --format csv`)
	org := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	from := fs.String("from", "", "first day, YYYY-MM-DD (default: the first of this month in the org's time zone)")
	to := fs.String("to", "", "day after the last, YYYY-MM-DD (default: tomorrow with no --from, so this month to date; --from plus one month with one)")
	by := fs.String("by", "", "group by: "+strings.Join(metrics.Dimensions, ", "))
	interval := fs.String("interval", "", "bucket by: day, week or month")
	format := fs.String("format", "table", "output: table, json or csv")
	filters := map[string]*string{}
	for _, d := range metrics.Dimensions {
		filters[d] = fs.String(d, "", "only this "+d+" (its id, or its name when no other "+d+" has it)")
	}
	fs.enum("format", "table", "json", "csv")
	fs.enum("by", metrics.Dimensions...)
	fs.enum("interval", "day", "week", "month")
	so.register(fs, e)
	lo.register(fs, e)
	cmd.Args = func(c *cobra.Command, args []string) error { return noArgs(c, args[min(len(args), 1):]) }
	cmd.ValidArgsFunction = kpiNames
	cmd.AddCommand(cmdKPIList(e))
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, args []string) int {
		var name string
		if len(args) > 0 {
			name = args[0]
		}
		switch {
		case name == "":
			fmt.Fprintln(e.stderr, "opsmetrics kpi: name a KPI (opsmetrics kpi list shows them)")
			return 2
		case !known(name):
			// Request.Validate would point to the HTTP catalog; here the
			// catalog is a command away.
			fmt.Fprintf(e.stderr, "opsmetrics kpi: unknown KPI %q (opsmetrics kpi list shows them)\n", name)
			return 2
		case *org == "":
			fmt.Fprintln(e.stderr, "opsmetrics kpi: --org is required (or set OPSMETRICS_ORG)")
			return 2
		case !slices.Contains([]string{"table", "json", "csv"}, *format):
			fmt.Fprintf(e.stderr, "opsmetrics kpi: --format %q: want table, json or csv\n", *format)
			return 2
		}
		req := metrics.Request{KPI: name, Org: *org, GroupBy: *by, Interval: *interval, Filters: map[string]string{}, WithNames: true}
		var err error
		// The dates are checked before the store opens; the default range,
		// in the org's time zone, is known once its settings are read.
		if req.From, req.To, err = metrics.ParseRange(*from, *to, time.Now()); err != nil {
			// The error starts with "from" or "to": here they are flags.
			fmt.Fprintf(e.stderr, "opsmetrics kpi: --%v\n", metrics.Message(err))
			return 2
		}
		for d, v := range filters {
			if *v != "" {
				req.Filters[d] = *v
			}
		}
		if _, err := req.Validate(); err != nil {
			fmt.Fprintf(e.stderr, "opsmetrics kpi: %v\n", metrics.Message(err))
			return 2
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		defer s.Close()
		facts, err := app.NewFacts(s, log, nil)
		if err != nil {
			return fail(e, err)
		}
		defer facts.Wait() // a build the read stopped waiting for ends before the store closes
		if code := checkOrg(ctx, e, s, "kpi", req.Org); code >= 0 {
			return code
		}
		if *from == "" {
			now, err := metrics.OrgNow(ctx, s, nil, req.Org, time.Now())
			if err != nil {
				return fail(e, err)
			}
			if req.From, req.To, err = metrics.ParseRange(*from, *to, now); err != nil {
				fmt.Fprintf(e.stderr, "opsmetrics kpi: --%v\n", metrics.Message(err))
				return 2
			}
		}
		// The same read path as serve's: through a KPI cache keyed by the
		// org's data version. A command is one process and one answer, so
		// only reads repeated within it hit; the debug line says how many.
		versions, err := metrics.NewVersions(s, log)
		if err != nil {
			return fail(e, err)
		}
		cache, err := metrics.NewCache(metrics.CacheConfig{Store: s, Versions: versions})
		if err != nil {
			return fail(e, err)
		}
		res, err := metrics.Compute(metrics.WithSurface(ctx, "cli"), cache, facts, req)
		hits, misses := cache.Counts()
		log.Debug("kpi_cache_reads", "hits", hits, "misses", misses)
		if errors.Is(err, metrics.ErrBadRequest) {
			fmt.Fprintf(e.stderr, "opsmetrics kpi: %v\n", err)
			return 2
		}
		if err != nil {
			return fail(e, err)
		}
		switch *format {
		case "json":
			err = printJSON(e.stdout, res)
		case "csv":
			err = res.WriteCSV(e.stdout)
		default:
			// The currency only for a KPI with money columns, as the currency
			// note: hours and ratios are in no currency.
			currency := ""
			if k, _ := metrics.Lookup(res.KPI); k.Money() {
				currency = res.Currency + ", "
				if res.Currency == "" {
					currency = "currency unknown, " // the notes under the table say how to set it
				}
			}
			fmt.Fprintf(e.stdout, "%s for %s, %s to %s (%sdefinition v%d)\n\n", res.KPI, res.Org, res.From, res.To, currency, res.Version)
			err = res.WriteTable(e.stdout)
		}
		if err != nil {
			return fail(e, err)
		}
		return 0
	})
	return cmd
}

func cmdKPIList(e *env) *cobra.Command {
	cmd, fs := newCommand("list", "list the KPIs with their units, groupings and filters", "Lists every KPI with its unit, groupings and filters.")
	format := fs.String("format", "table", "output: table or json")
	// Every org has the same KPIs; --org is taken so that a script passing
	// it to every kpi command does not fail here.
	fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG); every org has the same KPIs")
	fs.enum("format", "table", "json")
	runs(cmd, func(context.Context, []string) int {
		if *format == "json" {
			if err := printJSON(e.stdout, metrics.Catalog()); err != nil {
				return fail(e, err)
			}
			return 0
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KPI\tUNIT\tGROUP BY\tDESCRIPTION")
		for _, k := range metrics.Catalog() {
			desc := k.Description
			if len(desc) > 90 {
				desc = desc[:strings.LastIndex(desc[:90], " ")] + " …"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Name, k.Unit, strings.Join(k.GroupBy, ","), desc)
		}
		if err := tw.Flush(); err != nil {
			return fail(e, err)
		}
		return 0
	})
	return cmd
}

// kpiNames completes a KPI's name from the catalog, which needs no store.
func kpiNames(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []cobra.Completion
	for _, k := range metrics.Catalog() {
		names = append(names, cobra.CompletionWithDesc(k.Name, k.Title))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// known reports whether name is a KPI of the catalog.
func known(name string) bool {
	_, ok := metrics.Lookup(name)
	return ok
}
