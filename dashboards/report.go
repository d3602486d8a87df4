package dashboards

import (
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// reportBody is a client's monthly report (/clients/{id}/report): the
// internal view by default, the client's view with view=client.
//
// CONTRACT STUB (issue 18): the report's numbers and sections replace this;
// the commentary and actions parts come from reportParts (report_parts.go).
type reportBody struct {
	Client     string
	ClientName string
	Month      time.Time
	ClientView bool
	Commentary reportNotesPart
	Actions    reportActionsPart
}

// report serves /clients/{id}/report?month=YYYY-MM[&view=client].
func (d *server) report(c echo.Context) error {
	v, all, id, done, err := d.drillTarget(c, "client")
	if err != nil || done {
		return err
	}
	month := metrics.MonthStart(v.From)
	if m := c.QueryParam("month"); m != "" {
		if month, err = metrics.ParseMonth(m); err != nil {
			return err
		}
	}
	n := namesOf(all)
	clientView := c.QueryParam("view") == "client"
	body := reportBody{Client: id, ClientName: n.of("client", id), Month: month, ClientView: clientView}
	if body.Commentary, body.Actions, err = d.reportParts(c, v, id, month, clientView); err != nil {
		return err
	}
	back := backPage(c, "/margin")
	return d.drillRender(c, "report", v, n, back, "Report: "+body.ClientName+", "+month.Format("January 2006"), "Report "+month.Format("Jan 2006"),
		"The month's contracted KPIs, deliverables, commentary and next month's actions", []Crumb{{body.ClientName, drillLink(v, back.Path, "client", id)}}, body, nil)
}
