package dashboards

import (
	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// clientBody is a client's page: its money (for those who may see it), its
// hours by project and person, its deliverables, its client reviews and its
// projects' budgets.
type clientBody struct {
	Money     bool // the principal may see amounts; else none is on the page
	Currency  string
	MoneyFact []Fact
	Projects  []moneyRow
	Rests     string // how much of the labour cost rests on missing cost rates
	Months    Chart  // revenue and labour cost by month
	ByProject Chart
	ByPerson  Chart
	Delivery  drillDelivery
	Approvals drillApprovals
	Budgets   []budgetRow
	Retainers Chart
	AsOf      string    // the budgets' as-of day
	Loop      loopPanel // its open actions, and the link to its monthly report
}

const drillHoursMissing = "No hours logged in this range: import time entries, such as a Harvest, Toggl or Clockify export (opsmetrics import FILE, docs/import.md)."

// client answers "how is this client doing?" for /clients/{id}: every
// number is a KPI filtered by the client (margin_pct by project and month,
// logged_hours by project and by person, on_time_rate, approval times,
// revision rounds, waiting reviews, budgets and retainer use by project),
// with the late deliverables and waiting reviews beside them.
func (d *server) client(c echo.Context) error {
	v, all, id, done, err := d.drillTarget(c, "client")
	if err != nil || done {
		return err
	}
	back := backPage(c, "/margin")
	ctx := c.Request().Context()
	now := d.cfg.Now()
	money := mayMoney(c)
	n := namesOf(all)
	res, late, stuck, err := d.drillQueries(ctx, v, all, "client", id, now, money, [2]string{"project", "person"}, "group_by", "project", "interval", "month")
	if err != nil {
		return err
	}
	loop, err := d.loopActions(ctx, v, id, v.today)
	if err != nil {
		return err
	}
	month := lastCompleteMonth(v, v.today)
	loop.Report, loop.ReportMonth = reportLink(v, id, month), month.Format("January 2006")
	name := n.of("client", id)
	body := clientBody{Money: money, AsOf: v.To.AddDate(0, 0, -1).Format("2 Jan 2006"), Loop: loop}
	if body.ByProject, err = buildHoursBy("client-projects", "Hours by project", n, res[0], "project", drillHoursMissing); err != nil {
		return err
	}
	if body.ByPerson, err = buildHoursBy("client-people", "Hours by person", n, res[1], "person", drillHoursMissing); err != nil {
		return err
	}
	body.Delivery = buildDrillDelivery(v, n, res[2], late)
	body.Approvals = buildDrillApprovals(v, n, now, orgLocation(v.Settings), int(v.Settings.StuckReviewHours), res[3], res[4], stuck)
	body.Budgets = buildBudgets(v, back.Path, n, res[5], res[6])
	if body.Retainers, err = buildRetainerUse(v, n, res[7]); err != nil {
		return err
	}
	var notes []string
	if money {
		m := res[8]
		body.Currency = marginCurrency(m)
		if m.Currency == "" {
			notes = append(notes, metrics.CurrencyUnknown+": amounts on this page are in the org's own currency, which its settings and data do not name.")
		}
		var total moneyRow
		body.Projects, total = moneyRows(v, back.Path, n, m, "project")
		body.MoneyFact = moneyFacts(total, body.Currency)
		body.Rests = costNote(coverageOf(tableOf(m), "uncosted_hours", "hours", nil))
		if body.Months, err = buildMarginMonths(v, m, body.Currency); err != nil {
			return err
		}
	}
	if err := linkCharts(v, back.Path, &body.ByProject, &body.ByPerson, &body.Retainers); err != nil {
		return err
	}
	return d.drillRender(c, "client", v, n, back, name, name, "Client: its margin, hours, deliverables, approvals and budgets", nil, body, notes)
}
