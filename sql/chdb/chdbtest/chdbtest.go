// Package chdbtest gives tests the embedded engine: the libchdb that
// `make test` installs, and one migrated store per test process (an engine
// runs once per process).
package chdbtest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

// LibPath returns CHDB_LIB_PATH or the installed libchdb, and fails t with
// what to do when there is none.
func LibPath(t testing.TB) string {
	t.Helper()
	p := os.Getenv("CHDB_LIB_PATH")
	if p == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		p = chdb.LibPath(cache)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("libchdb is not installed at %s: run `make test` (or `go run ./cmd/opsmetrics chdb install`)", p)
	}
	return p
}

var (
	once   sync.Once
	shared *chdb.Store
	dir    string
	err    error
)

// Shared returns the test process's engine, on a temporary data directory
// with the schema migrated. Call Close at the end of TestMain.
func Shared(t testing.TB) *chdb.Store {
	t.Helper()
	once.Do(func() {
		lib := LibPath(t)
		if dir, err = os.MkdirTemp("", "opsmetrics-test-"); err != nil {
			return
		}
		shared, err = chdb.Open(chdb.Config{LibPath: lib, DataDir: filepath.Join(dir, "data"),
			MaxExecution: 5 * time.Minute, Args: compatibilityArgs(), Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			_, err = store.Migrate(context.Background(), shared, store.MigrateConfig{})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return shared
}

// CompatibilityEnv names the environment variable that starts the shared
// engine with `compatibility` set to its value (e.g. 24.8): every setting
// default as that release had it, so tests run as on the oldest server
// opsmetrics supports (`make test` runs the KPI tests so).
const CompatibilityEnv = "OPSMETRICS_TEST_COMPATIBILITY"

func compatibilityArgs() []string {
	if v := os.Getenv(CompatibilityEnv); v != "" {
		return []string{"--compatibility=" + v}
	}
	return nil
}

// Close closes the shared engine, if it was opened, and removes its data.
func Close() {
	if shared != nil {
		shared.Close()
	}
	if dir != "" {
		os.RemoveAll(dir)
	}
}

// Bench opens the data directory named by the environment variable envVar
// (a benchmark's data, loaded by script) with OPSMETRICS_CHDB_ARGS, and
// migrates it (data loaded by an older build). It skips the benchmark when
// envVar is not set. The caller closes the store.
func Bench(b *testing.B, envVar, script string) *chdb.Store {
	b.Helper()
	dir := os.Getenv(envVar)
	if dir == "" {
		b.Skip("set " + envVar + " to a data directory loaded by " + script)
	}
	var args []string
	if a := os.Getenv("OPSMETRICS_CHDB_ARGS"); a != "" {
		args = strings.Fields(a)
	}
	s, err := chdb.Open(chdb.Config{LibPath: LibPath(b), DataDir: dir, Args: args, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.Migrate(context.Background(), s, store.MigrateConfig{}); err != nil {
		s.Close()
		b.Fatal(err)
	}
	return s
}
