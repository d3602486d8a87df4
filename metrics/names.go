package metrics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// What people type for a client, project, person, team or role (an id, or a
// name as they say it) becomes the id the queries take here, in one place for
// the CLI, the API and the dashboards. A filter the org does not have is an
// error, never an empty answer that looks like zero.

// Names are an org's clients, projects, people, teams and roles, by kind:
// the ids and display names a filter can name.
type Names struct {
	Org     string
	byKind  map[string][]Named
	byID    map[string]map[string]string // kind -> id -> name, for Name
	clients map[string]string            // project id -> its client's id
	q       Querier                      // asks whether an id no record names is used by data
}

// Named is one id with its display name; a team or a role is its own name.
type Named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// LoadNames reads an org's names (sql/queries/org_names.sql).
func LoadNames(ctx context.Context, q Querier, org string) (*Names, error) {
	rows, err := q.Query(ctx, store.QueryText("org_names"), store.Params{"org": org})
	if err != nil {
		return nil, fmt.Errorf("names of org %s: %w", org, err)
	}
	n := &Names{Org: org, q: q}
	for i := range rows.Len() {
		var kind, id, name, client string
		if err := rows.Scan(i, &kind, &id, &name, &client); err != nil {
			return nil, err
		}
		n.add(kind, Named{id, cmp.Or(name, id)})
		if kind == "project" && client != "" {
			if n.clients == nil {
				n.clients = map[string]string{}
			}
			n.clients[id] = client
		}
	}
	return n, nil
}

// OwnName is the display name of a team or a role, which is its own name:
// one spelt as an identifier ("creative_director", "project-manager",
// "designer") reads as words ("Creative director"), any other as it is.
func OwnName(id string) string {
	if id == "" || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) {
		return id
	}
	words := strings.Join(strings.FieldsFunc(id, func(r rune) bool { return r == '_' || r == '-' }), " ")
	if words == "" {
		return id
	}
	return strings.ToUpper(words[:1]) + words[1:]
}

// add appends x to kind's names and its index; a team or a role named by
// its id alone is named as words (OwnName).
func (n *Names) add(kind string, x Named) {
	if (kind == "team" || kind == "role") && x.Name == x.ID {
		x.Name = OwnName(x.ID)
	}
	if n.byKind == nil {
		n.byKind, n.byID = map[string][]Named{}, map[string]map[string]string{}
	}
	if n.byID[kind] == nil {
		n.byID[kind] = map[string]string{}
	}
	n.byKind[kind] = append(n.byKind[kind], x)
	n.byID[kind][x.ID] = x.Name
}

// Name returns the display name of kind's id, and whether the org names
// it. A team or a role is its own name (OwnName), so any one not empty is
// named.
// A nil Names names nothing but teams and roles.
func (n *Names) Name(kind, id string) (string, bool) {
	if n != nil {
		if name, ok := n.byID[kind][id]; ok {
			return name, true
		}
	}
	if (kind == "team" || kind == "role") && id != "" {
		return OwnName(id), true
	}
	return "", false
}

// ClientOf returns the id of a project's client, "" for a project of no
// client or one the org has no record of.
func (n *Names) ClientOf(project string) string {
	if n == nil {
		return ""
	}
	return n.clients[project]
}

// Label is an id as people read it with the id kept for scripts:
// "Nordlicht GmbH (c-0003)", or the id alone when the org does not name it
// or it is its own name (a team, a role).
func (n *Names) Label(kind, id string) string {
	name, _ := n.Name(kind, id)
	return Named{id, cmp.Or(name, id)}.String()
}

// Add adds an id of kind that is its own name (a role only a booking
// names, say), unless kind has it already.
func (n *Names) Add(kind, id string) {
	if id == "" || slices.ContainsFunc(n.byKind[kind], func(x Named) bool { return x.ID == id }) {
		return
	}
	n.add(kind, Named{id, id})
}

// Of returns kind's ids with their names, in the order loaded and added.
func (n *Names) Of(kind string) []Named { return n.byKind[kind] }

// FilterError is a filter that names nothing of its kind in the org, or
// more than one thing. It wraps ErrBadRequest.
type FilterError struct {
	Kind, Value, Org string
	// Ambiguous: every match; otherwise up to 3 close matches (maybe none).
	Candidates []Named
	Ambiguous  bool
	// Owners: a project candidate's client, by the project's id, so that
	// two clients' "Website" can be told apart.
	Owners map[string]string
}

func (e *FilterError) Error() string {
	var list []string
	for _, c := range e.Candidates {
		s := c.String()
		if o := e.Owners[c.ID]; o != "" {
			s += " of " + o
		}
		list = append(list, s)
	}
	if e.Ambiguous {
		return fmt.Sprintf("%s %q is ambiguous in org %s: it names %s; give the id", e.Kind, e.Value, e.Org, strings.Join(list, ", "))
	}
	msg := fmt.Sprintf("%s %q not found", e.Kind, e.Value)
	if e.Org != "" {
		msg += " in org " + e.Org
	}
	if len(list) > 0 {
		msg += "; close matches: " + strings.Join(list, ", ")
	}
	return msg
}

// Unwrap makes a FilterError an ErrBadRequest for errors.Is.
func (e *FilterError) Unwrap() error { return ErrBadRequest }

// String is the name with its id when they differ: "Nordlicht GmbH (c-0003)".
func (x Named) String() string {
	if x.Name == x.ID {
		return x.Name
	}
	return x.Name + " (" + x.ID + ")"
}

// fold is how names are compared: case-insensitive, spacing ignored.
func fold(s string) string { return strings.ReplaceAll(org.NormalizeName(s), " ", "") }

// Resolve returns the id that s names among kind's: s itself when it is an
// id, else the one id whose id or name folds to the same text (case and
// spacing ignored), else s when it is an id the org's data uses without a
// record naming it. Errors: *FilterError when s names none or several; the
// store's errors otherwise.
func (n *Names) Resolve(ctx context.Context, kind, s string) (string, error) {
	all := n.byKind[kind]
	hits := match(s, all)
	switch {
	case len(hits) == 1:
		return hits[0].ID, nil
	case len(hits) > 1:
		return "", &FilterError{Kind: kind, Value: s, Org: n.Org, Candidates: hits, Ambiguous: true, Owners: n.owners(kind, hits)}
	}
	if n.q != nil && kind != "team" {
		rows, err := n.q.Query(ctx, store.QueryText("filter_id_used"), store.Params{"org": n.Org, "kind": kind, "id": s})
		if err != nil {
			return "", fmt.Errorf("%s %q: %w", kind, s, err)
		}
		var used bool
		if err := rows.Scan(0, &used); err != nil {
			return "", err
		}
		if used {
			return s, nil
		}
	}
	near := closest(s, all, 3)
	return "", &FilterError{Kind: kind, Value: s, Org: n.Org, Candidates: near, Owners: n.owners(kind, near)}
}

// owners names the clients of projects among xs (nil for another kind).
func (n *Names) owners(kind string, xs []Named) map[string]string {
	if kind != "project" {
		return nil
	}
	out := map[string]string{}
	for _, x := range xs {
		if c := n.ClientOf(x.ID); c != "" {
			out[x.ID] = n.Label("client", c)
		}
	}
	return out
}

// match returns the one of all whose id is s, else every one whose id or
// name folds to what s folds to, by id.
func match(s string, all []Named) []Named {
	if i := slices.IndexFunc(all, func(x Named) bool { return x.ID == s }); i >= 0 {
		return all[i : i+1]
	}
	f := fold(s)
	var hits []Named
	for _, x := range all {
		if fold(x.ID) == f || fold(x.Name) == f {
			hits = append(hits, x)
		}
	}
	slices.SortFunc(hits, func(a, b Named) int { return cmp.Compare(a.ID, b.ID) })
	return hits
}

// RoleError is a role asked for that is none of the org's roles, or that
// matches several of them only by case or spacing. It wraps ErrBadRequest.
type RoleError struct {
	Role, Org string
	Known     []string // the org's roles, sorted
	Matches   []string // more than one: the role is ambiguous
}

func (e *RoleError) Error() string {
	switch {
	case len(e.Matches) > 1:
		return fmt.Sprintf("role %q matches several roles of org %s (%s): give it as one is spelt", e.Role, e.Org, strings.Join(e.Matches, ", "))
	case len(e.Known) == 0:
		return fmt.Sprintf("role %q: org %s has no roles yet (import people with a role first)", e.Role, e.Org)
	}
	return fmt.Sprintf("role %q is not a role of org %s: its roles are %s", e.Role, e.Org, strings.Join(e.Known, ", "))
}

// Unwrap makes a RoleError an ErrBadRequest for errors.Is.
func (e *RoleError) Unwrap() error { return ErrBadRequest }

// ResolveRole returns the role of roles (the org's, as spelt there) that s
// names, case and spacing ignored, as filters are matched. Errors:
// *RoleError naming the roles when s is none of them.
func ResolveRole(org, s string, roles []string) (string, error) {
	all := make([]Named, 0, len(roles))
	for _, r := range roles {
		all = append(all, Named{r, OwnName(r)})
	}
	hits := match(s, all)
	if len(hits) == 1 {
		return hits[0].ID, nil
	}
	e := &RoleError{Role: s, Org: org, Known: slices.Sorted(slices.Values(roles))}
	for _, h := range hits {
		e.Matches = append(e.Matches, h.ID)
	}
	return "", e
}

// ResolveFilters resolves every filter of f (dimension -> id or name) in
// place.
func (n *Names) ResolveFilters(ctx context.Context, f map[string]string) error {
	for _, dim := range Dimensions { // in a fixed order: the first unknown is the one reported
		if v := f[dim]; v != "" {
			id, err := n.Resolve(ctx, dim, v)
			if err != nil {
				return err
			}
			f[dim] = id
		}
	}
	return nil
}

// closest returns up to n of all whose id or name is near s: at most a
// third of its letters (and at least 2) differ from the whole or from its
// start ("Nordlict" and "nordlicht" are near "Nordlicht GmbH"); the nearest
// first.
func closest(s string, all []Named, n int) []Named {
	f := fold(s)
	type scored struct {
		x Named
		d int
	}
	var near []scored
	limit := max(2, len(f)/3) + 1
	for _, x := range all {
		best := limit
		for _, t := range []string{fold(x.ID), fold(x.Name)} {
			d := org.EditDistance(f, t, limit)
			if len(f) >= 3 && len(t) > len(f) {
				d = min(d, org.EditDistance(f, t[:len(f)], limit)+1) // a typo in the start of a longer name
			}
			best = min(best, d)
		}
		if best < limit {
			near = append(near, scored{x, best})
		}
	}
	slices.SortStableFunc(near, func(a, b scored) int { return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.x.Name, b.x.Name)) })
	var out []Named
	for _, s := range near[:min(len(near), n)] {
		out = append(out, s.x)
	}
	return out
}

// CheckOrg returns nil when org exists (ops.orgs has it: every import, org
// set and demo writes it). Otherwise a *FilterError of kind "org" with up to
// 3 close org ids; the store's errors as they are.
func CheckOrg(ctx context.Context, q Querier, org string) error {
	rows, err := q.Query(ctx, store.QueryText("org_list"), nil)
	if err != nil {
		return fmt.Errorf("list orgs: %w", err)
	}
	var all []Named
	for i := range rows.Len() {
		var id, name string
		if err := rows.Scan(i, &id, &name); err != nil {
			return err
		}
		if id == org {
			return nil
		}
		all = append(all, Named{id, id})
	}
	return &FilterError{Kind: "org", Value: org, Candidates: closest(org, all, 3)}
}
