package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
)

// registerOrg adds GET /org to read, which must require a read token, and
// PUT /org to admin, which must require an admin token: the token's org's
// settings (org.Patch says what each means). A bad setting is an
// *org.BadSettingError, which the error table answers with a 400.
func registerOrg(read, admin *echo.Group, orgs *org.Cache) {
	read.GET("/org", func(c echo.Context) error {
		tok, ok := auth.PrincipalOf(c) // a read token or a session
		if !ok {
			return errors.New("app: org route registered without auth.Require")
		}
		// Read now, not from the cache: whoever asks for the settings may
		// just have changed them from another process (the CLI).
		o, _, err := orgs.Load(c.Request().Context(), tok.Org)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, o.Show())
	})
	admin.PUT("/org", func(c echo.Context) error {
		tok, ok := auth.TokenOf(c)
		if !ok {
			return errors.New("app: org route registered without auth.Require")
		}
		var p org.Patch
		if why := decodePatch(c.Request().Body, &p); why != "" {
			return echo.NewHTTPError(http.StatusBadRequest, "body: want a JSON object of settings ("+
				"name, time_zone, currency, workdays, business_hours, grace_days, overhead_per_hour, stuck_review_hours): "+why)
		}
		who := auth.TokenPrincipal(tok).Who()
		if pr, ok := auth.PrincipalOf(c); ok {
			who = pr.Who()
		}
		o, err := orgs.UpdateBy(c.Request().Context(), who, tok.Org, p)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, o.Show())
	})
}

// decodePatch reads body, which must hold one JSON object and nothing after
// it but white space, into p; it returns what is wrong, or "". Without the
// checks, encoding/json would read null as "change nothing" and stop after
// the first of two objects, and the request would succeed with a change the
// caller did not mean.
func decodePatch(body io.Reader, p *org.Patch) string {
	dec := json.NewDecoder(body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return metrics.JSONProblem(err)
	}
	if raw[0] != '{' {
		return "got " + jsonKind(raw[0]) + ", not an object"
	}
	if dec.More() {
		return fmt.Sprintf("a second JSON value at byte %d; send one object", dec.InputOffset())
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(p); err != nil {
		return metrics.JSONProblem(err)
	}
	return ""
}

// jsonKind names the kind of JSON value that starts with b.
func jsonKind(b byte) string {
	switch b {
	case 'n':
		return "null"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}
