package collect

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// togglTool pulls one Toggl Track workspace: its users, clients and
// projects (API v9, https://engineering.toggl.com/docs/api/), and its time
// entries through the Reports API v3's detailed search, which is the only
// workspace-wide listing and carries the billable amounts Toggl computes
// from the workspace, project and member rates (the amounts a Toggl CSV
// export has). Every sync re-lists the window in full, which finds entries
// deleted by anyone; GET /me/time_entries?since= adds the token owner's
// edits and deletions (server_deleted_at) of older dates. docs/sources.md
// has the field mapping.
type togglTool struct{}

var _ Tool = togglTool{}

// TogglURL is Toggl Track's root: the API is under /api/v9, the Reports
// API under /reports/api/v3.
const TogglURL = "https://api.track.toggl.com"

// togglPerPage is the largest page of projects Toggl gives.
const togglPerPage = 200

// togglReportSpan is the longest span one detailed-report search covers;
// a longer window is searched a span at a time. Toggl's Reports API docs
// (v2, reports.md) allow until - since of one year at most, and answer a
// longer one with an empty list (toggl_api_docs issue #302); v3 states no
// limit, so v2's is kept: an end 365 days after the start is within it.
const togglReportSpan = 366 * 24 * time.Hour

func (togglTool) Kind() string { return "toggl" }

func (togglTool) Check(s Source) error {
	if s.Workspace == "" {
		return errors.New("toggl needs --workspace (the workspace id: GET https://api.track.toggl.com/api/v9/me/workspaces with the token lists them; docs/sources.md)")
	}
	if _, err := strconv.ParseUint(s.Workspace, 10, 64); err != nil {
		return fmt.Errorf("toggl workspace id %q is not a number", s.Workspace)
	}
	return nil
}

type togglWorkspace struct {
	DefaultHourlyRate *json.Number `json:"default_hourly_rate"`
	DefaultCurrency   string       `json:"default_currency"`
}

type togglUser struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Fullname string `json:"fullname"`
}

type togglClient struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type togglProject struct {
	ID             int64        `json:"id"`
	Name           string       `json:"name"`
	ClientID       *int64       `json:"client_id"`
	Billable       *bool        `json:"billable"`
	Rate           *json.Number `json:"rate"`
	Currency       *string      `json:"currency"`
	FixedFee       *json.Number `json:"fixed_fee"`
	EstimatedHours *json.Number `json:"estimated_hours"`
	StartDate      *string      `json:"start_date"`
	EndDate        *string      `json:"end_date"`
}

// togglRow is one row of a detailed-report search: ungrouped, one entry.
type togglRow struct {
	UserID                int64  `json:"user_id"`
	Username              string `json:"username"`
	ProjectID             *int64 `json:"project_id"`
	TaskID                *int64 `json:"task_id"`
	Billable              bool   `json:"billable"`
	Description           string `json:"description"`
	BillableAmountInCents *int64 `json:"billable_amount_in_cents"`
	HourlyRateInCents     *int64 `json:"hourly_rate_in_cents"`
	Currency              string `json:"currency"`
	TimeEntries           []struct {
		ID      int64      `json:"id"`
		Seconds int64      `json:"seconds"`
		Start   string     `json:"start"`
		Stop    *string    `json:"stop"`
		At      *time.Time `json:"at"`
	} `json:"time_entries"`
}

// togglMine is a time entry of GET /me/time_entries.
type togglMine struct {
	ID              int64   `json:"id"`
	WorkspaceID     int64   `json:"workspace_id"`
	Start           string  `json:"start"`
	ServerDeletedAt *string `json:"server_deleted_at"`
}

// togglSearch is the body of a detailed-report search.
type togglSearch struct {
	StartDate      string  `json:"start_date"`
	EndDate        string  `json:"end_date"`
	PageSize       int     `json:"page_size,omitempty"`
	TimeEntryIDs   []int64 `json:"time_entry_ids,omitempty"`
	FirstID        *int64  `json:"first_id,omitempty"`
	FirstRowNumber *int64  `json:"first_row_number,omitempty"`
	FirstTimestamp *int64  `json:"first_timestamp,omitempty"`
}

// togglPull is one Pull's state.
type togglPull struct {
	p      Pull
	out    Emitter
	base   string
	header http.Header
	refs   *refDigests
	// projectClient is each project's client, for the entries on it.
	projectClient map[int64]int64
	// byName: the token may not list the workspace's users (a member's),
	// so entries name them and the importer resolves.
	byName bool
}

func (togglTool) Pull(ctx context.Context, p Pull, out Emitter) (Cursor, error) {
	base := p.Source.BaseURL
	if base == "" {
		base = TogglURL
	}
	auth := base64.StdEncoding.EncodeToString([]byte(p.Token + ":api_token"))
	tp := &togglPull{p: p, out: out, base: strings.TrimRight(base, "/"),
		header: http.Header{"Authorization": {"Basic " + auth}}, refs: newRefDigests(p.Cursor, p.Full),
		projectClient: map[int64]int64{}}
	started := p.Now.Add(-cursorOverlap).UTC().Truncate(time.Second)
	if err := tp.references(ctx); err != nil {
		return Cursor{}, err
	}
	for from := p.Window.From; !from.After(p.Window.To); {
		to := from.Add(togglReportSpan - 24*time.Hour)
		if to.After(p.Window.To) {
			to = p.Window.To
		}
		if err := tp.search(ctx, togglSearch{StartDate: from.Format(time.DateOnly), EndDate: to.Format(time.DateOnly)}); err != nil {
			return Cursor{}, err
		}
		from = to.Add(24 * time.Hour)
	}
	out.Listed("time_entry", p.Window)
	if !p.Full {
		if err := tp.mine(ctx); err != nil {
			return Cursor{}, err
		}
	}
	return Cursor{UpdatedSince: started, Token: tp.refs.token()}, nil
}

func (tp *togglPull) api(path string) string {
	return tp.base + "/api/v9/workspaces/" + tp.p.Source.Workspace + path
}

// references emits the workspace's users, clients and projects that
// changed since the last sync.
func (tp *togglPull) references(ctx context.Context) error {
	var ws togglWorkspace
	if err := tp.p.Client.GetJSON(ctx, tp.api(""), tp.header, &ws); err != nil {
		return err
	}
	var users []togglUser
	err := tp.p.Client.GetJSON(ctx, tp.api("/users"), tp.header, &users)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden {
		tp.byName, err = true, nil // a member's token: entries carry names instead
	}
	if err != nil {
		return err
	}
	for _, u := range users {
		key := tp.key("user", u.ID)
		// Toggl keeps no weekly capacity: the person gets the 40 hours a
		// person created by name gets, marked assumed.
		if err := tp.refs.emit(tp.out, key, ingest.Person{Meta: ingest.Meta{ExternalID: key},
			ValidFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Name: u.Fullname, Email: u.Email,
			WeeklyCapacityHours: decimal.NewFromInt(40), CapacityAssumed: true}); err != nil {
			return err
		}
	}
	var clients []togglClient
	if err := tp.p.Client.GetJSON(ctx, tp.api("/clients"), tp.header, &clients); err != nil {
		return err
	}
	for _, c := range clients {
		key := tp.key("client", c.ID)
		if err := tp.refs.emit(tp.out, key, ingest.Client{Meta: ingest.Meta{ExternalID: key}, Name: c.Name}); err != nil {
			return err
		}
	}
	for page := 1; ; page++ {
		q := url.Values{"active": {"both"}, "page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(togglPerPage)}}
		var projects []togglProject
		if err := tp.p.Client.GetJSON(ctx, tp.api("/projects?"+q.Encode()), tp.header, &projects); err != nil {
			return err
		}
		for _, pr := range projects {
			rec := tp.project(pr, dec(ws.DefaultHourlyRate))
			if err := tp.refs.emit(tp.out, rec.ExternalID, rec); err != nil {
				return err
			}
		}
		if len(projects) < togglPerPage {
			return nil
		}
	}
}

func (tp *togglPull) project(pr togglProject, wsRate *decimal.Decimal) ingest.Project {
	out := ingest.Project{Meta: ingest.Meta{ExternalID: tp.key("project", pr.ID)}, Name: pr.Name,
		BudgetHours: dec(pr.EstimatedHours), StartDate: date(pr.StartDate), EndDate: date(pr.EndDate)}
	if pr.ClientID != nil {
		tp.projectClient[pr.ID] = *pr.ClientID
		out.ClientID = tp.key("client", *pr.ClientID)
	}
	out.BillableDefault = pr.Billable != nil && *pr.Billable
	fee := dec(pr.FixedFee)
	switch {
	case fee != nil && fee.Sign() > 0:
		out.Kind, out.BudgetAmount = ingest.KindFixedFee, fee
	case out.BillableDefault:
		out.Kind = ingest.KindTM
	default:
		out.Kind = ingest.KindInternal
	}
	if out.BillableDefault {
		// A project without its own rate bills at the workspace's.
		out.BillRate = dec(pr.Rate)
		if out.BillRate == nil && wsRate != nil && wsRate.Sign() > 0 {
			out.BillRate = wsRate
		}
	}
	return out
}

func (tp *togglPull) key(kind string, id int64) string {
	return tp.p.Key(kind, strconv.FormatInt(id, 10))
}

// search emits every entry of a detailed-report search, page by page:
// each answer names the next page's first entry in its X-Next-ID,
// X-Next-Row-Number (and X-Next-Timestamp) headers, sent back as
// first_id, first_row_number and first_timestamp; none: the last page.
func (tp *togglPull) search(ctx context.Context, body togglSearch) error {
	u := tp.base + "/reports/api/v3/workspace/" + tp.p.Source.Workspace + "/search/time_entries"
	body.PageSize = 50
	for {
		var rows []togglRow
		h, err := tp.p.Client.PostJSON(ctx, u, tp.header, body, &rows)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := tp.row(r); err != nil {
				return err
			}
		}
		id, row := header64(h, "X-Next-ID"), header64(h, "X-Next-Row-Number")
		if id == nil && row == nil {
			return nil
		}
		body.FirstID, body.FirstRowNumber, body.FirstTimestamp = id, row, header64(h, "X-Next-Timestamp")
	}
}

func header64(h http.Header, name string) *int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(h.Get(name)), 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// row emits the entries of one report row.
func (tp *togglPull) row(r togglRow) error {
	for _, e := range r.TimeEntries {
		if e.Stop == nil || e.Seconds < 0 {
			continue // running: its duration grows until it stops; the sync after that takes it
		}
		rec := ingest.TimeEntry{
			Meta:          ingest.Meta{ExternalID: tp.key("entry", e.ID)},
			PersonID:      tp.key("user", r.UserID),
			Date:          startDay(e.Start),
			Hours:         ingest.SecondsToHours(e.Seconds), // as the CSV parser reads its H:MM:SS
			Notes:         r.Description,
			Billable:      r.Billable,
			BillingStatus: ingest.Unbilled,
			Currency:      r.Currency,
		}
		if e.At != nil {
			at := e.At.UTC()
			rec.UpdatedAt = &at
		}
		if r.ProjectID != nil {
			rec.ProjectID = tp.key("project", *r.ProjectID)
			if c, ok := tp.projectClient[*r.ProjectID]; ok {
				rec.ClientID = tp.key("client", c)
			}
		}
		if r.HourlyRateInCents != nil {
			rate := decimal.New(*r.HourlyRateInCents, -2)
			rec.BillRate = &rate
		}
		// Toggl's amount, as a CSV export's Amount column: one entry per
		// row (the search is not grouped); a grouped row's amount is
		// shared out by the rate.
		switch {
		case r.BillableAmountInCents != nil && len(r.TimeEntries) == 1:
			amount := decimal.New(*r.BillableAmountInCents, -2)
			rec.BilledAmount = &amount
		case r.Billable && rec.BillRate != nil:
			amount := rec.Hours.Mul(*rec.BillRate).Round(2)
			rec.BilledAmount = &amount
		}
		var refs *ingest.Refs
		if tp.byName {
			refs = &ingest.Refs{PersonID: rec.PersonID, PersonName: r.Username}
			rec.PersonID = ""
		}
		if err := tp.out.Emit(rec, refs); err != nil {
			return err
		}
	}
	return nil
}

// mine reads the token owner's entries changed since the cursor, deleted
// ones included: a deletion on a date the window did not re-list becomes a
// tombstone, and an edit there is read again through the report search.
func (tp *togglPull) mine(ctx context.Context) error {
	q := url.Values{"since": {strconv.FormatInt(tp.p.Cursor.UpdatedSince.Unix(), 10)}}
	var entries []togglMine
	if err := tp.p.Client.GetJSON(ctx, tp.base+"/api/v9/me/time_entries?"+q.Encode(), tp.header, &entries); err != nil {
		return err
	}
	ws := tp.p.Source.Workspace
	var edited []int64
	var from, to time.Time
	for _, e := range entries {
		day := startDay(e.Start)
		if strconv.FormatInt(e.WorkspaceID, 10) != ws || day.IsZero() || tp.p.Window.Contains(day) {
			continue // another workspace's, or the listing had it
		}
		if e.ServerDeletedAt != nil {
			if err := tp.out.Emit(ingest.TimeEntry{Meta: ingest.Meta{ExternalID: tp.key("entry", e.ID), Deleted: true}, Date: day}, nil); err != nil {
				return err
			}
			continue
		}
		edited = append(edited, e.ID)
		if from.IsZero() || day.Before(from) {
			from = day
		}
		if day.After(to) {
			to = day
		}
	}
	if len(edited) == 0 {
		return nil
	}
	slices.Sort(edited)
	// A day either side: the report's dates are the profile's, /me's UTC.
	return tp.search(ctx, togglSearch{StartDate: from.Add(-24 * time.Hour).Format(time.DateOnly),
		EndDate: to.Add(24 * time.Hour).Format(time.DateOnly), TimeEntryIDs: edited})
}
