package ingest

import (
	"fmt"
	"testing"
)

// TestKeyerPacking: numbering is the same whether or not dates were packed,
// and whatever the row order within the rules (identical rows keep their order).
func TestKeyerPacking(t *testing.T) {
	rows := func(order []int) []string {
		k := NewKeyer()
		out := make([]string, 0, len(order))
		for _, i := range order {
			// 3000 dates, each with two identical rows and one other.
			day := fmt.Sprintf("d%04d", i/3)
			note := "same"
			if i%3 == 2 {
				note = "other"
			}
			out = append(out, k.Key("x", day, note))
		}
		return out
	}
	n := 9000
	sorted := make([]int, n)
	for i := range sorted {
		sorted[i] = i
	}
	a := rows(sorted)
	seen := map[string]bool{}
	for _, id := range a {
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
	if a[0] == a[1] || a[0][:len(a[0])-2] != a[1][:len(a[1])-2] {
		t.Errorf("identical rows: %s %s", a[0], a[1])
	}
	// Interleave dates (unsorted file): ids are still unique and the same set.
	shuffled := make([]int, 0, n)
	for i := 0; i < n/2; i++ {
		shuffled = append(shuffled, i, n-1-i)
	}
	b := rows(shuffled)
	for _, id := range b {
		if !seen[id] {
			t.Fatalf("unsorted file produced a new id %s", id)
		}
	}
}

func TestKeyerPacksBeyondLimit(t *testing.T) {
	k := NewKeyer()
	first := k.Key("x", "2026-01-01", "a")
	for i := range packAt + 10 {
		k.Key("x", fmt.Sprintf("day-%d", i%1000), fmt.Sprint(i))
	}
	if k.inMaps > packAt {
		t.Fatalf("%d hashes still in maps", k.inMaps)
	}
	if again := k.Key("x", "2026-01-01", "a"); again == first || again[:len(again)-2] != first[:len(first)-2] {
		t.Fatalf("after packing: %s then %s", first, again)
	}
}
