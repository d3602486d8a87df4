package dashboards

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
)

// /reports: every client's monthly report of a month, its draft (prepared
// on the month after's first workday by the scheduler, or with "Prepare
// drafts now"), whether it has commentary and actions, who receives it,
// and, for a partner with SMTP configured, sending it after review.

// ReportMailer sends a client's report with its PDF (auth.Mailer).
type ReportMailer interface {
	SendReport(ctx context.Context, to []string, subject, text, fileName string, pdf []byte) error
}

var _ ReportMailer = (*auth.Mailer)(nil)

// smtpHowTo says how to turn sending on.
const smtpHowTo = "Sending reports from here needs a mail server: start serve with --smtp-url smtp://user:password@host:587 and " +
	"--smtp-from reports@your-agency.example (or OPSMETRICS_SMTP_URL and OPSMETRICS_SMTP_FROM; docs/reports.md). " +
	"Until then, download a report's PDF and send it yourself."

// registerReports adds /reports, its drafts and sending.
func (d *server) registerReports(g *echo.Group, mw []echo.MiddlewareFunc) {
	g.GET("/reports", d.reports, mw...)
	send := append(slices.Clip(mw), d.requirePerm(auth.PermSend, "Sending a report to its client is for partners and admins; ask one to send it."))
	g.GET("/reports/send", d.confirmSend, send...)
	g.POST("/reports/send", d.sendReport, send...)
	g.POST("/reports/prepare", d.prepareDrafts, append(slices.Clip(mw),
		d.requirePerm(auth.PermReports, "Preparing report drafts is for admins, partners and ops leads."))...)
}

// reportsBody is /reports' own part.
type reportsBody struct {
	Month, MonthName string // 2026-11, November 2026
	Prev, Next       string // the months before and after, Next "" when Month is the last complete one
	PrevName         string // October 2026
	NextName         string
	Rows             []draftRow
	Missing          int    // clients without a draft
	Internal         string // the internal clients (the agency's own work), which get no report
	Due              string // when the month's drafts are (or were) prepared
	CanPrepare       bool   // the principal may prepare drafts, the store takes them, and the month is over
	CanSend          bool   // the principal may send, SMTP is configured and the store takes writes
	MailNote         string // why a principal who may send sees no Send
	ReadOnly         string
	Flash            string
}

// draftRow is one client's report of the month.
type draftRow struct {
	Client, Name            string
	Report, ClientView, PDF string // links
	Status                  string // not prepared, prepared, sent
	StatusText              string // with when, by whom and to whom
	Detail                  string // StatusText without the status
	Commentary              bool
	Actions, OpenActions    int
	Recipients              []string
	SentBefore              bool
}

// reportsMonth reads ?month= (default: the last complete month in the
// org's zone) and returns it with the last complete month.
func reportsMonth(c echo.Context, now time.Time, loc *time.Location) (month, last time.Time, err error) {
	last = metrics.MonthStart(metrics.Today(now.In(loc))).AddDate(0, -1, 0)
	month = last
	if m := c.QueryParam("month"); m != "" {
		if month, err = parseMonth(m); err != nil {
			return month, last, err
		}
	}
	return month, last, nil
}

// reports serves /reports?month=YYYY-MM.
func (d *server) reports(c echo.Context) error {
	v, err := d.view(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, _ := auth.PrincipalOf(c)
	loc := orgLocation(v.Settings)
	month, last, err := reportsMonth(c, d.cfg.Now(), loc)
	if err != nil {
		return err
	}
	body := reportsBody{Month: month.Format("2006-01"), MonthName: month.Format("January 2006"), Prev: month.AddDate(0, -1, 0).Format("2006-01"),
		PrevName: month.AddDate(0, -1, 0).Format("January 2006"), Flash: flashOf(c)}
	if month.Before(last) {
		body.Next, body.NextName = month.AddDate(0, 1, 0).Format("2006-01"), month.AddDate(0, 1, 0).Format("January 2006")
	}
	prepareOn := metrics.FirstWorkday(month.AddDate(0, 1, 0), v.Settings.Workdays)
	verb := "are prepared"
	if metrics.Today(d.cfg.Now().In(loc)).Before(prepareOn) {
		verb = "will be prepared"
	}
	body.Due = fmt.Sprintf("Drafts of %s %s on %s, the first workday of %s (%s).", body.MonthName, verb,
		prepareOn.Format("Mon 2 Jan 2006"), prepareOn.Format("January"), v.Settings.WithDefaults().TimeZone)
	switch {
	case d.cfg.Reports == nil:
		body.ReadOnly = "Reports are read-only here: this server does not write drafts or send reports."
	case p.Can(auth.PermSend) && d.cfg.ReportMailer == nil:
		body.MailNote = smtpHowTo
	}
	body.CanPrepare = d.cfg.Reports != nil && p.Can(auth.PermReports) && !month.After(last)
	body.CanSend = d.cfg.Reports != nil && p.Can(auth.PermSend) && d.cfg.ReportMailer != nil

	all, err := metrics.LoadReportSettings(ctx, d.cfg.Store, v.Org, "")
	if err != nil {
		return err
	}
	var settings []metrics.ReportSettings
	var internal []string
	for _, s := range all {
		if s.Internal {
			internal = append(internal, s.ClientName)
			continue
		}
		settings = append(settings, s)
	}
	body.Internal = strings.Join(internal, ", ")
	drafts, err := metrics.ListDrafts(ctx, d.cfg.Store, v.Org, month)
	if err != nil {
		return err
	}
	actions, err := metrics.ListActions(ctx, d.cfg.Store, v.Org, metrics.ActionFilter{Origin: metrics.OriginReport, Period: month})
	if err != nil {
		return err
	}
	commentary, err := metrics.CommentaryWritten(ctx, d.cfg.Store, v.Org, month)
	if err != nil {
		return err
	}
	m := body.Month
	for _, s := range settings {
		row := draftRow{Client: s.Client, Name: s.ClientName, Commentary: commentary[s.Client], Recipients: s.Recipients, Status: "not prepared",
			StatusText: "not prepared",
			Report:     "/clients/" + url.PathEscape(s.Client) + "/report?month=" + m,
			ClientView: "/clients/" + url.PathEscape(s.Client) + "/report?month=" + m + "&view=client",
			PDF:        "/clients/" + url.PathEscape(s.Client) + "/report.pdf?month=" + m + "&view=client"}
		for _, a := range actions {
			if a.Client == s.Client {
				row.Actions++
				if a.Status == metrics.ActionOpen {
					row.OpenActions++
				}
			}
		}
		if j := slices.IndexFunc(drafts, func(x metrics.Draft) bool { return x.Client == s.Client }); j >= 0 {
			row.Status, row.StatusText = draftStatus(drafts[j], loc)
			row.Detail = strings.TrimPrefix(row.StatusText, row.Status+" ")
			row.SentBefore = drafts[j].Status == metrics.DraftSent
		} else {
			body.Missing++
		}
		body.Rows = append(body.Rows, row)
	}
	slices.SortStableFunc(body.Rows, func(a, b draftRow) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return d.renderReports(c, http.StatusOK, "reports", v, body)
}

// draftStatus is a draft's status and its text: prepared at T, or sent at
// T by X to Y.
func draftStatus(x metrics.Draft, loc *time.Location) (status, text string) {
	if x.Status == metrics.DraftSent && x.SentAt != nil {
		return "sent", fmt.Sprintf("sent %s by %s to %s", fmtTime(*x.SentAt, loc), x.SentBy, strings.Join(x.SentTo, ", "))
	}
	return "prepared", "prepared " + fmtTime(x.PreparedAt, loc)
}

// prepareDrafts prepares the missing drafts of the form's month.
func (d *server) prepareDrafts(c echo.Context) error {
	v, err := d.view(c)
	if err != nil {
		return err
	}
	if d.cfg.Reports == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "reports are read-only on this server: no drafts are written")
	}
	loc := orgLocation(v.Settings)
	now := d.cfg.Now()
	_, last, _ := reportsMonth(c, now, loc)
	month, err := parseMonth(c.FormValue("month"))
	if err != nil {
		return err
	}
	if month.After(last) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity,
			fmt.Sprintf("month %q: not over yet; drafts are of complete months, the last being %s", c.FormValue("month"), last.Format("2006-01")))
	}
	n, err := metrics.PrepareDrafts(c.Request().Context(), d.cfg.Reports, v.Org, month, now)
	if n > 0 && d.cfg.DraftsPrepared != nil {
		d.cfg.DraftsPrepared(v.Org, n)
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Prepared %d drafts of %s.", n, month.Format("January 2006"))
	switch n {
	case 0:
		msg = "Every client's draft of " + month.Format("January 2006") + " was prepared already; nothing to do."
	case 1:
		msg = "Prepared 1 draft of " + month.Format("January 2006") + "."
	}
	return reportsRedirect(c, month, msg)
}

// reportsRedirect shows /reports of month with msg above it (the flash
// cookie flashRedirect sets, as /reports has a query of its own).
func reportsRedirect(c echo.Context, month time.Time, msg string) error {
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", MaxAge: 60, HttpOnly: true,
		Secure: c.Scheme() == "https", SameSite: http.SameSiteStrictMode})
	return c.Redirect(http.StatusSeeOther, "/reports?month="+month.Format("2006-01")+"&saved=note")
}

// sendBody is the confirmation of sending a client's report: what goes
// out, and after a refusal or a failure, why nothing did.
type sendBody struct {
	Client, ClientName string
	Month, MonthName   string
	To                 []string
	Subject, Text      string
	FileName           string
	// SentBefore says when the report was sent already; Seen is that time
	// as the form carries it, so a send made meanwhile asks again.
	SentBefore, Seen string
	Error            string
	CanSend          bool
	Settings         string // the report's page, where its recipients are set
	// NoCommentary: the team has written no commentary for the month, so
	// the client would get the numbers without a word on what they mean.
	NoCommentary bool
}

// reportMail is what sending client's report of month would send.
func (d *server) reportMail(c echo.Context, v View, client string, month time.Time) (sendBody, *metrics.Draft, error) {
	ctx := c.Request().Context()
	b := sendBody{Month: month.Format("2006-01"), MonthName: month.Format("January 2006")}
	rs, err := metrics.LoadReportSettings(ctx, d.cfg.Store, v.Org, client)
	if err != nil {
		var fe *metrics.FilterError
		if errors.As(err, &fe) {
			return b, nil, echo.NewHTTPError(http.StatusUnprocessableEntity, "client: "+fe.Error())
		}
		return b, nil, err
	}
	r := rs[0]
	b.Client, b.ClientName, b.To = r.Client, r.ClientName, r.Recipients
	b.Settings = "/clients/" + url.PathEscape(r.Client) + "/report?month=" + b.Month
	agency := cmp.Or(v.Settings.Name, v.Org)
	b.Subject = fmt.Sprintf("%s — %s report, %s", agency, b.ClientName, b.MonthName)
	b.FileName = reportFileName(b.ClientName, r.Client, month)
	notes, err := metrics.LoadNotes(ctx, d.cfg.Store, v.Org, r.Client, month)
	if err != nil {
		return b, nil, err
	}
	actions, err := metrics.ListActions(ctx, d.cfg.Store, v.Org, metrics.ActionFilter{Client: r.Client, Origin: metrics.OriginReport, Period: month})
	if err != nil {
		return b, nil, err
	}
	b.Text = reportText(agency, b.ClientName, b.MonthName, b.FileName, notes.Text(metrics.NoteCommentary), actions)
	b.NoCommentary = notes.Text(metrics.NoteCommentary) == ""
	drafts, err := metrics.ListDrafts(ctx, d.cfg.Store, v.Org, month)
	if err != nil {
		return b, nil, err
	}
	var draft *metrics.Draft
	if i := slices.IndexFunc(drafts, func(x metrics.Draft) bool { return x.Client == r.Client }); i >= 0 {
		draft = &drafts[i]
		if draft.Status == metrics.DraftSent && draft.SentAt != nil {
			_, b.SentBefore = draftStatus(*draft, orgLocation(v.Settings))
			b.Seen = draft.SentAt.UTC().Format(time.RFC3339Nano)
		}
	}
	switch {
	case d.cfg.Reports == nil:
		b.Error = "Reports are read-only on this server: nothing can be marked sent, so nothing is sent."
	case d.cfg.ReportMailer == nil:
		b.Error = smtpHowTo
	case len(b.To) == 0:
		b.Error = fmt.Sprintf("recipients: the report of %s has none; add their email addresses in the report's settings (on its report page), then send.", b.ClientName)
	default:
		b.CanSend = true
	}
	return b, draft, nil
}

// reportFileName is the attached PDF's name: the client's name in lower
// case letters and digits, such as globex-report-2026-11.pdf (its id when
// the name has none of them).
func reportFileName(name, id string, month time.Time) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && sb.Len() > 0 {
				sb.WriteByte('-')
			}
			sb.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	slug := sb.String()
	if slug == "" {
		slug = "client-" + strings.Map(func(r rune) rune {
			if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				return r
			}
			return -1
		}, id)
	}
	return slug + "-report-" + month.Format("2006-01") + ".pdf"
}

// reportText is the email's text: the commentary and next month's
// actions, with the PDF holding the numbers.
func reportText(agency, client, monthName, file, commentary string, actions []metrics.Action) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\nAttached is the %s report of %s from %s (%s).\n", monthName, client, agency, file)
	if commentary != "" {
		fmt.Fprintf(&b, "\n%s\n", commentary)
	}
	if len(actions) > 0 {
		b.WriteString("\nNext month:\n")
		for _, a := range actions {
			kind := ""
			if a.Kind == metrics.DecisionKind {
				kind = "Decision: "
			}
			done := ""
			if a.Status == metrics.ActionClosed {
				done = " (done)"
			}
			fmt.Fprintf(&b, "- %s%s — %s, due %s%s\n", kind, a.Title, a.OwnerName, fmtDay(a.Due), done)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", agency)
	return b.String()
}

// sendTarget reads the client (id) and month of a send.
func (d *server) sendTarget(c echo.Context) (View, string, time.Time, error) {
	v, err := d.view(c)
	if err != nil {
		return v, "", time.Time{}, err
	}
	id := c.FormValue("id")
	if id == "" {
		return v, "", time.Time{}, echo.NewHTTPError(http.StatusBadRequest, "id: empty; name the client whose report to send")
	}
	month, err := parseMonth(c.FormValue("month"))
	if err != nil {
		return v, id, month, err
	}
	if _, last, _ := reportsMonth(c, d.cfg.Now(), orgLocation(v.Settings)); month.After(last) {
		return v, id, month, echo.NewHTTPError(http.StatusUnprocessableEntity,
			fmt.Sprintf("month %q: not over yet; a month's report is sent once it is over, the last being %s", c.FormValue("month"), last.Format("2006-01")))
	}
	return v, id, month, nil
}

// parseMonth is metrics.ParseMonth answered 400 with its message.
func parseMonth(s string) (time.Time, error) {
	m, err := metrics.ParseMonth(s)
	if err != nil {
		return m, echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	return m, nil
}

// confirmSend shows what sending a client's report sends.
func (d *server) confirmSend(c echo.Context) error {
	v, id, month, err := d.sendTarget(c)
	if err != nil {
		return err
	}
	b, _, err := d.reportMail(c, v, id, month)
	if err != nil {
		return err
	}
	return d.renderReports(c, sendStatus(b), "reports-send", v, b)
}

// sendStatus is the confirmation's status: 200, or why it cannot send.
func sendStatus(b sendBody) int {
	switch {
	case b.CanSend:
		return http.StatusOK
	case len(b.To) == 0:
		return http.StatusUnprocessableEntity
	default:
		return http.StatusServiceUnavailable
	}
}

// sendReport sends a client's report once confirmed: the client view's
// PDF through the mailer, then marks the draft sent and records it in the
// audit trail. A failure on the way sends or marks nothing and says what
// failed.
func (d *server) sendReport(c echo.Context) error {
	v, id, month, err := d.sendTarget(c)
	if err != nil {
		return err
	}
	b, draft, err := d.reportMail(c, v, id, month)
	if err != nil {
		return err
	}
	if !b.CanSend {
		return d.renderReports(c, sendStatus(b), "reports-send", v, b)
	}
	if seen := c.FormValue("seen"); seen != b.Seen {
		// Sent (again) since the confirmation was shown: ask again.
		b.Error = "This report was sent while you were reviewing it; check below and confirm to send it again."
		return d.renderReports(c, http.StatusConflict, "reports-send", v, b)
	}
	pdf, err := d.reportPDF(c, b.Client, month, true)
	if err != nil {
		d.cfg.Logger.Warn("report_pdf_failed", "org", v.Org, "client", b.Client, "month", b.Month, "err", err)
		status, why := http.StatusInternalServerError, "the server's log says why"
		if noPrinter(err) {
			status, why = http.StatusServiceUnavailable, err.Error()
		}
		b.Error = fmt.Sprintf("The PDF of the report of %s could not be made (%s). Nothing was sent.", b.ClientName, why)
		return d.renderReports(c, status, "reports-send", v, b)
	}
	ctx := c.Request().Context()
	if err := d.cfg.ReportMailer.SendReport(ctx, b.To, b.Subject, b.Text, b.FileName, pdf); err != nil {
		d.cfg.Logger.Warn("report_send_failed", "org", v.Org, "client", b.Client, "month", b.Month, "err", err)
		b.Error = fmt.Sprintf("The mail server did not take the report (%v). Nothing was sent or marked sent.", err)
		return d.renderReports(c, http.StatusBadGateway, "reports-send", v, b)
	}
	now := d.cfg.Now()
	at := now.UTC().Truncate(time.Millisecond)
	who := auth.WhoOf(c)
	sent := metrics.Draft{Client: b.Client, Month: month, Status: metrics.DraftSent, PreparedAt: at, SentAt: &at, SentBy: who, SentTo: b.To}
	var before string
	if draft != nil {
		sent.PreparedAt = draft.PreparedAt
		before = org.JSON(map[string]any{"month": b.Month, "status": draft.Status, "sent_to": draft.SentTo})
	}
	if err := metrics.WriteDraft(ctx, d.cfg.Reports, v.Org, sent, now); err != nil {
		return fmt.Errorf("the report of %s, %s, was sent to %s but not marked sent: %w", b.ClientName, b.Month, strings.Join(b.To, ", "), err)
	}
	if err := org.Record(ctx, d.cfg.Reports, org.Change{Org: v.Org, Who: who, Kind: org.AuditReport, Subject: b.Client, Name: b.ClientName, At: now,
		Before: before, After: org.JSON(map[string]any{"month": b.Month, "status": metrics.DraftSent, "sent_to": b.To, "subject": b.Subject, "file": b.FileName})}); err != nil {
		return fmt.Errorf("the report of %s, %s, was sent but not recorded in the audit trail: %w", b.ClientName, b.Month, err)
	}
	return reportsRedirect(c, month, fmt.Sprintf("Sent the %s report of %s to %s.", b.MonthName, b.ClientName, strings.Join(b.To, ", ")))
}

// renderReports writes a /reports page with status (a refused or failed
// send is shown with its own), filling the layout as render does.
func (d *server) renderReports(c echo.Context, status int, name string, v View, body any) error {
	data := pageData{View: v, Body: body}
	data.Principal, _ = auth.PrincipalOf(c)
	data.Pages, data.CSRF = visiblePages(data.Principal), auth.CSRFInput(c)
	data.NoMoney = !data.Principal.Can(auth.PermMoney)
	data.Org = v.Settings.Show()
	for _, p := range Pages {
		if p.Path == "/reports" {
			data.Page = p
		}
	}
	return writePage(c, status, name, data)
}
