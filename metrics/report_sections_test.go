package metrics

import (
	"slices"
	"testing"
	"time"
)

// TestDefaultSections: a retainer client's report carries retainer hours,
// and budget burn too when it also has a budgeted project; a client
// without a retainer carries budget burn.
func TestDefaultSections(t *testing.T) {
	for _, tc := range []struct {
		retainer, budget bool
		want             []string
	}{
		{true, false, []string{SectionRetainerHours, SectionDeliverables, SectionApprovals, SectionWriteOffs}},
		{true, true, []string{SectionRetainerHours, SectionBudgetBurn, SectionDeliverables, SectionApprovals, SectionWriteOffs}},
		{false, true, []string{SectionBudgetBurn, SectionDeliverables, SectionApprovals, SectionWriteOffs}},
		{false, false, []string{SectionBudgetBurn, SectionDeliverables, SectionApprovals, SectionWriteOffs}},
	} {
		if got := DefaultSections(tc.retainer, tc.budget); !slices.Equal(got, tc.want) {
			t.Errorf("retainer %v, budget %v: %v, want %v", tc.retainer, tc.budget, got, tc.want)
		}
	}
}

// TestRetainerSectionIdle: a retainer with no numbers in either month (it
// ended, or has not begun) is named as idle, not shown as a row of dashes.
func TestRetainerSectionIdle(t *testing.T) {
	month := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s := retainerSection(nil, []string{"pr-old"}, true, month, month.AddDate(0, -1, 0), map[string]*Result{})
	if len(s.Rows) != 0 || !slices.Equal(s.Idle, []string{"pr-old"}) {
		t.Errorf("rows %v, idle %v; want no row and pr-old idle", s.Rows, s.Idle)
	}
}
