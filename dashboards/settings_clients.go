package dashboards

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
)

// clientForm is a client's form as typed.
type clientForm struct{ ID, Source, Name, Currency string }

// projectForm is a project's form as typed.
type projectForm struct {
	ID, Source, Name, Client, ClientName, Kind, BillRate, BudgetHours, BudgetAmount, RetainerFee, RetainerHours, StartDate, EndDate string
	Billable                                                                                                                        bool
}

// clientGroup is a client with its projects, as the section lists them.
type clientGroup struct {
	clientForm
	Projects []projectForm
}

type clientsBody struct {
	Clients              []clientGroup
	Unassigned           []projectForm // projects of no client (internal work)
	Client               clientForm
	Project              projectForm
	EditClient, EditProj bool
	AllClients           []clientForm
	Kinds                []string
	Money, CanEdit       bool
	ReadOnly             string
	Confirm              *removal      // a removal to confirm
	CSRF                 template.HTML // the chrome's, for the forms of the project rows
}

// removal is a client or project to remove, as the confirmation names it.
type removal struct{ Entity, ID, Name string }

// projectKinds are the kinds a project can have (ingest's), in order.
var projectKinds = []string{"retainer", "fixed_fee", "time_and_materials", "internal"}

// kindNames are the kinds as people say them.
var kindNames = map[string]string{"retainer": "Retainer", "fixed_fee": "Fixed fee",
	"time_and_materials": "Time and materials", "internal": "Internal"}

func projectFormOf(p metrics.ProjectRecord) projectForm {
	return projectForm{ID: p.ID, Source: p.Source, Name: p.Name, Client: p.ClientID, Kind: p.Kind, Billable: p.BillableDefault,
		BillRate: decText(p.BillRate), BudgetHours: decText(p.BudgetHours), BudgetAmount: decText(p.BudgetAmount),
		RetainerFee: decText(p.RetainerFee), RetainerHours: decText(p.RetainerHours), StartDate: dateText(p.StartDate), EndDate: dateText(p.EndDate)}
}

// hideMoney blanks a project's amounts for a principal without PermMoney.
func (p *projectForm) hideMoney() { p.BillRate, p.BudgetAmount, p.RetainerFee = "", "", "" }

func (d *server) clientsBody(c echo.Context, data settingsData, cf clientForm, pf projectForm) (clientsBody, []metrics.ClientRecord, []metrics.ProjectRecord, error) {
	b := clientsBody{Client: cf, Project: pf, Kinds: projectKinds, Money: data.Principal.Can(auth.PermMoney), CSRF: data.CSRF,
		ReadOnly: readOnly(data.Principal, auth.PermSettings, d.cfg.Records != nil)}
	b.CanEdit = b.ReadOnly == ""
	clients, projects, err := metrics.ListClients(c.Request().Context(), d.cfg.Store, data.Principal.Org)
	if err != nil {
		return b, nil, nil, err
	}
	index := map[string]int{}
	for i, cl := range clients {
		index[cl.ID] = i
		f := clientForm{ID: cl.ID, Source: cl.Source, Name: cl.Name, Currency: cl.Currency}
		b.Clients = append(b.Clients, clientGroup{clientForm: f})
		b.AllClients = append(b.AllClients, f)
	}
	for _, p := range projects {
		f := projectFormOf(p)
		if !b.Money {
			f.hideMoney()
		}
		if i, ok := index[p.ClientID]; ok && p.ClientID != "" {
			f.ClientName = clients[i].Name
			b.Clients[i].Projects = append(b.Clients[i].Projects, f)
		} else {
			b.Unassigned = append(b.Unassigned, f)
		}
	}
	if !b.Money {
		b.Project.hideMoney()
	}
	return b, clients, projects, nil
}

// settingsClients is the Clients and projects section: each client with
// its projects (kind, budgets, retainer, dates), and the forms that add or
// change a client (?client=ID) or a project (?project=ID).
func (d *server) settingsClients(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/clients")
	if err != nil {
		return err
	}
	body, clients, projects, err := d.clientsBody(c, data, clientForm{}, projectForm{Kind: "time_and_materials", Billable: true})
	if err != nil {
		return err
	}
	if id := c.QueryParam("client"); id != "" {
		i := slices.IndexFunc(clients, func(x metrics.ClientRecord) bool { return x.ID == id })
		if i < 0 {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("client %q: the org has no such client", id))
		}
		body.Client, body.EditClient = clientForm{ID: id, Source: clients[i].Source, Name: clients[i].Name, Currency: clients[i].Currency}, true
	}
	if id := c.QueryParam("project"); id != "" {
		i := slices.IndexFunc(projects, func(x metrics.ProjectRecord) bool { return x.ID == id })
		if i < 0 {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("project %q: the org has no such project", id))
		}
		body.Project, body.EditProj = projectFormOf(projects[i]), true
		if !body.Money {
			body.Project.hideMoney()
		}
	}
	data.Body = body
	return d.renderSettings(c, http.StatusOK, "settings_clients", data)
}

func clientShown(f clientForm) map[string]string {
	return map[string]string{"name": f.Name, "currency": f.Currency}
}

func projectShown(f projectForm) map[string]string {
	return map[string]string{"name": f.Name, "client": f.Client, "kind": f.Kind, "billable_default": fmt.Sprint(f.Billable),
		"bill_rate": f.BillRate, "budget_hours": f.BudgetHours, "budget_amount": f.BudgetAmount,
		"retainer_fee_monthly": f.RetainerFee, "retainer_hours_monthly": f.RetainerHours, "start_date": f.StartDate, "end_date": f.EndDate}
}

// saveClient adds or changes a client or a project (the form's "entity")
// through Records, the intake API's import. Amounts (bill rate, budget
// amount, retainer fee) need PermMoney; without it the stored ones are
// kept.
func (d *server) saveClient(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/clients")
	if err != nil {
		return err
	}
	if why := readOnly(data.Principal, auth.PermSettings, d.cfg.Records != nil); why != "" {
		return echo.NewHTTPError(http.StatusForbidden, why)
	}
	ctx := c.Request().Context()
	money := data.Principal.Can(auth.PermMoney)
	entity := c.FormValue("entity")
	cf := clientForm{ID: c.FormValue("id"), Name: c.FormValue("name"), Currency: c.FormValue("currency")}
	pf := projectForm{ID: c.FormValue("id"), Name: c.FormValue("name"), Client: c.FormValue("client"), Kind: c.FormValue("kind"),
		Billable: c.FormValue("billable_default") != "", BudgetHours: c.FormValue("budget_hours"),
		RetainerHours: c.FormValue("retainer_hours_monthly"), StartDate: c.FormValue("start_date"), EndDate: c.FormValue("end_date")}
	if money {
		pf.BillRate, pf.BudgetAmount, pf.RetainerFee = c.FormValue("bill_rate"), c.FormValue("budget_amount"), c.FormValue("retainer_fee_monthly")
	}
	refuse := func(field, msg string) error {
		data.Error, data.Fields = msg, map[string]string{field: msg}
		show := clientForm{}
		showP := projectForm{Kind: "time_and_materials", Billable: true}
		if entity == "client" {
			show = cf
		} else {
			showP = pf
		}
		body, _, _, err := d.clientsBody(c, data, show, showP)
		if err != nil {
			return err
		}
		body.EditClient, body.EditProj = entity == "client" && cf.ID != "", entity == "project" && pf.ID != ""
		data.Body = body
		return d.renderSettings(c, http.StatusUnprocessableEntity, "settings_clients", data)
	}
	if entity != "client" && entity != "project" {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("entity %q: want client or project", entity))
	}
	clients, projects, err := metrics.ListClients(ctx, d.cfg.Store, data.Principal.Org)
	if err != nil {
		return err
	}
	ch := org.Change{Org: data.Principal.Org, Who: data.Principal.Who()}
	var row map[string]any
	if entity == "client" {
		if cf.ID == "" {
			cf.ID, cf.Source = newID("c-"), "api"
		} else if i := slices.IndexFunc(clients, func(x metrics.ClientRecord) bool { return x.ID == cf.ID }); i >= 0 {
			cf.Source = clients[i].Source
			ch.Before = org.JSON(clientShown(clientForm{Name: clients[i].Name, Currency: clients[i].Currency}))
		} else {
			return refuse("id", fmt.Sprintf("id %q: the org has no such client", cf.ID))
		}
		cf.Currency = strings.ToUpper(strings.TrimSpace(cf.Currency))
		row = map[string]any{"external_id": cf.ID, "source": cf.Source, "name": cf.Name}
		if cf.Currency != "" {
			row["currency"] = cf.Currency
		}
		ch.Kind, ch.Subject, ch.Name, ch.After = org.AuditClient, cf.ID, cf.Name, org.JSON(clientShown(cf))
	} else {
		if pf.ID == "" {
			pf.ID, pf.Source = newID("pr-"), "api"
		} else if i := slices.IndexFunc(projects, func(x metrics.ProjectRecord) bool { return x.ID == pf.ID }); i >= 0 {
			old := projectFormOf(projects[i])
			pf.Source = old.Source
			if !money {
				pf.BillRate, pf.BudgetAmount, pf.RetainerFee = old.BillRate, old.BudgetAmount, old.RetainerFee
			}
			ch.Before = org.JSON(projectShown(old))
		} else {
			return refuse("id", fmt.Sprintf("id %q: the org has no such project", pf.ID))
		}
		pf.BillRate, pf.BudgetHours, pf.BudgetAmount = normDec(pf.BillRate), normDec(pf.BudgetHours), normDec(pf.BudgetAmount)
		pf.RetainerFee, pf.RetainerHours = normDec(pf.RetainerFee), normDec(pf.RetainerHours)
		row = map[string]any{"external_id": pf.ID, "source": pf.Source, "name": pf.Name, "kind": pf.Kind, "billable_default": pf.Billable}
		for k, v := range map[string]string{"client": pf.Client, "bill_rate": pf.BillRate, "budget_hours": pf.BudgetHours,
			"budget_amount": pf.BudgetAmount, "retainer_fee_monthly": pf.RetainerFee, "retainer_hours_monthly": pf.RetainerHours,
			"start_date": pf.StartDate, "end_date": pf.EndDate} {
			if v = strings.TrimSpace(v); v != "" {
				row[k] = v
			}
		}
		ch.Kind, ch.Subject, ch.Name, ch.After = org.AuditProject, pf.ID, pf.Name, org.JSON(projectShown(pf))
	}
	var fe *FieldError
	if err := d.cfg.Records.WriteRecords(ctx, data.Principal.Org, entity, []map[string]any{row}); errors.As(err, &fe) {
		return refuse(fe.Field, fe.Error())
	} else if err != nil {
		return err
	}
	if ch.Before != ch.After {
		if err := d.record(ctx, ch); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, "/settings/clients?saved=1")
}

// removeClient asks to confirm (the form's confirm is not "yes"), then
// removes a client or a project (the form's entity): a tombstone through
// Records, as the intake API deletes one. A client that still has projects
// is refused, naming them: its projects' time would lose its client
// silently otherwise. The Change log records the removed values as before.
func (d *server) removeClient(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/clients")
	if err != nil {
		return err
	}
	if why := readOnly(data.Principal, auth.PermSettings, d.cfg.Records != nil); why != "" {
		return echo.NewHTTPError(http.StatusForbidden, why)
	}
	ctx := c.Request().Context()
	entity, id := c.FormValue("entity"), c.FormValue("id")
	body, clients, projects, err := d.clientsBody(c, data, clientForm{}, projectForm{Kind: "time_and_materials", Billable: true})
	if err != nil {
		return err
	}
	var source string
	ch := org.Change{Org: data.Principal.Org, Who: data.Principal.Who(), Subject: id}
	switch entity {
	case "client":
		i := slices.IndexFunc(clients, func(x metrics.ClientRecord) bool { return x.ID == id })
		if i < 0 {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("id %q: the org has no such client", id))
		}
		cl := clients[i]
		var names []string
		for _, p := range projects {
			if p.ClientID == id {
				names = append(names, p.Name+" ("+p.ID+")")
			}
		}
		if len(names) > 0 {
			data.Error = fmt.Sprintf("client %q: still has %d project(s): %s; remove them or give them another client first",
				cl.Name, len(names), strings.Join(names, ", "))
			data.Body = body
			return d.renderSettings(c, http.StatusConflict, "settings_clients", data)
		}
		source, ch.Kind, ch.Name = cl.Source, org.AuditClient, cl.Name
		ch.Before = org.JSON(clientShown(clientForm{ID: cl.ID, Source: cl.Source, Name: cl.Name, Currency: cl.Currency}))
	case "project":
		i := slices.IndexFunc(projects, func(x metrics.ProjectRecord) bool { return x.ID == id })
		if i < 0 {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("id %q: the org has no such project", id))
		}
		source, ch.Kind, ch.Name = projects[i].Source, org.AuditProject, projects[i].Name
		ch.Before = org.JSON(projectShown(projectFormOf(projects[i]))) // the Change log hides amounts from whoever may not see them
	default:
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("entity %q: want client or project", entity))
	}
	if c.FormValue("confirm") != "yes" {
		body.Confirm = &removal{Entity: entity, ID: id, Name: ch.Name}
		data.Body = body
		return d.renderSettings(c, http.StatusOK, "settings_clients", data)
	}
	row := map[string]any{"external_id": id, "source": source, "deleted": true}
	if err := d.cfg.Records.WriteRecords(ctx, data.Principal.Org, entity, []map[string]any{row}); err != nil {
		return fmt.Errorf("remove %s %s: %w", entity, id, err)
	}
	if err := d.record(ctx, ch); err != nil {
		return err
	}
	return flashRedirect(c, "/settings/clients", "Removed "+entity+" "+ch.Name+".")
}
