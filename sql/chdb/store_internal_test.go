package chdb

import "testing"

func TestReadOnly(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1":                               true,
		"  with x AS (SELECT 1) SELECT * FROM x": true,
		"-- kpi: revenue\n-- title: x\nWITH a AS (SELECT 1) SELECT 1": true,
		"/* opsmetrics-query:7 */ SELECT 1":                           true,
		"(SELECT 1) UNION ALL (SELECT 2)":                             true,
		"EXPLAIN PLAN SELECT 1":                                       true,
		"INSERT INTO ops.t SELECT 1":                                  false,
		"-- entry_facts_build\nINSERT INTO ops.t SELECT 1":            false,
		"/* tag */ ALTER TABLE ops.t DELETE WHERE 1":                  false,
		"OPTIMIZE TABLE ops.t FINAL":                                  false,
		"-- only a comment":                                           false,
	} {
		if got := readOnly(q); got != want {
			t.Errorf("readOnly(%q) = %v, want %v", q, got, want)
		}
	}
}
