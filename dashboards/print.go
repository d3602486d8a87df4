package dashboards

import (
	"strings"
	"time"
)

// FilterText is the page's filters as one line of text, printed under the
// title (the filter form itself is not printed): "Range 1 Dec 2026 – 7 Dec
// 2026 · Client: Acme · Team: all". Filters show their names, not ids.
func (p pageData) FilterText() string {
	client, team := "all", "all"
	if p.View.Client != "" {
		client = p.Names.of("client", p.View.Client)
	}
	if p.View.Team != "" {
		team = p.Names.of("team", p.View.Team)
	}
	return "Range " + p.View.RangeText() + " · Client: " + client + " · Team: " + team
}

// CSVPage names the page in the file names of its "Download CSV" links
// (assets/app.js): "overview" for /, else the path's last part.
func (p pageData) CSVPage() string {
	if name := strings.Trim(p.Page.Path, "/"); name != "" {
		return strings.ReplaceAll(name, "/", "-")
	}
	return "overview"
}

// CSVRange is the view's range in the file names of its CSV downloads, the
// last day included as the page shows it: "2026-12-01-to-2026-12-07".
func (p pageData) CSVRange() string {
	return p.View.From.Format(time.DateOnly) + "-to-" + p.View.To.AddDate(0, 0, -1).Format(time.DateOnly)
}
