package canonical

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsmetrics/opsmetrics/org"
	"github.com/shopspring/decimal"
)

// rawKind says what a field's value looked like in the input, before any
// conversion. CSV cells are always text; JSON keeps its own types so that a
// number stays the exact literal the sender wrote.
type rawKind uint8

const (
	absent  rawKind = iota // not given, empty, or JSON null
	text                   // a CSV cell or a JSON string
	number                 // a JSON number literal, kept verbatim
	boolean                // a JSON true or false; the text is "true" or "false"
	list                   // a JSON array of strings (or of numbers, as literals)
	other                  // any other JSON value (an object, a nested array); the text is its JSON
)

// raw is one field's value as read.
type raw struct {
	kind rawKind
	text string
	list []string
}

// display is the value as it is quoted back in a RowError.
func (v *raw) display() string {
	if v.kind == list {
		return strings.Join(v.list, ";")
	}
	return v.text
}

// Limits of the store's columns: Decimal(18, 4) for money leaves 14 integer
// digits, Decimal(18, 6) for hours leaves 12, Decimal(9, 6) for ratios 3.
var (
	minDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(2100, 12, 31, 0, 0, 0, 0, time.UTC)

	decOne = decimal.NewFromInt(1)
	dec24  = decimal.NewFromInt(24)
	dec40  = decimal.NewFromInt(40)
	dec168 = decimal.NewFromInt(168)
)

// decKind is how one decimal field is read and checked.
type decKind struct {
	scale     int32 // most decimals allowed
	digits    int   // most integer digits allowed
	signed    bool  // negative values allowed
	max       *decimal.Decimal
	maxDigits int    // integer digits of max
	maxWhy    string // the reason given when the value is above max
}

var (
	money       = decKind{scale: 4, digits: 14}
	signedMoney = decKind{scale: 4, digits: 14, signed: true}
	hours       = decKind{scale: 6, digits: 12}
	signedHours = decKind{scale: 6, digits: 12, signed: true}
	dayHours    = decKind{scale: 6, digits: 12, max: &dec24, maxDigits: 2, maxWhy: "more than 24 hours in one day"}
	entryHours  = decKind{scale: 6, digits: 12, max: &dec24, maxDigits: 2, maxWhy: "more than 24 hours in one time entry"}
	weekHours   = decKind{scale: 6, digits: 12, max: &dec168, maxDigits: 3, maxWhy: "more than 168 hours in one week"}
	ratio       = decKind{scale: 6, digits: 3, max: &decOne, maxDigits: 1, maxWhy: "must be between 0 and 1 (85% is 0.85)"}
)

// parseDecimal reads a decimal from text ('.' as the decimal separator, no
// thousands separators, no exponent) or from a JSON number (any JSON number,
// read exactly: 0.1 is 1/10, not the nearest float).
func parseDecimal(v *raw, k decKind) (decimal.Decimal, string) {
	var (
		d      decimal.Decimal
		ok     bool
		nint   int   // integer digits, without leading zeros
		nfrac  int32 // decimals, without trailing zeros
		digits bool  // nint and nfrac are known
	)
	if len(v.text) > 64 {
		return d, "too many digits"
	}
	switch v.kind {
	case text:
		if d, nint, nfrac, ok = plainDecimal(v.text); !ok {
			if strings.ContainsAny(v.text, ",'") {
				return d, "not a number: use '.' as the decimal separator and no thousands separators"
			}
			return d, "not a number"
		}
		digits = true
	case number:
		if d, nint, nfrac, ok = plainDecimal(v.text); ok {
			digits = true
			break
		}
		// Exponent forms are valid JSON and decimal parses them exactly, but
		// a huge exponent would make every later comparison allocate 10^exp.
		_, e, _ := strings.Cut(strings.ToLower(v.text), "e")
		e = strings.TrimLeft(e, "+-")
		if len(e) > 2 {
			return d, "too large, or too many decimals"
		}
		var err error
		if d, err = decimal.NewFromString(v.text); err != nil {
			return d, "not a number"
		}
	default:
		return d, "must be a number (or a string holding one)"
	}
	if !digits {
		nint, nfrac = intDigits(d), decimals(d)
	}
	if d.Sign() < 0 && !k.signed {
		return d, "must not be negative"
	}
	// Fewer integer digits than the bound has proves the value below it,
	// without the allocations of a decimal comparison.
	if k.max != nil && nint >= k.maxDigits && d.GreaterThan(*k.max) {
		return d, k.maxWhy
	}
	if nfrac > k.scale {
		if k.scale == 4 {
			return d, "more than 4 decimals"
		}
		return d, "more than 6 decimals"
	}
	if nint > k.digits {
		return d, "too large"
	}
	return d, ""
}

// plainDecimal parses [+-]?digits(.digits)?, without big-number arithmetic
// when the digits fit in an int64, which is every realistic value. It also
// returns the integer digits without leading zeros and the decimals without
// trailing zeros.
func plainDecimal(s string) (d decimal.Decimal, nint int, nfrac int32, ok bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		i++
	}
	var n uint64
	nd, scale, dot := 0, int32(0), false
	lead := true            // still in leading zeros of the integer part
	lastNonZero := int32(0) // scale at the last non-zero decimal
	start := i
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if nd < 18 {
				n = n*10 + uint64(c-'0')
			}
			nd++
			if dot {
				scale++
				if c != '0' {
					lastNonZero = scale
				}
			} else if c != '0' || !lead {
				lead = false
				nint++
			}
		case c == '.' && !dot && i > start && i+1 < len(s):
			dot = true
		default:
			return d, 0, 0, false
		}
	}
	if nd == 0 {
		return d, 0, 0, false
	}
	if nd > 18 {
		var err error
		d, err = decimal.NewFromString(s)
		return d, nint, lastNonZero, err == nil
	}
	v := int64(n)
	if neg {
		v = -v
	}
	return decimal.New(v, -scale), nint, lastNonZero, true
}

// decimals is the number of decimals d needs (trailing zeros do not count).
func decimals(d decimal.Decimal) int32 {
	exp := d.Exponent()
	if exp >= 0 || d.IsZero() {
		return 0
	}
	c := d.Coefficient().String()
	t := strings.TrimRight(c, "0")
	n := -exp - int32(len(c)-len(t))
	return max(n, 0)
}

// intDigits is the number of digits before the decimal point.
func intDigits(d decimal.Decimal) int {
	n := d.Abs().Truncate(0)
	if n.IsZero() {
		return 0
	}
	return len(n.String())
}

// parseDate reads an ISO date YYYY-MM-DD as UTC midnight.
func parseDate(v *raw) (time.Time, string) {
	if v.kind != text {
		return time.Time{}, "must be a date YYYY-MM-DD (a string)"
	}
	s := v.text
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, "must be a date YYYY-MM-DD"
	}
	y, m, d := atoi(s[0:4]), atoi(s[5:7]), atoi(s[8:10])
	if y < 0 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return time.Time{}, "must be a date YYYY-MM-DD"
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Before(minDate) || t.After(maxDate) {
		return time.Time{}, "must be between 2000-01-01 and 2100-12-31"
	}
	return t, ""
}

// parseTimestamp reads an RFC 3339 timestamp with a UTC offset and returns it
// in UTC.
func parseTimestamp(v *raw) (time.Time, string) {
	const want = "must be an RFC 3339 timestamp with an offset, such as 2026-03-02T14:30:00Z or 2026-03-02T15:30:00+01:00"
	if v.kind != text {
		return time.Time{}, want
	}
	// time.Parse also accepts a lowercase t or z and one-digit hours in a few
	// layouts; the length and separator checks keep to the RFC.
	s := v.text
	if len(s) < 20 || s[10] != 'T' {
		return time.Time{}, want
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, want
	}
	t = t.UTC()
	if t.Before(minDate) || !t.Before(maxDate.AddDate(0, 0, 1)) {
		return time.Time{}, "must be between 2000-01-01 and 2100-12-31"
	}
	return t, ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// parseBool reads true/false, and in text also 1/0 and yes/no, in any case.
func parseBool(v *raw) (bool, string) {
	const want = "must be true or false"
	switch v.kind {
	case boolean:
		return v.text == "true", ""
	case text:
		switch strings.ToLower(v.text) {
		case "true", "1", "yes":
			return true, ""
		case "false", "0", "no":
			return false, ""
		}
	}
	return false, want
}

// parseText reads free text: a JSON string or a CSV cell.
func parseText(v *raw) (string, string) {
	if v.kind != text {
		return "", "must be a string"
	}
	return v.text, ""
}

// maxIDLen bounds ids, which are part of every natural key.
const maxIDLen = 512

// parseID reads an external id: a string, or a JSON integer (many APIs use
// numeric ids).
func parseID(v *raw) (string, string) {
	switch v.kind {
	case text:
	case number:
		if strings.ContainsAny(v.text, ".eE") {
			return "", "must be a string or an integer"
		}
	default:
		return "", "must be a string or an integer"
	}
	if len(v.text) > maxIDLen {
		return "", "longer than 512 bytes"
	}
	for i := 0; i < len(v.text); i++ {
		if v.text[i] < 0x20 || v.text[i] == 0x7f {
			return "", "contains a control character"
		}
	}
	return v.text, ""
}

// parseList reads a JSON array of strings, or text separated by ';'. Items
// are trimmed and empty ones dropped.
func parseList(v *raw) ([]string, string) {
	var items []string
	switch v.kind {
	case list:
		// The scanner's slice is this row's own: keep it when it is clean.
		if !slices.ContainsFunc(v.list, func(s string) bool { return s == "" || s != strings.TrimSpace(s) }) {
			if len(v.list) == 0 {
				return nil, ""
			}
			return v.list, ""
		}
		items = make([]string, 0, len(v.list))
		for _, s := range v.list {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
	case text:
		n := strings.Count(v.text, ";") + 1
		items = make([]string, 0, n)
		for s := range strings.SplitSeq(v.text, ";") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
	default:
		return nil, "must be an array of strings, or a string separated by ';'"
	}
	if len(items) == 0 {
		return nil, ""
	}
	return items, ""
}

// parseEnum reads one of allowed.
func parseEnum(v *raw, allowed []string) (string, string) {
	if v.kind == text {
		for _, a := range allowed {
			if v.text == a {
				return a, ""
			}
		}
	}
	return "", "must be one of " + strings.Join(allowed, ", ")
}

// parseToken reads a snake_case word such as a task event type.
func parseToken(v *raw) (string, string) {
	const want = "must be a snake_case word such as status_changed"
	if v.kind != text || len(v.text) > 64 {
		return "", want
	}
	s := v.text
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return "", want
		}
	}
	return s, ""
}

// parseSource reads a source name, part of every natural key.
func parseSource(v *raw) (string, string) {
	const want = "must be a short lowercase name such as csv, api or harvest (letters, digits, '_', '-', '.')"
	if v.kind != text || len(v.text) > 64 {
		return "", want
	}
	s := v.text
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '_' || c == '-' || c == '.')) {
			return "", want
		}
	}
	return s, ""
}

// parseCurrency reads an ISO 4217 code, in either case, as upper case.
func parseCurrency(v *raw) (string, string) {
	const want = "must be a three-letter ISO 4217 code such as EUR"
	if v.kind != text || len(v.text) != 3 {
		return "", want
	}
	b := []byte(v.text)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		default:
			return "", want
		}
	}
	return string(b), ""
}

// parseEmail reads an address loosely: one '@' with text on both sides and
// no spaces. Mail delivery is not our business; catching a name typed into
// the email column is.
func parseEmail(v *raw) (string, string) {
	const want = "must be an email address such as ana@example.com"
	if v.kind != text {
		return "", want
	}
	s := v.text
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 || strings.ContainsAny(s, " \t<>,;") {
		return "", want
	}
	return s, ""
}

// parseWorkdays reads days (org.ParseWorkdays), or a JSON array of day
// names, as a bitmask with bit 0 = Monday.
func parseWorkdays(v *raw) (uint8, string) {
	switch v.kind {
	case text:
		return org.ParseWorkdays(v.text)
	case list:
		return org.ParseWorkdays(strings.Join(v.list, ","))
	}
	return org.ParseWorkdays("")
}

// validUTF8 reports whether every string is UTF-8.
func validUTF8(ss []string) (int, bool) {
	for i, s := range ss {
		if !utf8.ValidString(s) {
			return i, false
		}
	}
	return 0, true
}
