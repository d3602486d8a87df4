package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// NotesResponse is a client's report texts of a month as the API answers
// them: the text in force per field and every saved version, oldest first.
type NotesResponse struct {
	Client     string `json:"client"`
	ClientName string `json:"client_name"`
	Month      string `json:"month"` // YYYY-MM
	Notes
}

// NoteRequest is the body of PUT /clients/{client}/reports/{month}/notes.
type NoteRequest struct {
	Field string `json:"field"` // commentary or internal
	Body  string `json:"body"`
}

// ActionRequest is the body of POST /actions: a report's action (Client and
// Month set, Origin report) or a retro's (Quarter set, Origin retro).
type ActionRequest struct {
	Client  string `json:"client,omitempty"`  // an id or a unique name
	Origin  string `json:"origin,omitempty"`  // report (default with a client) or retro
	Month   string `json:"month,omitempty"`   // a report's month, YYYY-MM
	Quarter string `json:"quarter,omitempty"` // a retro's quarter, YYYY-Qn
	Kind    string `json:"kind,omitempty"`    // action (default) or decision
	Title   string `json:"title"`
	Owner   string `json:"owner"` // a person's id or unique name
	Due     string `json:"due"`   // YYYY-MM-DD
}

// RegisterReportAPI adds the reports' commentary and actions API: reads
// on read (a token with the read scope), writes on write (the admin
// scope). who is whoOf's answer, recorded with each note and in the audit
// trail.
//
//	GET    /clients/:client/reports/:month/notes   the texts in force and every version
//	PUT    /clients/:client/reports/:month/notes   {"field": "commentary", "body": "..."}
//	GET    /actions                                ?client=&open=true&origin=report|retro
//	POST   /actions                                an ActionRequest; 201 with the action
//	POST   /actions/:id/close, /actions/:id/reopen the action as stored
//	DELETE /actions/:id                            204
//
// A client or action in the path that the org has not is a 404 naming it;
// a bad month, field, filter or body is a 400 naming it (ErrBadRequest, or
// a *FilterError for a client or owner in a query or body).
func RegisterReportAPI(read, write *echo.Group, s RecordStore, orgOf OrgOf, whoOf func(echo.Context) string, now func() time.Time) {
	read.GET("/clients/:client/reports/:month/notes", func(c echo.Context) error {
		org, client, name, month, err := reportPath(c, s, orgOf)
		if err != nil {
			return err
		}
		notes, err := LoadNotes(c.Request().Context(), s, org, client, month)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, NotesResponse{Client: client, ClientName: name, Month: month.Format("2006-01"), Notes: notes})
	})
	write.PUT("/clients/:client/reports/:month/notes", func(c echo.Context) error {
		org, client, name, month, err := reportPath(c, s, orgOf)
		if err != nil {
			return err
		}
		var req NoteRequest
		if err := decodeOne(c, &req); err != nil {
			return err
		}
		ctx := c.Request().Context()
		saved, err := SaveNote(ctx, s, org, Note{Client: client, Period: month, Field: req.Field, Body: req.Body, Author: whoOf(c)}, now())
		if err != nil {
			return err
		}
		notes, err := LoadNotes(ctx, s, org, client, month)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, struct {
			Saved bool `json:"saved"` // false: the text was the one in force
			NotesResponse
		}{saved, NotesResponse{Client: client, ClientName: name, Month: month.Format("2006-01"), Notes: notes}})
	})
	read.GET("/actions", func(c echo.Context) error {
		org, ok := orgOf(c)
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		ctx := c.Request().Context()
		f := ActionFilter{Origin: c.QueryParam("origin")}
		if f.Origin != "" && f.Origin != OriginReport && f.Origin != OriginRetro {
			return badf("origin %q: report or retro", f.Origin)
		}
		if o := c.QueryParam("open"); o != "" {
			open, err := strconv.ParseBool(o)
			if err != nil {
				return badf("open %q: true or false", o)
			}
			f.OpenOnly = open
		}
		if cl := c.QueryParam("client"); cl != "" {
			n, err := LoadNames(ctx, s, org)
			if err != nil {
				return err
			}
			if f.Client, err = n.Resolve(ctx, "client", cl); err != nil {
				return err
			}
		}
		list, err := ListActions(ctx, s, org, f)
		if err != nil {
			return err
		}
		if list == nil {
			list = []Action{}
		}
		return c.JSON(http.StatusOK, map[string]any{"actions": list})
	})
	write.POST("/actions", func(c echo.Context) error {
		org, ok := orgOf(c)
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		var req ActionRequest
		if err := decodeOne(c, &req); err != nil {
			return err
		}
		a, err := req.Action()
		if err != nil {
			return err
		}
		added, err := AddAction(c.Request().Context(), s, org, whoOf(c), a, now())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, added)
	})
	status := func(closed bool) echo.HandlerFunc {
		return func(c echo.Context) error {
			org, ok := orgOf(c)
			if !ok {
				return echo.NewHTTPError(http.StatusUnauthorized, "no token")
			}
			a, found, err := SetActionStatus(c.Request().Context(), s, org, whoOf(c), c.Param("id"), closed, now())
			if err != nil {
				return err
			}
			if !found {
				return noAction(org, c.Param("id"))
			}
			return c.JSON(http.StatusOK, a)
		}
	}
	write.POST("/actions/:id/close", status(true))
	write.POST("/actions/:id/reopen", status(false))
	write.DELETE("/actions/:id", func(c echo.Context) error {
		org, ok := orgOf(c)
		if !ok {
			return echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		found, err := RemoveAction(c.Request().Context(), s, org, whoOf(c), c.Param("id"), now())
		if err != nil {
			return err
		}
		if !found {
			return noAction(org, c.Param("id"))
		}
		return c.NoContent(http.StatusNoContent)
	})
}

// Action checks r's dates and returns the action it asks for, for
// AddAction to check the rest. Errors (ErrBadRequest) name the field and
// value.
func (r ActionRequest) Action() (Action, error) {
	a := Action{Client: r.Client, Origin: r.Origin, Kind: r.Kind, Title: r.Title, Owner: r.Owner}
	if a.Origin == "" && a.Client == "" && r.Quarter != "" {
		a.Origin = OriginRetro
	}
	var err error
	switch {
	case a.Origin == OriginRetro:
		if r.Quarter == "" {
			return a, badf("quarter: empty; a retro's action gives its quarter as YYYY-Qn")
		}
		a.Period, err = ParseQuarter(r.Quarter)
	case r.Month == "":
		return a, badf("month: empty; a report's action gives the report's month as YYYY-MM")
	default:
		a.Period, err = ParseMonth(r.Month)
	}
	if err != nil {
		return a, err
	}
	if r.Due == "" {
		return a, badf("due: empty; give a due date as YYYY-MM-DD")
	}
	if a.Due, err = time.Parse(time.DateOnly, r.Due); err != nil {
		return a, badf("due %q: not a date as YYYY-MM-DD", r.Due)
	}
	return a, nil
}

// reportPath reads the org, and the client (404 when the org has none
// such) and month (400 when not YYYY-MM) the path names.
func reportPath(c echo.Context, q Querier, orgOf OrgOf) (org, client, name string, month time.Time, err error) {
	org, ok := orgOf(c)
	if !ok {
		return "", "", "", month, echo.NewHTTPError(http.StatusUnauthorized, "no token")
	}
	ctx := c.Request().Context()
	n, err := LoadNames(ctx, q, org)
	if err != nil {
		return org, "", "", month, err
	}
	client, err = n.Resolve(ctx, "client", c.Param("client"))
	if fe, ok := errors.AsType[*FilterError](err); ok {
		return org, "", "", month, echo.NewHTTPError(http.StatusNotFound, fe.Error())
	} else if err != nil {
		return org, "", "", month, err
	}
	if month, err = ParseMonth(c.Param("month")); err != nil {
		return org, client, "", month, err
	}
	return org, client, nameOf(n, "client", client), month, nil
}

// noAction is the 404 of an action id the org has not.
func noAction(org, id string) error {
	return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("action %q: org %s has no such action", id, org))
}

// decodeOne reads the request's body as one JSON object into v, unknown
// fields refused. Errors: a 400 naming what is wrong.
func decodeOne(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "body: "+JSONProblem(err))
	}
	if why := OnlyValue(dec); why != "" {
		return echo.NewHTTPError(http.StatusBadRequest, "body: "+why)
	}
	return nil
}
