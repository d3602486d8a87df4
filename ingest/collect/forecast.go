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

// forecastTool pulls Harvest Forecast's assignments, best effort: Forecast
// has no official API, and this reads the one its web app uses
// (https://api.forecastapp.com), as community clients document it. People,
// placeholders, clients and projects are read whole (the API does not page
// or filter them) and those updated since the cursor written; assignments
// that overlap the booking window are re-listed every sync, which tells the
// Collector what was removed. Every error says the API is unofficial.
type forecastTool struct{}

var _ Tool = forecastTool{}

// ForecastURL is the root of Forecast's unofficial API.
const ForecastURL = "https://api.forecastapp.com"

// ErrUnofficial wraps every error of a Forecast sync other than a refused
// token: the API it reads may change without notice.
var ErrUnofficial = errors.New("Harvest Forecast has no official API; opsmetrics reads the one its web app uses, " +
	"which may change without notice (see docs/sources.md)")

func (forecastTool) Kind() string { return "forecast" }

func (forecastTool) Check(s Source) error {
	if s.AccountID == "" {
		return errors.New("forecast needs --account-id: the number in your Forecast address (forecastapp.com/<account-id>/schedule)")
	}
	if _, err := strconv.ParseUint(s.AccountID, 10, 64); err != nil {
		return fmt.Errorf("forecast account id %q is not a number", s.AccountID)
	}
	return nil
}

type forecastPerson struct {
	ID             int64     `json:"id"`
	FirstName      string    `json:"first_name"`
	LastName       string    `json:"last_name"`
	Email          *string   `json:"email"`
	Roles          []string  `json:"roles"`
	WeeklyCapacity *int64    `json:"weekly_capacity"` // seconds
	UpdatedAt      time.Time `json:"updated_at"`
}

type forecastPlaceholder struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Roles     []string  `json:"roles"`
	UpdatedAt time.Time `json:"updated_at"`
}

type forecastClient struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	UpdatedAt time.Time `json:"updated_at"`
}

type forecastProject struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	ClientID  *int64    `json:"client_id"`
	StartDate floatDate `json:"start_date"`
	EndDate   floatDate `json:"end_date"`
	UpdatedAt time.Time `json:"updated_at"`
}

type forecastAssignment struct {
	ID            int64     `json:"id"`
	ProjectID     int64     `json:"project_id"`
	PersonID      *int64    `json:"person_id"`
	PlaceholderID *int64    `json:"placeholder_id"`
	StartDate     floatDate `json:"start_date"`
	EndDate       floatDate `json:"end_date"`
	Allocation    int64     `json:"allocation"` // seconds a working day
	UpdatedAt     time.Time `json:"updated_at"`
}

func (forecastTool) Pull(ctx context.Context, p Pull, out Emitter) (Cursor, error) {
	next, err := forecastPull(ctx, p, out)
	if err != nil && !errors.Is(err, ErrNeedsToken) && ctx.Err() == nil {
		err = fmt.Errorf("%w: %w", ErrUnofficial, err)
	}
	return next, err
}

func forecastPull(ctx context.Context, p Pull, out Emitter) (Cursor, error) {
	base := p.Source.BaseURL
	if base == "" {
		base = ForecastURL
	}
	base = strings.TrimRight(base, "/")
	header := http.Header{"Authorization": {"Bearer " + p.Token}, "Forecast-Account-ID": {p.Source.AccountID}}
	get := func(path string, q url.Values, field string, v any) error {
		u := base + path
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		var body map[string]json.RawMessage
		if err := p.Client.GetJSON(ctx, u, header, &body); err != nil {
			return err
		}
		raw, ok := body[field]
		if !ok {
			return fmt.Errorf("forecast %s: the answer has no %q", path, field)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("forecast %s: %w", path, err)
		}
		return nil
	}
	key := func(kind string, id int64) string { return p.Key(kind, strconv.FormatInt(id, 10)) }
	changed := func(t time.Time) bool { return p.Full || !t.Before(p.Cursor.UpdatedSince) }
	next := Cursor{UpdatedSince: p.Now.Add(-cursorOverlap).UTC().Truncate(time.Second)}

	var people []forecastPerson
	var placeholders []forecastPlaceholder
	var clients []forecastClient
	var projects []forecastProject
	for _, l := range []struct {
		path string
		v    any
	}{{"/people", &people}, {"/placeholders", &placeholders}, {"/clients", &clients}, {"/projects", &projects}} {
		if err := get(l.path, nil, strings.TrimPrefix(l.path, "/"), l.v); err != nil {
			return Cursor{}, err
		}
	}
	for _, pr := range people {
		if !changed(pr.UpdatedAt) {
			continue
		}
		per := ingest.Person{Meta: ingest.Meta{ExternalID: key("person", pr.ID)}, ValidFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
			Name: strings.TrimSpace(pr.FirstName + " " + pr.LastName), WeeklyCapacityHours: floatDefaultWeek}
		if pr.Email != nil {
			per.Email = *pr.Email
		}
		if len(pr.Roles) > 0 {
			per.Role = pr.Roles[0]
		}
		if pr.WeeklyCapacity != nil {
			per.WeeklyCapacityHours = ingest.SecondsToHours(*pr.WeeklyCapacity)
		}
		if err := out.Emit(per, nil); err != nil {
			return Cursor{}, err
		}
	}
	for _, c := range clients {
		if changed(c.UpdatedAt) {
			if err := out.Emit(ingest.Client{Meta: ingest.Meta{ExternalID: key("client", c.ID)}, Name: c.Name}, nil); err != nil {
				return Cursor{}, err
			}
		}
	}
	for _, pr := range projects {
		if !changed(pr.UpdatedAt) {
			continue
		}
		// Forecast knows nothing of billing: its projects are written as
		// time and materials; a Harvest source of the same team has the truth.
		rec := ingest.Project{Meta: ingest.Meta{ExternalID: key("project", pr.ID)}, Name: pr.Name, Kind: ingest.KindTM,
			BillableDefault: true, StartDate: pr.StartDate.ptr(), EndDate: pr.EndDate.ptr()}
		if pr.ClientID != nil && *pr.ClientID != 0 {
			rec.ClientID = key("client", *pr.ClientID)
		}
		if err := out.Emit(rec, nil); err != nil {
			return Cursor{}, err
		}
	}
	roles := map[int64]string{}
	placeholderAt := map[int64]time.Time{} // a placeholder's assignments are read with its role
	for _, ph := range placeholders {
		roles[ph.ID] = strings.TrimSpace(ph.Name)
		if len(ph.Roles) > 0 {
			roles[ph.ID] = ph.Roles[0]
		}
		placeholderAt[ph.ID] = ph.UpdatedAt
	}

	w := Window{From: p.Window.From, To: p.Now.Add(BookingHorizon).Truncate(24 * time.Hour)}
	var assignments []forecastAssignment
	q := url.Values{"start_date": {w.From.Format(time.DateOnly)}, "end_date": {w.To.Format(time.DateOnly)}}
	if err := get("/assignments", q, "assignments", &assignments); err != nil {
		return Cursor{}, err
	}
	for _, a := range assignments {
		start, _ := a.StartDate.time()
		end, _ := a.EndDate.time()
		hours := ingest.SecondsToHours(a.Allocation)
		rec := ingest.Allocation{Meta: ingest.Meta{ExternalID: key("assignment", a.ID)}, ProjectID: key("project", a.ProjectID),
			StartDate: start, EndDate: end, HoursPerDay: &hours, Status: ingest.Confirmed, Probability: decimal.NewFromInt(1),
			UpdatedAt: latest(a.UpdatedAt)}
		switch {
		case a.PersonID != nil:
			rec.PersonID = key("person", *a.PersonID)
		case a.PlaceholderID != nil && roles[*a.PlaceholderID] != "":
			rec.Role = roles[*a.PlaceholderID]
			rec.UpdatedAt = latest(a.UpdatedAt, placeholderAt[*a.PlaceholderID])
		default:
			continue // neither a person nor a placeholder we know: nobody to book
		}
		if err := out.Emit(rec, nil); err != nil {
			return Cursor{}, err
		}
	}
	out.Listed("allocation", w)
	return next, nil
}
