package metrics_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// TestAPIDefaultRange: GET /kpis/:name without from and to answers for the
// current month to date in the org's time zone, as the pages do: at 20:00
// UTC on 6 December it is already 7 December in Auckland, so an Auckland
// org's range is 1 to 7 December included (to 2026-12-08) and a UTC org's
// 1 to 6 December; not the whole of December.
func TestAPIDefaultRange(t *testing.T) {
	write(t, []settings.Settings{
		{ID: "range-nz", Name: "Kiwi", TimeZone: "Pacific/Auckland", Currency: "NZD"},
		{ID: "range-utc", Name: "Utc", TimeZone: "UTC", Currency: "USD"}})
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ org, query, from, to string }{
		{"range-nz", "", "2026-12-01", "2026-12-08"},
		{"range-utc", "", "2026-12-01", "2026-12-07"},
		// Dates given are the caller's; to alone runs from this month's first.
		{"range-nz", "?from=2026-11-03", "2026-11-03", "2026-12-03"},
		{"range-nz", "?to=2026-12-05", "2026-12-01", "2026-12-05"},
	} {
		e := echo.New()
		metrics.RegisterAPI(e.Group("/api/v1"), testStore(t), testFacts(t), nil,
			func(echo.Context) (string, bool) { return tc.org, true }, func() time.Time { return now })
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/kpis/logged_hours"+tc.query, nil))
		var got struct{ From, To string }
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &got) != nil {
			t.Fatalf("%s %q: %d %s", tc.org, tc.query, rec.Code, rec.Body.String())
		}
		if got.From != tc.from || got.To != tc.to {
			t.Errorf("%s %q: from %s to %s, want %s to %s", tc.org, tc.query, got.From, got.To, tc.from, tc.to)
		}
	}
}
