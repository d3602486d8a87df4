package dashboards

import (
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/metrics"
)

func stAt(s string) *time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return &t
}

// TestOverviewSources: hand-written state rows (one ok, one failing, one
// needing a token) as the overview shows them, times relative to now and
// absolute in the org's zone (Europe/Berlin: UTC+1 in December); the error
// text, which a tool's answer can fill, stays text.
func TestOverviewSources(t *testing.T) {
	now := *stAt("2026-12-07 12:00")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	states := []metrics.SourceState{
		{ID: "src_ok", Kind: "harvest", Account: "123456", LastAttempt: stAt("2026-12-07 11:45"), LastSuccess: stAt("2026-12-07 11:45")},
		{ID: "src_fail", Kind: "toggl", Account: "4567890", LastAttempt: stAt("2026-12-07 11:50"), LastSuccess: stAt("2026-12-05 09:00"),
			FailingSince: stAt("2026-12-07 09:00"), LastError: `toggl GET /reports: 502 <script>alert("x")</script>`},
		{ID: "src_token", Kind: "clockify", Account: "64a1b2", LastAttempt: stAt("2026-12-07 11:00"),
			FailingSince: stAt("2026-12-07 11:00"), LastError: "clockify GET /user: needs a new token (401 [REDACTED])", NeedsToken: true},
	}
	p := buildSources("studio", now, berlin, *stAt("2026-12-07 11:46"), true, states)
	if p.LastImport != "14 min ago (7 Dec 2026 12:46)" {
		t.Errorf("last import %q", p.LastImport)
	}
	want := []sourceLine{
		{Kind: "harvest", Account: "123456", State: "ok", LastSuccess: "15 min ago (7 Dec 2026 12:45)"},
		// 5 Dec 09:00 UTC is 51 h before now: 2 days (whole days, rounded down).
		{Kind: "toggl", Account: "4567890", State: "failing", LastSuccess: "2 days ago (5 Dec 2026 10:00)",
			FailingSince: "3 h ago (7 Dec 2026 10:00)", Error: states[1].LastError},
		{Kind: "clockify", Account: "64a1b2", State: "needs-token", LastSuccess: "never", FailingSince: "1 h ago (7 Dec 2026 12:00)",
			Error: states[2].LastError, Fix: "opsmetrics source add --org studio --kind clockify --token-file NEW_TOKEN ..."},
	}
	if len(p.Sources) != len(want) {
		t.Fatalf("sources %+v", p.Sources)
	}
	for i := range want {
		if p.Sources[i] != want[i] {
			t.Errorf("source %d = %+v, want %+v", i, p.Sources[i], want[i])
		}
	}

	page := mtRender(t, "overview", mtView, mtNames("client"), overviewBody{Data: p})
	for _, s := range []string{
		"Last import: <strong>14 min ago (7 Dec 2026 12:46)</strong>",
		"<strong>harvest</strong> account <code>123456</code>", "Last synced: 15 min ago (7 Dec 2026 12:45)",
		"<strong>toggl</strong> account <code>4567890</code>", "Failing since 3 h ago (7 Dec 2026 10:00)",
		`toggl GET /reports: 502 &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`,
		`<li class="source needs-token">`, "needs a new token</span>", "Last synced: never",
		"Needs a new token: run <code>opsmetrics source add --org studio --kind clockify --token-file NEW_TOKEN ...</code> again",
	} {
		if !strings.Contains(page, s) {
			t.Errorf("the page does not show %q", s)
		}
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("the error text reached the page as markup")
	}
	if strings.Count(page, `class="bad"`) != 2 {
		t.Errorf("want the failing and the needs-token source marked bad, once each")
	}
}

// TestOverviewNoSources: an org without sources shows its last import and
// one line on connecting a tool; without data, the empty text says how to
// import or connect; no source list either way.
func TestOverviewNoSources(t *testing.T) {
	now := *stAt("2026-12-07 12:00")
	p := buildSources("studio", now, time.UTC, *stAt("2026-12-04 12:00"), true, nil)
	page := mtRender(t, "overview", mtView, mtNames("client"), overviewBody{Data: p})
	if !strings.Contains(page, "Last import: <strong>3 days ago (4 Dec 2026 12:00)</strong>") ||
		!strings.Contains(page, "can be connected with <code>opsmetrics source add</code>") || strings.Contains(page, `class="sources"`) {
		t.Errorf("page without sources:\n%s", section(page))
	}
	empty := mtRender(t, "overview", mtView, mtNames("client"), overviewBody{Data: buildSources("studio", now, time.UTC, time.Time{}, false, nil)})
	if !strings.Contains(empty, "Nothing imported yet") || strings.Contains(empty, "Last import") || strings.Contains(empty, `class="sources"`) {
		t.Errorf("page without data:\n%s", section(empty))
	}
}

// section is the freshness part of a page, for failure messages.
func section(page string) string {
	if i := strings.Index(page, `<section class="block freshness"`); i >= 0 {
		page = page[i:]
	}
	if i := strings.Index(page, "</section>"); i >= 0 {
		page = page[:i]
	}
	return page
}

func TestAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Minute: "just now", 30 * time.Second: "just now", 59 * time.Minute: "59 min ago",
		time.Hour: "1 h ago", 47 * time.Hour: "47 h ago", 48 * time.Hour: "2 days ago", 10 * 24 * time.Hour: "10 days ago",
	} {
		if got := ago(d); got != want {
			t.Errorf("ago(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestOverviewEmptyTileSaysItOnce: a tile without data says what is
// missing once, not again under it as its empty sparkline's note.
func TestOverviewEmptyTileSaysItOnce(t *testing.T) {
	const missing = "No capacity in this range: import people."
	tile := Tile{Name: "billable utilization", Value: "–", Empty: missing, Spark: emptyChart("spark-u", "", missing)}
	page := mtRender(t, "overview", mtView, mtNames("client"), overviewBody{Tiles: []Tile{tile}})
	if n := strings.Count(page, missing); n != 1 {
		t.Errorf("the empty tile says %q %d times, want once", missing, n)
	}
}
