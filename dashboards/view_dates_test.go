package dashboards

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// TestParseViewDates: a page's ?from= and ?to= say when a day is not on
// the calendar, as the KPI API does.
func TestParseViewDates(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for query, want := range map[string]string{
		"from=2026-11-31":               `from "2026-11-31": there is no such day: November 2026 has 30 days`,
		"from=2026-02-01&to=2026-02-29": `to "2026-02-29": there is no such day: February 2026 has 28 days`,
		"from=01/11/2026":               `from "01/11/2026": want a date as YYYY-MM-DD`,
	} {
		c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/?"+query, nil), httptest.NewRecorder())
		_, err := parseView(c, "acme", now)
		var he *echo.HTTPError
		if !errors.As(err, &he) || he.Code != 400 || he.Message != want {
			t.Errorf("?%s: %v, want 400 %q", query, err, want)
		}
	}
}
