package metrics_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/storetest"
)

// The KPI tests run on the real embedded engine, or in server mode
// ($OPSMETRICS_TEST_CLICKHOUSE_DSN, storetest.Shared) on that ClickHouse
// server. Each test file builds its own small agency in its own org, so files
// do not disturb each other's hand-computed numbers.

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedFacts != nil {
		sharedFacts.Wait()
	}
	storetest.Close()
	os.Exit(code)
}

// testStore is the store every test of this package shares: the embedded
// engine, or the server in server mode.
func testStore(tb testing.TB) store.Store { return storetest.Shared(tb) }

// testNow is "now" for every KPI test: after the scenarios' two months.
var testNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// d parses a date, utc a UTC time "2006-01-02 15:04".
func d(s string) time.Time   { return must(time.Parse(time.DateOnly, s)) }
func utc(s string) time.Time { return must(time.Parse("2006-01-02 15:04", s)) }
func pd(s string) *time.Time {
	v := d(s)
	return &v
}
func pt(s string) *time.Time {
	v := utc(s)
	return &v
}
func dec(s string) decimal.Decimal   { return decimal.RequireFromString(s) }
func pdec(s string) *decimal.Decimal { v := dec(s); return &v }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// sharedFacts are the shared store's entry facts: every write of the tests
// reports its orgs to them (Changed), as serve's writes do.
var (
	factsOnce   sync.Once
	sharedFacts *metrics.Facts
)

func testFacts(tb testing.TB) *metrics.Facts {
	s := testStore(tb)
	factsOnce.Do(func() {
		sharedFacts = processFacts(tb, s) // in server mode, builds take leases
	})
	return sharedFacts
}

// write stores records (slices of canonical records) as the ingest writer does.
func write(tb testing.TB, records ...any) {
	tb.Helper()
	writeTo(tb, testFacts(tb).Changed, records...)
}

// writeTo is write reporting the orgs written to changed; nil reports them
// to nobody, as another process's writes.
func writeTo(tb testing.TB, changed func(context.Context, []string), records ...any) {
	tb.Helper()
	s := testStore(tb)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler), Changed: changed})
	if err != nil {
		tb.Fatal(err)
	}
	for _, recs := range records {
		if _, err := w.Write(tb.Context(), "test", recs); err != nil {
			tb.Fatal(err)
		}
	}
}

// compute runs one KPI with testNow.
func compute(tb testing.TB, r metrics.Request) *metrics.Result {
	tb.Helper()
	if r.Now.IsZero() {
		r.Now = testNow
	}
	res, err := metrics.Compute(tb.Context(), testStore(tb), testFacts(tb), r)
	if err != nil {
		tb.Fatalf("%s: %v", r.KPI, err)
	}
	return res
}

// cell returns column col of the row whose period (if any) and group (if
// any) match; it fails the test when there is no such row.
func cell(tb testing.TB, res *metrics.Result, period, group, col string) string {
	tb.Helper()
	ci := -1
	for i, c := range res.Columns {
		if c.Name == col {
			ci = i
		}
	}
	if ci < 0 {
		tb.Fatalf("%s has no column %q (columns %v)", res.KPI, col, res.Columns)
	}
	for _, row := range res.Rows {
		ok := true
		for i, c := range res.Columns {
			if (c.Name == "period" && metrics.Cell(row[i]) != period) || (c.Name == res.GroupBy && res.GroupBy != "" && metrics.Cell(row[i]) != group) {
				ok = false
			}
		}
		if ok {
			return metrics.Cell(row[ci])
		}
	}
	tb.Fatalf("%s: no row for period %q group %q", res.KPI, period, group)
	return ""
}

// near checks a ratio given as text against a hand-computed value.
func near(tb testing.TB, what, got string, want float64) {
	tb.Helper()
	if got == "" {
		tb.Errorf("%s = null, want %.6f", what, want)
		return
	}
	v := must(decimal.NewFromString(got)).InexactFloat64()
	if diff := v - want; diff > 1e-9 || diff < -1e-9 {
		tb.Errorf("%s = %s, want %.9f", what, got, want)
	}
}

// exact checks a decimal given as text (hours, money) exactly.
func exact(tb testing.TB, what, got, want string) {
	tb.Helper()
	g, err := decimal.NewFromString(got)
	if err != nil || !g.Equal(dec(want)) {
		tb.Errorf("%s = %q, want %s", what, got, want)
	}
}

// colIndex is the index of column col.
func colIndex(tb testing.TB, res *metrics.Result, col string) int {
	tb.Helper()
	for i, c := range res.Columns {
		if c.Name == col {
			return i
		}
	}
	tb.Fatalf("%s has no column %s", res.KPI, col)
	return -1
}

// rowValue is a cell as a number (null counts 0).
func rowValue(tb testing.TB, res *metrics.Result, row int, col string) float64 {
	tb.Helper()
	s := metrics.Cell(res.Rows[row][colIndex(tb, res, col)])
	if s == "" {
		return 0
	}
	return dec(s).InexactFloat64()
}

// sumColumn adds up a column (nulls count 0).
func sumColumn(tb testing.TB, res *metrics.Result, col string) float64 {
	tb.Helper()
	var s float64
	for i := range res.Rows {
		s += rowValue(tb, res, i, col)
	}
	return s
}

// rowCell returns column col of the row whose columns match every key → value
// in match; it fails when there is no such row.
func rowCell(tb testing.TB, res *metrics.Result, match map[string]string, col string) string {
	tb.Helper()
	ci := colIndex(tb, res, col)
	for _, row := range res.Rows {
		hit := true
		for k, v := range match {
			if metrics.Cell(row[colIndex(tb, res, k)]) != v {
				hit = false
			}
		}
		if hit {
			return metrics.Cell(row[ci])
		}
	}
	tb.Fatalf("%s: no row %v", res.KPI, match)
	return ""
}
