package app

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/dashboards"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// signIn returns cfg's users and sessions, made over its store when it has
// none.
func signIn(cfg serverConfig) (*auth.Users, *auth.Sessions, error) {
	users, sessions := cfg.Users, cfg.Sessions
	var err error
	if users == nil {
		if users, err = auth.NewUsers(auth.UsersConfig{Store: cfg.Store}); err != nil {
			return nil, nil, err
		}
	}
	if sessions == nil {
		if sessions, err = auth.NewSessions(auth.SessionsConfig{Store: cfg.Store, Users: users, Tokens: cfg.Tokens}); err != nil {
			return nil, nil, err
		}
	}
	return users, sessions, nil
}

// moneyKPIs refuses the KPIs whose results hold money (the catalog's
// money columns: revenue, margin and margin %, labour cost, effective
// rate, write-off value and rate, unbilled WIP, realization, budgets in
// money) to a principal without auth.PermMoney, with a 403 that names the
// KPI. A read token keeps them (auth.Principal.Can).
func moneyKPIs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Path() != "/api/v1/kpis/:name" {
			return next(c)
		}
		k, ok := metrics.Lookup(c.Param("name"))
		if !ok || !k.Money() {
			return next(c)
		}
		if p, ok := auth.PrincipalOf(c); ok && !p.Can(auth.PermMoney) {
			return echo.NewHTTPError(http.StatusForbidden, fmt.Sprintf(
				"the KPI %q shows money (margin, revenue, cost, rates, write-off values), which is for partners and admins; ask an admin for the partner role", k.Name))
		}
		return next(c)
	}
}

// account is what the account page needs of users and sessions.
type account struct {
	users    *auth.Users
	sessions *auth.Sessions
}

func (a account) ChangePassword(ctx context.Context, p auth.Principal, current, next string) error {
	ok, err := a.users.CheckCurrentPassword(ctx, p.Org, p.UserID, current)
	if err != nil {
		return err
	}
	if !ok {
		return &auth.UserError{Field: "current password", Msg: "is not your current password"}
	}
	return a.users.SetPassword(ctx, p.Org, p.UserID, next, p.Who())
}

func (a account) EndAll(ctx context.Context, p auth.Principal) error {
	return a.sessions.EndAll(ctx, p.Org, p.UserID)
}

var _ dashboards.Account = account{}

// mailerOf is m as the pages' invitation mailer (nil: none).
func mailerOf(m *auth.Mailer) dashboards.InviteMailer {
	if m == nil {
		return nil
	}
	return m
}
