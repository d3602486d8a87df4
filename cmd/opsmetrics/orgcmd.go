package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// orgSettings is what the org commands' help says about each setting.
const orgSettings = `The settings (also GET and PUT /api/v1/org):
  name               what dashboards and alerts call the org (default: its id)
  time zone          days, weeks and months of every KPI start at midnight there (default UTC)
  currency           of every amount; set by the first import that has one, and it cannot
                     change while the org has time entries in another
  workdays           the working week: available hours, business hours and workday counts
                     follow it (default mon-fri)
  business hours     approval time's business hours, local time (default 09:00-17:00)
  grace days         days after its due date that a delivery still counts as on time (default 0)
  overhead per hour  added to the cost of every hour worked, in the org's currency (default 0)
  stuck review hours how long a client review may wait for a decision before it counts as
                     stuck, on the approvals page and in the stuck-reviews alert (default 48)`

func cmdOrg(e *env) *cobra.Command {
	cmd, _ := newCommand("org COMMAND", "show or change an org's settings (time zone, workdays, currency, ...)",
		"Shows or changes an org's settings.\n\n"+orgSettings)
	return group(cmd,
		orgCommand(e, "show", "the org's settings", "Shows an org's settings.\n\n"+orgSettings),
		orgCommand(e, "set", "change some of them; the others stay", `Changes the settings given as flags; the others stay:
  --name "Acme Creative" --time-zone Europe/Berlin --currency EUR
  --workdays mon-fri --business-hours 09:00-17:00 --grace-days 2
  --overhead-per-hour 12.50 --stuck-review-hours 24

`+orgSettings))
}

// orgCommand is org show or org set (name): set takes a flag for each setting.
func orgCommand(e *env, name, short, long string) *cobra.Command {
	var so storeOptions
	var lo logOptions
	cmd, fs := newCommand(name, short, long)
	org := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	format := fs.String("format", "table", "output: table or json")
	fs.enum("format", "table", "json")
	var p settings.Patch
	var overhead string
	var grace, stuck int
	if name == "set" {
		p.Name, p.TimeZone, p.Currency = new(string), new(string), new(string)
		p.Workdays, p.BusinessHours = new(string), new(string)
		fs.StringVar(p.Name, "name", "", "the org's name")
		fs.StringVar(p.TimeZone, "time-zone", "", "an IANA time zone, such as Europe/Berlin")
		fs.StringVar(p.Currency, "currency", "", "an ISO currency code, such as EUR")
		fs.StringVar(p.Workdays, "workdays", "", "the working week, such as mon-fri or mon,tue,wed,thu")
		fs.StringVar(p.BusinessHours, "business-hours", "", "approval time's business hours, such as 09:00-17:00")
		fs.IntVar(&grace, "grace-days", 0, "days after its due date that a delivery still counts as on time")
		fs.StringVar(&overhead, "overhead-per-hour", "", "added to the cost of every hour worked, such as 12.50")
		fs.IntVar(&stuck, "stuck-review-hours", 0, "how long a client review may wait before it counts as stuck")
	}
	so.register(fs, e)
	lo.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
		if *org == "" {
			fmt.Fprintf(e.stderr, "opsmetrics org %s: --org is required\n", name)
			return 2
		}
		if *format != "table" && *format != "json" {
			fmt.Fprintf(e.stderr, "opsmetrics org %s: --format %q: want table or json\n", name, *format)
			return 2
		}
		if name == "set" {
			// Only the flags given change a setting.
			given := map[string]bool{}
			fs.Visit(func(f *pflag.Flag) { given[f.Name] = true })
			for name, field := range map[string]**string{"name": &p.Name, "time-zone": &p.TimeZone, "currency": &p.Currency,
				"workdays": &p.Workdays, "business-hours": &p.BusinessHours} {
				if !given[name] {
					*field = nil
				}
			}
			if given["grace-days"] {
				p.GraceDays = &grace
			}
			if given["stuck-review-hours"] {
				p.StuckReviewHours = &stuck
			}
			if given["overhead-per-hour"] {
				t := settings.Text(overhead)
				p.OverheadPerHour = &t
			}
			if p == (settings.Patch{}) {
				fmt.Fprintln(e.stderr, "opsmetrics org set: give at least one setting to change; see --help")
				return 2
			}
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		defer s.Close()
		var o settings.Settings
		if name == "show" {
			var found bool
			o, found, err = settings.Load(ctx, s, *org)
			if err == nil && !found {
				// Never created: say so, with the close ids, rather than show
				// the defaults an org would get.
				if code := checkOrg(ctx, e, s, "org show", *org); code >= 0 {
					return code
				}
			}
		} else {
			var w *ingest.Writer
			var orgs *settings.Cache
			if w, err = ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: log}); err == nil {
				orgs, err = settings.NewCache(settings.Config{Store: s, Writer: w, Audit: s})
			}
			if err == nil {
				o, err = orgs.UpdateBy(ctx, "cli", *org, p)
			}
		}
		if errors.Is(err, settings.ErrBadSetting) {
			fmt.Fprintf(e.stderr, "opsmetrics org set: %v\n", err)
			return 2
		}
		if err != nil {
			return fail(e, err)
		}
		set := o.Show()
		if *format == "json" {
			if err := printJSON(e.stdout, set); err != nil {
				return fail(e, err)
			}
			return 0
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		for _, kv := range [][2]string{{"org", set.ID}, {"name", set.Name}, {"time zone", set.TimeZone}, {"currency", set.Currency},
			{"workdays", set.Workdays}, {"business hours", set.BusinessHours}, {"grace days", fmt.Sprint(set.GraceDays)},
			{"overhead per hour", set.OverheadPerHour}, {"stuck review hours", fmt.Sprint(set.StuckReviewHours)}} {
			fmt.Fprintf(tw, "%s\t%s\n", kv[0], kv[1])
		}
		return flushOr(e, tw)
	})
	return cmd
}

// flushOr flushes tw and returns 0, or fails with its error.
func flushOr(e *env, tw *tabwriter.Writer) int {
	if err := tw.Flush(); err != nil {
		return fail(e, err)
	}
	return 0
}

// checkOrg checks that org exists (metrics.CheckOrg). It returns -1 when it
// does; else the exit code after saying so: 2 with the close ids for an
// unknown org, 1 when the store failed.
func checkOrg(ctx context.Context, e *env, s metrics.Querier, command, org string) int {
	err := metrics.CheckOrg(ctx, s, org)
	switch {
	case errors.Is(err, metrics.ErrBadRequest):
		fmt.Fprintf(e.stderr, "opsmetrics %s: --org: %v\n", command, err)
		return 2
	case err != nil:
		return fail(e, err)
	}
	return -1
}
