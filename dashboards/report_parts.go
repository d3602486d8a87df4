package dashboards

import (
	"html/template"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// A report's commentary and "next month" actions are parts of their own
// (templates/report_parts.html), so the report page, the client's page and
// the overview show them the same way.
//
// CONTRACT STUB (issue 18): read-only; the forms, their handlers and the
// edit history are to come.

// reportNotesPart is a report's commentary: the text in force and its
// history; the internal note only outside the client's view.
type reportNotesPart struct {
	Client     string
	Month      time.Time
	Notes      metrics.Notes
	ClientView bool
	CanWrite   bool // the principal may write (auth.PermReports) and the store takes writes
	CSRF       template.HTML
	Loc        *time.Location
}

// reportActionsPart is a report's "next month" actions and decisions.
type reportActionsPart struct {
	Client     string
	Month      time.Time
	Actions    []metrics.Action
	ClientView bool
	CanWrite   bool
	CSRF       template.HTML
	Today      time.Time // the org's today, for overdue
	Loc        *time.Location
}

// reportParts reads client's commentary and the actions of its report of
// month.
func (d *server) reportParts(c echo.Context, v View, client string, month time.Time, clientView bool) (reportNotesPart, reportActionsPart, error) {
	ctx := c.Request().Context()
	p, _ := auth.PrincipalOf(c)
	canWrite := d.cfg.Reports != nil && p.Can(auth.PermReports) && !clientView
	loc := orgLocation(v.Settings)
	notes, err := metrics.LoadNotes(ctx, d.cfg.Store, v.Org, client, month)
	if err != nil {
		return reportNotesPart{}, reportActionsPart{}, err
	}
	actions, err := metrics.ListActions(ctx, d.cfg.Store, v.Org, metrics.ActionFilter{Client: client, Origin: metrics.OriginReport, Period: month})
	if err != nil {
		return reportNotesPart{}, reportActionsPart{}, err
	}
	np := reportNotesPart{Client: client, Month: month, Notes: notes, ClientView: clientView, CanWrite: canWrite, CSRF: auth.CSRFInput(c), Loc: loc}
	ap := reportActionsPart{Client: client, Month: month, Actions: actions, ClientView: clientView, CanWrite: canWrite, CSRF: auth.CSRFInput(c),
		Today: metrics.Today(d.cfg.Now().In(loc)), Loc: loc}
	return np, ap, nil
}

// registerReportEdits adds the routes that write reports' commentary and
// actions (none yet).
func (d *server) registerReportEdits(g *echo.Group, mw []echo.MiddlewareFunc) {}
