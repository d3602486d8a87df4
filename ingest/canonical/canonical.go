// Package canonical reads opsmetrics' own import formats: one format per
// entity (person, client, project, time_entry, ...), each as CSV, NDJSON or a
// JSON array, with the snake_case field names of spec/formats.md.
//
// References are ids: a time entry's person field holds the person's
// external_id, so the records come out complete and Row.Refs is always nil.
// Every row is checked against its entity's field table; a bad row is a
// *ingest.RowError and parsing goes on, while a file that cannot be trusted
// (unknown CSV columns, not UTF-8, truncated, broken JSON array) is a
// *ingest.FileError. Input is streamed: memory is bounded by the longest row.
//
// docs/import.md documents the formats for users; a test keeps its field
// tables equal to the schemas here.
package canonical

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/org"
)

// Formats New reads.
const (
	FormatCSV    = "csv"    // one header row of field names, then one record per row
	FormatNDJSON = "ndjson" // one JSON object per line
	FormatJSON   = "json"   // one JSON array of objects (the HTTP API's application/json)
)

// maxRow bounds one row: a longer NDJSON line, JSON array element or CSV row
// is rejected, so that memory stays bounded whatever the input.
const maxRow = 1 << 20

// New returns a parser of r holding records of entity (one of ingest.EntityNames) in
// format (FormatCSV, FormatNDJSON or FormatJSON). It reads nothing: the CSV
// header and everything after it are read by Next, so every problem with the
// input comes from Next. New returns a *ingest.FileError for an unknown
// entity or format. opts.DateOrder is ignored, as dates are ISO.
//
// Records get opts.Org and the source "csv" (CSV) or "api" (NDJSON, JSON)
// unless a row has a source field.
//
// Next returns an ingest.Row whose Record is the entity's record type by
// value (ingest.TimeEntry, ingest.Person, ...); a *ingest.RowError for a
// rejected row, after which Next may be called again; a *ingest.FileError
// when the rest of the input cannot be read, which Next then keeps
// returning; and io.EOF at the end. The parser does not close r.
func New(r io.Reader, entity, format string, opts ingest.Options) (ingest.Parser, error) {
	sch, ok := schemas[entity]
	if !ok {
		return nil, &ingest.FileError{File: opts.File, Reason: fmt.Sprintf("unknown entity %q (one of %s)",
			entity, strings.Join(ingest.EntityNames(), ", "))}
	}
	b := base{file: opts.File, sch: sch, d: sch.desc(), vals: make([]raw, len(sch.desc().fields))}
	switch format {
	case FormatCSV:
		b.env = env{org: opts.Org, source: "csv"}
		return newCSV(r, b), nil
	case FormatNDJSON:
		b.env = env{org: opts.Org, source: "api"}
		return newNDJSON(r, b), nil
	case FormatJSON:
		b.env = env{org: opts.Org, source: "api"}
		return newArray(r, b), nil
	}
	return nil, &ingest.FileError{File: opts.File, Reason: fmt.Sprintf("unknown format %q (one of %s, %s, %s)",
		format, FormatCSV, FormatNDJSON, FormatJSON)}
}

// DetectCSV reports which entity a CSV header row is in opsmetrics' own
// format: the entity whose fields include every column and whose key fields
// are all there. A header that fits several entities (such as
// external_id,name) settles on the one whose required fields are all there,
// if exactly one is; otherwise ok is false and the caller must be told the
// entity.
func DetectCSV(header []string) (entity string, ok bool) {
	cols := make([]string, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		cols[i] = normHeader(h)
	}
	var fits, complete []string
	for _, name := range ingest.EntityNames() {
		d := schemas[name].desc()
		if checkHeader(d, cols) != "" {
			continue
		}
		fits = append(fits, name)
		if len(missingRequired(d, cols, false)) == 0 {
			complete = append(complete, name)
		}
	}
	switch {
	case len(fits) == 1:
		return fits[0], true
	case len(complete) == 1:
		return complete[0], true
	}
	return "", false
}

// normHeader folds a CSV column name: spreadsheets pad and capitalise.
func normHeader(h string) string {
	return strings.ToLower(strings.TrimSpace(h))
}

// checkHeader checks folded column names against an entity: every column
// known, none twice, every key field there. It returns what is wrong, or "".
func checkHeader(d *desc, cols []string) string {
	var unknown []string
	seen := make(map[string]bool, len(cols))
	for i, c := range cols {
		if c == "" {
			return fmt.Sprintf("column %d has no name", i+1)
		}
		if seen[c] {
			return fmt.Sprintf("column %q appears twice", c)
		}
		seen[c] = true
		if _, ok := d.lookup(c); !ok {
			unknown = append(unknown, c)
		}
	}
	if len(unknown) > 0 {
		var b strings.Builder
		b.WriteString("unknown column")
		if len(unknown) > 1 {
			b.WriteString("s")
		}
		for i, u := range unknown {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %q", u)
			if s := suggest(u, d.names()); s != "" {
				fmt.Fprintf(&b, " (did you mean %q?)", s)
			}
		}
		fmt.Fprintf(&b, "; the %s columns are: %s", d.name, strings.Join(d.names(), ", "))
		return b.String()
	}
	if miss := missingRequired(d, cols, true); len(miss) > 0 {
		return fmt.Sprintf("missing required column %s", strings.Join(miss, ", "))
	}
	return ""
}

// missingRequired lists the required fields (or groups, as "a or b") that
// no column holds: only the key fields when keysOnly.
func missingRequired(d *desc, cols []string, keysOnly bool) []string {
	var miss []string
	for _, f := range d.fields {
		if (f.key || f.req && !keysOnly) && !slices.Contains(cols, f.name) {
			miss = append(miss, f.name)
		}
	}
	for _, g := range d.groups {
		if keysOnly && !g.key {
			continue
		}
		if !slices.ContainsFunc(g.names, func(n string) bool { return slices.Contains(cols, n) }) {
			miss = append(miss, strings.Join(g.names, " or "))
		}
	}
	return miss
}

// suggest returns the field name closest to a misspelt one, if any is close.
func suggest(s string, names []string) string {
	best, bestD := "", 3 // at most two edits away
	for _, n := range names {
		if d := org.EditDistance(s, n, bestD); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// base is what every format's parser shares: the entity, the row being
// built, and the sticky file error.
type base struct {
	file string
	sch  schema
	d    *desc
	env  env
	vals []raw  // the current row, indexed like d.fields
	seen uint64 // JSON: fields already given in the current object
	err  error  // a *ingest.FileError, returned from then on

	// A producer writes its keys in the same order on every object, so the
	// field index at each position of the last object predicts this one's
	// and saves the map lookup.
	order []int
	pos   int
}

func (b *base) reset() {
	clear(b.vals)
	b.seen, b.pos = 0, 0
}

// row builds the current row's record.
func (b *base) row(line int) (ingest.Row, error) {
	rec, is := b.sch.build(b.vals, &b.env)
	if is != nil {
		return ingest.Row{}, b.rowErr(line, is)
	}
	return ingest.Row{Line: line, Record: rec}, nil
}

func (b *base) rowErr(line int, is *issue) *ingest.RowError {
	return &ingest.RowError{File: b.file, Line: line, Field: is.field, Value: is.value, Reason: is.reason}
}

// fail records a file error; Next returns it from then on.
func (b *base) fail(line int, reason string) error {
	b.err = &ingest.FileError{File: b.file, Line: line, Reason: reason}
	return b.err
}

// readFailed turns an error of the underlying reader into a file error.
func (b *base) readFailed(line int, err error) error {
	if errors.Is(err, errRowTooLong) {
		return b.fail(line, "a row longer than 4 MiB (is a quoted field not closed?)")
	}
	return b.fail(line, "cannot read the input: "+err.Error())
}

// member takes one JSON object member into the current row.
func (b *base) member(key string, v raw) *issue {
	i, ok := b.field(key)
	if !ok {
		reason := "unknown field; the " + b.d.name + " fields are: " + strings.Join(b.d.names(), ", ")
		if s := suggest(key, b.d.names()); s != "" {
			reason = fmt.Sprintf("unknown field (did you mean %q?); the %s fields are: %s", s, b.d.name, strings.Join(b.d.names(), ", "))
		}
		return &issue{field: key, value: v.display(), reason: reason}
	}
	if b.seen&(1<<i) != 0 {
		return &issue{field: key, value: v.display(), reason: "given twice"}
	}
	b.seen |= 1 << i
	b.vals[i] = v
	return nil
}

// field returns the index of the field named key, the object's next.
func (b *base) field(key string) (int, bool) {
	n := b.pos
	b.pos++
	if n < len(b.order) && b.d.fields[b.order[n]].name == key {
		return b.order[n], true
	}
	i, ok := b.d.lookup(key)
	switch {
	case !ok:
	case n < len(b.order):
		b.order[n] = i
	case n == len(b.order) && n < 64:
		b.order = append(b.order, i)
	}
	return i, ok
}

var _ memberSink = (*base)(nil)
