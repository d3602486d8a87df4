package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
)

// csvReader reads CSV records as encoding/csv's Reader does with a comma,
// strict quotes and any number of fields per record: quotes per RFC 4180,
// \r\n read as \n, blank lines skipped, the same records and the same
// *csv.ParseError, at the same line and column, for a bad quote
// (FuzzCSVReader holds it to that).
//
// It exists because reading is a large part of an import's time. A line is
// copied into the record's buffer in one piece, not a field at a time, and
// the commas between fields stay in the buffer, so one utf8.Valid call
// checks a whole record: a field that is not UTF-8 cannot become UTF-8 next
// to an ASCII comma, nor can valid fields make a record that is not.
type csvReader struct {
	r       *bufio.Reader
	numLine int    // lines read so far
	raw     []byte // a line longer than r's buffer
	rec     []byte // the record's fields, with a comma between any two
	spans   []span // where each field is
	fields  []string
}

// span is a field of the record being read: rec[start:end], starting on line.
type span struct{ start, end, line int }

// read returns the next record, reusing the slice of the previous one. Its
// strings stay valid. At the end it returns io.EOF; a bad quote is a
// *csv.ParseError, after which reading goes on at the next line; an error of
// the underlying reader is returned as is.
func (c *csvReader) read() ([]string, error) {
	var line []byte
	var errRead error
	for errRead == nil {
		line, errRead = c.readLine()
		if errRead == nil && len(line) == lengthNL(line) {
			continue // a blank line
		}
		break
	}
	if errRead == io.EOF {
		return nil, errRead
	}

	recLine := c.numLine
	lineNo := c.numLine // the line that line is
	c.rec, c.spans = c.rec[:0], c.spans[:0]
	n := len(line) - lengthNL(line)
	i := 0   // the next byte of line to parse, in column i+1
	run := 0 // line[run:i] is parsed but not yet copied to rec
	var err error
parse:
	for {
		if i == len(line) || line[i] != '"' {
			// An unquoted field, up to the next comma or the end of the line.
			j, text := i, line[:n]
			for j < len(text) && text[j] != ',' && text[j] != '"' {
				j++
			}
			if j < n && line[j] == '"' {
				err = &csv.ParseError{StartLine: recLine, Line: c.numLine, Column: j + 1, Err: csv.ErrBareQuote}
				break parse
			}
			at := len(c.rec) - run // where line[0] would be in rec
			c.spans = append(c.spans, span{at + i, at + j, lineNo})
			if j < n {
				i = j + 1
				continue parse
			}
			c.rec = append(c.rec, line[run:n]...)
			break parse
		}

		// A quoted field.
		c.rec = append(c.rec, line[run:i]...)
		start, startLine := len(c.rec), lineNo
		i++
		colBase := 0 // the column of line[i] is colBase+i+1
		for {
			if j := bytes.IndexByte(line[i:], '"'); j >= 0 {
				c.rec = append(c.rec, line[i:i+j]...)
				i += j + 1
				switch {
				case i < len(line) && line[i] == '"': // "" is one quote
					c.rec = append(c.rec, '"')
					i++
				case i < len(line) && line[i] == ',': // the end of the field
					c.spans = append(c.spans, span{start, len(c.rec), startLine})
					run = i // the comma goes to rec with the next fields
					i++
					continue parse
				case len(line)-i == lengthNL(line[i:]): // the end of the record
					c.spans = append(c.spans, span{start, len(c.rec), startLine})
					break parse
				default:
					err = &csv.ParseError{StartLine: recLine, Line: c.numLine, Column: colBase + i, Err: csv.ErrQuote}
					break parse
				}
			} else if i < len(line) {
				// The field goes on to the next line.
				c.rec = append(c.rec, line[i:]...)
				if errRead != nil {
					break parse
				}
				prev := len(line)
				line, errRead = c.readLine()
				n, colBase = len(line)-lengthNL(line), 0
				if len(line) > 0 {
					lineNo++
				} else {
					colBase = prev
				}
				if errRead == io.EOF {
					errRead = nil
				}
				i = 0
			} else {
				// The input ended inside the quotes.
				if errRead == nil {
					err = &csv.ParseError{StartLine: recLine, Line: lineNo, Column: colBase + i + 1, Err: csv.ErrQuote}
					break parse
				}
				c.spans = append(c.spans, span{start, len(c.rec), startLine})
				break parse
			}
		}
	}
	if err == nil {
		err = errRead
	}
	if err != nil {
		return nil, err
	}

	// One string for the record, which its fields share: one allocation.
	s := string(c.rec)
	c.fields = c.fields[:0]
	for _, f := range c.spans {
		c.fields = append(c.fields, s[f.start:f.end])
	}
	return c.fields, nil
}

// readLine returns the next line with its \n, if any, and \r\n read as \n;
// a last line that has no \n loses a trailing \r. It returns io.EOF only
// with an empty line.
func (c *csvReader) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		c.raw = append(c.raw[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = c.r.ReadSlice('\n')
			c.raw = append(c.raw, line...)
		}
		line = c.raw
	}
	if len(line) > 0 && err == io.EOF {
		err = nil
		if line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
	}
	c.numLine++
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}
