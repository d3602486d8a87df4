package org

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ErrBadSetting is what every BadSettingError is (errors.Is).
var ErrBadSetting = errors.New("bad org setting")

// BadSettingError is a setting that cannot be applied. Msg names the
// setting and its value and says what is wrong, for the person who sent it
// as it is (the API's 400); Error prefixes ErrBadSetting's text.
type BadSettingError struct{ Msg string }

func (e *BadSettingError) Error() string { return ErrBadSetting.Error() + ": " + e.Msg }

// Is makes errors.Is(err, ErrBadSetting) true.
func (e *BadSettingError) Is(target error) bool { return target == ErrBadSetting }

// Patch changes some of an org's settings; a nil field stays as it is.
type Patch struct {
	// Name is what dashboards and alerts call the org.
	Name *string `json:"name,omitempty"`
	// TimeZone is an IANA zone such as Europe/Berlin: days, weeks and months
	// of every KPI start at midnight there.
	TimeZone *string `json:"time_zone,omitempty"`
	// Currency is the ISO code every amount of the org is in.
	Currency *string `json:"currency,omitempty"`
	// Workdays are the working week's days, such as mon-fri or
	// mon,tue,wed,thu: available hours, business hours and workday counts
	// follow them.
	Workdays *string `json:"workdays,omitempty"`
	// BusinessHours are the hours of approval time's business hours, such
	// as 09:00-17:00.
	BusinessHours *string `json:"business_hours,omitempty"`
	// GraceDays is how many days after its due date a delivery still counts
	// as on time.
	GraceDays *int `json:"grace_days,omitempty"`
	// OverheadPerHour is added to the cost of every hour worked, in the
	// org's currency (rent, tools, management), with at most 4 decimals.
	OverheadPerHour *Text `json:"overhead_per_hour,omitempty"`
	// StuckReviewHours is how long a client review may wait for a decision
	// before it counts as stuck (pending_reviews, the approvals page, the
	// stuck-reviews alert).
	StuckReviewHours *int `json:"stuck_review_hours,omitempty"`
}

// Text is a JSON string or number, kept as its text: an amount may come
// either way, and a number is never read through a float.
type Text string

// UnmarshalJSON accepts a string or a number.
func (t *Text) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		*t = Text(s)
		return err
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("want a number or a string")
	}
	*t = Text(n)
	return nil
}

// Apply checks p and applies it to s; a patch with any bad setting changes
// nothing. Errors are *BadSettingError, naming the field and value.
func (p Patch) Apply(s *Settings) error {
	bad := func(field, value, why string) error {
		return &BadSettingError{Msg: fmt.Sprintf("%s %q: %s", field, value, why)}
	}
	next := *s
	if p.Name != nil {
		name := strings.TrimSpace(*p.Name)
		if name == "" || len(name) > 200 || strings.ContainsFunc(name, isControl) {
			return bad("name", *p.Name, "must be 1 to 200 characters, no control characters")
		}
		next.Name = name
	}
	if p.TimeZone != nil {
		tz := strings.TrimSpace(*p.TimeZone)
		if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
			return bad("time_zone", *p.TimeZone, "not a time zone; use an IANA name such as Europe/Berlin or America/New_York")
		}
		next.TimeZone = tz
	}
	if p.Currency != nil {
		c, why := CurrencyCode(*p.Currency)
		if why == "" && c == "" {
			why = "empty"
		}
		if why != "" {
			return bad("currency", *p.Currency, why)
		}
		next.Currency = c
	}
	if p.Workdays != nil {
		w, why := ParseWorkdays(*p.Workdays)
		if why != "" {
			return bad("workdays", *p.Workdays, why)
		}
		next.Workdays = w
	}
	if p.BusinessHours != nil {
		start, end, ok := parseHoursRange(*p.BusinessHours)
		if !ok {
			return bad("business_hours", *p.BusinessHours, "must be a start and an end time such as 09:00-17:00, the start first")
		}
		next.DayStart, next.DayEnd = start, end
	}
	if p.GraceDays != nil {
		if *p.GraceDays < 0 || *p.GraceDays > MaxGraceDays {
			return bad("grace_days", fmt.Sprint(*p.GraceDays), fmt.Sprintf("must be from 0 to %d", MaxGraceDays))
		}
		next.GraceDays = uint16(*p.GraceDays)
	}
	if p.OverheadPerHour != nil {
		v := string(*p.OverheadPerHour)
		d, err := decimal.NewFromString(strings.TrimSpace(v))
		switch {
		case err != nil || strings.ContainsAny(v, "eE"):
			return bad("overhead_per_hour", v, "not a number; use '.' as the decimal separator")
		case d.Sign() < 0:
			return bad("overhead_per_hour", v, "must not be negative")
		case !d.Equal(d.Truncate(4)):
			return bad("overhead_per_hour", v, "more than 4 decimals")
		case d.GreaterThanOrEqual(decimal.New(1, 14)):
			return bad("overhead_per_hour", v, "too large")
		}
		next.OverheadPerHour = d
	}
	if p.StuckReviewHours != nil {
		if *p.StuckReviewHours < 1 || *p.StuckReviewHours > MaxStuckReviewHours {
			return bad("stuck_review_hours", fmt.Sprint(*p.StuckReviewHours), fmt.Sprintf("must be from 1 to %d", MaxStuckReviewHours))
		}
		next.StuckReviewHours = uint16(*p.StuckReviewHours)
	}
	*s = next
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

var dayNames = map[string]int{
	"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
	"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}

// ParseWorkdays reads days such as "mon,tue,wed,thu,fri" (',' ';' or
// spaces between them, ranges such as "mon-fri" allowed, any case) as a
// bitmask with bit 0 = Monday. reason is "" on success.
func ParseWorkdays(s string) (mask uint8, reason string) {
	const want = "must be days such as mon,tue,wed,thu,fri or mon-fri"
	for tok := range strings.FieldsFuncSeq(strings.ToLower(s), func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t'
	}) {
		from, to, isRange := strings.Cut(tok, "-")
		a, ok := dayNames[from]
		if !ok {
			return 0, want
		}
		b := a
		if isRange {
			if b, ok = dayNames[to]; !ok || b < a {
				return 0, want
			}
		}
		for d := a; d <= b; d++ {
			mask |= 1 << d
		}
	}
	if mask == 0 {
		return 0, want
	}
	return mask, ""
}

// FormatWorkdays writes a workday mask as ParseWorkdays reads it.
func FormatWorkdays(mask uint8) string {
	var days []string
	for d, name := range [...]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		if mask&(1<<d) != 0 {
			days = append(days, name)
		}
	}
	return strings.Join(days, ",")
}

// parseHoursRange reads "09:00-17:00" (also "9:00 - 17:30") as minutes after
// midnight, the start before the end; "24:00" ends a day.
func parseHoursRange(s string) (start, end uint16, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	minutes := func(t string) (uint16, bool) {
		h, m, found := strings.Cut(strings.TrimSpace(t), ":")
		if !found || len(h) < 1 || len(h) > 2 || len(m) != 2 {
			return 0, false
		}
		var hh, mm int
		if _, err := fmt.Sscanf(h+" "+m, "%d %d", &hh, &mm); err != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm > 0) {
			return 0, false
		}
		return uint16(hh*60 + mm), true
	}
	start, okA := minutes(a)
	end, okB := minutes(b)
	return start, end, okA && okB && start < end
}

func clock(minutes uint16) string { return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60) }
