package dashboards

import (
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// Partial weeks on the weekly charts other than the overview's sparklines
// (TestSparklinePartialWeeks): a range from Sunday 1 to Wednesday 11
// November 2026 holds none of the workdays of the week of 26 October (its
// Sunday only), all of 2 November's and 3 of the 5 of 9 November's.
var (
	ptView                    = View{Org: "o", From: utDay("2026-11-01"), To: utDay("2026-11-12")}
	ptW0, ptW1, ptW2          = utDay("2026-10-26"), utDay("2026-11-02"), utDay("2026-11-09")
	ptWeeks                   = []any{"26 Oct 2026 (partial)", "2 Nov 2026", "9 Nov 2026 (partial)"}
	ptNotDrawn, ptThreeOfFive = " (partial week: 0 of 5 workdays)", " (partial week: 3 of 5 workdays)"
)

// ptUtil is billable_utilization by dim (person, team or role) and week,
// one group g1: 8 of 8 h on the Sunday (a spike of 100% if drawn), 20 of 40
// h, and 18 of 24 h over the three workdays in the range.
func ptUtil(dim string) *metrics.Result {
	cols := []string{"period", dim, "value", "billable_hours", "available_hours", "target_hours", "target"}
	return utResult(cols,
		[]any{ptW0, "g1", 1.0, utDec("8"), utDec("8"), utDec("6"), 0.75},
		[]any{ptW1, "g1", 0.5, utDec("20"), utDec("40"), utDec("30"), 0.75},
		[]any{ptW2, "g1", 0.75, utDec("18"), utDec("24"), utDec("18"), 0.75})
}

// ptMarked checks that the partial weeks' points are marked on a line chart.
func ptMarked(t *testing.T, c Chart) {
	t.Helper()
	if strings.Count(c.Option, `"symbol":"emptyTriangle"`) < 2 {
		t.Errorf("chart %s: the partial weeks' points are not marked: %s", c.ID, c.Option)
	}
}

func TestUtilizationHeatmapPartialWeeks(t *testing.T) {
	n := utNames("person", "g1", "Ann")
	c, err := buildUtilizationHeatmap(ptView, ptUtil("person"), []string{"g1"}, n, false)
	if err != nil {
		t.Fatal(err)
	}
	o := utParse(t, c)
	utEqual(t, "weeks", o.XAxis[0].Data, ptWeeks)
	// The week of 26 October is a gap, not a 100% cell.
	utEqual(t, "cells", utValues(t, o, "billable utilization %"), []any{[]any{1.0, 0.0, 50.0}, []any{2.0, 0.0, 75.0}})
	utEqual(t, "last cell's tooltip", o.Series[0].Data[1].Name,
		"Ann, 9 Nov 2026 (partial): 75.0% billable (target 75.0%), 18.00 of 24.00 h")
	utEqual(t, "table", c.Table.Rows, [][]string{
		{"Ann", "26 Oct 2026 (partial)", "not drawn: 100.0%" + ptNotDrawn, "75.0%", "8.00", "8.00"},
		{"Ann", "2 Nov 2026", "50.0%", "75.0%", "20.00", "40.00"},
		{"Ann", "9 Nov 2026 (partial)", "75.0%" + ptThreeOfFive, "75.0%", "18.00", "24.00"},
	})
}

func TestUtilizationTrendPartialWeeks(t *testing.T) {
	for _, dim := range []string{"team", "role"} {
		n := utNames(dim, "g1", "Brand")
		c, err := buildUtilizationTrend(ptView, "util-"+dim, dim, ptUtil(dim), n, false)
		if err != nil {
			t.Fatal(err)
		}
		o := utParse(t, c)
		utEqual(t, dim+" weeks", o.XAxis[0].Data, ptWeeks)
		utEqual(t, dim+" values", utValues(t, o, "Brand"), []any{"-", 50.0, 75.0})
		utEqual(t, dim+" target", utValues(t, o, "target"), []any{"-", 75.0, 75.0})
		utEqual(t, dim+" table", c.Table.Rows, [][]string{
			{"26 Oct 2026 (partial)", "Brand", "not drawn: 100.0%" + ptNotDrawn, "75.0%", "8.00", "8.00"},
			{"2 Nov 2026", "Brand", "50.0%", "75.0%", "20.00", "40.00"},
			{"9 Nov 2026 (partial)", "Brand", "75.0%" + ptThreeOfFive, "75.0%", "18.00", "24.00"},
		})
		ptMarked(t, c)
	}
}

func TestPersonUtilizationPartialWeeks(t *testing.T) {
	c, err := buildPersonUtilization(ptView, ptUtil("person"), false)
	if err != nil {
		t.Fatal(err)
	}
	o := utParse(t, c)
	utEqual(t, "weeks", o.XAxis[0].Data, ptWeeks)
	utEqual(t, "values", utValues(t, o, "billable utilization"), []any{"-", 50.0, 75.0})
	utEqual(t, "target", utValues(t, o, "target"), []any{"-", 75.0, 75.0})
	utEqual(t, "table", c.Table.Rows, [][]string{
		{"26 Oct 2026 (partial)", "not drawn: 100.0%" + ptNotDrawn, "75.0%", "8.00", "8.00"},
		{"2 Nov 2026", "50.0%", "75.0%", "20.00", "40.00"},
		{"9 Nov 2026 (partial)", "75.0%" + ptThreeOfFive, "75.0%", "18.00", "24.00"},
	})
	ptMarked(t, c)
}

// TestOnTimePartialWeeks: a deliverable due on Sunday 1 November, on time,
// is not drawn as a 100% week; the week the range's end cuts is marked.
func TestOnTimePartialWeeks(t *testing.T) {
	res := utResult([]string{"period", "value", "on_time", "delivered", "open_overdue"},
		[]any{ptW0, 1.0, uint64(1), uint64(1), uint64(0)},
		[]any{ptW1, 0.5, uint64(1), uint64(2), uint64(0)},
		[]any{ptW2, 0.75, uint64(3), uint64(4), uint64(0)})
	c, err := buildOnTime(ptView, res, false)
	if err != nil {
		t.Fatal(err)
	}
	o := utParse(t, c)
	utEqual(t, "weeks", o.XAxis[0].Data, ptWeeks)
	utEqual(t, "rate", utValues(t, o, "on-time rate"), []any{"-", 50.0, 75.0})
	utEqual(t, "table", c.Table.Rows, [][]string{
		{"26 Oct 2026 (partial)", "not drawn: 100.0%" + ptNotDrawn, "1", "1", "0"},
		{"2 Nov 2026", "50.0%", "1", "2", "0"},
		{"9 Nov 2026 (partial)", "75.0%" + ptThreeOfFive, "3", "4", "0"},
	})
	ptMarked(t, c)

	// By month, nothing is marked.
	c, err = buildOnTime(ptView, res, true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.Option, "partial") || strings.Contains(c.Option, "emptyTriangle") {
		t.Errorf("months are marked as partial weeks: %s", c.Option)
	}
}
