package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// TestCapacityDates (moved from metrics: the 400s come from the error
// table): the capacity API's ?from=, ?to= and not_before say
// when a day is not on the calendar, as the KPI API does.
func TestCapacityDates(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.DiscardHandler))
	g := e.Group("/api/v1")
	metrics.RegisterAPI(g, nil, nil, nil, func(echo.Context) (string, bool) { return "acme", true },
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

// TestErrorTable: each kind of error gets its status and the message its
// user reads, without the sentinel's prefix; anything unknown is a 500
// that says nothing of its cause.
func TestErrorTable(t *testing.T) {
	bad := func(s string) error { _, _, err := metrics.ParseRange(s, "", time.Now()); return err }
	for _, tc := range []struct {
		err    error
		status int
		msg    string
	}{
		{echo.NewHTTPError(http.StatusForbidden, "no"), 403, "no"},
		{fmt.Errorf("kpi x: %w", bad("2026-13-01")), 400, `from "2026-13-01": there is no month 13; want a date as YYYY-MM-DD`},
		{&org.BadSettingError{Msg: `grace_days "61": must be from 0 to 60`}, 400, `grace_days "61": must be from 0 to 60`},
		{fmt.Errorf("query: %w", store.ErrTimeout), 504, "query timed out"},
		{store.ErrUnavailable, 503, "database unavailable"},
		{fmt.Errorf("source src_1 of org o: %w", collect.ErrBusy), 409, "source src_1 of org o: " + collect.ErrBusy.Error()},
		{errors.New("engine said something private"), 500, "internal error"},
	} {
		status, body := answer(tc.err)
		if status != tc.status || body.Error != tc.msg {
			t.Errorf("%v: %d %q, want %d %q", tc.err, status, body.Error, tc.status, tc.msg)
		}
	}
}
