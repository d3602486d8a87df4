package sql

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/shopspring/decimal"
)

// RowBinaryEncoder writes a Batch as RowBinary for the column types the target
// table declares. Each column is bound once to an encode function for its slice
// type, so the per-value work is a direct append with no type switch.
type RowBinaryEncoder struct {
	cols  []func(buf []byte, row int) ([]byte, error)
	names []string
	rows  int
}

// EncodeError is a value its column cannot hold, such as an amount with more
// digits than the column keeps.
type EncodeError struct {
	Row    int
	Column string
	Err    error // names the value
}

func (e *EncodeError) Error() string {
	return fmt.Sprintf("row %d column %s: %v", e.Row, e.Column, e.Err)
}

func (e *EncodeError) Unwrap() error { return e.Err }

// NewRowBinaryEncoder prepares b for the given ClickHouse column types
// (types[i] is the type of b.Columns[i]). It fails when a slice type does not
// fit its column type.
func NewRowBinaryEncoder(b *Batch, types []string) (*RowBinaryEncoder, error) {
	n, err := b.Len()
	if err != nil {
		return nil, err
	}
	if len(types) != len(b.Columns) {
		return nil, fmt.Errorf("batch for %s: %d column types for %d columns", b.Table, len(types), len(b.Columns))
	}
	e := &RowBinaryEncoder{rows: n, names: b.Columns}
	for i, ts := range types {
		t, err := parseType(ts)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", b.Columns[i], err)
		}
		f, err := columnEncoder(t, b.Values[i])
		if err != nil {
			return nil, fmt.Errorf("batch for %s: column %s: %w", b.Table, b.Columns[i], err)
		}
		e.cols = append(e.cols, f)
	}
	return e, nil
}

// Rows reports the number of rows the encoder writes.
func (e *RowBinaryEncoder) Rows() int { return e.rows }

// AppendRow appends row i to buf. On an *EncodeError it returns buf as it
// was, without part of the row.
func (e *RowBinaryEncoder) AppendRow(buf []byte, i int) ([]byte, error) {
	start := len(buf)
	var err error
	for c, f := range e.cols {
		if buf, err = f(buf, i); err != nil {
			return buf[:start], &EncodeError{Row: i, Column: e.names[c], Err: err}
		}
	}
	return buf, nil
}

var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

type encFunc = func(buf []byte, row int) ([]byte, error)

func columnEncoder(t *chType, values any) (encFunc, error) {
	if t.kind == kNullable {
		return nullableEncoder(t, values)
	}
	switch v := values.(type) {
	case []string:
		if t.kind != kString && t.kind != kFixedString {
			break
		}
		if t.kind == kFixedString {
			return func(buf []byte, i int) ([]byte, error) {
				if len(v[i]) > t.size {
					return buf, fmt.Errorf("%q is longer than %s", v[i], t.name)
				}
				buf = append(buf, v[i]...)
				return append(buf, make([]byte, t.size-len(v[i]))...), nil
			}, nil
		}
		return func(buf []byte, i int) ([]byte, error) { return appendString(buf, v[i]), nil }, nil
	case []bool:
		if t.kind == kBool || t.kind == kUInt8 {
			return func(buf []byte, i int) ([]byte, error) {
				if v[i] {
					return append(buf, 1), nil
				}
				return append(buf, 0), nil
			}, nil
		}
	case []uint8:
		if t.kind == kUInt8 || t.kind == kBool {
			return func(buf []byte, i int) ([]byte, error) { return append(buf, v[i]), nil }, nil
		}
	case []uint16:
		if t.kind == kUInt16 {
			return func(buf []byte, i int) ([]byte, error) { return binary.LittleEndian.AppendUint16(buf, v[i]), nil }, nil
		}
	case []uint32:
		if t.kind == kUInt32 {
			return func(buf []byte, i int) ([]byte, error) { return binary.LittleEndian.AppendUint32(buf, v[i]), nil }, nil
		}
	case []uint64:
		if t.kind == kUInt64 {
			return func(buf []byte, i int) ([]byte, error) { return binary.LittleEndian.AppendUint64(buf, v[i]), nil }, nil
		}
	case []int32:
		if t.kind == kInt32 {
			return func(buf []byte, i int) ([]byte, error) {
				return binary.LittleEndian.AppendUint32(buf, uint32(v[i])), nil
			}, nil
		}
	case []int64:
		if t.kind == kInt64 {
			return func(buf []byte, i int) ([]byte, error) {
				return binary.LittleEndian.AppendUint64(buf, uint64(v[i])), nil
			}, nil
		}
	case []float64:
		if t.kind == kFloat64 {
			return func(buf []byte, i int) ([]byte, error) {
				return binary.LittleEndian.AppendUint64(buf, math.Float64bits(v[i])), nil
			}, nil
		}
	case []time.Time:
		if f := timeEncoder(t); f != nil {
			return func(buf []byte, i int) ([]byte, error) { return f(buf, v[i]) }, nil
		}
	case []decimal.Decimal:
		if t.kind == kDecimal {
			return func(buf []byte, i int) ([]byte, error) { return appendDecimal(buf, t, v[i]) }, nil
		}
	case [][]string:
		if t.kind == kArray && t.elem.kind == kString {
			return func(buf []byte, i int) ([]byte, error) {
				buf = binary.AppendUvarint(buf, uint64(len(v[i])))
				for _, s := range v[i] {
					buf = appendString(buf, s)
				}
				return buf, nil
			}, nil
		}
	}
	return nil, fmt.Errorf("cannot write %T into %s", values, t.name)
}

// nullableEncoder accepts a slice of pointers (nil is NULL) or a plain slice
// (never NULL) for a Nullable column.
func nullableEncoder(t *chType, values any) (encFunc, error) {
	switch v := values.(type) {
	case []*string:
		return nullablePtr(t, v)
	case []*time.Time:
		return nullablePtr(t, v)
	case []*decimal.Decimal:
		return nullablePtr(t, v)
	case []*float64:
		return nullablePtr(t, v)
	}
	inner, err := columnEncoder(t.elem, values)
	if err != nil {
		return nil, err
	}
	return func(buf []byte, i int) ([]byte, error) { return inner(append(buf, 0), i) }, nil
}

// nullablePtr encodes *T values through the element encoder bound to a
// one-element slice that each row overwrites: no allocation per value. The
// returned function is for one goroutine, like the encoder that owns it.
func nullablePtr[T any](t *chType, v []*T) (encFunc, error) {
	one := make([]T, 1)
	inner, err := columnEncoder(t.elem, one)
	if err != nil {
		return nil, err
	}
	return func(buf []byte, i int) ([]byte, error) {
		if v[i] == nil {
			return append(buf, 1), nil
		}
		one[0] = *v[i]
		return inner(append(buf, 0), 0)
	}, nil
}

func timeEncoder(t *chType) func(buf []byte, v time.Time) ([]byte, error) {
	le := binary.LittleEndian
	days := func(v time.Time) int64 {
		s := v.UTC().Unix()
		d := s / 86400
		if s%86400 < 0 {
			d--
		}
		return d
	}
	switch t.kind {
	case kDate:
		return func(buf []byte, v time.Time) ([]byte, error) {
			d := days(v)
			if d < 0 || d > math.MaxUint16 {
				return buf, fmt.Errorf("date %s is outside the range of Date", v.Format(time.DateOnly))
			}
			return le.AppendUint16(buf, uint16(d)), nil
		}
	case kDate32:
		return func(buf []byte, v time.Time) ([]byte, error) {
			return le.AppendUint32(buf, uint32(int32(days(v)))), nil
		}
	case kDateTime:
		return func(buf []byte, v time.Time) ([]byte, error) {
			s := v.Unix()
			if s < 0 || s > math.MaxUint32 {
				return buf, fmt.Errorf("time %s is outside the range of DateTime", v.Format(time.RFC3339))
			}
			return le.AppendUint32(buf, uint32(s)), nil
		}
	case kDateTime64:
		p := int64(math.Pow10(t.scale))
		return func(buf []byte, v time.Time) ([]byte, error) {
			s := v.Unix()*p + int64(v.Nanosecond())/int64(math.Pow10(9-t.scale))
			return le.AppendUint64(buf, uint64(s)), nil
		}
	}
	return nil
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// appendDecimal writes d scaled to the column's scale. A value with more
// fractional digits than the column keeps, or too many digits in all, is an
// error: money is never rounded silently.
func appendDecimal(buf []byte, t *chType, d decimal.Decimal) ([]byte, error) {
	// Fast path: a small coefficient scaled up by a power of ten, no big.Int.
	if shift := int(d.Exponent()) + t.scale; shift >= 0 && shift <= 18 && d.NumDigits()+shift <= 18 && t.precision <= 18 {
		v := d.CoefficientInt64() * pow10[shift]
		if v >= pow10[t.precision] || v <= -pow10[t.precision] {
			return buf, fmt.Errorf("%s does not fit %s", d, t.name)
		}
		if t.decimalBytes() == 4 {
			return binary.LittleEndian.AppendUint32(buf, uint32(int32(v))), nil
		}
		return binary.LittleEndian.AppendUint64(buf, uint64(v)), nil
	}
	scaled := d.Shift(int32(t.scale))
	if !scaled.Equal(scaled.Truncate(0)) {
		return buf, fmt.Errorf("%s has more than %d decimal places for %s", d, t.scale, t.name)
	}
	v := scaled.BigInt()
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.precision)), nil)
	if new(big.Int).Abs(v).Cmp(limit) >= 0 {
		return buf, fmt.Errorf("%s does not fit %s", d, t.name)
	}
	width := t.decimalBytes()
	if width <= 8 {
		x := v.Int64()
		if width == 4 {
			return binary.LittleEndian.AppendUint32(buf, uint32(int32(x))), nil
		}
		return binary.LittleEndian.AppendUint64(buf, uint64(x)), nil
	}
	// Two's complement, little-endian, width bytes.
	if v.Sign() < 0 {
		v.Add(v, new(big.Int).Lsh(big.NewInt(1), uint(8*width)))
	}
	be := v.FillBytes(make([]byte, width))
	for i := width - 1; i >= 0; i-- {
		buf = append(buf, be[i])
	}
	return buf, nil
}

// sliceLen reports the length of a supported Batch value slice.
func sliceLen(v any) (int, bool) {
	switch s := v.(type) {
	case []string:
		return len(s), true
	case []bool:
		return len(s), true
	case []uint8:
		return len(s), true
	case []uint16:
		return len(s), true
	case []uint32:
		return len(s), true
	case []uint64:
		return len(s), true
	case []int32:
		return len(s), true
	case []int64:
		return len(s), true
	case []float64:
		return len(s), true
	case []time.Time:
		return len(s), true
	case []decimal.Decimal:
		return len(s), true
	case []*string:
		return len(s), true
	case []*time.Time:
		return len(s), true
	case []*decimal.Decimal:
		return len(s), true
	case []*float64:
		return len(s), true
	case [][]string:
		return len(s), true
	}
	return 0, false
}
