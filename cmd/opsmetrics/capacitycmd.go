package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/opsmetrics/opsmetrics/metrics"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// needs collects --need role=hours flags.
type needs map[string]decimal.Decimal

// String is the needs as given, ROLE=HOURS comma-separated; none is "", so
// --help shows no default (pflag prints any other as "(default ...)").
func (n needs) String() string {
	roles := slices.Sorted(maps.Keys(n))
	for i, r := range roles {
		roles[i] = r + "=" + n[r].String()
	}
	return strings.Join(roles, ",")
}

// Type names the flag's value in --help.
func (n needs) Type() string { return "ROLE=HOURS" }

// Set reads ROLE=HOURS (or ROLE:HOURS) as the API and the capacity page
// read a need (metrics.ParseNeed). A role with "=" in it is two needs in one
// flag ("designer=20,developer=10"), refused as not ROLE=HOURS, as --need
// always refused it, rather than looked up as a role.
func (n needs) Set(v string) error {
	role, h, err := metrics.ParseNeed(v)
	if err == nil && strings.Contains(role, "=") {
		err = &metrics.NeedError{Need: v, Role: role, Part: "need"}
	}
	if err != nil {
		return err
	}
	n[role] = h
	return nil
}

func cmdCapacity(e *env) *cobra.Command {
	cmd, _ := newCommand("capacity COMMAND", "free hours by week, and the earliest start for a job (for sales)", "")
	return group(cmd, cmdEarliestStart(e), cmdCapacityGrid(e))
}

func cmdEarliestStart(e *env) *cobra.Command {
	var so storeOptions
	var lo logOptions
	cmd, fs := newCommand("earliest-start --need ROLE=HOURS... --weeks N", "the first week a job fits everyone's free hours, with the reasons",
		`Answers "when can we start a job that needs these hours a week of these roles for N weeks?"
with a date: the first week from which every role has the free hours in each week of the
job (available hours minus confirmed bookings and, unless --no-tentative, tentative ones
times their probability). Also says which week is tightest, what falls short on the date
asked, when the same hours spread over more weeks could start, and how loaded each role
would be.

Example:
  opsmetrics capacity earliest-start --org acme --need designer=20 --need developer=10 --weeks 6 --not-before 2026-12-01`)
	o := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	need := needs{}
	fs.Var(need, "need", "hours per week of a role, ROLE=HOURS (repeat for each role; any capitals)")
	weeks := fs.Int("weeks", 0, "how many weeks the job runs")
	notBefore := fs.String("not-before", "", "the earliest date it may start, YYYY-MM-DD (default: today)")
	horizon := fs.Int("horizon", 52, "how many weeks ahead to look")
	noTentative := fs.Bool("no-tentative", false, "ignore tentative bookings")
	derate := fs.Bool("derate", false, "scale each person's confirmed bookings by how much they over- or under-ran them in the last 12 weeks")
	format := fs.String("format", "text", "output: text or json")
	fs.enum("format", "text", "json")
	so.register(fs, e)
	lo.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
		r := metrics.EarliestStartRequest{Org: *o, Demand: need, Weeks: *weeks, HorizonWeeks: *horizon,
			IncludeTentative: !*noTentative, Derate: *derate, Now: time.Now()}
		r.NotBefore = metrics.Today(r.Now.UTC())
		if *notBefore != "" {
			t, why := metrics.ParseDay(*notBefore)
			if why != "" {
				fmt.Fprintf(e.stderr, "opsmetrics capacity: --not-before %q: %s\n", *notBefore, why)
				return 2
			}
			r.NotBefore = t
		}
		if *format != "text" && *format != "json" {
			fmt.Fprintf(e.stderr, "opsmetrics capacity: --format %q: want text or json\n", *format)
			return 2
		}
		// Say what is missing as the flags name it; Validate speaks the API's fields.
		switch {
		case len(need) == 0:
			fmt.Fprintln(e.stderr, "opsmetrics capacity: --need is required: hours per week of a role, e.g. --need designer=20 (repeat for each role)")
			return 2
		case *weeks == 0:
			fmt.Fprintf(e.stderr, "opsmetrics capacity: --weeks is required: how many weeks the job runs, 1 to %d\n", metrics.MaxJobWeeks)
			return 2
		case *weeks < 0 || *weeks > metrics.MaxJobWeeks:
			fmt.Fprintf(e.stderr, "opsmetrics capacity: --weeks %d: how many weeks the job runs, 1 to %d\n", *weeks, metrics.MaxJobWeeks)
			return 2
		case *horizon < 0 || *horizon > metrics.MaxHorizonWeeks:
			fmt.Fprintf(e.stderr, "opsmetrics capacity: --horizon %d: how many weeks ahead to look, 1 to %d\n", *horizon, metrics.MaxHorizonWeeks)
			return 2
		}
		if err := r.Validate(); err != nil {
			return capacityFail(e, err)
		}
		s, code := openOrg(ctx, e, &so, log, r.Org)
		if code >= 0 {
			return code
		}
		defer s.Close()
		a, err := metrics.EarliestStart(ctx, s, r)
		if err != nil {
			return capacityFail(e, err)
		}
		if *format == "json" {
			if err := printJSON(e.stdout, a); err != nil {
				return fail(e, err)
			}
			return 0
		}
		printAnswer(e, a)
		return 0
	})
	return cmd
}

func cmdCapacityGrid(e *env) *cobra.Command {
	var so storeOptions
	var lo logOptions
	cmd, fs := newCommand("grid", "free hours by role, team or person for the coming weeks",
		"Free hours per week: available (contracted − time off − holidays), booked (confirmed),\ntentative (× probability) and free, by role, team or person.")
	o := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	by := fs.String("by", "role", "role, team or person")
	from := fs.String("from", "", "first day, YYYY-MM-DD (default: today)")
	to := fs.String("to", "", "day after the last (default: 12 weeks after from)")
	noTentative := fs.Bool("no-tentative", false, "do not subtract tentative bookings from free hours")
	derate := fs.Bool("derate", false, "scale confirmed bookings by each person's trailing actual ÷ scheduled hours")
	format := fs.String("format", "table", "output: table, json or csv")
	fs.enum("by", "role", "team", "person")
	fs.enum("format", "table", "json", "csv")
	so.register(fs, e)
	lo.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
		if !slices.Contains([]string{"table", "json", "csv"}, *format) {
			fmt.Fprintf(e.stderr, "opsmetrics capacity: --format %q: want table, json or csv\n", *format)
			return 2
		}
		r := metrics.CapacityRequest{Org: *o, By: *by, IncludeTentative: !*noTentative, Derate: *derate, Now: time.Now()}
		var err error
		if r.From, r.To, err = metrics.ParseCapacityRange(*from, *to, r.Now.UTC()); err != nil {
			// The error starts with the date's name: say it as the flag.
			fmt.Fprintf(e.stderr, "opsmetrics capacity: --%s\n", metrics.Message(err))
			return 2
		}
		s, code := openOrg(ctx, e, &so, log, r.Org)
		if code >= 0 {
			return code
		}
		defer s.Close()
		g, err := metrics.Capacity(ctx, s, r)
		if err != nil {
			return capacityFail(e, err)
		}
		switch *format {
		case "json":
			err = printJSON(e.stdout, g)
		case "csv":
			err = g.WriteCSV(e.stdout)
		default:
			// ASSUMED, next to AVAILABLE, only when some available hours
			// rest on an assumed week, with a note that says what it is.
			assumed := slices.ContainsFunc(g.Cells, metrics.CapacityCell.CapacityAssumed)
			// NAME beside a person's id; a role or a team is its own name.
			named := slices.ContainsFunc(g.Cells, func(c metrics.CapacityCell) bool { return c.Name != c.Key })
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "%s\t", strings.ToUpper(g.By))
			if named {
				fmt.Fprint(tw, "NAME\t")
			}
			fmt.Fprint(tw, "WEEK\tAVAILABLE\t")
			if assumed {
				fmt.Fprint(tw, "ASSUMED\t")
			}
			fmt.Fprint(tw, "BOOKED\tTENTATIVE\tFREE\t\n")
			for _, c := range g.Cells {
				fmt.Fprintf(tw, "%s\t", c.Key)
				if named {
					fmt.Fprintf(tw, "%s\t", c.Name)
				}
				fmt.Fprintf(tw, "%s\t%s\t", c.Week.Format(time.DateOnly), c.Available.StringFixed(1))
				if assumed {
					fmt.Fprintf(tw, "%s\t", c.Assumed.StringFixed(1))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t\n", c.Booked.StringFixed(1), c.Tentative.StringFixed(1), c.Free.StringFixed(1))
			}
			err = tw.Flush()
			if err == nil && assumed {
				_, err = fmt.Fprintln(e.stdout, "\nASSUMED: of the available hours, those of people an import created on first sight, on an assumed 40 h week;\nimport their real weekly capacity (docs/import.md).")
			}
		}
		if err != nil {
			return fail(e, err)
		}
		return 0
	})
	return cmd
}

func capacityFail(e *env, err error) int {
	if errors.Is(err, metrics.ErrBadRequest) {
		fmt.Fprintf(e.stderr, "opsmetrics capacity: %s\n", metrics.Message(err))
		return 2
	}
	return fail(e, err)
}

// openOrg opens the migrated store and checks that org exists. code is the
// exit code when it cannot (2 for an unknown org), else -1; the caller
// closes s.
func openOrg(ctx context.Context, e *env, so *storeOptions, log *slog.Logger, org string) (s store.Store, code int) {
	s, err := so.openMigrated(ctx, log)
	if err != nil {
		return nil, fail(e, err)
	}
	if err := metrics.CheckOrg(ctx, s, org); err != nil {
		s.Close()
		return nil, capacityFail(e, err)
	}
	return s, -1
}

// printAnswer writes the answer in plain words.
func printAnswer(e *env, a *metrics.EarliestStartAnswer) {
	if a.Feasible {
		fmt.Fprintf(e.stdout, "Earliest start: week of %s\n\n", a.Start.Format("Monday 2 January 2006"))
	} else {
		fmt.Fprintf(e.stdout, "No start fits within %d weeks of %s.\n\n", a.HorizonWeeks, a.FirstWeek.Format(time.DateOnly))
	}
	for _, r := range a.Reasons {
		fmt.Fprintf(e.stdout, "- %s\n", r)
	}
	if len(a.WhatIf) > 0 {
		fmt.Fprintln(e.stdout, "\nScheduled utilization over the job's weeks, without and with it:")
		for _, w := range a.WhatIf {
			if w.Before == nil {
				fmt.Fprintf(e.stdout, "  %-20s no available hours\n", a.RoleName(w.Role))
				continue
			}
			fmt.Fprintf(e.stdout, "  %-20s %5.1f%% -> %5.1f%%\n", a.RoleName(w.Role), *w.Before*100, *w.After*100)
		}
	}
}
