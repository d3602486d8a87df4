// Package dashboards serves the pages partners, ops leads and sales read:
// go-echarts charts inside opsmetrics' own templates, every number and
// list read from the KPI layer (metrics; this package imports no sql
// package), every chart with a table of the same numbers, and the ECharts
// JavaScript embedded in the binary.
package dashboards

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Config configures the pages.
type Config struct {
	Store  metrics.Querier
	Facts  *metrics.Facts // the store's entry facts, for the money KPIs
	Logger *slog.Logger
	// Org returns the signed-in org of a request (the session's token).
	Org func(echo.Context) (string, bool)
	// Settings is where pages read org settings; nil: from Store on
	// every page.
	Settings *org.Cache
	Now      func() time.Time // defaults to time.Now
	// The users, API tokens and account sections; nil: the section says it
	// is not available. Mailer, when set, emails invitations; PublicURL
	// makes their links and the hooks' URLs ("": the request's own
	// address).
	Users     UserAdmin
	Tokens    TokenAdmin
	Account   Account
	Mailer    InviteMailer
	PublicURL string
	// Sources and SyncSource, when set, serve the Sources settings section;
	// nil: it says sources are not available.
	Sources    SourceAdmin
	SyncSource SourceSyncer
	// Hooks, when set, serve the Hooks settings section, with
	// HookDeliveries and HookMappings (each optional) and PublicURL (serve's
	// --public-url) for the hooks' URLs; HooksChanged is told of every add
	// and removal (the receiver's Invalidate).
	Hooks          HookAdmin
	HookDeliveries HookDeliveries
	HookMappings   HookMappings
	HooksChanged   func()
	// Rendered keeps rendered pages per org data version (the process's
	// metrics.Cache); nil: every page is rendered.
	Rendered interface {
		Rendered(ctx context.Context, org, key string, render func() ([]byte, error)) ([]byte, error)
	}

	// OrgWriter saves an org's settings through the code PUT /api/v1/org
	// uses, recording who did (org.Cache.UpdateBy); nil: the Organization
	// section shows the settings and says changing them is not available.
	OrgWriter OrgWriter
	// Changes writes alert thresholds and the audit trail (the store);
	// nil: the Alerts section is read-only and says so.
	Changes metrics.Inserter
	// Records writes the People and Clients sections' forms; nil: they
	// are read-only and say so.
	Records RecordWriter
	// Reports reads and writes the monthly reports' records (commentary,
	// actions, retros, report settings, drafts: metrics/reports.go); nil:
	// reports are read-only and say so.
	Reports metrics.RecordStore
	// ReportMailer, when set, sends a client's report from /reports
	// (auth.Mailer, with serve's --smtp-url); nil: /reports offers no Send
	// and says how to configure SMTP. DraftsPrepared, when set, is told of
	// the drafts /reports prepares (the scheduler's counter).
	ReportMailer   ReportMailer
	DraftsPrepared func(org string, n int)
	// Printer prints the reports' PDFs (pdf.go); nil: the PDF download
	// answers 503 saying PDFs are not available.
	Printer *Printer
}

// OrgWriter changes an org's settings as who (org.Cache.UpdateBy): a bad
// setting is an *org.BadSettingError naming the field and value.
type OrgWriter interface {
	UpdateBy(ctx context.Context, who, id string, p org.Patch) (org.Settings, error)
}

var _ OrgWriter = (*org.Cache)(nil)

// Validate reports what is missing.
func (c *Config) Validate() error {
	if c.Store == nil || c.Facts == nil || c.Logger == nil || c.Org == nil {
		return errors.New("dashboards: store, facts, logger and org are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Settings == nil {
		var err error
		if c.Settings, err = org.NewCache(org.Config{Store: c.Store}); err != nil {
			return err
		}
	}
	return nil
}

// Page is one dashboard: its path, its name in the navigation, and what
// question it answers.
type Page struct {
	Path, Name, Question string
}

// Pages lists the dashboards in navigation order.
var Pages = []Page{
	{"/", "Overview", "How is the agency doing this period?"},
	{"/margin", "Margin", "Per client and month, are we making money?"},
	{"/utilization", "Utilization", "Who is busy, who is idle, and is time being tracked?"},
	{"/delivery", "Delivery", "Do we deliver on the dates we promise?"},
	{"/approvals", "Approvals", "Where are clients slow to approve, and what is stuck?"},
	{"/capacity", "Capacity", "When can we start new work?"},
	{"/reports", "Reports", "Which clients' monthly reports are prepared, reviewed and sent?"},
	{"/retros", "Retros", "What did each quarter's retro find, and what did it change?"},
}

// AssetsPath is where the embedded JavaScript and CSS are served.
const AssetsPath = "/assets"

// Register adds the pages and their assets to g. The pages get mw (the
// signed-in session check); the assets do not, as the sign-in page uses
// them too. Middleware goes on each route, not on g, because a group's
// middleware makes it answer every unknown path as well.
func Register(g *echo.Group, cfg Config, mw ...echo.MiddlewareFunc) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		return err
	}
	files := http.FileServer(http.FS(sub))
	g.GET(AssetsPath+"/*", func(c echo.Context) error {
		// Assets change only with the binary.
		c.Response().Header().Set("Cache-Control", "public, max-age=3600")
		http.StripPrefix(AssetsPath, files).ServeHTTP(c.Response(), c.Request())
		return nil
	})
	d := &server{cfg: cfg}
	for path, h := range map[string]echo.HandlerFunc{"/": d.overview, "/utilization": d.utilization,
		"/delivery": d.delivery, "/approvals": d.approvals, "/capacity": d.capacity,
		"/clients/:id": d.client, "/projects/:id": d.project, "/people/:id": d.person,
		"/clients/:id/report": d.report} {
		g.GET(path, h, mw...)
	}
	g.GET(ReportPDFPath, d.reportPDFDownload, append(slices.Clip(mw), d.requirePerm(auth.PermRead, "Reports are for people who may read the pages."))...)
	g.GET("/margin", d.margin, append(slices.Clip(mw), d.requirePerm(auth.PermMoney, "Margin is for partners and admins; ask an admin for the partner role."))...)
	d.registerUsers(g, mw)
	d.registerSources(g, mw)
	d.registerHooks(g, mw)
	d.registerSettings(g, mw)
	d.registerReportEdits(g, mw)
	d.registerReport(g, mw)
	d.registerReports(g, mw)
	d.registerRetros(g, mw)
	return nil
}

type server struct {
	cfg Config
}

// view reads the request's view and org.
func (d *server) view(c echo.Context) (View, error) {
	org, ok := d.cfg.Org(c)
	if !ok {
		return View{}, echo.NewHTTPError(http.StatusUnauthorized, "sign in first")
	}
	// The settings come first: the default range is this month in the
	// org's time zone.
	settings, err := d.cfg.Settings.Get(c.Request().Context(), org)
	if err != nil {
		return View{}, err
	}
	v, err := parseView(c, org, d.cfg.Now().In(orgLocation(settings)))
	if err != nil {
		return v, err
	}
	v.Settings = settings
	if v.Client != "" || v.Team != "" {
		// A client or team by name, in any capitals, is the one it names, so
		// a link says the same as the filter's choice; one the org does not
		// have is refused rather than shown as a page of zeros.
		n, err := metrics.LoadNames(c.Request().Context(), d.cfg.Store, org)
		if err != nil {
			return v, err
		}
		f := v.Filters()
		var fe *metrics.FilterError
		if err := n.ResolveFilters(c.Request().Context(), f); errors.As(err, &fe) {
			return v, echo.NewHTTPError(http.StatusBadRequest, fe.Error())
		} else if err != nil {
			return v, err
		}
		v.Client, v.Team = f["client"], f["team"]
		v.names = n // the page's requests resolve their filters with them, without reading them again
	}
	return v, nil
}

// viewWithout is the request's view (v) and the same view without the
// filter dim ("client" or "team") that the page's numbers do not take (q),
// with note for the reader when the view had it set.
func (d *server) viewWithout(c echo.Context, dim, note string) (v, q View, notes []string, err error) {
	if v, err = d.view(c); err != nil {
		return v, v, nil, err
	}
	q = v
	switch {
	case dim == "client" && v.Client != "":
		q.Client = ""
	case dim == "team" && v.Team != "":
		q.Team = ""
	default:
		return v, q, nil, nil
	}
	return v, q, []string{note}, nil
}

// pageData is what the layout template needs; Body is the page's own part.
type pageData struct {
	Page   Page
	Pages  []Page
	View   View
	Names  *names
	Charts []Chart
	Body   any
	Notes  []string // what is missing, shown at the top
	Org    org.Shown
	// Who is signed in, and the CSRF field of the top bar's sign-out form.
	Principal auth.Principal
	CSRF      template.HTML
	// Crumbs lead from a drill page (a client's, a project's, a person's)
	// back to the page it was opened from, Back, with the same view.
	Crumbs []Crumb
	Back   string
	// NoMoney leaves the org's overhead per hour out of the footer, for a
	// principal who may not see amounts (render sets it).
	NoMoney bool
	// Status is the response's status; 0 is 200 (a refused form shown
	// again is 422).
	Status int
}

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"link":     func(v View, page string, kv ...string) string { return v.Link(page, kv...) },
	"numeric":  func(t Table, i int) bool { return i < len(t.Numeric) && t.Numeric[i] },
	"kindName": func(k string) string { return cmp.Or(kindNames[k], k) },
	"projectRow": func(b clientsBody, p projectForm) any {
		return struct {
			B clientsBody
			P projectForm
		}{b, p}
	},
	"rowLink": func(t Table, r int) string {
		if r < len(t.Links) {
			return t.Links[r]
		}
		return ""
	},
}).ParseFS(templateFS, "templates/*.html"))

// render writes a page. The template renders into a buffer first, so a
// failure is an error response and never half a page.
func (d *server) render(c echo.Context, name string, data pageData) error {
	data.Principal, _ = auth.PrincipalOf(c)
	data.Pages, data.CSRF = visiblePages(data.Principal), auth.CSRFInput(c)
	// Amounts (the footer's overhead too) only for who may see money.
	data.NoMoney = !data.Principal.Can(auth.PermMoney)
	if data.Names == nil {
		n, err := d.loadNames(c.Request().Context(), data.View.Org)
		if err != nil {
			return err
		}
		data.Names = n
	}
	data.Org = data.View.Settings.Show()
	for _, p := range Pages {
		if p.Path == c.Path() {
			data.Page = p
		}
	}
	status := cmp.Or(data.Status, http.StatusOK)
	r := c.Request()
	if d.cfg.Rendered == nil || status != http.StatusOK || r.Method != http.MethodGet || c.QueryParam("saved") != "" {
		return writePage(c, status, name, data)
	}
	// The same page for the same person, session and request at the same
	// data version and minute is the same bytes (metrics.Cache.Rendered).
	// A one-time note (?saved=) is never kept.
	p := data.Principal
	key := strings.Join([]string{name, r.URL.RequestURI(), auth.CSRFToken(c), p.UserID, p.Email, p.Name, p.Role, p.TokenID}, "\x00")
	body, err := d.cfg.Rendered.Rendered(r.Context(), data.View.Org, key, func() ([]byte, error) { return renderPage(name, data) })
	if err != nil {
		return err
	}
	return writeHTML(c, status, body)
}

// renderPage executes the page template name with data.
func renderPage(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// writeHTML writes a rendered page with status, kept by no cache.
func writeHTML(c echo.Context, status int, body []byte) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "private, no-store")
	return c.HTMLBlob(status, body)
}

// writePage executes template name with data into a buffer first, so a
// failure is an error response and never half a page, and writes it with
// status. Pages show one org's numbers, and forms their values: kept by
// no cache, shared or not.
func writePage(c echo.Context, status int, name string, data any) error {
	body, err := renderPage(name, data)
	if err != nil {
		return err
	}
	return writeHTML(c, status, body)
}

// contentSecurityPolicy is every page's CSP (SecurityHeaders), and the
// PDF printer's loopback page's too.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// SecurityHeaders is the middleware that gives every response the
// browser-facing security headers: pages (dashboards, sign-in, status, error
// pages) and everything else alike, so no HTML can leave without them. It
// sets them before the handler runs, so an error page written by echo's
// error handler carries them too.
//
//   - Content-Security-Policy: scripts, styles and images only from this
//     site and never inline, so even a markup injection could not run code;
//     forms post only here; no page may be framed (clickjacking).
//   - X-Frame-Options DENY: the same for browsers without frame-ancestors.
//   - X-Content-Type-Options nosniff: a response is only what its
//     Content-Type says.
//   - Referrer-Policy same-origin: page addresses (org filters, client ids)
//     are never sent to another site.
func SecurityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		return next(c)
	}
}

// kpis computes several KPI requests at once, at most two at a time (the
// engine uses both cores for one query too). The results come back in the
// order asked.
func (d *server) kpis(ctx context.Context, reqs ...metrics.Request) ([]*metrics.Result, error) {
	out := make([]*metrics.Result, len(reqs))
	jobs := make([]func(context.Context) error, len(reqs))
	for i, r := range reqs {
		r = d.complete(r)
		jobs[i] = func(ctx context.Context) (err error) {
			out[i], err = metrics.Compute(ctx, d.cfg.Store, d.cfg.Facts, r)
			return err
		}
	}
	return out, metrics.RunQueries(ctx, jobs...)
}

// complete is r as the pages ask it: now by the server's clock unless r
// says, and the org's settings from the server's cache.
func (d *server) complete(r metrics.Request) metrics.Request {
	if r.Now.IsZero() {
		r.Now = d.cfg.Now()
	}
	r.Orgs = d.cfg.Settings
	return r
}

// kpisBeside computes the KPI requests while beside runs (a page's own
// small lookups), and returns both's errors joined.
func (d *server) kpisBeside(ctx context.Context, beside func() error, reqs ...metrics.Request) ([]*metrics.Result, error) {
	var (
		wg   sync.WaitGroup
		res  []*metrics.Result
		kerr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, kerr = d.kpis(ctx, reqs...)
	}()
	berr := beside()
	wg.Wait()
	return res, errors.Join(kerr, berr)
}

// request is a KPI request for the view.
func (v View) request(kpi string, kv ...string) metrics.Request {
	settings := v.Settings
	r := metrics.Request{KPI: kpi, Org: v.Org, From: v.From, To: v.To, Filters: v.Filters(), Settings: &settings, Names: v.names}
	for i := 0; i+1 < len(kv); i += 2 {
		switch kv[i] {
		case "group_by":
			r.GroupBy = kv[i+1]
		case "interval":
			r.Interval = kv[i+1]
		}
	}
	return r
}

// requestWithin is v.request without the view's filters that kpi cannot
// take; dropped names them, so the page can say which numbers a filter does
// not narrow.
func requestWithin(v View, kpi string, kv ...string) (r metrics.Request, dropped []string) {
	r = v.request(kpi, kv...)
	k, ok := metrics.Lookup(kpi)
	if !ok {
		return r, nil // Compute reports the unknown KPI
	}
	for dim := range r.Filters {
		if !slices.Contains(k.Filters, dim) {
			delete(r.Filters, dim)
			dropped = append(dropped, dim)
		}
	}
	sort.Strings(dropped)
	return r, dropped
}

// RecordWriter writes people, clients and projects as the intake API
// writes them (the app's importer: one staged, strict import of entity's
// canonical NDJSON rows, "person", "client" or "project"), so the same
// checks, matching and merge apply. A refused row is a *FieldError and
// writes nothing.
type RecordWriter interface {
	WriteRecords(ctx context.Context, org, entity string, rows []map[string]any) error
}

// FieldError is a form's value that a check refused.
type FieldError struct{ Field, Value, Reason string }

func (e *FieldError) Error() string { return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Reason) }
