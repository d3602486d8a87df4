package metrics

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// TestParseRangeSaysWhatIsWrong: the CLI's --from/--to and the API's
// ?from=/?to= go through ParseRange; a date that is well formed but not on
// the calendar must say so, not ask for the format the caller already used.
func TestParseRangeSaysWhatIsWrong(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ from, to, want string }{
		{"2026-11-31", "", `from "2026-11-31": there is no such day: November 2026 has 30 days`},
		{"2026-02-29", "", `from "2026-02-29": there is no such day: February 2026 has 28 days`},
		{"2026-04-01", "2026-04-31", `to "2026-04-31": there is no such day: April 2026 has 30 days`},
		{"2026-13-01", "", `from "2026-13-01": there is no month 13; want a date as YYYY-MM-DD`},
		{"2026-00-10", "", `from "2026-00-10": there is no month 0; want a date as YYYY-MM-DD`},
		{"2026-01-00", "", `from "2026-01-00": there is no day 0`},
		{"2026/11/30", "", `from "2026/11/30": want a date as YYYY-MM-DD`},
		{"30.11.2026", "", `from "30.11.2026": want a date as YYYY-MM-DD`},
		{"2026-1-5", "", `from "2026-1-5": want a date as YYYY-MM-DD`},
		{"2026-04-01", "tomorrow", `to "tomorrow": want a date as YYYY-MM-DD`},
	} {
		_, _, err := ParseRange(tc.from, tc.to, now)
		if !errors.Is(err, ErrBadRequest) || err.Error() != ErrBadRequest.Error()+": "+tc.want {
			t.Errorf("ParseRange(%q, %q) = %v, want %q", tc.from, tc.to, err, tc.want)
		}
	}
	// 2028 is a leap year: 29 February exists.
	f, to, err := ParseRange("2028-02-29", "", now)
	if err != nil || f != time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC) || to != time.Date(2028, 3, 29, 0, 0, 0, 0, time.UTC) {
		t.Errorf("ParseRange(2028-02-29) = %s %s %v", f, to, err)
	}
}

// TestParseRangeDefault: without dates the range is the current month to
// date of now's day (now is in the org's time zone): from the 1st to today
// included, to tomorrow. A from alone runs a month; a to alone starts on
// this month's first day.
func TestParseRangeDefault(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now              time.Time
		from, to         string
		wantFrom, wantTo string
	}{
		{time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), "", "", "2026-12-01", "2026-12-08"},
		// 20:00 UTC on 6 December is 09:00 on the 7th in Auckland.
		{time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC).In(auckland), "", "", "2026-12-01", "2026-12-08"},
		{time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "", "", "2026-12-01", "2026-12-02"},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "", "", "2026-12-01", "2027-01-01"},
		{time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), "2026-11-03", "", "2026-11-03", "2026-12-03"},
		{time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), "", "2026-12-05", "2026-12-01", "2026-12-05"},
	} {
		f, to, err := ParseRange(tc.from, tc.to, tc.now)
		if err != nil || f.Format(time.DateOnly) != tc.wantFrom || to.Format(time.DateOnly) != tc.wantTo {
			t.Errorf("ParseRange(%q, %q) at %s = %s %s %v, want %s %s", tc.from, tc.to, tc.now, f, to, err, tc.wantFrom, tc.wantTo)
		}
	}
}

// TestEarliestStartBodyIsOneObject: the earliest-start request is one JSON
// object; a second value after it was ignored, and the first answered.
func TestEarliestStartBodyIsOneObject(t *testing.T) {
	e := echo.New()
	RegisterAPI(e.Group("/api/v1"), nil, nil, nil, func(echo.Context) (string, bool) { return "acme", true },
		func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) })
	for _, body := range []string{
		`{"demand":{"designer":10},"weeks":2,"not_before":"2027-04-31"}{"weeks":3}`,
		`{"demand":{"designer":10},"weeks":2,"not_before":"2027-04-31"} ]`,
	} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/capacity/earliest-start", strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "a second JSON value") {
			t.Errorf("%s: %d %s, want 400 about the second value", body, rec.Code, rec.Body.String())
		}
	}
}
