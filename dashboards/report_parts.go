package dashboards

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// A report's commentary and "next month" actions are parts of their own
// (templates/report_parts.html), so the report page, the client's page and
// the overview show them the same way. Their forms post to the routes
// registerReportEdits adds; a save redirects back to the report (303) with
// a message, a refused form renders the report again (422) with the
// values typed and a message naming the field and value.

// noteField is one text of a report as its part shows it: the text in
// force, who last saved it and when, and every earlier version, newest
// first.
type noteField struct {
	Field, Label string
	Text         string // in force; the typed text when its form was refused
	Versions     int    // saved versions
	Saved        string // "Written by X at T." or "Edited N times, last by X at T."; "" when never written
	Earlier      []noteVersion
	Error        string // the refused form's message
}

// noteVersion is an earlier version of a text, its time in the org's zone.
type noteVersion struct{ Author, At, Body string }

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
	// Fields are the commentary and (outside the client's view) the
	// internal note; ReadOnly says why the principal cannot write them ("":
	// it can); Flash is the message of the save that led here; Action is
	// where the forms post.
	Fields   []noteField
	ReadOnly string
	Flash    string
	Action   string
}

// actionRow is one action or decision as the table shows it.
type actionRow struct {
	metrics.Action
	Due                       string // in the org's format
	Overdue                   bool
	Status                    string // "open", "closed 3 Dec 2026 by ann@…"
	Close, Reopen, RemoveLink string // where its buttons post
}

// actionForm is the add form as typed (or its defaults).
type actionForm struct {
	Kind, Title, Owner, Due string
}

// ownerOption is a person of the org the owner select offers.
type ownerOption struct {
	ID, Name string
	Selected bool
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
	// Rows are Actions as shown; Form the add form, Owners its choice of
	// people; Error and ErrorField the refused form's message and field;
	// Action where the add form posts; NextMonth the month they are for.
	Rows       []actionRow
	Form       actionForm
	Owners     []ownerOption
	Error      string
	ErrorField string
	ReadOnly   string
	Flash      string
	Action     string
	NextMonth  time.Time
}

// reportFormKey is where a refused report form waits in the echo context
// for reportParts, which shows it in place of the stored text or the
// add form's defaults.
const reportFormKey = "opsmetrics.report_form"

// reportForm is a refused report form: which part (commentary or actions),
// the field refused and the message naming it and its value, and the
// values typed.
type reportForm struct {
	Part, Field, Error string
	Note               string // the note typed, for Part "commentary"
	Action             actionForm
}

// reportReadOnly says why the request's principal cannot write reports,
// "" when it can.
func (d *server) reportReadOnly(p auth.Principal) string {
	switch {
	case !p.Can(auth.PermReports):
		return "Your role may read this report but not write it; admins, partners and ops leads write the commentary and actions."
	case d.cfg.Reports == nil:
		return "Writing reports from the app is not available on this server; use the API (/api/v1/actions) or the CLI (opsmetrics action)."
	}
	return ""
}

// reportQuery is the report page's query for month without the one-off
// message parameters: forms post with it, and saves lead back to it.
func reportQuery(c echo.Context, month time.Time) string {
	q := url.Values{}
	for k, vs := range c.QueryParams() {
		if k != "saved" && k != "edited" {
			q[k] = slices.Clone(vs)
		}
	}
	q.Set("month", month.Format("2006-01"))
	return q.Encode()
}

// defaultDue is the add form's due date: the 15th of the month after the
// report's (the month the actions are for), or a week from today when
// that has passed, moved on to the org's next workday.
func defaultDue(month, today time.Time, workdays uint8) time.Time {
	due := month.AddDate(0, 1, 14)
	if due.Before(today) {
		due = today.AddDate(0, 0, 7)
	}
	for range 7 {
		if workdays&(1<<((int(due.Weekday())+6)%7)) != 0 { // bit 0 = Monday
			break
		}
		due = due.AddDate(0, 0, 1)
	}
	return due
}

// reportParts reads client's commentary and the actions of its report of
// month, with the forms that write them for a principal who may.
func (d *server) reportParts(c echo.Context, v View, client string, month time.Time, clientView bool) (reportNotesPart, reportActionsPart, error) {
	ctx := c.Request().Context()
	p, _ := auth.PrincipalOf(c)
	readOnly := d.reportReadOnly(p)
	canWrite := readOnly == "" && !clientView
	loc := orgLocation(v.Settings)
	today := metrics.Today(d.cfg.Now().In(loc))
	notes, err := metrics.LoadNotes(ctx, d.cfg.Store, v.Org, client, month)
	if err != nil {
		return reportNotesPart{}, reportActionsPart{}, err
	}
	actions, err := metrics.ListActions(ctx, d.cfg.Store, v.Org, metrics.ActionFilter{Client: client, Origin: metrics.OriginReport, Period: month})
	if err != nil {
		return reportNotesPart{}, reportActionsPart{}, err
	}
	refused, _ := c.Get(reportFormKey).(*reportForm)
	if refused == nil {
		refused = &reportForm{}
	}
	flash := ""
	if c.QueryParam("saved") != "" {
		flash = flashOf(c)
	}
	base := "/clients/" + url.PathEscape(client) + "/report"
	query := reportQuery(c, month)

	np := reportNotesPart{Client: client, Month: month, Notes: notes, ClientView: clientView, CanWrite: canWrite, CSRF: auth.CSRFInput(c),
		Loc: loc, ReadOnly: readOnly, Action: base + "/notes?" + query}
	fields := []string{metrics.NoteCommentary, metrics.NoteInternal}
	if clientView {
		fields = fields[:1] // the internal note never reaches the client
	}
	for _, f := range fields {
		nf := noteField{Field: f, Label: map[string]string{metrics.NoteCommentary: "Commentary", metrics.NoteInternal: "Internal note"}[f],
			Text: notes.Text(f), Versions: notes.Edits(f)}
		if !clientView {
			nf.Saved, nf.Earlier = noteHistory(notes, f, loc)
		}
		if refused.Part == "commentary" && refused.Field == f {
			nf.Text, nf.Error = refused.Note, refused.Error
		}
		np.Fields = append(np.Fields, nf)
	}

	ap := reportActionsPart{Client: client, Month: month, Actions: actions, ClientView: clientView, CanWrite: canWrite, CSRF: auth.CSRFInput(c),
		Today: today, Loc: loc, ReadOnly: readOnly, Action: base + "/actions?" + query, NextMonth: month.AddDate(0, 1, 0)}
	for _, a := range actions {
		r := actionRow{Action: a, Due: fmtDay(a.Due), Overdue: !clientView && a.Overdue(today), Status: a.Status}
		if a.Status == metrics.ActionClosed && a.ClosedAt != nil {
			r.Status = "closed " + fmtDay(a.ClosedAt.In(loc))
			if !clientView && a.ClosedBy != "" {
				r.Status += " by " + a.ClosedBy
			}
		}
		at := base + "/actions/" + url.PathEscape(a.ID)
		r.Close, r.Reopen, r.RemoveLink = at+"/close?"+query, at+"/reopen?"+query, at+"/remove?"+query
		ap.Rows = append(ap.Rows, r)
	}
	switch {
	case refused.Part == "actions":
		ap.Form, ap.Error, ap.ErrorField = refused.Action, refused.Error, refused.Field
	default:
		ap.Form = actionForm{Kind: metrics.ActionKind, Due: defaultDue(month, today, v.Settings.WithDefaults().Workdays).Format(time.DateOnly)}
	}
	if c.QueryParam("edited") == "actions" {
		ap.Flash = flash
	} else {
		np.Flash = flash
	}
	if canWrite {
		names, err := metrics.LoadNames(ctx, d.cfg.Store, v.Org)
		if err != nil {
			return np, ap, err
		}
		known := false
		for _, n := range names.Of("person") {
			sel := n.ID == ap.Form.Owner
			known = known || sel
			ap.Owners = append(ap.Owners, ownerOption{ID: n.ID, Name: n.Name, Selected: sel})
		}
		slices.SortStableFunc(ap.Owners, func(a, b ownerOption) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
		if !known && ap.Form.Owner != "" {
			// kept as typed, so the form shows what was refused
			ap.Owners = append([]ownerOption{{ID: ap.Form.Owner, Name: ap.Form.Owner + " (not a person of the org)", Selected: true}}, ap.Owners...)
		}
	}
	return np, ap, nil
}

// noteHistory says who saved field last and when, and lists the versions
// before the one in force, newest first.
func noteHistory(notes metrics.Notes, field string, loc *time.Location) (saved string, earlier []noteVersion) {
	var all []metrics.Note
	for _, n := range notes.History {
		if n.Field == field {
			all = append(all, n)
		}
	}
	if len(all) == 0 {
		return "", nil
	}
	last := all[len(all)-1]
	if len(all) == 1 {
		saved = fmt.Sprintf("Written by %s at %s.", last.Author, fmtTime(last.At, loc))
	} else {
		times := "times"
		if len(all) == 2 {
			times = "time"
		}
		saved = fmt.Sprintf("Edited %d %s, last by %s at %s.", len(all)-1, times, last.Author, fmtTime(last.At, loc))
	}
	for i := len(all) - 2; i >= 0; i-- {
		earlier = append(earlier, noteVersion{Author: all[i].Author, At: fmtTime(all[i].At, loc), Body: all[i].Body})
	}
	return saved, earlier
}

// registerReportEdits adds the routes that write reports' commentary and
// actions: each a form post (mw brings the session and CSRF check) by a
// principal with auth.PermReports, others get the 403 page.
func (d *server) registerReportEdits(g *echo.Group, mw []echo.MiddlewareFunc) {
	mw = append(slices.Clip(mw), d.requirePerm(auth.PermReports,
		"Writing a report's commentary and actions is for admins, partners and ops leads; ask an admin for one of those roles."))
	g.POST("/clients/:id/report/notes", d.saveReportNote, mw...)
	g.POST("/clients/:id/report/actions", d.addReportAction, mw...)
	g.POST("/clients/:id/report/actions/:action/close", d.setReportAction(true), mw...)
	g.POST("/clients/:id/report/actions/:action/reopen", d.setReportAction(false), mw...)
	g.POST("/clients/:id/report/actions/:action/remove", d.removeReportAction, mw...)
}

// reportEdit is what every report form's handler starts with: the org and
// client the path names, the report's month (the form's month, else the
// query's) and who writes. A server without Config.Reports refuses (403).
func (d *server) reportEdit(c echo.Context) (v View, client string, month time.Time, who string, done bool, err error) {
	p, _ := auth.PrincipalOf(c)
	if why := d.reportReadOnly(p); why != "" {
		return v, "", month, "", false, d.forbidden(c, why)
	}
	if v, _, client, done, err = d.drillTarget(c, "client"); err != nil || done {
		return v, client, month, "", done, err
	}
	m := c.FormValue("month")
	if m == "" {
		m = c.QueryParam("month")
	}
	if month, err = metrics.ParseMonth(m); err != nil {
		return v, client, month, "", false, echo.NewHTTPError(http.StatusBadRequest, metrics.Message(err))
	}
	return v, client, month, p.Who(), false, nil
}

// reportSaved leads back to the report with msg shown in part.
func reportSaved(c echo.Context, client string, month time.Time, part, msg string) error {
	return flashRedirect(c, "/clients/"+url.PathEscape(client)+"/report?"+reportQuery(c, month)+"&edited="+part, msg)
}

// refuse renders the report page again, answered 422, with the form f
// shows in place (reportParts reads it from the context).
func (d *server) refuse(c echo.Context, f *reportForm) error {
	c.Set(reportFormKey, f)
	w := c.Response()
	orig := w.Writer
	w.Writer = statusAs{orig, http.StatusUnprocessableEntity}
	defer func() { w.Writer = orig }()
	if err := d.report(c); err != nil {
		return err
	}
	if w.Status == http.StatusOK {
		w.Status = http.StatusUnprocessableEntity // what the client got, for the access log
	}
	return nil
}

// statusAs answers code where the handler writes 200: the report page,
// rendered for a refused form.
type statusAs struct {
	http.ResponseWriter
	code int
}

func (s statusAs) WriteHeader(code int) {
	if code == http.StatusOK {
		code = s.code
	}
	s.ResponseWriter.WriteHeader(code)
}

// saveReportNote saves the commentary or the internal note of a client's
// report (metrics.SaveNote; an unchanged text saves nothing).
func (d *server) saveReportNote(c echo.Context) error {
	v, client, month, who, done, err := d.reportEdit(c)
	if err != nil || done {
		return err
	}
	field, body := c.FormValue("field"), c.FormValue("body")
	saved, err := metrics.SaveNote(c.Request().Context(), d.cfg.Reports, v.Org,
		metrics.Note{Client: client, Period: month, Field: field, Body: body, Author: who}, d.cfg.Now())
	if errors.Is(err, metrics.ErrBadRequest) {
		if !slices.Contains(metrics.ReportNoteFields, field) {
			return echo.NewHTTPError(http.StatusBadRequest, metrics.Message(err))
		}
		return d.refuse(c, &reportForm{Part: "commentary", Field: field, Error: metrics.Message(err), Note: body})
	}
	if err != nil {
		return err
	}
	label := map[string]string{metrics.NoteCommentary: "Commentary", metrics.NoteInternal: "Internal note"}[field]
	msg := label + " saved."
	if !saved {
		msg = label + " unchanged: the text is the one already saved."
	}
	return reportSaved(c, client, month, "commentary", msg)
}

// addReportAction adds an action or decision to a client's report
// (metrics.AddAction): the owner a person of the org, the due date a day
// as YYYY-MM-DD.
func (d *server) addReportAction(c echo.Context) error {
	v, client, month, who, done, err := d.reportEdit(c)
	if err != nil || done {
		return err
	}
	f := actionForm{Kind: c.FormValue("kind"), Title: c.FormValue("title"), Owner: c.FormValue("owner"), Due: strings.TrimSpace(c.FormValue("due"))}
	a := metrics.Action{Client: client, Origin: metrics.OriginReport, Period: month, Kind: f.Kind, Title: f.Title, Owner: f.Owner}
	if f.Due != "" {
		if a.Due, err = time.Parse(time.DateOnly, f.Due); err != nil {
			return d.refuse(c, &reportForm{Part: "actions", Field: "due", Action: f,
				Error: fmt.Sprintf("due %q: not a date as YYYY-MM-DD, such as %s", f.Due, month.AddDate(0, 1, 14).Format(time.DateOnly))})
		}
	}
	added, err := metrics.AddAction(c.Request().Context(), d.cfg.Reports, v.Org, who, a, d.cfg.Now())
	if errors.Is(err, metrics.ErrBadRequest) {
		field, msg := actionProblem(err)
		return d.refuse(c, &reportForm{Part: "actions", Field: field, Error: msg, Action: f})
	}
	if err != nil {
		return err
	}
	return reportSaved(c, client, month, "actions",
		fmt.Sprintf("Added %s %q, owned by %s, due %s.", added.Kind, added.Title, added.OwnerName, fmtDay(added.Due)))
}

// actionProblem is the add form's field a refused action is about, and the
// message naming it and its value.
func actionProblem(err error) (field, msg string) {
	if fe, ok := errors.AsType[*metrics.FilterError](err); ok && fe.Kind == "person" {
		return "owner", "owner: " + fe.Error()
	}
	msg = metrics.Message(err)
	field, _, _ = strings.Cut(msg, " ")
	return strings.TrimSuffix(field, ":"), msg
}

// reportAction is the action the path names, of the client the path
// names; a 404 naming it otherwise.
func (d *server) reportAction(c echo.Context, org, client string) (metrics.Action, error) {
	id := c.Param("action")
	list, err := metrics.ListActions(c.Request().Context(), d.cfg.Store, org, metrics.ActionFilter{Client: client})
	if err != nil {
		return metrics.Action{}, err
	}
	i := slices.IndexFunc(list, func(a metrics.Action) bool { return a.ID == id })
	if i < 0 {
		return metrics.Action{}, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("action %q: client %s has no such action", id, client))
	}
	return list[i], nil
}

// setReportAction closes (closed) or reopens an action of a client's
// report (metrics.SetActionStatus).
func (d *server) setReportAction(closed bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		v, client, month, who, done, err := d.reportEdit(c)
		if err != nil || done {
			return err
		}
		a, err := d.reportAction(c, v.Org, client)
		if err != nil {
			return err
		}
		if _, _, err := metrics.SetActionStatus(c.Request().Context(), d.cfg.Reports, v.Org, who, a.ID, closed, d.cfg.Now()); err != nil {
			return err
		}
		msg := fmt.Sprintf("Closed %q.", a.Title)
		if !closed {
			msg = fmt.Sprintf("Reopened %q.", a.Title)
		}
		return reportSaved(c, client, month, "actions", msg)
	}
}

// removeReportAction removes an action added by mistake
// (metrics.RemoveAction; a done one is closed instead).
func (d *server) removeReportAction(c echo.Context) error {
	v, client, month, who, done, err := d.reportEdit(c)
	if err != nil || done {
		return err
	}
	a, err := d.reportAction(c, v.Org, client)
	if err != nil {
		return err
	}
	if _, err := metrics.RemoveAction(c.Request().Context(), d.cfg.Reports, v.Org, who, a.ID, d.cfg.Now()); err != nil {
		return err
	}
	return reportSaved(c, client, month, "actions", fmt.Sprintf("Removed %q.", a.Title))
}
