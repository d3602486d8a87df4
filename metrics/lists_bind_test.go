package metrics

import (
	"errors"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

func TestListQueriesBind(t *testing.T) {
	// Every placeholder of the lists' queries (their fragments included) gets
	// a value of a type it takes, and no value is left over. The request is
	// the delivery page's: its settings and resolved names given, so nothing
	// is read from a store.
	from, to := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r := Request{Org: "o", From: from, To: to, Filters: map[string]string{"client": "c1"},
		Now:      time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC),
		Settings: &org.Settings{ID: "o", TimeZone: "Europe/Berlin", GraceDays: 2},
		Names:    &Names{Org: "o", byKind: map[string][]Named{"client": {{"c1", "Client One"}}}}}
	const limit = 200
	params := map[string]store.Params{}
	for _, c := range []struct {
		l     list
		r     Request
		extra store.Params
	}{
		{slipsList, r, nil},
		{lateDeliverablesList, r, store.Params{"limit": uint64(limit)}},
		{overdueNowList, r, store.Params{"limit": uint64(limit)}},
		{stuckReviewsList, r, store.Params{"limit": uint64(limit)}},
		{personTeamsList, Request{Org: "o", From: from, To: to, Settings: r.Settings}, nil},
	} {
		text, p, err := bindList(t.Context(), nil, c.l, c.r, c.extra)
		if err != nil {
			t.Fatalf("%s: %v", c.l.query, err)
		}
		if _, err := store.BindParams(text, p); err != nil {
			t.Errorf("%s: %v", c.l.query, err)
		}
		params[c.l.query] = p
	}
	slips, late := params["list_slips"], params["list_late_deliverables"]
	if late["limit"] != uint64(limit) || late["client"] != "c1" || slips["grace_days"] != uint64(2) {
		t.Errorf("params: %v, %v", slips, late)
	}
}

func TestListRequestChecked(t *testing.T) {
	// A list takes the KPIs' request and refuses what a KPI refuses: no
	// range, a filter it cannot take.
	from, to := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o := &org.Settings{ID: "o", TimeZone: "UTC"}
	for name, c := range map[string]struct {
		l    list
		r    Request
		want string
	}{
		"no range": {slipsList, Request{Org: "o", Settings: o}, "bad KPI request: from and to are required dates (YYYY-MM-DD)"},
		"no org":   {stuckReviewsList, Request{From: from, To: to, Settings: o}, "bad KPI request: no org"},
		"team": {stuckReviewsList, Request{Org: "o", From: from, To: to, Settings: o, Filters: map[string]string{"team": "studio"}},
			`bad KPI request: waiting reviews cannot be filtered by "team"; its filters are [client project]`},
	} {
		_, _, err := bindList(t.Context(), nil, c.l, c.r, nil)
		if !errors.Is(err, ErrBadRequest) || err.Error() != c.want {
			t.Errorf("%s: %v, want %s", name, err, c.want)
		}
	}
}
