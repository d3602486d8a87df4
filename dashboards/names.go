package dashboards

import (
	"context"
	"fmt"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Option is one choice of a filter: the id in the URL, the name shown.
type Option struct {
	ID, Name string
}

// names are the org's display names by kind and id, and the filter choices.
type names struct {
	byKind         map[string]map[string]string
	Clients, Teams []Option
}

// loadNames reads the org's names in one query.
func (d *server) loadNames(ctx context.Context, org string) (*names, error) {
	rows, err := d.cfg.Store.Query(ctx, store.QueryText("dashboard_names"), store.Params{"org": org})
	if err != nil {
		return nil, fmt.Errorf("names: %w", err)
	}
	n := &names{byKind: map[string]map[string]string{}}
	for i := range rows.Len() {
		var kind, id, name string
		if err := rows.Scan(i, &kind, &id, &name); err != nil {
			return nil, err
		}
		if n.byKind[kind] == nil {
			n.byKind[kind] = map[string]string{}
		}
		n.byKind[kind][id] = name
		switch kind {
		case "client":
			n.Clients = append(n.Clients, Option{id, name})
		case "team":
			n.Teams = append(n.Teams, Option{id, name})
		}
	}
	return n, nil
}

// of is the name of an id of a kind: the id itself when it has no name, and
// "(none)" for the empty group (entries without a client, say).
func (n *names) of(kind, id string) string {
	if id == "" {
		return "(none)"
	}
	if n != nil {
		if name := n.byKind[kind][id]; name != "" {
			return name
		}
	}
	return id
}
