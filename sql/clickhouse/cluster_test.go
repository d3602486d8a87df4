package clickhouse

import (
	"strings"
	"testing"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// On a cluster, the mutations the code runs (the entry facts' prunes, the
// staging, import-key and sync-seen partition drops) go to the _local
// tables ON CLUSTER; a table named by a parameter gets its _local name in
// a copy of the parameters; anything else is left as it is.
func TestClusterMutation(t *testing.T) {
	for _, name := range []string{"entry_facts_prune", "entry_facts_prune_builds", "adjustment_facts_prune", "entry_days_prune",
		"import_keys_drop", "sync_seen_drop"} {
		got, _, err := clusterMutation(store.QueryText(name), store.Params{"org": "o"}, "main")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := "_local ON CLUSTER main "; !strings.Contains(got, want) {
			t.Errorf("%s on a cluster: %q, want the _local table ON CLUSTER main", name, got)
		}
	}
	in := store.Params{"staging": "staging_people", "batch": "b1"}
	got, params, err := clusterMutation(store.QueryText("staging_drop"), in, "main")
	if err != nil {
		t.Fatal(err)
	}
	if got != "ALTER TABLE ops.{staging:Identifier} ON CLUSTER main DROP PARTITION {batch:String}" ||
		params["staging"] != "staging_people_local" || in["staging"] != "staging_people" {
		t.Errorf("staging drop on a cluster: %q with %v (the caller's %v)", got, params, in)
	}
	for _, q := range []string{"SELECT 1", "INSERT INTO ops.people SELECT * FROM ops.staging_people",
		"ALTER TABLE ops.people ADD COLUMN IF NOT EXISTS x String"} {
		if got, _, _ := clusterMutation(q, nil, "main"); got != q {
			t.Errorf("%q became %q", q, got)
		}
	}
	if _, _, err := clusterMutation(store.QueryText("staging_drop"), store.Params{"batch": "b1"}, "main"); err == nil {
		t.Error("a staging drop without its table parameter was accepted")
	}
}
