package canonical

import (
	"unicode/utf16"
	"unicode/utf8"
)

// scanner parses one JSON object held in memory. It is written for the flat
// objects of the canonical formats: values become raw without reflection,
// numbers keep their literal text, and strings are substrings of one copy of
// the input, so a row costs one allocation for all its text. It accepts
// exactly the JSON grammar (RFC 8259). It does not check UTF-8, as
// encoding/json does not either: callers check it before trusting values.
type scanner struct {
	b   []byte
	s   string // string(b), which values slice
	i   int
	tmp []byte // scratch for strings with escapes
}

// syntaxError is invalid JSON at byte offset off of the scanned input.
type syntaxError struct {
	off    int
	reason string
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 1000

// memberSink receives an object's members. It is an interface, not a func,
// so that passing the parser's state costs no allocation per row.
type memberSink interface {
	member(key string, v raw) *issue
}

// object parses b, one JSON object with optional surrounding whitespace, and
// gives each member to sink in order. It returns sink's first issue, but
// keeps parsing after it, so that a syntax error anywhere in b still shows.
func (sc *scanner) object(b []byte, sink memberSink) (*issue, *syntaxError) {
	sc.b, sc.s, sc.i = b, string(b), 0
	var first *issue
	sc.ws()
	if !sc.eat('{') {
		return nil, sc.fail("expected a JSON object")
	}
	sc.ws()
	if !sc.eat('}') {
		for {
			sc.ws()
			if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
				return nil, sc.fail("expected a field name in double quotes")
			}
			key, err := sc.str()
			if err != nil {
				return nil, err
			}
			sc.ws()
			if !sc.eat(':') {
				return nil, sc.fail("expected ':' after a field name")
			}
			sc.ws()
			v, err := sc.value()
			if err != nil {
				return nil, err
			}
			if first == nil {
				first = sink.member(key, v)
			}
			sc.ws()
			if sc.eat(',') {
				continue
			}
			if sc.eat('}') {
				break
			}
			return nil, sc.fail("expected ',' or '}' after a value")
		}
	}
	sc.ws()
	if sc.i != len(sc.b) {
		return nil, sc.fail("unexpected data after the object")
	}
	return first, nil
}

func (sc *scanner) fail(reason string) *syntaxError {
	if sc.i >= len(sc.b) {
		reason += " (the input ends early)"
	}
	return &syntaxError{off: sc.i, reason: reason}
}

func (sc *scanner) ws() {
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

func (sc *scanner) eat(c byte) bool {
	if sc.i < len(sc.b) && sc.b[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// value parses one member value into a raw.
func (sc *scanner) value() (raw, *syntaxError) {
	if sc.i >= len(sc.b) {
		return raw{}, sc.fail("expected a value")
	}
	start := sc.i
	switch c := sc.b[sc.i]; {
	case c == '"':
		s, err := sc.str()
		if err != nil || s == "" {
			return raw{}, err
		}
		return raw{kind: text, text: s}, nil
	case c == '-' || c >= '0' && c <= '9':
		if err := sc.number(); err != nil {
			return raw{}, err
		}
		return raw{kind: number, text: sc.s[start:sc.i]}, nil
	case c == 't':
		if err := sc.literal("true"); err != nil {
			return raw{}, err
		}
		return raw{kind: boolean, text: "true"}, nil
	case c == 'f':
		if err := sc.literal("false"); err != nil {
			return raw{}, err
		}
		return raw{kind: boolean, text: "false"}, nil
	case c == 'n':
		return raw{}, sc.literal("null")
	case c == '[':
		return sc.array()
	case c == '{':
		if err := sc.skip(1); err != nil {
			return raw{}, err
		}
		return raw{kind: other, text: sc.s[start:sc.i]}, nil
	}
	return raw{}, sc.fail("expected a value")
}

// array parses an array value: a list when it holds only strings and
// numbers, else other.
func (sc *scanner) array() (raw, *syntaxError) {
	start := sc.i
	sc.i++ // '['
	var items []string
	flat := true
	sc.ws()
	if sc.eat(']') {
		return raw{kind: list}, nil
	}
	items = make([]string, 0, 4) // tags and ids: usually a few
	for {
		sc.ws()
		if sc.i >= len(sc.b) {
			return raw{}, sc.fail("expected a value")
		}
		switch c := sc.b[sc.i]; {
		case c == '"':
			s, err := sc.str()
			if err != nil {
				return raw{}, err
			}
			items = append(items, s)
		case c == '-' || c >= '0' && c <= '9':
			at := sc.i
			if err := sc.number(); err != nil {
				return raw{}, err
			}
			items = append(items, sc.s[at:sc.i])
		default:
			flat = false
			if err := sc.skip(2); err != nil {
				return raw{}, err
			}
		}
		sc.ws()
		if sc.eat(',') {
			continue
		}
		if sc.eat(']') {
			break
		}
		return raw{}, sc.fail("expected ',' or ']' in an array")
	}
	if !flat {
		return raw{kind: other, text: sc.s[start:sc.i]}, nil
	}
	return raw{kind: list, list: items}, nil
}

// skip validates and passes over any value at nesting depth.
func (sc *scanner) skip(depth int) *syntaxError {
	if depth > maxDepth {
		return sc.fail("nested too deeply")
	}
	if sc.i >= len(sc.b) {
		return sc.fail("expected a value")
	}
	switch c := sc.b[sc.i]; {
	case c == '"':
		_, err := sc.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		return sc.number()
	case c == 't':
		return sc.literal("true")
	case c == 'f':
		return sc.literal("false")
	case c == 'n':
		return sc.literal("null")
	case c == '[':
		sc.i++
		sc.ws()
		if sc.eat(']') {
			return nil
		}
		for {
			sc.ws()
			if err := sc.skip(depth + 1); err != nil {
				return err
			}
			sc.ws()
			if sc.eat(',') {
				continue
			}
			if sc.eat(']') {
				return nil
			}
			return sc.fail("expected ',' or ']' in an array")
		}
	case c == '{':
		sc.i++
		sc.ws()
		if sc.eat('}') {
			return nil
		}
		for {
			sc.ws()
			if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
				return sc.fail("expected a field name in double quotes")
			}
			if _, err := sc.str(); err != nil {
				return err
			}
			sc.ws()
			if !sc.eat(':') {
				return sc.fail("expected ':' after a field name")
			}
			sc.ws()
			if err := sc.skip(depth + 1); err != nil {
				return err
			}
			sc.ws()
			if sc.eat(',') {
				continue
			}
			if sc.eat('}') {
				return nil
			}
			return sc.fail("expected ',' or '}' after a value")
		}
	}
	return sc.fail("expected a value")
}

func (sc *scanner) literal(word string) *syntaxError {
	if len(sc.b)-sc.i >= len(word) && sc.s[sc.i:sc.i+len(word)] == word {
		sc.i += len(word)
		return nil
	}
	return sc.fail("expected a value")
}

// number passes over a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (sc *scanner) number() *syntaxError {
	b, i := sc.b, sc.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		sc.i = i
		return sc.fail("invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			sc.i = i
			return sc.fail("invalid number")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			sc.i = i
			return sc.fail("invalid number")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	sc.i = i
	return nil
}

// str parses a string at sc.i (which holds '"') and returns its value.
func (sc *scanner) str() (string, *syntaxError) {
	b := sc.b
	start := sc.i + 1
	for j := start; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			sc.i = j + 1
			return sc.s[start:j], nil
		case c == '\\':
			sc.i = j
			return sc.unescape(start)
		case c < 0x20:
			sc.i = j
			return "", sc.fail("control character in a string")
		}
	}
	sc.i = len(b)
	return "", sc.fail("unterminated string")
}

// unescape finishes a string with escapes, from sc.i (a backslash); start is
// where the string's content began.
func (sc *scanner) unescape(start int) (string, *syntaxError) {
	b := sc.b
	out := append(sc.tmp[:0], b[start:sc.i]...)
	defer func() { sc.tmp = out[:0] }()
	i := sc.i
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			sc.i = i + 1
			return string(out), nil
		case c < 0x20:
			sc.i = i
			return "", sc.fail("control character in a string")
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			sc.i = len(b)
			return "", sc.fail("unterminated string")
		}
		switch b[i+1] {
		case '"', '\\', '/':
			out = append(out, b[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(b[i+2:])
			if r < 0 {
				sc.i = i
				return "", sc.fail("invalid \\u escape")
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A pair makes one rune; a lone half becomes U+FFFD, as in
				// encoding/json.
				if len(b)-i >= 6 && b[i] == '\\' && b[i+1] == 'u' {
					if r2 := hex4(b[i+2:]); r2 >= 0 {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			sc.i = i
			return "", sc.fail("invalid escape in a string")
		}
		i += 2
	}
	sc.i = len(b)
	return "", sc.fail("unterminated string")
}

// hex4 reads four hex digits, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
