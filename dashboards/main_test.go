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
	if drillFacts != nil {
		drillFacts.Wait() // the drill tests' facts builds, before the engine closes
	}
	if pdfPrinter != nil {
		pdfPrinter.Close() // the PDF tests' browser
	}
	chdbtest.Close()
	os.Exit(code)
}
