package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
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
	rewritten   []Person // merged versions of linked people, and tombstones of versions gone
	newWords    []PersonSource

	// words is what each source says of each person (MergePerson), by the
	// org's person id: ops.person_sources for a linked person, else the
	// rows of the one source that wrote the person (see linked).
	words    map[string][]PersonSource
	linked   map[string]bool // persons whose words are in ops.person_sources
	warnings []string
	warned   map[string]bool
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
	r.words, r.linked = map[string][]PersonSource{}, map[string]bool{}
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
		// The source's id of each person it wrote, through its alias; the
		// lowest when a source has several, so the choice never depends on
		// map order.
		ids := map[[2]string]string{}
		for k, id := range r.aliases {
			if cur, ok := ids[[2]string{k[0], id}]; !ok || k[1] < cur {
				ids[[2]string{k[0], id}] = k[1]
			}
		}
		err = r.query(ctx, "resolve_person_words", func(c []string) { r.loadWord(c, ids) })
	}
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
// A person's rows carry the source that wrote them first, except that a
// person whose capacity is assumed (created on first sight by a CSV export)
// passes to the first source that knows it; the assumed rows are deleted
// (TakeLinks). A person only one source knows is that source's rows. Once a
// second source names the person, every source's word is kept
// (ops.person_sources) and the person's rows are their merge (MergePerson):
// p, when it is a record of the rows' source, becomes the merged version
// of its date and is written; any other version that changed is written
// with the links (TakeLinks). Either way one person is one set of rows, so
// no one is counted twice.
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
	word := PersonSource{Person: *p, PersonID: id}
	word.ExternalID, word.Workdays = own, workdaysOf(p.Workdays)
	o := r.owners[id]
	switch {
	case o == nil && p.Deleted:
		return true, nil
	case o == nil:
		r.owners[id] = &owner{source: p.Source, email: p.Email, assumed: p.CapacityAssumed, from: []time.Time{p.ValidFrom}}
		r.people["id:"+id] = id
		r.index(id, p.Email, p.Name)
		r.note(word)
		return true, nil
	case o.source == p.Source && !r.linked[id] && !slices.ContainsFunc(r.words[id], func(w PersonSource) bool {
		return w.Source != p.Source
	}):
		// One source's person: its rows are its word.
		r.note(word)
		if p.Deleted {
			return true, nil
		}
		o.assumed = p.CapacityAssumed
		if !slices.ContainsFunc(o.from, p.ValidFrom.Equal) {
			o.from = append(o.from, p.ValidFrom)
		}
		r.index(id, p.Email, p.Name)
		return true, nil
	}
	if !p.Deleted && o.source != p.Source && o.assumed && !p.CapacityAssumed {
		// The assumed person's rows pass to the source that knows the
		// capacity: written again under it, merged, below.
		for _, from := range o.from {
			r.rewritten = append(r.rewritten, Person{Meta: Meta{Org: r.org, Source: o.source, ExternalID: id, Deleted: true},
				ValidFrom: from})
		}
		*o = owner{source: p.Source, email: p.Email}
	}
	if !p.Deleted {
		r.index(id, p.Email, p.Name)
	}
	return r.merge(id, o, p, r.tell(word)), nil
}

// merge sets the person id's rows to the merge of its words. p is the
// record that brought the change: when it is a version of the rows' source,
// it becomes that version and merge reports true (the caller writes it);
// the other versions are written with the links when changed is true, and
// versions no source gives any more are deleted.
func (r *Resolver) merge(id string, o *owner, p *Person, changed bool) bool {
	versions := MergePerson(Meta{Org: r.org, Source: o.source, ExternalID: id}, r.words[id])
	keep := false
	var from []time.Time
	for _, v := range versions {
		from = append(from, v.ValidFrom)
		if !p.Deleted && p.Source == o.source && v.ValidFrom.Equal(p.ValidFrom) {
			*p, keep = v, true
		} else if changed {
			r.rewritten = append(r.rewritten, v)
		}
	}
	for _, f := range o.from {
		if !slices.ContainsFunc(from, f.Equal) {
			r.rewritten = append(r.rewritten, Person{Meta: Meta{Org: r.org, Source: o.source, ExternalID: id, Deleted: true},
				ValidFrom: f})
		}
	}
	o.from = from
	if n := len(versions); n > 0 {
		o.assumed = versions[n-1].CapacityAssumed
	}
	return keep
}

// note files w among its person's words, replacing the version of its
// source and date, or removing it when w is a deletion, and reports whether
// that changed anything.
func (r *Resolver) note(w PersonSource) bool {
	ws := r.words[w.PersonID]
	i := slices.IndexFunc(ws, func(x PersonSource) bool { return sameSource(&x, &w) && x.ValidFrom.Equal(w.ValidFrom) })
	switch {
	case i >= 0 && sameWord(&ws[i].Person, &w.Person), i < 0 && w.Deleted:
		return false
	case w.Deleted:
		ws = slices.Delete(ws, i, i+1)
	case i >= 0:
		ws[i] = w
	default:
		ws = append(ws, w)
	}
	r.words[w.PersonID] = ws
	return true
}

// tell is note for a person of several sources: their words are kept in
// ops.person_sources from now on (TakeLinks), those that stood in for the
// first source's included.
func (r *Resolver) tell(w PersonSource) bool {
	changed := false
	if !r.linked[w.PersonID] {
		r.linked[w.PersonID], changed = true, true
		r.newWords = append(r.newWords, r.words[w.PersonID]...)
	}
	if r.note(w) {
		r.newWords, changed = append(r.newWords, w), true
	}
	return changed
}

// loadWord files one row of resolve_person_words. A row of ops.people that
// stands in for its source's word is filed under the source's id of the
// person, ids (source and person id -> the source's id, from the aliases),
// as that source names it.
func (r *Resolver) loadWord(c []string, ids map[[2]string]string) {
	w := PersonSource{PersonID: c[0], Person: Person{Meta: Meta{Org: r.org, Source: c[1], ExternalID: c[2]},
		Name: c[4], Email: c[5], Role: c[6], Team: c[7], HolidayCalendar: c[15], CapacityAssumed: c[16] == "1"}}
	w.ValidFrom, _ = time.Parse(time.DateOnly, c[3])
	w.WeeklyCapacityHours, _ = decimal.NewFromString(c[8])
	if n, err := strconv.ParseUint(c[9], 10, 8); err == nil {
		w.Workdays = uint8(n)
	}
	w.CostRate, w.BillRate, w.UtilizationTarget = optDecimal(c[10]), optDecimal(c[11]), optDecimal(c[12])
	w.StartDate, w.EndDate = optDate(c[13]), optDate(c[14])
	if c[17] == "1" {
		r.linked[w.PersonID] = true
	} else if own, ok := ids[[2]string{w.Source, w.PersonID}]; ok {
		w.ExternalID = own
	}
	r.words[w.PersonID] = append(r.words[w.PersonID], w)
}

// optDecimal and optDate read a column of resolve_person_words: "" is NULL.
func optDecimal(s string) *decimal.Decimal {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return nil
	}
	return &d
}

func optDate(s string) *time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return &d
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
	r.note(PersonSource{Person: r.newPeople[len(r.newPeople)-1], PersonID: id}) // its row is its word
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

// TakeLinks returns, and forgets, what Person decided since the last call
// besides the records it let through: the aliases it made, the people's
// versions it merged or deleted, and the sources' words it kept. The caller
// writes them with the records that Person let through.
func (r *Resolver) TakeLinks() ([]PersonAlias, []Person, []PersonSource) {
	a, p, w := r.newAliases, r.rewritten, r.newWords
	r.newAliases, r.rewritten, r.newWords = nil, nil, nil
	return a, p, w
}
