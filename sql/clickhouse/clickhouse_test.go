package clickhouse

import (
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		fail string // substring of the error, "" for none
	}{
		{Config{DSN: "clickhouse://u:p@127.0.0.1:9000/db"}, ""},
		{Config{DSN: "clickhouse://127.0.0.1:9000", Cluster: "main_2", MinServerVersion: "23.8.1"}, ""},
		{Config{}, "DSN is required"},
		{Config{DSN: "clickhouse://u:topsecret@host:notaport/db"}, "DSN"},
		{Config{DSN: "http://127.0.0.1:8123"}, "native protocol"},
		{Config{DSN: "clickhouse://127.0.0.1:9000", Cluster: "main; DROP"}, "cluster name"},
		{Config{DSN: "clickhouse://127.0.0.1:9000", MinServerVersion: "24"}, "MinServerVersion"},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.fail == "" && err != nil:
			t.Errorf("%+v: %v", tc.cfg, err)
		case tc.fail != "" && (err == nil || !strings.Contains(err.Error(), tc.fail)):
			t.Errorf("%+v: %v, want an error about %s", tc.cfg, err, tc.fail)
		case err != nil && strings.Contains(err.Error(), "topsecret"):
			t.Errorf("error %q shows the password", err)
		}
	}
}

func TestSessionSettings(t *testing.T) {
	v := func(s string) proto.Version {
		t.Helper()
		ver, err := parseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		return ver
	}
	for _, tc := range []struct {
		version string
		cfg     Config
		want    map[string]any
	}{
		{"18.16.1", Config{}, map[string]any{}},
		{"18.16.1", Config{Cluster: "c", MaxExecution: 1500 * time.Millisecond},
			map[string]any{"insert_distributed_sync": 1, "max_execution_time": 2}},
		{"23.6.1", Config{}, map[string]any{"session_timezone": "UTC"}},
		{"24.8.4.13", Config{Cluster: "c", MaxExecution: time.Minute},
			map[string]any{"session_timezone": "UTC", "distributed_foreground_insert": 1, "max_execution_time": 60}},
	} {
		if got := sessionSettings(v(tc.version), tc.cfg); !maps.Equal(got, tc.want) {
			t.Errorf("%s %+v: %v, want %v", tc.version, tc.cfg, got, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	s, i8, f32, d := "s", int8(-3), float32(1.5), decimal.RequireFromString("1.25")
	var nilString *string
	id := uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	for _, tc := range []struct {
		in, want any
	}{
		{int8(-1), int64(-1)},
		{int32(7), int64(7)},
		{uint16(9), uint64(9)},
		{f32, float64(1.5)},
		{true, true},
		{&s, "s"},
		{nilString, nil},
		{&i8, int64(-3)},
		{d, d},
		{&d, d},
		{time.Date(2026, 2, 28, 1, 0, 0, 0, time.FixedZone("x", 3600)), time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)},
		{[]string{}, []any{}},
		{[]*string{&s, nil}, []any{"s", nil}},
		{id, "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
	} {
		got := normalize(reflect.ValueOf(tc.in))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("normalize(%#v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}
