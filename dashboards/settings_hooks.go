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

	"github.com/labstack/echo/v4"
)

// HookAdmin keeps an org's webhooks (app adapts ingest's hooks to it).
// Tools lists the task tools a hook can be for. List gives each hook with
// its reconciler's state; Get and Remove wrap ErrNotFound for an id the
// org does not have. Add checks and stores a hook, its secret and token
// sealed, and returns it with its secret in the clear (made when none was
// given): the only time it is shown; a hook it refuses is a *FieldError
// naming the form's field. Audit records a change in the org's audit
// trail, the secret and token as "set".
type HookAdmin interface {
	Tools() []string
	List(ctx context.Context, org string) ([]HookView, error)
	Get(ctx context.Context, org, id string) (HookView, error)
	Add(ctx context.Context, h HookInput) (HookView, string, error)
	Remove(ctx context.Context, org, id string) error
	Audit(ctx context.Context, who string, before, after *HookView) error
}

// HookDeliveries lists a hook's deliveries received at or after since,
// newest first.
type HookDeliveries interface {
	Deliveries(ctx context.Context, org, id string, since time.Time) ([]DeliveryView, error)
}

// HookMappings lists how a tool's statuses map for an org, in the order
// of their phase, then by status.
type HookMappings interface {
	List(ctx context.Context, org, tool string) ([]MappingRow, error)
}

// HookView is a webhook as the pages show it. It holds no secret or token,
// only whether it has them.
type HookView struct {
	Org, ID, Tool       string
	URL                 string // to paste into the tool; "" when no public URL was known
	BaseURL             string // the tool's API root for the token; "" is the tool's own
	Client, Project     string // the default client and project of its tasks
	HasSecret, HasToken bool
	// Reconcile is how its checks against the tool's API went; nil: never
	// checked (or not listed).
	Reconcile *ReconcileView
}

// ReconcileView is how a hook's checks against the tool's API went.
type ReconcileView struct {
	LastSuccess  *time.Time
	FailingSince *time.Time // the first failure since the last success
	NeedsToken   bool       // the tool refused the token
}

// HookInput is a hook to add. An empty Secret makes one (Asana's comes in
// its handshake); PublicURL makes the hook's URL.
type HookInput struct {
	Org, Tool       string
	Secret, Token   string
	BaseURL         string
	Client, Project string
	PublicURL       string
}

// DeliveryView is one delivery a hook received. Status is one of
// DeliveryStatuses.
type DeliveryView struct {
	Received       time.Time
	ID, Event      string
	Status, Reason string
	Records        int
}

// DeliveryStatuses are the statuses of a delivery, in the order the
// section counts them.
var DeliveryStatuses = []string{"applied", "ignored", "failed", "pending"}

// MappingRow is how one of a tool's statuses counts for an org: its phase
// and outcome ("" for none), and Set "org" when the org set them, else
// "default".
type MappingRow struct {
	Status, Phase, Outcome, Set string
}

// deliveryWindow is how far back the section counts and lists deliveries.
const deliveryWindow = 30 * 24 * time.Hour

// shownDeliveries is how many of a hook's deliveries the section lists.
const shownDeliveries = 20

type hookForm struct {
	Tool, BaseURL, Client, Project string
}

type hookRow struct {
	ID, Tool, URL       string
	Client, Project     string
	HasToken, HasSecret bool
	LastDelivery        string // "3 min ago (…)", or "none yet"
	Counts              []statusCount
	Deliveries          []deliveryRow
	Reconcile           string // the reconciler's state in words; "" without a token
}

type statusCount struct {
	Status string
	N      int
}

type deliveryRow struct {
	Received, Event, Status, Reason string
	Records                         int
}

type mappingTable struct {
	Tool     string
	Statuses []MappingRow // Phase and Outcome in words: "client review", not client_review
}

type hooksBody struct {
	Available bool
	PublicURL string
	Tools     []string
	Hooks     []hookRow
	Mappings  []mappingTable
	Form      hookForm
	Confirm   *hookRow
	// Added is the hook just added, with its secret shown this once.
	Added  *hookRow
	Secret string
}

func (d *server) registerHooks(g *echo.Group, mw []echo.MiddlewareFunc) {
	g.GET("/settings/hooks", d.hooksPage, mw...)
	g.POST("/settings/hooks", d.hooksAdd, mw...)
	g.POST("/settings/hooks/:id/remove", d.hooksRemove, mw...)
}

// hooksRender writes the section with the org's hooks, their recent
// deliveries and their tools' status mappings.
func (d *server) hooksRender(c echo.Context, data settingsData, status int, body hooksBody) error {
	body.Available, body.PublicURL = d.cfg.Hooks != nil, d.cfg.PublicURL
	if d.cfg.Hooks != nil {
		ctx := c.Request().Context()
		body.Tools = d.cfg.Hooks.Tools()
		list, err := d.cfg.Hooks.List(ctx, data.Principal.Org)
		if err != nil {
			return err
		}
		now, loc := d.cfg.Now(), zoneOf(data.View.Settings.TimeZone)
		var tools []string
		for _, l := range list {
			var ds []DeliveryView
			if d.cfg.HookDeliveries != nil {
				if ds, err = d.cfg.HookDeliveries.Deliveries(ctx, data.Principal.Org, l.ID, now.Add(-deliveryWindow)); err != nil {
					return err
				}
			}
			body.Hooks = append(body.Hooks, hookRowOf(l, ds, now, loc))
			if !slices.Contains(tools, l.Tool) {
				tools = append(tools, l.Tool)
			}
		}
		if d.cfg.HookMappings != nil {
			for _, tool := range tools {
				rows, err := d.cfg.HookMappings.List(ctx, data.Principal.Org, tool)
				if err != nil {
					return err
				}
				for i := range rows {
					rows[i].Phase = strings.ReplaceAll(rows[i].Phase, "_", " ")
					rows[i].Outcome = strings.ReplaceAll(rows[i].Outcome, "_", " ")
				}
				body.Mappings = append(body.Mappings, mappingTable{Tool: tool, Statuses: rows})
			}
		}
	}
	data.Body = body
	return d.renderSettings(c, status, "settings_hooks", data)
}

// hookRowOf is a hook as listed, with its deliveries (newest first)
// counted by status and the latest shownDeliveries listed. Pure.
func hookRowOf(l HookView, ds []DeliveryView, now time.Time, loc *time.Location) hookRow {
	r := hookRow{ID: l.ID, Tool: l.Tool, URL: l.URL, Client: l.Client, Project: l.Project,
		HasToken: l.HasToken, HasSecret: l.HasSecret, LastDelivery: "none yet"}
	if len(ds) > 0 {
		r.LastDelivery = when(ds[0].Received, now, loc)
	}
	counts := map[string]int{}
	for i, dl := range ds {
		counts[dl.Status]++
		if i < shownDeliveries {
			r.Deliveries = append(r.Deliveries, deliveryRow{Received: dl.Received.In(loc).Format("2 Jan 2006 15:04:05"),
				Event: dl.Event, Status: dl.Status, Reason: dl.Reason, Records: dl.Records})
		}
	}
	for _, s := range DeliveryStatuses {
		if counts[s] > 0 {
			r.Counts = append(r.Counts, statusCount{s, counts[s]})
		}
	}
	if st := l.Reconcile; st != nil {
		switch {
		case st.NeedsToken:
			r.Reconcile = "the tool refused its token: add the hook again with a new one"
		case st.FailingSince != nil:
			r.Reconcile = "checks against the tool's API failing since " + when(*st.FailingSince, now, loc)
		case st.LastSuccess != nil:
			r.Reconcile = "last checked against the tool's API " + when(*st.LastSuccess, now, loc)
		}
	} else if l.HasToken {
		r.Reconcile = "not checked against the tool's API yet"
	}
	return r
}

func (d *server) hooksPage(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/hooks")
	if err != nil {
		return err
	}
	return d.hooksRender(c, data, http.StatusOK, hooksBody{})
}

// hooksAdd adds a hook from the form and shows its URL and secret this
// once; a refused form is 422 naming the field and value.
func (d *server) hooksAdd(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/hooks")
	if err != nil {
		return err
	}
	if d.cfg.Hooks == nil {
		return echo.NewHTTPError(http.StatusNotFound, "hooks are not available: start serve with a secret key and a spool")
	}
	f := hookForm{Tool: strings.TrimSpace(c.FormValue("tool")), BaseURL: strings.TrimSpace(c.FormValue("base_url")),
		Client: strings.TrimSpace(c.FormValue("client")), Project: strings.TrimSpace(c.FormValue("project"))}
	secret, token := strings.TrimSpace(c.FormValue("secret")), strings.TrimSpace(c.FormValue("token"))
	refuse := func(field, msg string) error {
		data.Error = msg + " Nothing was added; enter the secret and token again."
		data.Fields = map[string]string{field: msg}
		return d.hooksRender(c, data, http.StatusUnprocessableEntity, hooksBody{Form: f})
	}
	if tools := d.cfg.Hooks.Tools(); !slices.Contains(tools, f.Tool) {
		return refuse("tool", fmt.Sprintf("Tool %q: want one of %s.", f.Tool, strings.Join(tools, ", ")))
	}
	if f.BaseURL != "" {
		if u, err := url.Parse(f.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			return refuse("base_url", fmt.Sprintf("Base URL %q: want an http(s) URL such as https://example.atlassian.net, or leave it empty for the tool's own.", f.BaseURL))
		}
	}
	if f.Tool == "asana" && secret != "" {
		return refuse("secret", "Secret: leave it empty for Asana; Asana sends its own in the handshake.")
	}
	if f.Tool == "trello" && d.cfg.PublicURL == "" {
		return refuse("tool", "Tool \"trello\": Trello signs the hook's URL, so serve needs --public-url; ask whoever runs opsmetrics to set it.")
	}
	ctx := c.Request().Context()
	h, made, err := d.cfg.Hooks.Add(ctx, HookInput{Org: data.Principal.Org, Tool: f.Tool, Secret: secret, Token: token,
		BaseURL: f.BaseURL, Client: f.Client, Project: f.Project, PublicURL: d.cfg.PublicURL})
	var bad *FieldError
	if errors.As(err, &bad) {
		return refuse(cmp.Or(bad.Field, "tool"), upperFirst(formWords.Replace(bad.Reason))+".")
	}
	if err != nil {
		return err
	}
	if d.cfg.HooksChanged != nil {
		d.cfg.HooksChanged()
	}
	if err := d.cfg.Hooks.Audit(ctx, data.Principal.Who(), nil, &h); err != nil {
		return fmt.Errorf("hook %s added; recording it in the audit trail: %w", h.ID, err)
	}
	row := hookRowOf(h, nil, d.cfg.Now(), time.UTC)
	body := hooksBody{Added: &row}
	if secret == "" {
		body.Secret = made // made here: shown this once; one typed in is not shown back
	}
	data.Flash = "Added the " + h.Tool + " hook. Paste its URL into " + h.Tool + " now (docs/hooks.md has the steps)."
	return d.hooksRender(c, data, http.StatusCreated, body)
}

// hooksRemove asks to confirm, then removes: the hook's URL answers 404,
// what it wrote stays.
func (d *server) hooksRemove(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/hooks")
	if err != nil {
		return err
	}
	if d.cfg.Hooks == nil {
		return echo.NewHTTPError(http.StatusNotFound, "hooks are not available: start serve with a secret key and a spool")
	}
	ctx := c.Request().Context()
	h, err := d.cfg.Hooks.Get(ctx, data.Principal.Org, c.Param("id"))
	if errors.Is(err, ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("no hook %q in this organization", c.Param("id")))
	}
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		row := hookRowOf(h, nil, d.cfg.Now(), time.UTC)
		return d.hooksRender(c, data, http.StatusOK, hooksBody{Confirm: &row})
	}
	if err := d.cfg.Hooks.Remove(ctx, data.Principal.Org, h.ID); err != nil {
		return err
	}
	if d.cfg.HooksChanged != nil {
		d.cfg.HooksChanged()
	}
	if err := d.cfg.Hooks.Audit(ctx, data.Principal.Who(), &h, nil); err != nil {
		return fmt.Errorf("hook %s removed; recording it in the audit trail: %w", h.ID, err)
	}
	return flashRedirect(c, "/settings/hooks", "Removed the "+h.Tool+" hook; its URL no longer takes deliveries, and what it wrote stays.")
}
