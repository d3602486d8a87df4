package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// clockifyTool pulls one Clockify workspace: its users, clients and
// projects (API v1, https://docs.clockify.me/), and its time entries
// through the Reports API's detailed report, the workspace-wide listing.
// Neither says what changed since a time nor what was deleted, so every
// sync re-lists the window (31 days a report) and the Collector deletes
// what the listing no longer has. docs/sources.md has the field mapping.
type clockifyTool struct{}

var _ Tool = clockifyTool{}

// Clockify's roots: the API and the Reports API live on two hosts. A
// Source's BaseURL stands for both, as Clockify's regional and subdomain
// roots do: <base>/api/v1 and <base>/report/v1.
const (
	ClockifyURL        = "https://api.clockify.me/api/v1"
	ClockifyReportsURL = "https://reports.api.clockify.me/v1"
)

const (
	clockifyPerPage    = 200                 // the largest report page some plans allow
	clockifyReportSpan = 31 * 24 * time.Hour // the longest span some plans allow a report
)

func (clockifyTool) Kind() string { return "clockify" }

var clockifyID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func (clockifyTool) Check(s Source) error {
	if s.Workspace == "" {
		return errors.New("clockify needs --workspace (the workspace id: the 24 characters after /workspaces/ in the address of Clockify's workspace settings)")
	}
	if !clockifyID.MatchString(s.Workspace) {
		return fmt.Errorf("clockify workspace id %q is not 24 hexadecimal digits", s.Workspace)
	}
	return nil
}

// clockifyMoney is a rate: an amount in cents and its currency.
type clockifyMoney struct {
	Amount   *int64 `json:"amount"`
	Currency string `json:"currency"`
}

func (m *clockifyMoney) decimal() *decimal.Decimal {
	if m == nil || m.Amount == nil {
		return nil
	}
	d := decimal.New(*m.Amount, -2)
	return &d
}

type clockifyUser struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	Name        string `json:"name"`
	Memberships []struct {
		TargetID       string         `json:"targetId"`
		MembershipType string         `json:"membershipType"`
		HourlyRate     *clockifyMoney `json:"hourlyRate"`
		CostRate       *clockifyMoney `json:"costRate"`
	} `json:"memberships"`
}

type clockifyClient struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	CurrencyCode string `json:"currencyCode"`
}

type clockifyProject struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	ClientID     string         `json:"clientId"`
	Billable     bool           `json:"billable"`
	HourlyRate   *clockifyMoney `json:"hourlyRate"`
	TimeEstimate *struct {
		Estimate string `json:"estimate"` // ISO 8601, PT120H
		Active   bool   `json:"active"`
	} `json:"timeEstimate"`
}

// clockifyEntry is one entry of a detailed report.
type clockifyEntry struct {
	ID           string `json:"_id"`
	Description  string `json:"description"`
	UserID       string `json:"userId"`
	UserName     string `json:"userName"`
	UserEmail    string `json:"userEmail"`
	Billable     bool   `json:"billable"`
	ProjectID    string `json:"projectId"`
	ProjectName  string `json:"projectName"`
	ClientID     string `json:"clientId"`
	ClientName   string `json:"clientName"`
	TaskName     string `json:"taskName"`
	Type         string `json:"type"` // REGULAR or BREAK
	TimeInterval struct {
		Start    string           `json:"start"`
		End      *string          `json:"end"`
		Duration clockifyDuration `json:"duration"`
	} `json:"timeInterval"`
	HourlyRate *clockifyMoney `json:"hourlyRate"`
	CostRate   *clockifyMoney `json:"costRate"`
	Tags       []struct {
		Name string `json:"name"`
	} `json:"tags"`
}

// clockifyDuration is a duration in seconds: the detailed report writes a
// number of seconds, the API v1 an ISO 8601 duration (PT1H30M); both are
// read. valid is false when it had neither.
type clockifyDuration struct {
	secs  int64
	valid bool
}

func (d *clockifyDuration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		secs, ok := isoSeconds(s)
		if !ok {
			return fmt.Errorf("duration %q is not ISO 8601 (PT1H30M)", s)
		}
		d.secs, d.valid = secs, true
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	f, err := n.Float64()
	if err != nil {
		return err
	}
	d.secs, d.valid = int64(f+0.5), true
	return nil
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// isoSeconds reads an ISO 8601 duration of days, hours, minutes and
// seconds (PT1H30M, PT45S, P1DT2H) into whole seconds, rounded.
func isoSeconds(s string) (int64, bool) {
	m := isoDuration.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, false
	}
	var secs float64
	for i, unit := range [...]float64{86400, 3600, 60, 1} {
		if m[i+1] == "" {
			continue
		}
		v, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			return 0, false
		}
		secs += v * unit
	}
	return int64(secs + 0.5), true
}

// clockifyPull is one Pull's state.
type clockifyPull struct {
	p             Pull
	out           Emitter
	api, reports  string
	header        http.Header
	refs          *refDigests
	projectClient map[string]string
	// byName: the key may not list users, clients or projects (a 403 for
	// a member's), so entries name them and the importer resolves.
	byName bool
}

func (clockifyTool) Pull(ctx context.Context, p Pull, out Emitter) (Cursor, error) {
	api, reports := ClockifyURL, ClockifyReportsURL
	if b := strings.TrimRight(p.Source.BaseURL, "/"); b != "" {
		api, reports = b+"/api/v1", b+"/report/v1"
	}
	ws := url.PathEscape(p.Source.Workspace)
	cp := &clockifyPull{p: p, out: out, api: api + "/workspaces/" + ws, reports: reports + "/workspaces/" + ws,
		header: http.Header{"X-Api-Key": {p.Token}}, refs: newRefDigests(p.Cursor, p.Full), projectClient: map[string]string{}}
	started := p.Now.Add(-cursorOverlap).UTC().Truncate(time.Second)
	if err := cp.references(ctx); err != nil {
		return Cursor{}, err
	}
	for from := p.Window.From; !from.After(p.Window.To); {
		to := from.Add(clockifyReportSpan - 24*time.Hour)
		if to.After(p.Window.To) {
			to = p.Window.To
		}
		if err := cp.report(ctx, from, to); err != nil {
			return Cursor{}, err
		}
		from = to.Add(24 * time.Hour)
	}
	out.Listed("time_entry", p.Window)
	return Cursor{UpdatedSince: started, Token: cp.refs.token()}, nil
}

// pages GETs every page of a Clockify list (page, page-size) at path.
func clockifyPages[T any](ctx context.Context, cp *clockifyPull, path string, each func(T) error) error {
	for page := 1; ; page++ {
		q := url.Values{"page": {strconv.Itoa(page)}, "page-size": {strconv.Itoa(clockifyPerPage)}}
		var items []T
		if err := cp.p.Client.GetJSON(ctx, cp.api+path+"?"+q.Encode(), cp.header, &items); err != nil {
			return err
		}
		for _, it := range items {
			if err := each(it); err != nil {
				return err
			}
		}
		if len(items) < clockifyPerPage {
			return nil
		}
	}
}

// references emits the workspace's users, clients and projects that
// changed since the last sync.
func (cp *clockifyPull) references(ctx context.Context) error {
	ws := cp.p.Source.Workspace
	err := clockifyPages(ctx, cp, "/users", func(u clockifyUser) error {
		key := cp.p.Key("user", u.ID)
		per := ingest.Person{Meta: ingest.Meta{ExternalID: key}, ValidFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
			Name: u.Name, Email: u.Email, WeeklyCapacityHours: decimal.NewFromInt(40), CapacityAssumed: true}
		for _, m := range u.Memberships {
			if m.MembershipType == "WORKSPACE" && m.TargetID == ws {
				per.BillRate, per.CostRate = m.HourlyRate.decimal(), m.CostRate.decimal()
			}
		}
		return cp.refs.emit(cp.out, key, per)
	})
	if err == nil {
		err = clockifyPages(ctx, cp, "/clients", func(c clockifyClient) error {
			key := cp.p.Key("client", c.ID)
			return cp.refs.emit(cp.out, key, ingest.Client{Meta: ingest.Meta{ExternalID: key}, Name: c.Name, Currency: c.CurrencyCode})
		})
	}
	if err == nil {
		err = clockifyPages(ctx, cp, "/projects", func(pr clockifyProject) error {
			rec := ingest.Project{Meta: ingest.Meta{ExternalID: cp.p.Key("project", pr.ID)}, Name: pr.Name,
				BillableDefault: pr.Billable, Kind: ingest.KindInternal}
			if pr.Billable {
				rec.Kind, rec.BillRate = ingest.KindTM, pr.HourlyRate.decimal()
			}
			if pr.ClientID != "" {
				cp.projectClient[pr.ID] = pr.ClientID
				rec.ClientID = cp.p.Key("client", pr.ClientID)
			}
			if e := pr.TimeEstimate; e != nil && e.Active {
				if secs, ok := isoSeconds(e.Estimate); ok && secs > 0 {
					h := decimal.New(secs, 0).Div(decimal.NewFromInt(3600)).Round(4)
					rec.BudgetHours = &h
				}
			}
			return cp.refs.emit(cp.out, rec.ExternalID, rec)
		})
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden {
		cp.byName = true
		return nil
	}
	return err
}

// clockifyReport is the body of a detailed report request.
type clockifyReport struct {
	DateRangeStart string `json:"dateRangeStart"`
	DateRangeEnd   string `json:"dateRangeEnd"`
	DetailedFilter struct {
		Page     int `json:"page"`
		PageSize int `json:"pageSize"`
	} `json:"detailedFilter"`
	ExportType string `json:"exportType"`
}

// report emits every entry of the detailed report of [from, to], page by
// page: a full page, or fewer entries read than the totals count, means
// another.
func (cp *clockifyPull) report(ctx context.Context, from, to time.Time) error {
	body := clockifyReport{DateRangeStart: from.Format("2006-01-02") + "T00:00:00.000Z",
		DateRangeEnd: to.Format("2006-01-02") + "T23:59:59.999Z", ExportType: "JSON"}
	body.DetailedFilter.PageSize = clockifyPerPage
	read := 0
	for page := 1; ; page++ {
		body.DetailedFilter.Page = page
		var answer struct {
			Totals []*struct {
				EntriesCount int `json:"entriesCount"`
			} `json:"totals"`
			TimeEntries []clockifyEntry `json:"timeentries"`
		}
		if _, err := cp.p.Client.PostJSON(ctx, cp.reports+"/reports/detailed", cp.header, body, &answer); err != nil {
			return err
		}
		for _, e := range answer.TimeEntries {
			if err := cp.entry(e); err != nil {
				return err
			}
		}
		read += len(answer.TimeEntries)
		total := -1
		if len(answer.Totals) > 0 && answer.Totals[0] != nil {
			total = answer.Totals[0].EntriesCount
		}
		if len(answer.TimeEntries) == 0 || (len(answer.TimeEntries) < clockifyPerPage && (total < 0 || read >= total)) {
			return nil
		}
	}
}

func (cp *clockifyPull) entry(e clockifyEntry) error {
	if strings.EqualFold(e.Type, "break") {
		return nil // a break is not work, as the CSV parser skips it
	}
	if e.TimeInterval.End == nil || *e.TimeInterval.End == "" {
		return nil // running: the sync after it stops takes it
	}
	secs := e.TimeInterval.Duration.secs
	if !e.TimeInterval.Duration.valid {
		start, err1 := time.Parse(time.RFC3339, e.TimeInterval.Start)
		end, err2 := time.Parse(time.RFC3339, *e.TimeInterval.End)
		if err1 == nil && err2 == nil {
			secs = int64(end.Sub(start) / time.Second)
		}
	}
	rec := ingest.TimeEntry{
		Meta:          ingest.Meta{ExternalID: cp.p.Key("entry", e.ID)},
		PersonID:      cp.p.Key("user", e.UserID),
		Date:          startDay(e.TimeInterval.Start),
		Hours:         ingest.SecondsToHours(secs), // as the CSV parser reads "Duration (h)"
		Task:          e.TaskName,
		Notes:         e.Description,
		Billable:      e.Billable,
		CostRate:      e.CostRate.decimal(),
		BillingStatus: ingest.Unbilled,
	}
	if e.HourlyRate != nil {
		rec.Currency = e.HourlyRate.Currency
	}
	if e.ProjectID != "" {
		rec.ProjectID = cp.p.Key("project", e.ProjectID)
		client := e.ClientID
		if client == "" {
			client = cp.projectClient[e.ProjectID]
		}
		if client != "" {
			rec.ClientID = cp.p.Key("client", client)
		}
	}
	if e.Billable {
		// Clockify's billable amount is the duration times the hourly
		// rate; a non-billable entry has none.
		rec.BillRate = e.HourlyRate.decimal()
		if rec.BillRate != nil {
			amount := rec.Hours.Mul(*rec.BillRate).Round(2)
			rec.BilledAmount = &amount
		}
	}
	for _, t := range e.Tags {
		rec.Tags = append(rec.Tags, t.Name)
	}
	if !cp.byName {
		return cp.out.Emit(rec, nil)
	}
	refs := &ingest.Refs{PersonID: rec.PersonID, PersonName: e.UserName, PersonEmail: e.UserEmail, Client: e.ClientName,
		Project: e.ProjectName}
	rec.PersonID, rec.ClientID, rec.ProjectID = "", "", ""
	return cp.out.Emit(rec, refs)
}
