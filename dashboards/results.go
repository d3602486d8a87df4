package dashboards

import (
	"sort"
	"time"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// table is a KPI result read by column name.
type table struct {
	res *metrics.Result
	idx map[string]int
}

func tableOf(res *metrics.Result) table {
	t := table{res: res, idx: map[string]int{}}
	if res != nil {
		for i, c := range res.Columns {
			t.idx[c.Name] = i
		}
	}
	return t
}

// Len is the number of rows.
func (t table) Len() int {
	if t.res == nil {
		return 0
	}
	return len(t.res.Rows)
}

// num is a row's number in column col.
func (t table) num(row int, col string) (float64, bool) {
	i, ok := t.idx[col]
	if !ok {
		return 0, false
	}
	return metrics.Float(t.res.Rows[row][i])
}

// str is a row's text in column col ("" for null or a missing column).
func (t table) str(row int, col string) string {
	i, ok := t.idx[col]
	if !ok {
		return ""
	}
	return metrics.Cell(t.res.Rows[row][i])
}

// date is a row's date in column col (zero when there is none).
func (t table) date(row int, col string) time.Time {
	i, ok := t.idx[col]
	if !ok {
		return time.Time{}
	}
	switch x := t.res.Rows[row][i].(type) {
	case time.Time:
		return x
	case *time.Time:
		if x != nil {
			return *x
		}
	}
	return time.Time{}
}

// sum adds up column col over the rows that keep accepts (nil: all).
func (t table) sum(col string, keep func(row int) bool) (float64, bool) {
	var s float64
	any := false
	for r := range t.Len() {
		if keep != nil && !keep(r) {
			continue
		}
		if v, ok := t.num(r, col); ok {
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
		g := t.str(r, col)
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
		p := t.date(r, "period")
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
