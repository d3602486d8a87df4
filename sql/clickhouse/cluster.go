package clickhouse

import (
	"fmt"
	"maps"
	"regexp"
	"strings"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// On a cluster every table is a Replicated*MergeTree <name>_local on each
// node and a Distributed <name> over them (store.OnCluster), so reads and
// inserts use the names the queries carry. A mutation cannot go through a
// Distributed table (ClickHouse refuses ALTER ... DELETE, UPDATE and DROP
// PARTITION on one): clusterMutation sends it to the _local tables of
// every node instead, ON CLUSTER, where each replica applies it to its
// shard's part of the data. Since every table is sharded by its first
// sorting column (the org, for the tables mutations touch), a delete of
// one org's rows runs on the shard that holds them and finds none on the
// others.
var mutationRE = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+(\w+)\.(\{(\w+):Identifier\}|\w+)\s+((?:DELETE|UPDATE|DROP\s+PARTITION)\b.*)$`)

// clusterMutation rewrites query for cluster when it is a mutation of a
// table (ALTER TABLE db.t DELETE, UPDATE or DROP PARTITION, the table
// named in the text or by an Identifier parameter), and returns params with
// that parameter naming the _local table; other statements come back as
// they are.
func clusterMutation(query string, params store.Params, cluster string) (string, store.Params, error) {
	stmt := store.SkipComments(query)
	m := mutationRE.FindStringSubmatch(stmt)
	if m == nil {
		return query, params, nil
	}
	db, table, param, rest := m[1], m[2], m[3], m[4]
	if param != "" {
		name, ok := params[param].(string)
		if !ok {
			return "", nil, fmt.Errorf("cluster mutation: parameter %s names no table (%v)", param, params[param])
		}
		params = maps.Clone(params)
		params[param] = name + "_local"
	} else {
		table += "_local"
	}
	return fmt.Sprintf("ALTER TABLE %s.%s ON CLUSTER %s %s", db, table, cluster, strings.TrimSpace(rest)), params, nil
}
