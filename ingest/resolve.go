package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// ResolvedSource is the source of the people, clients and projects a
// Resolver creates on first sight. One source for all exports means Harvest
// and Toggl naming the same person create one person, not two.
const ResolvedSource = "resolved"

// Querier is the read side of the store.
type Querier interface {
	Query(ctx context.Context, query string, params store.Params) (*store.Rows, error)
}

// Resolver turns the names in time exports into the ids of the org's people,
// clients and projects, creating the ones it has not seen.
//
// Matching rules, in order, all within the org:
//   - a person: by the source's person id (as the person's external id), else
//     by email (case-insensitive), else by name (case- and space-insensitive);
//   - a client: by name;
//   - a project: by client and name (two clients may each have a "Website").
//
// When two stored records match the same email or name, the one with the
// lowest external id wins, so the choice never depends on load order. A new
// record's external id is derived from what matched it (person-<hash of the
// email or name>, ...), so resolving the same name again, in this import or
// the next, gives the same id.
type Resolver struct {
	q        Querier
	loaded   bool
	org      string
	people   map[string]string // "id:", "email:" or "name:" + key -> external_id
	clients  map[string]string // normalized name -> external_id
	projects map[string]string // client id + "\x00" + normalized name -> external_id

	// Memos by the raw text of an export, which repeats on every row: most
	// rows then resolve with a map lookup and no normalizing. Their keys are
	// copies: a row's strings share one allocation with the whole row, which
	// would stay alive, and copies sit close together, so a lookup takes
	// fewer cache misses.
	personRaw  map[[3]string]string
	clientRaw  map[string]string
	projectRaw map[[2]string]string

	newPeople   []Person
	newClients  []Client
	newProjects []Project
}

// NewResolver returns a resolver for org. It loads the org's people, clients
// and projects on first use, so inputs that name nobody (opsmetrics' own
// formats carry ids) never pay for it.
func NewResolver(q Querier, org string) *Resolver {
	return &Resolver{q: q, org: org}
}

// load reads the org's people, clients and projects.
func (r *Resolver) load(ctx context.Context) error {
	r.loaded = true
	r.people, r.clients, r.projects = map[string]string{}, map[string]string{}, map[string]string{}
	r.personRaw, r.clientRaw, r.projectRaw = map[[3]string]string{}, map[string]string{}, map[[2]string]string{}
	q, id := r.q, r.org
	load := func(name string, each func(cols []string)) error {
		rows, err := q.Query(ctx, store.QueryText(name), store.Params{"org": id})
		if err != nil {
			return fmt.Errorf("load %s: %w", name, err)
		}
		for i := range rows.Len() {
			cols := make([]string, len(rows.Columns))
			ptrs := make([]any, len(cols))
			for c := range cols {
				ptrs[c] = &cols[c]
			}
			if err := rows.Scan(i, ptrs...); err != nil {
				return fmt.Errorf("load %s: %w", name, err)
			}
			each(cols)
		}
		return nil
	}
	err := load("resolve_people", func(c []string) {
		r.remember(r.people, "id:"+c[0], c[0])
		if c[1] != "" {
			r.remember(r.people, "email:"+org.NormalizeName(c[1]), c[0])
		}
		r.remember(r.people, "name:"+org.NormalizeName(c[2]), c[0])
	})
	if err == nil {
		err = load("resolve_clients", func(c []string) { r.remember(r.clients, org.NormalizeName(c[1]), c[0]) })
	}
	if err == nil {
		err = load("resolve_projects", func(c []string) { r.remember(r.projects, c[1]+"\x00"+org.NormalizeName(c[2]), c[0]) })
	}
	return err
}

// remember keeps the first id seen for a key: rows arrive sorted by id, so
// the lowest id wins a collision.
func (r *Resolver) remember(m map[string]string, key, id string) {
	if _, ok := m[key]; !ok {
		m[key] = id
	}
}

func derivedID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + "-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// Resolve fills e's person, client and project ids from refs, creating
// records for names it does not know yet.
func (r *Resolver) Resolve(ctx context.Context, e *TimeEntry, refs *Refs) error {
	if refs == nil {
		return nil
	}
	if !r.loaded {
		if err := r.load(ctx); err != nil {
			return err
		}
	}
	pk := [3]string{refs.PersonID, refs.PersonEmail, refs.PersonName}
	id, ok := r.personRaw[pk]
	if !ok {
		id = r.person(refs)
		r.personRaw[[3]string{strings.Clone(pk[0]), strings.Clone(pk[1]), strings.Clone(pk[2])}] = id
	}
	e.PersonID = id
	if id, ok = r.clientRaw[refs.Client]; !ok {
		id = r.client(refs.Client)
		r.clientRaw[strings.Clone(refs.Client)] = id
	}
	e.ClientID = id
	prk := [2]string{e.ClientID, refs.Project}
	if id, ok = r.projectRaw[prk]; !ok {
		id = r.project(e.ClientID, refs.Project)
		r.projectRaw[[2]string{prk[0], strings.Clone(prk[1])}] = id
	}
	e.ProjectID = id
	return nil
}

func (r *Resolver) person(refs *Refs) string {
	email, name := org.NormalizeName(refs.PersonEmail), org.NormalizeName(refs.PersonName)
	keys := []string{}
	if refs.PersonID != "" {
		keys = append(keys, "id:"+refs.PersonID)
	}
	if email != "" {
		keys = append(keys, "email:"+email)
	}
	if name != "" {
		keys = append(keys, "name:"+name)
	}
	for _, k := range keys {
		if id, ok := r.people[k]; ok {
			return id
		}
	}
	if len(keys) == 0 {
		return ""
	}
	id := refs.PersonID
	switch {
	case id != "":
	case email != "":
		id = derivedID("person", email)
	default:
		id = derivedID("person", name)
	}
	for _, k := range keys {
		r.people[k] = id
	}
	r.newPeople = append(r.newPeople, Person{
		Meta:      Meta{Org: r.org, Source: ResolvedSource, ExternalID: id},
		ValidFrom: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		Name:      refs.PersonName, Email: refs.PersonEmail, Role: refs.Role,
		// Unknown until people are imported: a full-time week, so capacity
		// KPIs have a denominator, marked as assumed so they say so;
		// `docs/import.md` says how to correct it.
		WeeklyCapacityHours: decimal.NewFromInt(40), CapacityAssumed: true,
	})
	return id
}

func (r *Resolver) client(name string) string {
	key := org.NormalizeName(name)
	if key == "" {
		return ""
	}
	if id, ok := r.clients[key]; ok {
		return id
	}
	id := derivedID("client", key)
	r.clients[key] = id
	r.newClients = append(r.newClients, Client{Meta: Meta{Org: r.org, Source: ResolvedSource, ExternalID: id}, Name: name})
	return id
}

func (r *Resolver) project(clientID, name string) string {
	n := org.NormalizeName(name)
	if n == "" {
		return ""
	}
	key := clientID + "\x00" + n
	if id, ok := r.projects[key]; ok {
		return id
	}
	id := derivedID("project", clientID, n)
	r.projects[key] = id
	kind := KindTM
	if clientID == "" {
		kind = KindInternal
	}
	r.newProjects = append(r.newProjects, Project{Meta: Meta{Org: r.org, Source: ResolvedSource, ExternalID: id},
		Name: name, ClientID: clientID, Kind: kind, BillableDefault: kind == KindTM})
	return id
}

// TakeCreated returns the records created since the last call and forgets
// them: the caller writes them before the entries that refer to them.
func (r *Resolver) TakeCreated() ([]Person, []Client, []Project) {
	p, c, pr := r.newPeople, r.newClients, r.newProjects
	r.newPeople, r.newClients, r.newProjects = nil, nil, nil
	return p, c, pr
}
