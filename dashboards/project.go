package dashboards

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// projectBody is a project's page: its budget burn, money (for those who
// may see it), hours by person, deliverables and client reviews.
type projectBody struct {
	Money     bool
	Currency  string
	MoneyFact []Fact
	Rests     string
	Months    Chart
	Client    string // the client's name; "" when no hours name one in the range
	Budgets   []budgetRow
	AsOf      string
	BurnFacts []Fact
	Retainers Chart
	ByPerson  Chart
	Delivery  drillDelivery
	Approvals drillApprovals
}

// project answers "how is this project doing?" for /projects/{id}: KPIs
// filtered by the project (budget used, its forecast and exhaustion date,
// retainer use by month, margin_pct by month, logged_hours by person,
// on-time rate, approval times,
// revision rounds and waiting reviews) with the late deliverables and
// waiting reviews beside them; its client is the org's name for it.
func (d *server) project(c echo.Context) error {
	v, all, id, done, err := d.drillTarget(c, "project")
	if err != nil || done {
		return err
	}
	back := backPage(c, "/margin")
	ctx := c.Request().Context()
	now := d.cfg.Now()
	money := mayMoney(c)
	n := namesOf(all)
	res, late, stuck, err := d.drillQueries(ctx, v, all, "project", id, now, money, [2]string{"person", ""}, "interval", "month")
	if err != nil {
		return err
	}
	name := n.of("project", id)
	body := projectBody{Money: money, AsOf: v.To.AddDate(0, 0, -1).Format("2 Jan 2006")}
	var crumbs []Crumb
	title := name
	if cid := all.ClientOf(id); cid != "" {
		body.Client = n.of("client", cid)
		crumbs = append(crumbs, Crumb{body.Client, drillLink(v, back.Path, "client", cid)})
		title = name + " · " + body.Client
	}
	if body.ByPerson, err = buildHoursBy("project-people", "Hours by person", n, res[0], "person", drillHoursMissing); err != nil {
		return err
	}
	body.Delivery = buildDrillDelivery(v, n, res[2], late)
	body.Approvals = buildDrillApprovals(v, n, now, orgLocation(v.Settings), int(v.Settings.StuckReviewHours), res[3], res[4], stuck)
	body.Budgets = buildBudgets(v, "", n, res[5], res[6])
	for i := range body.Budgets {
		body.Budgets[i].Link = "" // this page
	}
	body.BurnFacts = burnFacts(body.Budgets, res[6])
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
		_, total := moneyRows(v, back.Path, n, m, "")
		body.MoneyFact = moneyFacts(total, body.Currency)
		body.Rests = costNote(coverageOf(tableOf(m), "uncosted_hours", "hours", nil))
		if body.Months, err = buildMarginMonths(v, m, body.Currency); err != nil {
			return err
		}
	}
	if err := linkCharts(v, back.Path, &body.ByPerson); err != nil {
		return err
	}
	return d.drillRender(c, "project", v, n, back, title, name, "Project: its budget burn, hours, deliverables and approvals", crumbs, body, notes)
}

// burnFacts are a project's budget burn in numbers: used of the budget and
// the day the budget runs out at the current burn rate
// (projected_exhaustion_date's burn_rate, hours per workday). Pure.
func burnFacts(rows []budgetRow, exhaustion *metrics.Result) []Fact {
	if len(rows) == 0 {
		return nil
	}
	b := rows[0]
	out := []Fact{{"Budget period", b.Period, false}, {"Budget (h)", b.Budget, false}, {"Used (h)", b.Used, b.Over},
		{"Used", b.UsedPct, b.Over}, {"Budget runs out", b.Exhaustion, false}}
	if t := tableOf(exhaustion); t.Len() > 0 {
		if x, ok := t.Num(0, "burn_rate"); ok {
			out = append(out, Fact{"Burn rate (h per workday, last 14 days)", fmt.Sprintf("%.2f", x), false})
		}
	}
	return out
}
