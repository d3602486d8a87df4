package metrics

import (
	"fmt"
	"strings"
)

// Flag names something a row's numbers rest on that is missing or assumed.
// A KPI that can rest on it has the flag's part column (the hours
// concerned), so every surface can say how much of the number it touches.
type Flag string

// The flags, each with the part column a KPI must have to carry it.
const (
	// FlagCostRateMissing: some of the row's hours have no cost rate (none
	// resolves, or it is 0, which is what exports write when none was set).
	// Labour cost leaves those hours out, so margin reads too high; when no
	// hour has one, labour cost, margin and margin % are null (unknown).
	// Part: uncosted_hours of hours.
	FlagCostRateMissing Flag = "cost_rate_missing"
	// FlagCapacityAssumed: some of the row's available (or contracted) hours
	// are of people an import created on first sight, whose 40-hour week
	// is assumed. Part: assumed_hours of available_hours (else of value).
	FlagCapacityAssumed Flag = "capacity_assumed"
	// FlagTargetUnset: no utilization target is set for some of the row's
	// available hours. The target and the gap are over the hours that have
	// one, and null when none has. Part: untargeted_hours of available_hours.
	FlagTargetUnset Flag = "target_unset"
)

// CurrencyUnknown begins the note of a money result whose org's currency is
// unknown; the CLI and the pages say the same.
const CurrencyUnknown = "currency unknown — set it with `opsmetrics org set --currency`"

// flagRule says how a flag is read from a row: its part column over the
// first whole column the result has.
type flagRule struct {
	flag   Flag
	part   string
	wholes []string
	short  string // the table's words before the share
	null   string // how the table shows a null cell of a row the flag covers whole
	note   string // the sentence after "N of M rows ..."
}

var flagRules = []flagRule{
	{FlagCostRateMissing, "uncosted_hours", []string{"hours"}, "no cost rate", "unknown",
		"rest on hours without a cost rate (uncosted_hours; a cost rate of 0 counts as none): labour cost leaves those hours out, so margin reads too high, and where no hour has a cost rate labour cost, margin and margin % are null (unknown). Import cost rates on people or roles (docs/import.md)."},
	{FlagCapacityAssumed, "assumed_hours", []string{"available_hours", "value"}, "capacity assumed", "",
		"count people an import created on first sight, whose 40-hour week is assumed (assumed_hours): import them with their weekly_capacity_hours (docs/import.md)."},
	{FlagTargetUnset, "untargeted_hours", []string{"available_hours"}, "no target", "no target",
		"have available hours with no utilization target set (untargeted_hours): target and gap are over the hours that have one, null where none has. Set utilization_target on roles or people (docs/import.md)."},
}

// Flagged reports whether res's KPI can carry flags: whether it has a
// flag's part column. Its CSV and JSON rows then have a flags field.
func (r *Result) Flagged() bool {
	t := TableOf(r)
	for _, f := range flagRules {
		if _, ok := t.idx[f.part]; ok {
			return true
		}
	}
	return false
}

// flag sets the flags of every row and a note per flag that some row has.
func (r *Result) flag() {
	t := TableOf(r)
	r.Flags = make([][]Flag, len(r.Rows))
	for _, f := range flagRules {
		n := 0
		for row := range r.Rows {
			if share, ok := t.share(row, f); ok && share > 0 {
				r.Flags[row] = append(r.Flags[row], f.flag)
				n++
			}
		}
		if n > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: %d of %d rows %s", f.flag, n, len(r.Rows), f.note))
		}
	}
}

// share is the part of a row's whole that flag f covers (0 to 1); false
// when the result has no such columns or the whole is null or 0.
func (t Table) share(row int, f flagRule) (float64, bool) {
	part, ok := t.Num(row, f.part)
	if !ok {
		return 0, false
	}
	for _, w := range f.wholes {
		if _, has := t.idx[w]; !has {
			continue
		}
		whole, ok := t.Num(row, w)
		if !ok || whole == 0 {
			return 0, false
		}
		return part / whole, true
	}
	return 0, false
}

// Share is the part of row's whole that flag covers, from 0 to 1 (the
// uncosted share of its hours, ...); false when the row cannot carry it.
func (t Table) Share(row int, flag Flag) (float64, bool) {
	for _, f := range flagRules {
		if f.flag == flag {
			return t.share(row, f)
		}
	}
	return 0, false
}

// flagText is a row's flags in words with their shares, for the table.
func (t Table) flagText(row int) string {
	var out []string
	for _, f := range flagRules {
		if share, ok := t.share(row, f); ok && share > 0 {
			out = append(out, fmt.Sprintf("%s (%s of h)", f.short, sharePct(share)))
		}
	}
	return strings.Join(out, "; ")
}

// nullText is how the table shows a null cell of row: "unknown" when a flag
// covers the row whole and explains the null, else "–" (no data).
func (t Table) nullText(row int) string {
	for _, f := range flagRules {
		if share, ok := t.share(row, f); ok && share >= 1 && f.null != "" {
			return f.null
		}
	}
	return "–"
}

// FlagNames are a row's flags as text, joined by ";" for a CSV cell.
func FlagNames(fs []Flag) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ";")
}

// sharePct shows a share as people read it: 100% only when whole, and never
// 0% for a share above 0.
func sharePct(share float64) string {
	p := share * 100
	switch {
	case share >= 1:
		return "100%"
	case p < 1:
		return "<1%"
	case p > 99:
		return ">99%"
	}
	return fmt.Sprintf("%.0f%%", p)
}
