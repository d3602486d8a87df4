package app

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// apiError is the body of every error response. The fields after
// RequestID are a filter's (metrics.FilterError): the filter, its value
// and the candidates (close matches, or every match of an ambiguous name)
// for a program to offer.
type apiError struct {
	Error      string           `json:"error"`
	RequestID  string           `json:"request_id,omitempty"`
	Filter     string           `json:"filter,omitempty"`
	Value      *string          `json:"value,omitempty"`
	Ambiguous  *bool            `json:"ambiguous,omitempty"`
	Candidates *[]metrics.Named `json:"candidates,omitempty"`
}

// errorTable is the one mapping from errors to HTTP statuses and what the
// client reads: the first row whose match takes the error answers it.
// Domain errors carry their user's message (metrics.BadRequestError,
// org.BadSettingError); an error no row takes is a 500 with a generic
// message, so engine text and stack traces never reach a client.
var errorTable = []struct {
	match  func(err error) bool
	answer func(err error) (int, apiError)
}{
	{as[*echo.HTTPError], func(err error) (int, apiError) {
		he, _ := errors.AsType[*echo.HTTPError](err)
		msg := http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok {
			msg = s
		}
		return he.Code, apiError{Error: msg}
	}},
	{as[*metrics.FilterError], func(err error) (int, apiError) {
		fe, _ := errors.AsType[*metrics.FilterError](err)
		candidates := append([]metrics.Named{}, fe.Candidates...)
		return http.StatusBadRequest, apiError{Error: fe.Error(), Filter: fe.Kind, Value: &fe.Value, Ambiguous: &fe.Ambiguous,
			Candidates: &candidates}
	}},
	{is(metrics.ErrBadRequest), func(err error) (int, apiError) {
		return http.StatusBadRequest, apiError{Error: metrics.Message(err)}
	}},
	{as[*org.BadSettingError], func(err error) (int, apiError) {
		bad, _ := errors.AsType[*org.BadSettingError](err)
		return http.StatusBadRequest, apiError{Error: bad.Msg}
	}},
	{is(collect.ErrNotFound), func(err error) (int, apiError) {
		return http.StatusNotFound, apiError{Error: err.Error()}
	}},
	{is(collect.ErrBusy, collect.ErrLeaseLost), func(err error) (int, apiError) {
		// Another sync of the source runs (or took over): try again later.
		return http.StatusConflict, apiError{Error: err.Error()}
	}},
	{as[*collect.BadSourceError], func(err error) (int, apiError) {
		return http.StatusBadRequest, apiError{Error: err.Error()}
	}},
	{as[*hook.MappingError], func(err error) (int, apiError) {
		return http.StatusBadRequest, apiError{Error: err.Error()}
	}},
	{is(hook.ErrNotFound), func(err error) (int, apiError) {
		return http.StatusNotFound, apiError{Error: err.Error()}
	}},
	{is(hook.ErrBadSignature), func(err error) (int, apiError) {
		return http.StatusUnauthorized, apiError{Error: err.Error()}
	}},
	{as[*hook.BadHookError], func(err error) (int, apiError) {
		return http.StatusBadRequest, apiError{Error: err.Error()}
	}},
	{collect.IsSyncError, func(err error) (int, apiError) {
		// The tool's answer, token redacted: what the admin must act on.
		return http.StatusBadGateway, apiError{Error: err.Error()}
	}},
	{is(store.ErrUnavailable, store.ErrAuth, store.ErrTooOld, store.ErrNoLibrary), func(error) (int, apiError) {
		return http.StatusServiceUnavailable, apiError{Error: "database unavailable"}
	}},
	{is(store.ErrTimeout, context.DeadlineExceeded), func(error) (int, apiError) {
		return http.StatusGatewayTimeout, apiError{Error: "query timed out"}
	}},
	{is(store.ErrMemory), func(error) (int, apiError) {
		return http.StatusServiceUnavailable, apiError{Error: "query too large; narrow the date range or filters"}
	}},
}

func as[T error](err error) bool {
	_, ok := errors.AsType[T](err)
	return ok
}

func is(targets ...error) func(error) bool {
	return func(err error) bool {
		for _, t := range targets {
			if errors.Is(err, t) {
				return true
			}
		}
		return false
	}
}

// answer looks err up in errorTable.
func answer(err error) (int, apiError) {
	for _, row := range errorTable {
		if row.match(err) {
			return row.answer(err)
		}
	}
	return http.StatusInternalServerError, apiError{Error: "internal error"}
}

// errorHandler answers every error through errorTable: as JSON for the API,
// as a page for a page a person opens. A 5xx is logged with its detail; a
// client's mistake is a response, not a log line.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
			// The client went away (a closed tab, a navigation): not a server
			// error. 499 is nginx's "client closed request"; nobody reads it.
			log.Debug("request_abandoned", "method", c.Request().Method, "path", c.Path(), "request_id", requestID(c))
			c.Response().WriteHeader(statusClientClosed)
			return
		}
		status, body := answer(err)
		body.RequestID = requestID(c)
		if status >= 500 {
			log.Error("request_failed", "method", c.Request().Method, "path", c.Path(), "status", status,
				"request_id", requestID(c), "err", err)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		if isPage(c.Request().URL.Path) {
			c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
			c.Response().WriteHeader(status)
			_ = errorPage.Execute(c.Response(), struct {
				Status         int
				Message, ReqID string
			}{status, body.Error, body.RequestID})
			return
		}
		_ = c.JSON(status, body)
	}
}

// statusClientClosed is the status of a request whose client went away
// before the answer.
const statusClientClosed = 499

// isPage reports whether a path is a page a person opens (the dashboards),
// whose errors are shown as a page rather than JSON.
func isPage(path string) bool {
	for _, p := range []string{"/api/", "/hooks/", "/healthz", "/readyz", "/assets/"} {
		if strings.HasPrefix(path, p) {
			return false
		}
	}
	return true
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Status}} · opsmetrics</title>
<link rel="stylesheet" href="/assets/app.css"></head>
<body><main><h1>{{.Status}}</h1><p class="note">{{.Message}}</p>
<p><a href="/">Back to the overview</a> · <a href="/login">Sign in as someone else</a></p>
{{if .ReqID}}<p class="question">Request {{.ReqID}}</p>{{end}}</main></body></html>`))
