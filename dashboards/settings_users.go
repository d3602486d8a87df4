package dashboards

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
)

// UserAdmin is what /settings/users needs of the org's users (auth.Users).
type UserAdmin interface {
	List(ctx context.Context, org string) ([]auth.Member, error)
	Invite(ctx context.Context, org, email, name, role, by string) (string, auth.User, error)
	SetRole(ctx context.Context, org, ref, role, by string) (auth.User, error)
	Remove(ctx context.Context, org, ref, by string) (auth.User, error)
}

// InviteMailer emails an invitation link (auth.Mailer, with --smtp-url).
type InviteMailer interface {
	SendInvite(ctx context.Context, to, orgName, link string) error
}

// usersBody is the users section's own part.
type usersBody struct {
	Available bool
	Users     []userRow
	Roles     []string
	// The invitation just made: its link, shown this once, and whether it
	// was emailed too (or why not).
	Invited, Link, Mailed, MailError string
	// The invite form's values, typed again after a refusal.
	Email, Name, Role string
}

type userRow struct {
	auth.Member
	LastSignIn string
	Self       bool
}

func (d *server) settingsUsers(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/users")
	if err != nil {
		return err
	}
	body := usersBody{Role: auth.RoleViewer}
	return d.showUsers(c, http.StatusOK, data, body)
}

func (d *server) showUsers(c echo.Context, status int, data settingsData, body usersBody) error {
	body.Roles = auth.Roles
	if d.cfg.Users != nil {
		body.Available = true
		list, err := d.cfg.Users.List(c.Request().Context(), data.Principal.Org)
		if err != nil {
			return err
		}
		loc := orgLocation(data.View.Settings)
		for _, m := range list {
			r := userRow{Member: m, LastSignIn: "never", Self: m.ID == data.Principal.UserID}
			if !m.HasPassword {
				r.LastSignIn = "invited, not accepted yet"
			} else if m.LastSignIn != nil {
				r.LastSignIn = m.LastSignIn.In(loc).Format("2006-01-02 15:04")
			}
			body.Users = append(body.Users, r)
		}
	}
	data.Body = body
	return d.renderSettings(c, status, "settings_users", data)
}

// refused shows a settings form again with status 422 and the message that
// names the field and value.
func refused(data *settingsData, err error) bool {
	var ue *auth.UserError
	if !errors.As(err, &ue) {
		return false
	}
	data.Error = "Not saved: " + ue.Error()
	data.Fields = map[string]string{ue.Field: ue.Msg}
	return true
}

func (d *server) inviteUser(c echo.Context) error {
	data, err := d.settingsPage(c, "/settings/users")
	if err != nil {
		return err
	}
	if d.cfg.Users == nil {
		return echo.NewHTTPError(http.StatusNotFound, "users are not available on this server")
	}
	body := usersBody{Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role")}
	ctx := c.Request().Context()
	link, u, err := d.cfg.Users.Invite(ctx, data.Principal.Org, body.Email, body.Name, body.Role, data.Principal.Who())
	if refused(&data, err) {
		return d.showUsers(c, http.StatusUnprocessableEntity, data, body)
	}
	if err != nil {
		return err
	}
	body = usersBody{Role: auth.RoleViewer, Invited: u.Name + " (" + u.Email + ")", Link: d.publicURL(c) + "/invite/" + link}
	if d.cfg.Mailer != nil {
		if err := d.cfg.Mailer.SendInvite(ctx, u.Email, data.Org.Name, body.Link); err != nil {
			d.cfg.Logger.Warn("invite_mail_failed", "org", data.Principal.Org, "err", err)
			body.MailError = "The email could not be sent (" + err.Error() + "); pass the link on yourself."
		} else {
			body.Mailed = u.Email
		}
	}
	return d.showUsers(c, http.StatusOK, data, body)
}

// publicURL is where people open opsmetrics: Config.PublicURL, else this
// request's scheme and host.
func (d *server) publicURL(c echo.Context) string {
	if d.cfg.PublicURL != "" {
		return strings.TrimRight(d.cfg.PublicURL, "/")
	}
	return c.Scheme() + "://" + c.Request().Host
}

func (d *server) setUserRole(c echo.Context) error {
	return d.changeUser(c, func(ctx context.Context, p auth.Principal, id string) (string, error) {
		u, err := d.cfg.Users.SetRole(ctx, p.Org, id, c.FormValue("role"), p.Who())
		return u.Name + " (" + u.Email + ") is " + u.Role + " now.", err
	})
}

func (d *server) removeUser(c echo.Context) error {
	return d.changeUser(c, func(ctx context.Context, p auth.Principal, id string) (string, error) {
		u, err := d.cfg.Users.Remove(ctx, p.Org, id, p.Who())
		return u.Name + " (" + u.Email + ") is removed, and signed out everywhere.", err
	})
}

func (d *server) changeUser(c echo.Context, change func(ctx context.Context, p auth.Principal, id string) (string, error)) error {
	data, err := d.settingsPage(c, "/settings/users")
	if err != nil {
		return err
	}
	if d.cfg.Users == nil {
		return echo.NewHTTPError(http.StatusNotFound, "users are not available on this server")
	}
	msg, err := change(c.Request().Context(), data.Principal, c.FormValue("user"))
	if refused(&data, err) {
		return d.showUsers(c, http.StatusUnprocessableEntity, data, usersBody{Role: auth.RoleViewer})
	}
	if err != nil {
		return err
	}
	return flashRedirect(c, "/settings/users", msg)
}
