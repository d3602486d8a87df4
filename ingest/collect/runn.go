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

// runnTool pulls Runn API v1 (https://developer.runn.io): roles, people
// with their contracts (role, hours a day and cost from a date), clients and
// projects (those updated since the cursor), then every assignment that
// overlaps the booking window, which tells the Collector what was removed
// (Runn lists only what is live). Runn cannot filter assignments by date
// (developer.runn.io FAQ), so every sync pages through all of them.
// docs/sources.md has the field mapping.
type runnTool struct{}

var _ Tool = runnTool{}

// RunnURL is Runn's API root; some accounts have another, shown in Runn
// under Settings > API (give it as --base-url).
const RunnURL = "https://api.runn.io"

// runnPerPage is the page size asked for.
const runnPerPage = 200

func (runnTool) Kind() string { return "runn" }

func (runnTool) Check(s Source) error {
	if s.Workspace == "" {
		return errors.New("runn needs --workspace: a name for the Runn account, unique in the org; it scopes the ids of its records")
	}
	return nil
}

type runnPerson struct {
	ID        int64     `json:"id"`
	FirstName string    `json:"firstName"`
	LastName  string    `json:"lastName"`
	Email     *string   `json:"email"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type runnContract struct {
	ID            int64     `json:"id"`
	PersonID      int64     `json:"personId"`
	RoleID        int64     `json:"roleId"`
	StartDate     floatDate `json:"startDate"`
	EndDate       floatDate `json:"endDate"`
	MinutesPerDay int64     `json:"minutesPerDay"`
	CostPerHour   jsonNum   `json:"costPerHour"`
	JobTitle      *string   `json:"jobTitle"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

type runnRole struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	StandardRate jsonNum   `json:"standardRate"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

type runnClient struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type runnProject struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	ClientID     *int64    `json:"clientId"`
	IsConfirmed  bool      `json:"isConfirmed"`
	PricingModel string    `json:"pricingModel"` // tm, fp, nb
	Budget       jsonNum   `json:"budget"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

type runnAssignment struct {
	ID            int64     `json:"id"`
	PersonID      int64     `json:"personId"`
	ProjectID     int64     `json:"projectId"`
	RoleID        *int64    `json:"roleId"`
	StartDate     floatDate `json:"startDate"`
	EndDate       floatDate `json:"endDate"`
	MinutesPerDay int64     `json:"minutesPerDay"`
	IsTemplate    bool      `json:"isTemplate"`
	IsPlaceholder bool      `json:"isPlaceholder"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// runnTimeOff is a time off of any of Runn's three kinds (leave, rostered
// days off, public holidays: developer.runn.io/docs/time-offs-1), whose
// minutesPerDay is null for whole days "as per person's contract"
// (developer.runn.io/docs/post_time-offs-leave).
type runnTimeOff struct {
	ID            int64     `json:"id"`
	PersonID      int64     `json:"personId"`
	StartDate     floatDate `json:"startDate"`
	EndDate       floatDate `json:"endDate"`
	MinutesPerDay *int64    `json:"minutesPerDay"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// runnTimeOffs are Runn's time-off lists and the kind each one's keys name.
var runnTimeOffs = []struct{ path, kind string }{
	{"/time-offs/leave/", "leave"}, {"/time-offs/rostered/", "rostered"}, {"/time-offs/holidays/", "holiday"}}

type runnPull struct {
	p        Pull
	out      Emitter
	base     string
	roles    map[int64]runnRole
	projects map[int64]runnProject // an assignment is tentative when its project is not confirmed
}

func (runnTool) Pull(ctx context.Context, p Pull, out Emitter) (Cursor, error) {
	base := p.Source.BaseURL
	if base == "" {
		base = RunnURL
	}
	rp := &runnPull{p: p, out: out, base: strings.TrimRight(base, "/"), roles: map[int64]runnRole{}, projects: map[int64]runnProject{}}
	next := Cursor{UpdatedSince: p.Now.Add(-cursorOverlap).UTC().Truncate(time.Second)}
	if err := rp.references(ctx); err != nil {
		return Cursor{}, err
	}
	w := Window{From: p.Window.From, To: p.Now.Add(BookingHorizon).Truncate(24 * time.Hour)}
	// Outside the window: not re-listed, as Float and Forecast do not.
	outside := func(from, to floatDate) bool {
		start, ok1 := from.time()
		end, ok2 := to.time()
		return ok1 && ok2 && (start.After(w.To) || end.Before(w.From))
	}
	err := runnList(ctx, rp, "/assignments/", func(a runnAssignment) error {
		if a.IsTemplate || outside(a.StartDate, a.EndDate) {
			return nil // a template books nobody
		}
		return rp.assignment(a)
	})
	if err != nil {
		return Cursor{}, err
	}
	out.Listed("allocation", w)
	for _, l := range runnTimeOffs {
		err := runnList(ctx, rp, l.path, func(o runnTimeOff) error {
			if outside(o.StartDate, o.EndDate) {
				return nil
			}
			return rp.timeOff(l.kind, o)
		})
		if err != nil {
			return Cursor{}, err
		}
	}
	out.Listed("time_off", w)
	return next, nil
}

// timeOff emits a Runn time off of kind (runnTimeOffs).
func (rp *runnPull) timeOff(kind string, o runnTimeOff) error {
	start, _ := o.StartDate.time()
	end, _ := o.EndDate.time()
	rec := ingest.TimeOff{Meta: ingest.Meta{ExternalID: rp.key("timeoff-"+kind, o.ID)}, PersonID: rp.key("user", o.PersonID),
		StartDate: start, EndDate: end, UpdatedAt: latest(o.UpdatedAt)}
	if o.MinutesPerDay != nil {
		hours := ingest.SecondsToHours(*o.MinutesPerDay * 60)
		rec.HoursPerDay = &hours
	}
	return rp.out.Emit(rec, nil)
}

func (rp *runnPull) key(kind string, id int64) string {
	return rp.p.Key(kind, strconv.FormatInt(id, 10))
}

func (rp *runnPull) changed(t time.Time) bool {
	return rp.p.Full || !t.Before(rp.p.Cursor.UpdatedSince)
}

// references emits the people (a version per contract), clients and
// projects updated since the cursor. Roles and projects are read whole: an
// assignment names its role by id, and is tentative when its project is.
func (rp *runnPull) references(ctx context.Context) error {
	err := runnList(ctx, rp, "/roles/", func(r runnRole) error { rp.roles[r.ID] = r; return nil })
	contracts := map[int64][]runnContract{}
	if err == nil {
		err = runnList(ctx, rp, "/contracts/", func(c runnContract) error {
			contracts[c.PersonID] = append(contracts[c.PersonID], c)
			return nil
		})
	}
	if err == nil {
		err = runnList(ctx, rp, "/people/", func(pr runnPerson) error {
			cs := contracts[pr.ID]
			changed := rp.changed(pr.UpdatedAt)
			for _, c := range cs {
				changed = changed || rp.changed(c.UpdatedAt)
			}
			if !changed {
				return nil
			}
			for _, per := range rp.person(pr, cs) {
				if err := rp.out.Emit(per, nil); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err == nil {
		err = runnList(ctx, rp, "/clients/", func(c runnClient) error {
			if !rp.changed(c.UpdatedAt) {
				return nil
			}
			return rp.out.Emit(ingest.Client{Meta: ingest.Meta{ExternalID: rp.key("client", c.ID)}, Name: c.Name}, nil)
		})
	}
	if err == nil {
		err = runnList(ctx, rp, "/projects/", func(pr runnProject) error {
			rp.projects[pr.ID] = pr
			if !rp.changed(pr.UpdatedAt) {
				return nil
			}
			return rp.out.Emit(rp.project(pr), nil)
		})
	}
	return err
}

// person is a version of pr per contract, valid from its start and ending
// with the contract (a contract is Runn's effective-dated role, hours and
// cost: between two contracts, and after the last one's end, the person
// has no capacity); one from 2000-01-01 with the default 40-hour week when
// pr has none.
func (rp *runnPull) person(pr runnPerson, cs []runnContract) []ingest.Person {
	base := ingest.Person{Meta: ingest.Meta{ExternalID: rp.key("user", pr.ID)},
		ValidFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Name: strings.TrimSpace(pr.FirstName + " " + pr.LastName),
		WeeklyCapacityHours: floatDefaultWeek}
	if pr.Email != nil {
		base.Email = *pr.Email
	}
	if len(cs) == 0 {
		return []ingest.Person{base}
	}
	out := make([]ingest.Person, 0, len(cs))
	for _, c := range cs {
		per := base
		if d, ok := c.StartDate.time(); ok {
			per.ValidFrom = d
		}
		per.EndDate = c.EndDate.endPtr()
		// A contract's hours a day over Runn's Monday-to-Friday week.
		per.WeeklyCapacityHours = ingest.SecondsToHours(c.MinutesPerDay * 60 * 5)
		per.CostRate = num(c.CostPerHour)
		if r, ok := rp.roles[c.RoleID]; ok {
			per.Role, per.BillRate = r.Name, num(r.StandardRate)
		}
		out = append(out, per)
	}
	return out
}

func (rp *runnPull) project(pr runnProject) ingest.Project {
	out := ingest.Project{Meta: ingest.Meta{ExternalID: rp.key("project", pr.ID)}, Name: pr.Name,
		Kind: ingest.KindTM, BillableDefault: true}
	switch pr.PricingModel {
	case "fp":
		out.Kind, out.BudgetAmount = ingest.KindFixedFee, num(pr.Budget)
	case "nb":
		out.Kind, out.BillableDefault = ingest.KindInternal, false
	default:
		out.BudgetAmount = num(pr.Budget)
	}
	if pr.ClientID != nil && *pr.ClientID != 0 {
		out.ClientID = rp.key("client", *pr.ClientID)
	}
	return out
}

func (rp *runnPull) assignment(a runnAssignment) error {
	start, _ := a.StartDate.time()
	end, _ := a.EndDate.time()
	hours := ingest.SecondsToHours(a.MinutesPerDay * 60)
	project, role := rp.projects[a.ProjectID], runnRole{}
	if a.RoleID != nil {
		role = rp.roles[*a.RoleID]
	}
	// The assignment's version: the latest change to it or to what it is
	// read with (its project's confirmation, its role's name).
	rec := ingest.Allocation{Meta: ingest.Meta{ExternalID: rp.key("assignment", a.ID)}, ProjectID: rp.key("project", a.ProjectID),
		StartDate: start, EndDate: end, HoursPerDay: &hours, Status: ingest.Confirmed, Probability: decimal.NewFromInt(1),
		Role: role.Name, UpdatedAt: latest(a.UpdatedAt, project.UpdatedAt, role.UpdatedAt)}
	if project.ID != 0 && !project.IsConfirmed {
		rec.Status, rec.Probability = ingest.Tentative, decimal.RequireFromString("0.5")
	}
	if !a.IsPlaceholder {
		rec.PersonID = rp.key("user", a.PersonID)
	} else if rec.Role == "" {
		return fmt.Errorf("runn assignment %d: a placeholder's assignment names no role", a.ID)
	}
	return rp.out.Emit(rec, nil)
}

// runnList GETs every page of a Runn v1 list at path ({"values": [...],
// "nextCursor": ...}), decoding each value into T.
func runnList[T any](ctx context.Context, rp *runnPull, path string, each func(T) error) error {
	header := http.Header{"Authorization": {"Bearer " + rp.p.Token}, "Accept-Version": {"1.0.0"}}
	q := url.Values{"limit": {strconv.Itoa(runnPerPage)}}
	for page := 1; ; page++ {
		var body struct {
			Values     []json.RawMessage `json:"values"`
			NextCursor *string           `json:"nextCursor"`
		}
		if err := rp.p.Client.GetJSON(ctx, rp.base+path+"?"+q.Encode(), header, &body); err != nil {
			return err
		}
		for _, raw := range body.Values {
			var it T
			if err := json.Unmarshal(raw, &it); err != nil {
				return fmt.Errorf("runn %s page %d: %w", path, page, err)
			}
			if err := each(it); err != nil {
				return err
			}
		}
		if body.NextCursor == nil || *body.NextCursor == "" {
			return nil
		}
		q.Set("cursor", *body.NextCursor)
	}
}
