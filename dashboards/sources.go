package dashboards

import (
	"fmt"
	"time"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// sourcesPanel is the overview's data freshness: when the org's data last
// arrived, and each connected source with how its syncs go.
type sourcesPanel struct {
	LastImport string // "3 h ago (7 Dec 2026 05:34)", or "" when nothing was imported
	Sources    []sourceLine
}

// sourceLine is one connected source as the overview shows it.
type sourceLine struct {
	Kind, Account string
	State         string // "ok", "failing", "needs-token" or "new": the CSS class and the badge
	LastSuccess   string // "2 h ago (7 Dec 2026 03:34)", or "never"
	FailingSince  string // "" unless failing
	Error         string // the stored error in words (redacted by the collector); shown as text
	Fix           string // what to run, for needs-token
}

// buildSources is the overview's freshness panel: times relative to now and
// absolute in loc, the org's time zone. Pure.
func buildSources(org string, now time.Time, loc *time.Location, last time.Time, imported bool, states []metrics.SourceState) sourcesPanel {
	if loc == nil {
		loc = time.UTC
	}
	var p sourcesPanel
	if imported {
		p.LastImport = when(last, now, loc)
	}
	for _, s := range states {
		l := sourceLine{Kind: s.Kind, Account: s.Account, State: "ok", LastSuccess: "never", Error: s.LastError}
		if s.LastSuccess != nil {
			l.LastSuccess = when(*s.LastSuccess, now, loc)
		}
		if s.FailingSince != nil {
			l.FailingSince = when(*s.FailingSince, now, loc)
		}
		switch {
		case s.NeedsToken:
			l.State = "needs-token"
			l.Fix = fmt.Sprintf("opsmetrics source add --org %s --kind %s --token-file NEW_TOKEN ...", org, s.Kind)
		case s.Failing() || s.LastError != "":
			l.State = "failing"
		case s.LastAttempt == nil:
			l.State = "new"
		}
		p.Sources = append(p.Sources, l)
	}
	return p
}

// when is t relative to now and absolute in loc: "3 h ago (7 Dec 2026 05:34)".
func when(t, now time.Time, loc *time.Location) string {
	return ago(now.Sub(t)) + " (" + t.In(loc).Format("2 Jan 2006 15:04") + ")"
}

// ago says how long d is, coarsely, as people say it.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute: // a clock a little ahead of the store's is "just now" too
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	}
}
