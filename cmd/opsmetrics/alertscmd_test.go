package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// TestAlertsCommand checks that `alerts rules` prints the generated rules
// and that help and a wrong subcommand exit as the other commands do.
func TestAlertsCommand(t *testing.T) {
	cli := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(t.Context(), args, func(string) string { return "" }, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := cli("alerts", "rules"); code != 0 || out != string(metrics.AlertRules()) {
		t.Fatalf("alerts rules: exit %d, stderr %q; the output differs from metrics.AlertRules: %t", code, errs, out != string(metrics.AlertRules()))
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"alerts", "--help"}, 0, "rules"},
		{[]string{"alerts", "rules", "--help"}, 0, "Prometheus alerting rules"},
		{[]string{"alerts"}, 2, "Usage: opsmetrics alerts"},
		{[]string{"alerts", "bogus"}, 2, `unknown subcommand "bogus"`},
		{[]string{"alerts", "rules", "extra"}, 2, "unexpected arguments: extra"},
	} {
		code, out, errs := cli(c.args...)
		if code != c.code || !strings.Contains(out+errs, c.want) {
			t.Errorf("%v: exit %d (want %d), output %q, want it to contain %q", c.args, code, c.code, out+errs, c.want)
		}
	}
}

// TestThresholdsCommand sets, lists and deletes thresholds from the CLI;
// bad input exits 2 with the reason. Values are in the KPI's unit, and the
// for-duration set is the one listed.
func TestThresholdsCommand(t *testing.T) {
	env := testEnv(t)
	clients := filepath.Join(t.TempDir(), "clients.ndjson")
	os.WriteFile(clients, []byte(`{"external_id":"c-3","name":"Nordlicht GmbH"}`+"\n"), 0o644)
	cli := func(args ...string) (int, string) {
		var out, errb strings.Builder
		code := run(t.Context(), append(args, "--log-level", "warn"), getenvFrom(env), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := cli("import", clients, "--org", "acme"); code != 0 {
		t.Fatalf("import: %d %s", code, out)
	}
	set := func(args ...string) (int, string) {
		return cli(append([]string{"alerts", "thresholds", "set", "--org", "acme"}, args...)...)
	}
	if code, out := set("--id", "wo", "--kpi", "write_off_rate", "--value", "8%", "--client", "Nordlicht GmbH", "--for", "1h",
		"--severity", "critical"); code != 0 || !strings.Contains(out, "threshold wo: write_off_rate gt 8% on client c-3 (Nordlicht GmbH), for 1h, critical") {
		t.Fatalf("set: %d %s", code, out)
	}
	// The old name, a day: stored as the KPI's name, listed as set.
	if code, out := set("--id", "ap", "--kpi", "approval_time_p90_seconds", "--value", "36h", "--for", "1d"); code != 0 ||
		!strings.Contains(out, "threshold ap: approval_time_p90 gt 36h on org, for 1d, warning") {
		t.Fatalf("set ap: %d %s", code, out)
	}
	code, out := cli("alerts", "thresholds", "list", "--org", "acme")
	if code != 0 || !regexp.MustCompile(`wo\s+write_off_rate\s+client c-3 \(Nordlicht GmbH\)\s+gt\s+8%\s+1h\s+critical`).MatchString(out) ||
		!regexp.MustCompile(`ap\s+approval_time_p90\s+org\s+gt\s+36h\s+1d\s+warning`).MatchString(out) {
		t.Errorf("list: %d %s", code, out)
	}
	for _, bad := range []struct {
		args []string
		says string
	}{
		{[]string{"--kpi", "revenue", "--value", "1"}, "thresholds can watch"},
		{[]string{"--kpi", "write_off_rate", "--value", "lots"}, `value "lots": write_off_rate is a ratio; write it as 0.08 or 8%`},
		{[]string{"--kpi", "write_off_rate", "--value", "60"}, "value 60: write_off_rate is a ratio from 0 to 1; for 60% write 60% (or 0.6)"},
		{[]string{"--kpi", "write_off_rate", "--value", "8%", "--for", "2h"}, "2h would wait 6h"},
		{[]string{"--kpi", "write_off_rate", "--value", "8%", "--client", "nosuch"}, `client "nosuch" not found in org acme`},
		{[]string{"--kpi", "billable_utilization", "--value", "60%", "--team", "Brand"}, `team "Brand" not found in org acme`},
		{[]string{"--kpi", "write_off_rate", "--value", "1", "--client", "a", "--team", "b"}, "not both"},
	} {
		if code, out := set(bad.args...); code != 2 || !strings.Contains(out, bad.says) {
			t.Errorf("set %v: %d %s, want exit 2 saying %q", bad.args, code, out, bad.says)
		}
	}
	if code, out := cli("alerts", "thresholds", "list", "--org", "nosuchorg"); code != 2 || !strings.Contains(out, `org "nosuchorg" not found`) {
		t.Errorf("list --org nosuchorg: %d %s", code, out)
	}
	if code, out := cli("alerts", "thresholds", "delete", "--org", "acme", "--id", "wo"); code != 0 || !strings.Contains(out, "deleted wo") {
		t.Errorf("delete: %d %s", code, out)
	}
	if code, out := cli("alerts", "thresholds", "delete", "--org", "acme", "--id", "wo"); code != 1 || !strings.Contains(out, "no threshold") {
		t.Errorf("delete again: %d %s", code, out)
	}
}
