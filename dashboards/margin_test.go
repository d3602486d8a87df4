package dashboards

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// Helpers shared by margin_test.go and approvals_test.go.

func mtDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
func mtF(x float64) *float64         { return &x }
func mtMonth(m time.Month) time.Time { return time.Date(2026, m, 1, 0, 0, 0, 0, time.UTC) }

// mtNames are display names for ids, as loadNames reads them.
func mtNames(kind string, kv ...string) *names {
	n := &names{byKind: map[string]map[string]string{kind: {}}}
	for i := 0; i+1 < len(kv); i += 2 {
		n.byKind[kind][kv[i]] = kv[i+1]
	}
	return n
}

// mtResult is a KPI result as Compute returns it.
func mtResult(cols []string, rows ...[]any) *metrics.Result {
	r := &metrics.Result{Currency: "EUR", Rows: rows}
	for _, c := range cols {
		r.Columns = append(r.Columns, metrics.Column{Name: c})
	}
	return r
}

// mtSeries reads a chart's series as name -> values (numbers, or "-" for a
// gap), and its category axis.
func mtSeries(t *testing.T, c Chart) (map[string][]any, []any) {
	t.Helper()
	if c.Empty != "" {
		t.Fatalf("chart %s is empty: %s", c.ID, c.Empty)
	}
	var opt struct {
		Series []struct {
			Name string
			Data []struct{ Value any }
		}
		XAxis []struct{ Data []any }
		YAxis []struct{ Data []any }
	}
	if err := json.Unmarshal([]byte(c.Option), &opt); err != nil {
		t.Fatalf("chart %s: %v", c.ID, err)
	}
	out := map[string][]any{}
	for _, s := range opt.Series {
		for _, d := range s.Data {
			out[s.Name] = append(out[s.Name], d.Value)
		}
	}
	var cats []any
	for _, a := range append(opt.XAxis, opt.YAxis...) {
		cats = append(cats, a.Data...)
	}
	return out, cats
}

func mtEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// mtRender renders a page template with body, as render does.
func mtRender(t *testing.T, name string, v View, n *names, body any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, pageData{Pages: Pages, View: v, Names: n, Body: body}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// mtEvil are client names that must stay data.
const mtScript, mtFunc = "</script><script>alert(1)</script>", "__f__alert(1)__f__"

// mtNoInjection checks a chart and a page for the evil names.
func mtNoInjection(t *testing.T, c Chart, page string) {
	t.Helper()
	if !strings.Contains(c.Option, `\u003c/script\u003e\u003cscript\u003ealert(1)`) {
		t.Errorf("chart %s: the name is not escaped JSON data: %s", c.ID, c.Option)
	}
	if strings.Contains(c.Option, "</script>") || strings.Contains(page, "<script>alert") || strings.Contains(page, "</script><script>alert") {
		t.Errorf("chart %s: an unescaped </script> reached the page", c.ID)
	}
	if !strings.Contains(c.Option, `"`+mtFunc) && !strings.Contains(c.Option, mtFunc+`"`) {
		t.Errorf("chart %s: %s is not a plain string", c.ID, mtFunc)
	}
}

var mtView = View{Org: "o", From: mtMonth(9), To: mtMonth(12)} // September to November 2026

// marginRows: margin_pct by client and month.
//
//	Sep  a: revenue 1000, cost 600, margin 400, 10 h
//	Sep  b: revenue  500, cost 700, margin -200, 8 h
//	Oct  a: revenue 2000, cost 1500, margin 500, 20 h
//	Nov: nothing
func marginRows() *metrics.Result {
	cols := []string{"period", "client", "value", "margin", "revenue", "labour_cost", "hours"}
	return mtResult(cols,
		[]any{mtMonth(9), "a", mtF(0.4), mtDec("400"), mtDec("1000"), mtDec("600"), mtDec("10")},
		[]any{mtMonth(9), "b", mtF(-0.4), mtDec("-200"), mtDec("500"), mtDec("700"), mtDec("8")},
		[]any{mtMonth(10), "a", mtF(0.25), mtDec("500"), mtDec("2000"), mtDec("1500"), mtDec("20")},
	)
}

func TestBuildMarginMonths(t *testing.T) {
	c, err := buildMarginMonths(mtView, marginRows(), "EUR")
	if err != nil {
		t.Fatal(err)
	}
	s, cats := mtSeries(t, c)
	mtEqual(t, "months", cats, []any{"Sep 2026", "Oct 2026", "Nov 2026"})
	// Sep revenue 1000 + 500 = 1500, cost 600 + 700 = 1300; Oct 2000 and 1500; Nov a gap.
	mtEqual(t, "revenue", s["revenue"], []any{1500.0, 2000.0, "-"})
	mtEqual(t, "labour cost", s["labour cost"], []any{1300.0, 1500.0, "-"})
	// Sep margin 400 − 200 = 200, 200 ÷ 1500 = 13.3%; Oct 500 ÷ 2000 = 25%.
	mtEqual(t, "table", c.Table.Rows, [][]string{
		{"Sep 2026", "1,500.00", "1,300.00", "200.00", "13.3%", "–"},
		{"Oct 2026", "2,000.00", "1,500.00", "500.00", "25.0%", "–"},
		{"Nov 2026", "–", "–", "–", "–", "–"},
	})
	if !strings.Contains(c.Option, `"name":"EUR"`) {
		t.Errorf("the money axis is not named for the currency: %s", c.Option)
	}

	e, _ := buildMarginMonths(mtView, mtResult(nil), "EUR")
	if e.Empty == "" || !strings.Contains(e.Empty, "import") {
		t.Errorf("empty state = %q", e.Empty)
	}
}

func TestBuildMarginPct(t *testing.T) {
	// October, seven clients with revenue (c1 largest) and h with none:
	// c1..c5 get lines; c6, c7 and h are "other clients".
	cols := []string{"period", "client", "value", "margin", "revenue", "labour_cost", "hours"}
	res := mtResult(cols,
		[]any{mtMonth(10), "c1", nil, mtDec("350"), mtDec("700"), mtDec("350"), mtDec("1")},
		[]any{mtMonth(10), "c2", nil, mtDec("60"), mtDec("600"), mtDec("540"), mtDec("1")},
		[]any{mtMonth(10), "c3", nil, mtDec("-50"), mtDec("500"), mtDec("550"), mtDec("1")},
		[]any{mtMonth(10), "c4", nil, mtDec("100"), mtDec("400"), mtDec("300"), mtDec("1")},
		[]any{mtMonth(10), "c5", nil, mtDec("30"), mtDec("300"), mtDec("270"), mtDec("1")},
		[]any{mtMonth(10), "c6", nil, mtDec("50"), mtDec("200"), mtDec("150"), mtDec("1")},
		[]any{mtMonth(10), "c7", nil, mtDec("-80"), mtDec("100"), mtDec("180"), mtDec("1")},
		[]any{mtMonth(10), "h", nil, mtDec("-100"), mtDec("0"), mtDec("100"), mtDec("1")},
		// c1 in November too: 20 ÷ 100 = 20%.
		[]any{mtMonth(11), "c1", nil, mtDec("20"), mtDec("100"), mtDec("80"), mtDec("1")},
	)
	n := mtNames("client", "c1", "One", "c2", "Two", "c3", "Three", "c4", "Four", "c5", "Five")
	c, err := buildMarginPct(mtView, n, res)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := mtSeries(t, c)
	// c1: Oct 350 ÷ 700 = 50%, Nov 20 ÷ 100 = 20%; September has no rows: a gap.
	mtEqual(t, "One", s["One"], []any{"-", 50.0, 20.0})
	mtEqual(t, "Three", s["Three"], []any{"-", -10.0, "-"}) // −50 ÷ 500
	// Other clients in October: (50 − 80 − 100) ÷ (200 + 100 + 0) = −130 ÷ 300 = −43.3%.
	mtEqual(t, "other", s["other clients"], []any{"-", -43.3, "-"})
	// All clients in October: margins 350+60−50+100+30+50−80−100 = 360 over revenue
	// 700+600+500+400+300+200+100 = 2800: 12.9%; November is c1 alone, 20%.
	mtEqual(t, "all", s["all clients"], []any{"-", 12.9, 20.0})
	mtEqual(t, "columns", c.Table.Columns, []string{"month", "One", "Two", "Three", "Four", "Five", "other clients", "all clients"})
	mtEqual(t, "October row", c.Table.Rows[1], []string{"Oct 2026", "50.0%", "10.0%", "-10.0%", "25.0%", "10.0%", "-43.3%", "12.9%"})
	if _, ok := s["c6"]; ok {
		t.Error("a sixth client has its own line")
	}

	// One client only: no "other" and no "all" line.
	c, _ = buildMarginPct(mtView, n, marginRowsOf("a"))
	s, _ = mtSeries(t, c)
	if len(s) != 1 {
		t.Errorf("one client gives %d lines", len(s))
	}
	// Nothing earned: empty.
	e, _ := buildMarginPct(mtView, n, mtResult(cols, []any{mtMonth(10), "h", nil, mtDec("-100"), mtDec("0"), mtDec("100"), mtDec("1")}))
	if e.Empty == "" {
		t.Error("no revenue should be an empty chart")
	}
}

// marginRowsOf keeps the rows of one client.
func marginRowsOf(client string) *metrics.Result {
	r := marginRows()
	var rows [][]any
	for _, row := range r.Rows {
		if row[1] == client {
			rows = append(rows, row)
		}
	}
	r.Rows = rows
	return r
}

func TestBuildMarginClients(t *testing.T) {
	res := marginRows()
	res.Rows = append(res.Rows, []any{mtMonth(10), "", nil, mtDec("-40"), mtDec("0"), mtDec("40"), mtDec("2")})
	rows, total := buildMarginClients(mtView, mtNames("client", "a", "Alpha", "b", "Beta"), res)
	// a: revenue 1000 + 2000 = 3000, cost 600 + 1500 = 2100, margin 900 (30%), 30 h,
	// effective rate 3000 ÷ 30 = 100. b: 500, 700, −200 (−40%), 8 h, 500 ÷ 8 = 62.50.
	// No client: revenue 0, cost 40, margin −40, 2 h: no margin %, rate 0 ÷ 2 = 0.
	want := []marginRow{
		{Client: "Alpha", Link: "/clients/a?back=%2Fmargin&from=2026-09-01&org=o&to=2026-12-01", Revenue: "3,000.00", LabourCost: "2,100.00", Margin: "900.00", MarginPct: "30.0%", Hours: "30.00", Rate: "100.00", Uncosted: "–"},
		{Client: "Beta", Link: "/clients/b?back=%2Fmargin&from=2026-09-01&org=o&to=2026-12-01", Revenue: "500.00", LabourCost: "700.00", Margin: "-200.00", MarginPct: "-40.0%", Hours: "8.00", Rate: "62.50", Uncosted: "–", Loss: true},
		{Client: "(none)", Revenue: "0.00", LabourCost: "40.00", Margin: "-40.00", MarginPct: "–", Hours: "2.00", Rate: "0.00", Uncosted: "–", Loss: true},
	}
	mtEqual(t, "rows", rows, want)
	// Total: 3500 revenue, 2840 cost, 660 margin (18.9%), 40 h, 3500 ÷ 40 = 87.50.
	mtEqual(t, "total", *total, marginRow{Client: "all clients", Revenue: "3,500.00", LabourCost: "2,840.00", Margin: "660.00", MarginPct: "18.9%", Hours: "40.00", Rate: "87.50", Uncosted: "–"})
	if r, tot := buildMarginClients(mtView, nil, mtResult(nil)); r != nil || tot != nil {
		t.Error("no rows should give no table")
	}
}

func TestBuildWriteOffs(t *testing.T) {
	cols := []string{"period", "reason", "value", "write_off_hours", "write_up_value"}
	res := mtResult(cols,
		[]any{mtMonth(9), "other", mtDec("100"), mtDec("1"), mtDec("0")},
		[]any{mtMonth(9), "over_service", mtDec("250.5"), mtDec("2.5"), mtDec("0")},
		[]any{mtMonth(10), "goodwill", mtDec("40"), mtDec("0.5"), mtDec("0")},
		[]any{mtMonth(10), "internal_error", mtDec("0"), mtDec("0"), mtDec("30")}, // a write-up only: no bar
	)
	c, err := buildWriteOffs(mtView, res, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := mtSeries(t, c)
	mtEqual(t, "over-service", s["over-service"], []any{250.5, "-", "-"})
	mtEqual(t, "goodwill", s["goodwill"], []any{"-", 40.0, "-"})
	mtEqual(t, "other", s["other"], []any{100.0, "-", "-"})
	if _, ok := s["internal error"]; ok {
		t.Error("a reason with nothing written off has a series")
	}
	// Known reasons in order; totals Sep 100 + 250.5 = 350.5 over 1 + 2.5 = 3.5 h, Oct 40 and 0.5 h
	// (the write-up row adds 0).
	mtEqual(t, "columns", c.Table.Columns, []string{"month", "over-service (EUR)", "goodwill (EUR)", "other (EUR)", "total (EUR)", "hours written off"})
	mtEqual(t, "rows", c.Table.Rows, [][]string{
		{"Sep 2026", "250.50", "–", "100.00", "350.50", "3.50"},
		{"Oct 2026", "–", "40.00", "–", "40.00", "0.50"},
		{"Nov 2026", "–", "–", "–", "–", "–"},
	})
	if !strings.Contains(c.Option, `"stack":"reason"`) {
		t.Error("the reasons are not stacked")
	}
	e, _ := buildWriteOffs(mtView, mtResult(cols), "EUR")
	if !strings.Contains(e.Empty, "adjustments") {
		t.Errorf("empty state = %q", e.Empty)
	}
}

func TestBuildWIP(t *testing.T) {
	cols := []string{"client", "value", "unbilled_hours", "tm_value", "entry_count"}
	res := mtResult(cols,
		[]any{"a", mtDec("300"), mtDec("3"), mtDec("0"), uint64(2)},
		[]any{"b", mtDec("1200.25"), mtDec("10"), mtDec("1200.25"), uint64(7)},
		[]any{"c", mtDec("0"), mtDec("0"), mtDec("0"), uint64(0)},
	)
	c, err := buildWIP(mtNames("client", "a", "Alpha", "b", "Beta"), res, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	s, cats := mtSeries(t, c)
	// Largest first; c has nothing unbilled and is left out.
	mtEqual(t, "clients", cats, []any{"Beta", "Alpha"})
	mtEqual(t, "values", s["unbilled"], []any{1200.25, 300.0})
	mtEqual(t, "rows", c.Table.Rows, [][]string{{"Beta", "1,200.25", "10.00", "1,200.25", "7"}, {"Alpha", "300.00", "3.00", "0.00", "2"}})
	e, _ := buildWIP(nil, mtResult(cols), "EUR")
	if !strings.Contains(e.Empty, "marked billed once invoiced") {
		t.Errorf("empty state = %q", e.Empty)
	}
}

func TestBuildOverage(t *testing.T) {
	cols := []string{"project", "value", "forecast_hours", "budget_hours", "method", "over_projects", "projects"}
	v := View{Org: "o", From: mtMonth(10), To: mtMonth(11)}
	res := mtResult(cols,
		[]any{"p1", mtDec("11"), mtDec("121"), mtDec("110"), "burn_rate", uint64(1), uint64(1)},
		[]any{"p2", mtDec("0"), mtDec("70"), mtDec("80"), "allocations", uint64(0), uint64(1)}, // within
		[]any{"p3", mtDec("31.25"), mtDec("111.25"), mtDec("80"), "allocations", uint64(1), uint64(1)},
		[]any{"p4", nil, nil, mtDec("50"), "", uint64(0), uint64(1)}, // no forecast
	)
	c, err := buildOverage(v, mtNames("project", "p1", "Retainer one", "p3", "Retainer three"), res)
	if err != nil {
		t.Fatal(err)
	}
	s, cats := mtSeries(t, c)
	// Only p1 and p3 are forecast over; p3 by more (31.25 h) first.
	mtEqual(t, "projects", cats, []any{"Retainer three", "Retainer one"})
	mtEqual(t, "contracted", s["contracted hours"], []any{80.0, 110.0})
	mtEqual(t, "forecast", s["forecast hours"], []any{111.25, 121.0})
	// Over by 31.25 ÷ 80 = 39.1%, 11 ÷ 110 = 10%.
	mtEqual(t, "rows", c.Table.Rows, [][]string{
		{"Retainer three", "80.00", "111.25", "31.25", "39.1%", "allocations"},
		{"Retainer one", "110.00", "121.00", "11.00", "10.0%", "burn rate"},
	})
	if !strings.Contains(c.Title, "31 Oct 2026") {
		t.Errorf("title %q does not say the as-of day", c.Title)
	}
	e, _ := buildOverage(v, nil, mtResult(cols, res.Rows[1], res.Rows[3]))
	if !strings.Contains(e.Empty, "None of the 2 budgeted projects") {
		t.Errorf("none over: %q", e.Empty)
	}
	e, _ = buildOverage(v, nil, mtResult(cols))
	if !strings.Contains(e.Empty, "monthly retainer hours") {
		t.Errorf("no budgets: %q", e.Empty)
	}
	if colorOf("contracted hours") == colorOf("forecast hours") {
		t.Error("the two series share a colour")
	}
}

func TestMarginMoney(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{1234567.891, "1,234,567.89"}, {-1234.5, "-1,234.50"}, {0, "0.00"}, {999.999, "1,000.00"},
		{-0.001, "0.00"}, {100, "100.00"}, {123456, "123,456.00"},
	} {
		if got := marginMoney(c.v, true); got != c.want {
			t.Errorf("marginMoney(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	if marginMoney(1, false) != "–" {
		t.Error("unknown money is not a dash")
	}
}

func TestRequestWithin(t *testing.T) {
	v := View{Org: "o", From: mtMonth(10), To: mtMonth(11), Client: "a", Team: "brand"}
	r, dropped := requestWithin(v, "margin_pct", "group_by", "client", "interval", "month")
	mtEqual(t, "margin filters", r.Filters, map[string]string{"client": "a"})
	mtEqual(t, "dropped", dropped, []string{"team"})
	if r.GroupBy != "client" || r.Interval != "month" {
		t.Errorf("request = %+v", r)
	}
	if _, err := r.Validate(); err != nil {
		t.Error(err)
	}
	r, dropped = requestWithin(v, "unbilled_wip")
	mtEqual(t, "wip filters", r.Filters, map[string]string{"client": "a", "team": "brand"})
	if dropped != nil {
		t.Errorf("dropped %v", dropped)
	}
}

func TestMarginPageEscapesNames(t *testing.T) {
	n := mtNames("client", "a", mtScript, "b", mtFunc)
	cols := []string{"client", "value", "unbilled_hours", "tm_value", "entry_count"}
	wip := mtResult(cols, []any{"a", mtDec("1"), mtDec("1"), mtDec("1"), uint64(1)}, []any{"b", mtDec("2"), mtDec("1"), mtDec("1"), uint64(1)})
	body, err := buildMargin(mtView, n, marginRows(), nil, wip, nil)
	if err != nil {
		t.Fatal(err)
	}
	page := mtRender(t, "margin", mtView, n, body)
	mtNoInjection(t, body.Pct, page)
	mtNoInjection(t, body.WIP, page)
	if !strings.Contains(page, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the client table does not show the name as text")
	}
	// Empty results render their reasons, not charts.
	if !strings.Contains(page, "No write-offs in this range") || !strings.Contains(page, "No project with an hour budget") {
		t.Error("empty states are missing")
	}
}

// TestMarginEmptyOnce: on a range with no revenue and no hours the margin
// page gives its reason once, in the first chart; the second chart and the
// clients table point to it instead of repeating it.
func TestMarginEmptyOnce(t *testing.T) {
	cols := []string{"period", "client", "value", "revenue", "labour_cost", "hours", "uncosted_hours"}
	n := mtNames("client")
	body, err := buildMargin(mtView, n, mtResult(cols), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	page := mtRender(t, "margin", mtView, n, body)
	if c := strings.Count(page, "No revenue or hours in this range"); c != 1 {
		t.Errorf("the empty-state text is shown %d times, want once", c)
	}
	if body.Months.Empty != marginMissing || !strings.Contains(page, "No clients in this range (see above).") {
		t.Errorf("first chart %q; the clients table does not point above", body.Months.Empty)
	}
}
