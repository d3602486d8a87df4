package org

import "strings"

// The names an org gives its people, clients and projects are matched the
// same way wherever they are looked up: by the importer's resolver, which
// turns an export's names into ids, and by the KPI filters, which accept a
// name for an id (metrics.Names).

// NormalizeName folds a person, client or project name for matching:
// trimmed, inner spaces collapsed, case-folded.
func NormalizeName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// EditDistance is the Levenshtein distance of a and b, or limit when it is
// at least limit (or either is longer than 64 bytes): what a suggestion
// of a close name needs, at a bounded cost.
func EditDistance(a, b string, limit int) int {
	if len(a) > 64 || len(b) > 64 {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
