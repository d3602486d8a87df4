package metrics

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// A capacity question is asked in three places: the CLI (flags), the API
// (a query or a JSON body) and the capacity page (a link or its form). What
// they have in common is read here, once: a role's hours per week
// (ParseNeed), the default dates (Today, ParseCapacityRange) and the
// defaults and bounds of the request types.

const (
	// MaxNeedHours bounds one role's hours per week, so a typo (or
	// "1e9999") is a message, not a search.
	MaxNeedHours = 10000
	// DefaultHorizonWeeks is how far ahead an earliest-start search looks
	// unless told.
	DefaultHorizonWeeks = 52
	// DefaultCapacityWeeks is how many weeks a capacity grid spans unless
	// its end is given.
	DefaultCapacityWeeks = 12
	// DefaultCapacityBy is what a capacity grid is by unless told.
	DefaultCapacityBy = "role"
)

// NeedError is a role's hours per week that cannot be read. It wraps
// ErrBadRequest. Part is what is wrong: "need" (not ROLE=HOURS) or
// "hours".
type NeedError struct {
	Need, Role, Hours string // as written
	Part              string
	Why               string // for the hours: what is wrong with them
}

func (e *NeedError) Error() string {
	if e.Part == "need" {
		return fmt.Sprintf("%q: want ROLE=HOURS_PER_WEEK, e.g. designer=20", e.Need)
	}
	return fmt.Sprintf("role %q: %s", e.Role, e.Why)
}

// Unwrap makes a NeedError an ErrBadRequest for errors.Is.
func (e *NeedError) Unwrap() error { return ErrBadRequest }

// SplitNeed splits a role's need written ROLE=HOURS, or ROLE:HOURS (the
// capacity page's first links), at its last separator, both parts trimmed.
// Without a separator the whole is the role, hours are "" and ok is false.
// The canonical form, the one opsmetrics writes, is ROLE=HOURS.
func SplitNeed(s string) (role, hours string, ok bool) {
	i := strings.LastIndexAny(s, "=:")
	if i < 0 {
		return strings.TrimSpace(s), "", false
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), true
}

// ParseNeed reads a role's need written ROLE=HOURS or ROLE:HOURS (see
// SplitNeed), its hours as ParseNeedHours reads them. Errors: *NeedError.
func ParseNeed(s string) (string, decimal.Decimal, error) {
	role, hours, ok := SplitNeed(s)
	if !ok || role == "" {
		return "", decimal.Decimal{}, &NeedError{Need: s, Role: role, Hours: hours, Part: "need"}
	}
	h, err := ParseNeedHours(role, hours)
	if err != nil {
		err.(*NeedError).Need = s
	}
	return role, h, err
}

// ParseNeedHours reads role's hours per week: a number more than 0 and at
// most MaxNeedHours. Errors: *NeedError of the part "hours", saying which
// rule s breaks.
func ParseNeedHours(role, s string) (decimal.Decimal, error) {
	bad := func(format string, args ...any) (decimal.Decimal, error) {
		return decimal.Decimal{}, &NeedError{Role: role, Hours: s, Part: "hours", Why: fmt.Sprintf(format, args...)}
	}
	h, err := strconv.ParseFloat(s, 64)
	switch {
	case s == "":
		return bad("give its hours per week")
	case err != nil && !errors.Is(err, strconv.ErrRange): // out of range is too many (or too few) hours
		return bad("hours per week %q is not a number", s)
	case !(h > 0): // also NaN
		return bad("hours per week must be more than 0 (got %s)", s)
	case h > MaxNeedHours:
		return bad("%s hours per week is more than %d", s, MaxNeedHours)
	}
	return decimal.NewFromFloat(h), nil
}

// Today is now's calendar day (in now's location) as UTC midnight: the
// default first day of a capacity grid and of an earliest-start search.
func Today(now time.Time) time.Time {
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseCapacityRange reads a capacity grid's first day and the day after
// its last, as YYYY-MM-DD. An empty from is today (Today(now)); an empty to
// is DefaultCapacityWeeks after from. An error (ErrBadRequest) starts with
// the name of the date it is about, "from" or "to".
func ParseCapacityRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	f := Today(now)
	var why string
	if from != "" {
		if f, why = ParseDay(from); why != "" {
			return f, f, badf("from %q: %s", from, why)
		}
	}
	t := f.AddDate(0, 0, 7*DefaultCapacityWeeks)
	if to != "" {
		if t, why = ParseDay(to); why != "" {
			return f, t, badf("to %q: %s", to, why)
		}
	}
	return f, t, nil
}
