package sql

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestParseType(t *testing.T) {
	cases := []struct {
		in    string
		kind  kind
		scale int
		bytes int
	}{
		{"String", kString, 0, 0},
		{"LowCardinality(String)", kString, 0, 0},
		{"Decimal(18, 4)", kDecimal, 4, 8},
		{"Decimal(9,2)", kDecimal, 2, 4},
		{"Decimal(38, 6)", kDecimal, 6, 16},
		{"Decimal64(3)", kDecimal, 3, 8},
		{"DateTime64(3, 'UTC')", kDateTime64, 3, 0},
		{"DateTime('Europe/Berlin')", kDateTime, 0, 0},
		{"Nullable(Decimal(18, 4))", kNullable, 0, 0},
		{"Array(LowCardinality(String))", kArray, 0, 0},
		{"Enum8('a' = 1, 'b,c' = -2)", kEnum8, 0, 0},
	}
	for _, c := range cases {
		got, err := parseType(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got.kind != c.kind || got.scale != c.scale || (c.bytes > 0 && got.decimalBytes() != c.bytes) {
			t.Errorf("%s: got %+v", c.in, got)
		}
	}
	e, _ := parseType("Enum8('a' = 1, 'b,c' = -2)")
	if e.enum[-2] != "b,c" || e.enum[1] != "a" {
		t.Errorf("enum values %v", e.enum)
	}
	for _, bad := range []string{"Map(String, String)", "Decimal(x, 2)", "Tuple(a String"} {
		if _, err := parseType(bad); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestFormatParam(t *testing.T) {
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 3, 1, 12, 30, 0, 250e6, time.FixedZone("CET", 3600))
	cases := []struct {
		v    any
		typ  string
		want string
	}{
		{"plain", "String", "plain"},
		{"tab\there\\", "String", `tab\there\\`},
		{day, "Date", "2026-03-01"},
		{at, "DateTime", "2026-03-01 11:30:00"},
		{at, "DateTime64(3, 'UTC')", "2026-03-01 11:30:00.25"},
		{decimal.RequireFromString("-1.50"), "Decimal(18, 4)", "-1.5"},
		{[]string{"a", "it's\n"}, "Array(String)", `['a','it\'s\n']`},
		{nil, "Nullable(String)", `\N`},
		{true, "UInt8", "1"},
		{uint64(7), "UInt64", "7"},
	}
	for _, c := range cases {
		got, err := FormatParam(c.v, c.typ)
		if err != nil || got != c.want {
			t.Errorf("FormatParam(%v, %s) = %q, %v; want %q", c.v, c.typ, got, err, c.want)
		}
	}
	if _, err := FormatParam(nil, "String"); err == nil {
		t.Error("NULL bound to a non-nullable type")
	}
	if _, err := FormatParam(struct{}{}, "String"); err == nil {
		t.Error("a struct was bound")
	}
}

func TestBindParams(t *testing.T) {
	q := "SELECT {a:String}, {b : Date}, {a:String}"
	got, err := BindParams(q, Params{"a": "x", "b": time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil || got["a"] != "x" || got["b"] != "2026-01-02" || len(got) != 2 {
		t.Fatalf("BindParams = %v, %v", got, err)
	}
	if _, err := BindParams(q, Params{"a": "x"}); !errors.Is(err, ErrBadParam) {
		t.Errorf("missing b: %v", err)
	}
	if _, err := BindParams(q, Params{"a": "x", "b": time.Now(), "c": 1}); !errors.Is(err, ErrBadParam) {
		t.Errorf("extra c: %v", err)
	}
}

func TestRowBinaryRoundTrip(t *testing.T) {
	b := &Batch{Table: "t", Columns: []string{"s", "d", "m", "n", "tags", "ts"}, Values: []any{
		[]string{"a", ""},
		[]time.Time{time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
		[]decimal.Decimal{decimal.RequireFromString("-1.2345"), decimal.RequireFromString("99")},
		[]*decimal.Decimal{nil, ptr(decimal.RequireFromString("0.5"))},
		[][]string{{"x", "y"}, {}},
		[]time.Time{time.Date(2026, 1, 1, 1, 2, 3, 4e6, time.UTC), time.Unix(0, 0)},
	}}
	types := []string{"String", "Date", "Decimal(18, 4)", "Nullable(Decimal(38, 2))", "Array(String)", "DateTime64(3, 'UTC')"}
	enc, err := NewRowBinaryEncoder(b, types)
	if err != nil {
		t.Fatal(err)
	}
	// Build a RowBinaryWithNamesAndTypes buffer: header, then the rows.
	buf := []byte{byte(len(types))}
	for _, c := range b.Columns {
		buf = appendString(buf, c)
	}
	for _, ty := range types {
		buf = appendString(buf, ty)
	}
	for i := range enc.Rows() {
		if buf, err = enc.AppendRow(buf, i); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := DecodeRowBinaryWithNamesAndTypes(buf)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Len() != 2 {
		t.Fatalf("%d rows", rows.Len())
	}
	var s string
	var d, ts time.Time
	var m decimal.Decimal
	var n *decimal.Decimal
	var tags []string
	if err := rows.Scan(0, &s, &d, &m, &n, &tags, &ts); err != nil {
		t.Fatal(err)
	}
	if s != "a" || d.Format(time.DateOnly) != "2026-02-28" || m.String() != "-1.2345" || n != nil ||
		strings.Join(tags, ",") != "x,y" || !ts.Equal(time.Date(2026, 1, 1, 1, 2, 3, 4e6, time.UTC)) {
		t.Errorf("row 0: %q %v %v %v %v %v", s, d, m, n, tags, ts)
	}
	if err := rows.Scan(1, &s, &d, &m, &n, &tags, &ts); err != nil {
		t.Fatal(err)
	}
	if n == nil || n.String() != "0.5" || len(tags) != 0 || d.Year() != 1970 {
		t.Errorf("row 1: %v %v %v", n, tags, d)
	}
	// Truncated input is an error, not a panic.
	if _, err := DecodeRowBinaryWithNamesAndTypes(buf[:len(buf)-3]); err == nil {
		t.Error("truncated buffer decoded")
	}
}

func ptr[T any](v T) *T { return &v }

func TestEncoderRejectsLossyDecimalsAndBadTypes(t *testing.T) {
	b := &Batch{Table: "t", Columns: []string{"m"}, Values: []any{[]decimal.Decimal{decimal.RequireFromString("1.23456")}}}
	enc, err := NewRowBinaryEncoder(b, []string{"Decimal(18, 4)"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.AppendRow(nil, 0); err == nil || !strings.Contains(err.Error(), "more than 4 decimal places") {
		t.Errorf("lossy decimal: %v", err)
	}
	b = &Batch{Table: "t", Columns: []string{"m"}, Values: []any{[]string{"x"}}}
	if _, err := NewRowBinaryEncoder(b, []string{"Decimal(18, 4)"}); err == nil {
		t.Error("a string column encoded as Decimal")
	}
	big := &Batch{Table: "t", Columns: []string{"d"}, Values: []any{[]time.Time{time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	enc, _ = NewRowBinaryEncoder(big, []string{"Date"})
	if _, err := enc.AppendRow(nil, 0); err == nil {
		t.Error("year 2200 encoded as Date")
	}
}

func TestClassifyText(t *testing.T) {
	err := ClassifyText("Code: 60. DB::Exception: Unknown table expression identifier 'ops.x'. (UNKNOWN_TABLE)")
	if !errors.Is(err, ErrUnknownTable) || err.Code != 60 {
		t.Errorf("got %v", err)
	}
	if err := ClassifyText("something odd"); !errors.Is(err, ErrQuery) || err.Code != 0 {
		t.Errorf("got %v", err)
	}
}

func TestMigrationsParseAndRewriteForClusters(t *testing.T) {
	all, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 || all[0].Version != 1 {
		t.Fatalf("migrations: %+v", all)
	}
	for _, m := range all {
		for _, stmt := range append([]string{migrationsTable}, m.Statements...) {
			if strings.Contains(stmt, "--") || strings.HasSuffix(stmt, ";") {
				t.Errorf("statement keeps a comment or semicolon: %.80s", stmt)
			}
			out, err := OnCluster(stmt, "main")
			if err != nil {
				t.Errorf("%04d: %v", m.Version, err)
				continue
			}
			if strings.HasPrefix(stmt, "CREATE TABLE") {
				if len(out) != 2 || !strings.Contains(out[0], "_local ON CLUSTER main") ||
					!strings.Contains(out[0], "ENGINE = Replicated") || !strings.Contains(out[1], "ENGINE = Distributed(main, ops, ") {
					t.Errorf("cluster rewrite of %.60s:\n%s", stmt, strings.Join(out, "\n"))
				}
			}
		}
	}
	out, _ := OnCluster("CREATE TABLE IF NOT EXISTS ops.people\n(\n    org_id String\n)\nENGINE = ReplacingMergeTree(version, deleted)\nORDER BY (org_id, source)", "c1")
	if !strings.HasSuffix(out[1], "Distributed(c1, ops, people_local, cityHash64(org_id))") {
		t.Errorf("sharding key: %s", out[1])
	}
	if err := (MigrateConfig{Cluster: "x; DROP"}).Validate(); err == nil {
		t.Error("a cluster name with SQL in it was accepted")
	}
}

func TestQueryFilesExist(t *testing.T) {
	for _, name := range []string{"table_counts", "ingest_batch_status", "org_list", "org_settings", "existing_keys",
		"source_has_rows", "resolve_people", "resolve_clients", "resolve_projects", "token_by_id", "tokens_list",
		"staging_copy", "staging_copy_orgs", "staging_drop", "ingest_batches_unfinished"} {
		if q := QueryText(name); !strings.Contains(q, "ops.") {
			t.Errorf("%s: %q", name, q)
		}
	}
}

type exclusive bool

func (e exclusive) Exclusive() bool { return bool(e) }

func TestIsExclusive(t *testing.T) {
	for _, tc := range []struct {
		s    any
		want bool
	}{{exclusive(true), true}, {exclusive(false), false}, {struct{}{}, false}, {nil, false}} {
		if got := IsExclusive(tc.s); got != tc.want {
			t.Errorf("IsExclusive(%#v) = %v, want %v", tc.s, got, tc.want)
		}
	}
}
