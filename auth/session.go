package auth

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Browser sessions for the dashboards: a person signs in once with a read
// token, which is kept in an HttpOnly, SameSite=Strict cookie and checked
// like a bearer token on every page. Dashboard links therefore never carry
// a token and can be shared: whoever opens one sees it with their own
// token's org, or is asked to sign in.

// SessionCookie is the name of the cookie that holds a signed-in token.
const SessionCookie = "opsmetrics_session"

// sessionMaxAge bounds how long a browser keeps the cookie; the token's own
// expiry and revocation still apply on every request.
const sessionMaxAge = 30 * 24 * time.Hour

// RequireSession returns middleware for pages: it admits requests whose
// session cookie holds a token carrying scope, and redirects everyone else
// to the sign-in page at loginPath, which sends them back afterwards.
func RequireSession(t *Tokens, scope, loginPath string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ck, err := c.Cookie(SessionCookie)
			if err != nil || ck.Value == "" {
				return c.Redirect(http.StatusSeeOther, loginPath+"?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			tok, err := t.Verify(c.Request().Context(), ck.Value)
			if errors.Is(err, ErrUnauthorized) {
				clearSession(c)
				return c.Redirect(http.StatusSeeOther, loginPath+"?expired=1&next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			if err != nil {
				return err
			}
			if !tok.Allows(scope) {
				return echo.NewHTTPError(http.StatusForbidden, "this token lacks the \""+scope+"\" scope; sign in with a read token")
			}
			ctx := context.WithValue(c.Request().Context(), ctxKey{}, tok)
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// Identify returns middleware for a page anyone may open that shows more to
// a caller it knows: one whose session cookie holds a token carrying
// sessionScope, or whose bearer token carries bearerScope. TokenOf then
// returns that token. Anyone else, an unknown, expired or under-scoped
// credential included, passes through as anonymous; only a store that
// cannot check a credential is an error.
func Identify(t *Tokens, sessionScope, bearerScope string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			var plain, scope string
			if bearer, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer "); ok {
				plain, scope = strings.TrimSpace(bearer), bearerScope
			} else if ck, err := c.Cookie(SessionCookie); err == nil {
				plain, scope = ck.Value, sessionScope
			}
			if plain == "" {
				return next(c)
			}
			tok, err := t.Verify(c.Request().Context(), plain)
			if errors.Is(err, ErrUnauthorized) || (err == nil && !tok.Allows(scope)) {
				return next(c)
			}
			if err != nil {
				return err
			}
			c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), ctxKey{}, tok)))
			return next(c)
		}
	}
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · opsmetrics</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/assets/app.css"><script src="/assets/login.js" defer></script></head>
<body><main class="narrow"><h1>opsmetrics</h1>
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}" id="login">
<label for="token">API token with the read scope</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<input type="hidden" name="next" value="{{.Next}}">
<button type="submit">Sign in</button></form>
<p>Create one with <code>opsmetrics token create --org ORG --scope read</code>. <code>opsmetrics demo</code> prints a sign-in link.</p>
</main></body></html>`))

// LoginHandlers returns the GET (form) and POST (sign in) handlers of the
// sign-in page. A successful sign-in sets the session cookie and redirects
// to next, which must be a path on this site.
func LoginHandlers(t *Tokens, scope string) (get, post echo.HandlerFunc) {
	show := func(c echo.Context, status int, msg string) error {
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().Header().Set("Cache-Control", "no-store")
		c.Response().WriteHeader(status)
		return loginPage.Execute(c.Response(), struct{ Action, Next, Error string }{
			c.Path(), safeNext(c.FormValue("next")), msg})
	}
	get = func(c echo.Context) error {
		msg := ""
		if c.QueryParam("expired") != "" {
			msg = "Your session's token is no longer valid. Sign in again."
		}
		return show(c, http.StatusOK, msg)
	}
	post = func(c echo.Context) error {
		plain := strings.TrimSpace(c.FormValue("token"))
		tok, err := t.Verify(c.Request().Context(), plain)
		if errors.Is(err, ErrUnauthorized) {
			return show(c, http.StatusUnauthorized, "That token is unknown, revoked or expired.")
		}
		if err != nil {
			return err
		}
		if !tok.Allows(scope) {
			return show(c, http.StatusForbidden, "That token lacks the \""+scope+"\" scope.")
		}
		c.SetCookie(&http.Cookie{Name: SessionCookie, Value: plain, Path: "/", HttpOnly: true,
			Secure: c.IsTLS(), SameSite: http.SameSiteStrictMode, MaxAge: int(sessionMaxAge.Seconds())})
		return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
	}
	return get, post
}

// LogoutHandler forgets the session and shows the sign-in page.
func LogoutHandler(loginPath string) echo.HandlerFunc {
	return func(c echo.Context) error {
		clearSession(c)
		return c.Redirect(http.StatusSeeOther, loginPath)
	}
}

func clearSession(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1,
		SameSite: http.SameSiteStrictMode})
}

// safeNext returns next when it is a path on this site, else "/". It judges
// next as a browser will read it in a Location header: tabs and newlines
// dropped anywhere, control characters and spaces trimmed at both ends, a
// backslash read as a slash; so "/\t/evil.example" (a browser makes it
// "//evil.example", another host) is refused. The same holds after one more
// percent-decoding ("/%2F%2Fevil.example"), in case something in between
// decodes it. It returns next as normalized, which is what the browser would
// request anyway.
func safeNext(next string) string { return SafeNext(next) }

// SafeNext returns next when it is a path on this site, else "/" (see
// safeNext): for every sign-in that sends a person back where they were.
func SafeNext(next string) string {
	clean, ok := sitePath(next)
	if !ok {
		return "/"
	}
	decoded, err := url.PathUnescape(clean)
	if err != nil {
		return "/"
	}
	if _, ok := sitePath(decoded); !ok {
		return "/"
	}
	return clean
}

// sitePath normalizes a URL reference as a browser does (the WHATWG URL
// parser) and reports whether it is a path on the same origin: one leading
// slash, no scheme, no host.
func sitePath(ref string) (string, bool) {
	ref = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, ref)
	ref = strings.TrimFunc(ref, func(r rune) bool { return r <= ' ' })
	if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
		return "", false
	}
	u, err := url.Parse(ref)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	return ref, true
}
