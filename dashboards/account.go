package dashboards

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
)

// Account is what /account needs: changing the signed-in user's password
// (given the current one) and ending all their sessions.
type Account interface {
	ChangePassword(ctx context.Context, p auth.Principal, current, next string) error
	EndAll(ctx context.Context, p auth.Principal) error
}

type accountBody struct {
	Available bool
}

func (d *server) account(c echo.Context) error {
	data, err := d.settingsPage(c, "/account")
	if err != nil {
		return err
	}
	data.Body = accountBody{Available: d.cfg.Account != nil}
	return d.renderSettings(c, http.StatusOK, "account", data)
}

// userAccount is the account page's principal, which must be a user.
func (d *server) userAccount(c echo.Context) (settingsData, error) {
	data, err := d.settingsPage(c, "/account")
	if err != nil {
		return data, err
	}
	data.Body = accountBody{Available: d.cfg.Account != nil}
	if d.cfg.Account == nil {
		return data, echo.NewHTTPError(http.StatusNotFound, "accounts are not available on this server")
	}
	if data.Principal.UserID == "" {
		return data, echo.NewHTTPError(http.StatusBadRequest, "you signed in with an API token, which has no password; sign in as a user")
	}
	return data, nil
}

func (d *server) changePassword(c echo.Context) error {
	data, err := d.userAccount(c)
	if err != nil {
		return err
	}
	next, again := c.FormValue("new"), c.FormValue("again")
	if next != again {
		data.Error, data.Fields = "Not saved: repeat the new password: it differs from the new password", map[string]string{"again": "differs"}
		return d.renderSettings(c, http.StatusUnprocessableEntity, "account", data)
	}
	err = d.cfg.Account.ChangePassword(c.Request().Context(), data.Principal, c.FormValue("current"), next)
	if refused(&data, err) {
		return d.renderSettings(c, http.StatusUnprocessableEntity, "account", data)
	}
	if err != nil {
		return err
	}
	return flashRedirect(c, "/account", "Your password is changed.")
}

func (d *server) signOutEverywhere(c echo.Context) error {
	data, err := d.userAccount(c)
	if err != nil {
		return err
	}
	if err := d.cfg.Account.EndAll(c.Request().Context(), data.Principal); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login?signed_out=1")
}
