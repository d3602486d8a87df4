package chdb_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/storetest"
)

// One engine per process: every test and benchmark here shares one Store,
// opened on first use and closed by TestMain.
var (
	sharedOnce  sync.Once
	sharedStore *chdb.Store
	sharedErr   error
	sharedDir   string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedStore != nil {
		sharedStore.Close()
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

func engine(t testing.TB) *chdb.Store {
	t.Helper()
	sharedOnce.Do(func() {
		lib := libPath(t)
		sharedDir, sharedErr = os.MkdirTemp("", "opsmetrics-chdb-test-")
		if sharedErr != nil {
			return
		}
		sharedStore, sharedErr = chdb.Open(chdb.Config{LibPath: lib, DataDir: filepath.Join(sharedDir, "data"),
			MaxExecution: 5 * time.Minute, Logger: slog.New(slog.DiscardHandler)})
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedStore
}

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
	storetest.Run(t, engine(t))
}

func TestSecondOpenInProcessIsRefused(t *testing.T) {
	s := engine(t)
	_, err := chdb.Open(chdb.Config{LibPath: libPath(t), DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		t.Fatal("a second engine opened in the same process")
	}
	if want := s.Info().Detail; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the open data directory %s", err, want)
	}
}
