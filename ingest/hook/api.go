package hook

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

// addRequest is the body of POST /api/v1/hooks. Secret and Token are
// stored sealed and never answered again.
type addRequest struct {
	Tool      string `json:"tool"`
	Secret    string `json:"secret"` // "" makes one (answered once); Asana's comes from its handshake
	Token     string `json:"token"`  // the tool's API token, optional
	BaseURL   string `json:"base_url"`
	Client    string `json:"client"`
	Project   string `json:"project"`
	PublicURL string `json:"public_url"` // "" is serve's --public-url
}

// Added is the answer to an add: the hook and, this once, its secret.
type Added struct {
	Hook
	Secret string `json:"secret,omitempty"`
}

// Register adds the hooks API to admin, a group that requires an admin
// token; orgOf gives the token's org, the only org a request sees (a hook
// of another org is a 404); publicURL is serve's --public-url. Changed
// (when set) is told of every add and removal (the Receiver's Invalidate).
//
//	GET    /hooks                  the org's hooks
//	POST   /hooks                  add one (addRequest); 201 with Added
//	DELETE /hooks/:id              remove one; 204
//	GET    /hooks/:id/deliveries   its recent deliveries (?since=RFC 3339); 200
//	POST   /hooks/:id/replay       map its kept deliveries again (?since=); 200 with Replayed
//	POST   /hooks/:id/reconcile    reconcile it now (with rc); 200 with Reconciled
//
// Errors are returned for the service's error table: ErrNotFound,
// *BadHookError, collect.ErrBusy (a reconciliation under way), the
// tool's (collect.ErrNeedsToken, *collect.APIError: a failed run, which
// the hook's state records) and the store's.
func Register(admin *echo.Group, w *Worker, rc *Scheduler, orgOf func(echo.Context) (string, bool), publicURL string, changed func()) {
	org := func(ec echo.Context) (string, error) {
		o, ok := orgOf(ec)
		if !ok {
			return "", errors.New("hook: hooks routes registered without auth")
		}
		return o, nil
	}
	// orgSince gives the token's org and the ?since= of a request.
	orgSince := func(ec echo.Context) (string, time.Time, error) {
		o, err := org(ec)
		if err != nil {
			return "", time.Time{}, err
		}
		s := ec.QueryParam("since")
		if s == "" {
			return o, time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return "", time.Time{}, &BadHookError{Msg: "since " + s + ": want an RFC 3339 time such as 2026-04-01T00:00:00Z"}
		}
		return o, t, nil
	}
	tell := func() {
		if changed != nil {
			changed()
		}
	}
	admin.GET("/hooks", func(ec echo.Context) error {
		o, err := org(ec)
		if err != nil {
			return err
		}
		list, err := w.Hooks().Listed(ec.Request().Context(), o)
		if err != nil {
			return err
		}
		return ec.JSON(http.StatusOK, map[string]any{"hooks": list})
	})
	admin.POST("/hooks", func(ec echo.Context) error {
		o, err := org(ec)
		if err != nil {
			return err
		}
		var req addRequest
		dec := json.NewDecoder(io.LimitReader(ec.Request().Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return &BadHookError{Msg: "body: want a JSON object {tool, secret, token, base_url, client, project, public_url}"}
		}
		if req.PublicURL == "" {
			req.PublicURL = publicURL
		}
		h, secret, err := w.Hooks().Add(ec.Request().Context(), NewHook{Org: o, Tool: req.Tool, Secret: req.Secret, Token: req.Token,
			BaseURL: req.BaseURL, Client: req.Client, Project: req.Project, PublicURL: req.PublicURL})
		if err != nil {
			return err
		}
		tell()
		if err := w.Hooks().Audit(ec.Request().Context(), auth.WhoOf(ec), nil, &h); err != nil {
			return fmt.Errorf("hook %s added; recording it in the audit trail: %w", h.ID, err)
		}
		if req.Secret != "" {
			secret = "" // the caller has it: not sent back
		}
		return ec.JSON(http.StatusCreated, Added{Hook: h, Secret: secret})
	})
	admin.DELETE("/hooks/:id", func(ec echo.Context) error {
		o, err := org(ec)
		if err != nil {
			return err
		}
		h, err := w.Hooks().Get(ec.Request().Context(), o, ec.Param("id"))
		if err != nil {
			return err
		}
		if err := w.Hooks().Remove(ec.Request().Context(), o, h.ID); err != nil {
			return err
		}
		tell()
		if err := w.Hooks().Audit(ec.Request().Context(), auth.WhoOf(ec), &h, nil); err != nil {
			return fmt.Errorf("hook %s removed; recording it in the audit trail: %w", h.ID, err)
		}
		return ec.NoContent(http.StatusNoContent)
	})
	admin.GET("/hooks/:id/deliveries", func(ec echo.Context) error {
		o, t, err := orgSince(ec)
		if err != nil {
			return err
		}
		list, err := w.Deliveries(ec.Request().Context(), o, ec.Param("id"), t)
		if err != nil {
			return err
		}
		return ec.JSON(http.StatusOK, map[string]any{"deliveries": list})
	})
	admin.POST("/hooks/:id/replay", func(ec echo.Context) error {
		o, t, err := orgSince(ec)
		if err != nil {
			return err
		}
		res, err := w.Replay(ec.Request().Context(), o, ec.Param("id"), t)
		if err != nil {
			return err
		}
		return ec.JSON(http.StatusOK, res)
	})
	if rc == nil {
		return
	}
	admin.POST("/hooks/:id/reconcile", func(ec echo.Context) error {
		o, err := org(ec)
		if err != nil {
			return err
		}
		res, st, err := rc.Reconcile(ec.Request().Context(), o, ec.Param("id"))
		if err != nil {
			return err
		}
		return ec.JSON(http.StatusOK, Reconciled{ReconcileResult: res, State: st})
	})
}

// Reconciled is the answer to POST /hooks/{id}/reconcile: what the run did
// and the hook's state after it.
type Reconciled struct {
	ReconcileResult
	State ReconcileState `json:"state"`
}
