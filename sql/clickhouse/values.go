package clickhouse

import (
	"fmt"
	"reflect"
	"time"

	"github.com/shopspring/decimal"
)

// normalize converts a value scanned into clickhouse-go's scan type for its
// column to the Go type store.Rows documents.
func normalize(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface: // Nullable, or Dynamic/Variant values
		if v.IsNil() {
			return nil
		}
		return normalize(v.Elem())
	}
	// Checked before kinds: net.IP is a byte slice, and a Decimal or time is a
	// Stringer that must keep its type.
	switch x := v.Interface().(type) {
	case time.Time:
		return x.UTC()
	case decimal.Decimal:
		return x
	case fmt.Stringer: // UUID, IPv4, IPv6
		return x.String()
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.Bool:
		return v.Bool()
	case reflect.String: // String, FixedString, Enum, LowCardinality(String)
		return v.String()
	case reflect.Slice: // Array
		out := make([]any, v.Len())
		for i := range out {
			out[i] = normalize(v.Index(i))
		}
		return out
	}
	return v.Interface()
}

// columnValues adapts a store.Batch value slice to what clickhouse-go appends
// to a column of type colType. Times go in as UTC: clickhouse-go writes a Date
// as the calendar day in the time's own zone, and store.Batch promises the UTC
// day. A []bool goes into a UInt8 column as 0 and 1, as on servers without a
// Bool type.
func columnValues(colType string, v any) any {
	switch x := v.(type) {
	case []time.Time:
		out := make([]time.Time, len(x))
		for i, t := range x {
			out[i] = t.UTC()
		}
		return out
	case []*time.Time:
		out := make([]*time.Time, len(x))
		for i, t := range x {
			if t != nil {
				u := t.UTC()
				out[i] = &u
			}
		}
		return out
	case []bool:
		if colType != "UInt8" {
			return v
		}
		out := make([]uint8, len(x))
		for i, b := range x {
			if b {
				out[i] = 1
			}
		}
		return out
	}
	return v
}
