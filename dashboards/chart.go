package dashboards

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Chart is one chart on a page: its ECharts option as JSON, and the same
// numbers as a table.
//
// Why not go-echarts' own renderer: it writes the option into a <script>
// block without HTML escaping and turns "__f__...__f__" strings into live
// JavaScript, so a client named "</script><script>..." or "__f__alert(1)__f__"
// would run in the reader's browser. Here the option is marshalled with
// encoding/json (which escapes <, > and &) into a data-option attribute
// (which html/template escapes again), and assets/app.js hands it to
// echarts.setOption after JSON.parse: data stays data, and no string in it is
// ever evaluated.
type Chart struct {
	ID     string
	Title  string
	Option string // ECharts option, JSON
	Height int    // pixels
	Table  Table
	Empty  string // when set, the chart has no data and this says what is missing
	// drill is what the chart's rows name (clients, projects, people), for
	// the links linkCharts adds; zero for a chart of no such rows.
	drill drillRows
}

// Table is a chart's numbers for reading, printing and screen readers.
type Table struct {
	Columns []string
	Rows    [][]string
	Numeric []bool // right-aligned columns
	// Links are, per row, the page of the client, project or person its
	// first cell names ("" for none): that cell is a link to it.
	Links []string
}

// optioner is what every go-echarts chart type offers.
type optioner interface {
	Validate()
	JSON() map[string]any
}

// newChart marshals a built go-echarts chart into a Chart.
func newChart(id, title string, c optioner, height int, t Table) (Chart, error) {
	c.Validate()
	opt := c.JSON()
	// go-echarts always adds an empty toolbox and its own colours; the
	// palette below keeps one series the same colour on every page.
	delete(opt, "toolbox")
	delete(opt, "color")
	b, err := json.Marshal(opt)
	if err != nil {
		return Chart{}, fmt.Errorf("chart %s: %w", id, err)
	}
	if b, err = fitAxisNames(b); err != nil {
		return Chart{}, fmt.Errorf("chart %s: %w", id, err)
	}
	return Chart{ID: id, Title: title, Option: string(b), Height: height, Table: t}, nil
}

// fitAxisNames moves the name of every horizontal axis that has no place
// for it under the axis, centred: ECharts puts it right of the axis's end
// by default, past the grid, where a chart's edge cut "USD" to "US" and
// "hours" to "hou". The grids (base) leave room for it under the labels.
func fitAxisNames(option []byte) ([]byte, error) {
	var o map[string]any
	if err := json.Unmarshal(option, &o); err != nil {
		return nil, err
	}
	axes, _ := o["xAxis"].([]any)
	changed := false
	for _, a := range axes {
		ax, ok := a.(map[string]any)
		if !ok || ax["name"] == nil || ax["name"] == "" || ax["nameLocation"] != nil {
			continue
		}
		ax["nameLocation"], ax["nameGap"] = "middle", axisNameGap
		changed = true
	}
	if !changed {
		return option, nil
	}
	return json.Marshal(o)
}

// axisNameGap is the distance from a horizontal axis to its name, in
// pixels: below the axis's labels.
const axisNameGap = 28

// emptyChart is a chart slot with nothing to draw and a reason.
func emptyChart(id, title, reason string) Chart {
	return Chart{ID: id, Title: title, Empty: reason}
}

// palette is the colour of each series by name: the same client, team or
// measure gets the same colour on every page. Colour-blind-safe (Okabe-Ito
// and Tableau-like), with enough contrast on white and in print.
var palette = []string{"#2f6fb3", "#e08a1e", "#2a9d6f", "#c8553d", "#7c5cbf", "#3a9fb8", "#b5892c", "#d0648f", "#5c6b7a", "#6a994e"}

// fixedColors are the measures every page shows; named series keep these.
var fixedColors = map[string]string{
	"revenue": "#2f6fb3", "labour cost": "#e08a1e", "margin": "#2a9d6f", "margin %": "#2a9d6f",
	"billable utilization": "#2f6fb3", "target": "#5c6b7a", "on-time rate": "#2a9d6f", "write-off rate": "#c8553d",
	"approval p50": "#2f6fb3", "approval p90": "#7c5cbf", "free": "#2a9d6f", "booked": "#e08a1e",
	// write-off reasons
	"over-service": "#c8553d", "estimate overrun": "#b5892c", "goodwill": "#7c5cbf", "internal error": "#3a9fb8", "other": "#5c6b7a",
}

// colorOf returns a series' colour.
func colorOf(name string) string {
	if c, ok := fixedColors[name]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return palette[h.Sum32()%uint32(len(palette))]
}

// base sets what every chart has: a title, a tooltip, a legend when there
// is more than one series, room for axis names, and no animation (pages
// print and screenshot as drawn).
func base(title string, legend bool, trigger string) []charts.GlobalOpts {
	return baseGrid(title, legend, trigger, opts.Grid{Left: "64", Right: "32", Top: "48", Bottom: "64", ContainLabel: opts.Bool(true)})
}

// baseGrid is base with another grid: go-echarts adds a grid for every
// WithGridOpts rather than replacing the first.
func baseGrid(title string, legend bool, trigger string, grid opts.Grid) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithTitleOpts(opts.Title{Title: title, Left: "left", TitleStyle: &opts.TextStyle{FontSize: 14}}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: trigger}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(legend), Top: "bottom", Type: "scroll"}),
		charts.WithAnimation(false),
		charts.WithGridOpts(grid),
	}
}

// value is a chart datum: a number, or "-" (ECharts' gap) when unknown.
func value(v float64, ok bool) any {
	if !ok {
		return "-"
	}
	return v
}

// fmtNum formats a number for tables: ratios as percentages, money and
// hours with two decimals.
func fmtNum(v float64, ok bool, unit string) string {
	if !ok {
		return "–"
	}
	switch unit {
	case "ratio":
		return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	case "days":
		return strconv.FormatFloat(v, 'f', 1, 64)
	case "count":
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// seriesColors gives each series of one chart its colorOf colour unless an
// earlier series (or a reserved colour, such as the target line's) already
// has it; then the next free colour of the palette. colorOf hashes names
// onto ten colours, so two teams of one chart often share one.
func seriesColors(names []string, reserved ...string) map[string]string {
	used := map[string]bool{}
	for _, c := range reserved {
		used[c] = true
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		c := colorOf(name)
		if used[c] {
			i := slices.Index(palette, c)
			for k := 1; k <= len(palette); k++ {
				if next := palette[(i+k+len(palette))%len(palette)]; !used[next] {
					c = next
					break
				}
			}
		}
		used[c] = true
		out[name] = c
	}
	return out
}

// sayOnce keeps a page from showing the same empty-state box again and
// again: the first chart (in page order) with a reason keeps it, and a
// later one with the same reason says so in a line instead of repeating
// the whole paragraph. first is the reason already shown above the charts
// ("" for none).
func sayOnce(first string, charts ...*Chart) {
	seen := map[string]bool{first: first != ""}
	for _, c := range charts {
		if c.Empty == "" {
			continue
		}
		if seen[c.Empty] {
			c.Empty = "Nothing to show in this range (see above)."
			continue
		}
		seen[c.Empty] = true
	}
}
