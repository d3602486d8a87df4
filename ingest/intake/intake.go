// Package intake is the HTTP side of ingest: POST /api/v1/{entity} for JSON,
// NDJSON or CSV bodies of opsmetrics' own records, and POST /api/v1/import
// for an export file upload. Both run the importer and answer only after the
// rows are written.
package intake

import (
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
)

// Config configures the intake handlers.
type Config struct {
	Importer *importer.Importer
	Logger   *slog.Logger
}

// EntityPaths maps the URL name of each entity to its record name.
var EntityPaths = map[string]string{
	"people": "person", "clients": "client", "projects": "project", "time_entries": "time_entry",
	"deliverables": "deliverable", "task_events": "task_event", "allocations": "allocation",
	"time_off": "time_off", "holidays": "holiday", "adjustments": "adjustment", "invoice_lines": "invoice_line",
}

// Register adds the intake routes to g, which must already require a token
// with the ingest scope (auth.Require).
func Register(g *echo.Group, cfg Config) {
	h := &handlers{cfg: cfg}
	g.POST("/import", h.upload)
	g.POST("/:entity", h.records)
}

type handlers struct{ cfg Config }

// Response is the answer to an intake request.
type Response struct {
	BatchID  string                      `json:"batch_id"`
	Format   string                      `json:"format"`
	Written  bool                        `json:"written"`
	Entities map[string]*importer.Counts `json:"entities"`
	Created  map[string]int              `json:"created,omitempty"`
	Rejected int                         `json:"rejected"`
	Errors   []RowError                  `json:"errors,omitempty"`
}

// RowError is one rejected row: its line (or NDJSON line, or JSON object's
// line), field, value and why.
type RowError struct {
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// maxErrors bounds the errors in one response.
const maxErrors = 100

func (h *handlers) records(c echo.Context) error {
	entity, ok := EntityPaths[c.Param("entity")]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("no entity %q; POST to one of /api/v1/{%s}", c.Param("entity"), strings.Join(pathNames(), ",")))
	}
	format, err := formatOf(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil {
		return err
	}
	return h.run(c, importer.Request{File: "request body", Body: c.Request().Body, Format: format, Entity: entity})
}

func (h *handlers) upload(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "send the export as a multipart form field named \"file\"")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	req := importer.Request{File: fh.Filename, Body: f, Format: c.FormValue("format"),
		Entity: c.FormValue("entity"), DateOrder: c.FormValue("date_order")}
	return h.run(c, req)
}

func (h *handlers) run(c echo.Context, req importer.Request) error {
	tok, ok := auth.TokenOf(c)
	if !ok {
		return errors.New("intake: route registered without auth.Require")
	}
	req.Org = tok.Org
	var err error
	if req.DryRun, err = boolParam(c, "dry_run"); err != nil {
		return err
	}
	if req.Strict, err = boolParam(c, "strict"); err != nil {
		return err
	}
	// Splitting written rows into new and updated costs a key lookup per
	// batch; clients that want it ask with changes=true.
	if req.CountChanges, err = boolParam(c, "changes"); err != nil {
		return err
	}
	sum, err := h.cfg.Importer.Import(c.Request().Context(), req)
	var fileErr *ingest.FileError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the body is larger than this server accepts; split it into smaller requests")
	case errors.As(err, &fileErr):
		return echo.NewHTTPError(http.StatusBadRequest, fileErr.Error())
	case err != nil:
		return err
	}
	resp := Response{BatchID: sum.BatchID, Format: sum.Format, Written: sum.Written, Entities: sum.Entities,
		Created: sum.Created, Rejected: sum.Rejected()}
	for _, e := range sum.Errors[:min(len(sum.Errors), maxErrors)] {
		resp.Errors = append(resp.Errors, RowError{Line: e.Line, Field: e.Field, Value: e.Value, Reason: e.Reason})
	}
	status := http.StatusOK
	switch {
	case resp.Rejected > 0 && (!sum.Written || accepted(sum) == 0):
		status = http.StatusUnprocessableEntity // nothing was written
	case resp.Rejected > 0:
		status = http.StatusMultiStatus // some rows written, some rejected: the body says which
	}
	return c.JSON(status, resp)
}

func accepted(s *importer.Summary) int {
	n := 0
	for _, c := range s.Entities {
		n += c.Written + c.Deleted
	}
	return n
}

func formatOf(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return "", echo.NewHTTPError(http.StatusUnsupportedMediaType, "unreadable Content-Type")
	}
	switch mt {
	case "application/json":
		return importer.FormatJSON, nil
	case "application/x-ndjson", "application/ndjson", "application/jsonl":
		return importer.FormatNDJSON, nil
	case "text/csv":
		return importer.FormatCSV, nil
	}
	return "", echo.NewHTTPError(http.StatusUnsupportedMediaType,
		"send application/json (an array), application/x-ndjson or text/csv")
}

func boolParam(c echo.Context, name string) (bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		v = c.FormValue(name)
	}
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("%s=%q: want true or false", name, v))
	}
	return b, nil
}

func pathNames() []string {
	return []string{"people", "clients", "projects", "time_entries", "deliverables", "task_events",
		"allocations", "time_off", "holidays", "adjustments", "invoice_lines"}
}
