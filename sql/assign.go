package sql

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Assign stores a normalized result value (see Rows) into dest. It converts
// between integer widths, integers to floats and decimals, and decimals to
// floats for display; a NULL needs a pointer-to-pointer (**string) or *any.
func Assign(dest, src any) error {
	switch d := dest.(type) {
	case *any:
		*d = src
		return nil
	case **string:
		return assignPtr(d, src)
	case **decimal.Decimal:
		return assignPtr(d, src)
	case **time.Time:
		return assignPtr(d, src)
	case **float64:
		return assignPtr(d, src)
	case **int64:
		return assignPtr(d, src)
	}
	if src == nil {
		return fmt.Errorf("NULL into %T (scan into a pointer to a pointer)", dest)
	}
	switch d := dest.(type) {
	case *string:
		if s, ok := src.(string); ok {
			*d = s
			return nil
		}
	case *bool:
		switch s := src.(type) {
		case bool:
			*d = s
			return nil
		case uint64:
			*d = s != 0
			return nil
		}
	case *time.Time:
		if s, ok := src.(time.Time); ok {
			*d = s
			return nil
		}
	case *int64:
		switch s := src.(type) {
		case int64:
			*d = s
			return nil
		case uint64:
			*d = int64(s)
			return nil
		}
	case *int:
		switch s := src.(type) {
		case int64:
			*d = int(s)
			return nil
		case uint64:
			*d = int(s)
			return nil
		}
	case *uint64:
		switch s := src.(type) {
		case uint64:
			*d = s
			return nil
		case int64:
			*d = uint64(s)
			return nil
		}
	case *float64:
		switch s := src.(type) {
		case float64:
			*d = s
			return nil
		case int64:
			*d = float64(s)
			return nil
		case uint64:
			*d = float64(s)
			return nil
		case decimal.Decimal:
			*d = s.InexactFloat64()
			return nil
		}
	case *decimal.Decimal:
		switch s := src.(type) {
		case decimal.Decimal:
			*d = s
			return nil
		case int64:
			*d = decimal.NewFromInt(s)
			return nil
		case uint64:
			*d = decimal.NewFromUint64(s)
			return nil
		}
	case *[]string:
		if s, ok := src.([]any); ok {
			out := make([]string, len(s))
			for i, e := range s {
				if err := Assign(&out[i], e); err != nil {
					return err
				}
			}
			*d = out
			return nil
		}
	}
	return fmt.Errorf("cannot store %T into %T", src, dest)
}

func assignPtr[T any](d **T, src any) error {
	if src == nil {
		*d = nil
		return nil
	}
	v := new(T)
	if err := Assign(v, src); err != nil {
		return err
	}
	*d = v
	return nil
}
