package chdb_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/storetest"
)

// libPath finds libchdb the way the CLI does; `make test` installs it first.
func libPath(t testing.TB) string {
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	p := chdb.LibPath(cache)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("libchdb is not installed at %s: run `make test` (or `go run ./cmd/opsmetrics chdb install`)", p)
	}
	return p
}

func TestConformance(t *testing.T) {
	s, err := chdb.Open(chdb.Config{LibPath: libPath(t), DataDir: filepath.Join(t.TempDir(), "data"),
		MaxExecution: 3 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.Run(t, s)
}
