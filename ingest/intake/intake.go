// Package intake is the HTTP side of ingest: POST /api/v1/{entity} for JSON,
// NDJSON or CSV bodies of opsmetrics' own records, and POST /api/v1/import
// for an export file upload. Both run the importer, staged: a request's rows
// become visible all together once its whole body was read, or not at all,
// and the answer comes after that.
package intake

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
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

// Register adds the intake routes to g, which must already require a token
// with the ingest scope (auth.Require).
func Register(g *echo.Group, cfg Config) {
	h := &handlers{cfg: cfg}
	g.POST("/import", h.upload)
	g.POST("/:entity", h.records)
}

type handlers struct{ cfg Config }

// Response is the answer to an intake request that read its body: 200, 207,
// 422, and 400 or 413 when the body as a whole could not be read. Written is
// true only when every row counted as written is in the store.
type Response struct {
	BatchID  string                      `json:"batch_id,omitempty"`
	Format   string                      `json:"format,omitempty"`
	Written  bool                        `json:"written"`
	Entities map[string]*importer.Counts `json:"entities"`
	Created  map[string]int              `json:"created,omitempty"`
	Rejected int                         `json:"rejected"`
	Errors   []RowError                  `json:"errors,omitempty"`
	// Error says why the body was refused as a whole (400, 413).
	Error     string `json:"error,omitempty"`
	RequestID string `json:"request_id,omitempty"`
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
	entity, ok := ingest.EntityByPlural(c.Param("entity"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("no entity %q; POST to one of /api/v1/{%s}", c.Param("entity"), strings.Join(ingest.EntityPlurals(), ",")))
	}
	format, err := formatOf(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil {
		return err
	}
	body := &limitedBody{ReadCloser: c.Request().Body}
	return h.run(c, importer.Request{File: "request body", Body: body, Format: format, Entity: entity.Name}, body)
}

func (h *handlers) upload(c echo.Context) error {
	body := &limitedBody{ReadCloser: c.Request().Body}
	c.Request().Body = body
	fh, err := c.FormFile("file")
	if err != nil {
		if body.over {
			return refuse(c, http.StatusRequestEntityTooLarge, errTooLarge, nil)
		}
		if body.late {
			return errTooSlow
		}
		return echo.NewHTTPError(http.StatusBadRequest, "send the export as a multipart form field named \"file\"")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	req := importer.Request{File: fh.Filename, Body: f, Format: c.FormValue("format"),
		Entity: c.FormValue("entity"), DateOrder: c.FormValue("date_order")}
	return h.run(c, req, body)
}

// limitedBody is a request body that remembers whether a read failed
// because the body is over the server's limit (the echo BodyLimit
// middleware) or arrived too slowly (the server's read deadlines): the
// parsers turn a read error into an error about the input, and the answer
// must still be 413 or 408.
type limitedBody struct {
	io.ReadCloser
	over bool
	late bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && overLimit(err) {
		b.over = true
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		b.late = true
	}
	return n, err
}

// errTooSlow answers a body that ran into a read deadline. It is returned,
// not written, so the server's deadline middleware can name the limit.
var errTooSlow = echo.NewHTTPError(http.StatusRequestTimeout, "the request body arrived too slowly; nothing was written")

// overLimit reports whether err is the refusal of a body over its limit,
// from echo's BodyLimit or net/http's MaxBytesReader.
func overLimit(err error) bool {
	var he *echo.HTTPError
	var mb *http.MaxBytesError
	return (errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge) || errors.As(err, &mb)
}

const errTooLarge = "the body is larger than this server accepts; split it into smaller requests"

// refuse answers a request whose body could not be read as a whole: nothing
// of it was written, and the counts say what was read before the problem.
func refuse(c echo.Context, status int, msg string, sum *importer.Summary) error {
	resp := Response{Written: false, Entities: map[string]*importer.Counts{}, Error: msg,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
	if sum != nil {
		resp.BatchID, resp.Format, resp.Entities, resp.Rejected = sum.BatchID, sum.Format, sum.Entities, sum.Rejected()
		resp.Errors = rowErrors(sum)
	}
	return c.JSON(status, resp)
}

func rowErrors(sum *importer.Summary) []RowError {
	var out []RowError
	for _, e := range sum.Errors[:min(len(sum.Errors), maxErrors)] {
		out = append(out, RowError{Line: e.Line, Field: e.Field, Value: e.Value, Reason: e.Reason})
	}
	return out
}

func (h *handlers) run(c echo.Context, req importer.Request, body *limitedBody) error {
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
	// Staged: whatever fails below, nothing of the request is visible.
	req.Stage = true
	sum, err := h.cfg.Importer.Import(c.Request().Context(), req)
	var fileErr *ingest.FileError
	switch {
	case err != nil && (body.over || overLimit(err)):
		return refuse(c, http.StatusRequestEntityTooLarge, errTooLarge, sum)
	case err != nil && body.late:
		return errTooSlow
	case errors.As(err, &fileErr):
		return refuse(c, http.StatusBadRequest, fileErr.Error(), sum)
	case err != nil:
		return err
	}
	resp := Response{BatchID: sum.BatchID, Format: sum.Format, Written: sum.Written, Entities: sum.Entities,
		Created: sum.Created, Rejected: sum.Rejected(), Errors: rowErrors(sum)}
	status := http.StatusOK
	switch {
	case resp.Rejected > 0 && (!sum.Written || accepted(sum) == 0):
		status = http.StatusUnprocessableEntity // nothing was written
		resp.Written = false                    // as the status says, even when every row was rejected
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
