package collect

import (
	"testing"
	"time"
)

// TestFloatPersonEnd: Float's end_date is the person's last working day;
// the canonical end_date is the first day not employed (employment is
// [start_date, end_date), spec/kpis.md contracted_hours), so a person
// leaving on Friday 2026-12-11 still has that Friday's capacity.
func TestFloatPersonEnd(t *testing.T) {
	fp := &floatPull{}
	per := fp.person(floatPerson{ID: 1, Name: "Ana", StartDate: "2023-01-09", EndDate: "2026-12-11"})
	if per.EndDate == nil || !per.EndDate.Equal(time.Date(2026, 12, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("end_date %v, want 2026-12-12 (the day after the last working day)", per.EndDate)
	}
	if per.StartDate == nil || !per.StartDate.Equal(time.Date(2023, 1, 9, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("start_date %v, want 2023-01-09 (the first working day, inclusive)", per.StartDate)
	}
	if per := fp.person(floatPerson{ID: 2, Name: "Ben"}); per.EndDate != nil {
		t.Errorf("no end_date: %v, want none", per.EndDate)
	}
}
