package dashboards

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// developerWord is a snake_case name (due_date_changed, billing_status):
// what a column or an event is called in code, not what people say.
var developerWord = regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`)

// TestNoDeveloperWords: the pages' text says "due-date changes", not
// "due_date_changed task events". Only what people type (inside <code>)
// and the templates' own actions may hold such names.
func TestNoDeveloperWords(t *testing.T) {
	strip := regexp.MustCompile(`(?s)<code>.*?</code>|\{\{.*?\}\}|<[^>]*>`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(strip.ReplaceAllString(string(b), " "), "\n") {
			if w := developerWord.FindString(line); w != "" {
				t.Errorf("%s: %q in %q", path, w, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The empty states and notes built in Go.
	texts := []string{approvalsMissing, deliveryMissing, marginMissing, drillHoursMissing}
	for _, tile := range overviewTiles {
		texts = append(texts, tile.missing)
	}
	for _, c := range []Chart{mustChart(buildFirstPass(tNames, nil)), mustChart(buildWaiting(tNames, nil, "now", 48)),
		mustChart(buildWriteOffs(View{}, nil, "USD")), mustChart(buildWIP(tNames, nil, "USD")), mustChart(buildOverage(View{}, nil, nil)),
		mustChart(buildRetainerUse(View{}, tNames, nil))} {
		texts = append(texts, c.Empty)
	}
	for _, s := range texts {
		if w := developerWord.FindString(strings.ReplaceAll(s, "docs/import.md", "")); w != "" {
			t.Errorf("%q in %q", w, s)
		}
	}
}

func mustChart(c Chart, err error) Chart {
	if err != nil {
		panic(err)
	}
	return c
}

// TestAxisNamesFit: a horizontal axis's name (its unit) is centred under
// the axis, where the grid leaves room, not right of its end, where the
// chart's edge cut "USD" to "US" and "hours" to "hou".
func TestAxisNamesFit(t *testing.T) {
	charts := map[string]Chart{
		"approval times":  mustChart(buildApprovalTimes(tNames, tP50, tP90)),
		"revision rounds": mustChart(buildRevisionRounds(tNames, tRounds)),
		"first pass":      mustChart(buildFirstPass(tNames, tFirst)),
		"waiting":         mustChart(buildWaiting(tNames, tPending, "now", 48)),
	}
	q, err := buildQuality(mtResult([]string{"value", "logged_ratio"}, []any{mtF(0.5), mtF(0.5)}))
	if err != nil {
		t.Fatal(err)
	}
	charts["data quality"] = q.Chart
	for name, c := range charts {
		if c.Empty != "" {
			t.Fatalf("%s: empty (%s)", name, c.Empty)
		}
		var o struct {
			XAxis []struct {
				Name         string `json:"name"`
				NameLocation string `json:"nameLocation"`
				NameGap      int    `json:"nameGap"`
			} `json:"xAxis"`
		}
		if err := json.Unmarshal([]byte(c.Option), &o); err != nil {
			t.Fatal(err)
		}
		for _, x := range o.XAxis {
			if x.Name != "" && (x.NameLocation != "middle" || x.NameGap < 20) {
				t.Errorf("%s: axis %q at %q, gap %d: cut off at the chart's edge", name, x.Name, x.NameLocation, x.NameGap)
			}
		}
	}
}

// TestZeroTargetNoComparison: a person whose target is 0% (or whose target
// hours are all 0, from a result without untargeted hours) shows "no target
// set", not "+17.7 pts" in green.
func TestZeroTargetNoComparison(t *testing.T) {
	cols := []string{"period", "person", "value", "billable_hours", "available_hours", "target_hours", "target", "utilization_gap"}
	util := utResult(cols,
		[]any{utW1, "p1", utF(0.177), utDec("7.08"), utDec("40"), utDec("0"), utF(0), utF(0.177)})
	row := buildPeople(utView, []string{"p1"}, util, utResult([]string{"person", "value"}), nil, utPeople)[0]
	if row.Target != noTargetText || row.Gap != noTargetText || row.Trend != "" {
		t.Errorf("a 0%% target: %+v", row)
	}
	heat, err := buildUtilizationHeatmap(utView, util, []string{"p1"}, utPeople, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := heat.Table.Rows[0][3]; got != noTargetText {
		t.Errorf("heatmap target %q, want %q", got, noTargetText)
	}
}

// TestSayOnce: an empty page says what to import once, not in every box.
func TestSayOnce(t *testing.T) {
	a := mustChart(buildApprovalTimes(tNames, approvalP(), approvalP()))
	r := mustChart(buildRevisionRounds(tNames, nil))
	f := mustChart(buildFirstPass(tNames, nil))
	if a.Empty != approvalsMissing || r.Empty != approvalsMissing {
		t.Fatalf("empty states %q, %q", a.Empty, r.Empty)
	}
	sayOnce("", &a, &r, &f)
	if a.Empty != approvalsMissing || r.Empty != "Nothing to show in this range (see above)." || f.Empty == r.Empty || f.Empty == "" {
		t.Errorf("after sayOnce: %q, %q, %q", a.Empty, r.Empty, f.Empty)
	}
}
