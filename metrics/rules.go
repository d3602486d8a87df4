package metrics

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The Prometheus alerting rules (deploy/prometheus/rules.yml) are generated
// here, next to ThresholdKPIs and ForBuckets, so a new KPI or bucket cannot
// be exported without a rule that reads it. deploy/prometheus/rules_test.yml
// holds the promtool unit tests of every rule.

// Limits of the fixed rules. Change them here, then regenerate the file with
// `go run ./cmd/opsmetrics alerts rules > deploy/prometheus/rules.yml`.
const (
	// staleDataAfter is how long a source may send no time entry or task
	// event before OpsmetricsDataStale fires. Raise it for sources that are
	// imported by hand less often than daily, or that are quiet at weekends.
	staleDataAfter = 24 * time.Hour
	// refreshStaleAfter is the age of the last successful KPI refresh past
	// which OpsmetricsKPIRefreshFailing fires: three refreshes at the
	// collector's default 5-minute interval.
	refreshStaleAfter = 15 * time.Minute
	// sourceFailingAfter is how long a connected source's syncs may fail
	// before OpsmetricsSourceSyncFailing fires.
	sourceFailingAfter = time.Hour
	// spoolStuckAfter is how long a webhook delivery may wait in the spool
	// before OpsmetricsHookSpoolStuck fires; the worker applies one within
	// seconds while the database answers.
	spoolStuckAfter = 10 * time.Minute
	// reconcileFailingAfter is how long every reconciliation of a hook may
	// fail before OpsmetricsHookReconcileFailing fires: four runs at the
	// default --reconcile-every of 15 min.
	reconcileFailingAfter = time.Hour
	// actionsOverdueFor is how long an org may have next month's actions
	// past their due day (and still open) before
	// OpsmetricsReportActionsOverdue fires: a day, so an action closed the
	// morning after it was due does not page anyone.
	actionsOverdueFor = "1d"
	// scrapeJob is the job name of opsmetrics in deploy/prometheus/prometheus.yml.
	scrapeJob = "opsmetrics"
)

// staleDataIgnored are the sources OpsmetricsDataStale leaves out: the demo
// agency is generated once and never refreshed.
var staleDataIgnored = []string{"demo"}

// unit is how a KPI's values are written in annotations.
type unit int

const (
	percent unit = iota
	seconds
	count
)

// format is the template text that writes x (a template pipeline) in u.
func (u unit) format(x string) string {
	switch u {
	case seconds:
		return "{{ " + x + " | humanizeDuration }}"
	case count:
		return "{{ " + x + " }}"
	}
	return "{{ " + x + " | humanizePercentage }}"
}

// thresholdAlert is the alert of one KPI's thresholds.
type thresholdAlert struct {
	kpi         string   // the KPI's name, as in ThresholdKPIs and the thresholds' kpi label
	window      bool     // compare the window="30d" gauge (overdue_deliverables has no window)
	alert       string   // the alert name
	comparators []string // the directions it covers; the others fire OpsmetricsKPIThreshold
	unit        unit
	page        string // the dashboard page to open
	summary     string // with the placeholders of expand
	description string
}

// thresholdAlerts are the per-KPI alerts, in the order of the rules file.
var thresholdAlerts = []thresholdAlert{
	{
		kpi: "write_off_rate", window: true, alert: "OpsmetricsWriteOffAboveThreshold", comparators: []string{"gt"},
		unit: percent, page: "/margin",
		summary: "Write-off of $SCOPE is $VALUE over the last 30 days, above the $THRESHOLD threshold.",
		description: "$VALUE of the standard value of the billable work of $SCOPE in the last 30 days was written off. " +
			"Threshold $ID ($SEVERITY): $THRESHOLD. Check the write-off reasons on the Margin dashboard first: " +
			"over-service on retainers, goodwill discounts, estimate overruns, or time logged to the wrong client or project. " +
			"Then agree with the account lead whether to bill the extra scope or fix how the work is estimated.",
	},
	{
		kpi: "billable_utilization", window: true, alert: "OpsmetricsUtilizationOutsideBand", comparators: []string{"lt", "gt"},
		unit: percent, page: "/utilization",
		summary: "Billable utilization of $SCOPE is $VALUE over the last 30 days, $DIRECTION the $THRESHOLD threshold.",
		description: "Billable hours of $SCOPE were $VALUE of their available hours (contracted hours less time off and holidays) " +
			"in the last 30 days. Threshold $ID ($SEVERITY): $DIRECTION $THRESHOLD. " +
			`{{ if eq $labels.comparator "lt" }}Check the Utilization dashboard first: who is low, and whether they log their time at all; ` +
			"then non-billable work, and the pipeline on the Capacity page." +
			"{{ else }}Check the Utilization dashboard first: who is over, and for how long, as that is overtime and burnout risk; " +
			"look at the Capacity page before booking them more work.{{ end }}",
	},
	{
		kpi: "approval_time_p90", window: true, alert: "OpsmetricsApprovalP90AboveThreshold", comparators: []string{"gt"},
		unit: seconds, page: "/approvals",
		summary: "Client approvals of $SCOPE take $VALUE at the 90th percentile, above the $THRESHOLD threshold.",
		description: "One review cycle in ten of $SCOPE decided in the last 30 days took longer than $VALUE " +
			"(calendar time from the review request to the client's decision). Threshold $ID ($SEVERITY): $THRESHOLD. " +
			"Check the stuck approvals on the Approvals dashboard first: who holds each one and since when. " +
			"Chase the oldest, and agree a review deadline with the client for the next deliverables.",
	},
	{
		kpi: "on_time_rate", window: true, alert: "OpsmetricsOnTimeBelowThreshold", comparators: []string{"lt"},
		unit: percent, page: "/delivery",
		summary: "On-time delivery of $SCOPE is $VALUE over the last 30 days, below the $THRESHOLD threshold.",
		description: "Only $VALUE of the deliverables of $SCOPE due in the last 30 days were delivered on time " +
			"(open ones past their due date count as late). Threshold $ID ($SEVERITY): $THRESHOLD. " +
			"Check the late deliverables on the Delivery dashboard first: are they waiting for client feedback or approval, " +
			"under-estimated, or short of people? Agree new dates with the client for the open ones.",
	},
	{
		kpi: "margin_pct", window: true, alert: "OpsmetricsMarginBelowThreshold", comparators: []string{"lt"},
		unit: percent, page: "/margin",
		summary: "Margin of $SCOPE is $VALUE over the last 30 days, below the $THRESHOLD threshold.",
		description: "Revenue less labour cost of $SCOPE in the last 30 days was $VALUE of revenue. " +
			"Threshold $ID ($SEVERITY): $THRESHOLD. Check the Margin dashboard first: write-offs, hours over budget " +
			"on fixed-fee and retainer work, and senior people doing junior work; then billable time not invoiced yet.",
	},
	{
		kpi: "overdue_deliverables", alert: "OpsmetricsOverdueDeliverables", comparators: []string{"gt"},
		unit: count, page: "/delivery",
		summary: "$SCOPE_CAP has $VALUE overdue deliverables, more than the threshold of $THRESHOLD.",
		description: "$VALUE open deliverables of $SCOPE are past their due date (and grace days) now. " +
			"Threshold $ID ($SEVERITY): $THRESHOLD. Check the overdue deliverables on the Delivery dashboard first: " +
			"who owns each one, and whether it waits for the client. Tell the client the new dates before they ask.",
	},
	{
		kpi: "stuck_reviews", alert: "OpsmetricsStuckReviews", comparators: []string{"gt"},
		unit: count, page: "/approvals",
		summary: "$SCOPE_CAP has $VALUE stuck client reviews, more than the threshold of $THRESHOLD.",
		description: "$VALUE review requests of $SCOPE have waited longer than the org's stuck-review limit (48 hours unless " +
			"set with opsmetrics org set) for the client's decision, and none " +
			"counts in approval time until it is decided. Threshold $ID ($SEVERITY): $THRESHOLD. Check the waiting reviews " +
			"on the Approvals dashboard first: who asked, and since when. Then chase the client, or offer a short call to " +
			"decide, before the delivery dates slip.",
	},
}

// Template pieces of the annotations.
const (
	// clientName, projectName and orgName are the display names the
	// collector exports in opsmetrics_name_info, or the id without one.
	clientName  = `{{ with printf "opsmetrics_name_info{org=%q,kind=%q,id=%q}" $labels.org "client" $labels.client | query }}{{ . | first | label "name" }}{{ else }}{{ $labels.client }}{{ end }}`
	projectName = `{{ with printf "opsmetrics_name_info{org=%q,kind=%q,id=%q}" $labels.org "project" $labels.project | query }}{{ . | first | label "name" }}{{ else }}{{ $labels.project }}{{ end }}`
	orgName     = `{{ with printf "opsmetrics_name_info{org=%q,kind=%q,id=%q}" $labels.org "org" $labels.org | query }}{{ . | first | label "name" }}{{ else }}{{ $labels.org }}{{ end }}`
	scopeText   = `{{ if $labels.client }}client ` + clientName + ` (org ` + orgName + `)` +
		`{{ else if $labels.team }}team {{ $labels.team }} (org ` + orgName + `){{ else }}org ` + orgName + `{{ end }}`
	scopeCapText = `{{ if $labels.client }}Client ` + clientName + ` (org ` + orgName + `)` +
		`{{ else if $labels.team }}Team {{ $labels.team }} (org ` + orgName + `){{ else }}Org ` + orgName + `{{ end }}`
	// actionsOpen is the org's count of open actions, beside an alert on
	// its overdue ones.
	actionsOpen   = `{{ with printf "opsmetrics_report_actions_open{org=%q,client=%q}" $labels.org "" | query }}{{ . | first | value }}{{ else }}?{{ end }}`
	directionText = `{{ if eq $labels.comparator "lt" }}below{{ else }}above{{ end }}`
	// thresholdQuery looks the threshold's value up: the alert's own value
	// is the KPI's.
	thresholdQuery = `{{ with printf "opsmetrics_alert_threshold{org=%q,threshold_id=%q}" $labels.org $labels.threshold_id | query }}`
	// rangeText is the 30d window of the gauges (the collector's
	// [today-29d, tomorrow)) as the dashboards' from and to parameters.
	rangeText = `&from={{ with query "time() - 29 * 86400" }}{{ (. | first | value | toTime).Format "2006-01-02" }}{{ end }}` +
		`&to={{ with query "time() + 86400" }}{{ (. | first | value | toTime).Format "2006-01-02" }}{{ end }}`
	// publicURL starts every dashboard link: opsmetrics serve --public-url,
	// exported as opsmetrics_public_url_info; without it links are paths.
	publicURL  = `{{ with query "opsmetrics_public_url_info" }}{{ . | first | label "url" }}{{ end }}`
	orgQuery   = `?org={{ $labels.org | urlquery }}`
	scopeQuery = `{{ if $labels.client }}&client={{ $labels.client | urlquery }}{{ end }}` +
		`{{ if $labels.team }}&team={{ $labels.team | urlquery }}{{ end }}`
)

// expand replaces the placeholders of a threshold alert's text; value and
// threshold are template text writing the KPI's and the threshold's value.
func expand(s, value, threshold string) string {
	return strings.NewReplacer("$SCOPE_CAP", scopeCapText, "$SCOPE", scopeText, "$VALUE", value,
		"$THRESHOLD", thresholdQuery+threshold+"{{ end }}", "$DIRECTION", directionText,
		"$ID", "{{ $labels.threshold_id }}", "$SEVERITY", "{{ $labels.severity }}").Replace(s)
}

// rule is one alerting rule.
type rule struct {
	alert       string
	expr        string
	forDur      string
	labels      [][2]string
	annotations [][2]string
}

// ruleGroup is one group of the rules file.
type ruleGroup struct {
	name    string
	comment string
	rules   []rule
}

// matchOn matches KPI gauges with thresholds on all the scope labels (and
// extra), so an org-level threshold (none of them) matches only the
// org-level gauge, and a team threshold never a client series. The threshold
// is the "many" side: several thresholds on one scope each give an alert,
// with the threshold's labels and the gauge's value.
func matchOn(extra ...string) string {
	return "on(" + strings.Join(append([]string{"org", "client", "team", "role", "project"}, extra...), ", ") + ") group_right()"
}

// oneGauge and oneThreshold keep one series per scope (per threshold) when
// several opsmetrics instances export the same numbers, and drop the labels
// of the scrape (instance, job, a pod's): both sides of a match then carry
// only their own labels, and two replicas give one alert, not an error.
func oneGauge(selector string) string {
	return "max by(org, client, team, role, project) (" + selector + ")"
}

func oneThreshold(matchers string) string {
	return "max by(org, kpi, client, team, comparator, severity, for, threshold_id) (opsmetrics_alert_threshold{" + matchers + "})"
}

var comparatorOp = map[string]string{"gt": ">", "lt": "<"}

// AlertRules returns the Prometheus alerting rules file, as committed in
// deploy/prometheus/rules.yml. The output depends on nothing but this
// package's tables: the same bytes every call.
func AlertRules() []byte {
	var th []rule
	for _, a := range thresholdAlerts {
		for _, b := range ForBuckets {
			th = append(th, a.rule(ForLabel(b)))
		}
	}
	for _, b := range ForBuckets {
		th = append(th, oppositeRule(ForLabel(b)))
	}
	groups := []ruleGroup{
		{
			name: "opsmetrics-thresholds",
			comment: "Thresholds set through PUT /api/v1/alerts/thresholds, exported as opsmetrics_alert_threshold.\n" +
				"Prometheus cannot read a for-duration from a series, so each KPI has one rule per for bucket;\n" +
				"a new threshold needs no rule change and no reload. The alert keeps the threshold's labels\n" +
				"(severity, threshold_id, client or team); its value is the KPI's.",
			rules: th,
		},
		{name: "opsmetrics-fixed", comment: "Alerts that need no threshold.", rules: fixedRules()},
	}
	var w strings.Builder
	w.WriteString("# Prometheus alerting rules of opsmetrics. Generated by `opsmetrics alerts rules`\n")
	w.WriteString("# (metrics/rules.go): do not edit by hand. Regenerate with\n")
	w.WriteString("#   go run ./cmd/opsmetrics alerts rules > deploy/prometheus/rules.yml\n")
	w.WriteString("# Unit tests: promtool test rules deploy/prometheus/rules_test.yml\n")
	w.WriteString("groups:\n")
	for _, g := range groups {
		for _, line := range strings.Split(g.comment, "\n") {
			fmt.Fprintf(&w, "  # %s\n", line)
		}
		fmt.Fprintf(&w, "  - name: %s\n    rules:\n", g.name)
		for _, r := range g.rules {
			writeRule(&w, r)
		}
	}
	return []byte(w.String())
}

// rule is the alert's rule for one for bucket.
func (a thresholdAlert) rule(bucket string) rule {
	gauge := "opsmetrics_kpi_" + ThresholdKPIs[a.kpi].Gauge
	if a.window {
		gauge += `{window="30d"}`
	}
	var parts []string
	for _, c := range a.comparators {
		parts = append(parts, fmt.Sprintf("%s\n  %s %s\n%s",
			oneGauge(gauge), comparatorOp[c], matchOn(), oneThreshold(fmt.Sprintf("kpi=%q, comparator=%q, for=%q", a.kpi, c, bucket))))
	}
	value, threshold := a.unit.format("$value"), a.unit.format(". | first | value")
	return rule{
		alert:  a.alert,
		expr:   orExpr(parts),
		forDur: bucket,
		labels: bucketLabel(bucket),
		annotations: [][2]string{
			{"summary", expand(a.summary, value, threshold)},
			{"description", expand(a.description, value, threshold)},
			{"dashboard", a.page + orgQuery + scopeQuery + rangeText},
		},
	}
}

// oppositeRule fires for the thresholds whose comparator no per-KPI alert
// covers (an on-time threshold "gt", say), so that no threshold the API
// accepts is silently never evaluated.
func oppositeRule(bucket string) rule {
	var parts []string
	for _, c := range []string{"gt", "lt"} {
		var kpis, gauges []string
		for _, a := range thresholdAlerts {
			if slices.Contains(a.comparators, c) {
				continue
			}
			// Each gauge gets the kpi label of the thresholds it is matched
			// with: the KPI's name, which its metric name is not.
			window := `{window="30d"}`
			if !a.window {
				window = "" // overdue_deliverables has no window label
			}
			kpis = append(kpis, a.kpi)
			gauges = append(gauges, fmt.Sprintf(`label_replace(%s, "kpi", %q, "", "")`,
				oneGauge("opsmetrics_kpi_"+ThresholdKPIs[a.kpi].Gauge+window), a.kpi))
		}
		if len(kpis) == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("(\n  %s\n)\n  %s %s\n%s",
			strings.Join(gauges, "\n  or\n  "), comparatorOp[c], matchOn("kpi"),
			oneThreshold(fmt.Sprintf("kpi=~%q, comparator=%q, for=%q", strings.Join(kpis, "|"), c, bucket))))
	}
	// The unit and page follow the kpi label.
	var opposite []thresholdAlert
	for _, a := range thresholdAlerts {
		if len(a.comparators) < len(comparatorOp) {
			opposite = append(opposite, a)
		}
	}
	byKPI := func(f func(a thresholdAlert) string) string {
		var s strings.Builder
		last := len(opposite) - 1
		for i, a := range opposite[:last] {
			if i > 0 {
				s.WriteString("{{ else if")
			} else {
				s.WriteString("{{ if")
			}
			fmt.Fprintf(&s, " eq $labels.kpi %q }}%s", a.kpi, f(a))
		}
		fmt.Fprintf(&s, "{{ else }}%s{{ end }}", f(opposite[last]))
		return s.String()
	}
	value := byKPI(func(a thresholdAlert) string { return a.unit.format("$value") })
	threshold := byKPI(func(a thresholdAlert) string { return a.unit.format(". | first | value") })
	page := byKPI(func(a thresholdAlert) string { return a.page })
	return rule{
		alert:  "OpsmetricsKPIThreshold",
		expr:   orExpr(parts),
		forDur: bucket,
		labels: bucketLabel(bucket),
		annotations: [][2]string{
			{"summary", expand("{{ $labels.kpi }} of $SCOPE is $VALUE, $DIRECTION the $THRESHOLD threshold.", value, threshold)},
			{"description", expand("Threshold $ID ($SEVERITY) alerts when {{ $labels.kpi }} is $DIRECTION $THRESHOLD, "+
				"the opposite of the usual direction for this KPI. Check first that this is what was meant: if not, "+
				"change the threshold's comparator (PUT /api/v1/alerts/thresholds/$ID). If it was, open the dashboard to see what changed.",
				value, threshold)},
			{"dashboard", page + orgQuery + scopeQuery + rangeText},
		},
	}
}

// bucketLabel is the rule label of a bucket's rule. It repeats the
// threshold's own "for" label, and tells the rules of one alert apart (for
// promtool's duplicate-rule check).
func bucketLabel(bucket string) [][2]string { return [][2]string{{"for", bucket}} }

// orExpr joins the parts of an expression with `or`, each in parentheses
// when there are several.
func orExpr(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	for i, p := range parts {
		parts[i] = "(\n  " + strings.ReplaceAll(p, "\n", "\n  ") + "\n)"
	}
	return strings.Join(parts, "\nor\n")
}

// fixedRules are the rules that need no threshold.
func fixedRules() []rule {
	ignored := fmt.Sprintf("%q", strings.Join(staleDataIgnored, "|"))
	const statusPage = "/status"
	return []rule{
		{
			alert:  "OpsmetricsRetainerOverageForecast",
			expr:   "max by(org, project) (opsmetrics_kpi_overage_forecast_ratio) > 1",
			forDur: "1h",
			labels: [][2]string{{"severity", "warning"}},
			annotations: [][2]string{
				{"summary", "Project " + projectName + " (org " + orgName + ") is forecast to use {{ $value | humanizePercentage }} of its contracted hours this budget period."},
				{"description", "At the current burn rate, project " + projectName + " goes over the hours of its retainer or budget " +
					"before the period ends. Check the retainer forecast on the Margin dashboard first: who and which tasks burn the hours, " +
					"and whether the work is in scope. Then talk to the account lead now: slow down, agree a change order, " +
					"or plan the overage with the client."},
				{"dashboard", "/margin" + orgQuery + rangeText},
			},
		},
		{
			alert:  "OpsmetricsReportActionsOverdue",
			expr:   `max by(org) (opsmetrics_report_actions_overdue{client=""}) > 0`,
			forDur: actionsOverdueFor,
			labels: [][2]string{{"severity", "warning"}},
			annotations: [][2]string{
				{"summary", "Org " + orgName + " has next month's actions past their due date and still open: {{ $value }} of " + actionsOpen + " open."},
				{"description", "Actions or decisions agreed in org " + orgName + "'s monthly client reports or quarterly retro " +
					"are past their due day (in the org's time zone) and still open: {{ $value }} of " + actionsOpen + " open. " +
					"Check the overview's \"Next month's actions\" panel first: who owns each one, and whether it is done but not closed. " +
					"Then close what is done in the report it was agreed in, or agree a new date with its owner, " +
					"so that next month's report does not carry the same actions again."},
				{"dashboard", "/" + orgQuery},
			},
		},
		{
			alert:  "OpsmetricsDataStale",
			expr:   fmt.Sprintf("min by(org, source) (opsmetrics_data_age_seconds{source!~%s}) > %d", ignored, int(staleDataAfter.Seconds())),
			forDur: "30m",
			labels: [][2]string{{"severity", "warning"}},
			annotations: [][2]string{
				{"summary", "No new data from {{ $labels.source }} for org {{ $labels.org }} for {{ $value | humanizeDuration }}."},
				{"description", fmt.Sprintf("opsmetrics has ingested no time entry or task event from source {{ $labels.source }} "+
					"for org {{ $labels.org }} for {{ $value | humanizeDuration }} (the limit is %d hours), so the KPIs miss recent work. "+
					"Check the import or sync that feeds this source first (its schedule, webhook or API token), "+
					"then the opsmetrics logs for rejected rows. A source imported by hand less often, or quiet at weekends, "+
					"needs a longer limit: staleDataAfter in metrics/rules.go.", int(staleDataAfter.Hours()))},
				{"dashboard", statusPage},
			},
		},
		{
			alert: "OpsmetricsKPIRefreshFailing",
			expr: fmt.Sprintf("increase(opsmetrics_kpi_refresh_errors_total[10m]) > 0\nor\n"+
				"time() - opsmetrics_kpi_refresh_last_success_timestamp_seconds > %d", int(refreshStaleAfter.Seconds())),
			forDur: "10m",
			labels: [][2]string{{"severity", "warning"}},
			annotations: [][2]string{
				{"summary", "opsmetrics {{ $labels.instance }} is failing to refresh the KPI gauges."},
				{"description", fmt.Sprintf("The KPI refresh of {{ $labels.instance }} has failed for 10 minutes, or has not "+
					"completed for over %d minutes (last success: "+
					`{{ with printf "opsmetrics_kpi_refresh_last_success_timestamp_seconds{instance=%%q}" $labels.instance | query }}`+
					"{{ . | first | value | humanizeTimestamp }}{{ end }}). The gauges keep their last values, so threshold alerts "+
					"may be stale; the dashboards and the API are not affected. Check the opsmetrics logs for kpi_refresh_failed "+
					"and kpi_refresh_org_failed first (the org and the query that failed), then the database.",
					int(refreshStaleAfter.Minutes()))},
				{"dashboard", statusPage},
			},
		},
		{
			alert: "OpsmetricsSourceSyncFailing",
			expr: fmt.Sprintf("time() - max by(org, source, kind) (opsmetrics_source_sync_failing_since_timestamp_seconds > 0) > %d",
				int(sourceFailingAfter.Seconds())),
			forDur: "5m",
			labels: [][2]string{{"severity", "warning"}},
			annotations: [][2]string{
				{"summary", "The {{ $labels.kind }} source {{ $labels.source }} of org {{ $labels.org }} has failed to sync for {{ $value | humanizeDuration }}."},
				{"description", "Every sync of {{ $labels.kind }} source {{ $labels.source }} (org {{ $labels.org }}) has failed for " +
					"{{ $value | humanizeDuration }}, so its time entries stop arriving and the KPIs miss recent work. " +
					"Run `opsmetrics source list --org {{ $labels.org }}` first: it shows the last error in words. A refused token " +
					"(needs-token) needs a new one (`source remove`, then `source add`); a rate limit or an outage of the tool " +
					"clears by itself; anything else is in the opsmetrics logs under source_sync_failed."},
				{"dashboard", statusPage},
			},
		},
		{
			alert:  "OpsmetricsHookSpoolStuck",
			expr:   fmt.Sprintf("max by(instance) (opsmetrics_hook_spool_oldest_pending_age_seconds) > %d", int(spoolStuckAfter.Seconds())),
			forDur: "1m",
			labels: [][2]string{{"severity", "warning"}},
			annotations: [][2]string{
				{"summary", "Webhook deliveries of opsmetrics {{ $labels.instance }} have waited {{ $value | humanizeDuration }} to be applied."},
				{"description", "The oldest webhook delivery in the spool of {{ $labels.instance }} has waited {{ $value | humanizeDuration }}: " +
					"the tools' task events are kept (nothing is lost) but do not reach the KPIs. The worker retries while the database " +
					"is down; check /readyz and the opsmetrics logs under hook_deliveries_not_applied, then " +
					"opsmetrics_hook_spool_pending for how many wait."},
				{"dashboard", statusPage},
			},
		},
		{
			alert: "OpsmetricsHookReconcileFailing",
			expr: fmt.Sprintf("time() - max by(org, hook, tool) (opsmetrics_hook_reconcile_failing_since_timestamp_seconds > 0) > %d",
				int(reconcileFailingAfter.Seconds())),
			forDur: "5m",
			labels: [][2]string{{"severity", "warning"}},
			annotations: [][2]string{
				{"summary", "The {{ $labels.tool }} hook {{ $labels.hook }} of org {{ $labels.org }} has failed to reconcile for {{ $value | humanizeDuration }}."},
				{"description", "Every reconciliation of {{ $labels.tool }} hook {{ $labels.hook }} (org {{ $labels.org }}) with the tool's API has " +
					"failed for {{ $value | humanizeDuration }}, so the transitions its webhooks miss (ClickUp's dropped retries, Asana's " +
					"at-most-once deliveries) are not added. Run `opsmetrics hook list --org {{ $labels.org }}` first: it shows the last " +
					"error in words. A refused token (needs-token) needs the hook added again with a new one; a rate limit or an outage " +
					"of the tool clears by itself; anything else is in the opsmetrics logs under hook_reconcile_failed."},
				{"dashboard", statusPage},
			},
		},
		{
			alert:  "OpsmetricsDown",
			expr:   fmt.Sprintf("up{job=%q} == 0", scrapeJob),
			forDur: "5m",
			labels: [][2]string{{"severity", "critical"}},
			annotations: [][2]string{
				{"summary", "Prometheus cannot scrape opsmetrics {{ $labels.instance }}."},
				{"description", "The /metrics scrape of {{ $labels.instance }} has failed for 5 minutes, so no KPI gauge or threshold " +
					"is current and the threshold alerts resolve on their own. Check that the opsmetrics service is running and ready " +
					"(/readyz), then its logs and the database it needs."},
				{"dashboard", statusPage},
			},
		},
	}
}

// writeRule writes one rule as YAML.
func writeRule(w *strings.Builder, r rule) {
	fmt.Fprintf(w, "      - alert: %s\n        expr: |-\n", r.alert)
	for _, line := range strings.Split(r.expr, "\n") {
		fmt.Fprintf(w, "          %s\n", line)
	}
	fmt.Fprintf(w, "        for: %s\n", r.forDur)
	for _, block := range []struct {
		key string
		kv  [][2]string
	}{{"labels", r.labels}, {"annotations", r.annotations}} {
		if len(block.kv) == 0 {
			continue
		}
		fmt.Fprintf(w, "        %s:\n", block.key)
		for _, kv := range block.kv {
			if kv[0] == "dashboard" {
				kv[1] = publicURL + kv[1]
			}
			fmt.Fprintf(w, "          %s: %s\n", kv[0], quote(kv[1]))
		}
	}
}

// quote writes s as a single-quoted YAML scalar, in which only the quote
// itself needs escaping.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
