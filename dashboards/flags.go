package dashboards

import (
	"fmt"
	"math"
)

// coverage is how much of a number rests on missing or assumed data: the
// part hours (uncosted_hours, assumed_hours, untargeted_hours of a KPI
// result, see metrics.Flag) of its whole hours, summed over some rows.
type coverage struct{ part, whole float64 }

// coverageOf sums column part over column whole on the rows keep accepts.
func coverageOf(t table, part, whole string, keep func(int) bool) coverage {
	p, _ := t.sum(part, keep)
	w, _ := t.sum(whole, keep)
	return coverage{p, w}
}

// some reports whether any of the whole rests on the part.
func (c coverage) some() bool { return c.part > 0 && c.whole > 0 }

// all reports whether all of the whole rests on the part.
func (c coverage) all() bool { return c.whole > 0 && c.part >= c.whole }

// share is the part as a percentage people read: never 0% for a part above
// 0, nor 100% for one below the whole.
func (c coverage) share() string {
	p := c.part / c.whole * 100
	switch {
	case c.all():
		return "100%"
	case p < 1:
		return "<1%"
	case p > 99:
		return ">99%"
	}
	return fmt.Sprintf("%.0f%%", math.Round(p))
}

// Texts of the flags, the same on every page.
const (
	costUnknownText = "unknown: no hour has a cost rate"
	noTargetText    = "no target set"
	assumedWeek     = "40 h week assumed"
)

// costNote says how much of a labour cost or margin leaves hours out; "" when
// none does.
func costNote(c coverage) string {
	switch {
	case c.all():
		return "Labour cost and margin unknown: no hour in this range has a cost rate. Import cost rates on people or roles (docs/import.md)."
	case c.some():
		return fmt.Sprintf("%s of hours have no cost rate: labour cost leaves them out, so margin reads too high.", c.share())
	}
	return ""
}

// capacityNote says how much of a number's available hours are an assumed
// week; "" when none are.
func capacityNote(c coverage) string {
	if !c.some() {
		return ""
	}
	return fmt.Sprintf("%s of available hours are a %s for people an import created on first sight: import them with their weekly capacity (docs/import.md).",
		c.share(), assumedWeek)
}
