package auth

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// The sign-in, sign-out and invitation pages. Each is a form with its CSRF
// field (the routes go behind CSRF); none needs a session.

// LoginConfig configures the sign-in pages.
type LoginConfig struct {
	Users    *Users
	Sessions *Sessions
	Tokens   *Tokens
	Limiter  *Limiter // nil: NewLimiter(nil)
	// OIDCName, when set, names the OpenID Connect provider the page offers
	// ("Sign in with <name>", a link to /login/oidc?next=...).
	OIDCName string
}

// Validate reports what is missing.
func (c LoginConfig) Validate() error {
	if c.Users == nil || c.Sessions == nil || c.Tokens == nil {
		return errors.New("login: users, sessions and tokens are required")
	}
	return nil
}

// Login serves the sign-in pages.
type Login struct {
	cfg LoginConfig
}

// NewLogin returns the sign-in pages.
func NewLogin(cfg LoginConfig) (*Login, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Limiter == nil {
		cfg.Limiter = NewLimiter(nil)
	}
	return &Login{cfg: cfg}, nil
}

// Register adds GET and POST /login, GET and POST /logout and GET and POST
// /invite/:token to g, each with mw (CSRF, body limits).
func (l *Login) Register(g *echo.Group, mw ...echo.MiddlewareFunc) {
	g.GET("/login", l.page, mw...)
	g.POST("/login", l.signIn, mw...)
	g.GET("/logout", l.logoutPage, mw...)
	g.POST("/logout", l.logout, mw...)
	g.GET("/invite/:token", l.invitePage, mw...)
	g.POST("/invite/:token", l.accept, mw...)
}

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · opsmetrics</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/assets/app.css"><script src="/assets/login.js" defer></script></head>
<body><main class="narrow signin"><h1>opsmetrics</h1>
{{with .Info}}<p class="flash" role="status">{{.}}</p>{{end}}
{{with .Error}}<p class="err" role="alert">{{.}}</p>{{end}}{{end}}

{{define "login"}}{{template "head" .}}
<form method="post" action="/login" id="password-login">
{{.CSRF}}<input type="hidden" name="next" value="{{.Next}}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" value="{{.Email}}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
{{with .OIDC}}<p class="or"><a class="button" href="/login/oidc?next={{$.Next}}">Sign in with {{.}}</a></p>{{end}}
<p class="muted">No account yet? An admin invites you from Settings, Users (or <code>opsmetrics user invite</code>); the invitation link sets your password.</p>
<details class="token-login"{{if .TokenOpen}} open{{end}}><summary>Sign in with an API token</summary>
<form method="post" action="/login" id="login">
{{.CSRF}}<input type="hidden" name="next" value="{{.Next}}">
<label for="token">API token with the read scope</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit">Sign in with the token</button></form>
<p>Create one with <code>opsmetrics token create --org ORG --scope read</code>. <code>opsmetrics demo</code> prints a sign-in link.</p>
</details>
</main></body></html>{{end}}

{{define "logout"}}{{template "head" .}}
<form method="post" action="/logout">{{.CSRF}}<button type="submit">Sign out</button></form>
<p><a href="/">Back to the overview</a></p>
</main></body></html>{{end}}

{{define "invite"}}{{template "head" .}}
{{if .Email}}<p>Welcome, {{.Email}}. Choose your name and a password (at least 12 characters) to sign in.</p>
<form method="post" action="/invite/{{.Link}}" id="invite">
{{.CSRF}}
<label for="name">Your name</label>
<input id="name" name="name" autocomplete="name" value="{{.Name}}" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required>
<button type="submit">Set password and sign in</button>
</form>{{else}}<p><a href="/login">Go to the sign-in page</a></p>{{end}}
</main></body></html>{{end}}
`))

type pageView struct {
	Title, Info, Error string
	CSRF               template.HTML
	Next, Email, OIDC  string
	TokenOpen          bool
	Name, Link         string
}

func show(c echo.Context, status int, name string, v pageView) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

func (l *Login) view(c echo.Context) pageView {
	return pageView{Title: "Sign in", CSRF: CSRFInput(c), Next: SafeNext(c.FormValue("next")), OIDC: l.cfg.OIDCName}
}

func (l *Login) page(c echo.Context) error {
	v := l.view(c)
	switch {
	case c.QueryParam("expired") != "":
		v.Error = "Your session has ended. Sign in again."
	case c.QueryParam("signed_out") != "":
		v.Info = "You are signed out."
	}
	return show(c, http.StatusOK, "login", v)
}

func (l *Login) signIn(c echo.Context) error {
	v := l.view(c)
	ip := c.RealIP()
	if _, ok := c.Request().PostForm["token"]; ok {
		v.TokenOpen = true
		return l.tokenSignIn(c, v, ip)
	}
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	v.Email = email
	if ok, wait := l.cfg.Limiter.Allow(email, ip); !ok {
		return l.tooMany(c, v, wait, "for "+email+" or from your address")
	}
	u, err := l.cfg.Users.Authenticate(c.Request().Context(), "", email, c.FormValue("password"))
	if errors.Is(err, ErrBadCredentials) {
		l.cfg.Limiter.Failed(email, ip)
		v.Error = "That email and password do not match a user. Check both, or ask an admin to invite you again."
		return show(c, http.StatusUnauthorized, "login", v)
	}
	if err != nil {
		return err
	}
	l.cfg.Limiter.Succeeded(email)
	if err := l.cfg.Sessions.Start(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, v.Next)
}

func (l *Login) tokenSignIn(c echo.Context, v pageView, ip string) error {
	if ok, wait := l.cfg.Limiter.Allow("", ip); !ok {
		return l.tooMany(c, v, wait, "from your address")
	}
	tok, err := l.cfg.Tokens.Verify(c.Request().Context(), strings.TrimSpace(c.FormValue("token")))
	if errors.Is(err, ErrUnauthorized) {
		l.cfg.Limiter.Failed("", ip)
		v.Error = "That token is unknown, revoked or expired."
		return show(c, http.StatusUnauthorized, "login", v)
	}
	if err != nil {
		return err
	}
	if !tok.Allows(ScopeRead) {
		v.Error = "That token lacks the \"read\" scope."
		return show(c, http.StatusForbidden, "login", v)
	}
	if err := l.cfg.Sessions.StartToken(c, tok); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, v.Next)
}

// tooMany answers 429 with Retry-After and says when to try again.
func (l *Login) tooMany(c echo.Context, v pageView, wait time.Duration, whom string) error {
	secs := int(math.Ceil(wait.Seconds()))
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	at := l.cfg.Limiter.now().Add(wait).UTC().Format("15:04:05 UTC")
	in := fmt.Sprintf("%d seconds", secs)
	if secs >= 90 {
		in = fmt.Sprintf("%d minutes", int(math.Ceil(wait.Minutes())))
	}
	v.Error = fmt.Sprintf("Too many failed sign-ins %s. Try again in %s (at %s).", whom, in, at)
	return show(c, http.StatusTooManyRequests, "login", v)
}

func (l *Login) logoutPage(c echo.Context) error {
	// A link must not sign anyone out (another site could make a browser
	// follow one): this page asks, and the POST does it.
	return show(c, http.StatusOK, "logout", pageView{Title: "Sign out", CSRF: CSRFInput(c), Info: "Sign out of opsmetrics on this browser?"})
}

func (l *Login) logout(c echo.Context) error {
	if err := l.cfg.Sessions.End(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login?signed_out=1")
}

func (l *Login) invitePage(c echo.Context) error {
	link := c.Param("token")
	v := pageView{Title: "Accept the invitation", CSRF: CSRFInput(c), Link: link}
	u, err := l.cfg.Users.Invitation(c.Request().Context(), link)
	if status, ok := inviteStatus(err); ok {
		v.Error = err.Error()
		return show(c, status, "invite", v)
	}
	if err != nil {
		return err
	}
	v.Email, v.Name = u.Email, u.Name
	return show(c, http.StatusOK, "invite", v)
}

// inviteStatus is the status of a link that does not work: unknown 404,
// used or expired 410.
func inviteStatus(err error) (int, bool) {
	switch {
	case errors.Is(err, ErrInviteUnknown):
		return http.StatusNotFound, true
	case errors.Is(err, ErrInviteUsed), errors.Is(err, ErrInviteExpired):
		return http.StatusGone, true
	}
	return 0, false
}

func (l *Login) accept(c echo.Context) error {
	link := c.Param("token")
	v := pageView{Title: "Accept the invitation", CSRF: CSRFInput(c), Link: link, Name: c.FormValue("name")}
	u, err := l.cfg.Users.Accept(c.Request().Context(), link, c.FormValue("name"), c.FormValue("password"))
	if status, ok := inviteStatus(err); ok {
		v.Error = err.Error()
		return show(c, status, "invite", v)
	}
	var ue *UserError
	if errors.As(err, &ue) {
		inv, ierr := l.cfg.Users.Invitation(c.Request().Context(), link)
		if ierr != nil {
			return ierr
		}
		v.Email, v.Error = inv.Email, "Not saved: "+ue.Error()
		return show(c, http.StatusUnprocessableEntity, "invite", v)
	}
	if err != nil {
		return err
	}
	if err := l.cfg.Sessions.Start(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}
