package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/org"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

// TestCLIChangesAudited: `org set` and `alerts thresholds set` and
// `delete` record their changes in the org's audit trail as made by "cli",
// with the values before and after; a refused `org set` records nothing.
func TestCLIChangesAudited(t *testing.T) {
	env := testEnv(t)
	cli := func(args ...string) {
		t.Helper()
		var out, errb strings.Builder
		if code := run(t.Context(), append(args, "--org", "audited", "--log-level", "warn"), getenvFrom(env), &out, &errb); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out.String(), errb.String())
		}
	}
	cli("org", "set", "--grace-days", "3")
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"org", "set", "--org", "audited", "--grace-days", "99", "--log-level", "warn"}, getenvFrom(env), &out, &errb); code != 2 {
		t.Fatalf("grace days 99: %d", code)
	}
	cli("alerts", "thresholds", "set", "--id", "wo", "--kpi", "write_off_rate", "--value", "8%")
	cli("alerts", "thresholds", "delete", "--id", "wo")

	s, err := chdb.Open(chdb.Config{LibPath: env["CHDB_LIB_PATH"], DataDir: env["OPSMETRICS_DATA_DIR"], Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, err := org.AuditLog(t.Context(), s, "audited", "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 3 {
		t.Fatalf("%d changes recorded, want 3: %+v", len(log), log)
	}
	kinds := map[string]org.Change{}
	for _, c := range log {
		if c.Who != "cli" {
			t.Errorf("a change by %q, want cli: %+v", c.Who, c)
		}
		key := c.Kind
		if c.After == "" {
			key += "-removed"
		}
		kinds[key] = c
	}
	if c := kinds[org.AuditSettings]; !strings.Contains(c.Before, `"grace_days":0`) || !strings.Contains(c.After, `"grace_days":3`) {
		t.Errorf("org set recorded %+v", c)
	}
	if c := kinds[org.AuditThreshold]; c.Subject != "wo" || c.Before != "" || !strings.Contains(c.After, `"value":"8%"`) {
		t.Errorf("thresholds set recorded %+v", c)
	}
	if c := kinds[org.AuditThreshold+"-removed"]; c.Subject != "wo" || !strings.Contains(c.Before, `"value":"8%"`) {
		t.Errorf("thresholds delete recorded %+v", c)
	}
}
