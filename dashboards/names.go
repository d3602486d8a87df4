package dashboards

import (
	"context"

	"github.com/opsmetrics/opsmetrics/metrics"
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

// loadNames reads the org's names in one query (metrics.LoadNames, which
// also resolves the filters).
func (d *server) loadNames(ctx context.Context, org string) (*names, error) {
	all, err := metrics.LoadNames(ctx, d.cfg.Store, org)
	if err != nil {
		return nil, err
	}
	return namesOf(all), nil
}

// namesOf is the pages' view of an org's names.
func namesOf(all *metrics.Names) *names {
	n := &names{byKind: map[string]map[string]string{}}
	for _, kind := range metrics.Dimensions {
		n.byKind[kind] = map[string]string{}
		for _, x := range all.Of(kind) {
			n.byKind[kind][x.ID] = x.Name
			switch kind {
			case "client":
				n.Clients = append(n.Clients, Option{x.ID, x.Name})
			case "team":
				n.Teams = append(n.Teams, Option{x.ID, x.Name})
			}
		}
	}
	return n
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
	if kind == "team" || kind == "role" { // one only a booking names, say
		return metrics.OwnName(id)
	}
	return id
}
