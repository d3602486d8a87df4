package metrics_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// TestRetroAPI: PUT /retros/{quarter} records the held-on day and the
// texts, keeps the day when only a text is sent and every changed text as
// a version; a day in the future (by the org's calendar, Berlin), before
// the quarter, or missing for a retro never held is a 400 naming it and
// writes nothing; an unknown member or quarter is a 400; the write
// middleware guards PUT only. GET /retros lists the current quarter and
// the four before it plus any with a retro action, with its actions open
// and closed.
func TestRetroAPI(t *testing.T) {
	const o = "retro-api"
	s := testStore(t)
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: o, Source: "test", ExternalID: id} }
	// a tool's retro_held event on 30 Jun 2024 22:30 UTC: 1 Jul in Berlin, Q3 2024
	write(t, []settings.Settings{{ID: o, Name: "Retro API", TimeZone: "Europe/Berlin", Currency: "EUR"}},
		[]ingest.Person{{Meta: meta("p1"), Name: "Ada Lovelace"}},
		[]ingest.TaskEvent{{Meta: meta("retro-tool"), OccurredAt: time.Date(2024, 6, 30, 22, 30, 0, 0, time.UTC), Type: ingest.EventRetroHeld, Phase: "reported"}})
	// 5 Oct 2026 22:30 UTC is 6 Oct 00:30 in Berlin: the org's today is 6 Oct.
	now := time.Date(2026, 10, 5, 22, 30, 0, 0, time.UTC)
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		code, msg := http.StatusInternalServerError, err.Error()
		if he, ok := errors.AsType[*echo.HTTPError](err); ok {
			code, msg = he.Code, he.Message.(string)
		} else if errors.Is(err, metrics.ErrBadRequest) {
			code, msg = http.StatusBadRequest, metrics.Message(err)
		}
		_ = c.JSON(code, map[string]string{"error": msg})
	}
	deny := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Request().Header.Get("X-Deny") != "" {
				return echo.NewHTTPError(http.StatusForbidden, "your role may not reports; ask an admin")
			}
			return next(c)
		}
	}
	metrics.RegisterRetroAPI(e.Group("/api/v1"), s, nil, func(echo.Context) (string, bool) { return o, true },
		func(c echo.Context) string { return "ann@example.com" }, func() time.Time { return now }, deny)
	call := func(method, path, body string, hdr ...string) (int, string) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	get := func(path string) metrics.RetroQuarter {
		t.Helper()
		code, body := call(http.MethodGet, path, "")
		var r metrics.RetroQuarter
		if err := json.Unmarshal([]byte(body), &r); code != http.StatusOK || err != nil {
			t.Fatalf("GET %s: %d %s %v", path, code, body, err)
		}
		return r
	}

	if r := get("/api/v1/retros/2026-Q3"); r.Held || r.HeldOn != nil || len(r.Actions) != 0 || r.Worked != "" {
		t.Errorf("before any retro: %+v", r)
	}
	code, body := call(http.MethodPut, "/api/v1/retros/2026-q3", `{"held_on":"2026-10-06","worked":"Briefs before production","broke":"QA skipped twice"}`)
	if code != http.StatusOK {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, body = call(http.MethodPut, "/api/v1/retros/2026-Q3", `{"worked":"Briefs before production, every time"}`)
	if code != http.StatusOK {
		t.Fatalf("PUT worked: %d %s", code, body)
	}
	r := get("/api/v1/retros/2026-Q3")
	if !r.Held || r.HeldOn == nil || r.HeldOn.Format(time.DateOnly) != "2026-10-06" || r.Author != "ann@example.com" {
		t.Errorf("held: %+v", r)
	}
	// worked saved twice, broke once, slowed never: 3 versions
	if r.Worked != "Briefs before production, every time" || r.Broke != "QA skipped twice" || r.Slowed != "" ||
		r.Notes.Edits(metrics.NoteWorked) != 2 || len(r.Notes.History) != 3 {
		t.Errorf("texts: %q %q %q, %d versions of worked, %d in all", r.Worked, r.Broke, r.Slowed, r.Notes.Edits(metrics.NoteWorked), len(r.Notes.History))
	}

	for _, tc := range []struct{ path, body, hdr, says string }{
		{"/api/v1/retros/2026-Q3", `{"held_on":"2026-10-07","slowed":"x"}`, "", "held_on 2026-10-07: in the future"},
		{"/api/v1/retros/2026-Q3", `{"held_on":"2026-06-30","slowed":"x"}`, "", "held_on 2026-06-30: before the quarter 2026-Q3"},
		{"/api/v1/retros/2026-Q3", `{"held_on":"2026-09-31","slowed":"x"}`, "", `held_on \"2026-09-31\": there is no such day`},
		{"/api/v1/retros/2026-Q4", `{"slowed":"x"}`, "", "held_on: empty"},
		{"/api/v1/retros/2026-Q5", `{"held_on":"2026-10-01"}`, "", `quarter \"2026-Q5\"`},
		{"/api/v1/retros/2026-Q3", `{"mood":"x"}`, "", "mood"},
		{"/api/v1/retros/2026-Q3", `{"slowed":"x"}`, "X-Deny", "may not reports"},
	} {
		want, hdr := http.StatusBadRequest, []string{}
		if tc.hdr != "" {
			want, hdr = http.StatusForbidden, []string{tc.hdr, "1"}
		}
		code, body := call(http.MethodPut, tc.path, tc.body, hdr...)
		if code != want || !strings.Contains(body, tc.says) {
			t.Errorf("PUT %s %s: %d %s, want %d saying %s", tc.path, tc.body, code, body, want, tc.says)
		}
	}
	if r := get("/api/v1/retros/2026-Q3"); r.Slowed != "" || r.HeldOn.Format(time.DateOnly) != "2026-10-06" || len(r.Notes.History) != 3 {
		t.Errorf("a refused PUT wrote: slowed %q, held %s, %d versions", r.Slowed, r.HeldOn, len(r.Notes.History))
	}
	if code, body := call(http.MethodGet, "/api/v1/retros/2026-Q3", "", "X-Deny", "1"); code != http.StatusOK {
		t.Errorf("GET with the write middleware refusing: %d %s", code, body)
	}

	// Q3's retro has two actions, one closed; an action of Q1 2025, older
	// than the five quarters listed, brings its quarter into the list.
	ctx := t.Context()
	var ids []string
	for _, q := range []string{"2026-07-01", "2026-07-01", "2025-01-01"} {
		a, err := metrics.AddAction(ctx, s, o, "ann@example.com", metrics.Action{Origin: metrics.OriginRetro, Period: d(q), Title: "Act on " + q,
			Owner: "ada lovelace", Due: d("2026-11-30")}, now)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	if _, _, err := metrics.SetActionStatus(ctx, s, o, "ann@example.com", ids[0], true, now); err != nil {
		t.Fatal(err)
	}
	code, body = call(http.MethodGet, "/api/v1/retros", "")
	var list struct{ Retros []metrics.RetroSummary }
	if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil {
		t.Fatalf("GET /retros: %d %s %v", code, body, err)
	}
	var got []string
	for _, x := range list.Retros {
		got = append(got, x.Quarter)
	}
	// today 6 Oct 2026: Q4 2026 and the four before it, then Q1 2025 (an
	// action) and Q3 2024 (the tool's event, on Berlin's 1 Jul)
	if want := "2026-Q4 2026-Q3 2026-Q2 2026-Q1 2025-Q4 2025-Q1 2024-Q3"; strings.Join(got, " ") != want {
		t.Errorf("quarters %v, want %s", got, want)
	}
	if q3 := list.Retros[1]; !q3.Held || q3.Open != 1 || q3.Closed != 1 || q3.ToolEvents != 0 || list.Retros[0].Held || list.Retros[5].Open != 1 {
		t.Errorf("Q3 %+v, Q4 %+v, Q1 2025 %+v", q3, list.Retros[0], list.Retros[5])
	}
	if tool := list.Retros[6]; tool.Held || tool.ToolEvents != 1 || tool.ToolLast == nil || tool.ToolLast.Format(time.DateOnly) != "2024-07-01" {
		t.Errorf("Q3 2024 (a tool's event) %+v", tool)
	}
	if r := get("/api/v1/retros/2024-Q3"); r.Held || r.ToolEvents != 1 {
		t.Errorf("GET 2024-Q3: %+v, want not held here, 1 tool event", r)
	}
	if r := get("/api/v1/retros/2026-Q3"); len(r.Actions) != 2 || r.Actions[0].OwnerName != "Ada Lovelace" || r.Open != 1 || r.Closed != 1 {
		t.Errorf("Q3 actions: %+v", r.Actions)
	}
}
