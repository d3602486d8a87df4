package storetest

import (
	"os"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chdbtest.Close()
	os.Exit(code)
}

// freshOps (the server mode's fresh database) refuses an ops it did not make,
// and drops and re-migrates one it did: here on the embedded engine, the
// same SQL a server runs.
func TestFreshOps(t *testing.T) {
	s := chdbtest.Shared(t) // ops migrated, without the owner table: someone else's
	ctx := t.Context()
	err := freshOps(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "already has a database ops") {
		t.Fatalf("freshOps on an ops it did not make: %v, want a refusal", err)
	}
	count := func(q string) int {
		t.Helper()
		rows, err := s.Query(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := rows.Scan(0, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count("SELECT count() FROM system.tables WHERE database = 'ops' AND name = 'orgs'") != 1 {
		t.Fatal("the refusal dropped ops.orgs")
	}
	if err := s.Exec(ctx, "INSERT INTO ops.orgs (org_id, name) VALUES ('left-over', 'L')", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(ctx, "CREATE TABLE "+ownerTable+" (created DateTime DEFAULT now()) ENGINE = TinyLog", nil); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ { // a run can be repeated
		if err := freshOps(ctx, s); err != nil {
			t.Fatalf("run %d: freshOps on its own ops: %v", run, err)
		}
		if n := count("SELECT count() FROM ops.orgs"); n != 0 {
			t.Errorf("run %d: ops.orgs has %d rows after freshOps, want a fresh database", run, n)
		}
		if n := count("SELECT count() FROM system.tables WHERE database = 'ops' AND name = 'servertest_owner'"); n != 1 {
			t.Errorf("run %d: ops is not marked as the tests' after freshOps", run)
		}
	}
}
