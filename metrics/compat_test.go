package metrics_test

import (
	"os"
	"testing"

	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
	"github.com/opsmetrics/opsmetrics/sql/clickhouse"
)

// `make test` runs this package's KPI and capacity tests a second time with
// OPSMETRICS_TEST_COMPATIBILITY=24.8: the shared engine then starts with
// every setting default of ClickHouse 24.8 (the oldest server opsmetrics
// accepts), so a hand-computed number that depends on a newer default fails
// there. This test proves which run it is in: the engine's compatibility
// setting is the variable's value, or empty when it is unset.
func TestEngineCompatibility(t *testing.T) {
	want := os.Getenv(chdbtest.CompatibilityEnv)
	rows, err := chdbtest.Shared(t).Query(t.Context(), "SELECT getSetting('compatibility')", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := rows.Scan(0, &got); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("the shared engine runs with compatibility = %q, want %q (%s=%q)", got, want, chdbtest.CompatibilityEnv, want)
	}
	// The run is meant for the floor the server engine enforces: when that
	// moves, the Makefile's FLOOR moves with it.
	if want != "" && want != clickhouse.DefaultMinServerVersion {
		t.Errorf("%s=%s, but the oldest server opsmetrics accepts is %s (sql/clickhouse DefaultMinServerVersion): update FLOOR in the Makefile",
			chdbtest.CompatibilityEnv, want, clickhouse.DefaultMinServerVersion)
	}
	t.Logf("compatibility = %q", got)
}
