package hook

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// mapRefs are an org's clients and projects, for resolving a target's client
// and project given by id or name, and for naming them in a list.
type mapRefs struct {
	clientName    map[string]string   // id → name
	projectName   map[string]string   // id → name
	projectClient map[string]string   // project id → its client's id
	clientsNamed  map[string][]string // normalized name → ids, sorted
	projectsNamed map[string][]string // normalized name → ids, sorted
}

// loadRefs reads the org's clients and projects (resolve_clients.sql and
// resolve_projects.sql, as the importer's resolver does).
func loadMapRefs(ctx context.Context, q MappingStore, orgID string) (*mapRefs, error) {
	r := &mapRefs{clientName: map[string]string{}, projectName: map[string]string{}, projectClient: map[string]string{},
		clientsNamed: map[string][]string{}, projectsNamed: map[string][]string{}}
	rows, err := q.Query(ctx, store.QueryText("resolve_clients"), store.Params{"org": orgID})
	if err != nil {
		return nil, fmt.Errorf("clients of org %s: %w", orgID, err)
	}
	for i := range rows.Len() {
		var id, name string
		if err := rows.Scan(i, &id, &name); err != nil {
			return nil, err
		}
		r.clientName[id] = name
		k := org.NormalizeName(name)
		r.clientsNamed[k] = append(r.clientsNamed[k], id) // rows come sorted by id
	}
	if rows, err = q.Query(ctx, store.QueryText("resolve_projects"), store.Params{"org": orgID}); err != nil {
		return nil, fmt.Errorf("projects of org %s: %w", orgID, err)
	}
	for i := range rows.Len() {
		var id, client, name string
		if err := rows.Scan(i, &id, &client, &name); err != nil {
			return nil, err
		}
		r.projectName[id], r.projectClient[id] = name, client
		k := org.NormalizeName(name)
		r.projectsNamed[k] = append(r.projectsNamed[k], id)
	}
	return r, nil
}

// resolve returns the ids of a target's client and project, each given by
// id or by name (case and spacing ignored); project may be "" and must
// then be the client's. Errors: *MappingError naming the one that names
// nothing or several things, or a project of another client.
func (r *mapRefs) resolve(orgID, client, project string) (string, string, error) {
	if strings.TrimSpace(client) == "" {
		return "", "", badMapping("client", client, "a target needs a client (its id or name)")
	}
	cid, err := pickRef("client", client, orgID, r.clientName, r.clientsNamed[org.NormalizeName(client)], nil)
	if err != nil || strings.TrimSpace(project) == "" {
		return cid, "", err
	}
	// A project name is looked for among the client's projects first: two
	// clients may each have a "Website".
	named := r.projectsNamed[org.NormalizeName(project)]
	own := slices.DeleteFunc(slices.Clone(named), func(id string) bool { return r.projectClient[id] != cid })
	if len(own) > 0 {
		named = own
	}
	pid, err := pickRef("project", project, orgID, r.projectName, named, r.projectClient)
	if err != nil {
		return "", "", err
	}
	if owner := r.projectClient[pid]; owner != cid {
		return "", "", badMapping("project", project, "belongs to client %s (%s), not to %s (%s)", owner, r.clientName[owner], cid, r.clientName[cid])
	}
	return cid, pid, nil
}

// pick resolves ref of kind to one id: an id of byID as it is, else the
// one id named. owners, when given, are shown beside ambiguous candidates.
func pickRef(kind, ref, orgID string, byID map[string]string, named []string, owners map[string]string) (string, error) {
	ref = strings.TrimSpace(ref)
	if _, ok := byID[ref]; ok {
		return ref, nil
	}
	switch len(named) {
	case 0:
		return "", badMapping(kind, ref, "no such %s in org %s (by id or name)", kind, orgID)
	case 1:
		return named[0], nil
	}
	c := make([]string, len(named))
	for i, id := range named {
		c[i] = id
		if owners != nil {
			c[i] += " of client " + owners[id]
		}
	}
	return "", badMapping(kind, ref, "names %d %ss in org %s (%s): give the id", len(named), kind, orgID, strings.Join(c, ", "))
}
