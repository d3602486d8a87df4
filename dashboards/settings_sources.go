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

// SourceAdmin keeps an org's connected sources (app adapts ingest's
// collector to it). Kinds lists the tools a source can be, sorted;
// MinEvery is the shortest interval between syncs. Get and Remove wrap
// ErrNotFound for an id the org does not have. Add checks the source as
// the CLI and API do and stores it with its token sealed; a source the
// tool's check refuses is a *FieldError naming the form's field. Audit
// records a change in the org's audit trail, the token as "set".
type SourceAdmin interface {
	Kinds() []string
	MinEvery() time.Duration
	List(ctx context.Context, org string) ([]SourceView, error)
	Get(ctx context.Context, org, id string) (SourceView, error)
	Add(ctx context.Context, s SourceInput) (SourceView, error)
	Remove(ctx context.Context, org, id string) error
	Audit(ctx context.Context, who string, before, after *SourceView) error
}

// SourceSyncer syncs one source now. Errors: ErrSyncBusy (wrapped) when
// a sync of it is under way, a *SyncError when the tool's API refused the
// sync, ErrNotFound (wrapped), others.
type SourceSyncer interface {
	Sync(ctx context.Context, org, id string, full bool) (SyncResult, error)
}

// SourceView is a connected source with how its syncs went. It holds no
// token.
type SourceView struct {
	Org, ID, Kind        string
	AccountID, Workspace string
	Account              string // what scopes the tool's ids: the account id, else the workspace
	Name                 string // how people tell it apart, such as "harvest 123456"
	BaseURL              string // "" is the tool's own
	Since                time.Time
	Every                time.Duration
	CreatedAt            time.Time
	LastAttempt          *time.Time
	LastSuccess          *time.Time
	FailingSince         *time.Time // the first failure since the last success
	LastError            string     // in words, token redacted
	NeedsToken           bool       // the tool refused the token
}

// SourceInput is a source to add, with its token (never kept by the
// pages). A zero Since or Every is the tool's default.
type SourceInput struct {
	Org, Kind, AccountID, Workspace, BaseURL string
	Since                                    time.Time
	Every                                    time.Duration
	Token                                    string
}

// SyncResult counts what a sync did.
type SyncResult struct {
	Read, Added, Updated, Deleted, Rejected int
}

var (
	// ErrNotFound: no source or hook with that id in the org.
	ErrNotFound = errors.New("not found")
	// ErrSyncBusy: another sync of the source is under way.
	ErrSyncBusy = errors.New("another sync of the source is under way")
)

// SyncError is a sync that the tool's API refused (its token, an answer
// the sync cannot use); its text says why, token redacted.
type SyncError struct{ Err error }

func (e *SyncError) Error() string { return e.Err.Error() }
func (e *SyncError) Unwrap() error { return e.Err }

// sourceForm is the add form as typed; the token is never kept, so a
// refused form asks for it again.
type sourceForm struct {
	Kind, AccountID, Workspace, BaseURL, Since, Every string
}

// sourceRow is one source as the section lists it.
type sourceRow struct {
	ID, Kind, Account  string
	LastSync           string // "2 h ago (7 Dec 2026 03:34)", or "never"
	State              string // ok, failing, needs-token, new: the badge and its class
	FailingSince       string
	Error              string
	NextSync           string
	Every, Since, Base string
}

type sourcesBody struct {
	Available bool
	Kinds     []string
	Sources   []sourceRow
	Form      sourceForm
	Confirm   *sourceRow // a removal to confirm
}

func (d *server) registerSources(g *echo.Group, mw []echo.MiddlewareFunc) {
	g.GET("/settings/sources", d.sourcesPage, mw...)
	g.POST("/settings/sources", d.sourcesAdd, mw...)
	g.POST("/settings/sources/:id/remove", d.sourcesRemove, mw...)
	g.POST("/settings/sources/:id/sync", d.sourcesSync, mw...)
}

// sourcesRender writes the section with the org's sources listed; status
// and body are the answer's (a refused form is shown again with 422).
func (d *server) sourcesRender(c echo.Context, data settingsData, status int, body sourcesBody) error {
	body.Available = d.cfg.Sources != nil
	if body.Form.Every == "" {
		body.Form.Every = "15m"
	}
	if d.cfg.Sources != nil {
		body.Kinds = d.cfg.Sources.Kinds()
		list, err := d.cfg.Sources.List(c.Request().Context(), data.Principal.Org)
		if err != nil {
			return err
		}
		loc := zoneOf(data.View.Settings.TimeZone)
		now := d.cfg.Now()
		for _, st := range list {
			body.Sources = append(body.Sources, sourceRowOf(st, now, loc))
		}
	}
	data.Body = body
	return d.renderSettings(c, status, "settings_sources", data)
}

func zoneOf(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

// sourceRowOf is st as listed: times relative to now and in loc. Pure.
func sourceRowOf(st SourceView, now time.Time, loc *time.Location) sourceRow {
	r := sourceRow{ID: st.ID, Kind: st.Kind, Account: st.Account, LastSync: "never", State: "ok", Error: st.LastError,
		Every: st.Every.String(), Base: st.BaseURL}
	if !st.Since.IsZero() {
		r.Since = st.Since.Format("2 Jan 2006")
	}
	if s := st.LastSuccess; s != nil {
		r.LastSync = when(*s, now, loc)
	}
	if f := st.FailingSince; f != nil {
		r.FailingSince = when(*f, now, loc)
	}
	switch {
	case st.NeedsToken:
		r.State = "needs-token"
	case st.FailingSince != nil || st.LastError != "":
		r.State = "failing"
	case st.LastAttempt == nil:
		r.State = "new"
	}
	switch {
	case st.NeedsToken:
		r.NextSync = "not until it has a new token: add it again with one, then remove this one"
	case st.LastAttempt == nil:
		r.NextSync = "within a minute of serve starting"
	default:
		next := st.LastAttempt.Add(st.Every)
		if !next.After(now) {
			r.NextSync = "due now"
		} else {
			r.NextSync = "in " + strings.TrimSuffix(ago(next.Sub(now)), " ago") + " (" + next.In(loc).Format("15:04") + ")"
		}
	}
	return r
}

func (d *server) sourcesPage(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/sources")
	if err != nil {
		return err
	}
	return d.sourcesRender(c, data, http.StatusOK, sourcesBody{})
}

// sourcesAdd adds a source from the form: the token sealed like the CLI
// and API do (SourceAdmin.Add), never shown again; a refused form is
// 422 naming the field and value.
func (d *server) sourcesAdd(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/sources")
	if err != nil {
		return err
	}
	if d.cfg.Sources == nil {
		return echo.NewHTTPError(http.StatusNotFound, "sources are not available: start serve with a secret key")
	}
	f := sourceForm{Kind: strings.TrimSpace(c.FormValue("kind")), AccountID: strings.TrimSpace(c.FormValue("account_id")),
		Workspace: strings.TrimSpace(c.FormValue("workspace")), BaseURL: strings.TrimSpace(c.FormValue("base_url")),
		Since: strings.TrimSpace(c.FormValue("since")), Every: strings.TrimSpace(c.FormValue("every"))}
	token := strings.TrimSpace(c.FormValue("token"))
	refuse := func(field, msg string) error {
		data.Error = msg + " Nothing was added; enter the token again."
		data.Fields = map[string]string{field: msg}
		return d.sourcesRender(c, data, http.StatusUnprocessableEntity, sourcesBody{Form: f})
	}
	src := SourceInput{Org: data.Principal.Org, Kind: f.Kind, AccountID: f.AccountID, Workspace: f.Workspace, BaseURL: f.BaseURL, Token: token}
	if kinds := d.cfg.Sources.Kinds(); !slices.Contains(kinds, f.Kind) {
		return refuse("kind", fmt.Sprintf("Kind %q: want one of %s.", f.Kind, strings.Join(kinds, ", ")))
	}
	if token == "" {
		return refuse("token", "Token: empty; paste the tool's API token.")
	}
	if f.BaseURL != "" {
		if u, err := url.Parse(f.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return refuse("base_url", fmt.Sprintf("Base URL %q: want an http(s) URL such as https://api.harvestapp.com, or leave it empty for the tool's own.", f.BaseURL))
		}
	}
	if f.Since != "" {
		if src.Since, err = time.Parse(time.DateOnly, f.Since); err != nil {
			return refuse("since", fmt.Sprintf("Since %q: want a date YYYY-MM-DD.", f.Since))
		}
	}
	if f.Every != "" {
		every, err := time.ParseDuration(f.Every)
		if minEvery := d.cfg.Sources.MinEvery(); err != nil || every < minEvery {
			return refuse("every", fmt.Sprintf("Every %q: want a duration of at least %s, such as 15m or 1h.", f.Every, minEvery))
		}
		src.Every = every
	}
	ctx := c.Request().Context()
	added, err := d.cfg.Sources.Add(ctx, src)
	var bad *FieldError
	if errors.As(err, &bad) {
		return refuse(cmp.Or(bad.Field, "account_id"), upperFirst(formWords.Replace(bad.Reason))+".")
	}
	if err != nil {
		return err
	}
	if err := d.cfg.Sources.Audit(ctx, data.Principal.Who(), nil, &added); err != nil {
		return fmt.Errorf("source %s added; recording it in the audit trail: %w", added.ID, err)
	}
	return flashRedirect(c, "/settings/sources",
		"Added "+added.Name+"; it syncs every "+added.Every.String()+", or now with Sync now. Its token is stored encrypted and not shown again.")
}

// sourcesRemove asks to confirm, then removes: what the source imported
// stays.
func (d *server) sourcesRemove(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/sources")
	if err != nil {
		return err
	}
	if d.cfg.Sources == nil {
		return echo.NewHTTPError(http.StatusNotFound, "sources are not available: start serve with a secret key")
	}
	ctx := c.Request().Context()
	st, err := d.cfg.Sources.Get(ctx, data.Principal.Org, c.Param("id"))
	if errors.Is(err, ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("no source %q in this organization", c.Param("id")))
	}
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		row := sourceRowOf(st, d.cfg.Now(), zoneOf(data.View.Settings.TimeZone))
		return d.sourcesRender(c, data, http.StatusOK, sourcesBody{Confirm: &row})
	}
	if err := d.cfg.Sources.Remove(ctx, data.Principal.Org, st.ID); err != nil {
		return err
	}
	if err := d.cfg.Sources.Audit(ctx, data.Principal.Who(), &st, nil); err != nil {
		return fmt.Errorf("source %s removed; recording it in the audit trail: %w", st.ID, err)
	}
	return flashRedirect(c, "/settings/sources", "Removed "+st.Name+"; what it imported stays.")
}

// sourcesSync syncs a source now and says how it went.
func (d *server) sourcesSync(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/sources")
	if err != nil {
		return err
	}
	if d.cfg.Sources == nil || d.cfg.SyncSource == nil {
		return echo.NewHTTPError(http.StatusNotFound, "sources are not available: start serve with a secret key")
	}
	st, err := d.cfg.Sources.Get(c.Request().Context(), data.Principal.Org, c.Param("id"))
	if errors.Is(err, ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("no source %q in this organization", c.Param("id")))
	}
	if err != nil {
		return err
	}
	res, err := d.cfg.SyncSource.Sync(c.Request().Context(), data.Principal.Org, st.ID, false)
	switch {
	case errors.Is(err, ErrSyncBusy):
		data.Flash = st.Name + " is syncing already; reload in a minute."
	case errors.As(err, new(*SyncError)):
		data.Error = "The sync of " + st.Name + " failed: " + err.Error()
		return d.sourcesRender(c, data, http.StatusBadGateway, sourcesBody{})
	case err != nil:
		return err
	default:
		data.Flash = fmt.Sprintf("Synced %s: %d read, %d added, %d updated, %d deleted, %d rejected.", st.Name, res.Read, res.Added, res.Updated, res.Deleted, res.Rejected)
	}
	return d.sourcesRender(c, data, http.StatusOK, sourcesBody{})
}

// formWords puts the tools' checks, written for the CLI, in the form's
// words.
var formWords = strings.NewReplacer("--account-id", "an account id", "--workspace", "a workspace id", "--token-file", "a token", "--base-url", "a base URL")

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
