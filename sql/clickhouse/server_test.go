package clickhouse

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/clickhouse/chtest"
)

// These tests run against the clickhouse-server 18.16 that TestMain starts.
// 18.16 is older than the product needs, so the tests lower MinServerVersion
// and keep to the types and syntax it has.

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), Config{
		DSN:              dsn(t, testPassword),
		MinServerVersion: "18.16",
		MaxExecution:     30 * time.Second, // proves 18.16 accepts the settings we send
		Logger:           slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestOpenPing(t *testing.T) {
	s := openTest(t)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	info := s.Info()
	if info.Name != "clickhouse" || !strings.HasPrefix(info.Version, "18.16.") || info.Detail != server.Addr {
		t.Errorf("Info = %+v, want clickhouse 18.16.x at %s", info, server.Addr)
	}
	rows, err := s.Query(t.Context(), "SELECT 1 AS one", nil)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if rows.Len() != 1 || rows.Data[0][0] != uint64(1) {
		t.Errorf("SELECT 1 = %v, want [[1]]", rows.Data)
	}
}

func TestOpenWrongPassword(t *testing.T) {
	const password = "not-the-password"
	_, err := Open(t.Context(), Config{DSN: dsn(t, password), MinServerVersion: "18.16"})
	if !errors.Is(err, store.ErrAuth) {
		t.Fatalf("Open with a wrong password: %v, want ErrAuth", err)
	}
	msg := err.Error()
	if strings.Contains(msg, password) || !strings.Contains(msg, `"default"`) || !strings.Contains(msg, server.Addr) {
		t.Errorf("message %q must name user and address, never the password", msg)
	}
}

func TestOpenVersionGuard(t *testing.T) {
	_, err := Open(t.Context(), Config{DSN: dsn(t, testPassword)})
	if !errors.Is(err, store.ErrTooOld) {
		t.Fatalf("Open of 18.16 with the default minimum: %v, want ErrTooOld", err)
	}
	for _, want := range []string{"18.16", "24.8", server.Addr} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not name %s", err, want)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	ports, err := chtest.FreePorts(1) // closed again: nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	const password = "hunter2-unused"
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	_, err = Open(t.Context(), Config{DSN: "clickhouse://default:" + password + "@" + addr + "/default?dial_timeout=2s"})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Open of a closed port: %v, want ErrUnavailable", err)
	}
	if msg := err.Error(); strings.Contains(msg, password) || !strings.Contains(msg, addr) {
		t.Errorf("message %q must name the address, never the password", msg)
	}
}

func TestRoundTrip(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	if err := s.Exec(ctx, "DROP TABLE IF EXISTS default.roundtrip", nil); err != nil {
		t.Fatal(err)
	}
	err := s.Exec(ctx, `CREATE TABLE default.roundtrip (
		a UInt32, s String, flag UInt8, n UInt64, i Int64, f Float64, d Decimal(18, 4),
		day Date, ts DateTime, ns Nullable(String), nd Nullable(Decimal(18, 4)), tags Array(String)
	) ENGINE = MergeTree ORDER BY (a)`, nil) // MergeTree: the oldest engine syntax 18.16 and 24.x share
	if err != nil {
		t.Fatalf("create table: %v", err)
	}

	tricky := "it's \"quoted\" \\ back\\slash\nnew line, ünïcode 日本 🚀"
	x := "x"
	half := decimal.RequireFromString("-0.5")
	plus2 := time.FixedZone("UTC+2", 2*3600)
	b := &store.Batch{
		Table:   "default.roundtrip",
		Columns: []string{"a", "s", "flag", "n", "i", "f", "d", "day", "ts", "ns", "nd", "tags"},
		Values: []any{
			[]uint32{1, 2, 3},
			[]string{tricky, "", "plain"},
			[]bool{true, false, true},
			[]uint64{math.MaxUint64, 0, 7},
			[]int64{-42, math.MinInt64, math.MaxInt64},
			[]float64{3.25, -0.5, 1e300},
			[]decimal.Decimal{
				decimal.RequireFromString("-1234.5678"), decimal.RequireFromString("0.0001"),
				decimal.RequireFromString("99999999999999.9999"),
			},
			[]time.Time{
				time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC),
				time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC),
				time.Date(2026, 3, 1, 0, 30, 0, 0, plus2), // 2026-02-28 in UTC
			},
			[]time.Time{
				time.Date(2026, 2, 28, 23, 59, 59, 0, time.UTC),
				time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
				time.Date(2026, 3, 1, 0, 30, 0, 0, plus2),
			},
			[]*string{nil, &x, &tricky},
			[]*decimal.Decimal{nil, &half, nil},
			[][]string{{}, {"a", "b'c"}, {tricky}},
		},
	}
	if err := s.Insert(ctx, b); err != nil {
		t.Fatalf("Insert: %v", err)
	}

	rows, err := s.Query(ctx, "SELECT "+strings.Join(b.Columns, ", ")+" FROM default.roundtrip ORDER BY a", nil)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	wantTypes := []string{"UInt32", "String", "UInt8", "UInt64", "Int64", "Float64", "Decimal(18, 4)",
		"Date", "DateTime", "Nullable(String)", "Nullable(Decimal(18, 4))", "Array(String)"}
	for i, c := range rows.Columns {
		if c.Name != b.Columns[i] || c.Type != wantTypes[i] {
			t.Errorf("column %d = %s %s, want %s %s", i, c.Name, c.Type, b.Columns[i], wantTypes[i])
		}
	}
	dec := decimal.RequireFromString
	utc := func(y int, mo time.Month, d, h, mi, sec int) time.Time {
		return time.Date(y, mo, d, h, mi, sec, 0, time.UTC)
	}
	want := [][]any{
		{uint64(1), tricky, uint64(1), uint64(math.MaxUint64), int64(-42), 3.25, dec("-1234.5678"),
			utc(2026, 2, 28, 0, 0, 0), utc(2026, 2, 28, 23, 59, 59), nil, nil, []any{}},
		{uint64(2), "", uint64(0), uint64(0), int64(math.MinInt64), -0.5, dec("0.0001"),
			utc(1970, 1, 2, 0, 0, 0), utc(2000, 1, 1, 0, 0, 0), "x", dec("-0.5"), []any{"a", "b'c"}},
		{uint64(3), "plain", uint64(1), uint64(7), int64(math.MaxInt64), 1e300, dec("99999999999999.9999"),
			utc(2026, 2, 28, 0, 0, 0), utc(2026, 2, 28, 22, 30, 0), tricky, nil, []any{tricky}},
	}
	if rows.Len() != len(want) {
		t.Fatalf("got %d rows, want %d: %v", rows.Len(), len(want), rows.Data)
	}
	for r := range want {
		for c := range want[r] {
			if !sameValue(want[r][c], rows.Data[r][c]) {
				t.Errorf("row %d %s = %#v, want %#v", r, b.Columns[c], rows.Data[r][c], want[r][c])
			}
		}
	}

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			query  string
			params store.Params
			kind   error
		}{
			{"SELEC 1", nil, store.ErrSyntax},
			{"SELECT * FROM default.no_such_table", nil, store.ErrUnknownTable},
			// 18.16 has no typed parameters, so the placeholder reaches its
			// parser: proof that the value is never formatted into the SQL.
			{"SELECT {a:UInt32}", store.Params{"a": 1}, store.ErrSyntax},
		} {
			if _, err := s.Query(ctx, tc.query, tc.params); !errors.Is(err, tc.kind) {
				t.Errorf("%s: %v, want %v", tc.query, err, tc.kind)
			}
		}
		bad := &store.Batch{Table: "default.roundtrip", Columns: []string{"a"}, Values: []any{[]string{"1"}}}
		if err := s.Insert(ctx, bad); !errors.Is(err, store.ErrBadData) {
			t.Errorf("Insert of strings into UInt32: %v, want ErrBadData", err)
		}
		inject := &store.Batch{Table: "default.roundtrip (a) SELECT 1 --", Columns: []string{"a"}, Values: []any{[]uint32{1}}}
		if err := s.Insert(ctx, inject); err == nil || !strings.Contains(err.Error(), "bad identifier") {
			t.Errorf("Insert into an injected table name: %v, want a bad identifier error", err)
		}
		if rows, err := s.Query(ctx, "SELECT count() FROM default.roundtrip", nil); err != nil || rows.Data[0][0] != uint64(3) {
			t.Errorf("rows after failed inserts: %v %v, want 3", rows, err)
		}
	})
}

func TestQueryCancel(t *testing.T) {
	s := openTest(t)
	const long = "SELECT count() FROM numbers(100000000000)" // a minute of work
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		// The store also tells the server to stop at the deadline rounded up
		// to 2 s, so the query must be gone before that: only the client's
		// Cancel packet can have stopped it.
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 1200*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			_, err := s.Query(ctx, long, nil)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("cancelled query returned after %v", elapsed)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Query: %v, want %v", err, tc.want)
			}
			// The server stops the query too, and the store keeps working.
			for deadline := start.Add(2 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				rows, err := s.Query(t.Context(), "SELECT count() FROM system.processes "+
					"WHERE query LIKE '%numbers(100000000000)%' AND query NOT LIKE '%system.processes%'", nil)
				if err != nil {
					t.Fatalf("Query after cancel: %v", err)
				}
				if rows.Data[0][0] == uint64(0) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the cancelled query still ran on the server 2 s after it started")
				}
			}
		})
	}
}

func TestMaxExecution(t *testing.T) {
	s, err := Open(t.Context(), Config{DSN: dsn(t, testPassword), MinServerVersion: "18.16", MaxExecution: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Query(t.Context(), "SELECT count() FROM numbers(100000000000)", nil) // no deadline on ctx
	if !errors.Is(err, store.ErrTimeout) {
		t.Errorf("query past MaxExecution: %v, want ErrTimeout", err)
	}
}

// sameValue compares a normalized result value with its expectation:
// decimals by value, times as the same instant in UTC, arrays element-wise.
func sameValue(want, got any) bool {
	switch w := want.(type) {
	case decimal.Decimal:
		g, ok := got.(decimal.Decimal)
		return ok && w.Equal(g)
	case time.Time:
		g, ok := got.(time.Time)
		return ok && w.Equal(g) && g.Location() == time.UTC
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameValue(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return want == got
}

// TestOpenDSNDatabaseNotYetCreated: a DSN ending in /ops reaches a fresh
// server, where ops does not exist until migrate creates it. An old server
// is still refused for its version, naming both; a new enough one (here
// 18.16 with the minimum lowered) opens, and migrate creates the database.
func TestOpenDSNDatabaseNotYetCreated(t *testing.T) {
	admin := openTest(t) // on the DSN's /default
	if err := admin.Exec(t.Context(), "DROP DATABASE IF EXISTS ops", nil); err != nil {
		t.Fatal(err)
	}
	opsDSN := strings.Replace(dsn(t, testPassword), "/default?", "/ops?", 1)

	_, err := Open(t.Context(), Config{DSN: opsDSN})
	if !errors.Is(err, store.ErrTooOld) {
		t.Fatalf("Open of 18.16 through .../ops: %v, want ErrTooOld", err)
	}
	for _, want := range []string{"18.16", "24.8", server.Addr} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not name %s", err, want)
		}
	}

	s, err := Open(t.Context(), Config{DSN: opsDSN, MinServerVersion: "18.16"})
	if err != nil {
		t.Fatalf("Open through .../ops before ops exists: %v", err)
	}
	defer s.Close()
	// 18.16 cannot hold the schema (DateTime64), so migrate stops at the
	// migrations table, after creating the database.
	if _, err := store.Migrate(t.Context(), s, store.MigrateConfig{}); err == nil || strings.Contains(err.Error(), "doesn't exist") {
		t.Errorf("migrate on 18.16: %v, want a schema error after the database was created", err)
	}
	rows, err := admin.Query(t.Context(), "SELECT count() FROM system.databases WHERE name = 'ops'", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Data[0][0] != uint64(1) {
		t.Errorf("migrate through .../ops did not create database ops")
	}
}
