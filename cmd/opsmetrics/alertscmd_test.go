package main

import (
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
// bad input exits 2 with the reason.
func TestThresholdsCommand(t *testing.T) {
	env := testEnv(t)
	cli := func(args ...string) (int, string) {
		var out, errb strings.Builder
		code := run(t.Context(), append(args, "--org", "acme", "--log-level", "warn"), getenvFrom(env), &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := cli("alerts", "thresholds", "set", "--id", "wo", "--kpi", "write_off_ratio", "--value", "0.08",
		"--client", "c-3", "--for", "1h", "--severity", "critical"); code != 0 || !strings.Contains(out, "threshold wo: write_off_ratio gt 0.08 on client c-3, for 1h, critical") {
		t.Fatalf("set: %d %s", code, out)
	}
	if code, out := cli("alerts", "thresholds", "list"); code != 0 || !strings.Contains(out, "wo") || !strings.Contains(out, "client c-3") {
		t.Errorf("list: %d %s", code, out)
	}
	for _, bad := range []struct {
		args []string
		says string
	}{
		{[]string{"--kpi", "revenue", "--value", "1"}, "thresholds can watch"},
		{[]string{"--kpi", "write_off_ratio", "--value", "lots"}, "want a number"},
		{[]string{"--kpi", "write_off_ratio", "--value", "1", "--client", "a", "--team", "b"}, "not both"},
	} {
		if code, out := cli(append([]string{"alerts", "thresholds", "set"}, bad.args...)...); code != 2 || !strings.Contains(out, bad.says) {
			t.Errorf("set %v: %d %s, want exit 2 saying %q", bad.args, code, out, bad.says)
		}
	}
	if code, out := cli("alerts", "thresholds", "delete", "--id", "wo"); code != 0 || !strings.Contains(out, "deleted wo") {
		t.Errorf("delete: %d %s", code, out)
	}
	if code, out := cli("alerts", "thresholds", "delete", "--id", "wo"); code != 1 || !strings.Contains(out, "no threshold") {
		t.Errorf("delete again: %d %s", code, out)
	}
}
