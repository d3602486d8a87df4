package storetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
	"github.com/opsmetrics/opsmetrics/sql/clickhouse"
)

// EnvDSN names the environment variable that puts the store tests in server
// mode: set to a ClickHouse server's native DSN
// (clickhouse://default:@127.0.0.1:9000/default), the store conformance
// suite (sql/clickhouse's TestConformance) and the KPI tests (metrics/) run
// on that server instead of the embedded engine. The GitHub Actions workflow
// (.github/workflows/ci.yml) sets it for its server job; docs/deploy.md says
// how to run it by hand.
//
// Every test process of that run drops and recreates the database ops on
// that server, so point it at a throwaway server only, and run one test
// package at a time (go test -p 1): two packages would drop each other's ops.
const EnvDSN = "OPSMETRICS_TEST_CLICKHOUSE_DSN"

// ownerTable marks a database ops that a server-mode test run created. A
// run drops ops only when it is absent or holds this table, so a DSN that
// points at a server with real data is refused rather than emptied.
const ownerTable = "ops.servertest_owner"

// ServerDSN returns the server-mode DSN ($OPSMETRICS_TEST_CLICKHOUSE_DSN),
// or "" when the tests run on the embedded engine.
func ServerDSN() string { return os.Getenv(EnvDSN) }

// OpenServer opens the ClickHouse server at dsn for a test run and gives it a
// fresh database ops, migrated, so that a run can be repeated. A server
// older than clickhouse.DefaultMinServerVersion is refused with a
// *store.Error of kind store.ErrTooOld that names both versions and the
// address; a database ops that this helper did not create is refused too,
// and left as it is. The caller closes the store.
func OpenServer(ctx context.Context, dsn string) (*clickhouse.Store, error) {
	s, err := clickhouse.Open(ctx, clickhouse.Config{DSN: dsn, MaxExecution: 5 * time.Minute,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvDSN, err)
	}
	if err := freshOps(ctx, s); err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: %w", EnvDSN, err)
	}
	return s, nil
}

// freshOps drops ops (when this helper made it), migrates it anew and marks it.
func freshOps(ctx context.Context, s store.Store) error {
	count := func(q string) (int, error) {
		rows, err := s.Query(ctx, q, nil)
		if err != nil {
			return 0, err
		}
		var n int
		return n, rows.Scan(0, &n)
	}
	dbs, err := count("SELECT count() FROM system.databases WHERE name = 'ops'")
	if err != nil {
		return err
	}
	if dbs > 0 {
		owned, err := count("SELECT count() FROM system.tables WHERE database = 'ops' AND name = 'servertest_owner'")
		if err != nil {
			return err
		}
		if owned == 0 {
			return fmt.Errorf("the server at %s already has a database ops that no server-mode test run made "+
				"(it has no table %s): the tests drop ops, so use a throwaway server, or drop ops there yourself",
				s.Info().Detail, ownerTable)
		}
		if err := s.Exec(ctx, "DROP DATABASE ops SYNC", nil); err != nil {
			return fmt.Errorf("drop the previous run's database ops: %w", err)
		}
	}
	if _, err := store.Migrate(ctx, s, store.MigrateConfig{}); err != nil {
		return fmt.Errorf("migrate a fresh ops: %w", err)
	}
	if err := s.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+ownerTable+" (created DateTime DEFAULT now()) ENGINE = TinyLog", nil); err != nil {
		return fmt.Errorf("mark ops as the tests': %w", err)
	}
	return nil
}

var (
	sharedOnce   sync.Once
	sharedServer *clickhouse.Store
	sharedErr    error
)

// Shared returns the store the tests of one process share: in server mode
// ($OPSMETRICS_TEST_CLICKHOUSE_DSN set) the server, opened once with a fresh
// migrated ops (OpenServer); else the embedded engine of chdbtest.Shared.
// It fails tb when the store cannot be opened. Call Close at the end of
// TestMain.
func Shared(tb testing.TB) store.Store {
	tb.Helper()
	dsn := ServerDSN()
	if dsn == "" {
		return chdbtest.Shared(tb)
	}
	sharedOnce.Do(func() { sharedServer, sharedErr = OpenServer(context.Background(), dsn) })
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return sharedServer
}

// Embedded skips tb in server mode, saying why: reason names what the test
// needs that only the embedded engine has.
func Embedded(tb testing.TB, reason string) {
	tb.Helper()
	if ServerDSN() != "" {
		tb.Skipf("needs the embedded engine (%s); %s is set, so the tests run on a ClickHouse server", reason, EnvDSN)
	}
}

// Close closes what Shared opened: the server's connections or the
// embedded engine (and its data).
func Close() {
	if sharedServer != nil {
		if err := sharedServer.Close(); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "close the server-mode store:", err)
		}
	}
	chdbtest.Close()
}
