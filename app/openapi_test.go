package app

import (
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// TestOpenAPIMatchesRoutes fails when a route of the server is missing from
// /api/v1/openapi.json or the document names a route the server lacks.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := nopServer(t, slog.New(slog.DiscardHandler), nil)
	var served []string
	for _, r := range e.Routes() {
		if strings.HasPrefix(r.Method, "echo_route") || !(strings.HasPrefix(r.Path, "/api/") || r.Path == "/healthz" || r.Path == "/readyz") {
			continue // echo's own not-found routes, and the HTML pages (dashboards, sign-in, status)
		}
		path := r.Path
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, ":") {
				path = strings.Replace(path, seg, "{"+seg[1:]+"}", 1)
			}
		}
		served = append(served, strings.ToLower(r.Method)+" "+path)
	}
	rec := httptestGet(t, e, "/api/v1/openapi.json")
	var doc struct {
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			Parameters map[string]struct{ Schema struct{ Enum []string } }
			Schemas    map[string]struct {
				Properties map[string]struct{ Enum []string }
			}
		}
	}
	if err := json.Unmarshal(rec, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	served = slices.Compact(served)
	if !slices.Equal(served, documented) {
		t.Errorf("routes and openapi.json disagree:\nserved:     %v\ndocumented: %v", served, documented)
	}
	var names []string
	for _, k := range metrics.Catalog() {
		names = append(names, k.Name)
	}
	if got := doc.Components.Parameters["KPIName"].Schema.Enum; !slices.Equal(got, names) {
		t.Errorf("KPI names in the document %v, catalog %v", got, names)
	}
	watched := slices.Sorted(maps.Keys(metrics.ThresholdKPIs))
	if got := doc.Components.Schemas["Threshold"].Properties["kpi"].Enum; !slices.Equal(got, watched) {
		t.Errorf("threshold KPIs in the document %v, metrics.ThresholdKPIs %v", got, watched)
	}
}
