package app_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLayers keeps the import rules of docs/architecture.md: the data flows
// source -> ingest -> sql -> metrics -> app/dashboards, settings live in
// org, and only cmd (with test harnesses and bench tools) opens an engine.
// It reads the build's own import graph with `go list`.
func TestLayers(t *testing.T) {
	const mod = "github.com/opsmetrics/opsmetrics/"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{} // room-relative path -> its opsmetrics imports
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		pkg, deps, _ := strings.Cut(strings.TrimSpace(line), ":")
		pkg = strings.TrimPrefix(pkg, mod)
		imports[pkg] = nil
		for d := range strings.FieldsSeq(deps) {
			if after, ok := strings.CutPrefix(d, mod); ok {
				imports[pkg] = append(imports[pkg], after)
			}
		}
	}
	// deps is everything p depends on within the module, directly or not.
	deps := func(p string) []string {
		seen := map[string]bool{}
		var walk func(string)
		walk = func(p string) {
			for _, d := range imports[p] {
				if !seen[d] {
					seen[d] = true
					walk(d)
				}
			}
		}
		walk(p)
		return slices.Sorted(func(yield func(string) bool) {
			for d := range seen {
				if !yield(d) {
					return
				}
			}
		})
	}
	under := func(p, room string) bool { return p == room || strings.HasPrefix(p, room+"/") }
	if len(imports) < 10 || imports["metrics"] == nil {
		t.Fatalf("go list found %d packages, not the module's: %v", len(imports), imports)
	}
	for p := range imports {
		for _, d := range deps(p) {
			var why string
			switch {
			case (under(p, "metrics") || under(p, "dashboards")) && under(d, "ingest"):
				why = "metrics and dashboards read settings from org and data through sql, never ingest"
			case under(p, "ingest") && (under(d, "metrics") || under(d, "dashboards") || under(d, "app")):
				why = "ingest tells of its writes through Changed callbacks, it does not import what reads them"
			case under(p, "org") && d != "sql":
				why = "org sits below ingest and metrics and imports only sql"
			case under(p, "sql") && !under(d, "sql"):
				why = "sql is the bottom room"
			case (d == "sql/chdb" || d == "sql/clickhouse") && !under(p, "sql") && !under(p, "cmd") && !under(p, "bench") &&
				!strings.HasSuffix(p, "test"):
				why = "only cmd opens an engine; the rest ask sql's interfaces and abilities"
			}
			if why != "" {
				t.Errorf("%s depends on %s: %s", p, d, why)
			}
		}
		if under(p, "dashboards") && slices.ContainsFunc(imports[p], func(d string) bool { return under(d, "sql") }) {
			t.Errorf("dashboards imports %v: pages read through metrics only", imports[p])
		}
	}
}
