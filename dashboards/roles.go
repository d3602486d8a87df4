package dashboards

import (
	"bytes"
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
)

// pagePerms are the pages that need more than auth.PermRead.
var pagePerms = map[string]auth.Perm{"/margin": auth.PermMoney}

// visiblePages are the pages p may open, for the navigation: the Margin
// link is not shown to a principal without auth.PermMoney.
func visiblePages(p auth.Principal) []Page {
	out := make([]Page, 0, len(Pages))
	for _, pg := range Pages {
		if perm, ok := pagePerms[pg.Path]; !ok || p.Can(perm) {
			out = append(out, pg)
		}
	}
	return out
}

// mayMoney reports whether the request's principal may see money.
func mayMoney(c echo.Context) bool {
	p, ok := auth.PrincipalOf(c)
	return ok && p.Can(auth.PermMoney)
}

// tilesFor is the overview's tiles for the request: without money, no
// margin tile, and the write-off tile links to no margin page.
func tilesFor(c echo.Context) []tileSpec {
	if mayMoney(c) {
		return overviewTiles
	}
	out := make([]tileSpec, 0, len(overviewTiles))
	for _, t := range overviewTiles {
		if t.kpi == "margin_pct" {
			continue
		}
		if t.page == "/margin" {
			t.page = ""
		}
		out = append(out, t)
	}
	return slices.Clip(out)
}

// requirePerm is auth.RequirePerm(perm) for a page: a principal without
// perm gets a 403 page inside the layout that says msg, not an error body.
func (d *server) requirePerm(perm auth.Perm, msg string) echo.MiddlewareFunc {
	check := auth.RequirePerm(perm)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			passed := false
			err := check(func(echo.Context) error { passed = true; return nil })(c)
			if passed {
				return next(c)
			}
			var he *echo.HTTPError
			if errors.As(err, &he) && he.Code == http.StatusForbidden {
				return d.forbidden(c, msg)
			}
			return err
		}
	}
}

// forbidden writes the 403 page: the top bar, what the page is for, and
// whom to ask.
func (d *server) forbidden(c echo.Context, msg string) error {
	p, _ := auth.PrincipalOf(c)
	settings, err := d.cfg.Settings.Get(c.Request().Context(), p.Org)
	if err != nil {
		return err
	}
	data := pageData{View: View{Org: p.Org, Settings: settings}, Body: msg, Principal: p, CSRF: auth.CSRFInput(c), Pages: visiblePages(p)}
	data.Org = settings.Show()
	for _, pg := range Pages {
		if pg.Path == c.Path() {
			data.Page = pg
		}
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "forbidden", data); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.HTMLBlob(http.StatusForbidden, buf.Bytes())
}

// registerUsers adds the users, API tokens and account sections.
func (d *server) registerUsers(g *echo.Group, mw []echo.MiddlewareFunc) {
	g.GET("/settings/users", d.settingsUsers, mw...)
	g.POST("/settings/users/invite", d.inviteUser, mw...)
	g.POST("/settings/users/role", d.setUserRole, mw...)
	g.POST("/settings/users/remove", d.removeUser, mw...)
	g.GET("/settings/tokens", d.settingsTokens, mw...)
	g.POST("/settings/tokens/create", d.createToken, mw...)
	g.POST("/settings/tokens/revoke", d.revokeToken, mw...)
	g.GET("/account", d.account, mw...)
	g.POST("/account/password", d.changePassword, mw...)
	g.POST("/account/signout-everywhere", d.signOutEverywhere, mw...)
}
