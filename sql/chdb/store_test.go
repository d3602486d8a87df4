package chdb_test

import (
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
	"github.com/opsmetrics/opsmetrics/sql/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chdbtest.Close()
	os.Exit(code)
}

func engine(t testing.TB) *chdb.Store { return chdbtest.Shared(t) }

func libPath(t testing.TB) string { return chdbtest.LibPath(t) }

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
