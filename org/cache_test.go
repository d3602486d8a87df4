package org

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// fakeStore answers org_settings with its current time zone and
// org_data_currencies with EUR, counting the queries; Write stores a
// settings row.
type fakeStore struct {
	tz      string
	queries map[string]int
	written []Settings
}

func (f *fakeStore) Query(_ context.Context, query string, _ store.Params) (*store.Rows, error) {
	switch query {
	case store.QueryText("org_settings"):
		f.queries["settings"]++
		if f.tz == "" {
			return &store.Rows{}, nil
		}
		cols := []store.Column{{Name: "name", Type: "String"}, {Name: "time_zone", Type: "String"}, {Name: "currency", Type: "String"},
			{Name: "workdays", Type: "UInt8"}, {Name: "start", Type: "UInt16"}, {Name: "end", Type: "UInt16"}, {Name: "grace", Type: "UInt16"},
			{Name: "overhead", Type: "Decimal(18, 4)"}, {Name: "stuck", Type: "UInt16"}}
		return &store.Rows{Columns: cols, Data: [][]any{{"Acme", f.tz, "", uint64(0), uint64(0), uint64(0), uint64(0), decimal.Zero, uint64(0)}}}, nil
	case store.QueryText("org_data_currencies"):
		f.queries["currency"]++
		return &store.Rows{Columns: []store.Column{{Name: "currency", Type: "String"}}, Data: [][]any{{"EUR"}}}, nil
	case store.QueryText("org_other_currencies"):
		return &store.Rows{}, nil
	}
	return nil, errors.New("unexpected query")
}

func (f *fakeStore) Write(_ context.Context, _ string, records any) (int, error) {
	recs := records.([]Settings)
	f.written = append(f.written, recs...)
	f.tz = recs[0].TimeZone
	return len(recs), nil
}

var _ Writer = (*fakeStore)(nil)

// TestCache: Get and Currency read once per TTL; Load reads now; Update
// writes and the next Get sees the change; a zero TTL reads every time.
func TestCache(t *testing.T) {
	f := &fakeStore{tz: "Europe/Berlin", queries: map[string]int{}}
	c, err := NewCache(Config{Store: f, Writer: f, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for range 3 {
		s, err := c.Get(ctx, "acme")
		if err != nil || s.TimeZone != "Europe/Berlin" || s.Workdays != DefaultWorkdays {
			t.Fatalf("Get: %+v %v", s, err)
		}
		if code, why, err := c.Currency(ctx, s); code != "EUR" || why != "" || err != nil {
			t.Fatalf("Currency: %q %q %v", code, why, err)
		}
	}
	if f.queries["settings"] != 1 || f.queries["currency"] != 1 {
		t.Errorf("queries %v, want one of each within the TTL", f.queries)
	}
	if _, found, _ := c.Load(ctx, "acme"); !found || f.queries["settings"] != 2 {
		t.Errorf("Load: found %v, queries %v; want a read now", found, f.queries)
	}
	tz := "Asia/Tokyo"
	if _, err := c.Update(ctx, "acme", Patch{TimeZone: &tz}); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Get(ctx, "acme"); s.TimeZone != "Asia/Tokyo" || len(f.written) != 1 {
		t.Errorf("after Update: %+v, written %d", s, len(f.written))
	}
	bad := "Mars/Base"
	if _, err := c.Update(ctx, "acme", Patch{TimeZone: &bad}); !errors.Is(err, ErrBadSetting) ||
		!strings.HasPrefix(err.(*BadSettingError).Msg, `time_zone "Mars/Base"`) || len(f.written) != 1 {
		t.Errorf("a bad patch: %v, written %d", err, len(f.written))
	}

	uncached, err := NewCache(Config{Store: f})
	if err != nil {
		t.Fatal(err)
	}
	before := f.queries["settings"]
	uncached.Get(ctx, "acme")
	uncached.Get(ctx, "acme")
	if f.queries["settings"] != before+2 {
		t.Errorf("a zero TTL read %d times for two Gets", f.queries["settings"]-before)
	}
	if _, err := uncached.Update(ctx, "acme", Patch{}); err == nil {
		t.Error("Update without a writer succeeded")
	}
	if _, err := NewCache(Config{}); err == nil {
		t.Error("a cache without a store")
	}
}
