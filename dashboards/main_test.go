package dashboards

import (
	"os"
	"testing"

	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// TestMain closes the shared engine the settings tests open, and removes
// its data.
func TestMain(m *testing.M) {
	code := m.Run()
	chdbtest.Close()
	os.Exit(code)
}
