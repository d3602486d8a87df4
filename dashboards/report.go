package dashboards

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// reportBody is a client's monthly report (/clients/{id}/report): the
// internal view by default, the client's view with view=client. Every
// number is metrics.ClientReport's; this file only words them.
type reportBody struct {
	Client     string
	ClientName string
	Agency     string
	Month      time.Time
	MonthText  string
	PrevText   string
	ClientView bool
	Closed     bool
	Currency   string // "" when no amount is on the page
	Prepared   string // the day the page was made, as the org writes it
	// Links: the previous and next month (next "" when it has not begun),
	// and the two views of this month.
	PrevLink, NextLink, InternalLink, ClientLink string
	PDFLink                                      string // this view as a PDF (report_pdf.go)
	Sections                                     []reportSection
	Deliverables                                 []reportRow
	Commentary                                   reportNotesPart
	Actions                                      reportActionsPart
	// Settings is the contract form, for who may change it (PermSettings)
	// and outside the client's view; nil otherwise.
	Settings *reportSettingsForm
}

// reportSection is one section of the report: its lines (this month,
// last month, the contract) and a verdict in plain words.
type reportSection struct {
	ID, Title string
	Verdict   string
	Met       bool // the verdict is good news (met, within budget)
	Judged    bool // there is a verdict to colour
	Lines     []reportLine
	Empty     string // nothing to show, and what to do about it
}

// reportLine is one number of a section.
type reportLine struct {
	Label, This, Last, Contract string
	Sub                         bool // a part of the line above (a reason, a project's detail)
}

// reportRow is one of the month's deliverables.
type reportRow struct {
	Name, Project, Due, Delivered, Status, Slip, Rounds string
	Bad                                                 bool
}

// report serves /clients/{id}/report?month=YYYY-MM[&view=client].
func (d *server) report(c echo.Context) error {
	return d.reportPage(c, http.StatusOK, nil)
}

// reportPage renders the report with status; form, when set, is a refused
// contract form shown again with what was typed and its message.
func (d *server) reportPage(c echo.Context, status int, form *reportSettingsForm) error {
	v, all, id, done, err := d.drillTarget(c, "client")
	if err != nil || done {
		return err
	}
	loc := orgLocation(v.Settings)
	now := d.cfg.Now()
	today := metrics.Today(now.In(loc))
	month := metrics.MonthStart(today).AddDate(0, -1, 0) // the last complete month
	if m := c.QueryParam("month"); m != "" {
		if month, err = metrics.ParseMonth(m); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, metrics.Message(err))
		}
	}
	clientView := c.QueryParam("view") == "client"
	money := mayMoney(c) && !clientView
	ctx := c.Request().Context()
	settings := v.Settings
	// The commentary and actions are read while the report's KPIs are: the
	// one goroutine using c meanwhile, and waited for before any return.
	type partsOf struct {
		notes   reportNotesPart
		actions reportActionsPart
		err     error
	}
	parts := make(chan partsOf, 1)
	go func() {
		var p partsOf
		p.notes, p.actions, p.err = d.reportParts(c, v, id, month, clientView)
		parts <- p
	}()
	rep, err := metrics.ClientReport(ctx, d.cfg.Store, d.cfg.Facts, metrics.ReportRequest{Org: v.Org, Client: id, Month: month, Now: now,
		Money: money, Settings: &settings, Orgs: d.cfg.Settings, Names: all})
	p := <-parts
	if errors.Is(err, metrics.ErrBadRequest) {
		return echo.NewHTTPError(http.StatusBadRequest, metrics.Message(err))
	} else if err != nil {
		return err
	}
	n := namesOf(all)
	body := buildReport(rep, clientView, today)
	body.Agency = v.Settings.Name
	body.Prepared = fmtDay(today)
	link := func(m time.Time, client bool) string {
		q := url.Values{"month": {m.Format("2006-01")}}
		if client {
			q.Set("view", "client")
		}
		return "/clients/" + url.PathEscape(id) + "/report?" + q.Encode()
	}
	body.PrevLink, body.InternalLink, body.ClientLink = link(rep.Prev, clientView), link(month, false), link(month, true)
	pdf := url.Values{"month": {month.Format("2006-01")}, "view": {"internal"}}
	if clientView {
		pdf.Set("view", "client")
	}
	body.PDFLink = "/clients/" + url.PathEscape(id) + "/report.pdf?" + pdf.Encode()
	if next := month.AddDate(0, 1, 0); !next.After(today) {
		body.NextLink = link(next, clientView)
	}
	if body.Commentary, body.Actions, err = p.notes, p.actions, p.err; err != nil {
		return err
	}
	var notes []string
	if money && rep.Currency == "" {
		notes = append(notes, metrics.CurrencyUnknown+": "+rep.CurrencyWhy)
	}
	if p, _ := auth.PrincipalOf(c); p.Can(auth.PermSettings) && !clientView {
		if form == nil {
			form = reportFormOf(rep.Contract)
		}
		form.Action = "/clients/" + url.PathEscape(id) + "/report/settings?month=" + month.Format("2006-01")
		form.CSRF = auth.CSRFInput(c)
		form.Writable = d.cfg.Reports != nil
		body.Settings = form
	}
	back := backPage(c, "/margin")
	title := "Report: " + rep.ClientName + ", " + body.MonthText
	if clientView {
		title += " (client view)"
	}
	crumbs := []Crumb{{rep.ClientName, drillLink(v, back.Path, "client", id)}}
	all2 := append([]Crumb{{back.Name, v.Link(back.Path)}}, crumbs...)
	all2 = append(all2, Crumb{Name: "Report " + month.Format("Jan 2006")})
	return d.render(c, "report", pageData{View: v, Names: n, Body: body, Notes: notes, Crumbs: all2, Back: back.Path, Status: status,
		Page: Page{Path: c.Request().URL.Path, Name: title, Question: "The month's contracted KPIs, deliverables, commentary and next month's actions"}})
}

// buildReport words rep for the page: each section's lines and verdict,
// the deliverables' rows. Pure.
func buildReport(rep *metrics.Report, clientView bool, today time.Time) reportBody {
	b := reportBody{Client: rep.Client, ClientName: rep.ClientName, Month: rep.Month, MonthText: rep.Month.Format("January 2006"),
		PrevText: rep.Prev.Format("January 2006"), ClientView: clientView, Closed: rep.Closed}
	if rep.Money != nil || (rep.WriteOffs != nil && rep.WriteOffs.This.Value != nil) {
		b.Currency = rep.Currency
	}
	for _, s := range metrics.ReportSections {
		switch {
		case s == metrics.SectionRetainerHours && rep.Retainers != nil:
			b.Sections = append(b.Sections, reportRetainerSection(rep))
		case s == metrics.SectionBudgetBurn && rep.Budgets != nil:
			b.Sections = append(b.Sections, reportBudgetSection(rep, today))
		case s == metrics.SectionDeliverables && rep.Delivery != nil:
			b.Sections = append(b.Sections, reportDeliverySection(rep.Delivery))
		case s == metrics.SectionApprovals && rep.Approvals != nil:
			b.Sections = append(b.Sections, reportApprovalSection(rep.Approvals))
		case s == metrics.SectionWriteOffs && rep.WriteOffs != nil:
			b.Sections = append(b.Sections, reportWriteOffSection(rep.WriteOffs, rep.Currency))
		}
	}
	if clientView {
		// The client reads what the month held, not how to set the
		// agency's tool up: a section with nothing to show is left out.
		b.Sections = slices.DeleteFunc(b.Sections, func(s reportSection) bool { return s.Empty != "" })
	}
	if rep.Money != nil {
		b.Sections = append(b.Sections, reportMoneySection(rep.Money, rep.Currency))
	}
	for _, x := range rep.Deliverables {
		r := reportRow{Name: x.Name, Project: x.ProjectName, Due: "–", Delivered: "–", Status: reportStatusWords[x.Status], Slip: "–",
			Rounds: fmt.Sprint(x.RevisionRounds), Bad: x.Status == metrics.DeliverableLate || x.Status == metrics.DeliverableOverdue}
		if x.Due != nil {
			r.Due = fmtDay(*x.Due)
		}
		if x.Delivered != nil {
			r.Delivered = fmtDay(*x.Delivered)
		}
		if x.SlipDays != nil {
			r.Slip = fmt.Sprint(*x.SlipDays)
		}
		b.Deliverables = append(b.Deliverables, r)
	}
	return b
}

var reportStatusWords = map[string]string{metrics.DeliverableOnTime: "on time", metrics.DeliverableLate: "late",
	metrics.DeliverableOverdue: "overdue", metrics.DeliverableOpen: "open, not yet due"}

// The numbers as the page writes them ("–" for none).
func reportHours(x *decimal.Decimal) string {
	if x == nil {
		return "–"
	}
	return fmtNum(x.InexactFloat64(), true, "hours")
}

func reportMoney(x *decimal.Decimal) string {
	if x == nil {
		return "–"
	}
	return marginMoney(x.InexactFloat64(), true)
}

func reportFloat(x *float64, unit string) string {
	if x == nil {
		return "–"
	}
	return fmtNum(*x, true, unit)
}

func reportCount(n uint64) string { return fmt.Sprint(n) }

func reportRetainerSection(rep *metrics.Report) reportSection {
	s := reportSection{ID: metrics.SectionRetainerHours, Title: "Retainer hours"}
	if len(rep.Retainers.Rows) == 0 && len(rep.Retainers.Idle) > 0 {
		s.Empty = fmt.Sprintf("No retainer of this client ran in %s or %s (%s).", rep.Month.Format("January"), rep.Prev.Format("January"), strings.Join(rep.Retainers.Idle, ", "))
		return s
	}
	if len(rep.Retainers.Rows) == 0 {
		s.Empty = "This client has no retainer with monthly hours: set a project's kind to retainer and its monthly hours in Settings › Clients and projects, or take this section out of the report's contract below."
		return s
	}
	met, judged := true, false
	var words []string
	for _, r := range rep.Retainers.Rows {
		pre := ""
		if len(rep.Retainers.Rows) > 1 {
			pre = r.ProjectName + ": "
		}
		s.Lines = append(s.Lines,
			reportLine{Label: pre + "Contracted hours", This: reportHours(r.This.Contracted), Last: reportHours(r.Last.Contracted), Contract: reportHours(r.This.Contracted)},
			reportLine{Label: pre + "Hours used (all hours logged)", This: reportHours(r.This.Used), Last: reportHours(r.Last.Used)},
			reportLine{Label: pre + "Billable hours", This: reportHours(r.This.Billable), Last: reportHours(r.Last.Billable)},
			reportLine{Label: pre + "Over-service hours (billable past the contract, not billed)", This: reportHours(r.This.OverService), Last: reportHours(r.Last.OverService), Contract: "0.00"})
		if !r.This.Closed {
			s.Lines = append(s.Lines,
				reportLine{Label: pre + "Forecast at month end", This: reportHours(r.This.Forecast), Last: "–", Contract: reportHours(r.This.Contracted)},
				reportLine{Label: pre + "Overage forecast", This: reportHours(r.This.Overage), Last: "–", Contract: "0.00"})
		}
		switch {
		case r.This.Closed && r.This.OverService != nil:
			judged = true
			if r.This.OverService.IsPositive() {
				met = false
				words = append(words, fmt.Sprintf("%sover the contract by %s hours", pre, reportHours(r.This.OverService)))
			} else {
				words = append(words, pre+"within the contracted hours")
			}
		case !r.This.Closed && r.This.Overage != nil:
			judged = true
			if r.This.Overage.IsPositive() {
				met = false
				words = append(words, fmt.Sprintf("%son course to exceed the contract by %s hours", pre, reportHours(r.This.Overage)))
			} else {
				words = append(words, pre+"on course to stay within the contracted hours")
			}
		}
	}
	s.Judged, s.Met = judged, met
	if judged {
		s.Verdict = reportVerdictWord(met) + ": " + strings.Join(words, "; ") + "."
	} else {
		s.Verdict = "No verdict yet: no hours or forecast for this month."
	}
	return s
}

func reportBudgetSection(rep *metrics.Report, today time.Time) reportSection {
	s := reportSection{ID: metrics.SectionBudgetBurn, Title: "Budget burn"}
	if len(rep.Budgets.Rows) == 0 {
		s.Empty = "No project of this client has a budget running this month: give a project budget hours in Settings › Clients and projects."
		return s
	}
	met := true
	var words []string
	for _, r := range rep.Budgets.Rows {
		pre := r.ProjectName + ": "
		ex := func(m metrics.BudgetMonth) string {
			if m.Exhaustion == nil {
				return "not within the period"
			}
			return fmtDay(*m.Exhaustion)
		}
		s.Lines = append(s.Lines,
			reportLine{Label: pre + "Budget hours", This: reportHours(r.This.BudgetHours), Last: reportHours(r.Last.BudgetHours), Contract: reportHours(r.This.BudgetHours)},
			reportLine{Label: "Hours used", This: reportHours(r.This.Used), Last: reportHours(r.Last.Used), Sub: true},
			reportLine{Label: "Hours remaining", This: reportHours(r.This.Remaining), Last: reportHours(r.Last.Remaining), Sub: true},
			reportLine{Label: "Burn rate (hours per workday, last 14 days)", This: reportHours(r.This.BurnRate), Last: reportHours(r.Last.BurnRate), Sub: true},
			reportLine{Label: "Projected exhaustion", This: ex(r.This), Last: ex(r.Last), Sub: true})
		if r.This.BudgetAmount != nil || r.This.UsedValue != nil {
			s.Lines = append(s.Lines,
				reportLine{Label: "Budget amount (" + rep.Currency + ")", This: reportMoney(r.This.BudgetAmount), Last: reportMoney(r.Last.BudgetAmount), Sub: true},
				reportLine{Label: "Value used at bill rates (" + rep.Currency + ")", This: reportMoney(r.This.UsedValue), Last: reportMoney(r.Last.UsedValue), Sub: true},
				reportLine{Label: "Amount remaining (" + rep.Currency + ")", This: reportMoney(r.This.RemainingAmount), Last: reportMoney(r.Last.RemainingAmount), Sub: true})
		}
		switch {
		case r.This.Remaining != nil && r.This.Remaining.IsNegative():
			met = false
			words = append(words, fmt.Sprintf("%s over budget by %s hours", r.ProjectName, reportHours(reportPtr(r.This.Remaining.Neg()))))
		case r.This.Exhaustion != nil:
			met = false
			words = append(words, fmt.Sprintf("%s runs out on %s at the current pace", r.ProjectName, fmtDay(*r.This.Exhaustion)))
		default:
			words = append(words, r.ProjectName+" within budget")
		}
	}
	s.Judged, s.Met = true, met
	s.Verdict = reportVerdictWord(met) + ": " + strings.Join(words, "; ") + "."
	return s
}

func reportPtr[T any](v T) *T { return &v }

func reportVerdictWord(met bool) string {
	if met {
		return "Met"
	}
	return "Missed"
}

// reportCompare says how this month's value x compares with last month's
// (lower is better when lowerBetter).
func reportCompare(this, last *float64, lowerBetter bool, unit string) string {
	if this == nil || last == nil {
		return ""
	}
	switch {
	case *this == *last:
		return "the same as last month"
	case (*this < *last) == lowerBetter:
		return "better than last month (" + fmtNum(*last, true, unit) + ")"
	default:
		return "worse than last month (" + fmtNum(*last, true, unit) + ")"
	}
}

// reportJudge fills s's verdict: against target when set (at least it, or at
// most it with lowerBetter), else a comparison with last month alone.
func reportJudge(s *reportSection, what string, this, last *float64, target *decimal.Decimal, lowerBetter bool, unit string) {
	cmp := reportCompare(this, last, lowerBetter, unit)
	if this == nil {
		s.Verdict = "No " + what + " this month."
		return
	}
	if target == nil {
		s.Verdict = fmt.Sprintf("No target in the contract: %s %s", what, fmtNum(*this, true, unit))
		if cmp != "" {
			s.Verdict += ", " + cmp
		}
		s.Verdict += "."
		return
	}
	t := target.InexactFloat64()
	s.Judged = true
	s.Met = *this >= t
	bound := "at least"
	if lowerBetter {
		s.Met, bound = *this <= t, "at most"
	}
	s.Verdict = fmt.Sprintf("%s: %s %s against a target of %s %s", reportVerdictWord(s.Met), what, fmtNum(*this, true, unit), bound, fmtNum(t, true, unit))
	if cmp != "" {
		s.Verdict += "; " + cmp
	}
	s.Verdict += "."
}

func reportTargetText(t *decimal.Decimal, prefix, unit string) string {
	if t == nil {
		return "–"
	}
	return prefix + fmtNum(t.InexactFloat64(), true, unit)
}

func reportDeliverySection(x *metrics.DeliverySection) reportSection {
	s := reportSection{ID: metrics.SectionDeliverables, Title: "Deliverables"}
	th, la := x.This, x.Last
	s.Lines = []reportLine{
		{Label: "On-time rate (on time ÷ delivered and overdue, due this month)", This: reportFloat(th.OnTimeRate, "ratio"), Last: reportFloat(la.OnTimeRate, "ratio"), Contract: reportTargetText(x.Target, "≥ ", "ratio")},
		{Label: "Delivered", This: reportCount(th.Delivered), Last: reportCount(la.Delivered), Sub: true},
		{Label: "On time", This: reportCount(th.OnTime), Last: reportCount(la.OnTime), Sub: true},
		{Label: "Late", This: reportCount(th.Late), Last: reportCount(la.Late), Sub: true},
		{Label: "Overdue, not delivered", This: reportCount(th.OpenOverdue), Last: reportCount(la.OpenOverdue), Sub: true},
		{Label: "Slip of late deliveries, median (days)", This: reportFloat(th.SlipP50, "days"), Last: reportFloat(la.SlipP50, "days")},
		{Label: "Slip of late deliveries, p90 (days)", This: reportFloat(th.SlipP90, "days"), Last: reportFloat(la.SlipP90, "days")},
	}
	if th.Delivered+th.OpenOverdue == 0 {
		s.Verdict = "Nothing was due and delivered or overdue this month."
		return s
	}
	reportJudge(&s, "on-time rate", th.OnTimeRate, la.OnTimeRate, x.Target, false, "ratio")
	return s
}

func reportApprovalSection(x *metrics.ApprovalSection) reportSection {
	s := reportSection{ID: metrics.SectionApprovals, Title: "Approvals"}
	th, la := x.This, x.Last
	s.Lines = []reportLine{
		{Label: "Approval time, median (calendar hours)", This: reportFloat(th.P50, "hours"), Last: reportFloat(la.P50, "hours"), Contract: reportTargetText(x.Target, "≤ ", "hours")},
		{Label: "Approval time, p90 (calendar hours)", This: reportFloat(th.P90, "hours"), Last: reportFloat(la.P90, "hours")},
		{Label: "Approval time, median (business hours)", This: reportFloat(th.BusinessP50, "hours"), Last: reportFloat(la.BusinessP50, "hours")},
		{Label: "Client decisions", This: reportCount(th.Cycles), Last: reportCount(la.Cycles), Sub: true},
		{Label: "Revision rounds per deliverable (mean)", This: reportFloat(th.RoundsMean, "rounds"), Last: reportFloat(la.RoundsMean, "rounds")},
		{Label: "Revision rounds in all", This: reportCount(th.Rounds), Last: reportCount(la.Rounds), Sub: true},
		{Label: "First-pass approval rate", This: reportFloat(th.FirstPassRate, "ratio"), Last: reportFloat(la.FirstPassRate, "ratio")},
	}
	reportJudge(&s, "median approval time (hours)", th.P50, la.P50, x.Target, true, "hours")
	return s
}

func reportWriteOffSection(x *metrics.WriteOffSection, cur string) reportSection {
	s := reportSection{ID: metrics.SectionWriteOffs, Title: "Write-offs"}
	th, la := x.This, x.Last
	s.Lines = []reportLine{
		{Label: "Write-off hours rate (written-off ÷ billable hours)", This: reportFloat(th.HoursRate, "ratio"), Last: reportFloat(la.HoursRate, "ratio"), Contract: reportTargetText(x.Target, "≤ ", "ratio")},
		{Label: "Written-off hours", This: reportHours(&th.Hours), Last: reportHours(&la.Hours)},
		{Label: "Billable hours", This: reportHours(&th.BillableHours), Last: reportHours(&la.BillableHours), Sub: true},
	}
	var reasons []string
	for _, r := range append(slices.Clone(th.Reasons), la.Reasons...) {
		if !slices.Contains(reasons, r.Reason) {
			reasons = append(reasons, r.Reason)
		}
	}
	find := func(m metrics.WriteOffMonth, reason string) (h, v *decimal.Decimal) {
		for _, r := range m.Reasons {
			if r.Reason == reason {
				return &r.Hours, r.Value
			}
		}
		return nil, nil
	}
	for _, reason := range reasons {
		h1, v1 := find(th, reason)
		h0, v0 := find(la, reason)
		label := "Hours written off: " + reportReason(reason)
		s.Lines = append(s.Lines, reportLine{Label: label, This: reportHours(h1), Last: reportHours(h0), Sub: true})
		if th.Value != nil {
			s.Lines = append(s.Lines, reportLine{Label: "Value written off: " + reportReason(reason) + " (" + cur + ")", This: reportMoney(v1), Last: reportMoney(v0), Sub: true})
		}
	}
	if th.Value != nil {
		s.Lines = append(s.Lines, reportLine{Label: "Value written off (" + cur + ")", This: reportMoney(th.Value), Last: reportMoney(la.Value)})
	}
	reportJudge(&s, "write-off hours rate", th.HoursRate, la.HoursRate, x.Target, true, "ratio")
	return s
}

func reportReason(r string) string {
	return strings.ReplaceAll(cmp.Or(r, "other"), "_", " ")
}

func reportMoneySection(x *metrics.MoneySection, cur string) reportSection {
	s := reportSection{ID: "money", Title: "Money (internal: never in the client's view)"}
	th, la := x.This, x.Last
	s.Lines = []reportLine{
		{Label: "Revenue (" + cur + ")", This: reportMoney(th.Revenue), Last: reportMoney(la.Revenue)},
		{Label: "Labour cost (" + cur + ")", This: reportMoney(th.LabourCost), Last: reportMoney(la.LabourCost)},
		{Label: "Margin (" + cur + ")", This: reportMoney(th.Margin), Last: reportMoney(la.Margin)},
		{Label: "Margin %", This: reportFloat(th.MarginPct, "ratio"), Last: reportFloat(la.MarginPct, "ratio")},
		{Label: "Hours logged", This: reportHours(th.Hours), Last: reportHours(la.Hours), Sub: true},
	}
	if th.Uncosted != nil && th.Uncosted.IsPositive() {
		s.Lines = append(s.Lines, reportLine{Label: "Hours without a cost rate (no labour cost counted)", This: reportHours(th.Uncosted), Last: reportHours(la.Uncosted), Sub: true})
	}
	return s
}

// reportSettingsForm is the report's contract form: which sections it
// carries, their targets, and who receives it.
type reportSettingsForm struct {
	Action     string
	CSRF       template.HTML
	Writable   bool
	Rows       []reportSettingsRow
	Recipients string
	Error      string
}

// reportSettingsRow is one section of the form.
type reportSettingsRow struct {
	Section, Title, Unit string
	On                   bool
	Target               string
	HasTarget            bool
}

var reportSectionTitles = map[string][2]string{
	metrics.SectionRetainerHours: {"Retainer hours", ""},
	metrics.SectionBudgetBurn:    {"Budget burn", ""},
	metrics.SectionDeliverables:  {"Deliverables", "on-time rate at least, as a ratio 0–1 (0.9 = 90%)"},
	metrics.SectionApprovals:     {"Approvals", "median approval time at most, in hours"},
	metrics.SectionWriteOffs:     {"Write-offs", "write-off hours rate at most, as a ratio 0–1"},
}

func reportFormOf(r metrics.ReportSettings) *reportSettingsForm {
	f := &reportSettingsForm{Recipients: strings.Join(r.Recipients, "\n")}
	for _, s := range metrics.ReportSections {
		row := reportSettingsRow{Section: s, Title: reportSectionTitles[s][0], Unit: reportSectionTitles[s][1], On: r.Has(s), HasTarget: reportSectionTitles[s][1] != ""}
		if t := r.Target(s); t != nil {
			row.Target = t.String()
		}
		f.Rows = append(f.Rows, row)
	}
	return f
}

// registerReport adds the report's contract form's route.
func (d *server) registerReport(g *echo.Group, mw []echo.MiddlewareFunc) {
	g.POST("/clients/:id/report/settings", d.saveReportSettings, append(slices.Clip(mw),
		d.requirePerm(auth.PermSettings, "What a client's report carries is set by admins; ask an admin."))...)
}

// saveReportSettings saves the contract form: 303 back to the report, or
// the page again (422) with what was typed and a message naming the field
// and value.
func (d *server) saveReportSettings(c echo.Context) error {
	if d.cfg.Reports == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "report settings cannot be saved: this server has no store for reports")
	}
	v, _, id, done, err := d.drillTarget(c, "client")
	if err != nil || done {
		return err
	}
	form := &reportSettingsForm{Recipients: c.FormValue("recipients")}
	in := metrics.ReportSettings{Client: id}
	var bad string
	for _, s := range metrics.ReportSections {
		row := reportSettingsRow{Section: s, Title: reportSectionTitles[s][0], Unit: reportSectionTitles[s][1], On: c.FormValue("kpi_"+s) != "",
			Target: strings.TrimSpace(c.FormValue("target_" + s)), HasTarget: reportSectionTitles[s][1] != ""}
		form.Rows = append(form.Rows, row)
		if !row.On {
			continue
		}
		k := metrics.ContractKPI{Section: s}
		if row.Target != "" && row.HasTarget {
			t, err := decimal.NewFromString(row.Target)
			if err != nil && bad == "" {
				bad = fmt.Sprintf("target of %s %q: not a number", s, row.Target)
			}
			k.Target = &t
		}
		in.Contract = append(in.Contract, k)
	}
	for _, line := range strings.FieldsFunc(form.Recipients, func(r rune) bool { return r == '\n' || r == ',' || r == '\r' || r == ' ' || r == ';' }) {
		in.Recipients = append(in.Recipients, line)
	}
	if bad == "" {
		_, err = metrics.SaveReportSettings(c.Request().Context(), d.cfg.Reports, v.Org, auth.WhoOf(c), in, d.cfg.Now())
		if errors.Is(err, metrics.ErrBadRequest) {
			bad = metrics.Message(err)
		} else if err != nil {
			return err
		}
	}
	if bad != "" {
		form.Error = bad
		return d.reportPage(c, http.StatusUnprocessableEntity, form)
	}
	back := "/clients/" + url.PathEscape(id) + "/report"
	if m := c.QueryParam("month"); m != "" {
		if _, err := metrics.ParseMonth(m); err == nil {
			back += "?month=" + m
		}
	}
	return c.Redirect(http.StatusSeeOther, back)
}
