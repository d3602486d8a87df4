package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// gridOf builds a by-role grid from per-week free hours; each week has 40
// available hours, so booked = 40 − free.
func gridOf(first time.Time, free map[string][]int64) *CapacityGrid {
	g := &CapacityGrid{By: "role"}
	for role, weeks := range free {
		for i, f := range weeks {
			fd := decimal.NewFromInt(f)
			g.Cells = append(g.Cells, CapacityCell{Key: role, Week: first.AddDate(0, 0, 7*i),
				Available: decimal.NewFromInt(40), Booked: decimal.NewFromInt(40).Sub(fd), Free: fd})
		}
	}
	return g
}

func repeat(head []int64, v int64, n int) []int64 {
	out := append([]int64{}, head...)
	for len(out) < n {
		out = append(out, v)
	}
	return out
}

func TestPlan(t *testing.T) {
	first := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) // the Monday after Wednesday 2026-12-02
	if got := mondayOnOrAfter(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)); !got.Equal(first) {
		t.Fatalf("first Monday on or after 2026-12-02: %s", got)
	}
	req := EarliestStartRequest{Org: "o", Demand: map[string]decimal.Decimal{"designer": decimal.NewFromInt(20)},
		Weeks: 3, NotBefore: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), HorizonWeeks: 52}

	// Designer free hours by week: 10, 30, 30, 15, then 30 from week 4 on.
	// Starts 0 (10 < 20), 1 (week 3: 15), 2 (15) and 3 (15) fail; week 4
	// (2027-01-04) has 30, 30, 30.
	g := gridOf(first, map[string][]int64{"designer": repeat([]int64{10, 30, 30, 15}, 30, 60)})
	a := Plan(g, req, first)
	if !a.Feasible || !a.Start.Equal(time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("start %v feasible %v, want 2027-01-04", a.Start, a.Feasible)
	}
	// Tightest week: every week has 30 − 20 = 10 to spare; the first is reported.
	if f := a.Roles[0]; !f.Slack.Equal(decimal.NewFromInt(10)) || !f.TightestWeek.Equal(*a.Start) {
		t.Errorf("designer fit %+v, want slack 10 in the week of 2027-01-04", f)
	}
	// Starting on not_before: only week 0 falls short, 20 − 10 = 10.
	if len(a.Shortfall) != 1 || !a.Shortfall[0].Short.Equal(decimal.NewFromInt(10)) || !a.Shortfall[0].Week.Equal(first) {
		t.Errorf("shortfall %+v, want 10 h in the week of 2026-12-07", a.Shortfall)
	}
	// Stretched: 60 h over 4 weeks is 15 a week; from week 1: 30, 30, 15, 30 all ≥ 15.
	if a.Stretched == nil || a.Stretched.Weeks != 4 || !a.Stretched.Start.Equal(first.AddDate(0, 0, 7)) ||
		!a.Stretched.Demand["designer"].Equal(decimal.NewFromInt(15)) {
		t.Errorf("stretched %+v, want 4 weeks of 15 h from 2026-12-14", a.Stretched)
	}
	// What-if over weeks 4–6: 3 × 40 = 120 available, 3 × 10 = 30 booked: 25% now,
	// (30 + 3 × 20) / 120 = 75% with the job.
	if w := a.WhatIf[0]; *w.Before != 0.25 || *w.After != 0.75 {
		t.Errorf("what-if %+v, want 0.25 then 0.75", w)
	}

	// An infeasible demand: developers have 5 free hours every week, the job
	// needs 10 for 3 weeks. No start; every week of the first 3 falls short by
	// 5; spread over 6 weeks (30 h ÷ 6 = 5 a week) it fits from the first week.
	req.Demand = map[string]decimal.Decimal{"developer": decimal.NewFromInt(10)}
	a = Plan(gridOf(first, map[string][]int64{"developer": repeat(nil, 5, 60)}), req, first)
	if a.Feasible || a.Start != nil || len(a.Shortfall) != 3 || !a.Shortfall[2].Short.Equal(decimal.NewFromInt(5)) {
		t.Fatalf("infeasible: %+v", a)
	}
	if a.Stretched == nil || a.Stretched.Weeks != 6 || !a.Stretched.Start.Equal(first) {
		t.Errorf("stretched %+v, want 6 weeks from 2026-12-07", a.Stretched)
	}
	if !strings.Contains(strings.Join(a.Reasons, " "), "No start within 52 weeks") {
		t.Errorf("reasons %q", a.Reasons)
	}

	// A role nobody holds is a clear answer, not an error.
	req.Demand = map[string]decimal.Decimal{"pm": decimal.NewFromInt(5)}
	a = Plan(gridOf(first, map[string][]int64{"developer": repeat(nil, 5, 60)}), req, first)
	if a.Feasible || !strings.Contains(a.Reasons[0], `No one holds the role "pm"`) {
		t.Errorf("unknown role: %+v", a)
	}
}

func TestEarliestStartValidate(t *testing.T) {
	ok := EarliestStartRequest{Org: "o", Demand: map[string]decimal.Decimal{"designer": decimal.NewFromInt(20)}, Weeks: 6,
		NotBefore: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	if err := ok.Validate(); err != nil || ok.HorizonWeeks != 52 {
		t.Fatalf("valid request: %v, horizon %d", err, ok.HorizonWeeks)
	}
	for name, mut := range map[string]func(*EarliestStartRequest){
		"no demand":     func(r *EarliestStartRequest) { r.Demand = nil },
		"zero weeks":    func(r *EarliestStartRequest) { r.Weeks = 0 },
		"no not_before": func(r *EarliestStartRequest) { r.NotBefore = time.Time{} },
		"negative hours": func(r *EarliestStartRequest) {
			r.Demand = map[string]decimal.Decimal{"designer": decimal.NewFromInt(-1)}
		},
		"horizon too long": func(r *EarliestStartRequest) { r.HorizonWeeks = 500 },
	} {
		r := ok
		mut(&r)
		if err := r.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
