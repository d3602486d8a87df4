package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// harvestTool pulls Harvest API v2 (https://help.getharvest.com/api-v2/):
// users, clients and projects (those changed since the cursor), then time
// entries changed since the cursor and every entry of the window, which
// tells the Collector what was deleted (Harvest does not report deletions),
// then invoices the same way, as invoice lines (harvest_invoices.go).
// docs/sources.md has the field mapping.
type harvestTool struct{}

var _ Tool = harvestTool{}

// HarvestURL is Harvest's API root.
const HarvestURL = "https://api.harvestapp.com"

// harvestPerPage is the largest page Harvest gives.
const harvestPerPage = 2000

// cursorOverlap is how far before a sync's start the next one asks for
// changes, for the clocks of Harvest and this host to disagree a little.
const cursorOverlap = 5 * time.Minute

func (harvestTool) Kind() string { return "harvest" }

func (harvestTool) Check(s Source) error {
	if s.AccountID == "" {
		return errors.New("harvest needs --account-id (Harvest: Developers > Personal access tokens lists the account id beside the token)")
	}
	if _, err := strconv.ParseUint(s.AccountID, 10, 64); err != nil {
		return fmt.Errorf("harvest account id %q is not a number", s.AccountID)
	}
	return nil
}

// harvestPage is the paging part of every Harvest list answer.
type harvestPage struct {
	NextPage *int `json:"next_page"`
	Links    struct {
		Next *string `json:"next"`
	} `json:"links"`
}

type harvestRef struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Currency string `json:"currency"`
}

type harvestEntry struct {
	ID           int64        `json:"id"`
	SpentDate    string       `json:"spent_date"`
	User         harvestRef   `json:"user"`
	Client       harvestRef   `json:"client"`
	Project      harvestRef   `json:"project"`
	Task         harvestRef   `json:"task"`
	Invoice      *harvestRef  `json:"invoice"`
	Hours        json.Number  `json:"hours"`
	Notes        *string      `json:"notes"`
	UpdatedAt    time.Time    `json:"updated_at"`
	IsBilled     bool         `json:"is_billed"`
	IsRunning    bool         `json:"is_running"`
	Billable     bool         `json:"billable"`
	BillableRate *json.Number `json:"billable_rate"`
	CostRate     *json.Number `json:"cost_rate"`
}

type harvestUser struct {
	ID                int64        `json:"id"`
	FirstName         string       `json:"first_name"`
	LastName          string       `json:"last_name"`
	Email             string       `json:"email"`
	IsActive          bool         `json:"is_active"`
	WeeklyCapacity    int64        `json:"weekly_capacity"` // seconds
	DefaultHourlyRate *json.Number `json:"default_hourly_rate"`
	CostRate          *json.Number `json:"cost_rate"`
	Roles             []string     `json:"roles"`
}

type harvestClient struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Currency string `json:"currency"`
}

type harvestProject struct {
	ID         int64        `json:"id"`
	Name       string       `json:"name"`
	Client     *harvestRef  `json:"client"`
	IsBillable bool         `json:"is_billable"`
	IsFixedFee bool         `json:"is_fixed_fee"`
	HourlyRate *json.Number `json:"hourly_rate"`
	Budget     *json.Number `json:"budget"`
	BudgetBy   string       `json:"budget_by"`
	CostBudget *json.Number `json:"cost_budget"`
	Fee        *json.Number `json:"fee"`
	StartsOn   *string      `json:"starts_on"`
	EndsOn     *string      `json:"ends_on"`
}

// harvestPull is one Pull's state.
type harvestPull struct {
	p    Pull
	out  Emitter
	base string
	// byName: the token may not list users, clients or projects (a 403 for
	// a member's token), so entries name them and the importer resolves.
	byName bool
	// billed: the entries read so far that name an invoice, for the
	// invoice lines (harvest_invoices.go).
	billed billedWork
}

func (h harvestTool) Pull(ctx context.Context, p Pull, out Emitter) (Cursor, error) {
	base := p.Source.BaseURL
	if base == "" {
		base = HarvestURL
	}
	hp := &harvestPull{p: p, out: out, base: strings.TrimRight(base, "/"), billed: billedWork{}}
	next := Cursor{UpdatedSince: p.Now.Add(-cursorOverlap).UTC().Truncate(time.Second)}
	changed := url.Values{}
	if !p.Full {
		changed.Set("updated_since", p.Cursor.UpdatedSince.UTC().Format(time.RFC3339))
	}
	if err := hp.references(ctx, changed); err != nil {
		return Cursor{}, err
	}
	if !p.Full {
		if err := hp.entries(ctx, changed); err != nil {
			return Cursor{}, err
		}
	}
	window := url.Values{"from": {p.Window.From.Format(time.DateOnly)}, "to": {p.Window.To.Format(time.DateOnly)}}
	if err := hp.entries(ctx, window); err != nil {
		return Cursor{}, err
	}
	out.Listed("time_entry", p.Window)
	if err := hp.invoices(ctx, changed); err != nil {
		return Cursor{}, err
	}
	return next, nil
}

// references emits the users, clients and projects (changed since the
// cursor, unless full), which entries refer to by id.
func (hp *harvestPull) references(ctx context.Context, q url.Values) error {
	emit := func(r any) error { return hp.out.Emit(r, nil) }
	err := list(ctx, hp, "/v2/users", "users", q, func(u harvestUser) error {
		name := strings.TrimSpace(u.FirstName + " " + u.LastName)
		per := ingest.Person{Meta: ingest.Meta{ExternalID: hp.p.Key("user", strconv.FormatInt(u.ID, 10))},
			ValidFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Name: name, Email: u.Email,
			WeeklyCapacityHours: decimal.New(u.WeeklyCapacity, 0).Div(decimal.NewFromInt(3600)).Round(4),
			CostRate:            dec(u.CostRate), BillRate: dec(u.DefaultHourlyRate)}
		if len(u.Roles) > 0 {
			per.Role = u.Roles[0]
		}
		return emit(per)
	})
	if err == nil {
		err = list(ctx, hp, "/v2/clients", "clients", q, func(c harvestClient) error {
			return emit(ingest.Client{Meta: ingest.Meta{ExternalID: hp.p.Key("client", strconv.FormatInt(c.ID, 10))},
				Name: c.Name, Currency: c.Currency})
		})
	}
	if err == nil {
		err = list(ctx, hp, "/v2/projects", "projects", q, func(pr harvestProject) error {
			return emit(hp.project(pr))
		})
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden {
		hp.byName = true // a member's token: entries carry names instead
		return nil
	}
	return err
}

func (hp *harvestPull) project(pr harvestProject) ingest.Project {
	out := ingest.Project{Meta: ingest.Meta{ExternalID: hp.p.Key("project", strconv.FormatInt(pr.ID, 10))}, Name: pr.Name,
		BillableDefault: pr.IsBillable, BillRate: dec(pr.HourlyRate)}
	switch {
	case pr.IsFixedFee:
		out.Kind, out.BudgetAmount = ingest.KindFixedFee, dec(pr.Fee)
	case pr.IsBillable:
		out.Kind = ingest.KindTM
	default:
		out.Kind = ingest.KindInternal
	}
	if pr.Client != nil {
		out.ClientID = hp.p.Key("client", strconv.FormatInt(pr.Client.ID, 10))
	}
	switch pr.BudgetBy {
	case "project", "task", "person":
		out.BudgetHours = dec(pr.Budget)
	case "project_cost", "task_fees":
		if out.BudgetAmount == nil {
			out.BudgetAmount = dec(pr.CostBudget)
		}
	}
	out.StartDate, out.EndDate = date(pr.StartsOn), date(pr.EndsOn)
	return out
}

// entries emits every time entry q selects, page by page.
func (hp *harvestPull) entries(ctx context.Context, q url.Values) error {
	return list(ctx, hp, "/v2/time_entries", "time_entries", q, func(e harvestEntry) error {
		if e.IsRunning {
			return nil // its hours grow until it stops; the sync after that takes it
		}
		rec, refs, err := hp.entry(e)
		if err != nil {
			return err
		}
		return hp.out.Emit(rec, refs)
	})
}

func (hp *harvestPull) entry(e harvestEntry) (ingest.TimeEntry, *ingest.Refs, error) {
	key := func(kind string, id int64) string { return hp.p.Key(kind, strconv.FormatInt(id, 10)) }
	day, err := time.Parse(time.DateOnly, e.SpentDate)
	if err != nil {
		day = time.Time{} // the Collector rejects the entry, naming it
	}
	hours, err := decimal.NewFromString(e.Hours.String())
	if err != nil {
		return ingest.TimeEntry{}, nil, fmt.Errorf("harvest time entry %d: hours %q: %w", e.ID, e.Hours, err)
	}
	updated := e.UpdatedAt.UTC()
	rec := ingest.TimeEntry{
		Meta:          ingest.Meta{ExternalID: key("entry", e.ID)},
		PersonID:      key("user", e.User.ID),
		ClientID:      key("client", e.Client.ID),
		ProjectID:     key("project", e.Project.ID),
		Date:          day,
		Hours:         hours,
		Task:          e.Task.Name,
		Billable:      e.Billable,
		CostRate:      dec(e.CostRate),
		BillingStatus: ingest.Unbilled,
		Currency:      e.Client.Currency,
		UpdatedAt:     &updated,
	}
	if e.Notes != nil {
		rec.Notes = *e.Notes
	}
	if e.Billable {
		// Harvest's billable amount is hours times the billable rate; a
		// non-billable entry has neither.
		rec.BillRate = dec(e.BillableRate)
		if rec.BillRate != nil {
			amount := hours.Mul(*rec.BillRate).Round(2)
			rec.BilledAmount = &amount
		}
	}
	if e.IsBilled {
		rec.BillingStatus = ingest.Billed
	}
	if e.Invoice != nil {
		rec.InvoiceID = key("invoice", e.Invoice.ID)
		hp.billed.add(e.Invoice.ID, e.Project.ID, rec.ExternalID)
	}
	if !hp.byName {
		return rec, nil, nil
	}
	rec.PersonID, rec.ClientID, rec.ProjectID = "", "", ""
	return rec, &ingest.Refs{PersonID: key("user", e.User.ID), PersonName: e.User.Name, Client: e.Client.Name,
		Project: e.Project.Name}, nil
}

// list GETs every page of a Harvest list at path, decoding the array
// field of each page into T and handing each element to each. It follows
// links.next (Harvest's cursor paging) when it points at the same host,
// else next_page.
func list[T any](ctx context.Context, hp *harvestPull, path, field string, q url.Values, each func(T) error) error {
	q = cloneValues(q)
	q.Set("per_page", strconv.Itoa(harvestPerPage))
	next := hp.base + path + "?" + q.Encode()
	header := http.Header{"Authorization": {"Bearer " + hp.p.Token}, "Harvest-Account-Id": {hp.p.Source.AccountID}}
	for page := 1; next != ""; page++ {
		var body map[string]json.RawMessage
		if err := hp.p.Client.GetJSON(ctx, next, header, &body); err != nil {
			return err
		}
		var items []T
		if raw, ok := body[field]; ok {
			if err := json.Unmarshal(raw, &items); err != nil {
				return fmt.Errorf("harvest %s page %d: %w", path, page, err)
			}
		}
		for _, it := range items {
			if err := each(it); err != nil {
				return err
			}
		}
		// A page that names its next one in a shape Harvest does not
		// document fails the sync: ending the listing there would read the
		// rest of the account as deleted, and a next page that is not
		// after this one would never end.
		var pg harvestPage
		for key, v := range map[string]any{"next_page": &pg.NextPage, "links": &pg.Links} {
			if raw, ok := body[key]; ok {
				if err := json.Unmarshal(raw, v); err != nil {
					return fmt.Errorf("harvest %s page %d: %s: %w", path, page, key, err)
				}
			}
		}
		if pg.NextPage != nil && *pg.NextPage <= page {
			return fmt.Errorf("harvest %s page %d: next_page %d is not after it", path, page, *pg.NextPage)
		}
		next = ""
		switch {
		case pg.Links.Next != nil && sameHost(*pg.Links.Next, hp.base):
			next = *pg.Links.Next
		case pg.NextPage != nil:
			q.Set("page", strconv.Itoa(*pg.NextPage))
			next = hp.base + path + "?" + q.Encode()
		}
	}
	return nil
}

// sameHost reports whether link is on base's scheme and host: the token
// is never sent anywhere else.
func sameHost(link, base string) bool {
	l, err1 := url.Parse(link)
	b, err2 := url.Parse(base)
	return err1 == nil && err2 == nil && l.Scheme == b.Scheme && l.Host == b.Host
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func dec(n *json.Number) *decimal.Decimal {
	if n == nil || *n == "" {
		return nil
	}
	d, err := decimal.NewFromString(n.String())
	if err != nil {
		return nil
	}
	return &d
}

func date(s *string) *time.Time {
	if s == nil || *s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, *s)
	if err != nil {
		return nil
	}
	return &d
}
