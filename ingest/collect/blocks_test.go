package collect_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
)

// TestHarvestAcrossBlocks: a sync reads the tool's records in blocks
// (3 here) and the deletions in pages (2 here); an edit and deletions
// found across those boundaries end with the same totals as in one piece.
// The fake account holds entries 1..10 of Kim Allen (an entry shaped as
// the first of Harvest's documented GET /v2/time_entries example,
// testdata/harvest/time_entries.json), entry i dated i days ago with i
// hours, billable at 100.0: 10 entries, 1+2+...+10 = 55 h, 5,500.00.
func TestHarvestAcrossBlocks(t *testing.T) {
	collect.SetBlocks(t, 3, 2)
	orgID := fmt.Sprintf("hv-blocks-%d", time.Now().UnixNano())
	r := newRig(t, orgID)
	fake, srv := newFakeHarvest(t, testToken, "123456")
	template := fake.entries[0]
	fake.entries = nil
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for i := 1; i <= 10; i++ {
		var e map[string]any
		b, _ := json.Marshal(template)
		json.Unmarshal(b, &e)
		e["id"], e["hours"], e["is_billed"] = float64(i), float64(i), false
		e["spent_date"] = today.AddDate(0, 0, -i).Format(time.DateOnly)
		fake.entries = append(fake.entries, e)
	}
	src := r.add(t, orgID, srv.URL)
	sync := func(what string) collect.Result {
		t.Helper()
		res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return res
	}

	res := sync("first sync")
	if got, want := sums(t, r.s, orgID), (totals{10, "55", "55", "5500"}); got != want {
		t.Fatalf("after the first sync: %+v, want %+v (%+v)", got, want, res)
	}

	// Entry 1 becomes 1.5 h; entries 2, 4, 6 and 8 (20 h) are deleted:
	// four tombstones, two full pages. 6 entries, 55 - 20 + 0.5 = 35.5 h.
	fake.edit(1, map[string]any{"hours": 1.5})
	for _, id := range []float64{2, 4, 6, 8} {
		fake.remove(id)
	}
	res = sync("the sync after the edit and the deletions")
	if res.Deleted != 4 || res.Updated != 1 || res.Added != 0 {
		t.Errorf("deleted %d, updated %d, added %d; want 4, 1, 0: %+v", res.Deleted, res.Updated, res.Added, res)
	}
	if got, want := sums(t, r.s, orgID), (totals{6, "35.5", "35.5", "3550"}); got != want {
		t.Fatalf("after the edit and the deletions: %+v, want %+v", got, want)
	}

	// Entry 3 too (3 h): one tombstone on a page of its own. 5 entries, 32.5 h.
	fake.remove(3)
	res = sync("the sync after one more deletion")
	if res.Deleted != 1 || res.Updated+res.Added != 0 {
		t.Errorf("deleted %d, updated %d, added %d; want 1, 0, 0: %+v", res.Deleted, res.Updated, res.Added, res)
	}
	if got, want := sums(t, r.s, orgID), (totals{5, "32.5", "32.5", "3250"}); got != want {
		t.Fatalf("after one more deletion: %+v, want %+v", got, want)
	}
}

// TestHarvestUnchangedOutsideWindow: an entry the tool gives again with
// the updated_at and date it was stored with is not written again, also
// when its date lies before the window an incremental sync re-lists. After
// 636708574 (2017-03-01) is edited, the next sync takes the edit; the one
// after it is given the entry again (its updated_at is within the cursor's
// overlap) and changes nothing. Before the check went to the store per
// block, only entries dated in the window were compared, and this one was
// written again and counted as updated.
func TestHarvestUnchangedOutsideWindow(t *testing.T) {
	orgID := fmt.Sprintf("hv-unchanged-%d", time.Now().UnixNano())
	r := newRig(t, orgID)
	fake, srv := newFakeHarvest(t, testToken, "123456")
	src := r.add(t, orgID, srv.URL)
	for i, want := range []int{11, 1, 0} { // first sync: 4 entries, 3 users, 2 clients, 2 projects; then the edit; then nothing
		res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Added + res.Updated + res.Deleted; got != want {
			t.Errorf("sync %d changed %d records, want %d: %+v", i+1, got, want, res)
		}
		if i == 0 {
			fake.edit(636708574, map[string]any{"hours": 1.5})
		}
	}
	// 6.46 h as documented, 636708574 (not billable) from 1.0 to 1.5 h.
	if got, want := sums(t, r.s, orgID), (totals{4, "6.96", "5.46", "546"}); got != want {
		t.Fatalf("totals %+v, want %+v", got, want)
	}
}
