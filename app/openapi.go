package app

import (
	_ "embed"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// openAPIDoc describes the HTTP API; TestOpenAPIMatchesRoutes fails when a
// route and the document disagree.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPIHandler serves the document with the KPI names of the catalog
// filled in, so the list of KPIs is never out of date.
func openAPIHandler() echo.HandlerFunc {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		panic("openapi.json: " + err.Error())
	}
	names := []string{}
	for _, k := range metrics.Catalog() {
		names = append(names, k.Name)
	}
	param := doc["components"].(map[string]any)["parameters"].(map[string]any)["KPIName"].(map[string]any)
	param["schema"].(map[string]any)["enum"] = names
	body, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
	}
}
