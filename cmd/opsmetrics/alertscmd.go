package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opsmetrics/opsmetrics/metrics"
)

func cmdAlerts(ctx context.Context, e *env, args []string) int {
	about := `Subcommands:
  rules        print the Prometheus alerting rules (deploy/prometheus/rules.yml)
  thresholds   list, set or delete an org's alert thresholds (as the API's
               /api/v1/alerts/thresholds); Prometheus sees a change at the next
               KPI refresh, with no rule change or reload`
	if code, done := subcommandUsage(e, args, "alerts rules|thresholds", about); done {
		return code
	}
	switch args[0] {
	case "rules":
		fs := newFlags(e, "alerts rules", "alerts rules",
			`Prints the Prometheus alerting rules as YAML: one rule per KPI and for-duration bucket that
compares each KPI gauge with the thresholds set through PUT /api/v1/alerts/thresholds
(exported as opsmetrics_alert_threshold), and the fixed rules (retainer overage forecast,
stale data, failing KPI refresh, opsmetrics down). Load the file in Prometheus with
rule_files; deploy/prometheus/rules.yml is this output.

Example:
  opsmetrics alerts rules > deploy/prometheus/rules.yml`)
		if code := parse(fs, args[1:]); code >= 0 {
			return code
		}
		if _, err := e.stdout.Write(metrics.AlertRules()); err != nil {
			return fail(e, err)
		}
		return 0
	case "thresholds":
		return cmdThresholds(ctx, e, args[1:])
	default:
		fmt.Fprintf(e.stderr, "opsmetrics alerts: unknown subcommand %q\n\n%s\n", args[0], about)
		return 2
	}
}

func cmdThresholds(ctx context.Context, e *env, args []string) int {
	about := `Subcommands:
  list     the org's thresholds
  set      create or replace one: --kpi write_off_rate --comparator gt --value 8%
           [--client c-0003 | --team Brand] [--for 1h] [--severity critical] [--id ID]
  delete   remove one: --id ID

KPIs: ` + strings.Join(thresholdKPIs(), ", ") + `
` + strings.Join(alertOnlyKPIs(), " and ") + ` are alert-only counts (opsmetrics_kpi_<name> on
/metrics); the others are in opsmetrics kpi list.
Values are in the KPI's unit: ratios as 0.08 or 8%, approval_time_p90 in hours (36 or
36h), counts as whole numbers. --for is one of 0s, 5m, 15m, 1h, 6h or 1d. A band
(utilization outside 60-90%) is two thresholds: --comparator lt --value 60% and
--comparator gt --value 90%.`
	if code, done := subcommandUsage(e, args, "alerts thresholds list|set|delete", about); done {
		return code
	}
	var so storeOptions
	var lo logOptions
	fs := newFlags(e, "alerts thresholds "+args[0], "alerts thresholds "+args[0]+" [flags]", about)
	org := fs.String("org", e.getenv("OPSMETRICS_ORG"), "the org (OPSMETRICS_ORG)")
	id := fs.String("id", "", "set, delete: the threshold id (set: default a new one)")
	kpi := fs.String("kpi", "", "set: the KPI watched, one of the KPIs above")
	comparator := fs.String("comparator", "gt", "set: gt (alert above the value) or lt (below)")
	value := fs.String("value", "", "set: the threshold in the KPI's unit: a ratio as 0.08 or 8%, hours as 36 or 36h, a count")
	client := fs.String("client", "", "set: a client (its id or name), for a client-scoped threshold")
	team := fs.String("team", "", "set: a team, for a team-scoped threshold")
	forText := fs.String("for", "0s", "set: how long the KPI must be past the value before the alert fires: 0s, 5m, 15m, 1h, 6h or 1d")
	severity := fs.String("severity", "warning", "set: info, warning or critical")
	format := fs.String("format", "table", "list: table or json")
	so.register(fs, e)
	lo.register(fs, e)
	log, code := parseWithLog(e, fs, args[1:], &lo)
	if code >= 0 {
		return code
	}
	if *org == "" {
		fmt.Fprintln(e.stderr, "opsmetrics alerts thresholds: --org is required")
		return 2
	}
	s, err := so.openMigrated(ctx, log)
	if err != nil {
		return fail(e, err)
	}
	defer s.Close()
	if err := metrics.CheckOrg(ctx, s, *org); errors.Is(err, metrics.ErrBadRequest) {
		fmt.Fprintf(e.stderr, "opsmetrics alerts thresholds: --org: %v\n", err)
		return 2
	} else if err != nil {
		return fail(e, err)
	}
	switch args[0] {
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
		clients := map[string]string{}
		if slices.ContainsFunc(list, func(t metrics.Threshold) bool { return t.Scope == "client" }) {
			n, err := metrics.LoadNames(ctx, s, *org)
			if err != nil {
				return fail(e, err)
			}
			for _, c := range n.Of("client") {
				clients[c.ID] = c.Name
			}
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKPI\tSCOPE\tCOMPARATOR\tVALUE\tFOR\tSEVERITY")
		for _, t := range list {
			scope := t.Scope
			if t.ScopeValue != "" {
				scope += " " + t.ScopeValue
			}
			if name := clients[t.ScopeValue]; t.Scope == "client" && name != "" && name != t.ScopeValue {
				scope += " (" + name + ")"
			}
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
			stored, err = metrics.PutThreshold(ctx, s, *org, t, time.Now())
		}
		if errors.Is(err, metrics.ErrBadRequest) {
			fmt.Fprintf(e.stderr, "opsmetrics alerts thresholds set: %v\n", metrics.Message(err))
			return 2
		}
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.stdout, "threshold %s: %s %s %s on %s, for %s, %s\n", stored.ID, stored.KPI, stored.Comparator, stored.ValueText(),
			strings.TrimSpace(stored.Scope+" "+stored.ScopeValue), metrics.ForLabel(stored.For.Duration), stored.Severity)
	case "delete":
		if *id == "" {
			fmt.Fprintln(e.stderr, "opsmetrics alerts thresholds delete: --id is required")
			return 2
		}
		list, err := metrics.ListThresholds(ctx, s, *org)
		if err != nil {
			return fail(e, err)
		}
		if !slices.ContainsFunc(list, func(t metrics.Threshold) bool { return t.ID == *id }) {
			fmt.Fprintf(e.stderr, "opsmetrics alerts thresholds delete: org %s has no threshold %q\n", *org, *id)
			return 1
		}
		if err := metrics.DeleteThreshold(ctx, s, *org, *id, time.Now()); err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.stdout, "deleted %s\n", *id)
	default:
		fmt.Fprintf(e.stderr, "opsmetrics alerts thresholds: unknown subcommand %q\n\n%s\n", args[0], about)
		return 2
	}
	return 0
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
