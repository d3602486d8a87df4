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

	"github.com/opsmetrics/opsmetrics/metrics"
)

func cmdAlerts(e *env) *cobra.Command {
	cmd, _ := newCommand("alerts COMMAND", "alert rules and thresholds for Prometheus", "")
	rules, _ := newCommand("rules", "print the Prometheus alerting rules (deploy/prometheus/rules.yml)",
		`Prints the Prometheus alerting rules as YAML: one rule per KPI and for-duration bucket that
compares each KPI gauge with the thresholds set through PUT /api/v1/alerts/thresholds
(exported as opsmetrics_alert_threshold), and the fixed rules (retainer overage forecast,
stale data, failing KPI refresh, opsmetrics down). Load the file in Prometheus with
rule_files; deploy/prometheus/rules.yml is this output.

Example:
  opsmetrics alerts rules > deploy/prometheus/rules.yml`)
	runs(rules, func(context.Context, []string) int {
		if _, err := e.stdout.Write(metrics.AlertRules()); err != nil {
			return fail(e, err)
		}
		return 0
	})
	thresholds, _ := newCommand("thresholds COMMAND", "list, set or delete an org's alert thresholds",
		`Lists, sets or deletes an org's alert thresholds (as the API's /api/v1/alerts/thresholds);
Prometheus sees a change at the next KPI refresh, with no rule change or reload.`)
	group(thresholds,
		thresholdsCommand(e, "list", "the org's thresholds", ""),
		thresholdsCommand(e, "set", "create or replace one", `Creates or replaces one threshold: --kpi write_off_rate --comparator gt --value 8%
[--client c-0003 | --team Brand] [--for 1h] [--severity critical] [--id ID]

KPIs: `+strings.Join(thresholdKPIs(), ", ")+`
`+strings.Join(alertOnlyKPIs(), " and ")+` are alert-only counts (opsmetrics_kpi_<name> on
/metrics); the others are in opsmetrics kpi list.
Values are in the KPI's unit: ratios as 0.08 or 8%, approval_time_p90 in hours (36 or
36h), counts as whole numbers. --for is one of 0s, 5m, 15m, 1h, 6h or 1d. A band
(utilization outside 60-90%) is two thresholds: --comparator lt --value 60% and
--comparator gt --value 90%.`),
		thresholdsCommand(e, "delete", "remove one by its --id", ""))
	return group(cmd, rules, thresholds)
}

// thresholdsCommand is alerts thresholds list, set or delete (name), with
// the flags that one takes.
func thresholdsCommand(e *env, name, short, long string) *cobra.Command {
	var so storeOptions
	var lo logOptions
	cmd, fs := newCommand(name, short, long)
	org := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	var id, kpi, comparator, value, client, team, forText, severity, format *string
	switch name {
	case "list":
		format = fs.String("format", "table", "table or json")
		fs.enum("format", "table", "json")
	case "set":
		id = fs.String("id", "", "the threshold id (default: a new one)")
		kpi = fs.String("kpi", "", "the KPI watched, one of the KPIs above")
		comparator = fs.String("comparator", "gt", "gt (alert above the value) or lt (below)")
		value = fs.String("value", "", "the threshold in the KPI's unit: a ratio as 0.08 or 8%, hours as 36 or 36h, a count")
		client = fs.String("client", "", "a client (its id or name), for a client-scoped threshold")
		team = fs.String("team", "", "a team, for a team-scoped threshold")
		forText = fs.String("for", "0s", "how long the KPI must be past the value before the alert fires: 0s, 5m, 15m, 1h, 6h or 1d")
		severity = fs.String("severity", "warning", "info, warning or critical")
		fs.enum("kpi", thresholdKPIs()...)
		fs.enum("comparator", "gt", "lt")
		fs.enum("for", "0s", "5m", "15m", "1h", "6h", "1d")
		fs.enum("severity", "info", "warning", "critical")
	case "delete":
		id = fs.String("id", "", "the threshold id")
	}
	so.register(fs, e)
	lo.register(fs, e)
	runsWithLog(e, cmd, &lo, func(ctx context.Context, log *slog.Logger, _ []string) int {
		if *org == "" {
			fmt.Fprintln(e.stderr, "opsmetrics alerts thresholds: --org is required")
			return 2
		}
		s, err := so.openMigrated(ctx, log)
		if err != nil {
			return fail(e, err)
		}
		defer s.Close()
		if code := checkOrg(ctx, e, s, "alerts thresholds", *org); code >= 0 {
			return code
		}
		switch name {
		case "list":
			list, err := metrics.ListThresholds(ctx, s, *org)
			if err != nil {
				return fail(e, err)
			}
			if *format == "json" {
				if err := printJSON(e.stdout, map[string]any{"thresholds": list}); err != nil {
					return fail(e, err)
				}
				return 0
			}
			// A client by its id, which scripts use, and its name, which
			// people read; a team is its own name.
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKPI\tSCOPE\tCOMPARATOR\tVALUE\tFOR\tSEVERITY")
			for _, t := range list {
				scope := t.ScopeText()
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.KPI, scope, t.Comparator, t.ValueText(), metrics.ForLabel(t.For.Duration), t.Severity)
			}
			tw.Flush()
		case "set":
			t := metrics.Threshold{ID: *id, KPI: *kpi, Scope: "org", Comparator: *comparator, Severity: *severity}
			switch {
			case *client != "" && *team != "":
				fmt.Fprintln(e.stderr, "opsmetrics alerts thresholds set: give --client or --team, not both")
				return 2
			case *client != "":
				t.Scope, t.ScopeValue = "client", *client
			case *team != "":
				t.Scope, t.ScopeValue = "team", *team
			}
			if t.Value, err = metrics.ParseThresholdValue(*kpi, *value); err == nil {
				t.For.Duration, err = metrics.ParseFor(*forText)
			}
			var stored metrics.Threshold
			if err == nil {
				stored, err = metrics.SetThreshold(ctx, s, *org, "cli", t, time.Now())
			}
			if errors.Is(err, metrics.ErrBadRequest) {
				fmt.Fprintf(e.stderr, "opsmetrics alerts thresholds set: %v\n", metrics.Message(err))
				return 2
			}
			if err != nil {
				return fail(e, err)
			}
			fmt.Fprintf(e.stdout, "threshold %s: %s %s %s on %s, for %s, %s\n", stored.ID, stored.KPI, stored.Comparator, stored.ValueText(),
				stored.ScopeText(), metrics.ForLabel(stored.For.Duration), stored.Severity)
		case "delete":
			if *id == "" {
				fmt.Fprintln(e.stderr, "opsmetrics alerts thresholds delete: --id is required")
				return 2
			}
			found, err := metrics.RemoveThreshold(ctx, s, *org, "cli", *id, time.Now())
			if err != nil {
				return fail(e, err)
			}
			if !found {
				fmt.Fprintf(e.stderr, "opsmetrics alerts thresholds delete: org %s has no threshold %q\n", *org, *id)
				return 1
			}
			fmt.Fprintf(e.stdout, "deleted %s\n", *id)
		}
		return 0
	})
	return cmd
}

// thresholdKPIs lists the gauges a threshold can watch, sorted.
func thresholdKPIs() []string {
	out := make([]string, 0, len(metrics.ThresholdKPIs))
	for k := range metrics.ThresholdKPIs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// alertOnlyKPIs lists the KPIs a threshold can watch that the catalog has
// not (counts only alerts use), sorted: opsmetrics kpi list lacks them.
func alertOnlyKPIs() []string {
	var out []string
	for _, k := range thresholdKPIs() {
		if _, ok := metrics.Lookup(k); !ok {
			out = append(out, k)
		}
	}
	return out
}
