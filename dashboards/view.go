package dashboards

import (
	"fmt"
	"net/url"
	"time"

	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/labstack/echo/v4"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
)

// View is everything a page shows, and all of it is in the URL: the org, the
// date range [From, To) and the client and team filters. A link therefore
// opens the same page for a colleague (signed in to the same org).
type View struct {
	Org          string
	From, To     time.Time
	Client, Team string
	// Settings are the org's, read once per page (server.view) for its KPI
	// requests, its own lists and its footer.
	Settings org.Settings
	// names are the org's names when a filter was resolved with them
	// (server.view); nil otherwise.
	names *metrics.Names
	// today is the day of now in the org's time zone (parseView): a range
	// that ends with it is "to date".
	today time.Time
}

// maxRange bounds a page's date range: the pages read day and week buckets.
const maxRange = 3 * 366 * 24 * time.Hour

// parseView reads a page's view from the request. now is the clock in the
// org's time zone. With no dates it shows the current month to date: from
// its first day to today included (to, excluded, is tomorrow), so what an
// ops lead opens a page for in the first week of a month is in it. The org
// comes from the session; an org in the URL that is not the session's is
// refused, so a shared link never silently shows other numbers.
func parseView(c echo.Context, org string, now time.Time) (View, error) {
	v := View{Org: org, Client: c.QueryParam("client"), Team: c.QueryParam("team")}
	if o := c.QueryParam("org"); o != "" && o != org {
		return v, echo.NewHTTPError(403, fmt.Sprintf("this link is for org %q, and you are signed in to %q: sign in with a token of that org", o, org))
	}
	v.today = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	v.From, v.To = v.today.AddDate(0, 0, 1-v.today.Day()), v.today.AddDate(0, 0, 1)
	var why string
	if s := c.QueryParam("from"); s != "" {
		if v.From, why = metrics.ParseDay(s); why != "" {
			return v, echo.NewHTTPError(400, fmt.Sprintf("from %q: %s", s, why))
		}
		if c.QueryParam("to") == "" {
			v.To = v.From.AddDate(0, 1, 0)
		}
	}
	if s := c.QueryParam("to"); s != "" {
		if v.To, why = metrics.ParseDay(s); why != "" {
			return v, echo.NewHTTPError(400, fmt.Sprintf("to %q: %s", s, why))
		}
	}
	if !v.From.Before(v.To) {
		return v, echo.NewHTTPError(400, fmt.Sprintf("from %s must be before to %s", v.From.Format(time.DateOnly), v.To.Format(time.DateOnly)))
	}
	if v.To.Sub(v.From) > maxRange {
		return v, echo.NewHTTPError(400, "the date range is longer than three years; narrow it")
	}
	return v, nil
}

// Filters are the KPI filters of the view.
func (v View) Filters() map[string]string {
	f := map[string]string{}
	if v.Client != "" {
		f["client"] = v.Client
	}
	if v.Team != "" {
		f["team"] = v.Team
	}
	return f
}

// Prev is the range the view is compared with: whole months with as many
// months before them (March's is February); part of a month from its first
// day with the same days of the month before (1–7 December's is 1–7
// November, not the whole of November, which would make every month to
// date look like a fall), cut at the end of that month (1–31 March's is
// February); any other range with the range of the same length just before.
func (v View) Prev() (time.Time, time.Time) {
	if v.From.Day() == 1 && v.To.Day() == 1 {
		months := (v.To.Year()-v.From.Year())*12 + int(v.To.Month()-v.From.Month())
		return v.From.AddDate(0, -months, 0), v.From
	}
	if v.From.Day() == 1 && v.To.Before(v.From.AddDate(0, 1, 0)) {
		pf := v.From.AddDate(0, -1, 0)
		pt := pf.AddDate(0, 0, v.Days())
		if pt.After(v.From) {
			pt = v.From
		}
		return pf, pt
	}
	return v.From.Add(-v.To.Sub(v.From)), v.From
}

// PrevView is the view of Prev's range: the same org, filters and settings.
func (v View) PrevView() View {
	p := v
	p.From, p.To = v.Prev()
	return p
}

// PrevText names the range the view is compared with, short, as in "vs
// 1–7 Nov" or "vs November 2026"; its year is said when it is not the
// view's.
func (v View) PrevText() string {
	p := v.PrevView()
	if p.wholeMonths() == 1 {
		return p.From.Format("January 2006")
	}
	last := p.To.AddDate(0, 0, -1)
	if last.Year() != v.To.AddDate(0, 0, -1).Year() {
		return p.RangeText()
	}
	if p.From.Month() == last.Month() {
		if p.From.Equal(last) {
			return p.From.Format("2 Jan")
		}
		return fmt.Sprintf("%d–%s", p.From.Day(), last.Format("2 Jan"))
	}
	return p.From.Format("2 Jan") + " – " + last.Format("2 Jan")
}

// Query is the view as URL query parameters.
func (v View) Query() url.Values {
	q := url.Values{}
	q.Set("org", v.Org)
	q.Set("from", v.From.Format(time.DateOnly))
	q.Set("to", v.To.Format(time.DateOnly))
	if v.Client != "" {
		q.Set("client", v.Client)
	}
	if v.Team != "" {
		q.Set("team", v.Team)
	}
	return q
}

// Link is the URL of page with this view, changed by the key/value pairs
// given ("" removes a filter).
func (v View) Link(page string, kv ...string) string {
	q := v.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return page + "?" + q.Encode()
}

// Days is the length of the view in days.
func (v View) Days() int { return int(v.To.Sub(v.From).Hours() / 24) }

// FromText and ToText are the range as shown in forms; ToText is the last
// day included, as people say it ("1 to 31 March").
func (v View) FromText() string { return v.From.Format(time.DateOnly) }
func (v View) ToText() string   { return v.To.Format(time.DateOnly) }

// wholeMonths is how many calendar months the view is, 0 when it is not
// whole months.
func (v View) wholeMonths() int {
	if v.From.Day() != 1 || v.To.Day() != 1 {
		return 0
	}
	return (v.To.Year()-v.From.Year())*12 + int(v.To.Month()-v.From.Month())
}

// RangeText describes the range in words, its days in the one date format
// of the pages (fmtDay): "November 2026", "December 2026 to date" (a month
// from its first day to today), "1–7 Nov 2026", "3 Nov – 5 Dec 2026".
func (v View) RangeText() string {
	last := v.To.AddDate(0, 0, -1)
	switch {
	case v.wholeMonths() == 1:
		return v.From.Format("January 2006")
	case v.From.Day() == 1 && !v.today.IsZero() && last.Equal(v.today) && v.From.Month() == last.Month() && v.From.Year() == last.Year():
		return v.From.Format("January 2006") + " to date"
	case v.From.Equal(last):
		return fmtDay(last)
	case v.From.Year() == last.Year() && v.From.Month() == last.Month():
		return fmt.Sprintf("%d–%s", v.From.Day(), fmtDay(last))
	case v.From.Year() == last.Year():
		return v.From.Format("2 Jan") + " – " + fmtDay(last)
	}
	return fmtDay(v.From) + " – " + fmtDay(last)
}

// fmtDay is how every page writes a day: "7 Dec 2026" (ISO dates are for
// CSV, the API and the URL).
func fmtDay(t time.Time) string { return t.Format("2 Jan 2006") }

// fmtTime is how every page writes an instant, in loc: "7 Dec 2026 14:05".
func fmtTime(t time.Time, loc *time.Location) string { return t.In(loc).Format("2 Jan 2006 15:04") }

// orgLocation is the org's time zone; UTC when its name is not one (the
// settings are checked when written, so only a hand-edited store has one).
func orgLocation(s org.Settings) *time.Location {
	loc, err := time.LoadLocation(s.WithDefaults().TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// weekWorkdays counts the org's workdays in the ISO week that starts on
// monday: all of them, and those inside the view's range. A week the
// range's start or end cuts has in < all: a partial week.
func (v View) weekWorkdays(monday time.Time) (in, all int) {
	days := v.Settings.WithDefaults().Workdays // bit 0 = Monday
	for i := range 7 {
		if days&(1<<i) == 0 {
			continue
		}
		all++
		if d := monday.AddDate(0, 0, i); !d.Before(v.From) && d.Before(v.To) {
			in++
		}
	}
	return in, all
}

// partialWeekText says how much of a week the range holds, "" for a
// whole week: "partial week: 3 of 5 workdays".
func (v View) partialWeekText(monday time.Time) string {
	in, all := v.weekWorkdays(monday)
	if in == all {
		return ""
	}
	return fmt.Sprintf("partial week: %d of %d workdays", in, all)
}

// periodMark is how a chart over the view shows the week (by its Monday)
// or month p: its label (periodText), which ends "(partial)" when the
// range's start or end cuts the week; what the week's table row adds,
// "partial week: 3 of 5 workdays" ("" for a whole week or a month); and
// whether it is drawn: a week with no workday inside the range is not (a
// Sunday's hours are not a week's rate, and would be drawn as a spike).
func (v View) periodMark(p time.Time, monthly bool) (label, partial string, drawn bool) {
	label = periodText(p, monthly)
	if monthly {
		return label, "", true
	}
	if partial = v.partialWeekText(p); partial == "" {
		return label, "", true
	}
	in, _ := v.weekWorkdays(p)
	return label + " (partial)", partial, in > 0
}

// markPartial is a partial week's value text in a table: "not drawn: " before
// it when the week is not drawn, and what the range holds of the week after
// it, as in "40.0% (partial week: 2 of 5 workdays)". text is unchanged for a
// whole week.
func markPartial(text, partial string, drawn bool) string {
	if partial == "" {
		return text
	}
	if !drawn {
		text = "not drawn: " + text
	}
	return text + " (" + partial + ")"
}

// partialSymbol marks a partial week's point on a line, as the overview's
// sparklines do.
func partialSymbol(d opts.LineData, partial string) opts.LineData {
	if partial != "" {
		d.Symbol, d.SymbolSize = "emptyTriangle", 9
	}
	return d
}
