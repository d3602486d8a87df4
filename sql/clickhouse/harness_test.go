package clickhouse

import (
	"fmt"
	"os"
	"testing"

	"github.com/opsmetrics/opsmetrics/sql/clickhouse/chtest"
)

const testPassword = chtest.Password

// server is the clickhouse-server that TestMain starts for every test; nil
// in server mode.
var server *chtest.Server

// serverModeEnv is storetest.EnvDSN (storetest imports this package, so this
// test cannot import it): when set, the tests run on that server
// (TestConformance) and TestMain starts no 18.16 server.
const serverModeEnv = "OPSMETRICS_TEST_CLICKHOUSE_DSN"

func TestMain(m *testing.M) {
	if os.Getenv(serverModeEnv) != "" {
		os.Exit(m.Run())
	}
	os.Exit(runWithServer(m))
}

// runWithServer starts one clickhouse-server, runs the tests and stops it. It
// fails the run, never skips it, when the server is missing or does not start.
func runWithServer(m *testing.M) int {
	dir, err := os.MkdirTemp("", "clickhouse-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	server, err = chtest.Start(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: start clickhouse-server: %v\n", err)
		return 1
	}
	defer server.Stop()
	return m.Run()
}

// dsn is the 18.16 test server's DSN with password; it skips t in server
// mode, where no 18.16 server runs.
func dsn(t testing.TB, password string) string {
	t.Helper()
	if server == nil {
		t.Skipf("needs the 18.16 test server, which TestMain does not start while %s is set", serverModeEnv)
	}
	return server.DSN(password)
}
