package app

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// TestCapacityDates (moved from metrics: the 400s come from the error
// table): the capacity API's ?from=, ?to= and not_before say
// when a day is not on the calendar, as the KPI API does.
func TestCapacityDates(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.DiscardHandler))
	g := e.Group("/api/v1")
	metrics.RegisterAPI(g, nil, nil, func(echo.Context) (string, bool) { return "acme", true },
		func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) })
	for _, tc := range []struct{ method, target, body, want string }{
		{http.MethodGet, "/api/v1/capacity?from=2026-11-31", "", `from \"2026-11-31\": there is no such day: November 2026 has 30 days`},
		{http.MethodGet, "/api/v1/capacity?from=2026-12-07&to=2027-02-29", "", `to \"2027-02-29\": there is no such day: February 2027 has 28 days`},
		{http.MethodGet, "/api/v1/capacity?from=7.12.2026", "", `from \"7.12.2026\": want a date as YYYY-MM-DD`},
		{http.MethodPost, "/api/v1/capacity/earliest-start", `{"demand":{"designer":10},"weeks":2,"not_before":"2027-04-31"}`,
			`not_before \"2027-04-31\": there is no such day: April 2027 has 30 days`},
	} {
		req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s %s: %d %s, want 400 with %s", tc.method, tc.target, rec.Code, rec.Body.String(), tc.want)
		}
	}
}
