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

// TestDefaultRangeMonthToDate: with no dates a page shows the current
// month to date in the org's time zone, compared with the same days of the
// month before; on 7 December that is 1–7 December against 1–7 November.
func TestDefaultRangeMonthToDate(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, c := range []struct {
		name                 string
		now                  time.Time
		from, to, pfrom, pto string
		rangeText, prevText  string
	}{
		{"7 December", time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC),
			"2026-12-01", "2026-12-08", "2026-11-01", "2026-11-08", "December 2026 to date", "1–7 Nov"},
		// 02:00 UTC on 1 December is still 30 November in New York.
		{"New York's evening", time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC).In(ny),
			"2026-11-01", "2026-12-01", "2026-10-01", "2026-11-01", "November 2026", "October 2026"},
		{"the first of the month", time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC),
			"2027-01-01", "2027-01-02", "2026-12-01", "2026-12-02", "January 2027 to date", "1 Dec 2026"},
		// 31 days of March against February: cut at the end of February.
		{"30 March", time.Date(2026, 3, 30, 9, 0, 0, 0, time.UTC),
			"2026-03-01", "2026-03-31", "2026-02-01", "2026-03-01", "March 2026 to date", "February 2026"},
	} {
		ctx := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		v, err := parseView(ctx, "acme", c.now)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		pf, pt := v.Prev()
		if !v.From.Equal(day(c.from)) || !v.To.Equal(day(c.to)) || !pf.Equal(day(c.pfrom)) || !pt.Equal(day(c.pto)) {
			t.Errorf("%s: range %s to %s vs %s to %s, want %s to %s vs %s to %s", c.name, v.FromText(), v.ToText(),
				pf.Format(time.DateOnly), pt.Format(time.DateOnly), c.from, c.to, c.pfrom, c.pto)
		}
		if got := v.RangeText(); got != c.rangeText {
			t.Errorf("%s: RangeText %q, want %q", c.name, got, c.rangeText)
		}
		if got := v.PrevText(); got != c.prevText {
			t.Errorf("%s: PrevText %q, want %q", c.name, got, c.prevText)
		}
	}
}

// TestRangeTexts: ranges chosen in the form are named in the pages' one
// date format, and compared as Prev says.
func TestRangeTexts(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for query, want := range map[string][2]string{
		"from=2026-11-01&to=2026-12-01": {"November 2026", "October 2026"},
		"from=2026-11-03&to=2026-11-10": {"3–9 Nov 2026", "27 Oct – 2 Nov"},
		"from=2026-11-03&to=2026-12-06": {"3 Nov – 5 Dec 2026", "1 Oct – 2 Nov"},
		"from=2026-12-30&to=2027-01-03": {"30 Dec 2026 – 2 Jan 2027", "26–29 Dec 2026"},
		"from=2026-12-01&to=2026-12-05": {"1–4 Dec 2026", "1–4 Nov"},
		"from=2026-12-07&to=2026-12-08": {"7 Dec 2026", "6 Dec"},
	} {
		c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/?"+query, nil), httptest.NewRecorder())
		v, err := parseView(c, "acme", now)
		if err != nil {
			t.Fatalf("?%s: %v", query, err)
		}
		if got := [2]string{v.RangeText(), v.PrevText()}; got != want {
			t.Errorf("?%s: %q, want %q", query, got, want)
		}
	}
}
