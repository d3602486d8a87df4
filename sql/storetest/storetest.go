// Package storetest is the conformance suite every store.Store engine must
// pass: the embedded chDB engine runs it in every `make test`, and a
// ClickHouse server 24.8+ runs it when one is configured.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Run runs the whole suite against s, which must be open on an empty or
// opsmetrics-migrated database it may create scratch tables in.
func Run(t *testing.T, s store.Store) {
	t.Run("MigrateTwice", func(t *testing.T) { migrateTwice(t, s) })
	t.Run("RoundTripTypes", func(t *testing.T) { roundTrip(t, s) })
	t.Run("ReplaceAndTombstone", func(t *testing.T) { replaceAndTombstone(t, s) })
	t.Run("TypedParams", func(t *testing.T) { typedParams(t, s) })
	t.Run("Errors", func(t *testing.T) { errorKinds(t, s) })
	t.Run("InsertIsAtomic", func(t *testing.T) { insertAtomic(t, s) })
	t.Run("Concurrent", func(t *testing.T) { concurrent(t, s) })
	t.Run("Cancel", func(t *testing.T) { cancel(t, s) })
}

func migrateTwice(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := store.Migrate(ctx, s, store.MigrateConfig{}); err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	applied, err := store.Migrate(ctx, s, store.MigrateConfig{})
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v, want nothing", applied)
	}
	all, _ := store.Migrations()
	rows, err := s.Query(ctx, "SELECT count() FROM ops.schema_migrations FINAL", nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rows.Scan(0, &n); err != nil || n != len(all) {
		t.Fatalf("schema_migrations has %d rows (%v), want %d", n, err, len(all))
	}
	for _, table := range []string{"orgs", "people", "time_entries", "deliverables", "task_events", "allocations",
		"time_off", "holidays", "adjustments", "invoice_lines", "alert_thresholds", "api_tokens", "ingest_batches",
		"entry_facts", "adjustment_facts", "entry_fact_builds"} {
		rows, err := s.Query(ctx, "SELECT count() FROM system.tables WHERE database = 'ops' AND name = {t:String}", store.Params{"t": table})
		if err != nil {
			t.Fatal(err)
		}
		var c int
		if err := rows.Scan(0, &c); err != nil || c != 1 {
			t.Errorf("table ops.%s missing after migrate", table)
		}
	}
}

func scratch(t *testing.T, s store.Store, name, columns, engine string) string {
	t.Helper()
	table := "ops.storetest_" + name
	ctx := t.Context()
	if err := s.Exec(ctx, "DROP TABLE IF EXISTS "+table, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(ctx, "CREATE TABLE "+table+" ("+columns+") ENGINE = "+engine, nil); err != nil {
		t.Fatalf("create %s: %v", table, err)
	}
	t.Cleanup(func() { _ = s.Exec(context.Background(), "DROP TABLE IF EXISTS "+table, nil) })
	return table
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func ptr[T any](v T) *T { return &v }

func roundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	table := scratch(t, s, "types", `id UInt64, s String, lc LowCardinality(String), b Bool, u8 UInt8, i Int64,
		f Float64, money Decimal(18, 4), wide Decimal(38, 6), d Date, ts DateTime64(3, 'UTC'),
		ns Nullable(String), nd Nullable(Decimal(18, 4)), ndate Nullable(Date), tags Array(String)`, "MergeTree ORDER BY id")
	weird := "O'Hara \\ \"quoted\"\ttab\nnewline ünïcødé 🚀"
	ts := time.Date(2026, 3, 29, 1, 30, 15, 123e6, time.UTC)
	err := s.Insert(ctx, &store.Batch{
		Table:   table,
		Columns: []string{"id", "s", "lc", "b", "u8", "i", "f", "money", "wide", "d", "ts", "ns", "nd", "ndate", "tags"},
		Values: []any{
			[]uint64{1, 2},
			[]string{weird, ""},
			[]string{"design", "dev"},
			[]bool{true, false},
			[]uint8{255, 0},
			[]int64{-9007199254740993, 42},
			[]float64{0.1, -2.5},
			[]decimal.Decimal{decimal.RequireFromString("-12345.6789"), decimal.RequireFromString("0.0001")},
			[]decimal.Decimal{decimal.RequireFromString("123456789012345678901234.123456"), decimal.RequireFromString("-1")},
			[]time.Time{day(2026, 2, 28), day(1970, 1, 1)},
			[]time.Time{ts, time.Unix(0, 0)},
			[]*string{ptr(weird), nil},
			[]*decimal.Decimal{nil, ptr(decimal.RequireFromString("7.5"))},
			[]*time.Time{ptr(day(2024, 2, 29)), nil},
			[][]string{{"a", "b,c", weird}, {}},
		},
	})
	if err != nil {
		t.Fatalf("insert: %v", err)
	}
	rows, err := s.Query(ctx, "SELECT s, lc, b, u8, i, f, money, wide, d, ts, ns, nd, ndate, tags FROM "+table+" ORDER BY id", nil)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if rows.Len() != 2 {
		t.Fatalf("got %d rows, want 2", rows.Len())
	}
	type row struct {
		s, lc       string
		b           bool
		u8          uint64
		i           int64
		f           float64
		money, wide decimal.Decimal
		d, ts       time.Time
		ns          *string
		nd          *decimal.Decimal
		ndate       *time.Time
		tags        []string
	}
	var got [2]row
	for i := range got {
		r := &got[i]
		if err := rows.Scan(i, &r.s, &r.lc, &r.b, &r.u8, &r.i, &r.f, &r.money, &r.wide, &r.d, &r.ts, &r.ns, &r.nd, &r.ndate, &r.tags); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	r := got[0]
	check("s", r.s, weird)
	check("lc", r.lc, "design")
	check("b", r.b, true)
	check("u8", r.u8, 255)
	check("i", r.i, int64(-9007199254740993))
	check("f", r.f, 0.1)
	check("money", r.money.String(), "-12345.6789")
	check("wide", r.wide.String(), "123456789012345678901234.123456")
	check("d", r.d, day(2026, 2, 28))
	check("ts", r.ts, ts)
	check("ns", *r.ns, weird)
	check("nd", r.nd == nil, true)
	check("ndate", *r.ndate, day(2024, 2, 29))
	check("tags", fmt.Sprintf("%q", r.tags), fmt.Sprintf("%q", []string{"a", "b,c", weird}))
	r = got[1]
	check("s2", r.s, "")
	check("b2", r.b, false)
	check("wide2", r.wide.String(), "-1")
	check("d2", r.d, day(1970, 1, 1))
	check("ns2", r.ns == nil, true)
	check("nd2", r.nd.String(), "7.5")
	check("tags2", len(r.tags), 0)
	if rows.Columns[6].Type != "Decimal(18, 4)" {
		t.Errorf("money column type %q", rows.Columns[6].Type)
	}
}

func replaceAndTombstone(t *testing.T, s store.Store) {
	ctx := t.Context()
	table := scratch(t, s, "replace", "org_id String, external_id String, hours Decimal(18, 6), version UInt64, deleted UInt8",
		"ReplacingMergeTree(version, deleted) ORDER BY (org_id, external_id)")
	insert := func(id string, hours string, version uint64, deleted uint8) {
		t.Helper()
		err := s.Insert(ctx, &store.Batch{Table: table, Columns: []string{"org_id", "external_id", "hours", "version", "deleted"},
			Values: []any{[]string{"acme"}, []string{id}, []decimal.Decimal{decimal.RequireFromString(hours)}, []uint64{version}, []uint8{deleted}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	sum := func() (int, string) {
		t.Helper()
		rows, err := s.Query(ctx, "SELECT count(), sum(hours) FROM "+table+" FINAL WHERE org_id = {org:String}", store.Params{"org": "acme"})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		var h decimal.Decimal
		if err := rows.Scan(0, &n, &h); err != nil {
			t.Fatal(err)
		}
		return n, h.String()
	}
	insert("a", "1.5", 1, 0)
	insert("b", "2", 1, 0)
	insert("a", "1.5", 1, 0) // the same version again: a re-import
	if n, h := sum(); n != 2 || h != "3.5" {
		t.Fatalf("after re-import: %d rows, %s hours; want 2 rows, 3.5 hours", n, h)
	}
	insert("a", "4", 2, 0) // an edit
	insert("a", "9", 1, 0) // an older copy arriving late loses
	if n, h := sum(); n != 2 || h != "6" {
		t.Fatalf("after edit: %d rows, %s hours; want 2 rows, 6 hours", n, h)
	}
	insert("b", "2", 3, 1) // tombstone
	if n, h := sum(); n != 1 || h != "4" {
		t.Fatalf("after tombstone: %d rows, %s hours; want 1 row, 4 hours", n, h)
	}
	if err := s.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL", nil); err != nil {
		t.Fatal(err)
	}
	if n, h := sum(); n != 1 || h != "4" {
		t.Fatalf("after merge: %d rows, %s hours; want 1 row, 4 hours", n, h)
	}
}

func typedParams(t *testing.T, s store.Store) {
	ctx := t.Context()
	hostile := "x'); DROP TABLE ops.orgs; --\\\t\n"
	rows, err := s.Query(ctx, `SELECT {s:String} AS s, {d:Date} + 1 AS d, {m:Decimal(18, 4)} * 2 AS m,
		length({tags:Array(String)}) AS n, {tags:Array(String)}[2] AS second, {ts:DateTime64(3, 'UTC')} AS ts,
		{u:UInt64} AS u, {ns:Nullable(String)} AS ns`,
		store.Params{"s": hostile, "d": day(2026, 12, 31), "m": decimal.RequireFromString("1.2345"),
			"tags": []string{"a", hostile}, "ts": time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), "u": uint64(1) << 63, "ns": nil})
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	var str, second string
	var d, ts time.Time
	var m decimal.Decimal
	var n int
	var u uint64
	var ns *string
	if err := rows.Scan(0, &str, &d, &m, &n, &second, &ts, &u, &ns); err != nil {
		t.Fatal(err)
	}
	if str != hostile || second != hostile {
		t.Errorf("strings did not round-trip: %q %q", str, second)
	}
	if !d.Equal(day(2027, 1, 1)) || m.String() != "2.469" || n != 2 || u != 1<<63 || ns != nil {
		t.Errorf("got d=%v m=%v n=%d u=%d ns=%v", d, m, n, u, ns)
	}
	if !ts.Equal(time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)) {
		t.Errorf("ts = %v", ts)
	}
	if _, err := s.Query(ctx, "SELECT {a:String}", nil); !errors.Is(err, store.ErrBadParam) {
		t.Errorf("missing parameter: got %v, want ErrBadParam", err)
	}
	if _, err := s.Query(ctx, "SELECT 1", store.Params{"a": "x"}); !errors.Is(err, store.ErrBadParam) {
		t.Errorf("unused parameter: got %v, want ErrBadParam", err)
	}
	if _, err := s.Query(ctx, "SELECT {d:Date}", store.Params{"d": "not a date"}); err == nil {
		t.Errorf("a bad date bound without error")
	}
}

func errorKinds(t *testing.T, s store.Store) {
	ctx := t.Context()
	cases := []struct {
		query string
		kind  error
	}{
		{"SELEC 1", store.ErrSyntax},
		{"SELECT * FROM ops.no_such_table", store.ErrUnknownTable},
		{"SELECT no_such_column FROM ops.orgs", store.ErrSyntax},
		{"SELECT throwIf(1, 'boom')", store.ErrQuery},
	}
	for _, c := range cases {
		_, err := s.Query(ctx, c.query, nil)
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: got %v, want %v", c.query, err, c.kind)
		}
		var se *store.Error
		if !errors.As(err, &se) || se.Code == 0 {
			t.Errorf("%s: want a *store.Error with a ClickHouse code, got %#v", c.query, err)
		}
	}
	err := s.Insert(ctx, &store.Batch{Table: "ops.no_such_table", Columns: []string{"a"}, Values: []any{[]string{"x"}}})
	if !errors.Is(err, store.ErrUnknownTable) {
		t.Errorf("insert into a missing table: got %v, want ErrUnknownTable", err)
	}
	err = s.Insert(ctx, &store.Batch{Table: "ops.orgs", Columns: []string{"org_id", "name"}, Values: []any{[]string{"a", "b"}, []string{"x"}}})
	if err == nil {
		t.Errorf("ragged batch accepted")
	}
}

func insertAtomic(t *testing.T, s store.Store) {
	ctx := t.Context()
	table := scratch(t, s, "atomic", "id UInt64, amount Decimal(18, 2)", "MergeTree ORDER BY id")
	ids := make([]uint64, 1000)
	amounts := make([]decimal.Decimal, 1000)
	for i := range ids {
		ids[i] = uint64(i)
		amounts[i] = decimal.NewFromInt(int64(i))
	}
	amounts[999] = decimal.RequireFromString("0.001") // more decimals than the column keeps
	err := s.Insert(ctx, &store.Batch{Table: table, Columns: []string{"id", "amount"}, Values: []any{ids, amounts}})
	if !errors.Is(err, store.ErrBadData) {
		t.Fatalf("got %v, want ErrBadData", err)
	}
	rows, err := s.Query(ctx, "SELECT count() FROM "+table, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rows.Scan(0, &n); err != nil || n != 0 {
		t.Fatalf("a failed batch left %d rows", n)
	}
}

func concurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 32*10)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				want := uint64(g*1000 + i)
				rows, err := s.Query(ctx, "SELECT sum(number) + {x:UInt64} FROM numbers(1000)", store.Params{"x": want})
				if err != nil {
					errs <- err
					return
				}
				var got uint64
				if err := rows.Scan(0, &got); err != nil || got != want+499500 {
					errs <- fmt.Errorf("goroutine %d query %d: got %d, want %d (%v)", g, i, got, want+499500, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func cancel(t *testing.T, s store.Store) {
	ctx, stop := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer stop()
	start := time.Now()
	_, err := s.Query(ctx, "SELECT count() FROM numbers(1000000000000) WHERE NOT ignore(sipHash64(number))", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("cancellation took %v", d)
	}
	// The engine itself must stop the query, not just the caller stop waiting.
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := s.Query(t.Context(), "SELECT count() FROM system.processes WHERE query LIKE {p:String} AND query_id != queryID()",
			store.Params{"p": "%ignore(sipHash64(number))%"})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := rows.Scan(0, &n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cancelled query still runs after 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx2, stop2 := context.WithCancel(t.Context())
	stop2()
	if _, err := s.Query(ctx2, "SELECT 1", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: got %v", err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("store unusable after a cancelled query: %v", err)
	}
}
