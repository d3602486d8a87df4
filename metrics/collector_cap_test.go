package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	store "github.com/opsmetrics/opsmetrics/sql"
)

type nilQuerier struct{}

func (nilQuerier) Query(context.Context, string, store.Params) (*store.Rows, error) {
	return nil, errors.New("no store")
}

// orgSeries makes an org's samples: level org-level ones, then scoped
// ones (one per client).
func orgSeries(org string, level, scoped int) []sample {
	var out []sample
	for i := range level {
		out = append(out, sample{famWriteOff, []string{org, "", []string{"month", "30d"}[i]}, 1})
	}
	for i := range scoped {
		out = append(out, sample{famWriteOff, []string{org, fmt.Sprintf("c%03d", i), "month"}, 1})
	}
	return out
}

// The cap keeps org-level series first, then shares the rest evenly: an
// org with fewer scoped series than its share keeps all of them.
func TestCapSeries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		orgs    map[string][2]int // org -> org-level, scoped
		limit   int
		kept    map[string]int
		dropped map[string]int
	}{
		{"under the cap", map[string][2]int{"a": {2, 3}, "b": {2, 1}}, 100, map[string]int{"a": 5, "b": 3}, map[string]int{}},
		// 4 org-level kept, 6 left for scoped: b has 1 (under 6/2 = 3: all kept),
		// then a gets the 5 left of its 8: a loses 3.
		{"even share", map[string][2]int{"a": {2, 8}, "b": {2, 1}}, 10, map[string]int{"a": 7, "b": 3}, map[string]int{"a": 3}},
		// 6 left over 3 orgs of 10 scoped each: 2 each; every org loses 8.
		{"all big", map[string][2]int{"a": {1, 10}, "b": {1, 10}, "c": {1, 10}}, 9, map[string]int{"a": 3, "b": 3, "c": 3},
			map[string]int{"a": 8, "b": 8, "c": 8}},
		// Org-level series over the cap: in org order, a's 2, then one of b's;
		// everything scoped goes.
		{"org-level over the cap", map[string][2]int{"a": {2, 1}, "b": {2, 1}}, 3, map[string]int{"a": 2, "b": 1}, map[string]int{"a": 1, "b": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			byOrg := map[string][]sample{}
			for org, n := range tc.orgs {
				byOrg[org] = orgSeries(org, n[0], n[1])
			}
			kept, dropped := capSeries(byOrg, tc.limit)
			got := map[string]int{}
			for _, s := range kept {
				got[s.labels[0]]++
			}
			if !maps.Equal(got, tc.kept) || !maps.Equal(dropped, tc.dropped) {
				t.Errorf("kept %v dropped %v, want %v and %v", got, dropped, tc.kept, tc.dropped)
			}
			// Scoped series are kept in order: the first clients.
			for _, s := range kept {
				if !s.orgLevel() && s.labels[1] >= fmt.Sprintf("c%03d", tc.kept[s.labels[0]]) {
					t.Errorf("kept %v over an earlier client", s.labels)
				}
			}
		})
	}
}

// publish names the orgs that lost series, in a gauge and a log line, and
// clears them once nothing is dropped.
func TestPublishNamesDroppedOrgs(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	c, err := NewCollector(CollectorConfig{Store: nilQuerier{}, Facts: &Facts{}, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Registerer: reg, MaxSeries: 10, PreEncoded: true})
	if err != nil {
		t.Fatal(err)
	}
	c.orgs = map[string]*orgState{"big-agency": {kpis: orgSeries("big-agency", 2, 8)}, "small-shop": {kpis: orgSeries("small-shop", 2, 1)}}
	if err := c.publish(true); err != nil {
		t.Fatal(err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP opsmetrics_kpi_dropped_series KPI series of an org that the cardinality cap (--max-series) leaves out of /metrics now; only orgs that lost some.
# TYPE opsmetrics_kpi_dropped_series gauge
opsmetrics_kpi_dropped_series{org="big-agency"} 3
`), "opsmetrics_kpi_dropped_series"); err != nil {
		t.Error(err)
	}
	if !strings.Contains(logs.String(), `msg=kpi_series_capped max_series=10 dropped=3 orgs="big-agency (3)"`) {
		t.Errorf("log: %s", logs.String())
	}
	if c.encoded.series != 10 {
		t.Errorf("encoded %d series, want the cap's 10", c.encoded.series)
	}
	c.cfg.MaxSeries = 100
	if err := c.publish(true); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c.droppedByOrg); n != 0 {
		t.Errorf("%d orgs still named as dropping under a cap of 100", n)
	}
}
