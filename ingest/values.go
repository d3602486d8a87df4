package ingest

// Value parsers shared by the export parsers. Each returns the value and a
// reason: "" when the value is good, else a short plain sentence for
// RowError.Reason ("negative hours", "not a date ..."). They never panic and
// allocate nothing beyond the decimal they return.

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Reasons the value parsers return, for callers and tests that compare them.
const (
	ReasonNegativeHours = "negative hours"
	ReasonTooManyHours  = "more than 24 hours in one entry"
	ReasonDateOrder     = "ambiguous date: pass --date-order mdy|dmy"
)

// NumberLocale reads the decimal numbers of one file, whose locale is not
// stated anywhere, and learns the file's decimal separator from the values
// it has seen. The zero value is ready to use. One file, one NumberLocale:
// it is not safe for concurrent use.
//
// The rule, per value (after an optional sign; spaces, no-break spaces and
// apostrophes are always thousands separators):
//
//   - Both '.' and ',' present: the last one is the decimal separator and the
//     other groups thousands ("1,234.50", "2.000,0").
//   - One kind repeated ("1,234,567", "2.000.000"): it groups thousands.
//   - A single ',' or '.' followed by 1, 2 or more than 3 digits ("1,5",
//     "0.25", "1.2345"), or with a zero integer part ("0,250"): it is the
//     decimal separator.
//   - A single ',' or '.' followed by exactly 3 digits ("1,500", "1.500") is
//     ambiguous. It reads with the separator this file has already shown to
//     be decimal (the first unambiguous value above settles it), and with '.'
//     as the decimal separator while the file has shown nothing yet: "1,500"
//     is then 1500 and "1.500" is 1.5. A value read before the file settled
//     its locale is not re-read: that is the price of streaming.
//
// Thousands groups are checked: after the first group (1-3 digits) each
// group has exactly 3 digits, and none follow the decimal separator.
type NumberLocale struct {
	dec  byte                // '.' or ',' once learned; 0 while unknown
	memo *[memoSize]memoSlot // see cached; nil until the first number
}

// memoSize is how many decimals a NumberLocale remembers. Rates and hours
// repeat on most rows of an export (a million rows of one had 527 distinct
// numbers), so remembering them saves the two allocations of every
// decimal.Decimal, and for hours its String.
const (
	memoBits = 10
	memoSize = 1 << memoBits
)

// memoSlot holds the number whose key is key, see cached.
type memoSlot struct {
	key uint64
	e   *memoized
}

// memoized is a remembered decimal and, once asked for, its String.
type memoized struct {
	d    decimal.Decimal
	text string
}

// cached returns the memo entry for n, shared with every other row that had
// the same number: callers must not modify its decimal (decimals are values;
// nothing in ingest modifies one).
//
// The memo is a direct-mapped cache, cheaper to look up than a map: a
// number's key, packed into one word, picks its one slot, and a number
// picking a taken slot replaces what was there.
func (l *NumberLocale) cached(n number) *memoized {
	if n.big != "" || n.m >= 1<<54 || n.scale >= 1<<8 {
		return &memoized{d: n.decimal()} // too long for a key, and rare
	}
	k := n.m<<9 | uint64(n.scale)<<1
	if n.neg {
		k |= 1
	}
	if l.memo == nil {
		l.memo = new([memoSize]memoSlot)
	}
	slot := &l.memo[(k*0x9e3779b97f4a7c15)>>(64-memoBits)] // Fibonacci hashing spreads similar keys
	if slot.e == nil || slot.key != k {
		*slot = memoSlot{key: k, e: &memoized{d: n.decimal()}}
	}
	return slot.e
}

// Decimal returns the decimal separator the file has shown, or 0 if it has
// shown none yet (ambiguous values then read with '.').
func (l *NumberLocale) Decimal() byte { return l.dec }

// ParseDecimal reads a locale-formatted number (see NumberLocale) into an
// exact decimal. reason is "" on success, else why s is not a number.
func (l *NumberLocale) ParseDecimal(s string) (decimal.Decimal, string) {
	n, reason := l.scan(s)
	if reason != "" {
		return decimal.Decimal{}, reason
	}
	return l.cached(n).d, ""
}

// ParseRates reads the optional bill rate, cost rate and billed amount cells
// of an export row: nil for an empty cell, and the rates may not be
// negative. On a bad cell it returns that cell's column, value and reason.
func (l *NumberLocale) ParseRates(rec Record, billRate, costRate, billed int) (out [3]*decimal.Decimal, col int, raw, why string) {
	for i, col := range [...]int{billRate, costRate, billed} {
		raw := rec.At(col)
		if raw == "" {
			continue
		}
		n, why := l.scan(raw)
		if why == "" && n.neg && !n.isZero() && col != billed {
			why = "negative rate"
		}
		if why == "" {
			why = n.moneyReason()
		}
		if why != "" {
			return out, col, raw, why
		}
		out[i] = &l.cached(n).d // shared between rows with the same rate
	}
	return out, 0, "", ""
}

// ParseDecimal reads one locale-formatted number with no file context
// (ambiguous values read with '.' as the decimal separator).
func ParseDecimal(s string) (decimal.Decimal, string) {
	var l NumberLocale
	n, reason := l.scan(s) // not ParseDecimal: a memo for one number is waste
	if reason != "" {
		return decimal.Decimal{}, reason
	}
	return n.decimal(), ""
}

// ParseHours reads the hours of one entry, either decimal hours in the
// file's locale ("1.5", "1,5") or a duration ("1:30", "1:30:00"; see
// ParseDuration), and checks that they are between 0 and 24.
func (l *NumberLocale) ParseHours(s string) (decimal.Decimal, string) {
	if strings.IndexByte(s, ':') >= 0 {
		return ParseDuration(s)
	}
	e, reason := l.decimalHours(s)
	if reason != "" {
		return decimal.Decimal{}, reason
	}
	return e.d, ""
}

// ParseHoursText is ParseHours that also returns h.String(), which row keys
// hash: decimal hours remember it with their decimal instead of formatting
// it every row.
func (l *NumberLocale) ParseHoursText(s string) (h decimal.Decimal, text, reason string) {
	if strings.IndexByte(s, ':') >= 0 {
		if h, reason = ParseDuration(s); reason != "" {
			return decimal.Decimal{}, "", reason
		}
		return h, h.String(), ""
	}
	e, reason := l.decimalHours(s)
	if reason != "" {
		return decimal.Decimal{}, "", reason
	}
	if e.text == "" {
		e.text = e.d.String()
	}
	return e.d, e.text, ""
}

// decimalHours is ParseHours for hours that are not a duration.
func (l *NumberLocale) decimalHours(s string) (*memoized, string) {
	n, reason := l.scan(s)
	if reason != "" {
		return nil, reason
	}
	if n.neg && !n.isZero() {
		return nil, ReasonNegativeHours
	}
	if n.over24() {
		return nil, ReasonTooManyHours
	}
	return l.cached(n), ""
}

// CheckHours returns "" when h is a plausible length for one entry (0 to 24
// hours inclusive), else ReasonNegativeHours or ReasonTooManyHours.
func CheckHours(h decimal.Decimal) string {
	if h.Sign() < 0 {
		return ReasonNegativeHours
	}
	if h.GreaterThan(decimal.NewFromInt(24)) {
		return ReasonTooManyHours
	}
	return ""
}

// number is a scanned decimal: mantissa digits and how many of them are
// fractional. big holds the cleaned digits when they overflow uint64.
type number struct {
	neg   bool
	m     uint64
	scale int32
	big   string // "123.456" without sign when m overflowed, else ""
}

func (n number) isZero() bool { return n.big == "" && n.m == 0 }

// moneyReason is "" when n fits a money column, Decimal(18, 4): at most 4
// decimals (trailing zeros do not count) and 14 digits before the point.
func (n number) moneyReason() string {
	const tooLarge = "too large: at most 14 digits before the decimal point"
	if n.big != "" {
		d := n.decimal().Abs()
		switch {
		case !d.Equal(d.Truncate(4)):
			return "more than 4 decimals"
		case d.GreaterThanOrEqual(decimal.New(1, 14)):
			return tooLarge
		}
		return ""
	}
	m, scale := n.m, n.scale
	for scale > 4 && m%10 == 0 {
		m, scale = m/10, scale-1
	}
	if scale > 4 {
		return "more than 4 decimals"
	}
	limit := uint64(1e14) // m / 10^scale < 10^14
	for range scale {
		limit *= 10
	}
	if m >= limit {
		return tooLarge
	}
	return ""
}

func (n number) decimal() decimal.Decimal {
	if n.big != "" {
		d, err := decimal.NewFromString(n.big)
		if err != nil { // cannot happen: big is digits with at most one '.'
			return decimal.Decimal{}
		}
		if n.neg {
			return d.Neg()
		}
		return d
	}
	if n.m > 1<<63-1 {
		d := decimal.New(int64(n.m/10), -n.scale+1).Add(decimal.New(int64(n.m%10), -n.scale))
		if n.neg {
			return d.Neg()
		}
		return d
	}
	v := int64(n.m)
	if n.neg {
		v = -v
	}
	return decimal.New(v, -n.scale)
}

// over24 reports whether the number is above 24.
func (n number) over24() bool {
	if n.big != "" {
		d, _ := decimal.NewFromString(n.big)
		return d.GreaterThan(decimal.NewFromInt(24))
	}
	ip, frac := n.m, uint64(0)
	for range n.scale {
		frac |= ip % 10
		ip /= 10
	}
	return ip > 24 || (ip == 24 && frac != 0)
}

// isGroupSpace reports the characters that only ever group thousands.
func isGroupSpace(r rune) bool {
	return r == ' ' || r == '\'' || r == '\u00a0' || r == '\u202f' || r == '\u2009' || r == '’'
}

const reasonNotNumber = "not a number"

// scan classifies the separators of s, decides which one is decimal (see
// NumberLocale), learns from unambiguous values and reads the digits.
func (l *NumberLocale) scan(s string) (number, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return number{}, "empty; want a number"
	}
	var n number
	switch {
	case s[0] == '-':
		n.neg, s = true, s[1:]
	case s[0] == '+':
		s = s[1:]
	case strings.HasPrefix(s, "−"): // U+2212 MINUS SIGN
		n.neg, s = true, s[len("−"):]
	}
	if plain, ok := l.scanPlain(s, n); ok {
		return plain, ""
	}
	return l.scanSeparators(s, n)
}

// scanPlain reads what most cells hold, ASCII digits with at most one '.',
// in one pass, as scanSeparators would. ok is false for anything else,
// and for a '.' that this file uses to group thousands ("1.500").
func (l *NumberLocale) scanPlain(s string, n number) (_ number, ok bool) {
	dot := -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			if n.m >= 1<<59 { // n.m*10+9 might not fit: leave it to readDigits
				return n, false
			}
			n.m = n.m*10 + uint64(c-'0')
		case c == '.' && dot < 0:
			dot = i
		default:
			return n, false
		}
	}
	switch {
	case len(s) == 0 || s == ".":
		return n, false // no digits
	case dot < 0:
		return n, true // an integer
	}
	after := len(s) - dot - 1
	if after == 3 && strings.TrimLeft(s[:dot], "0") != "" { // ambiguous
		if l.dec != 0 && l.dec != '.' {
			return n, false
		}
		n.scale = 3
		return n, true
	}
	n.scale = int32(after)
	if l.dec == 0 {
		l.dec = '.'
	}
	return n, true
}

// scanSeparators is scan after the sign.
func (l *NumberLocale) scanSeparators(s string, n number) (number, string) {
	dots, commas, lastDot, lastComma, digits := 0, 0, -1, -1, 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
			dots, lastDot = dots+1, i
		case r == ',':
			commas, lastComma = commas+1, i
		case isGroupSpace(r):
		default:
			return number{}, reasonNotNumber
		}
	}
	if digits == 0 {
		return number{}, reasonNotNumber
	}
	// dec is the decimal separator of this value (0: none, an integer).
	var dec byte
	var learn byte
	switch {
	case dots > 0 && commas > 0:
		if lastDot > lastComma {
			dec = '.'
		} else {
			dec = ','
		}
		learn = dec
	case dots > 1:
		learn = ','
	case commas > 1:
		learn = '.'
	case dots == 1 || commas == 1:
		sep, at := byte('.'), lastDot
		if commas == 1 {
			sep, at = ',', lastComma
		}
		after := 0
		for _, r := range s[at+1:] {
			if r >= '0' && r <= '9' {
				after++
			} else if isGroupSpace(r) {
				after = 4 // "1,234 567": not a thousands group; let the group check reject it
			}
		}
		intPart := strings.TrimLeft(s[:at], "0")
		switch {
		case after != 3 || intPart == "" || strings.TrimFunc(intPart, isGroupSpace) == "":
			dec, learn = sep, sep
		default: // "1,500" or "1.500": ambiguous
			known := l.dec
			if known == 0 {
				known = '.'
			}
			if known == sep {
				dec = sep
			}
		}
	}
	n, why := readDigits(s, n, dec)
	if why == "" && learn != 0 && l.dec == 0 { // learn only from good numbers
		l.dec = learn
	}
	return n, why
}

// readDigits reads the mantissa of s (sign already removed) with dec as the
// decimal separator (0 for none) and every other separator grouping
// thousands, checking the groups.
func readDigits(s string, n number, dec byte) (number, string) {
	group := 0       // digits in the current group
	grouped := false // a thousands separator has been seen
	frac := false
	overflow := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			group++
			if frac {
				n.scale++
			}
			d := uint64(r - '0')
			if n.m > (1<<64-1-d)/10 {
				overflow = true
			} else {
				n.m = n.m*10 + d
			}
		case dec != 0 && r == rune(dec):
			if grouped && group != 3 {
				return number{}, "bad thousands grouping"
			}
			frac, group = true, 0
		default: // a thousands separator
			if frac {
				return number{}, "thousands separator after the decimal separator"
			}
			if group == 0 || group > 3 || (grouped && group != 3) {
				return number{}, "bad thousands grouping"
			}
			grouped, group = true, 0
		}
	}
	if !frac && grouped && group != 3 {
		return number{}, "bad thousands grouping"
	}
	if overflow {
		var b strings.Builder
		for _, r := range s {
			switch {
			case r >= '0' && r <= '9':
				b.WriteRune(r)
			case dec != 0 && r == rune(dec):
				b.WriteByte('.')
			}
		}
		n.big, n.m = b.String(), 0
	}
	return n, ""
}

// ParseDuration reads H:MM:SS, HH:MM:SS or H:MM (hours may have more
// digits; an optional leading '-') into decimal hours, exact to the second:
// seconds/3600 rounded half up to 6 decimal places. The result is checked
// with the same 0-24 hours rule as ParseHours.
func ParseDuration(s string) (decimal.Decimal, string) {
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	secs, ok := clockParts(s, 9)
	if !ok {
		return decimal.Decimal{}, "not a duration (want H:MM:SS or H:MM)"
	}
	if neg && secs != 0 {
		return decimal.Decimal{}, ReasonNegativeHours
	}
	if secs > 24*3600 {
		return decimal.Decimal{}, ReasonTooManyHours
	}
	return SecondsToHours(secs), ""
}

// SecondsToHours converts whole seconds to decimal hours, rounded half up to
// 6 decimal places.
func SecondsToHours(secs int64) decimal.Decimal {
	neg := secs < 0
	if neg {
		secs = -secs
	}
	micro := (secs*1_000_000 + 1800) / 3600
	if neg {
		micro = -micro
	}
	return decimal.New(micro, -6)
}

// clockParts reads H:MM or H:MM:SS with at most maxH hour digits into
// seconds. Minutes and seconds have exactly two digits below 60.
func clockParts(s string, maxH int) (int64, bool) {
	h, rest, ok := leadingInt(s, maxH)
	if !ok || len(rest) < 3 || rest[0] != ':' {
		return 0, false
	}
	m, ok := twoDigits(rest[1:3])
	if !ok || m > 59 {
		return 0, false
	}
	rest = rest[3:]
	var sec int64
	if rest != "" {
		if len(rest) != 3 || rest[0] != ':' {
			return 0, false
		}
		v, ok := twoDigits(rest[1:])
		if !ok || v > 59 {
			return 0, false
		}
		sec = v
	}
	return h*3600 + m*60 + sec, true
}

// leadingInt reads 1 to max leading ASCII digits.
func leadingInt(s string, max int) (int64, string, bool) {
	var v int64
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if i == max {
			return 0, s, false
		}
		v = v*10 + int64(s[i]-'0')
		i++
	}
	return v, s[i:], i > 0
}

func twoDigits(s string) (int64, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int64(s[0]-'0')*10 + int64(s[1]-'0'), true
}

// ParseClock reads a time of day, 24-hour ("10:00", "14:05:09") or 12-hour
// ("10:23 AM", "02:44:33 PM", "2:44pm", "2:44 p.m."), into seconds after
// midnight.
func ParseClock(s string) (int64, string) {
	s = strings.TrimSpace(s)
	pm, twelve := false, false
	for _, suf := range [...]string{"a.m.", "p.m.", "am", "pm"} {
		if len(s) > len(suf) && strings.EqualFold(s[len(s)-len(suf):], suf) {
			twelve, pm = true, suf[0] == 'p'
			s = strings.TrimSpace(s[:len(s)-len(suf)])
			break
		}
	}
	secs, ok := clockParts(s, 2)
	if !ok {
		return 0, "not a time of day (want HH:MM, HH:MM:SS or HH:MM AM)"
	}
	h := secs / 3600
	if twelve {
		if h < 1 || h > 12 {
			return 0, "hour out of range for a 12-hour time"
		}
		if h == 12 {
			secs -= 12 * 3600
		}
		if pm {
			secs += 12 * 3600
		}
	} else if h > 23 {
		return 0, "hour out of range (0-23)"
	}
	return secs, ""
}

// flagWords maps lower-cased yes/no words of the languages exports come in.
var flagWords = map[string]bool{
	"yes": true, "no": false, "y": true, "n": false,
	"true": true, "false": false, "1": true, "0": false,
	"ja": true, "nein": false, "nee": false, "nej": false, "nei": false, // de, nl, sv/da, no
	"oui": true, "non": false, // fr
	"sí": true, "si": true, "sì": true, // es, it ("no" as in English)
	"sim": true, "não": false, "nao": false, // pt
	"tak": true, "nie": false, // pl
	"kyllä": true, "ei": false, // fi
	"evet": true, "hayır": false, // tr
	"はい": true, "いいえ": false, // ja
	"да": true, "нет": false, // ru
	"是": true, "否": false, // zh
	"예": true, "아니요": false, "아니오": false, // ko
	"billable": true, "non-billable": false, "not billable": false,
}

// ParseFlag reads a yes/no flag: Yes/No, true/false, 1/0 and their forms in
// German, Dutch, the Nordic languages, French, Spanish, Italian, Portuguese,
// Polish, Finnish, Turkish, Japanese, Russian, Chinese and Korean, in any
// case. Anything else, empty included, is an error.
func ParseFlag(s string) (bool, string) {
	switch s { // the common spellings, without lower-casing
	case "Yes", "yes", "true", "TRUE", "True", "1":
		return true, ""
	case "No", "no", "false", "FALSE", "False", "0":
		return false, ""
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return false, "empty; want Yes or No"
	}
	if v, ok := flagWords[strings.ToLower(t)]; ok {
		return v, ""
	}
	return false, "not a yes/no value"
}

// Date orders for day-month-year dates written with slashes or dashes
// (Options.DateOrder).
const (
	DateOrderMDY = "mdy"
	DateOrderDMY = "dmy"
)

// dateParts splits a date into its three numeric parts and separator.
func dateParts(s string) (a, b, c string, sep byte, ok bool) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "-/.")
	if i <= 0 {
		return "", "", "", 0, false
	}
	sep = s[i]
	j := strings.IndexByte(s[i+1:], sep)
	if j <= 0 {
		return "", "", "", 0, false
	}
	a, b, c = s[:i], s[i+1:i+1+j], s[i+2+j:]
	if sep == '.' {
		c = strings.TrimSuffix(c, ".") // "30.04.2026."
	}
	for _, p := range [...]string{a, b, c} {
		if p == "" || len(p) > 4 {
			return "", "", "", 0, false
		}
		for k := 0; k < len(p); k++ {
			if p[k] < '0' || p[k] > '9' {
				return "", "", "", 0, false
			}
		}
	}
	return a, b, c, sep, true
}

func atoi(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// DateOrderOf tells what a date says about the file's date order. needsOrder
// is true for a day-month-year date written with '/' or '-' (04/30/2026,
// 30-04-2026), whose reading depends on the order; order is then "mdy" or
// "dmy" when a part above 12 settles it, "" when both readings are possible.
// ISO (2026-04-30, 2026/04/30) and dotted (30.04.2026, always DD.MM.YYYY)
// dates need no order: ("", false).
func DateOrderOf(s string) (order string, needsOrder bool) {
	a, b, c, sep, ok := dateParts(s)
	if !ok || len(a) > 2 || len(b) > 2 || len(c) != 4 || sep == '.' {
		return "", false
	}
	x, y := atoi(a), atoi(b)
	switch {
	case x > 12 && y <= 12:
		return DateOrderDMY, true
	case y > 12 && x <= 12:
		return DateOrderMDY, true
	}
	return "", true
}

// ParseDate reads a calendar date as UTC midnight: ISO 2026-04-30 (or
// 2026/04/30), dotted 30.04.2026 (day first), or 04/30/2026, 30/04/2026,
// 30-04-2026 read in order ("mdy" or "dmy"). With order "" such a date is
// read only when a part above 12 settles it; otherwise the reason asks for
// --date-order (ReasonDateOrder).
func ParseDate(s, order string) (time.Time, string) {
	const bad = "not a date (want YYYY-MM-DD, MM/DD/YYYY, DD/MM/YYYY or DD.MM.YYYY)"
	a, b, c, sep, ok := dateParts(s)
	if !ok {
		return time.Time{}, bad
	}
	var y, m, d int
	switch {
	case len(a) == 4 && len(b) <= 2 && len(c) <= 2:
		y, m, d = atoi(a), atoi(b), atoi(c)
	case len(c) == 4 && len(a) <= 2 && len(b) <= 2:
		x, z := atoi(a), atoi(b)
		if sep != '.' && order == "" {
			o, _ := DateOrderOf(s)
			if o == "" {
				if x > 12 && z > 12 {
					return time.Time{}, bad
				}
				return time.Time{}, ReasonDateOrder
			}
			order = o
		}
		y = atoi(c)
		switch {
		case sep == '.' || order == DateOrderDMY:
			d, m = x, z
		case order == DateOrderMDY:
			m, d = x, z
		default:
			return time.Time{}, "unknown date order " + order + " (want mdy or dmy)"
		}
	default:
		return time.Time{}, bad
	}
	if m < 1 || m > 12 {
		return time.Time{}, "no such month"
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if d < 1 || t.Day() != d {
		return time.Time{}, "no such day"
	}
	return t, ""
}

// firstDate is the earliest date an entry may have.
var firstDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// CheckDate returns "" when d is a sane date for work done: not before
// 2000-01-01 and not more than a year after now.
func CheckDate(d, now time.Time) string {
	if d.Before(firstDate) {
		return "date before 2000-01-01"
	}
	if d.After(now.AddDate(1, 0, 0)) {
		return "date more than a year in the future"
	}
	return ""
}

// SplitTags splits a tags field written as "a, b, c" (Toggl, Clockify) on
// ", " into its tags, trimmed of spaces and stray commas, without empty
// ones; nil when there are none. A comma inside a tag ("a,b") stays.
func SplitTags(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	tags := make([]string, 0, strings.Count(s, ", ")+1)
	for t := range strings.SplitSeq(s, ", ") {
		if t = strings.Trim(t, " \t,"); t != "" {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return nil
	}
	return tags
}
