package dashboards

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/org"
)

// Section is one page of the settings area: its path, its name in the
// settings navigation, and the permission needed to open it (changing
// things may need more, which each page checks).
type Section struct {
	Path, Name string
	Perm       auth.Perm
}

// Sections lists the settings area in navigation order.
var Sections = []Section{
	{"/settings", "Organization", auth.PermRead},
	{"/settings/people", "People", auth.PermRead},
	{"/settings/clients", "Clients and projects", auth.PermRead},
	{"/settings/alerts", "Alerts", auth.PermRead},
	{"/settings/sources", "Sources", auth.PermSources},
	{"/settings/hooks", "Hooks", auth.PermSources},
	{"/settings/users", "Users", auth.PermUsers},
	{"/settings/tokens", "API tokens", auth.PermUsers},
	{"/settings/audit", "Change log", auth.PermSettings},
	{"/account", "Your account", auth.PermRead},
}

// settingsData is what the settings chrome needs; Body is the page's own
// part. Error names the field and value that was refused; Fields holds
// the same per form field, for the field's own message.
type settingsData struct {
	Section   Section
	Sections  []Section // those the principal may open
	Page      Page      // none: the top navigation marks no page as current
	Pages     []Page    // the top navigation
	View      View      // for the top navigation's links
	Org       org.Shown
	Principal auth.Principal
	CSRF      template.HTML
	Flash     string
	Error     string
	Fields    map[string]string
	Body      any
}

// flashes are the messages ?saved= may show, by its value.
var flashes = map[string]string{"1": "Saved.", "removed": "Removed."}

// flashCookie holds a message that names what changed ("Added Harvest
// 123456; …") for the next settings page, which shows it once (?saved=note).
// A cookie the server set, not the address: a link cannot make the page
// say what its sender wants.
const flashCookie = "opsmetrics_flash"

// flashRedirect redirects to path (303), which then shows msg once.
func flashRedirect(c echo.Context, path, msg string) error {
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", MaxAge: 60, HttpOnly: true,
		Secure: c.Scheme() == "https", SameSite: http.SameSiteStrictMode})
	sep := "?"
	if strings.Contains(path, "?") { // a path with a query of its own (a report's month)
		sep = "&"
	}
	return c.Redirect(http.StatusSeeOther, path+sep+"saved=note")
}

// flashOf is the message ?saved= asks for: a fixed one, or the note
// flashRedirect left (then forgotten).
func flashOf(c echo.Context) string {
	q := c.QueryParam("saved")
	if q != "note" {
		return flashes[q]
	}
	ck, err := c.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	msg, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return ""
	}
	return msg
}

// settingsPage returns the request's principal, the chrome of the section
// at path, and 403 when the principal may not open it.
func (d *server) settingsPage(c echo.Context, path string) (settingsData, error) {
	p, ok := auth.PrincipalOf(c)
	if !ok {
		return settingsData{}, echo.NewHTTPError(http.StatusUnauthorized, "sign in first")
	}
	// The flash is one of a few fixed messages, never the address's text:
	// a link must not make the page say what its sender wants.
	data := settingsData{Principal: p, CSRF: auth.CSRFInput(c), Pages: visiblePages(p), Flash: flashOf(c)}
	for _, s := range Sections {
		if p.Can(s.Perm) {
			data.Sections = append(data.Sections, s)
		}
		if s.Path == path {
			data.Section = s
		}
	}
	if data.Section.Path == "" {
		return data, fmt.Errorf("no settings section %s", path)
	}
	if !p.Can(data.Section.Perm) {
		return data, echo.NewHTTPError(http.StatusForbidden, "your role may not open "+data.Section.Name+"; ask an admin")
	}
	settings, err := d.cfg.Settings.Get(c.Request().Context(), p.Org)
	if err != nil {
		return data, err
	}
	data.Org = settings.Show()
	// The top navigation's links open the pages' default range.
	if data.View, err = parseView(c, p.Org, d.cfg.Now()); err != nil {
		return data, err
	}
	data.View.Settings = settings
	return data, nil
}

// renderSettings writes a settings page with status (200, or 400 or 422
// for a refused form shown again with its errors).
func (d *server) renderSettings(c echo.Context, status int, name string, data settingsData) error {
	return writePage(c, status, name, data)
}
