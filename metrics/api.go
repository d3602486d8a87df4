package metrics

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// OrgOf returns the org a request may read: the one its token belongs to.
type OrgOf func(c echo.Context) (string, bool)

// RegisterAPI adds the KPI API to g, which must already require a token
// with the read scope:
//
//	GET /kpis          the catalog
//	GET /kpis/:name    one KPI, as JSON, or CSV with Accept: text/csv (or ?format=csv)
//
// The org is always the token's, never a parameter, so no org can read
// another's numbers.
// Org settings (time zone, currency, business hours) are cached for
// OrgSettingsTTL.
func RegisterAPI(g *echo.Group, q Querier, orgOf OrgOf, now func() time.Time) {
	orgs := newOrgCache(OrgSettingsTTL)
	g.GET("/kpis", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"kpis": Catalog(), "dimensions": Dimensions, "intervals": Intervals})
	})
	g.GET("/kpis/:name", func(c echo.Context) error {
		org, ok := orgOf(c)
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		req, format, err := requestFromQuery(c, org, now())
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, strings.TrimPrefix(err.Error(), ErrBadRequest.Error()+": "))
		}
		res, err := compute(c.Request().Context(), q, req, orgs)
		if errors.Is(err, ErrBadRequest) {
			return echo.NewHTTPError(http.StatusBadRequest, strings.TrimPrefix(err.Error(), ErrBadRequest.Error()+": "))
		}
		if err != nil {
			return err
		}
		if format == "csv" {
			c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
			c.Response().WriteHeader(http.StatusOK)
			return res.WriteCSV(c.Response())
		}
		return c.JSON(http.StatusOK, res)
	})
}

// OrgSettingsTTL is how long the API reuses an org's settings: a changed
// time zone or currency shows in KPI answers within this time.
const OrgSettingsTTL = 30 * time.Second

// queryParams are the parameters GET /kpis/:name understands; any other is
// an error, so a misspelt filter never silently widens a result.
var queryParams = append([]string{"from", "to", "group_by", "interval", "format"}, Dimensions...)

func requestFromQuery(c echo.Context, org string, now time.Time) (Request, string, error) {
	q := c.QueryParams()
	for name := range q {
		if !slices.Contains(queryParams, name) {
			return Request{}, "", badf("unknown parameter %q (known: %s)", name, strings.Join(queryParams, ", "))
		}
	}
	r := Request{KPI: c.Param("name"), Org: org, GroupBy: q.Get("group_by"), Interval: q.Get("interval"), Filters: map[string]string{}}
	var err error
	if r.From, r.To, err = ParseRange(q.Get("from"), q.Get("to"), now); err != nil {
		return r, "", err
	}
	for _, d := range Dimensions {
		if v := q.Get(d); v != "" {
			r.Filters[d] = v
		}
	}
	format := q.Get("format")
	switch {
	case format == "" && strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/csv"):
		format = "csv"
	case format == "", format == "json", format == "csv":
	default:
		return r, "", badf("format %q: want json or csv", format)
	}
	_, err = r.Validate()
	return r, format, err
}
