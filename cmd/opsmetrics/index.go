package main

import (
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// indexPage is the status page (/status): what is running
// and what is loaded, so a first `make run` shows its data.
var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>opsmetrics</title>
<link rel="stylesheet" href="/assets/app.css"></head>
<body><main class="narrow"><h1>opsmetrics</h1>
<p>Running on {{.Engine.Name}} {{.Engine.Version}}.</p>
{{if .Empty}}<p>The store is empty. Load the demo agency with <code>opsmetrics demo</code>,
or import your own data.</p>{{else}}
<table><tr><th>data</th><th>rows</th></tr>
{{range .Counts}}<tr><td>{{.Table}}</td><td class="n">{{.Rows}}</td></tr>{{end}}</table>{{end}}
<p>Health: <a href="/healthz">/healthz</a> · readiness: <a href="/readyz">/readyz</a></p>
</main></body></html>`))

type tableCount struct {
	Table string
	Rows  uint64
}

func indexHandler(s store.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		rows, err := s.Query(c.Request().Context(), store.QueryText("table_counts"), nil)
		if err != nil {
			return err
		}
		data := struct {
			Engine store.EngineInfo
			Counts []tableCount
			Empty  bool
		}{Engine: s.Info(), Empty: true}
		for i := range rows.Len() {
			var tc tableCount
			if err := rows.Scan(i, &tc.Table, &tc.Rows); err != nil {
				return err
			}
			data.Counts = append(data.Counts, tc)
			data.Empty = data.Empty && tc.Rows == 0
		}
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().WriteHeader(http.StatusOK)
		return indexPage.Execute(c.Response(), data)
	}
}
