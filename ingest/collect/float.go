package collect

import (
	"context"
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

// floatTool pulls Float API v3 (https://developer.float.com): people,
// clients and projects (those modified since the cursor), then every
// allocation (a Float "task") and time off that overlaps the booking
// window, which tells the Collector what was removed (Float lists only what
// is live). docs/sources.md has the field mapping.
type floatTool struct{}

var _ Tool = floatTool{}

// FloatURL is Float's API root.
const FloatURL = "https://api.float.com"

// floatPerPage is the largest page Float gives.
const floatPerPage = 200

// BookingHorizon is how far past the sync a bookings tool (Float, Runn,
// Forecast) re-lists: the capacity grid looks ahead, so bookings removed in
// the next year must be removed here too.
const BookingHorizon = 365 * 24 * time.Hour

// Float's person types and allocation statuses (developer.float.com: people
// people_type_id 1 employee, 2 contractor, 3 placeholder; tasks status 1
// tentative, 2 confirmed, 3 complete).
const (
	floatPlaceholder = 3
	floatTentative   = 1
)

func (floatTool) Kind() string { return "float" }

func (floatTool) Check(s Source) error {
	if s.Workspace == "" {
		return errors.New("float needs --workspace: a name for the Float team, unique in the org (the acme of acme.float.com); " +
			"it scopes the ids of its records")
	}
	return nil
}

// floatDate is a Float date: "YYYY-MM-DD", or null.
type floatDate string

func (d floatDate) time() (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, string(d))
	return t, err == nil
}

func (d floatDate) ptr() *time.Time {
	if t, ok := d.time(); ok {
		return &t
	}
	return nil
}

// endPtr is a last working day (Float's and Runn's end_date: the person
// still works that day) as the canonical person's end_date, the first day
// not employed: employment is [start_date, end_date) (spec/kpis.md
// contracted_hours).
func (d floatDate) endPtr() *time.Time {
	if t, ok := d.time(); ok {
		t = t.AddDate(0, 0, 1)
		return &t
	}
	return nil
}

type floatPerson struct {
	ID            int64     `json:"people_id"`
	Name          string    `json:"name"`
	Email         *string   `json:"email"`
	JobTitle      *string   `json:"job_title"`
	Department    *floatRef `json:"department"`
	Active        int       `json:"active"`
	PeopleTypeID  int       `json:"people_type_id"`
	WorkDaysHours []float64 `json:"work_days_hours"` // per weekday; null: the team's default week
	HourlyRate    jsonNum   `json:"default_hourly_rate"`
	StartDate     floatDate `json:"start_date"`
	EndDate       floatDate `json:"end_date"`
	Modified      string    `json:"modified"`
}

type floatRef struct {
	ID   int64  `json:"department_id"`
	Name string `json:"name"`
}

type floatClient struct {
	ID   int64  `json:"client_id"`
	Name string `json:"name"`
}

type floatProject struct {
	ID          int64     `json:"project_id"`
	Name        string    `json:"name"`
	ClientID    *int64    `json:"client_id"`
	BudgetType  int       `json:"budget_type"` // 0 none, 1 total hours, 2 total fee, 3 hourly fee
	BudgetTotal jsonNum   `json:"budget_total"`
	HourlyRate  jsonNum   `json:"default_hourly_rate"`
	NonBillable int       `json:"non_billable"`
	Tentative   int       `json:"tentative"`
	StartDate   floatDate `json:"start_date"`
	EndDate     floatDate `json:"end_date"`
	Modified    string    `json:"modified"`
}

type floatTask struct {
	ID        int64   `json:"task_id"`
	ProjectID int64   `json:"project_id"`
	PeopleID  *int64  `json:"people_id"`
	PeopleIDs []int64 `json:"people_ids"`
	floatSpan
	Hours    jsonNum `json:"hours"` // per day
	Status   int     `json:"status"`
	Modified string  `json:"modified"`
}

type floatTimeOff struct {
	ID        int64   `json:"timeoff_id"`
	PeopleID  *int64  `json:"people_id"`
	PeopleIDs []int64 `json:"people_ids"`
	floatSpan
	Hours    jsonNum `json:"hours"` // per day; with full_day 1 the whole day
	FullDay  int     `json:"full_day"`
	Modified string  `json:"modified"`
}

// floatSpan is the dates of a Float allocation or time off, both of which
// may repeat.
type floatSpan struct {
	StartDate     floatDate `json:"start_date"`
	EndDate       floatDate `json:"end_date"`
	RepeatState   int       `json:"repeat_state"` // 0 or null: no repeat; see floatRepeats
	RepeatEndDate floatDate `json:"repeat_end_date"`
}

// floatRepeats are the repeat_state values of a Float allocation and how
// far apart their occurrences start. Float's tutorial "Scheduling your
// team" (dev.float.com/tutorial_assigning_tasks_to_your_team.html) says
// allocations repeat "on a regular weekly, fortnightly or monthly basis"
// with repeat_state and repeat_end_date; 1 weekly, 2 monthly and 3 every
// two weeks is the order of Float's reference. Other values are not
// expanded (see floatPull.task).
var floatRepeats = map[int]struct{ weeks, months int }{1: {weeks: 1}, 2: {months: 1}, 3: {weeks: 2}}

// occurrences are the spans t books that overlap w: its own, and when it
// repeats every later one that starts by its repeat_end_date (or by w.To,
// when it repeats without end). A repeat_state not in floatRepeats gives
// t's own span and known false.
func (t floatSpan) occurrences(w Window) (spans []Window, known bool) {
	start, _ := t.StartDate.time()
	end, _ := t.EndDate.time()
	every, known := floatRepeats[t.RepeatState]
	if t.RepeatState == 0 || !known {
		return []Window{{From: start, To: end}}, t.RepeatState == 0
	}
	last := w.To
	if d, ok := t.RepeatEndDate.time(); ok && d.Before(last) {
		last = d
	}
	length := end.Sub(start)
	for k := 0; ; k++ {
		// From the first start each time: a month added k times drifts
		// (31 January, 3 March, 3 April) where k months at once does not.
		from := start.AddDate(0, k*every.months, 7*k*every.weeks)
		if k > 0 && from.After(last) {
			return spans, true
		}
		if to := from.Add(length); !to.Before(w.From) && !from.After(w.To) {
			spans = append(spans, Window{From: from, To: to})
		}
		if from.After(w.To) {
			return spans, true
		}
	}
}

// floatPull is one Pull's state.
type floatPull struct {
	p    Pull
	out  Emitter
	base string
	// placeholders maps a placeholder's people_id to the role it stands
	// for: its allocations are role demand, not a person's bookings.
	placeholders map[int64]floatPerson
	projects     map[int64]floatProject // every project: an allocation is tentative when its project is
	window       Window                 // what the allocations are listed for: occurrences outside are not emitted
}

func (floatTool) Pull(ctx context.Context, p Pull, out Emitter) (Cursor, error) {
	base := p.Source.BaseURL
	if base == "" {
		base = FloatURL
	}
	w := Window{From: p.Window.From, To: p.Now.Add(BookingHorizon).Truncate(24 * time.Hour)}
	fp := &floatPull{p: p, out: out, base: strings.TrimRight(base, "/"), placeholders: map[int64]floatPerson{},
		projects: map[int64]floatProject{}, window: w}
	next := Cursor{UpdatedSince: p.Now.Add(-cursorOverlap).UTC().Truncate(time.Second)}
	if err := fp.references(ctx); err != nil {
		return Cursor{}, err
	}
	span := url.Values{"start_date": {w.From.Format(time.DateOnly)}, "end_date": {w.To.Format(time.DateOnly)}}
	if err := floatList(ctx, fp, "/v3/tasks", span, fp.task); err != nil {
		return Cursor{}, err
	}
	out.Listed("allocation", w)
	if err := floatList(ctx, fp, "/v3/timeoffs", span, fp.timeOff); err != nil {
		return Cursor{}, err
	}
	out.Listed("time_off", w)
	return next, nil
}

// references emits the people, clients and projects modified since the
// cursor (all of them when full). People and projects are read whole every
// sync, as an allocation needs to know whether its person is a placeholder
// and its project tentative; only the changed ones are written.
func (fp *floatPull) references(ctx context.Context) error {
	changed := func(modified string) bool {
		if fp.p.Full {
			return true
		}
		t, ok := floatTime(modified)
		return !ok || !t.Before(fp.p.Cursor.UpdatedSince)
	}
	err := floatList(ctx, fp, "/v3/people", nil, func(pr floatPerson) error {
		if pr.PeopleTypeID == floatPlaceholder {
			fp.placeholders[pr.ID] = pr
			return nil // a placeholder is demand for a role, not a person with capacity
		}
		if !changed(pr.Modified) {
			return nil
		}
		return fp.out.Emit(fp.person(pr), nil)
	})
	if err == nil {
		q := url.Values{}
		if !fp.p.Full {
			q.Set("modified_since", fp.p.Cursor.UpdatedSince.UTC().Format(time.DateTime))
		}
		err = floatList(ctx, fp, "/v3/clients", q, func(c floatClient) error {
			return fp.out.Emit(ingest.Client{Meta: ingest.Meta{ExternalID: fp.key("client", c.ID)}, Name: c.Name}, nil)
		})
	}
	if err == nil {
		err = floatList(ctx, fp, "/v3/projects", nil, func(pr floatProject) error {
			fp.projects[pr.ID] = pr
			if !changed(pr.Modified) {
				return nil
			}
			return fp.out.Emit(fp.project(pr), nil)
		})
	}
	return err
}

func placeholderRole(pr floatPerson) string {
	if pr.JobTitle != nil && strings.TrimSpace(*pr.JobTitle) != "" {
		return strings.TrimSpace(*pr.JobTitle)
	}
	return strings.TrimSpace(pr.Name)
}

func (fp *floatPull) key(kind string, id int64) string {
	return fp.p.Key(kind, strconv.FormatInt(id, 10))
}

// floatDefaultDay is the hours of a Float workday when a person has no
// work_days_hours of their own (Float's default schedule: 8 hours, Monday
// to Friday).
var floatDefaultWeek = decimal.NewFromInt(40)

func (fp *floatPull) person(pr floatPerson) ingest.Person {
	per := ingest.Person{Meta: ingest.Meta{ExternalID: fp.key("user", pr.ID)},
		ValidFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Name: strings.TrimSpace(pr.Name),
		WeeklyCapacityHours: floatDefaultWeek, BillRate: num(pr.HourlyRate),
		StartDate: pr.StartDate.ptr(), EndDate: pr.EndDate.endPtr()}
	if pr.Email != nil {
		per.Email = *pr.Email
	}
	if pr.JobTitle != nil {
		per.Role = *pr.JobTitle
	}
	if pr.Department != nil {
		per.Team = pr.Department.Name
	}
	if len(pr.WorkDaysHours) == 7 {
		// Sunday first, as Float's default week [0, 8, 8, 8, 8, 8, 0]
		// shows; the days with hours are the person's workdays (bit 0 is
		// Monday), over which the capacity grid spreads the week evenly.
		week := decimal.Zero
		for i, h := range pr.WorkDaysHours {
			week = week.Add(decimal.NewFromFloat(h))
			if h > 0 {
				per.Workdays |= 1 << ((i + 6) % 7)
			}
		}
		per.WeeklyCapacityHours = week.Round(4)
	}
	return per
}

func (fp *floatPull) project(pr floatProject) ingest.Project {
	out := ingest.Project{Meta: ingest.Meta{ExternalID: fp.key("project", pr.ID)}, Name: pr.Name,
		Kind: ingest.KindTM, BillableDefault: true, BillRate: num(pr.HourlyRate),
		StartDate: pr.StartDate.ptr(), EndDate: pr.EndDate.ptr()}
	if pr.NonBillable == 1 {
		out.Kind, out.BillableDefault = ingest.KindInternal, false
	}
	if pr.ClientID != nil && *pr.ClientID != 0 {
		out.ClientID = fp.key("client", *pr.ClientID)
	}
	switch pr.BudgetType {
	case 1:
		out.BudgetHours = num(pr.BudgetTotal)
	case 2:
		out.BudgetAmount = num(pr.BudgetTotal)
	}
	return out
}

// task emits an allocation per person the Float task books, one an
// occurrence when it repeats (keyed by the occurrence's start, so that an
// edit of the series replaces them all and a deletion removes them all).
func (fp *floatPull) task(t floatTask) error {
	hours, err := decimal.NewFromString(string(t.Hours))
	if err != nil {
		return fmt.Errorf("float task %d: hours %q: %w", t.ID, t.Hours, err)
	}
	project := fp.projects[t.ProjectID]
	base := ingest.Allocation{ProjectID: fp.key("project", t.ProjectID), HoursPerDay: &hours, Status: ingest.Confirmed,
		Probability: decimal.NewFromInt(1)}
	if t.Status == floatTentative || project.Tentative == 1 {
		// The canonical weight of a tentative booking that gives none.
		base.Status, base.Probability = ingest.Tentative, decimal.RequireFromString("0.5")
	}
	spans, err := fp.occurrences("task", t.ID, t.floatSpan)
	if err != nil {
		return err
	}
	people := t.PeopleIDs
	if len(people) == 0 && t.PeopleID != nil {
		people = []int64{*t.PeopleID}
	}
	for _, id := range people {
		a := base
		// The allocation's version: the latest change to the task or to
		// what it is read with (its project's tentative flag, a
		// placeholder's role).
		modified := []time.Time{floatStamp(t.Modified), floatStamp(project.Modified)}
		if ph, ok := fp.placeholders[id]; ok {
			a.Role = placeholderRole(ph)
			modified = append(modified, floatStamp(ph.Modified))
		} else {
			a.PersonID = fp.key("user", id)
		}
		a.UpdatedAt = latest(modified...)
		for _, s := range spans {
			a.ExternalID = fp.p.Key("task", fmt.Sprintf("%d-%d", t.ID, id)) + s.suffix
			a.StartDate, a.EndDate = s.From, s.To
			if err := fp.out.Emit(a, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// occurrence is one occurrence of a Float allocation or time off, and
// what its key ends with: "" when it does not repeat, else "@" and its
// start date.
type occurrence struct {
	Window
	suffix string
}

// occurrences are the occurrences of the Float kind ("task", "timeoff")
// id in the window the sync lists. A repeat_state floatRepeats does not
// know books the first occurrence only and is reported as a row error.
func (fp *floatPull) occurrences(kind string, id int64, sp floatSpan) ([]occurrence, error) {
	spans, known := sp.occurrences(fp.window)
	if !known {
		err := &ingest.RowError{Field: "repeat_state", Value: strconv.Itoa(sp.RepeatState),
			Reason: fmt.Sprintf("a repeat not known to opsmetrics: only the first occurrence of %s %d is booked", kind, id)}
		if err := fp.out.Emit(err, nil); err != nil {
			return nil, err
		}
	}
	out := make([]occurrence, len(spans))
	for i, w := range spans {
		out[i].Window = w
		if sp.RepeatState != 0 && known {
			out[i].suffix = "@" + w.From.Format(time.DateOnly)
		}
	}
	return out, nil
}

// latest is the latest of times that are not zero, nil when all are: a
// booking's version when it is read with other records.
func latest(times ...time.Time) *time.Time {
	var out *time.Time
	for _, t := range times {
		if !t.IsZero() && (out == nil || t.After(*out)) {
			out = &t
		}
	}
	return out
}

// timeOff emits a time off per person a Float time off names, one an
// occurrence when it repeats (as task).
func (fp *floatPull) timeOff(t floatTimeOff) error {
	spans, err := fp.occurrences("timeoff", t.ID, t.floatSpan)
	if err != nil {
		return err
	}
	base := ingest.TimeOff{UpdatedAt: latest(floatStamp(t.Modified))}
	if t.FullDay != 1 {
		base.HoursPerDay = num(t.Hours)
	}
	people := t.PeopleIDs
	if len(people) == 0 && t.PeopleID != nil {
		people = []int64{*t.PeopleID}
	}
	for _, id := range people {
		if _, ok := fp.placeholders[id]; ok {
			continue
		}
		for _, s := range spans {
			o := base
			o.ExternalID = fp.p.Key("timeoff", fmt.Sprintf("%d-%d", t.ID, id)) + s.suffix
			o.PersonID = fp.key("user", id)
			o.StartDate, o.EndDate = s.From, s.To
			if err := fp.out.Emit(o, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// floatList GETs every page of a Float list at path (a JSON array a page),
// decoding each element into T. Float pages with page and per-page and says
// how many pages there are in X-Pagination-Page-Count; without it a short
// page is the last.
func floatList[T any](ctx context.Context, fp *floatPull, path string, q url.Values, each func(T) error) error {
	q = cloneValues(q)
	q.Set("per-page", strconv.Itoa(floatPerPage))
	header := http.Header{"Authorization": {"Bearer " + fp.p.Token}}
	for page := 1; ; page++ {
		q.Set("page", strconv.Itoa(page))
		var items []T
		h, err := fp.p.Client.GetJSONHeader(ctx, fp.base+path+"?"+q.Encode(), header, &items)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := each(it); err != nil {
				return err
			}
		}
		if pages, err := strconv.Atoi(h.Get("X-Pagination-Page-Count")); err == nil {
			if page >= pages {
				return nil
			}
			continue
		}
		if len(items) < floatPerPage {
			return nil
		}
	}
}

// floatTime reads a Float timestamp ("2024-05-01 09:30:00", UTC, or RFC 3339).
func floatTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.DateTime, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// floatStamp is a Float timestamp, zero when s is none (null).
func floatStamp(s string) time.Time {
	t, _ := floatTime(s)
	return t
}

// jsonNum is a number Float or Runn may send as a JSON number, a numeric
// string, "" or null.
type jsonNum string

func (n *jsonNum) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" {
		s = ""
	}
	*n = jsonNum(s)
	return nil
}

// num is n as a decimal; nil when empty or not a number.
func num(n jsonNum) *decimal.Decimal {
	if n == "" {
		return nil
	}
	d, err := decimal.NewFromString(string(n))
	if err != nil {
		return nil
	}
	return &d
}
