package sql

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/shopspring/decimal"
)

// This file encodes and decodes ClickHouse's RowBinary format, which the
// embedded engine uses for inserts and results: fixed-width little-endian
// numbers and length-prefixed strings, so no value is parsed from text.

var errShort = errors.New("truncated RowBinary data")

// DecodeRowBinaryWithNamesAndTypes decodes a RowBinaryWithNamesAndTypes result
// into normalized values (see Rows). The input buffer is not retained.
func DecodeRowBinaryWithNamesAndTypes(buf []byte) (*Rows, error) {
	d := &decoder{buf: buf}
	if len(buf) == 0 {
		return &Rows{}, nil // statements without a result send nothing
	}
	n, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	cols := make([]Column, n)
	types := make([]*chType, n)
	for i := range cols {
		if cols[i].Name, err = d.string(); err != nil {
			return nil, err
		}
	}
	for i := range cols {
		if cols[i].Type, err = d.string(); err != nil {
			return nil, err
		}
		if types[i], err = parseType(cols[i].Type); err != nil {
			return nil, err
		}
	}
	rows := &Rows{Columns: cols}
	for d.off < len(d.buf) {
		row := make([]any, n)
		for i, t := range types {
			if row[i], err = d.value(t); err != nil {
				return nil, fmt.Errorf("row %d column %s: %w", len(rows.Data), cols[i].Name, err)
			}
		}
		rows.Data = append(rows.Data, row)
	}
	return rows, nil
}

// fixedWidth is the RowBinary size of each fixed-width kind.
var fixedWidth = [...]int{
	kBool: 1, kUInt8: 1, kInt8: 1, kEnum8: 1, kUInt16: 2, kInt16: 2, kEnum16: 2, kDate: 2,
	kUInt32: 4, kInt32: 4, kFloat32: 4, kDate32: 4, kDateTime: 4,
	kUInt64: 8, kInt64: 8, kFloat64: 8, kDateTime64: 8, kUUID: 16, kNothing: 0,
}

type decoder struct {
	buf []byte
	off int
}

func (d *decoder) take(n int) ([]byte, error) {
	if n < 0 || d.off+n > len(d.buf) {
		return nil, errShort
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b, nil
}

func (d *decoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 {
		return 0, errShort
	}
	d.off += n
	return v, nil
}

func (d *decoder) string() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	b, err := d.take(int(n))
	return string(b), err
}

func (d *decoder) value(t *chType) (any, error) {
	switch t.kind {
	case kString:
		return d.string()
	case kNullable:
		b, err := d.take(1)
		if err != nil || b[0] != 0 {
			return nil, err
		}
		return d.value(t.elem)
	case kArray:
		n, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = d.value(t.elem); err != nil {
				return nil, err
			}
		}
		return out, nil
	case kFixedString:
		b, err := d.take(t.size)
		return string(trimZeros(b)), err
	case kNothing:
		return nil, nil
	}
	width := fixedWidth[t.kind]
	if t.kind == kDecimal {
		width = t.decimalBytes()
	}
	b, err := d.take(width)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	switch t.kind {
	case kBool:
		return b[0] != 0, nil
	case kUInt8:
		return uint64(b[0]), nil
	case kUInt16:
		return uint64(le.Uint16(b)), nil
	case kUInt32:
		return uint64(le.Uint32(b)), nil
	case kUInt64:
		return le.Uint64(b), nil
	case kInt8:
		return int64(int8(b[0])), nil
	case kInt16:
		return int64(int16(le.Uint16(b))), nil
	case kInt32:
		return int64(int32(le.Uint32(b))), nil
	case kInt64:
		return int64(le.Uint64(b)), nil
	case kFloat32:
		return float64(math.Float32frombits(le.Uint32(b))), nil
	case kFloat64:
		return math.Float64frombits(le.Uint64(b)), nil
	case kEnum8:
		return t.enum[int16(int8(b[0]))], nil
	case kEnum16:
		return t.enum[int16(le.Uint16(b))], nil
	case kDate:
		return time.Unix(int64(le.Uint16(b))*86400, 0).UTC(), nil
	case kDate32:
		return time.Unix(int64(int32(le.Uint32(b)))*86400, 0).UTC(), nil
	case kDateTime:
		return time.Unix(int64(le.Uint32(b)), 0).UTC(), nil
	case kDateTime64:
		return fromScaled(int64(le.Uint64(b)), t.scale), nil
	case kUUID:
		return formatUUID(b), nil
	case kDecimal:
		return decodeDecimal(b, t.scale), nil
	}
	return nil, fmt.Errorf("cannot decode %s", t.name)
}

func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

func fromScaled(v int64, scale int) time.Time {
	p := int64(math.Pow10(scale))
	sec, frac := v/p, v%p
	if frac < 0 {
		sec, frac = sec-1, frac+p
	}
	return time.Unix(sec, frac*int64(math.Pow10(9-scale))).UTC()
}

// formatUUID writes ClickHouse's UUID layout (two little-endian halves) as text.
func formatUUID(b []byte) string {
	var u [16]byte
	for i := 0; i < 8; i++ {
		u[i] = b[7-i]
		u[8+i] = b[15-i]
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func decodeDecimal(b []byte, scale int) decimal.Decimal {
	le := binary.LittleEndian
	switch len(b) {
	case 4:
		return decimal.New(int64(int32(le.Uint32(b))), int32(-scale))
	case 8:
		return decimal.New(int64(le.Uint64(b)), int32(-scale))
	}
	// Wider decimals: little-endian two's complement.
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return decimal.NewFromBigInt(v, int32(-scale))
}
