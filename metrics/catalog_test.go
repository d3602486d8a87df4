package metrics_test

import (
	"os"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// TestCatalogIsDocumented: every KPI of the catalog has its section in
// docs/kpis.md, and its header declares what the API needs.
func TestCatalogIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/kpis.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(metrics.Catalog()) < 40 {
		t.Errorf("catalog has %d KPIs", len(metrics.Catalog()))
	}
	for _, k := range metrics.Catalog() {
		if !strings.Contains(string(doc), "`"+k.Name+"`") {
			t.Errorf("docs/kpis.md does not describe %s", k.Name)
		}
		switch k.Unit {
		case "ratio", "hours", "money", "days", "count", "score", "date", "level":
		default:
			t.Errorf("%s: unit %q", k.Name, k.Unit)
		}
	}
}
