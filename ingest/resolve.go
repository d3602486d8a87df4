package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
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
// clients and projects, creating the ones it has not seen, and gives every
// record of one human one person id, whichever source it came from (Person,
// PersonID).
//
// Matching rules, in order, all within the org:
//   - a person named by an export: by the source's alias of its person id
//     (ops.person_aliases), else by the person id as a person's external id,
//     else by email (case-insensitive), else by name (case- and
//     space-insensitive);
//   - a client: by name;
//   - a project: by client and name (two clients may each have a "Website").
//
// When two stored people have the same email, the one with the lowest
// external id wins, so the choice never depends on load order. Two with the
// same name are ambiguous: a name alone picks neither, the record stays a
// person of its own and Warnings says so. A new record's external id is
// derived from what matched it (person-<hash of the email or name>, ...), so
// resolving the same name again, in this import or the next, gives the same
// id.
type Resolver struct {
	q        Querier
	loaded   bool
	org      string
	people   map[string]string   // "id:" + a person id a source gives -> external_id
	byKey    map[string][]string // "email:" or "name:" + normalized key -> every external_id with it, ascending
	owners   map[string]*owner   // external_id -> whose row the person is
	clients  map[string]string   // normalized name -> external_id
	projects map[string]string   // client id + "\x00" + normalized name -> external_id

	// aliases maps a source and its id of a person to the org's person;
	// loaded apart from the rest, on the first record that names a person
	// by id, so an import of ids pays one small query.
	aliases       map[[2]string]string
	aliasesLoaded bool

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
	newAliases  []PersonAlias
	retired     []Person // tombstones of assumed people a real one replaced
	warnings    []string
	warned      map[string]bool
}

// PersonAlias says that the person Source calls ExternalID is the org's
// person PersonID (sql/schema/0008_person_aliases.sql).
type PersonAlias struct {
	Org, Source, ExternalID, PersonID string
}

// owner is what the Resolver knows of a stored person's row: the source
// that wrote it, its email, whether its capacity is assumed (a person
// created on first sight, or a tool's user without a capacity), and the
// valid_from of its versions.
type owner struct {
	source, email string
	assumed       bool
	from          []time.Time
}

// resolvedFrom is the valid_from of the people a Resolver creates and of the
// collectors' people without effective dating.
var resolvedFrom = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// NewResolver returns a resolver for org. It loads the org's people, clients
// and projects on first use, so inputs that name nobody (opsmetrics' own
// formats carry ids) never pay for it.
func NewResolver(q Querier, org string) *Resolver {
	return &Resolver{q: q, org: org}
}

// load reads the org's people, clients and projects, and its aliases.
func (r *Resolver) load(ctx context.Context) error {
	r.loaded = true
	r.people, r.clients, r.projects = map[string]string{}, map[string]string{}, map[string]string{}
	r.byKey, r.owners = map[string][]string{}, map[string]*owner{}
	r.personRaw, r.clientRaw, r.projectRaw = map[[3]string]string{}, map[string]string{}, map[[2]string]string{}
	if err := r.loadAliases(ctx); err != nil {
		return err
	}
	err := r.query(ctx, "resolve_people", func(c []string) {
		r.remember(r.people, "id:"+c[0], c[0])
		o := &owner{source: c[3], email: c[1], assumed: c[4] == "1"}
		for f := range strings.FieldsSeq(c[5]) {
			if d, err := time.Parse(time.DateOnly, f); err == nil {
				o.from = append(o.from, d)
			}
		}
		r.owners[c[0]] = o
		r.index(c[0], c[1], c[2])
	})
	if err == nil {
		err = r.query(ctx, "resolve_clients", func(c []string) { r.remember(r.clients, org.NormalizeName(c[1]), c[0]) })
	}
	if err == nil {
		err = r.query(ctx, "resolve_projects", func(c []string) { r.remember(r.projects, c[1]+"\x00"+org.NormalizeName(c[2]), c[0]) })
	}
	return err
}

// loadAliases reads the org's person aliases, once.
func (r *Resolver) loadAliases(ctx context.Context) error {
	if r.aliasesLoaded {
		return nil
	}
	r.aliasesLoaded, r.aliases = true, map[[2]string]string{}
	return r.query(ctx, "resolve_aliases", func(c []string) { r.aliases[[2]string{c[0], c[1]}] = c[2] })
}

// query runs the named query for the org and hands each row's columns, as
// strings, to each.
func (r *Resolver) query(ctx context.Context, name string, each func(cols []string)) error {
	rows, err := r.q.Query(ctx, store.QueryText(name), store.Params{"org": r.org})
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

// index files a person under its email and name, for matching.
func (r *Resolver) index(id, email, name string) {
	for _, k := range []string{"email:" + org.NormalizeName(email), "name:" + org.NormalizeName(name)} {
		if strings.HasSuffix(k, ":") || slices.Contains(r.byKey[k], id) {
			continue
		}
		r.byKey[k] = append(r.byKey[k], id)
		slices.Sort(r.byKey[k])
	}
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
// records for names it does not know yet. Without refs, e's person id is
// only mapped through its source's alias (PersonID).
func (r *Resolver) Resolve(ctx context.Context, e *TimeEntry, refs *Refs) error {
	if refs == nil {
		var err error
		e.PersonID, err = r.PersonID(ctx, e.Source, e.PersonID)
		return err
	}
	if !r.loaded {
		if err := r.load(ctx); err != nil {
			return err
		}
	}
	pk := [3]string{refs.PersonID, refs.PersonEmail, refs.PersonName}
	id, ok := r.personRaw[pk]
	if !ok {
		id = r.person(e.Source, refs)
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

// PersonID returns the org's person that source calls id: the person its
// alias names, else id itself. Records that name a person by id (a tool's
// time entries, allocations and time off, opsmetrics' own formats) go
// through it, so that they land on the person a match chose.
func (r *Resolver) PersonID(ctx context.Context, source, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	if err := r.loadAliases(ctx); err != nil {
		return "", err
	}
	if p, ok := r.aliases[[2]string{source, id}]; ok {
		return p, nil
	}
	return id, nil
}

// Person gives p the org's id of the human it describes and reports whether
// p is to be written. p.ExternalID is its source's id for the person; after
// Person it is the org's person id: the one an alias of its source names,
// else its own when a person has it, else the person of another source with
// its email, else with its name (one only, with no other email), else its
// own. A match is remembered as an alias (TakeLinks), so the source's
// records that name the person by id land on the same person.
//
// A person's row belongs to the source that wrote it. A record of another
// source replaces it only when that row's capacity is assumed and p's is
// not (an API user with a weekly capacity replaces a person a CSV export
// created with an assumed 40-hour week): the assumed row is deleted
// (TakeLinks). Otherwise p is not written: the person keeps the row of the
// source that brought them first, so no person is counted twice.
func (r *Resolver) Person(ctx context.Context, p *Person) (bool, error) {
	if !r.loaded {
		if err := r.load(ctx); err != nil {
			return false, err
		}
	}
	own := p.ExternalID
	id := r.match(p)
	if id != own {
		key := [2]string{p.Source, own}
		if r.aliases[key] != id {
			r.aliases[key] = id
			r.newAliases = append(r.newAliases, PersonAlias{Org: r.org, Source: p.Source, ExternalID: own, PersonID: id})
		}
		r.people["id:"+own] = id
	}
	p.ExternalID = id
	o := r.owners[id]
	switch {
	case p.Deleted:
		return o == nil || o.source == p.Source, nil
	case o == nil:
		r.owners[id] = &owner{source: p.Source, email: p.Email, assumed: p.CapacityAssumed, from: []time.Time{p.ValidFrom}}
		r.people["id:"+id] = id
		r.index(id, p.Email, p.Name)
		return true, nil
	case o.source == p.Source:
		o.assumed = p.CapacityAssumed
		if !slices.ContainsFunc(o.from, p.ValidFrom.Equal) {
			o.from = append(o.from, p.ValidFrom)
		}
		r.index(id, p.Email, p.Name)
		return true, nil
	case o.assumed && !p.CapacityAssumed:
		for _, from := range o.from {
			r.retired = append(r.retired, Person{Meta: Meta{Org: r.org, Source: o.source, ExternalID: id, Deleted: true},
				ValidFrom: from})
		}
		*o = owner{source: p.Source, email: p.Email, from: []time.Time{p.ValidFrom}}
		r.index(id, p.Email, p.Name)
		return true, nil
	}
	return false, nil
}

// match is the org's person id for p (see Person).
func (r *Resolver) match(p *Person) string {
	own := p.ExternalID
	if id, ok := r.aliases[[2]string{p.Source, own}]; ok {
		return id
	}
	if _, ok := r.owners[own]; ok || p.Deleted {
		return own
	}
	// Only people of other sources: two ids of one tool are two people.
	others := func(key string) []string {
		var out []string
		for _, id := range r.byKey[key] {
			if r.owners[id] != nil && r.owners[id].source != p.Source {
				out = append(out, id)
			}
		}
		return out
	}
	email := org.NormalizeName(p.Email)
	if email != "" {
		if ids := others("email:" + email); len(ids) > 0 {
			return ids[0]
		}
	}
	var ids []string
	for _, id := range others("name:" + org.NormalizeName(p.Name)) {
		// A name is no match for someone with another email.
		if e := org.NormalizeName(r.owners[id].email); email == "" || e == "" || e == email {
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) == 1:
		return ids[0]
	case len(ids) > 1:
		r.warn(p.Source+"\x00"+own, fmt.Sprintf("%s person %q (%s) has the name of %d people (%s) and no email that tells "+
			"which: kept as a person of its own; give them emails in both tools to merge them",
			p.Source, p.Name, own, len(ids), strings.Join(ids, ", ")))
	}
	return own
}

// warn adds a warning once per key.
func (r *Resolver) warn(key, text string) {
	if r.warned == nil {
		r.warned = map[string]bool{}
	}
	if !r.warned[key] {
		r.warned[key] = true
		r.warnings = append(r.warnings, text)
	}
}

// Warnings returns what the resolver could not decide (two people with one
// name), in the order found.
func (r *Resolver) Warnings() []string { return slices.Clone(r.warnings) }

func (r *Resolver) person(source string, refs *Refs) string {
	email, name := org.NormalizeName(refs.PersonEmail), org.NormalizeName(refs.PersonName)
	if refs.PersonID != "" {
		if id, ok := r.aliases[[2]string{source, refs.PersonID}]; ok {
			return id
		}
		if id, ok := r.people["id:"+refs.PersonID]; ok {
			return id
		}
	}
	if ids := r.byKey["email:"+email]; email != "" && len(ids) > 0 {
		return ids[0]
	}
	if name == "" && email == "" && refs.PersonID == "" {
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
	if ids := r.byKey["name:"+name]; name != "" {
		switch {
		case len(ids) == 1:
			return ids[0]
		case slices.Contains(ids, id):
			return id // the person this name created before
		case len(ids) > 1:
			r.warn(source+"\x00name:"+name, fmt.Sprintf("%s person %q has the name of %d people (%s) and no email that tells "+
				"which: kept as a person of its own (%s)", source, refs.PersonName, len(ids), strings.Join(ids, ", "), id))
		}
	}
	r.people["id:"+id] = id
	r.owners[id] = &owner{source: ResolvedSource, email: refs.PersonEmail, assumed: true, from: []time.Time{resolvedFrom}}
	r.index(id, refs.PersonEmail, refs.PersonName)
	r.newPeople = append(r.newPeople, Person{
		Meta:      Meta{Org: r.org, Source: ResolvedSource, ExternalID: id},
		ValidFrom: resolvedFrom,
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

// TakeLinks returns the aliases Person made since the last call, and the
// tombstones of the assumed people's rows it replaced, and forgets them:
// the caller writes them with the records that Person let through.
func (r *Resolver) TakeLinks() ([]PersonAlias, []Person) {
	a, p := r.newAliases, r.retired
	r.newAliases, r.retired = nil, nil
	return a, p
}
