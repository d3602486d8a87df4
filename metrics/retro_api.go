package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// The quarterly retro as one record: the day it was held, its three texts
// (what worked, what broke, what slowed the loop) with every edit, and its
// actions. The Retros page and /api/v1/retros read and write it through
// the same two functions, LoadRetroQuarter and RecordRetro, so both check
// the same things.

// RetroQuarter is a quarter's retro: Held false (HeldOn nil) for a quarter
// whose retro has not been recorded, with whatever texts and actions it has
// all the same.
type RetroQuarter struct {
	Quarter   string     `json:"quarter"` // YYYY-Qn
	Start     time.Time  `json:"start"`   // the quarter's first day
	Held      bool       `json:"held"`
	HeldOn    *time.Time `json:"held_on"`
	Author    string     `json:"author,omitempty"` // who recorded the held-on day
	CreatedAt *time.Time `json:"created_at,omitempty"`
	// ToolEvents are the retro_held task events tools sent dated in the
	// quarter, the last on ToolLast: the maturity level counts them as a
	// retro held too (RetroEvents fills them in).
	ToolEvents int        `json:"tool_events"`
	ToolLast   *time.Time `json:"tool_last,omitempty"`
	// Worked, Broke and Slowed are the texts in force; Notes has them with
	// every saved version.
	Worked  string   `json:"worked"`
	Broke   string   `json:"broke"`
	Slowed  string   `json:"slowed"`
	Notes   Notes    `json:"notes"`
	Actions []Action `json:"actions"`
	Open    int      `json:"actions_open"`
	Closed  int      `json:"actions_closed"`
}

// LoadRetroQuarter reads org's retro of the quarter starting at quarter.
func LoadRetroQuarter(ctx context.Context, q Querier, orgID string, quarter time.Time) (RetroQuarter, error) {
	quarter = QuarterStart(quarter)
	retros, err := ListRetros(ctx, q, orgID)
	if err != nil {
		return RetroQuarter{}, err
	}
	actions, err := ListActions(ctx, q, orgID, ActionFilter{Origin: OriginRetro, Period: quarter})
	if err != nil {
		return RetroQuarter{}, err
	}
	notes, err := LoadNotes(ctx, q, orgID, "", quarter)
	if err != nil {
		return RetroQuarter{}, err
	}
	if actions == nil {
		actions = []Action{}
	}
	r := RetroQuarter{Quarter: QuarterLabel(quarter), Start: quarter, Notes: notes, Actions: actions,
		Worked: notes.Text(NoteWorked), Broke: notes.Text(NoteBroke), Slowed: notes.Text(NoteSlowed)}
	if r.Notes.History == nil {
		r.Notes.History = []Note{}
	}
	if i := slices.IndexFunc(retros, func(x Retro) bool { return x.Quarter.Equal(quarter) }); i >= 0 {
		x := retros[i]
		r.Held, r.HeldOn, r.Author, r.CreatedAt = true, &x.HeldOn, x.Author, &x.CreatedAt
	}
	for _, a := range actions {
		if a.Status == ActionClosed {
			r.Closed++
		} else {
			r.Open++
		}
	}
	return r, nil
}

// RetroInput is what a retro's form or PUT body sets: the day it was held
// (zero: keep the day saved before) and the texts given (a field absent
// from Texts is left as it is; "" clears it).
type RetroInput struct {
	Quarter time.Time
	HeldOn  time.Time
	Texts   map[string]string
}

// RecordRetro checks in and stores it as org's retro of in.Quarter, by who
// at now (today is the org's day as UTC midnight): the held-on day through
// SaveRetro (unless it is the day saved already), then each text that
// changed through SaveNote. Everything is checked before anything is
// written. Errors: ErrBadRequest naming the field and value (a held-on day
// before the quarter or after today, none for a retro never held, a field
// that is not worked, broke or slowed, a text too long); the store's or the
// audit trail's otherwise.
func RecordRetro(ctx context.Context, s RecordStore, orgID, who string, in RetroInput, today, now time.Time) (RetroQuarter, error) {
	quarter := QuarterStart(in.Quarter)
	fields := make([]string, 0, len(in.Texts))
	for f, body := range in.Texts {
		if !slices.Contains(RetroNoteFields, f) {
			return RetroQuarter{}, badf("field %q: not one of %s", f, strings.Join(RetroNoteFields, ", "))
		}
		if !utf8.ValidString(body) {
			return RetroQuarter{}, badf("%s: not UTF-8 text", f)
		}
		if l := utf8.RuneCountInString(strings.TrimSpace(body)); l > MaxNoteLen {
			return RetroQuarter{}, badf("%s: %d characters, at most %d", f, l, MaxNoteLen)
		}
		fields = append(fields, f)
	}
	slices.Sort(fields)
	have, err := LoadRetroQuarter(ctx, s, orgID, quarter)
	if err != nil {
		return have, err
	}
	switch {
	case in.HeldOn.IsZero() && !have.Held:
		return have, badf("held_on: empty; give the day the %s retro was held as YYYY-MM-DD", QuarterLabel(quarter))
	case !in.HeldOn.IsZero() && (!have.Held || !have.HeldOn.Equal(in.HeldOn)):
		if _, err := SaveRetro(ctx, s, orgID, who, Retro{Quarter: quarter, HeldOn: in.HeldOn}, today, now); err != nil {
			return have, err
		}
	}
	for _, f := range fields {
		if _, err := SaveNote(ctx, s, orgID, Note{Period: quarter, Field: f, Body: in.Texts[f], Author: who}, now); err != nil {
			return have, fmt.Errorf("retro %s: %w", QuarterLabel(quarter), err)
		}
	}
	return LoadRetroQuarter(ctx, s, orgID, quarter)
}

// RetroSummary is a quarter in the list of retros: held or not, and its
// actions open and closed.
type RetroSummary struct {
	Quarter string     `json:"quarter"`
	Start   time.Time  `json:"start"`
	Held    bool       `json:"held"`
	HeldOn  *time.Time `json:"held_on"`
	Author  string     `json:"author,omitempty"`
	// ToolEvents and ToolLast as RetroQuarter's.
	ToolEvents int        `json:"tool_events"`
	ToolLast   *time.Time `json:"tool_last,omitempty"`
	Open       int        `json:"actions_open"`
	Closed     int        `json:"actions_closed"`
}

// RetroEvent is a quarter's retro_held task events from tools: how many,
// the last one's day.
type RetroEvent struct {
	Events int
	Last   time.Time
}

// RetroEvents reads org's retro_held task events per quarter (by its first
// day) of the day they occurred in tz (the org's time zone).
func RetroEvents(ctx context.Context, q Querier, orgID, tz string) (map[time.Time]RetroEvent, error) {
	rows, err := q.Query(ctx, store.QueryText("retro_events"), store.Params{"org": orgID, "tz": tz})
	if err != nil {
		return nil, fmt.Errorf("retro events: %w", err)
	}
	out := map[time.Time]RetroEvent{}
	for i := range rows.Len() {
		var quarter time.Time
		var e RetroEvent
		var n uint64
		if err := rows.Scan(i, &quarter, &n, &e.Last); err != nil {
			return nil, fmt.Errorf("retro events: %w", err)
		}
		e.Events = int(n)
		out[quarter] = e
	}
	return out, nil
}

// WithEvents adds the quarter's retro_held events of ev (RetroEvents).
func (r RetroQuarter) WithEvents(ev map[time.Time]RetroEvent) RetroQuarter {
	if e, ok := ev[r.Start]; ok {
		r.ToolEvents, r.ToolLast = e.Events, &e.Last
	}
	return r
}

// ListRetroQuarters lists the quarter of today and the four before it,
// and every other quarter with a retro, a retro action or a retro_held
// event from a tool (its day in tz, the org's time zone), newest first.
func ListRetroQuarters(ctx context.Context, q Querier, orgID, tz string, today time.Time) ([]RetroSummary, error) {
	retros, err := ListRetros(ctx, q, orgID)
	if err != nil {
		return nil, err
	}
	events, err := RetroEvents(ctx, q, orgID, tz)
	if err != nil {
		return nil, err
	}
	actions, err := ListActions(ctx, q, orgID, ActionFilter{Origin: OriginRetro})
	if err != nil {
		return nil, err
	}
	by := map[time.Time]*RetroSummary{}
	at := func(quarter time.Time) *RetroSummary {
		quarter = QuarterStart(quarter)
		if r, ok := by[quarter]; ok {
			return r
		}
		r := &RetroSummary{Quarter: QuarterLabel(quarter), Start: quarter}
		by[quarter] = r
		return r
	}
	cur := QuarterStart(today)
	for i := range 5 {
		at(cur.AddDate(0, -3*i, 0))
	}
	for _, x := range retros {
		r := at(x.Quarter)
		r.Held, r.HeldOn, r.Author = true, &x.HeldOn, x.Author
	}
	for quarter, e := range events {
		r := at(quarter)
		r.ToolEvents, r.ToolLast = e.Events, &e.Last
	}
	for _, a := range actions {
		r := at(a.Period)
		if a.Status == ActionClosed {
			r.Closed++
		} else {
			r.Open++
		}
	}
	out := make([]RetroSummary, 0, len(by))
	for _, r := range by {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b RetroSummary) int { return b.Start.Compare(a.Start) })
	return out, nil
}

// retroBody is PUT /retros/{quarter}'s body: every member optional, a
// text given as "" cleared.
type retroBody struct {
	HeldOn *string `json:"held_on"`
	Worked *string `json:"worked"`
	Broke  *string `json:"broke"`
	Slowed *string `json:"slowed"`
}

// RegisterRetroAPI adds GET /retros (the quarters, as ListRetroQuarters)
// and GET /retros/{quarter} (one, as LoadRetroQuarter) to read, and PUT
// /retros/{quarter} (RecordRetro, with write's middleware: who may write
// retros) beside them. The org always comes from the token or session;
// whoOf names the request's principal for the audit trail; orgs gives the
// org's time zone, for its today. A retro's actions are written through
// the actions API (origin retro).
func RegisterRetroAPI(read *echo.Group, s RecordStore, orgs *org.Cache, orgOf OrgOf, whoOf func(echo.Context) string,
	now func() time.Time, write ...echo.MiddlewareFunc) {
	// the org, its today and its time zone's name
	today := func(c echo.Context) (string, time.Time, string, error) {
		orgID, ok := orgOf(c)
		if !ok {
			return "", time.Time{}, "", echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		t, err := OrgNow(c.Request().Context(), s, orgs, orgID, now())
		return orgID, Today(t), t.Location().String(), err
	}
	quarterOf := func(c echo.Context) (time.Time, error) {
		q, err := ParseQuarter(c.Param("quarter"))
		if err != nil {
			return q, echo.NewHTTPError(http.StatusBadRequest, Message(err))
		}
		return q, nil
	}
	read.GET("/retros", func(c echo.Context) error {
		orgID, t, tz, err := today(c)
		if err != nil {
			return err
		}
		list, err := ListRetroQuarters(c.Request().Context(), s, orgID, tz, t)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"retros": list})
	})
	// one quarter's retro with its tools' retro_held events
	one := func(c echo.Context, orgID, tz string, q time.Time) error {
		r, err := LoadRetroQuarter(c.Request().Context(), s, orgID, q)
		if err != nil {
			return err
		}
		ev, err := RetroEvents(c.Request().Context(), s, orgID, tz)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, r.WithEvents(ev))
	}
	read.GET("/retros/:quarter", func(c echo.Context) error {
		orgID, _, tz, err := today(c)
		if err != nil {
			return err
		}
		q, err := quarterOf(c)
		if err != nil {
			return err
		}
		return one(c, orgID, tz, q)
	})
	read.PUT("/retros/:quarter", func(c echo.Context) error {
		orgID, t, tz, err := today(c)
		if err != nil {
			return err
		}
		q, err := quarterOf(c)
		if err != nil {
			return err
		}
		var b retroBody
		dec := json.NewDecoder(c.Request().Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "body: "+JSONProblem(err))
		}
		if why := OnlyValue(dec); why != "" {
			return echo.NewHTTPError(http.StatusBadRequest, "body: "+why)
		}
		in := RetroInput{Quarter: q, Texts: map[string]string{}}
		if b.HeldOn != nil && *b.HeldOn != "" {
			day, why := ParseDay(*b.HeldOn)
			if why != "" {
				return badf("held_on %q: %s", *b.HeldOn, why)
			}
			in.HeldOn = day
		}
		for f, p := range map[string]*string{NoteWorked: b.Worked, NoteBroke: b.Broke, NoteSlowed: b.Slowed} {
			if p != nil {
				in.Texts[f] = *p
			}
		}
		if _, err := RecordRetro(c.Request().Context(), s, orgID, whoOf(c), in, t, now()); err != nil {
			return err // ErrBadRequest: the caller's 400
		}
		return one(c, orgID, tz, q)
	}, write...)
}
