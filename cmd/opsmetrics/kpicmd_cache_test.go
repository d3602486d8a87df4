package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestKPICommandReadsThroughCache: opsmetrics kpi reads through a KPI cache
// (its debug line counts the reads it sent to the engine), and the very
// next kpi after an import answers with the imported entry. Each command
// is a process of its own whose cache starts empty, so a repeated command
// misses again: the CLI's answer can never be older than the data.
//
//	before: e1 3 h = 3 logged hours
//	after:  e1 3 h + e2 1.5 h = 4.5
func TestKPICommandReadsThroughCache(t *testing.T) {
	env := testEnv(t)
	quiet := cliWith(t, env)
	dir := t.TempDir()
	first, second := filepath.Join(dir, "time_entries.ndjson"), filepath.Join(dir, "second", "time_entries.ndjson")
	os.Mkdir(filepath.Dir(second), 0o755)
	os.WriteFile(first, []byte(`{"external_id":"e1","person":"p1","date":"2026-04-01","hours":3,"billable":true}`+"\n"), 0o644)
	os.WriteFile(second, []byte(`{"external_id":"e2","person":"p1","date":"2026-04-02","hours":1.5,"billable":false}`+"\n"), 0o644)
	if code, out, errs := quiet("import", first, "--org", "cli-cache"); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	kpi := []string{"kpi", "logged_hours", "--org", "cli-cache", "--from", "2026-04-01", "--to", "2026-05-01", "--format", "csv", "--log-level", "debug"}
	reads := regexp.MustCompile(`msg=kpi_cache_reads hits=(\d+) misses=(\d+)`)
	ask := func(when, want string) {
		t.Helper()
		code, out, errs := cli(t, env, kpi...) // the debug line, which cliWith's warn level hides
		if code != 0 || out != want {
			t.Fatalf("kpi %s: exit %d, %q, want %q\n%s", when, code, out, errs, want)
		}
		m := reads.FindStringSubmatch(errs)
		if m == nil {
			t.Fatalf("kpi %s: no kpi_cache_reads debug line in:\n%s", when, errs)
		}
		t.Logf("kpi %s: %s", when, m[0])
		if misses, _ := strconv.Atoi(m[2]); misses == 0 {
			t.Errorf("kpi %s: %s: a new process's cache answered without the engine", when, m[0])
		}
	}
	ask("before", "value,billable_hours,non_billable_hours,entries\n3,3,0,1\n")
	ask("again", "value,billable_hours,non_billable_hours,entries\n3,3,0,1\n")
	if code, out, errs := quiet("import", second, "--org", "cli-cache"); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	ask("after the import", "value,billable_hours,non_billable_hours,entries\n4.5,3,1.5,2\n")
}
