package metrics

import "time"

// Table reads a Result by column name. A nil Result has no rows.
type Table struct {
	res *Result
	idx map[string]int
}

// TableOf returns res's Table.
func TableOf(res *Result) Table {
	t := Table{res: res, idx: map[string]int{}}
	if res != nil {
		for i, c := range res.Columns {
			t.idx[c.Name] = i
		}
	}
	return t
}

// Len is the number of rows.
func (t Table) Len() int {
	if t.res == nil {
		return 0
	}
	return len(t.res.Rows)
}

// Str is a row's text in column col ("" for null or a missing column).
func (t Table) Str(row int, col string) string {
	i, ok := t.idx[col]
	if !ok {
		return ""
	}
	return Cell(t.res.Rows[row][i])
}

// Num is a row's number in column col; false for null or a missing column.
func (t Table) Num(row int, col string) (float64, bool) {
	i, ok := t.idx[col]
	if !ok {
		return 0, false
	}
	return Float(t.res.Rows[row][i])
}

// Num0 is Num with 0 for null or a missing column.
func (t Table) Num0(row int, col string) float64 {
	v, _ := t.Num(row, col)
	return v
}

// Date is a row's date or time in column col (zero for null or a missing
// column).
func (t Table) Date(row int, col string) time.Time {
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
