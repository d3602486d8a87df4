package dashboards

import (
	"sort"
	"time"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// table is a KPI result read by column name (metrics.Table), with the
// pages' sums and groupings.
type table struct{ metrics.Table }

func tableOf(res *metrics.Result) table { return table{metrics.TableOf(res)} }

// sum adds up column col over the rows that keep accepts (nil: all).
func (t table) sum(col string, keep func(row int) bool) (float64, bool) {
	var s float64
	any := false
	for r := range t.Len() {
		if keep != nil && !keep(r) {
			continue
		}
		if v, ok := t.Num(r, col); ok {
			s += v
			any = true
		}
	}
	return s, any
}

// groups returns the distinct values of column col, sorted.
func (t table) groups(col string) []string {
	seen := map[string]bool{}
	var out []string
	for r := range t.Len() {
		g := t.Str(r, col)
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

// periods returns the distinct dates of column "period", in order.
func (t table) periods() []time.Time {
	seen := map[time.Time]bool{}
	var out []time.Time
	for r := range t.Len() {
		p := t.Date(r, "period")
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// ratio is num ÷ den, false when den is 0 or unknown.
func ratio(num, den float64, ok bool) (float64, bool) {
	if !ok || den == 0 {
		return 0, false
	}
	return num / den, true
}

// bucket is the start of the week (Monday) or month holding day.
func bucket(day time.Time, monthly bool) time.Time {
	if monthly {
		return time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	wd := (int(day.Weekday()) + 6) % 7 // Monday = 0
	return day.AddDate(0, 0, -wd)
}

// weeksOrMonths chooses the trend buckets of a range: weeks up to about a
// quarter, months beyond.
func weeksOrMonths(v View) (interval string, monthly bool) {
	if v.Days() > 100 {
		return "month", true
	}
	return "week", false
}
