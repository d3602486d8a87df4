package dashboards

import (
	"errors"
	"time"

	"github.com/labstack/echo/v4"
)

// CONTRACT STUB (issue 18): the report as a PDF, printed by headless
// Chromium from the report page as the principal of c sees it.

// errNoPDF is what reportPDF answers until PDFs are made.
var errNoPDF = errors.New("reports as PDF are not built yet")

// reportPDF prints client's report of month (its client view when
// clientView) as c's principal sees it, as a PDF.
func (d *server) reportPDF(c echo.Context, client string, month time.Time, clientView bool) ([]byte, error) {
	return nil, errNoPDF
}
