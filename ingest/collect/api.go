package collect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
)

// addRequest is the body of POST /api/v1/sources. Token is the tool's
// API token: stored sealed, never answered.
type addRequest struct {
	Kind      string `json:"kind"`
	Token     string `json:"token"`
	AccountID string `json:"account_id"`
	Workspace string `json:"workspace"`
	BaseURL   string `json:"base_url"`
	Since     string `json:"since"` // YYYY-MM-DD
	Every     string `json:"every"` // a Go duration, such as 15m
}

// Register adds the sources API to admin, a group that requires an admin
// token; orgOf gives the token's org, the only org a request sees (a
// source of another org is a 404):
//
//	GET    /sources               the org's sources and their state
//	POST   /sources               add one (addRequest); 201 with the source
//	DELETE /sources/:id           remove one; 204
//	POST   /sources/:id/sync      sync one now (?full=true re-lists all); 200 with the Result
//
// Errors are returned for the service's error table: ErrNotFound,
// *BadSourceError, ErrNeedsToken, *APIError and the store's.
func Register(admin *echo.Group, c *Collector, orgOf func(echo.Context) (string, bool)) {
	org := func(ec echo.Context) (string, error) {
		o, ok := orgOf(ec)
		if !ok {
			return "", errors.New("collect: sources routes registered without auth")
		}
		return o, nil
	}
	admin.GET("/sources", func(ec echo.Context) error {
		o, err := org(ec)
		if err != nil {
			return err
		}
		list, err := c.Sources().List(ec.Request().Context(), o)
		if err != nil {
			return err
		}
		return ec.JSON(http.StatusOK, map[string]any{"sources": list})
	})
	admin.POST("/sources", func(ec echo.Context) error {
		o, err := org(ec)
		if err != nil {
			return err
		}
		var req addRequest
		dec := json.NewDecoder(io.LimitReader(ec.Request().Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return &BadSourceError{Msg: "body: want a JSON object {kind, token, account_id, workspace, base_url, since, every}"}
		}
		src := Source{Org: o, Kind: req.Kind, AccountID: req.AccountID, Workspace: req.Workspace, BaseURL: req.BaseURL}
		if req.Since != "" {
			if src.Since, err = time.Parse(time.DateOnly, req.Since); err != nil {
				return &BadSourceError{Msg: "since: want YYYY-MM-DD"}
			}
		}
		if req.Every != "" {
			every, err := time.ParseDuration(req.Every)
			if err != nil {
				return &BadSourceError{Msg: "every: want a duration such as 15m"}
			}
			src.Every = Every(every)
		}
		src, err = c.Sources().Add(ec.Request().Context(), src, req.Token)
		if err != nil {
			return err
		}
		if err := c.Sources().Audit(ec.Request().Context(), auth.WhoOf(ec), nil, &src); err != nil {
			return fmt.Errorf("source %s added; recording it in the audit trail: %w", src.ID, err)
		}
		return ec.JSON(http.StatusCreated, src)
	})
	admin.DELETE("/sources/:id", func(ec echo.Context) error {
		o, err := org(ec)
		if err != nil {
			return err
		}
		st, err := c.Sources().Get(ec.Request().Context(), o, ec.Param("id"))
		if err != nil {
			return err
		}
		if err := c.Sources().Remove(ec.Request().Context(), o, st.ID); err != nil {
			return err
		}
		if err := c.Sources().Audit(ec.Request().Context(), auth.WhoOf(ec), &st.Source, nil); err != nil {
			return fmt.Errorf("source %s removed; recording it in the audit trail: %w", st.ID, err)
		}
		return ec.NoContent(http.StatusNoContent)
	})
	admin.POST("/sources/:id/sync", func(ec echo.Context) error {
		o, err := org(ec)
		if err != nil {
			return err
		}
		res, err := c.Sync(ec.Request().Context(), o, ec.Param("id"), ec.QueryParam("full") == "true")
		if err != nil {
			return err
		}
		return ec.JSON(http.StatusOK, res)
	})
}

// IsSyncError reports whether err is a sync's own failure (the tool's answer), as
// opposed to the request's: the error table answers it 502.
func IsSyncError(err error) bool {
	var apiErr *APIError
	return errors.Is(err, ErrNeedsToken) || errors.As(err, &apiErr)
}
