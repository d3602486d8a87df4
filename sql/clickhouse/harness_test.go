package clickhouse

import (
	"fmt"
	"os"
	"testing"

	"github.com/opsmetrics/opsmetrics/sql/clickhouse/chtest"
)

const testPassword = chtest.Password

// server is the clickhouse-server that TestMain starts for every test.
var server *chtest.Server

func TestMain(m *testing.M) {
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

func dsn(password string) string { return server.DSN(password) }
