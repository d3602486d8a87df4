package dashboards

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
)

// TokenAdmin is what /settings/tokens needs of the API tokens (auth.Tokens).
type TokenAdmin interface {
	List(ctx context.Context, org string) ([]auth.Token, error)
	CreateBy(ctx context.Context, org, name string, scopes []string, ttl time.Duration, by string) (string, auth.Token, error)
	RevokeBy(ctx context.Context, org, id, by string) error
}

// tokenExpiry is a lifetime the create form offers.
type tokenExpiry struct {
	Value, Label string
	TTL          time.Duration
}

var tokenExpiries = []tokenExpiry{
	{"30d", "30 days", 30 * 24 * time.Hour},
	{"90d", "90 days", 90 * 24 * time.Hour},
	{"365d", "a year", 365 * 24 * time.Hour},
	{"never", "never", 0},
}

type tokensBody struct {
	Available bool
	Tokens    []tokenRow
	Scopes    []string
	Expiries  []tokenExpiry
	// The token just made, shown this once.
	Created, Plain string
	// The create form's values, typed again after a refusal.
	Name   string
	Chosen []string
	Expiry string
}

type tokenRow struct {
	auth.Token
	Created, Expires string
}

func (d *server) settingsTokens(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/tokens")
	if err != nil {
		return err
	}
	return d.showTokens(c, http.StatusOK, data, tokensBody{Chosen: []string{auth.ScopeRead}, Expiry: "90d"})
}

func (d *server) showTokens(c echo.Context, status int, data settingsData, body tokensBody) error {
	body.Scopes, body.Expiries = auth.Scopes, tokenExpiries
	if d.cfg.Tokens != nil {
		body.Available = true
		list, err := d.cfg.Tokens.List(c.Request().Context(), data.Principal.Org)
		if err != nil {
			return err
		}
		loc := orgLocation(data.View.Settings)
		for _, t := range list {
			r := tokenRow{Token: t, Created: t.CreatedAt.In(loc).Format("2006-01-02 15:04"), Expires: "never"}
			if t.ExpiresAt != nil {
				r.Expires = t.ExpiresAt.In(loc).Format("2006-01-02 15:04")
			}
			body.Tokens = append(body.Tokens, r)
		}
	}
	data.Body = body
	return d.renderSettings(c, status, "settings_tokens", data)
}

func (d *server) createToken(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/tokens")
	if err != nil {
		return err
	}
	if d.cfg.Tokens == nil {
		return echo.NewHTTPError(http.StatusNotFound, "API tokens are not available on this server")
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read: "+err.Error())
	}
	body := tokensBody{Name: strings.TrimSpace(c.FormValue("name")), Chosen: form["scope"], Expiry: c.FormValue("expiry")}
	fail := func(field, msg string) error {
		data.Error, data.Fields = "Not saved: "+field+": "+msg, map[string]string{field: msg}
		return d.showTokens(c, http.StatusUnprocessableEntity, data, body)
	}
	if body.Name == "" {
		return fail("name", "empty; name the token after the system that uses it")
	}
	if len(body.Chosen) == 0 {
		return fail("scopes", "none chosen; choose at least one of "+strings.Join(auth.Scopes, ", "))
	}
	for _, s := range body.Chosen {
		if !slices.Contains(auth.Scopes, s) {
			return fail("scopes", fmt.Sprintf("%q is not a scope (want %s)", s, strings.Join(auth.Scopes, ", ")))
		}
	}
	i := slices.IndexFunc(tokenExpiries, func(e tokenExpiry) bool { return e.Value == body.Expiry })
	if i < 0 {
		return fail("expiry", fmt.Sprintf("%q is not one of 30d, 90d, 365d, never", body.Expiry))
	}
	plain, tok, err := d.cfg.Tokens.CreateBy(c.Request().Context(), data.Principal.Org, body.Name, body.Chosen, tokenExpiries[i].TTL, data.Principal.Who())
	if err != nil {
		return err
	}
	return d.showTokens(c, http.StatusOK, data, tokensBody{Created: tok.Name + " (" + tok.ID + ")", Plain: plain,
		Chosen: []string{auth.ScopeRead}, Expiry: "90d"})
}

func (d *server) revokeToken(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/tokens")
	if err != nil {
		return err
	}
	if d.cfg.Tokens == nil {
		return echo.NewHTTPError(http.StatusNotFound, "API tokens are not available on this server")
	}
	id := c.FormValue("token")
	if err := d.cfg.Tokens.RevokeBy(c.Request().Context(), data.Principal.Org, id, data.Principal.Who()); err != nil {
		if nt := (*auth.NoTokenError)(nil); errors.As(err, &nt) {
			data.Error = "Not saved: " + err.Error()
			return d.showTokens(c, http.StatusUnprocessableEntity, data, tokensBody{Chosen: []string{auth.ScopeRead}, Expiry: "90d"})
		}
		return err
	}
	return flashRedirect(c, "/settings/tokens", "Token "+id+" is revoked; servers stop accepting it within 30 seconds.")
}
