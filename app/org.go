package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// RegisterOrg adds GET /org to read, which must require a read token, and
// PUT /org to admin, which must require an admin token: the token's org's
// settings (ingest.OrgPatch says what each means).
func RegisterOrg(read, admin *echo.Group, s ingest.Querier, w *ingest.Writer) {
	read.GET("/org", func(c echo.Context) error {
		tok, ok := auth.TokenOf(c)
		if !ok {
			return errors.New("intake: org route registered without auth.Require")
		}
		o, _, err := ingest.LoadOrg(c.Request().Context(), s, tok.Org)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, o.Settings())
	})
	admin.PUT("/org", func(c echo.Context) error {
		tok, ok := auth.TokenOf(c)
		if !ok {
			return errors.New("intake: org route registered without auth.Require")
		}
		var p ingest.OrgPatch
		if why := decodePatch(c.Request().Body, &p); why != "" {
			return echo.NewHTTPError(http.StatusBadRequest, "body: want a JSON object of settings ("+
				"name, time_zone, currency, workdays, business_hours, grace_days, overhead_per_hour, stuck_review_hours): "+why)
		}
		o, err := w.UpdateOrg(c.Request().Context(), s, tok.Org, p)
		if errors.Is(err, ingest.ErrBadSetting) {
			return echo.NewHTTPError(http.StatusBadRequest, strings.TrimPrefix(err.Error(), ingest.ErrBadSetting.Error()+": "))
		}
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, o.Settings())
	})
}

// decodePatch reads body, which must hold one JSON object and nothing after
// it but white space, into p; it returns what is wrong, or "". Without the
// checks, encoding/json would read null as "change nothing" and stop after
// the first of two objects, and the request would succeed with a change the
// caller did not mean.
func decodePatch(body io.Reader, p *ingest.OrgPatch) string {
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
