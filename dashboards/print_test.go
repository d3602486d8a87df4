package dashboards

import (
	"testing"
	"time"
)

// TestPrintedFilters checks the line printed in place of the filter form and
// the range in CSV file names: names, not ids, "all" for no filter, and the
// last day included.
func TestPrintedFilters(t *testing.T) {
	n := &names{byKind: map[string]map[string]string{
		"client": {"c-0003": "Nordlicht GmbH"},
		"team":   {"brand": "Brand"},
	}}
	dec1 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name         string
		view         View
		page         Page
		text, file   string
		csvPageWants string
	}{
		{"month, no filter", View{From: dec1, To: dec1.AddDate(0, 1, 0)}, Pages[0],
			"Range December 2026 · Client: all · Team: all", "2026-12-01-to-2026-12-31", "overview"},
		{"days, client and team by name", View{From: dec1, To: dec1.AddDate(0, 0, 7), Client: "c-0003", Team: "brand"}, Pages[1],
			"Range 1–7 Dec 2026 · Client: Nordlicht GmbH · Team: Brand", "2026-12-01-to-2026-12-07", "margin"},
		{"an id without a name shows the id", View{From: dec1, To: dec1.AddDate(0, 0, 1), Client: "c-9999"}, Pages[2],
			"Range 1 Dec 2026 · Client: c-9999 · Team: all", "2026-12-01-to-2026-12-01", "utilization"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := pageData{View: tc.view, Names: n, Page: tc.page}
			if got := p.FilterText(); got != tc.text {
				t.Errorf("FilterText() = %q, want %q", got, tc.text)
			}
			if got := p.CSVRange(); got != tc.file {
				t.Errorf("CSVRange() = %q, want %q", got, tc.file)
			}
			if got := p.CSVPage(); got != tc.csvPageWants {
				t.Errorf("CSVPage() = %q, want %q", got, tc.csvPageWants)
			}
		})
	}
}
