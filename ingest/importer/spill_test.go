package importer_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/importer"
)

// TestKeysAcrossBatches: what an input gave a key in one batch decides the
// next batch's counts and 24-hour check, though the importer keeps one
// batch's keys in memory and the earlier ones in ops.import_keys. Each
// boundary below is crossed by a repeated key whose earlier row moves hours
// a check after the boundary depends on, and rejections fall on both sides.
func TestKeysAcrossBatches(t *testing.T) {
	im, s := newImporter(t) // batches of 3 rows
	org := fmt.Sprintf("spill-%d", time.Now().UnixNano())
	entry := func(id, person, date, hours string) string {
		return fmt.Sprintf(`{"external_id":%q,"person":%q,"date":%q,"hours":%s,"billable":true}`+"\n", id, person, date, hours)
	}
	gone := func(id string) string { return fmt.Sprintf(`{"external_id":%q,"deleted":true}`+"\n", id) }
	body := strings.Join([]string{
		// batch 1: p1 on May 4 has a 10 + b 8 = 18.
		entry("a", "p1", "2026-05-04", "10"), entry("b", "p1", "2026-05-04", "8"), entry("x", "p2", "2026-05-06", "1"),
		// batch 2: a again replaces its 10 (b 8 + a 14 = 22), so c's 3
		// would make 25 (rejected, line 5); b moves to May 5, leaving a's
		// 14 on May 4 and putting 6 on May 5.
		entry("a", "p1", "2026-05-04", "14"), entry("c", "p1", "2026-05-04", "3"), entry("b", "p1", "2026-05-05", "6"),
		// batch 3: d's 10 makes May 4 24 only if b's 8 left it (else 32);
		// e's 19 would make May 5 25 with b's 6 (rejected, line 8); a is
		// deleted, taking its 14 off May 4 (d 10 left).
		entry("d", "p1", "2026-05-04", "10"), entry("e", "p1", "2026-05-05", "19"), gone("a"),
		// batch 4: f's 14 makes May 4 24 only if a's 14 left it; a back
		// with 1 would make 25 (rejected, line 11).
		entry("f", "p1", "2026-05-04", "14"), entry("a", "p1", "2026-05-04", "1"),
	}, "")
	sum := importString(t, im, importer.Request{Org: org, File: "b.ndjson", Format: importer.FormatNDJSON, Entity: "time_entry",
		CountChanges: true}, body)

	// 11 rows, 3 rejected (c, e, the last a): 8 valid. Repeated: a (line 4),
	// b (6), a's tombstone (9). a's last valid row deletes it: 1 deleted;
	// b, x, d, f written, all new: 8 = 4 + 1 + 3.
	want := importer.Counts{Read: 11, Valid: 8, Written: 4, New: 4, Deleted: 1, Repeated: 3, Rejected: 3}
	if c := *sum.Entities["time_entry"]; c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
	wantRejects := []struct {
		line       int
		value, has string
	}{{5, "3", "already has 22 hours"}, {8, "19", "already has 6 hours"}, {11, "1", "already has 24 hours"}}
	if len(sum.Errors) != len(wantRejects) {
		t.Fatalf("rejects %+v, want lines 5, 8 and 11", sum.Errors)
	}
	for i, w := range wantRejects {
		if e := sum.Errors[i]; e.Line != w.line || e.Value != w.value || !strings.Contains(e.Reason, w.has) {
			t.Errorf("reject %d: line %d value %s %q; want line %d value %s, %q", i, e.Line, e.Value, e.Reason, w.line, w.value, w.has)
		}
	}
	// b 6 + x 1 + d 10 + f 14 = 31 hours in 4 entries; a is a tombstone.
	if live, tomb := storedEntries(t, s, org); live != 4 || tomb != 1 {
		t.Errorf("store holds %d live entries and %d tombstones, want 4 and 1", live, tomb)
	}
	if _, h := totals(t, s, org); h != "31" {
		t.Errorf("%s hours stored, want 31", h)
	}
	// The import dropped its keys when it ended.
	rows, err := s.Query(t.Context(), "SELECT count() FROM ops.import_keys", nil)
	if err != nil {
		t.Fatal(err)
	}
	var left uint64
	if err := rows.Scan(0, &left); err != nil || left != 0 {
		t.Errorf("ops.import_keys holds %d rows after the import (%v), want none", left, err)
	}
}
