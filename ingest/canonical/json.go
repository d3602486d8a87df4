package canonical

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// ndjsonParser reads one JSON object per line. A bad line is a RowError and
// the next line is read as usual: lines are independent.
type ndjsonParser struct {
	base
	br    *bufio.Reader
	line  int
	long  []byte // a line longer than the bufio buffer
	first bool   // no non-blank line read yet
	sc    scanner
}

var _ ingest.Parser = (*ndjsonParser)(nil)

func newNDJSON(r io.Reader, b base) *ndjsonParser {
	return &ndjsonParser{base: b, br: bufio.NewReaderSize(r, 64<<10), first: true}
}

// Next implements ingest.Parser.
func (p *ndjsonParser) Next() (ingest.Row, error) {
	if p.err != nil {
		return ingest.Row{}, p.err
	}
	for {
		b, tooLong, err := p.readLine()
		if err == io.EOF {
			return ingest.Row{}, io.EOF
		}
		if err != nil {
			return ingest.Row{}, p.readFailed(p.line, err)
		}
		if p.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		b = bytes.Trim(b, " \t\r\n")
		if len(b) == 0 && !tooLong {
			continue
		}
		if tooLong {
			return ingest.Row{}, &ingest.RowError{File: p.file, Line: p.line, Reason: "line longer than 1 MiB"}
		}
		if p.first && b[0] == '[' {
			return ingest.Row{}, p.fail(p.line, "this is a JSON array, not NDJSON (one object per line): import it as json")
		}
		p.first = false
		if !utf8.Valid(b) {
			return ingest.Row{}, &ingest.RowError{File: p.file, Line: p.line, Reason: "not valid UTF-8"}
		}
		p.reset()
		is, serr := p.sc.object(b, &p.base)
		if serr != nil {
			return ingest.Row{}, &ingest.RowError{File: p.file, Line: p.line, Reason: "invalid JSON: " + serr.reason}
		}
		if is != nil {
			return ingest.Row{}, p.rowErr(p.line, is)
		}
		return p.row(p.line)
	}
}

// readLine returns the next line without its newline, valid until the next
// call; tooLong when it was longer than maxRow (its content is then dropped).
func (p *ndjsonParser) readLine() (line []byte, tooLong bool, err error) {
	b, err := p.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		p.long = append(p.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = p.br.ReadSlice('\n')
			if !tooLong && len(p.long)+len(b) > maxRow+2 {
				tooLong, p.long = true, p.long[:0]
			}
			if !tooLong {
				p.long = append(p.long, b...)
			}
		}
		b = p.long
	}
	if err == io.EOF && (len(b) > 0 || tooLong) {
		err = nil // the last line has no newline; the next call returns io.EOF
	}
	if err != nil {
		return nil, false, err
	}
	p.line++
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) > maxRow {
		tooLong = true
	}
	return b, tooLong, nil
}

// arrayParser reads one JSON array of objects, streaming: it cuts the next
// element out of the input, then scans it. A syntax error anywhere is a
// FileError, because after it nothing says where the next object starts; an
// element that is valid JSON but a bad record is a RowError.
type arrayParser struct {
	base
	in    stream
	state int
	elem  []byte
	depth []byte // closers expected while cutting an element
	sc    scanner
}

var _ ingest.Parser = (*arrayParser)(nil)

// States of an arrayParser.
const (
	arrayStart = iota // before '['
	arrayElem         // where an element must come
	arrayAfter        // after an element: ',' or ']'
	arrayEnd          // after ']'
)

func newArray(r io.Reader, b base) *arrayParser {
	return &arrayParser{base: b, in: stream{r: r, buf: make([]byte, 64<<10), line: 1}}
}

// Next implements ingest.Parser.
func (p *arrayParser) Next() (ingest.Row, error) {
	for p.err == nil {
		switch p.state {
		case arrayStart:
			p.in.skipBOM()
			p.in.ws()
			c, ok := p.in.next()
			if !ok {
				return ingest.Row{}, p.end("the input is empty: expected a JSON array")
			}
			if c != '[' {
				return ingest.Row{}, p.fail(p.in.line, "expected a JSON array of objects, starting with '['")
			}
			p.in.ws()
			if c, ok := p.in.peek(); ok && c == ']' {
				p.in.next()
				p.state = arrayEnd
				continue
			}
			p.state = arrayElem
		case arrayElem:
			p.in.ws()
			line := p.in.line
			tooLong, err := p.cut()
			if err != nil {
				return ingest.Row{}, err
			}
			p.state = arrayAfter
			return p.element(line, tooLong)
		case arrayAfter:
			p.in.ws()
			c, ok := p.in.next()
			switch {
			case !ok:
				return ingest.Row{}, p.end("the array is not closed with ']' (truncated?)")
			case c == ',':
				p.state = arrayElem
				p.in.ws()
				if c, ok := p.in.peek(); ok && c == ']' {
					return ingest.Row{}, p.fail(p.in.line, "invalid JSON: ',' before ']'")
				}
			case c == ']':
				p.state = arrayEnd
			default:
				return ingest.Row{}, p.fail(p.in.line, "invalid JSON: expected ',' or ']' after an array element")
			}
		case arrayEnd:
			p.in.ws()
			if _, ok := p.in.peek(); ok {
				return ingest.Row{}, p.fail(p.in.line, "invalid JSON: data after the closing ']'")
			}
			if p.in.err != nil && p.in.err != io.EOF {
				return ingest.Row{}, p.readFailed(p.in.line, p.in.err)
			}
			return ingest.Row{}, io.EOF
		}
	}
	return ingest.Row{}, p.err
}

// end fails at the end of the input: a read error, or reason.
func (p *arrayParser) end(reason string) error {
	if p.in.err != nil && p.in.err != io.EOF {
		return p.readFailed(p.in.line, p.in.err)
	}
	return p.fail(p.in.line, reason)
}

// element turns the element just cut, which started on line, into a row.
func (p *arrayParser) element(line int, tooLong bool) (ingest.Row, error) {
	if tooLong {
		return ingest.Row{}, &ingest.RowError{File: p.file, Line: line, Reason: "object longer than 1 MiB"}
	}
	// Syntax first: a syntax error loses the rest of the file, whatever else
	// is wrong with the element. The scanner reads bytes, so it can judge
	// the syntax of text that is not UTF-8.
	if p.elem[0] != '{' {
		if !json.Valid(p.elem) {
			return ingest.Row{}, p.fail(line, "invalid JSON")
		}
		return ingest.Row{}, &ingest.RowError{File: p.file, Line: line, Reason: "array element is not a JSON object"}
	}
	p.reset()
	is, serr := p.sc.object(p.elem, &p.base)
	if serr != nil {
		at := line + bytes.Count(p.elem[:min(serr.off, len(p.elem))], []byte("\n"))
		return ingest.Row{}, p.fail(at, "invalid JSON: "+serr.reason)
	}
	if !utf8.Valid(p.elem) {
		return ingest.Row{}, &ingest.RowError{File: p.file, Line: line, Reason: "not valid UTF-8"}
	}
	if is != nil {
		return ingest.Row{}, p.rowErr(line, is)
	}
	return p.row(line)
}

// cut reads the next element's bytes into p.elem, checking only what it must
// to find the element's end: strings and balanced brackets. The scanner
// checks the rest. Past maxRow bytes it keeps reading but stops keeping. It
// works on whole buffered windows, so that strings, most of a row, are
// skipped with IndexByte rather than byte by byte.
func (p *arrayParser) cut() (tooLong bool, err error) {
	p.elem, p.depth = p.elem[:0], p.depth[:0]
	inStr, esc, started := false, false, false
	in := &p.in
	for {
		if in.i >= in.n && !in.fill() {
			return false, p.end("invalid JSON: the input ends inside an array element (truncated?)")
		}
		win := in.buf[in.i:in.n]
		j, done, bad := 0, false, ""
	scan:
		for j < len(win) {
			if inStr {
				if esc {
					esc = false
					j++
					continue
				}
				rest := win[j:]
				k := bytes.IndexByte(rest, '"')
				if k < 0 {
					k = len(rest)
				}
				if b := bytes.IndexByte(rest[:k], '\\'); b >= 0 {
					j += b + 1
					esc = true
					continue
				}
				j += k
				if j == len(win) {
					break
				}
				j++ // the closing quote
				inStr = false
				if len(p.depth) == 0 {
					done = true
					break
				}
				continue
			}
			switch c := win[j]; c {
			case '"':
				inStr, started = true, true
			case '{', '[':
				if len(p.depth) >= maxDepth {
					bad = "invalid JSON: nested too deeply"
					break scan
				}
				p.depth = append(p.depth, c+2) // '{'+2 == '}', '['+2 == ']'
				started = true
			case '}', ']':
				if len(p.depth) == 0 { // the array's own ']' ends a scalar element
					done = true
					if !started {
						bad = "invalid JSON: expected an array element"
					}
					break scan
				}
				if p.depth[len(p.depth)-1] != c {
					bad = "invalid JSON: mismatched '" + string(c) + "'"
					break scan
				}
				p.depth = p.depth[:len(p.depth)-1]
				if len(p.depth) == 0 {
					j++
					done = true
					break scan
				}
			case ',', ' ', '\t', '\r', '\n':
				if len(p.depth) == 0 {
					done = true
					if !started {
						bad = "invalid JSON: expected an array element"
					}
					break scan
				}
			default:
				started = true
			}
			j++
		}
		chunk := win[:j]
		in.i += j
		in.line += bytes.Count(chunk, []byte("\n"))
		if !tooLong {
			if len(p.elem)+len(chunk) > maxRow {
				tooLong, p.elem = true, p.elem[:0]
			} else {
				p.elem = append(p.elem, chunk...)
			}
		}
		if bad != "" {
			return false, p.fail(in.line, bad)
		}
		if done {
			return tooLong, nil
		}
	}
}

// stream is a buffered byte reader that counts lines.
type stream struct {
	r    io.Reader
	buf  []byte
	i, n int
	line int   // the line of the next byte
	err  error // the reader's error, once it returned one
}

func (s *stream) fill() bool {
	for empty := 0; s.i >= s.n; empty++ {
		if s.err != nil {
			return false
		}
		if empty == 100 { // as bufio.Reader does with a reader that returns nothing
			s.err = io.ErrNoProgress
			return false
		}
		var n int
		n, s.err = s.r.Read(s.buf)
		s.i, s.n = 0, n
	}
	return true
}

func (s *stream) peek() (byte, bool) {
	if s.i >= s.n && !s.fill() {
		return 0, false
	}
	return s.buf[s.i], true
}

func (s *stream) next() (byte, bool) {
	if s.i >= s.n && !s.fill() {
		return 0, false
	}
	c := s.buf[s.i]
	s.i++
	if c == '\n' {
		s.line++
	}
	return c, true
}

// ws passes over JSON whitespace.
func (s *stream) ws() {
	for {
		c, ok := s.peek()
		if !ok || c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return
		}
		s.next()
	}
}

// skipBOM passes over a UTF-8 byte order mark at the very start.
func (s *stream) skipBOM() {
	if !s.fill() {
		return
	}
	// The BOM may straddle reads; collect up to three bytes.
	for s.n-s.i < 3 && s.err == nil {
		n, err := s.r.Read(s.buf[s.n:])
		s.n += n
		s.err = err
	}
	if s.n-s.i >= 3 && string(s.buf[s.i:s.i+3]) == "\ufeff" {
		s.i += 3
	}
}
