package clickhouse_test

import (
	"errors"
	"strings"
	"testing"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/clickhouse"
	"github.com/opsmetrics/opsmetrics/sql/storetest"
)

// TestConformance runs the store conformance suite on the ClickHouse server
// named by $OPSMETRICS_TEST_CLICKHOUSE_DSN (server mode; docs/deploy.md),
// in a fresh database ops. The GitHub Actions workflow runs it on 24.8 and
// the current LTS; without the variable there is no server to run it on
// here (Debian's 18.16 is too old for the schema).
func TestConformance(t *testing.T) {
	dsn := storetest.ServerDSN()
	if dsn == "" {
		t.Skipf("server mode only: set %s to a ClickHouse 24.8+ server (docs/deploy.md, \"Server-mode tests\")", storetest.EnvDSN)
	}
	s, err := storetest.OpenServer(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	t.Logf("server mode: ClickHouse %s at %s", s.Info().Version, s.Info().Detail)
	storetest.Run(t, s)
}

// The server-mode switch keeps the version floor: pointed at the 18.16 test
// server, it refuses it before touching any database, naming the variable,
// the server's version and the floor.
func TestServerModeRefusesOldServer(t *testing.T) {
	_, err := storetest.OpenServer(t.Context(), clickhouse.OldServerDSN(t))
	if !errors.Is(err, store.ErrTooOld) {
		t.Fatalf("server mode on 18.16: %v, want ErrTooOld", err)
	}
	for _, want := range []string{storetest.EnvDSN, "18.16", clickhouse.DefaultMinServerVersion} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not name %s", err, want)
		}
	}
}
