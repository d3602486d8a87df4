package dashboards

import (
	"fmt"
	"net/url"
	"time"

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
}

// maxRange bounds a page's date range: the pages read day and week buckets.
const maxRange = 3 * 366 * 24 * time.Hour

// parseView reads a page's view from the request. With no dates it shows
// the last complete calendar month. The org comes from the session; an org
// in the URL that is not the session's is refused, so a shared link never
// silently shows other numbers.
func parseView(c echo.Context, org string, now time.Time) (View, error) {
	v := View{Org: org, Client: c.QueryParam("client"), Team: c.QueryParam("team")}
	if o := c.QueryParam("org"); o != "" && o != org {
		return v, echo.NewHTTPError(403, fmt.Sprintf("this link is for org %q, and you are signed in to %q: sign in with a token of that org", o, org))
	}
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	v.From, v.To = thisMonth.AddDate(0, -1, 0), thisMonth
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
		return v, echo.NewHTTPError(400, "from must be before to")
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

// Prev is the range of the same length just before the view's.
func (v View) Prev() (time.Time, time.Time) {
	// Whole months stay whole months: March's previous period is February.
	if v.From.Day() == 1 && v.To.Day() == 1 {
		months := (v.To.Year()-v.From.Year())*12 + int(v.To.Month()-v.From.Month())
		return v.From.AddDate(0, -months, 0), v.From
	}
	return v.From.Add(-v.To.Sub(v.From)), v.From
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

// RangeText describes the range in words.
func (v View) RangeText() string {
	last := v.To.AddDate(0, 0, -1)
	if v.From.Day() == 1 && v.To.Day() == 1 && v.To.Equal(v.From.AddDate(0, 1, 0)) {
		return v.From.Format("January 2006")
	}
	return v.From.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
}
