package app

import (
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// indexPage is the status page (/status): what is running, and for a
// signed-in org what it has loaded, so a first `make run` shows its data.
var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>opsmetrics</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/assets/app.css"></head>
<body><main class="narrow"><h1>opsmetrics</h1>
<p>Running on {{.Engine.Name}} {{.Engine.Version}}.</p>
{{if not .Org}}<p><a href="/login?next=/status">Sign in</a> to see what your org has loaded.</p>
{{else if .Empty}}<p>Org {{.Org}} has no data yet. Load the demo agency with <code>opsmetrics demo</code>,
or import your own data.</p>{{else}}
<table><tr><th>{{.Org}}</th><th>rows</th></tr>
{{range .Counts}}<tr><td>{{.Table}}</td><td class="n">{{.Rows}}</td></tr>{{end}}</table>{{end}}
<p>Health: <a href="/healthz">/healthz</a> · readiness: <a href="/readyz">/readyz</a></p>
</main></body></html>`))

type tableCount struct {
	Table string
	Rows  uint64
}

// indexHandler serves the status page. Row counts are org data: only a
// caller that auth.Identify knows sees them, and only its own org's; anyone
// else sees the engine's name and version.
func indexHandler(s store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		data := struct {
			Engine store.EngineInfo
			Org    string
			Counts []tableCount
			Empty  bool
		}{Engine: s.Info(), Empty: true}
		if p, ok := auth.PrincipalOf(c); ok {
			data.Org = p.Org
			rows, err := s.Query(c.Request().Context(), store.QueryText("org_table_counts"), store.Params{"org": p.Org})
			if err != nil {
				return err
			}
			for i := range rows.Len() {
				var tc tableCount
				if err := rows.Scan(i, &tc.Table, &tc.Rows); err != nil {
					return err
				}
				data.Counts = append(data.Counts, tc)
				data.Empty = data.Empty && tc.Rows == 0
			}
		}
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().Header().Set("Cache-Control", "private, no-cache")
		c.Response().WriteHeader(http.StatusOK)
		return indexPage.Execute(c.Response(), data)
	}
}
