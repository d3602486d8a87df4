package dashboards

import (
	"encoding/json"
	"strings"
	"testing"
)

// What the pages show when a number rests on missing or assumed data: the
// Harvest export of issue #13, whose Cost Rate column is 0.0, and people an
// import created on first sight with no target.

// costRows is margin_pct by client and month as the KPI answers it when
// client a's 8 hours have no cost rate (labour cost, margin and margin %
// null) and client b's 4 hours cost 50 each.
func costRows() []any {
	return []any{
		[]string{"period", "client", "value", "margin", "revenue", "labour_cost", "hours", "uncosted_hours"},
		[][]any{
			{mtMonth(9), "a", nil, nil, mtDec("900"), nil, mtDec("8"), mtDec("8")},
			{mtMonth(9), "b", mtF(0.5), mtDec("200"), mtDec("400"), mtDec("200"), mtDec("4"), mtDec("0")},
		},
	}
}

func TestMarginPageWithoutCostRates(t *testing.T) {
	c := costRows()
	res := mtResult(c[0].([]string), c[1].([][]any)...)
	rows, total := buildMarginClients(mtView, mtNames("client", "a", "Alpha", "b", "Beta"), res)
	// Alpha: revenue 900, nothing known of its cost: unknown, never 0.00 and 100.0%.
	if r := rows[0]; r.Client != "Alpha" || r.Revenue != "900.00" || r.LabourCost != "unknown" || r.Margin != "unknown" ||
		r.MarginPct != "unknown" || r.Uncosted != "100%" || r.Loss {
		t.Errorf("Alpha: %+v", r)
	}
	// Beta: 400 − 4 h × 50 = 200, 50%.
	if r := rows[1]; r.LabourCost != "200.00" || r.Margin != "200.00" || r.MarginPct != "50.0%" || r.Uncosted != "–" {
		t.Errorf("Beta: %+v", r)
	}
	// All clients: revenue 1,300, cost known for 4 of 12 hours, 200: margin 1,100
	// (84.6%), marked: 8 of 12 hours = 67% have no cost rate. Margin % rests on
	// the same partial labour cost, so it is marked too.
	if total.Revenue != "1,300.00" || total.LabourCost != "200.00\u00a0*" || total.Margin != "1,100.00\u00a0*" || total.MarginPct != "84.6%\u00a0*" ||
		total.Uncosted != "67%" {
		t.Errorf("total: %+v", *total)
	}
	months, err := buildMarginMonths(mtView, res, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	mtEqual(t, "September", months.Table.Rows[0], []string{"Sep 2026", "1,300.00", "200.00\u00a0*", "1,100.00\u00a0*", "84.6%\u00a0*", "67%"})
	// The chart's tooltip says the labour cost is partial: each bar is named
	// for it, and the axis tooltip shows both names of the month.
	var opt struct {
		Tooltip struct{ Formatter string }
		Series  []struct {
			Name string
			Data []struct{ Name string }
		}
	}
	if err := json.Unmarshal([]byte(months.Option), &opt); err != nil {
		t.Fatal(err)
	}
	mtEqual(t, "tooltip", opt.Tooltip.Formatter, "{b0}<br/>{b1}")
	mtEqual(t, "bar names", []string{opt.Series[0].Data[0].Name, opt.Series[1].Data[0].Name}, []string{
		"Sep 2026: revenue 1,300.00",
		"labour cost 200.00 (partial: 67% of hours without a cost rate)"})
	pct, err := buildMarginPct(mtView, mtNames("client", "a", "Alpha", "b", "Beta"), res)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := mtSeries(t, pct)
	// Alpha's line has a gap where its margin is unknown, not 100.
	if got := s["Alpha"][0]; got != "-" {
		t.Errorf("Alpha's September margin %% point = %v, want a gap", got)
	}
	mtEqual(t, "margin % table", pct.Table.Rows[0], []string{"Sep 2026", "unknown", "50.0%", "84.6% (67% of h without a cost rate)"})
	if note := costNote(coverageOf(tableOf(res), "uncosted_hours", "hours", nil)); !strings.HasPrefix(note, "67% of hours have no cost rate") {
		t.Errorf("page note %q", note)
	}

	// The overview's margin tile over Alpha's work alone: "unknown", not 100.0%.
	spec := overviewTiles[4]
	v := View{Org: "o", From: day("2026-03-04"), To: day("2026-03-06")}
	days := mtResult([]string{"period", "value", "margin", "revenue", "labour_cost", "hours", "uncosted_hours"},
		[]any{day("2026-03-02"), nil, nil, mtDec("450"), nil, mtDec("4"), mtDec("4")},
		[]any{day("2026-03-04"), nil, nil, mtDec("900"), nil, mtDec("6"), mtDec("6")},
		[]any{day("2026-03-05"), nil, nil, mtDec("0"), nil, mtDec("2"), mtDec("2")})
	tile, err := buildTile(spec, v, days, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tile.Value != "unknown" || tile.Change != "" || tile.Trend != "" || len(tile.Rests) != 1 ||
		!strings.HasPrefix(tile.Rests[0], "Labour cost and margin unknown: no hour in this range has a cost rate") {
		t.Errorf("tile = %+v", tile)
	}
	// With Beta's 4 h at 50 on 5 March: (900 + 400 − 200) ÷ 1,300 = 84.6%, 6 + 2 of
	// 12 h = 67% uncosted; the previous range is unknown, so there is no change.
	days.Rows = append(days.Rows, []any{day("2026-03-05"), mtF(0.5), mtDec("200"), mtDec("400"), mtDec("200"), mtDec("4"), mtDec("0")})
	tile, err = buildTile(spec, v, days, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tile.Value != "84.6%" || tile.Change != "" || tile.NoPrev != "no data for 2–3 Mar: no change to show" || tile.Trend != "" || len(tile.Rests) != 1 ||
		!strings.HasPrefix(tile.Rests[0], "67% of hours have no cost rate") {
		t.Errorf("partial tile = %+v", tile)
	}
}

func TestUtilizationPageAssumedCapacityAndNoTarget(t *testing.T) {
	// Ana, created on first sight: 40 assumed available hours in each of two weeks,
	// no target; 58.4% of them billable would read "+58.4 pts" in green against an
	// unset target read as 0%.
	cols := []string{"period", "person", "value", "billable_hours", "available_hours", "target_hours", "target", "utilization_gap",
		"assumed_hours", "untargeted_hours"}
	util := utResult(cols,
		[]any{utW1, "p1", utF(0.584), utDec("23.36"), utDec("40"), utDec("0"), nil, nil, utDec("40"), utDec("40")},
		[]any{utW2, "p1", utF(0.584), utDec("23.36"), utDec("40"), utDec("0"), nil, nil, utDec("40"), utDec("40")})
	untracked := utResult([]string{"person", "value", "available_hours", "logged_hours", "assumed_hours"},
		[]any{"p1", utDec("32"), utDec("80"), utDec("48"), utDec("80")})
	row := buildPeople(utView, []string{"p1"}, util, untracked, nil, utPeople)[0]
	if row.Utilization != "58.4%" || row.Target != "no target set" || row.Gap != "no target set" || row.Trend != "" ||
		row.Assumed != "40 h week assumed" {
		t.Errorf("person row = %+v", row)
	}
	heat, err := buildUtilizationHeatmap(utView, util, []string{"p1"}, utPeople, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(heat.Option, "58.4% billable (no target set), 23.36 of 40.00 (40 h week assumed) h") {
		t.Errorf("heatmap tooltip does not say the target is unset and the week assumed: %s", heat.Option)
	}
	if got := heat.Table.Rows[0][3]; got != "no target set" {
		t.Errorf("heatmap table target %q", got)
	}
	un, err := buildUntracked(untracked, utPeople)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(un.Option, "Ann (40 h week assumed)") {
		t.Errorf("untracked chart does not mark the assumed week: %s", un.Option)
	}
	// The billable utilization tile says so too.
	days := mtResult([]string{"period", "value", "billable_hours", "available_hours", "assumed_hours"},
		[]any{day("2026-03-04"), mtF(0.75), mtDec("6"), mtDec("8"), mtDec("8")},
		[]any{day("2026-03-05"), mtF(0.5), mtDec("4"), mtDec("8"), mtDec("0")})
	tile, err := buildTile(overviewTiles[0], View{Org: "o", From: day("2026-03-04"), To: day("2026-03-06")}, days, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tile.Value != "62.5%" || len(tile.Rests) != 1 || !strings.HasPrefix(tile.Rests[0], "50% of available hours are a 40 h week assumed") {
		t.Errorf("utilization tile = %+v", tile)
	}
}
