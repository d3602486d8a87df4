package dashboards

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// thresholdRow is one threshold as the Alerts section lists it: its
// condition as the pages show the KPI (8 %, 36 h), and the KPI's value over
// the window the alert compares (metrics.AlertWindow: the last 30 days)
// with whether the threshold would fire now.
type thresholdRow struct {
	metrics.Threshold
	Title, Scope, Condition, For string
	Now                          string // the KPI's value now; "no data yet"
	Fires                        bool
}

// thresholdForm is the add-or-change form as typed.
type thresholdForm struct {
	ID, KPI, Scope, Client, Team, Comparator, Value, For, Severity string
}

type alertsBody struct {
	Rows       []thresholdRow
	Form       thresholdForm
	KPIs       []metrics.KPI // those a threshold can watch, with their titles
	Clients    []metrics.Named
	Teams      []metrics.Named
	Fors       []string
	Severities []string
	Window     string // the days the values are of: the alert's window
	CanEdit    bool
	ReadOnly   string
}

// showValue writes a value of unit as the pages show it: 8 %, 36 h, 3.
func showValue(unit string, v decimal.Decimal) string {
	switch unit {
	case "ratio":
		return v.Shift(2).Round(1).String() + " %"
	case "hours":
		return v.Round(1).String() + " h"
	}
	return v.Round(1).String()
}

// thresholdKPIs are the KPIs a threshold can watch, from the catalog
// (alert-only counts have an entry of their own), by title.
func thresholdKPIs() []metrics.KPI {
	var out []metrics.KPI
	for name, t := range metrics.ThresholdKPIs {
		k, ok := metrics.Lookup(name)
		if !ok {
			k = metrics.KPI{Name: name, Unit: t.Unit, Title: map[string]string{
				"overdue_deliverables": "Overdue deliverables (now)", "stuck_reviews": "Stuck client reviews (now)"}[name]}
		}
		k.Title = cmp.Or(k.Title, name)
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b metrics.KPI) int { return strings.Compare(a.Title, b.Title) })
	return out
}

// alertsBody reads the org's thresholds and each one's KPI now.
func (d *server) alertsBody(c echo.Context, data settingsData, f thresholdForm) (alertsBody, error) {
	ctx := c.Request().Context()
	b := alertsBody{Form: f, KPIs: thresholdKPIs(), ReadOnly: readOnly(data.Principal, auth.PermSettings, d.cfg.Changes != nil)}
	b.CanEdit = b.ReadOnly == ""
	b.Severities = []string{"info", "warning", "critical"}
	for _, f := range metrics.ForBuckets {
		b.Fors = append(b.Fors, metrics.ForLabel(f))
	}
	list, err := metrics.ListThresholds(ctx, d.cfg.Store, data.Principal.Org)
	if err != nil {
		return b, err
	}
	names, err := metrics.LoadNames(ctx, d.cfg.Store, data.Principal.Org)
	if err != nil {
		return b, err
	}
	b.Clients, b.Teams = names.Of("client"), names.Of("team")
	clientName := map[string]string{}
	for _, n := range b.Clients {
		clientName[n.ID] = n.Name
	}
	// The alert's own window, not the month: "would fire now" is what the
	// Prometheus rule would say of the collector's gauge.
	now := d.cfg.Now()
	from, to := metrics.AlertWindow(now)
	b.Window = from.Format("2 January 2006") + " to " + to.AddDate(0, 0, -1).Format("2 January 2006")
	money := data.Principal.Can(auth.PermMoney)
	rows := make([]thresholdRow, len(list))
	var shown []metrics.Threshold // those whose KPI the principal may see
	var at []int                  // their rows
	for i, t := range list {
		unit := metrics.ThresholdKPIs[t.KPI].Unit
		r := thresholdRow{Threshold: t, Title: t.KPI, Scope: "the whole org", For: metrics.ForLabel(t.For.Duration), Now: "no data yet"}
		if i := slices.IndexFunc(b.KPIs, func(k metrics.KPI) bool { return k.Name == t.KPI }); i >= 0 {
			r.Title = b.KPIs[i].Title
		}
		switch t.Scope {
		case "client":
			r.Scope = "client " + cmp.Or(clientName[t.ScopeValue], t.ScopeValue) + " (" + t.ScopeValue + ")"
		case "team":
			r.Scope = "team " + t.ScopeValue
		}
		r.Condition = map[string]string{"gt": "above ", "lt": "below "}[t.Comparator] + showValue(unit, t.Value)
		rows[i] = r
		if t.KPI == "margin_pct" && !money {
			rows[i].Now = "for partners and admins"
			continue
		}
		shown, at = append(shown, t), append(at, i)
	}
	// One query per KPI and scope kind, two at a time: a page of many
	// thresholds costs a few queries, not one each in turn.
	vs, oks, err := metrics.ThresholdsNow(ctx, d.cfg.Store, d.cfg.Facts, d.cfg.Settings, data.Principal.Org, shown, from, to, now)
	if err != nil {
		return b, err
	}
	for j, i := range at {
		if oks[j] {
			rows[i].Now, rows[i].Fires = showValue(metrics.ThresholdKPIs[shown[j].KPI].Unit, vs[j]), shown[j].Fires(vs[j])
		}
	}
	b.Rows = rows
	return b, nil
}

// settingsAlerts is the Alerts section: the org's thresholds, each with
// its KPI now, and the form that adds one or changes one (?edit=ID).
func (d *server) settingsAlerts(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/alerts")
	if err != nil {
		return err
	}
	f := thresholdForm{Comparator: "gt", For: "0s", Severity: "warning", Scope: "org"}
	body, err := d.alertsBody(c, data, f)
	if err != nil {
		return err
	}
	if id := c.QueryParam("edit"); id != "" {
		i := slices.IndexFunc(body.Rows, func(r thresholdRow) bool { return r.ID == id })
		if i < 0 {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("the org has no threshold %q", id))
		}
		t := body.Rows[i]
		body.Form = thresholdForm{ID: t.ID, KPI: t.KPI, Scope: t.Scope, Comparator: t.Comparator, For: t.For, Severity: t.Severity,
			Value: showValue(metrics.ThresholdKPIs[t.KPI].Unit, t.Value)}
		switch t.Scope {
		case "client":
			body.Form.Client = t.ScopeValue
		case "team":
			body.Form.Team = t.ScopeValue
		}
	}
	data.Body = body
	return d.renderSettings(c, http.StatusOK, "settings_alerts", data)
}

// saveThreshold adds or changes a threshold through metrics.SetThreshold,
// the code PUT /api/v1/alerts/thresholds uses, the value read in the KPI's
// unit as the page shows it (8 %, 36 h).
func (d *server) saveThreshold(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/alerts")
	if err != nil {
		return err
	}
	if why := readOnly(data.Principal, auth.PermSettings, d.cfg.Changes != nil); why != "" {
		return echo.NewHTTPError(http.StatusForbidden, why)
	}
	f := thresholdForm{ID: c.FormValue("id"), KPI: c.FormValue("kpi"), Scope: c.FormValue("scope"), Client: c.FormValue("client"),
		Team: c.FormValue("team"), Comparator: c.FormValue("comparator"), Value: c.FormValue("value"), For: c.FormValue("for"),
		Severity: c.FormValue("severity")}
	t := metrics.Threshold{ID: f.ID, KPI: f.KPI, Scope: cmp.Or(f.Scope, "org"), Comparator: f.Comparator, Severity: f.Severity}
	switch t.Scope {
	case "client":
		t.ScopeValue = f.Client
	case "team":
		t.ScopeValue = f.Team
	}
	t.Value, err = metrics.ParseThresholdValue(f.KPI, f.Value)
	if err == nil {
		t.For.Duration, err = metrics.ParseFor(f.For)
	}
	if err == nil {
		_, err = metrics.SetThreshold(c.Request().Context(), d.thresholdStore(), data.Principal.Org, data.Principal.Who(), t, d.cfg.Now())
	}
	if errors.Is(err, metrics.ErrBadRequest) {
		msg := metrics.Message(err)
		field, _, _ := strings.Cut(msg, " ")
		data.Error, data.Fields = msg, map[string]string{strings.TrimSuffix(field, ":"): msg}
		body, berr := d.alertsBody(c, data, f)
		if berr != nil {
			return berr
		}
		data.Body = body
		return d.renderSettings(c, http.StatusUnprocessableEntity, "settings_alerts", data)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/alerts?saved=1")
}

// removeThreshold removes the threshold the form names.
func (d *server) removeThreshold(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/alerts")
	if err != nil {
		return err
	}
	if why := readOnly(data.Principal, auth.PermSettings, d.cfg.Changes != nil); why != "" {
		return echo.NewHTTPError(http.StatusForbidden, why)
	}
	id := c.FormValue("id")
	found, err := metrics.RemoveThreshold(c.Request().Context(), d.thresholdStore(), data.Principal.Org, data.Principal.Who(), id, d.cfg.Now())
	if err != nil {
		return err
	}
	if !found {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("id %q: the org has no such threshold", id))
	}
	return c.Redirect(http.StatusSeeOther, "/settings/alerts?saved=removed")
}

// thresholdStore reads thresholds from the store and writes them through
// Changes.
func (d *server) thresholdStore() metrics.ThresholdStore {
	return struct {
		metrics.Querier
		metrics.Inserter
	}{d.cfg.Store, d.cfg.Changes}
}
