package dashboards

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/org"
)

// registerSettings adds the settings sections this file and its siblings
// serve (Organization, People, Clients and projects, Alerts, Change log) to g, each with mw.
func (d *server) registerSettings(g *echo.Group, mw []echo.MiddlewareFunc) {
	g.GET("/settings", d.settingsOrg, mw...)
	g.POST("/settings", d.saveSettingsOrg, mw...)
	g.GET("/settings/alerts", d.settingsAlerts, mw...)
	g.POST("/settings/alerts", d.saveThreshold, mw...)
	g.POST("/settings/alerts/remove", d.removeThreshold, mw...)
	g.GET("/settings/audit", d.settingsAudit, mw...)
	g.GET("/settings/people", d.settingsPeople, mw...)
	g.POST("/settings/people", d.savePerson, mw...)
	g.POST("/settings/people/roles", d.saveRole, mw...)
	g.POST("/settings/people/remove", d.removePerson, mw...)
	g.GET("/settings/clients", d.settingsClients, mw...)
	g.POST("/settings/clients", d.saveClient, mw...)
	g.POST("/settings/clients/remove", d.removeClient, mw...)
}

// weekdays are the workday checkboxes, Monday first (org.ParseWorkdays'
// names).
var weekdays = [...]struct{ Key, Name string }{
	{"mon", "Monday"}, {"tue", "Tuesday"}, {"wed", "Wednesday"}, {"thu", "Thursday"},
	{"fri", "Friday"}, {"sat", "Saturday"}, {"sun", "Sunday"},
}

// commonZones are offered in the time zone field's list; any IANA name is
// accepted (org.Patch checks it).
var commonZones = []string{"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
	"Europe/Amsterdam", "Europe/Zurich", "Europe/Vienna", "Europe/Madrid", "Europe/Rome", "Europe/Stockholm",
	"Europe/Copenhagen", "Europe/Oslo", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Athens",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto",
	"America/Vancouver", "America/Mexico_City", "America/Sao_Paulo", "America/Bogota", "Asia/Dubai", "Asia/Kolkata",
	"Asia/Singapore", "Asia/Tokyo", "Asia/Shanghai", "Australia/Sydney", "Australia/Melbourne", "Pacific/Auckland",
	"Africa/Johannesburg", "Africa/Lagos"}

// orgForm is the Organization form as typed: what a refused form shows
// again.
type orgForm struct {
	Name, TimeZone, Currency, BusinessHours, GraceDays, StuckReviewHours, OverheadPerHour string
	Workdays                                                                              map[string]bool
}

// orgBody is the Organization page's own part.
type orgBody struct {
	Form     orgForm
	Days     any
	Zones    []string
	CanEdit  bool   // the principal may change settings, and the server can
	Money    bool   // the principal may see and change overhead per hour
	ReadOnly string // why the form cannot be changed, when it cannot
}

func formOf(s org.Shown) orgForm {
	f := orgForm{Name: s.Name, TimeZone: s.TimeZone, Currency: s.Currency, BusinessHours: s.BusinessHours,
		GraceDays: strconv.Itoa(s.GraceDays), StuckReviewHours: strconv.Itoa(s.StuckReviewHours),
		OverheadPerHour: s.OverheadPerHour, Workdays: map[string]bool{}}
	for d := range strings.SplitSeq(s.Workdays, ",") {
		f.Workdays[d] = true
	}
	return f
}

// readOnly says why p cannot change what perm guards, or "" when it can:
// its role, or a server without the writer (nil).
func readOnly(p auth.Principal, perm auth.Perm, available bool) string {
	switch {
	case !p.Can(perm):
		return "Your role may look but not change these; ask an admin or a partner to change them."
	case !available:
		return "Changing these from the app is not available on this server; use the CLI (opsmetrics org set) or the API."
	}
	return ""
}

func (d *server) orgBody(data settingsData, f orgForm) orgBody {
	b := orgBody{Form: f, Days: weekdays, Zones: commonZones, Money: data.Principal.Can(auth.PermMoney),
		ReadOnly: readOnly(data.Principal, auth.PermSettings, d.cfg.OrgWriter != nil)}
	b.CanEdit = b.ReadOnly == ""
	return b
}

// settingsOrg is the Organization section: every setting of the org, a
// form for those who may change them.
func (d *server) settingsOrg(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings")
	if err != nil {
		return err
	}
	data.Body = d.orgBody(data, formOf(data.Org))
	return d.renderSettings(c, http.StatusOK, "settings_org", data)
}

// saveSettingsOrg saves the Organization form through OrgWriter, the code
// PUT /api/v1/org uses: one validation, whose message names the field and
// value. A refused form is 422 with what was typed; a saved one is a 303 to
// the section with "Saved.".
func (d *server) saveSettingsOrg(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings")
	if err != nil {
		return err
	}
	if why := readOnly(data.Principal, auth.PermSettings, d.cfg.OrgWriter != nil); why != "" {
		return echo.NewHTTPError(http.StatusForbidden, why)
	}
	money := data.Principal.Can(auth.PermMoney)
	f := orgForm{Name: c.FormValue("name"), TimeZone: c.FormValue("time_zone"), Currency: c.FormValue("currency"),
		BusinessHours: c.FormValue("business_hours"), GraceDays: c.FormValue("grace_days"),
		StuckReviewHours: c.FormValue("stuck_review_hours"), OverheadPerHour: data.Org.OverheadPerHour, Workdays: map[string]bool{}}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "read the form: "+err.Error())
	}
	var days []string
	for _, day := range form["workdays"] {
		f.Workdays[day] = true
		days = append(days, day)
	}
	p := org.Patch{Name: &f.Name, TimeZone: &f.TimeZone, BusinessHours: &f.BusinessHours}
	workdays := strings.Join(days, ",")
	p.Workdays = &workdays
	if strings.TrimSpace(f.Currency) != "" || data.Org.Currency != "" {
		// An org whose currency is still unknown keeps it unknown when the
		// field is left empty.
		p.Currency = &f.Currency
	}
	if money {
		f.OverheadPerHour = c.FormValue("overhead_per_hour")
		t := org.Text(f.OverheadPerHour)
		p.OverheadPerHour = &t
	}
	refuse := func(field, msg string) error {
		data.Error = msg
		data.Fields = map[string]string{field: msg}
		data.Body = d.orgBody(data, f)
		return d.renderSettings(c, http.StatusUnprocessableEntity, "settings_org", data)
	}
	for _, n := range []struct {
		field, text string
		to          **int
	}{{"grace_days", f.GraceDays, &p.GraceDays}, {"stuck_review_hours", f.StuckReviewHours, &p.StuckReviewHours}} {
		v, err := strconv.Atoi(strings.TrimSpace(n.text))
		if err != nil {
			return refuse(n.field, fmt.Sprintf("%s %q: not a whole number", n.field, n.text))
		}
		*n.to = &v
	}
	_, err = d.cfg.OrgWriter.UpdateBy(c.Request().Context(), data.Principal.Who(), data.Principal.Org, p)
	var bad *org.BadSettingError
	if errors.As(err, &bad) {
		field, _, _ := strings.Cut(bad.Msg, " ")
		return refuse(field, bad.Msg)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings?saved=1")
}
