package metrics_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/metrics"
)

func TestParseNeed(t *testing.T) {
	// Both separators everywhere: ROLE=HOURS (what opsmetrics writes) and
	// ROLE:HOURS (the capacity page's first links); spaces trimmed.
	for in, want := range map[string]struct{ role, hours string }{
		"designer=20":        {"designer", "20"},
		"designer:20":        {"designer", "20"},
		" Designer = 7.5 ":   {"Designer", "7.5"},
		"ux:ui=10":           {"ux:ui", "10"}, // the last separator splits
		"project manager:.5": {"project manager", "0.5"},
		"designer=10000":     {"designer", "10000"},
	} {
		role, h, err := metrics.ParseNeed(in)
		if err != nil || role != want.role || h.String() != want.hours {
			t.Errorf("%q: %q %s %v, want %q %s", in, role, h, err, want.role, want.hours)
		}
	}
	// Each mistake names its part: the shape of the whole, or the hours.
	for in, want := range map[string]struct{ part, msg string }{
		"designer":         {"need", `"designer": want ROLE=HOURS_PER_WEEK, e.g. designer=20`},
		"=20":              {"need", `"=20": want ROLE=HOURS_PER_WEEK, e.g. designer=20`},
		"designer=":        {"hours", `role "designer": give its hours per week`},
		"designer=abc":     {"hours", `role "designer": hours per week "abc" is not a number`},
		"designer:0":       {"hours", `role "designer": hours per week must be more than 0 (got 0)`},
		"designer=-3":      {"hours", `role "designer": hours per week must be more than 0 (got -3)`},
		"designer=NaN":     {"hours", `role "designer": hours per week must be more than 0 (got NaN)`},
		"designer=10001":   {"hours", `role "designer": 10001 hours per week is more than 10000`},
		"designer=1e400":   {"hours", `role "designer": 1e400 hours per week is more than 10000`},
		"designer=20 h/wk": {"hours", `role "designer": hours per week "20 h/wk" is not a number`},
	} {
		_, _, err := metrics.ParseNeed(in)
		var ne *metrics.NeedError
		if !errors.As(err, &ne) || ne.Part != want.part || err.Error() != want.msg || !errors.Is(err, metrics.ErrBadRequest) {
			t.Errorf("%q: %v, want %s: %s", in, err, want.part, want.msg)
		}
	}
}

func TestCapacityDefaults(t *testing.T) {
	// Today is the day of now where now is, at UTC midnight.
	now := time.Date(2026, 11, 4, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))
	if got := metrics.Today(now); !got.Equal(time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Today = %v", got)
	}
	day := func(s string) time.Time { return must(time.Parse(time.DateOnly, s)) }
	for _, c := range []struct{ from, to, wantFrom, wantTo, err string }{
		{"", "", "2026-11-04", "2027-01-27", ""}, // today and 12 weeks on
		{"2027-03-01", "", "2027-03-01", "2027-05-24", ""},
		{"2027-03-01", "2027-03-15", "2027-03-01", "2027-03-15", ""},
		{"2027-02-30", "", "", "", `bad KPI request: from "2027-02-30": there is no such day: February 2027 has 28 days`},
		{"", "March", "", "", `bad KPI request: to "March": want a date as YYYY-MM-DD`},
	} {
		f, to, err := metrics.ParseCapacityRange(c.from, c.to, now)
		switch {
		case c.err != "":
			if err == nil || err.Error() != c.err {
				t.Errorf("%q %q: %v, want %s", c.from, c.to, err, c.err)
			}
		case err != nil || !f.Equal(day(c.wantFrom)) || !to.Equal(day(c.wantTo)):
			t.Errorf("%q %q: %v %v %v, want %s %s", c.from, c.to, f, to, err, c.wantFrom, c.wantTo)
		}
	}
}

func TestEarliestStartHoursAsNeeds(t *testing.T) {
	// The API's JSON demand is held to the rule the CLI's and the page's
	// needs are read by.
	for hours, want := range map[string]string{
		"0":     `demand: role "designer": hours per week must be more than 0 (got 0)`,
		"10001": `demand: role "designer": 10001 hours per week is more than 10000`,
		"20":    "",
	} {
		r := metrics.EarliestStartRequest{Org: "o", Demand: map[string]decimal.Decimal{"designer": decimal.RequireFromString(hours)},
			Weeks: 2, NotBefore: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
		err := r.Validate()
		if got := fmt.Sprint(err); (want == "" && err != nil) || (want != "" && (got != want || !errors.Is(err, metrics.ErrBadRequest))) {
			t.Errorf("%s h: %v, want %q", hours, err, want)
		}
	}
}
