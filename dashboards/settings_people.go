package dashboards

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
)

// personForm is a person's form as typed: every field of a person's
// version, and the date it takes effect.
type personForm struct {
	ID, Source, EffectiveFrom, Name, Email, Role, Team, Capacity, CostRate, BillRate, Target, StartDate, EndDate string
}

// personRow is a person as the People table shows them: the version in
// force today (or the first, for a person who starts later).
type personRow struct {
	personForm
	Versions int
}

// roleForm is a role's rates and target from a date, as typed or stored.
type roleForm struct{ Role, EffectiveFrom, BillRate, CostRate, Target string }

type peopleBody struct {
	Roles    []roleForm // every version of every role's rates, by role and date
	RoleForm roleForm
	Rows     []personRow
	Form     personForm
	Editing  bool
	History  []personForm // the versions of the person being edited, by date
	Confirm  *personRow   // a removal to confirm
	Money    bool
	CanEdit  bool
	ReadOnly string
}

func decText(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

func dateText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

// shareText writes a utilization target as the pages show it: 80 %.
func shareText(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return d.Shift(2).String() + " %"
}

func personFormOf(v metrics.PersonVersion) personForm {
	return personForm{ID: v.ID, Source: v.Source, EffectiveFrom: v.ValidFrom.Format(time.DateOnly), Name: v.Name, Email: v.Email,
		Role: v.Role, Team: v.Team, Capacity: v.WeeklyCapacityHours.String(), CostRate: decText(v.CostRate), BillRate: decText(v.BillRate),
		Target: shareText(v.Target), StartDate: dateText(v.StartDate), EndDate: dateText(v.EndDate)}
}

// inForce returns the version of a person's versions (by date) in force on
// day: the latest from day or before, else the first.
func inForce(versions []metrics.PersonVersion, day time.Time) metrics.PersonVersion {
	v := versions[0]
	for _, x := range versions {
		if !x.ValidFrom.After(day) {
			v = x
		}
	}
	return v
}

// people reads an org's people, each one's versions by date, in name order.
func (d *server) people(ctx context.Context, orgID string) (ids []string, byID map[string][]metrics.PersonVersion, err error) {
	all, err := metrics.ListPeople(ctx, d.cfg.Store, orgID)
	if err != nil {
		return nil, nil, err
	}
	byID = map[string][]metrics.PersonVersion{}
	for _, v := range all {
		if _, ok := byID[v.ID]; !ok {
			ids = append(ids, v.ID)
		}
		byID[v.ID] = append(byID[v.ID], v)
	}
	return ids, byID, nil
}

func (d *server) peopleBody(c echo.Context, data settingsData, f personForm, editing bool) (peopleBody, error) {
	b := peopleBody{Form: f, Editing: editing, Money: data.Principal.Can(auth.PermMoney),
		ReadOnly: readOnly(data.Principal, auth.PermSettings, d.cfg.Records != nil)}
	b.CanEdit = b.ReadOnly == ""
	ids, byID, err := d.people(c.Request().Context(), data.Principal.Org)
	if err != nil {
		return b, err
	}
	roles, err := metrics.ListRoles(c.Request().Context(), d.cfg.Store, data.Principal.Org)
	if err != nil {
		return b, err
	}
	for _, r := range roles {
		rf := roleForm{Role: r.Role, EffectiveFrom: r.ValidFrom.Format(time.DateOnly), Target: shareText(r.Target)}
		if b.Money {
			rf.BillRate, rf.CostRate = decText(r.BillRate), decText(r.CostRate)
		}
		b.Roles = append(b.Roles, rf)
	}
	today := d.today(data)
	b.RoleForm = roleForm{EffectiveFrom: today.Format(time.DateOnly)}
	for _, id := range ids {
		b.Rows = append(b.Rows, personRow{personForm: personFormOf(inForce(byID[id], today)), Versions: len(byID[id])})
	}
	if editing {
		for _, v := range byID[f.ID] {
			b.History = append(b.History, personFormOf(v))
		}
	}
	if !b.Money { // hidden, not only not shown
		for i := range b.Rows {
			b.Rows[i].CostRate, b.Rows[i].BillRate = "", ""
		}
		for i := range b.History {
			b.History[i].CostRate, b.History[i].BillRate = "", ""
		}
		b.Form.CostRate, b.Form.BillRate = "", ""
	}
	return b, nil
}

// today is the date in the org's time zone.
func (d *server) today(data settingsData) time.Time {
	loc, err := time.LoadLocation(data.View.Settings.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	n := d.cfg.Now().In(loc)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}

// settingsPeople is the People section: a table of the org's people as of
// today, and the form that adds a person or changes one (?edit=ID) from a
// date on.
func (d *server) settingsPeople(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/people")
	if err != nil {
		return err
	}
	f := personForm{EffectiveFrom: d.today(data).Format(time.DateOnly), Capacity: "40"}
	editing := false
	if id := c.QueryParam("edit"); id != "" {
		_, byID, err := d.people(c.Request().Context(), data.Principal.Org)
		if err != nil {
			return err
		}
		versions, ok := byID[id]
		if !ok {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("person %q: the org has no such person", id))
		}
		f = personFormOf(inForce(versions, d.today(data)))
		f.EffectiveFrom, editing = d.today(data).Format(time.DateOnly), true
	}
	if data.Body, err = d.peopleBody(c, data, f, editing); err != nil {
		return err
	}
	return d.renderSettings(c, http.StatusOK, "settings_people", data)
}

// ratioText reads a target typed as the pages show it (80 %) or as a ratio
// (0.8), as the import's ratio text.
func ratioText(s string) string {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		if d, err := decimal.NewFromString(strings.TrimSpace(p)); err == nil {
			return d.Shift(-2).String()
		}
	}
	return s
}

// personShown is a person's version as the audit trail records it.
func personShown(f personForm) map[string]string {
	return map[string]string{"valid_from": f.EffectiveFrom, "name": f.Name, "email": f.Email, "role": f.Role, "team": f.Team,
		"weekly_capacity_hours": f.Capacity, "cost_rate": f.CostRate, "bill_rate": f.BillRate, "utilization_target": f.Target,
		"start_date": f.StartDate, "end_date": f.EndDate}
}

// savePerson writes a person's version from the form's date on, through
// Records (the intake API's import: its checks, the person merge). A
// principal without PermMoney keeps the stored rates: the row holds the
// whole person, and theirs are hidden from them.
func (d *server) savePerson(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/people")
	if err != nil {
		return err
	}
	if why := readOnly(data.Principal, auth.PermSettings, d.cfg.Records != nil); why != "" {
		return echo.NewHTTPError(http.StatusForbidden, why)
	}
	ctx := c.Request().Context()
	money := data.Principal.Can(auth.PermMoney)
	f := personForm{ID: c.FormValue("id"), EffectiveFrom: c.FormValue("effective_from"), Name: c.FormValue("name"),
		Email: c.FormValue("email"), Role: c.FormValue("role"), Team: c.FormValue("team"), Capacity: c.FormValue("weekly_capacity_hours"),
		Target: c.FormValue("utilization_target"), StartDate: c.FormValue("start_date"), EndDate: c.FormValue("end_date")}
	if money {
		f.CostRate, f.BillRate = c.FormValue("cost_rate"), c.FormValue("bill_rate")
	}
	refuse := func(field, msg string) error {
		data.Error, data.Fields = msg, map[string]string{field: msg}
		body, err := d.peopleBody(c, data, f, f.ID != "")
		if err != nil {
			return err
		}
		data.Body = body
		return d.renderSettings(c, http.StatusUnprocessableEntity, "settings_people", data)
	}
	day, err := time.Parse(time.DateOnly, strings.TrimSpace(f.EffectiveFrom))
	if err != nil {
		return refuse("effective_from", fmt.Sprintf("effective_from %q: want a date such as 2026-12-01", f.EffectiveFrom))
	}
	var before *personForm
	if f.ID != "" {
		_, byID, err := d.people(ctx, data.Principal.Org)
		if err != nil {
			return err
		}
		versions, ok := byID[f.ID]
		if !ok {
			return refuse("id", fmt.Sprintf("id %q: the org has no such person", f.ID))
		}
		old := inForce(versions, day)
		b := personFormOf(old)
		before, f.Source = &b, old.Source
		if !money {
			f.CostRate, f.BillRate = b.CostRate, b.BillRate
		}
	} else {
		f.ID, f.Source = newID("p-"), "api"
	}
	row := map[string]any{"external_id": f.ID, "source": f.Source, "valid_from": day.Format(time.DateOnly), "name": f.Name}
	for k, v := range map[string]string{"email": f.Email, "role": f.Role, "team": f.Team, "weekly_capacity_hours": f.Capacity,
		"cost_rate": f.CostRate, "bill_rate": f.BillRate, "utilization_target": ratioText(f.Target), "start_date": f.StartDate, "end_date": f.EndDate} {
		if v = strings.TrimSpace(v); v != "" {
			row[k] = v
		}
	}
	// As stored, so the trail shows only what changed: 50.00 is 50, 0.8 is 80 %.
	f.Capacity, f.CostRate, f.BillRate = normDec(f.Capacity), normDec(f.CostRate), normDec(f.BillRate)
	if t, err := decimal.NewFromString(ratioText(f.Target)); err == nil {
		f.Target = shareText(&t)
	}
	var fe *FieldError
	if err := d.cfg.Records.WriteRecords(ctx, data.Principal.Org, "person", []map[string]any{row}); errors.As(err, &fe) {
		return refuse(fe.Field, fe.Error())
	} else if err != nil {
		return err
	}
	ch := org.Change{Org: data.Principal.Org, Who: data.Principal.Who(), Kind: org.AuditPerson, Subject: f.ID, Name: f.Name,
		After: org.JSON(personShown(f))}
	if before != nil {
		ch.Before = org.JSON(personShown(*before))
	}
	if err := d.record(ctx, ch); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/people?saved=1")
}

// removePerson asks to confirm (the form's confirm is not "yes"), then
// removes a person: a tombstone for each of their versions, through
// Records as the intake API deletes one, so they leave every KPI (their
// capacity, past and future, included). The Change log records the version
// in force today as before.
func (d *server) removePerson(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/people")
	if err != nil {
		return err
	}
	if why := readOnly(data.Principal, auth.PermSettings, d.cfg.Records != nil); why != "" {
		return echo.NewHTTPError(http.StatusForbidden, why)
	}
	ctx := c.Request().Context()
	id := c.FormValue("id")
	_, byID, err := d.people(ctx, data.Principal.Org)
	if err != nil {
		return err
	}
	versions, ok := byID[id]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("id %q: the org has no such person", id))
	}
	shown := personRow{personForm: personFormOf(inForce(versions, d.today(data))), Versions: len(versions)}
	if c.FormValue("confirm") != "yes" {
		body, err := d.peopleBody(c, data, personForm{EffectiveFrom: d.today(data).Format(time.DateOnly), Capacity: "40"}, false)
		if err != nil {
			return err
		}
		body.Confirm = &shown
		data.Body = body
		return d.renderSettings(c, http.StatusOK, "settings_people", data)
	}
	rows := make([]map[string]any, len(versions))
	for i, v := range versions {
		rows[i] = map[string]any{"external_id": v.ID, "source": v.Source, "valid_from": v.ValidFrom.Format(time.DateOnly), "deleted": true}
	}
	if err := d.cfg.Records.WriteRecords(ctx, data.Principal.Org, "person", rows); err != nil {
		return fmt.Errorf("remove person %s: %w", id, err)
	}
	before := shown.personForm // whole: the Change log hides rates from whoever may not see them
	if err := d.record(ctx, org.Change{Org: data.Principal.Org, Who: data.Principal.Who(), Kind: org.AuditPerson, Subject: id,
		Name: before.Name, Before: org.JSON(personShown(before))}); err != nil {
		return err
	}
	return flashRedirect(c, "/settings/people", "Removed "+before.Name+".")
}

// saveRole writes a role's rates and target from a date (ops.roles, the
// defaults of everyone holding the role who has none of their own) through
// Records. Rates need PermMoney: without it the role's stored rates on
// that date are kept.
func (d *server) saveRole(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/people")
	if err != nil {
		return err
	}
	if why := readOnly(data.Principal, auth.PermSettings, d.cfg.Records != nil); why != "" {
		return echo.NewHTTPError(http.StatusForbidden, why)
	}
	ctx := c.Request().Context()
	money := data.Principal.Can(auth.PermMoney)
	f := roleForm{Role: strings.TrimSpace(c.FormValue("role")), EffectiveFrom: strings.TrimSpace(c.FormValue("effective_from")),
		Target: c.FormValue("utilization_target")}
	if money {
		f.BillRate, f.CostRate = c.FormValue("bill_rate"), c.FormValue("cost_rate")
	}
	roles, err := metrics.ListRoles(ctx, d.cfg.Store, data.Principal.Org)
	if err != nil {
		return err
	}
	var before *roleForm
	for _, r := range roles { // the version in force on the date, if any
		if r.Role == f.Role && r.ValidFrom.Format(time.DateOnly) <= f.EffectiveFrom {
			b := roleForm{Role: r.Role, EffectiveFrom: r.ValidFrom.Format(time.DateOnly), BillRate: decText(r.BillRate),
				CostRate: decText(r.CostRate), Target: shareText(r.Target)}
			before = &b
		}
	}
	if !money && before != nil {
		f.BillRate, f.CostRate = before.BillRate, before.CostRate
	}
	f.BillRate, f.CostRate = normDec(f.BillRate), normDec(f.CostRate)
	row := map[string]any{"role": f.Role, "valid_from": f.EffectiveFrom, "bill_rate": f.BillRate, "cost_rate": f.CostRate,
		"utilization_target": ratioText(f.Target)}
	var fe *FieldError
	if err := d.cfg.Records.WriteRecords(ctx, data.Principal.Org, "role", []map[string]any{row}); errors.As(err, &fe) {
		data.Error, data.Fields = fe.Error(), map[string]string{"role_" + fe.Field: fe.Error()}
		body, err := d.peopleBody(c, data, personForm{EffectiveFrom: d.today(data).Format(time.DateOnly), Capacity: "40"}, false)
		if err != nil {
			return err
		}
		body.RoleForm = f
		if !money {
			body.RoleForm.BillRate, body.RoleForm.CostRate = "", ""
		}
		data.Body = body
		return d.renderSettings(c, http.StatusUnprocessableEntity, "settings_people", data)
	} else if err != nil {
		return err
	}
	if t, err := decimal.NewFromString(ratioText(f.Target)); err == nil {
		f.Target = shareText(&t)
	}
	shown := func(r roleForm) string {
		return org.JSON(map[string]string{"valid_from": r.EffectiveFrom, "bill_rate": r.BillRate, "cost_rate": r.CostRate, "utilization_target": r.Target})
	}
	ch := org.Change{Org: data.Principal.Org, Who: data.Principal.Who(), Kind: org.AuditPerson, Subject: "role:" + f.Role,
		Name: "role " + f.Role, After: shown(f)}
	if before != nil {
		ch.Before = shown(*before)
	}
	if err := d.record(ctx, ch); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/people?saved=1")
}

// record appends a change to the audit trail through Changes (nil: the
// server keeps no trail, and the change is saved unrecorded).
func (d *server) record(ctx context.Context, ch org.Change) error {
	if d.cfg.Changes == nil {
		return nil
	}
	if err := org.Record(ctx, d.cfg.Changes, ch); err != nil {
		return fmt.Errorf("%s %s saved, but not recorded in the audit trail: %w", ch.Kind, cmp.Or(ch.Name, ch.Subject), err)
	}
	return nil
}

// normDec writes a decimal as stored (50.00 as 50); other text as it is.
func normDec(s string) string {
	if d, err := decimal.NewFromString(strings.TrimSpace(s)); err == nil {
		return d.String()
	}
	return s
}

// newID makes the id of a record added in the app, such as p-3f9a0c1b2d4e.
func newID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
