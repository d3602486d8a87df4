package main

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/demo"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

// TestDemoReports: after `demo`, every client of the demo org has last
// month's commentary, whose delivery numbers are the month's on_time_rate,
// at least one action, and a draft; one action at least is open past its
// due date; the last two complete quarters have retros, and a retro's
// action is closed. A second demo writes nothing more.
func TestDemoReports(t *testing.T) {
	env := testEnv(t)
	cli := cliWith(t, env)
	code, out, errs := cli("demo")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errs)
	}
	summary := regexp.MustCompile(`(?m)^reports: \d+ clients with commentary and \d+ actions for \d{4}-\d\d; \d+ retros$`)
	first := summary.FindString(out)
	if first == "" {
		t.Fatalf("no reports summary line in\n%s", out)
	}

	now := time.Now()
	agencies, err := demo.Agencies(t.Context(), demo.Config{Seed: 1, End: demo.EndToday(now, 1)})
	if err != nil {
		t.Fatal(err)
	}
	a := agencies[0]
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	month := metrics.MonthStart(today).AddDate(0, -1, 0)
	if want := fmt.Sprintf("reports: %d clients with commentary", len(a.Clients)); !strings.HasPrefix(first, want) {
		t.Errorf("summary %q, want it to start %q", first, want)
	}
	if !strings.Contains(first, " for "+month.Format("2006-01")+";") {
		t.Errorf("summary %q is not for %s", first, month.Format("2006-01"))
	}

	counts := func() map[string]uint64 {
		s, err := chdb.Open(chdb.Config{LibPath: env["CHDB_LIB_PATH"], DataDir: env["OPSMETRICS_DATA_DIR"], Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		out := map[string]uint64{}
		for _, table := range []string{"report_notes", "report_actions", "retros", "client_reports", "report_drafts", "audit"} {
			q := "SELECT count() FROM ops." + table + " WHERE org_id = {org:String}"
			if table == "audit" { // demo makes a new token and sign-in link each run
				q += " AND kind IN ('action', 'retro', 'report')"
			}
			rows, err := s.Query(t.Context(), q, map[string]any{"org": a.Org})
			if err != nil {
				t.Fatal(err)
			}
			var n uint64
			if err := rows.Scan(0, &n); err != nil {
				t.Fatal(err)
			}
			out[table] = n
		}
		return out
	}

	s, err := chdb.Open(chdb.Config{LibPath: env["CHDB_LIB_PATH"], DataDir: env["OPSMETRICS_DATA_DIR"], Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	actions, err := metrics.ListActions(ctx, s, a.Org, metrics.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	drafts, err := metrics.ListDrafts(ctx, s, a.Org, month)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, c := range a.Clients {
		notes, err := metrics.LoadNotes(ctx, s, a.Org, c.ID, month)
		if err != nil {
			t.Fatal(err)
		}
		text := notes.Text(metrics.NoteCommentary)
		if n := strings.Count(text, ". "); text == "" || n < 1 || n > 3 {
			t.Errorf("client %s (%s): commentary of %s is not 2–4 sentences: %q", c.ID, c.Name, month.Format("2006-01"), text)
		}
		if !slices.ContainsFunc(actions, func(x metrics.Action) bool {
			return x.Client == c.ID && x.Origin == metrics.OriginReport && x.Period.Equal(month) && x.OwnerName != x.Owner
		}) {
			t.Errorf("client %s (%s): no action of %s with a named owner", c.ID, c.Name, month.Format("2006-01"))
		}
		if !slices.ContainsFunc(drafts, func(d metrics.Draft) bool { return d.Client == c.ID && d.Status == metrics.DraftPrepared }) {
			t.Errorf("client %s (%s): no draft of %s", c.ID, c.Name, month.Format("2006-01"))
		}
		// The commentary's delivery sentence is the month's on_time_rate.
		res, err := metrics.Compute(ctx, s, nil, metrics.Request{KPI: "on_time_rate", Org: a.Org, From: month,
			To: month.AddDate(0, 1, 0), Filters: map[string]string{"client": c.ID}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) == 0 {
			continue
		}
		col := func(name string) int {
			return slices.IndexFunc(res.Columns, func(c metrics.Column) bool { return c.Name == name })
		}
		onTime, _ := metrics.Float(res.Rows[0][col("on_time")])
		delivered, _ := metrics.Float(res.Rows[0][col("delivered")])
		open, _ := metrics.Float(res.Rows[0][col("open_overdue")])
		due := int(delivered + open)
		var want string
		switch {
		case due == 0:
			continue
		case due == 1:
			want = "The one deliverable due in "
		case int(onTime) == due && due == 2:
			want = "Both deliverables due in "
		case int(onTime) == due:
			want = fmt.Sprintf("All %d deliverables due in ", due)
		default:
			want = fmt.Sprintf("%d of the %d deliverable", int(onTime), due)
		}
		if !strings.Contains(text, want) {
			t.Errorf("client %s: on_time_rate %v on time of %d due, but the commentary says %q", c.ID, onTime, due, text)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no client had deliverables due last month to check the commentary against")
	}
	internal := slices.IndexFunc(a.Clients, func(c demo.Account) bool { return c.Name == a.Name })
	if internal >= 0 {
		t.Errorf("the agency reports to itself: %+v", a.Clients[internal])
	}

	overdue := slices.ContainsFunc(actions, func(x metrics.Action) bool { return x.Origin == metrics.OriginReport && x.Overdue(today) })
	if !overdue {
		t.Errorf("none of the %d actions is open past its due date (today %s)", len(actions), today.Format(time.DateOnly))
	}
	retros, err := metrics.ListRetros(ctx, s, a.Org)
	if err != nil {
		t.Fatal(err)
	}
	current := metrics.QuarterStart(today)
	for _, q := range []time.Time{current.AddDate(0, -3, 0), current.AddDate(0, -6, 0)} {
		i := slices.IndexFunc(retros, func(r metrics.Retro) bool { return r.Quarter.Equal(q) })
		if i < 0 {
			t.Errorf("no retro of %s: %+v", metrics.QuarterLabel(q), retros)
			continue
		}
		if held := retros[i].HeldOn; held.Before(q) || held.After(today) {
			t.Errorf("retro of %s held on %s", metrics.QuarterLabel(q), held.Format(time.DateOnly))
		}
		notes, err := metrics.LoadNotes(ctx, s, a.Org, "", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range metrics.RetroNoteFields {
			if notes.Text(f) == "" {
				t.Errorf("retro of %s: no %s note", metrics.QuarterLabel(q), f)
			}
		}
	}
	if !slices.ContainsFunc(actions, func(x metrics.Action) bool {
		return x.Origin == metrics.OriginRetro && x.Status == metrics.ActionClosed && x.ClosedAt != nil && !x.ClosedAt.After(now)
	}) {
		t.Errorf("none of the %d actions is a closed retro action", len(actions))
	}
	settings, err := metrics.LoadReportSettings(ctx, s, a.Org, "")
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(settings, func(r metrics.ReportSettings) bool { return r.Stored }); i < 0 {
		t.Error("no client has report settings of its own")
	} else if r := settings[i]; r.Target(metrics.SectionDeliverables) == nil || len(r.Recipients) == 0 {
		t.Errorf("report settings without the on-time target or recipients: %+v", r)
	}
	s.Close()

	before := counts()
	code, out, errs = cli("demo")
	if code != 0 || !strings.Contains(out, "already loaded") {
		t.Fatalf("second demo: exit %d\n%s\n%s", code, out, errs)
	}
	if again := summary.FindString(out); again != first {
		t.Errorf("second demo says %q, the first %q", again, first)
	}
	if after := counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a second demo wrote more: rows before %v, after %v", before, after)
	}
}

// TestDemoCommentary: the commentary, internal note and next-month items
// of hand-made months say the numbers they are given.
func TestDemoCommentary(t *testing.T) {
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	acc := demo.Account{ID: "cl-001", Name: "Northwind Foods", Contact: "Maya Lopez"}
	tests := []struct {
		name     string
		m        clientMonth
		want     []string // in the commentary
		internal string   // in the internal note ("" for any)
		item     string   // the first next-month item
	}{
		{
			// 6 due: 4 on time, 1 late, 1 open → 4/6 = 66.7% → 67%. Approval
			// p50 31.4 h ≤ 48 h. Retainer: 112.5 billable of 100 → 112.5 rounds
			// to 113, 12.5 over rounds to 13 (half away from zero).
			name: "a retainer month with a late and an open deliverable",
			m: clientMonth{Account: acc, Month: nov, Due: 6, OnTime: 4, OpenOverdue: 1, Reviews: 7, ApprovalP50: 31.4,
				RetainerRow: true, Billable: 112.5, Retainer: 100, Over: 12.5},
			want: []string{"4 of the 6 deliverables due in November went out on time (67%), 1 late; 1 is still open past its date",
				"a median of 31 hours across 7 reviews, inside the 48 hours", "113 billable hours against the 100-hour retainer, 13 over it",
				"For December we are tightening"},
			internal: "Over-servicing again: 13 hours above the retainer in November.",
			item:     "Deliver the overdue work and confirm a new date with Maya Lopez",
		},
		{
			// all 3 on time; approvals 60 h > 48 h; project budget 150 of 400 h = 37.5% → 38%.
			name: "a project month with slow approvals",
			m: clientMonth{Account: acc, Month: nov, Due: 3, OnTime: 3, Reviews: 1, ApprovalP50: 60,
				BudgetHours: 400, UsedHours: 150},
			want: []string{"All 3 deliverables due in November went out on time.", "a median of 60 hours across 1 review, longer than the 48 hours",
				"used 150 of its 400 budget hours so far (38%)", "For December we suggest a fixed weekly review slot"},
			item: "Weekly review slot with Maya Lopez to keep approvals under 48 hours",
		},
		{
			// 2 due, none on time, 2 open: 0/2 = 0% < 75% → the internal note.
			name:     "nothing on time",
			m:        clientMonth{Account: acc, Month: nov, Due: 2, OpenOverdue: 2, RetainerRow: true, Billable: 40, Retainer: 60},
			want:     []string{"0 of the 2 deliverables due in November went out on time (0%); 2 are still open", "We used 40 of the 60 retainer hours."},
			internal: "On time at 0% this month. Check production estimates before promising Maya Lopez dates.",
			item:     "Deliver the overdue work",
		},
		{
			// 1 due, delivered late: 1 − 0 on time − 0 open = 1 late.
			name: "one late deliverable",
			m:    clientMonth{Account: acc, Month: nov, Due: 1},
			want: []string{"The one deliverable due in November went out late.", "For December we are tightening"},
			item: "Re-estimate production",
		},
		{
			name: "a quiet month",
			m:    clientMonth{Account: acc, Month: nov},
			want: []string{"No deliverables fell due for Northwind Foods in November."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := commentary(tt.m, rand.New(rand.NewPCG(1, 2)))
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("commentary %q lacks %q", text, w)
				}
			}
			if n := strings.Count(text, ". ") + 1; n < 2 || n > 4 {
				t.Errorf("%d sentences: %q", n, text)
			}
			if note := internalNote(tt.m, rand.New(rand.NewPCG(1, 2))); tt.internal != "" && !strings.Contains(note, tt.internal) {
				t.Errorf("internal note %q, want %q", note, tt.internal)
			}
			items := nextMonthItems(tt.m, rand.New(rand.NewPCG(1, 2)))
			if len(items) < 1 || len(items) > 3 {
				t.Errorf("%d next-month items: %+v", len(items), items)
			}
			if tt.item != "" && !strings.HasPrefix(items[0].title, tt.item) {
				t.Errorf("first item %q, want %q", items[0].title, tt.item)
			}
		})
	}
}
