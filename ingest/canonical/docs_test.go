package canonical

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// TestDocsFieldTables checks that docs/import.md has a field table for
// every entity listing exactly its fields, in the order of the schema, and
// marking the required ones.
func TestDocsFieldTables(t *testing.T) {
	f, err := os.Open("../../docs/import.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type docField struct {
		name     string
		required bool
	}
	tables := map[string][]docField{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "### "); ok {
			section = strings.TrimSpace(h)
			continue
		}
		if strings.HasPrefix(line, "## ") {
			section = ""
			continue
		}
		if _, ok := schemas[section]; !ok || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 6 {
			t.Errorf("%s: row %q has fewer than 5 cells", section, line)
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		tables[section] = append(tables[section], docField{name, strings.HasPrefix(strings.TrimSpace(cells[3]), "**yes**")})
	}
	for _, e := range ingest.EntityNames() {
		d := schemas[e].desc()
		var got []string
		for _, f := range tables[e] {
			got = append(got, f.name)
		}
		if !slices.Equal(got, d.names()) {
			t.Errorf("%s: docs list %v, the schema has %v", e, got, d.names())
			continue
		}
		documented := map[string]bool{}
		for i, f := range tables[e] {
			documented[f.name] = f.required
			inGroup := slices.ContainsFunc(d.groups, func(g group) bool { return slices.Contains(g.names, f.name) })
			if !inGroup && f.required != d.fields[i].req {
				t.Errorf("%s.%s: docs say required=%v, the schema %v", e, f.name, f.required, d.fields[i].req)
			}
		}
		// Of "one of these is required", the docs mark at least one.
		for _, g := range d.groups {
			if !slices.ContainsFunc(g.names, func(n string) bool { return documented[n] }) {
				t.Errorf("%s: the docs mark none of %v required", e, g.names)
			}
		}
	}
}
