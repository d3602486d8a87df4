package intake

import (
	"encoding/json"
	"errors"
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
		dec := json.NewDecoder(c.Request().Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "body: want a JSON object of settings ("+
				"name, time_zone, currency, workdays, business_hours, grace_days, overhead_per_hour): "+metrics.JSONProblem(err))
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
