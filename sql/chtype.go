package sql

import (
	"fmt"
	"strconv"
	"strings"
)

// kind is the family of a ClickHouse type, as far as opsmetrics encodes and
// decodes it.
type kind int

const (
	kString kind = iota + 1
	kFixedString
	kBool
	kUInt8
	kUInt16
	kUInt32
	kUInt64
	kInt8
	kInt16
	kInt32
	kInt64
	kFloat32
	kFloat64
	kDecimal
	kDate
	kDate32
	kDateTime
	kDateTime64
	kUUID
	kEnum8
	kEnum16
	kNullable
	kArray
	kNothing
	kIdentifier // a query parameter naming a table or column: {t:Identifier}
)

// chType is a parsed ClickHouse type name. LowCardinality(T) parses as T: it
// changes storage, not values, and RowBinary encodes it as T.
type chType struct {
	kind      kind
	name      string  // the full type name as ClickHouse wrote it
	elem      *chType // Nullable and Array
	precision int     // Decimal
	scale     int     // Decimal and DateTime64
	size      int     // FixedString
	enum      map[int16]string
}

// parseType parses a ClickHouse type name such as
// "Nullable(Decimal(18, 4))" or "DateTime64(3, 'UTC')".
func parseType(s string) (*chType, error) {
	s = strings.TrimSpace(s)
	name, args := s, ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		if !strings.HasSuffix(s, ")") {
			return nil, fmt.Errorf("unsupported ClickHouse type %q", s)
		}
		name, args = s[:i], s[i+1:len(s)-1]
	}
	t := &chType{name: s}
	simple := map[string]kind{
		"String": kString, "Bool": kBool, "UInt8": kUInt8, "UInt16": kUInt16, "UInt32": kUInt32,
		"UInt64": kUInt64, "Int8": kInt8, "Int16": kInt16, "Int32": kInt32, "Int64": kInt64,
		"Float32": kFloat32, "Float64": kFloat64, "Date": kDate, "Date32": kDate32,
		"DateTime": kDateTime, "UUID": kUUID, "Nothing": kNothing, "Identifier": kIdentifier,
	}
	if k, ok := simple[name]; ok {
		t.kind = k // DateTime('UTC') keeps its zone in args; values are UTC instants either way
		return t, nil
	}
	var err error
	switch name {
	case "LowCardinality":
		return parseType(args)
	case "Nullable", "Array":
		t.kind = kNullable
		if name == "Array" {
			t.kind = kArray
		}
		t.elem, err = parseType(args)
		return t, err
	case "FixedString":
		t.kind = kFixedString
		t.size, err = strconv.Atoi(strings.TrimSpace(args))
		return t, err
	case "DateTime64":
		t.kind = kDateTime64
		p, _, _ := strings.Cut(args, ",")
		t.scale, err = strconv.Atoi(strings.TrimSpace(p))
		return t, err
	case "Decimal", "Decimal32", "Decimal64", "Decimal128", "Decimal256":
		t.kind = kDecimal
		return t, parseDecimalArgs(t, name, args)
	case "Enum8", "Enum16":
		t.kind = kEnum8
		if name == "Enum16" {
			t.kind = kEnum16
		}
		t.enum, err = parseEnum(args)
		return t, err
	}
	return nil, fmt.Errorf("unsupported ClickHouse type %q", s)
}

func parseDecimalArgs(t *chType, name, args string) error {
	parts := strings.Split(args, ",")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return fmt.Errorf("decimal type %s(%s): %w", name, args, err)
		}
		nums[i] = n
	}
	switch {
	case name == "Decimal" && len(nums) == 2:
		t.precision, t.scale = nums[0], nums[1]
	case name != "Decimal" && len(nums) == 1:
		t.precision = map[string]int{"Decimal32": 9, "Decimal64": 18, "Decimal128": 38, "Decimal256": 76}[name]
		t.scale = nums[0]
	default:
		return fmt.Errorf("decimal type %s(%s): want precision and scale", name, args)
	}
	return nil
}

// decimalBytes is the width of a Decimal's binary representation.
func (t *chType) decimalBytes() int {
	switch {
	case t.precision <= 9:
		return 4
	case t.precision <= 18:
		return 8
	case t.precision <= 38:
		return 16
	}
	return 32
}

func parseEnum(args string) (map[int16]string, error) {
	m := map[int16]string{}
	rest := strings.TrimSpace(args)
	for rest != "" {
		if rest[0] != '\'' {
			return nil, fmt.Errorf("enum values %q", args)
		}
		name, n, err := readQuoted(rest)
		if err != nil {
			return nil, err
		}
		rest = strings.TrimSpace(rest[n:])
		rest = strings.TrimSpace(strings.TrimPrefix(rest, "="))
		end := strings.IndexByte(rest, ',')
		num := rest
		if end >= 0 {
			num, rest = rest[:end], strings.TrimSpace(rest[end+1:])
		} else {
			rest = ""
		}
		v, err := strconv.Atoi(strings.TrimSpace(num))
		if err != nil {
			return nil, fmt.Errorf("enum value %q: %w", num, err)
		}
		m[int16(v)] = name
	}
	return m, nil
}

// readQuoted reads a single-quoted ClickHouse string literal at the start of s,
// returning its value and the number of bytes consumed.
func readQuoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '\'':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unterminated string in %q", s)
}
