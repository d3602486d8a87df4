package dashboards

import (
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// The approval KPIs grouped by client, as Compute returns them (no interval).

func approvalP(rows ...[]any) *metrics.Result {
	return mtResult([]string{"client", "value", "business_hours", "cycles"}, rows...)
}

var (
	// p50 and p90 of a (5 decisions), b (1) and c (2); p90 puts b slowest, then c, then a.
	tP50 = approvalP([]any{"a", 20.0, 6.0, uint64(5)}, []any{"b", 100.5, 30.0, uint64(1)}, []any{"c", 40.0, 10.0, uint64(2)})
	tP90 = approvalP([]any{"a", 30.0, 9.0, uint64(5)}, []any{"b", 100.5, 30.0, uint64(1)}, []any{"c", 70.25, 20.0, uint64(2)})
	// revision_rounds: a 4 rounds over 5 deliverables (0.8), b 3 over 1 (3).
	tRounds = mtResult([]string{"client", "value", "rounds", "deliverables", "zero_rounds", "one_round", "two_rounds", "three_plus_rounds"},
		[]any{"a", mtF(0.8), uint64(4), uint64(5), uint64(2), uint64(2), uint64(1), uint64(0)},
		[]any{"b", mtF(3), uint64(3), uint64(1), uint64(0), uint64(0), uint64(0), uint64(1)})
	// first_pass_approval_rate: a 3 of 4 (75%), c 0 of 2.
	tFirst = mtResult([]string{"client", "value", "first_pass", "approved"},
		[]any{"a", mtF(0.75), uint64(3), uint64(4)}, []any{"c", mtF(0), uint64(0), uint64(2)})
	// pending_reviews at the cutoff: c has 3 waiting, 2 of them over 48 h, the oldest 120 h;
	// a has 1, 10 h old.
	tPending = mtResult([]string{"client", "value", "oldest_age_hours", "stuck"},
		[]any{"a", uint64(1), mtF(10), uint64(0)}, []any{"c", uint64(3), mtF(120), uint64(2)})
	tNames = mtNames("client", "a", "Alpha", "b", "Beta", "c", "Gamma")
)

func TestBuildApprovalTimes(t *testing.T) {
	c, err := buildApprovalTimes(tNames, tP50, tP90)
	if err != nil {
		t.Fatal(err)
	}
	s, cats := mtSeries(t, c)
	// Slowest p90 first: b 100.5, c 70.25, a 30.
	mtEqual(t, "clients", cats, []any{"Beta", "Gamma", "Alpha"})
	mtEqual(t, "p50", s["approval p50"], []any{100.5, 40.0, 20.0})
	mtEqual(t, "p90", s["approval p90"], []any{100.5, 70.25, 30.0})
	mtEqual(t, "rows", c.Table.Rows, [][]string{
		{"Beta", "100.50", "100.50", "30.00", "30.00", "1"},
		{"Gamma", "40.00", "70.25", "10.00", "20.00", "2"},
		{"Alpha", "20.00", "30.00", "6.00", "9.00", "5"},
	})
	if !strings.Contains(c.Option, `"name":"hours"`) {
		t.Error("the value axis is not named hours")
	}
	e, _ := buildApprovalTimes(tNames, approvalP(), approvalP())
	if !strings.Contains(e.Empty, "review requests") {
		t.Errorf("empty state = %q", e.Empty)
	}
}

func TestBuildRevisionRounds(t *testing.T) {
	c, err := buildRevisionRounds(tNames, tRounds)
	if err != nil {
		t.Fatal(err)
	}
	s, cats := mtSeries(t, c)
	mtEqual(t, "clients", cats, []any{"Beta", "Alpha"}) // most rounds first
	mtEqual(t, "mean", s["revision rounds"], []any{3.0, 0.8})
	mtEqual(t, "rows", c.Table.Rows, [][]string{
		{"Beta", "3.00", "3", "1", "0", "0", "0", "1"},
		{"Alpha", "0.80", "4", "5", "2", "2", "1", "0"},
	})
	if e, _ := buildRevisionRounds(tNames, mtResult(nil)); e.Empty == "" {
		t.Error("no rows should be empty")
	}
}

func TestBuildFirstPass(t *testing.T) {
	c, err := buildFirstPass(tNames, tFirst)
	if err != nil {
		t.Fatal(err)
	}
	s, cats := mtSeries(t, c)
	// Lowest first: c 0%, a 75% (charted in percent).
	mtEqual(t, "clients", cats, []any{"Gamma", "Alpha"})
	mtEqual(t, "rate", s["first-pass approval rate"], []any{0.0, 75.0})
	mtEqual(t, "rows", c.Table.Rows, [][]string{{"Gamma", "0.0%", "0", "2"}, {"Alpha", "75.0%", "3", "4"}})
	if e, _ := buildFirstPass(tNames, nil); !strings.Contains(e.Empty, "review requests and approvals") {
		t.Errorf("empty state = %q", e.Empty)
	}
}

func TestBuildWaiting(t *testing.T) {
	c, err := buildWaiting(tNames, tPending, "the end of 31 Oct 2026", 48)
	if err != nil {
		t.Fatal(err)
	}
	s, cats := mtSeries(t, c)
	// Most stuck first: c (2 stuck, 3 − 2 = 1 fresh), then a (0 and 1).
	mtEqual(t, "clients", cats, []any{"Gamma", "Alpha"})
	mtEqual(t, "stuck", s["stuck over 48 h"], []any{2.0, 0.0})
	mtEqual(t, "fresh", s["waiting up to 48 h"], []any{1.0, 1.0})
	mtEqual(t, "rows", c.Table.Rows, [][]string{{"Gamma", "3", "2", "120.00"}, {"Alpha", "1", "0", "10.00"}})
	if !strings.Contains(c.Title, "31 Oct 2026") {
		t.Errorf("title = %q", c.Title)
	}
	if colorOf("stuck over 48 h") == colorOf("waiting up to 48 h") {
		t.Error("the two series share a colour")
	}
	e, _ := buildWaiting(tNames, mtResult([]string{"client", "value", "oldest_age_hours", "stuck"}), "now", 48)
	if !strings.Contains(e.Empty, "Nothing is waiting for a client decision as of now") {
		t.Errorf("empty state = %q", e.Empty)
	}
}

func TestBuildApprovalClients(t *testing.T) {
	v := View{Org: "o", From: mtMonth(10), To: mtMonth(11)}
	rows := buildApprovalClients(v, tNames, tP50, tP90, tRounds, tFirst, tPending)
	// Slowest p90 first; b has nothing waiting (0, not unknown), c has two stuck.
	want := []approvalRow{
		{Client: "Beta", Link: "/clients/b?back=%2Fapprovals&from=2026-10-01&org=o&to=2026-11-01", P50: "100.50", P90: "100.50", Cycles: "1", Rounds: "3.00", FirstPass: "–",
			Waiting: "0", Stuck: "0", Oldest: "–", p90: 100.5, p90OK: true},
		{Client: "Gamma", Link: "/clients/c?back=%2Fapprovals&from=2026-10-01&org=o&to=2026-11-01", P50: "40.00", P90: "70.25", Cycles: "2", Rounds: "–", FirstPass: "0.0%",
			Waiting: "3", Stuck: "2", Oldest: "120.00", Slow: true, p90: 70.25, p90OK: true},
		{Client: "Alpha", Link: "/clients/a?back=%2Fapprovals&from=2026-10-01&org=o&to=2026-11-01", P50: "20.00", P90: "30.00", Cycles: "5", Rounds: "0.80", FirstPass: "75.0%",
			Waiting: "1", Stuck: "0", Oldest: "10.00", p90: 30, p90OK: true},
	}
	mtEqual(t, "rows", rows, want)
}

func TestBuildStuck(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	v := View{Org: "o", From: mtMonth(10), To: mtMonth(11)}
	list := mtResult([]string{"deliverable_id", "deliverable", "client_id", "project_id", "requested_at", "age_hours"},
		[]any{"d1", "Spring visuals", "c", "p1", time.Date(2026, 10, 26, 14, 0, 0, 0, time.UTC), 120.0},
		[]any{"d2", "", "", "", time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), 48.0},
	)
	waiting, _ := tableOf(tPending).sum("value", nil)
	rows, more := buildStuck(v, mtNames("client", "c", "Gamma"), ny, list, int(waiting), 48)
	// d1: 14:00 UTC is 10:00 in New York (EDT); 120 h = 5 days, over 48 h.
	// d2: no name (its id), no client (no link), exactly 48 h is not over 48.
	mtEqual(t, "rows", rows, []stuckRow{
		{Deliverable: "Spring visuals", Client: "Gamma", Link: "/clients/c?back=%2Fapprovals&from=2026-10-01&org=o&to=2026-11-01", Project: "p1",
			ProjectLink: "/projects/p1?back=%2Fapprovals&from=2026-10-01&org=o&to=2026-11-01",
			Requested:   "26 Oct 2026 10:00", Waited: "120.00 h (5.0 days)", Stuck: true},
		{Deliverable: "d2", Client: "(none)", Project: "(none)", Requested: "30 Oct 2026 20:00", Waited: "48.00 h (2.0 days)"},
	})
	// pending_reviews counts 1 + 3 = 4 waiting: 2 are not listed.
	if more != 2 {
		t.Errorf("more = %d, want 2", more)
	}
}

func TestApprovalCutoff(t *testing.T) {
	// Waiting reviews are counted now whatever the range: a past range's end
	// would show a review waiting since it as not waiting at all.
	ny, _ := time.LoadLocation("America/New_York")
	if got := approvalCutoff(time.Date(2026, 12, 7, 17, 5, 0, 0, time.UTC), ny); got != "7 Dec 2026 12:05 (now)" {
		t.Errorf("cutoff %q", got)
	}
}

func TestApprovalsPageEscapesNames(t *testing.T) {
	n := mtNames("client", "a", mtScript, "b", mtFunc, "c", "Gamma")
	v := View{Org: "o", From: mtMonth(10), To: mtMonth(11)}
	list := mtResult([]string{"deliverable_id", "deliverable", "client_id", "project_id", "requested_at", "age_hours"},
		[]any{"d1", mtScript, "a", "p1", time.Date(2026, 10, 26, 14, 0, 0, 0, time.UTC), 120.0})
	body, err := buildApprovals(v, n, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), time.UTC, 24, tP50, tP90, tRounds, tFirst, tPending, list)
	if err != nil {
		t.Fatal(err)
	}
	page := mtRender(t, "approvals", v, n, body)
	// The org's stuck-review limit (24 h here) names the columns and the rule.
	for _, want := range []string{"stuck (over 24 hours)", "Waiting more than 24 hours counts as stuck"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	mtNoInjection(t, body.Times, page)
	mtNoInjection(t, body.Rounds, page)
	if strings.Count(page, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") < 2 {
		t.Error("the client and deliverable names are not shown as text")
	}
	if !strings.Contains(page, "Reviews waiting for the client as of 26 Nov 2026 00:00 (now)") {
		t.Error("the waiting chart's cutoff is missing")
	}
}
