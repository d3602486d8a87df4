package clickhouse

import "testing"

// OldServerDSN gives the external tests (conformance_test.go) the 18.16
// test server's DSN; it skips t in server mode.
func OldServerDSN(t testing.TB) string { return dsn(t, testPassword) }
