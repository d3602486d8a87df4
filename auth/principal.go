package auth

import (
	"context"
	"html/template"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// People sign in as themselves (users, with a role) and machines with API
// tokens (with scopes). Both become a Principal on the request, and what a
// request may see or change is asked of the Principal, never of the way it
// signed in.

// Roles a user can have, from most to least trusted.
const (
	RoleAdmin   = "admin"   // everything, users and tokens included
	RolePartner = "partner" // every page and setting, money included; no users or tokens
	RoleOps     = "ops"     // every page but money; thresholds, people, clients and sources
	RoleSales   = "sales"   // every page but money; changes nothing
	RoleViewer  = "viewer"  // every page but money; changes nothing
)

// Roles lists every role.
var Roles = []string{RoleAdmin, RolePartner, RoleOps, RoleSales, RoleViewer}

// Perm is something a request may see or do.
type Perm string

// Permissions.
const (
	PermRead     Perm = "read"     // open pages and read KPIs
	PermMoney    Perm = "money"    // see margin, revenue, cost, rates and write-off values
	PermSettings Perm = "settings" // change org settings, people, clients, projects, thresholds, mappings
	PermSources  Perm = "sources"  // add and remove sources and hooks
	PermUsers    Perm = "users"    // invite and remove users, create and revoke API tokens
	PermReports  Perm = "reports"  // write reports' commentary, actions and retros
	PermSend     Perm = "send"     // send a client's report to the client
)

// Perms lists every permission.
var Perms = []Perm{PermRead, PermMoney, PermSettings, PermSources, PermUsers, PermReports, PermSend}

// rolePerms is what each role may do. Margin and rates are for partners and
// admins.
var rolePerms = map[string][]Perm{
	RoleAdmin:   {PermRead, PermMoney, PermSettings, PermSources, PermUsers, PermReports, PermSend},
	RolePartner: {PermRead, PermMoney, PermSettings, PermSources, PermReports, PermSend},
	RoleOps:     {PermRead, PermSettings, PermSources, PermReports},
	RoleSales:   {PermRead},
	RoleViewer:  {PermRead},
}

// RoleAllows reports whether role carries perm.
func RoleAllows(role string, p Perm) bool {
	return slices.Contains(rolePerms[role], p)
}

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool { return slices.Contains(Roles, role) }

// Principal is who makes a request: a signed-in user, or an API token.
type Principal struct {
	Org string
	// A user: their id, email, name and role.
	UserID, Email, Name, Role string
	// A token: its id and scopes (Role is empty).
	TokenID string
	Scopes  []string
}

// Who names the principal for an audit trail: the user's email, or
// "token <id>".
func (p Principal) Who() string {
	if p.UserID != "" {
		return p.Email
	}
	return "token " + p.TokenID
}

// Can reports whether the principal may do perm. A user may what their
// role allows; a token what its scopes allow: read and money with read,
// everything with admin.
func (p Principal) Can(perm Perm) bool {
	if p.UserID != "" {
		return RoleAllows(p.Role, perm)
	}
	if slices.Contains(p.Scopes, ScopeAdmin) {
		return true
	}
	return slices.Contains(p.Scopes, ScopeRead) && (perm == PermRead || perm == PermMoney)
}

// TokenPrincipal is the principal of an API token.
func TokenPrincipal(t Token) Principal {
	return Principal{Org: t.Org, TokenID: t.ID, Scopes: t.Scopes}
}

type principalKey struct{}

// WithPrincipal puts p on the request.
func WithPrincipal(c echo.Context, p Principal) {
	c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), principalKey{}, p)))
}

// PrincipalOf returns the request's principal: the one WithPrincipal put
// there, else the API token Require admitted.
func PrincipalOf(c echo.Context) (Principal, bool) {
	if p, ok := c.Request().Context().Value(principalKey{}).(Principal); ok {
		return p, true
	}
	if t, ok := TokenOf(c); ok {
		return TokenPrincipal(t), true
	}
	return Principal{}, false
}

// WhoOf names the request's principal for an audit trail (Principal.Who),
// "api" for a request without one.
func WhoOf(c echo.Context) string {
	if p, ok := PrincipalOf(c); ok {
		return p.Who()
	}
	return "api"
}

// RequirePerm returns middleware that answers 403 naming perm to a
// principal without it (and 401 to a request without one).
func RequirePerm(perm Perm) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, ok := PrincipalOf(c)
			if !ok {
				return echo.NewHTTPError(http.StatusUnauthorized, "sign in first")
			}
			if !p.Can(perm) {
				return echo.NewHTTPError(http.StatusForbidden, forbidden(perm))
			}
			return next(c)
		}
	}
}

func forbidden(perm Perm) string {
	switch perm {
	case PermMoney:
		return "margin, revenue, cost and rates are for partners and admins; ask an admin for the partner role"
	case PermUsers:
		return "managing users and API tokens is for admins"
	default:
		return "your role may not " + string(perm) + "; ask an admin"
	}
}

// CSRF: every form that changes something carries a token from a cookie
// (echo's double-submit CSRF middleware), and a POST, PUT, PATCH or DELETE
// whose form field or X-CSRF-Token header does not match is 403. Requests
// with a bearer token are machines and skip it (a browser never sends one
// by itself).

// CSRFField is the form field that carries the token.
const CSRFField = "_csrf"

// CSRF returns the middleware; secure marks its cookie Secure (behind
// HTTPS).
func CSRF(secure bool) echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:" + CSRFField + ",header:X-CSRF-Token",
		CookieName:     "opsmetrics_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   secure,
		CookieSameSite: http.SameSiteStrictMode,
		Skipper: func(c echo.Context) bool {
			return c.Request().Header.Get(echo.HeaderAuthorization) != ""
		},
		// Said as a person reads it (echo's own names a request header the
		// form never sent); the status stays echo's: 400 without a token,
		// 403 with a wrong one.
		ErrorHandler: func(err error, c echo.Context) error {
			code := http.StatusForbidden
			if he, ok := err.(*echo.HTTPError); ok {
				code = he.Code
			}
			return echo.NewHTTPError(code, "this form has expired or did not come from this site's own page: reload the page and send it again")
		},
	})
}

// CSRFToken is the request's CSRF token, for a form ("" outside CSRF).
func CSRFToken(c echo.Context) string {
	s, _ := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
	return s
}

// CSRFInput is the hidden form field holding the request's CSRF token.
func CSRFInput(c echo.Context) template.HTML {
	return template.HTML(`<input type="hidden" name="` + CSRFField + `" value="` + template.HTMLEscapeString(CSRFToken(c)) + `">`)
}

// User is a person who signs in to an org. One email may be a user of
// several orgs (an agency group), once in each.
type User struct {
	Org   string `json:"org"`
	ID    string `json:"id"`
	Email string `json:"email"` // lower case
	Name  string `json:"name"`
	Role  string `json:"role"`
}

// Principal is the user as the principal of their requests.
func (u User) Principal() Principal {
	return Principal{Org: u.Org, UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role}
}
