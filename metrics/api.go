package metrics

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/org"
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
// another's numbers. A request's mistakes are returned as they are
// (ErrBadRequest, *FilterError), for the server's error table to answer.
// Org settings (time zone, currency, business hours) are read through
// orgs; nil reads them from q on every request. The money KPIs read the
// entry facts of facts.
func RegisterAPI(g *echo.Group, q Querier, facts *Facts, orgs *org.Cache, orgOf OrgOf, now func() time.Time) {
	g.GET("/kpis", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"kpis": Catalog(), "dimensions": Dimensions, "intervals": Intervals})
	})
	g.GET("/capacity", func(c echo.Context) error {
		org, ok := orgOf(c)
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		r, err := capacityFromQuery(c, org, now())
		if err != nil {
			return err
		}
		grid, err := Capacity(c.Request().Context(), q, r)
		if err != nil {
			return err
		}
		if c.QueryParam("format") == "csv" || strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/csv") {
			c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
			c.Response().WriteHeader(http.StatusOK)
			return grid.WriteCSV(c.Response())
		}
		return c.JSON(http.StatusOK, grid)
	})
	g.POST("/capacity/earliest-start", func(c echo.Context) error {
		org, ok := orgOf(c)
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		var body struct {
			Demand           map[string]decimal.Decimal `json:"demand"`
			Weeks            int                        `json:"weeks"`
			NotBefore        string                     `json:"not_before"`
			HorizonWeeks     int                        `json:"horizon_weeks"`
			IncludeTentative *bool                      `json:"include_tentative"`
			Derate           bool                       `json:"derate"`
		}
		dec := json.NewDecoder(c.Request().Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "body: "+JSONProblem(err))
		}
		if why := OnlyValue(dec); why != "" {
			return echo.NewHTTPError(http.StatusBadRequest, "body: "+why)
		}
		r := EarliestStartRequest{Org: org, Demand: body.Demand, Weeks: body.Weeks, HorizonWeeks: body.HorizonWeeks,
			IncludeTentative: body.IncludeTentative == nil || *body.IncludeTentative, Derate: body.Derate, Now: now()}
		if body.NotBefore == "" {
			r.NotBefore = Today(r.Now)
		} else {
			t, why := ParseDay(body.NotBefore)
			if why != "" {
				return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("not_before %q: %s", body.NotBefore, why))
			}
			r.NotBefore = t
		}
		a, err := EarliestStart(c.Request().Context(), q, r)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, a)
	})
	g.GET("/kpis/:name", func(c echo.Context) error {
		org, ok := orgOf(c)
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		at := now()
		if c.QueryParam("from") == "" {
			// The default range is this month to date in the org's time zone.
			var err error
			if at, err = OrgNow(c.Request().Context(), q, orgs, org, at); err != nil {
				return err
			}
		}
		req, format, err := requestFromQuery(c, org, at)
		if err != nil {
			return err
		}
		req.WithNames, req.Orgs = true, orgs
		res, err := Compute(c.Request().Context(), q, facts, req)
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

// queryParams are the parameters GET /kpis/:name understands; any other is
// an error, so a misspelt filter never silently widens a result.
var queryParams = append([]string{"from", "to", "group_by", "interval", "format"}, Dimensions...)

func requestFromQuery(c echo.Context, org string, now time.Time) (Request, string, error) {
	q := c.QueryParams()
	if err := onlyKnown(q, queryParams); err != nil {
		return Request{}, "", err
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

// JSONProblem says what is wrong with a JSON body without echoing Go types.
func JSONProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q: wrong type", te.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	case errors.Is(err, io.EOF):
		return "empty"
	}
	return "not valid JSON"
}

// OnlyValue says what follows the JSON value dec has just decoded, or ""
// when nothing but white space does. encoding/json stops after the first
// value, so without it a second object would be ignored and the request
// answered as if the first were all it said.
func OnlyValue(dec *json.Decoder) string {
	off := dec.InputOffset()
	if err := dec.Decode(&json.RawMessage{}); !errors.Is(err, io.EOF) {
		return fmt.Sprintf("a second JSON value at byte %d; send one object", off)
	}
	return ""
}

var capacityParams = []string{"from", "to", "by", "include_tentative", "derate", "format"}

func capacityFromQuery(c echo.Context, org string, now time.Time) (CapacityRequest, error) {
	q := c.QueryParams()
	if err := onlyKnown(q, capacityParams); err != nil {
		return CapacityRequest{}, err
	}
	r := CapacityRequest{Org: org, By: cmp.Or(q.Get("by"), DefaultCapacityBy), IncludeTentative: q.Get("include_tentative") != "false",
		Derate: q.Get("derate") == "true", Now: now}
	var err error
	r.From, r.To, err = ParseCapacityRange(q.Get("from"), q.Get("to"), now)
	return r, err
}

// onlyKnown refuses a query parameter that is not in known, so a misspelt
// filter never silently widens a result.
func onlyKnown(q url.Values, known []string) error {
	for name := range q {
		if !slices.Contains(known, name) {
			return badf("unknown parameter %q (known: %s)", name, strings.Join(known, ", "))
		}
	}
	return nil
}
