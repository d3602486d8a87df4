package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Column is one column an export may have. Headers match Name or one of
// Aliases ignoring case and white space ("Start date" is "Start Date").
type Column struct {
	Name     string
	Aliases  []string
	Required bool
	// Unit marks a column whose header may carry a unit in parentheses
	// after the name, such as a currency: "Amount (USD)", "Amount ()",
	// "Billable Rate (EURO)". CSVFile.Unit returns what is inside.
	Unit bool
}

// ColumnSet is the columns of one export format.
type ColumnSet struct {
	Columns []Column
	// IgnoreUnknown skips headers that match no column instead of rejecting
	// the file: tools add columns to their exports over time. A duplicated
	// header is rejected either way.
	IgnoreUnknown bool
}

// headerKey folds a header for matching: no BOM, no white space, lower case.
func headerKey(h string) string {
	h = strings.TrimPrefix(h, "\ufeff")
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, h)
}

// index maps every folded name and alias to its column.
func (s ColumnSet) index() map[string]int {
	idx := make(map[string]int, len(s.Columns)*2)
	for i, c := range s.Columns {
		idx[headerKey(c.Name)] = i
		for _, a := range c.Aliases {
			idx[headerKey(a)] = i
		}
	}
	return idx
}

// lookup finds the column of header h: by name first, then, for Unit
// columns, by the name before a trailing "(...)". col is -1 when none.
func (s ColumnSet) lookup(idx map[string]int, h string) (col int, unit string) {
	if c, ok := idx[headerKey(h)]; ok {
		return c, ""
	}
	h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	if strings.HasSuffix(h, ")") {
		if i := strings.LastIndexByte(h, '('); i > 0 {
			if c, ok := idx[headerKey(h[:i])]; ok && s.Columns[c].Unit {
				return c, strings.TrimSpace(h[i+1 : len(h)-1])
			}
		}
	}
	return -1, ""
}

// Match reports whether header (a BOM may lead header[0]) has every
// required column of the set and every column named in also. Detectors use
// it to recognise an export from its first row.
func (s ColumnSet) Match(header []string, also ...string) bool {
	idx := s.index()
	have := make([]bool, len(s.Columns))
	for _, h := range header {
		if c, _ := s.lookup(idx, h); c >= 0 {
			have[c] = true
		}
	}
	for i, c := range s.Columns {
		if c.Required && !have[i] {
			return false
		}
	}
	for _, name := range also {
		c, ok := idx[headerKey(name)]
		if !ok || !have[c] {
			return false
		}
	}
	return true
}

// CSVFile reads a CSV export one record at a time, by column rather than by
// position. It is not safe for concurrent use.
type CSVFile struct {
	file    string
	cr      *csvReader
	set     ColumnSet
	byName  map[string]int // Column.Name -> column
	pos     []int          // column -> field index in the file, -1 when absent
	headers []string       // column -> header as written in the file
	units   []string       // column -> unit from the header
	width   int            // fields in the header row
	hline   int

	// peeked is a record read ahead to tell a truncated last record from
	// a short one in the middle.
	peeked     bool
	peekFields []string
	peekLine   int
	peekErr    error

	err error // sticky: once the file failed or ended, Next keeps saying so
}

// Record is one data row of a CSVFile. Its strings stay valid after the next
// call to Next; the Record itself (its field slice) does not.
type Record struct {
	f      *CSVFile
	fields []string
}

// OpenCSV reads the header row of r and maps it to the columns of set. It
// strips a UTF-8 BOM. It returns a *FileError when the input is not UTF-8,
// is empty, lacks a required column, repeats a header, or (unless
// set.IgnoreUnknown) has a header that matches no column; file names the
// input in errors.
func OpenCSV(r io.Reader, file string, set ColumnSet) (*CSVFile, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); bytes.HasPrefix(b, []byte("\ufeff")) {
		_, _ = br.Discard(3)
	} else if bytes.HasPrefix(b, []byte{0xff, 0xfe}) || bytes.HasPrefix(b, []byte{0xfe, 0xff}) {
		return nil, &FileError{File: file, Line: 1, Reason: "the file is UTF-16; export it again as UTF-8 CSV"}
	}
	f := &CSVFile{file: file, cr: &csvReader{r: br}, set: set}

	header, line, err := f.read()
	if errors.Is(err, io.EOF) {
		return nil, &FileError{File: file, Line: 1, Reason: "the file is empty: no header row"}
	}
	if err != nil {
		return nil, err
	}
	// Cells after the last named column are the header's share of a
	// spreadsheet's trailing commas: the rows' rule (ExtraCells) holds.
	named := len(header)
	for named > 0 && headerKey(header[named-1]) == "" {
		named--
	}
	if n := len(header) - named; n > MaxEmptyExtraCells {
		return nil, &FileError{File: file, Line: line, Reason: fmt.Sprintf(
			"the header has %d empty cells after its last named column, more than the %d tolerated", n, MaxEmptyExtraCells)}
	}
	f.hline, f.width = line, len(header)
	f.pos = make([]int, len(set.Columns))
	f.headers = make([]string, len(set.Columns))
	f.units = make([]string, len(set.Columns))
	f.byName = make(map[string]int, len(set.Columns))
	for i, c := range set.Columns {
		f.pos[i] = -1
		f.byName[c.Name] = i
	}
	idx := set.index()
	seen := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		key := headerKey(h)
		if key != "" {
			if j, dup := seen[key]; dup {
				return nil, &FileError{File: file, Line: line, Reason: fmt.Sprintf(
					"column %q appears twice (columns %d and %d)", h, j+1, i+1)}
			}
			seen[key] = i
		}
		c, unit := set.lookup(idx, h)
		if c < 0 {
			if set.IgnoreUnknown {
				continue
			}
			what := fmt.Sprintf("unknown column %q", h)
			if key == "" {
				what = fmt.Sprintf("column %d has no name", i+1)
			}
			return nil, &FileError{File: file, Line: line, Reason: fmt.Sprintf(
				"%s; known columns: %s", what, strings.Join(set.names(), ", "))}
		}
		if j := f.pos[c]; j >= 0 {
			return nil, &FileError{File: file, Line: line, Reason: fmt.Sprintf(
				"columns %q and %q both mean %q", f.headers[c], h, set.Columns[c].Name)}
		}
		f.pos[c], f.headers[c], f.units[c] = i, h, unit
	}
	var missing []string
	for i, c := range set.Columns {
		if c.Required && f.pos[i] < 0 {
			missing = append(missing, fmt.Sprintf("%q", c.Name))
		}
	}
	if len(missing) > 0 {
		return nil, &FileError{File: file, Line: line, Reason: fmt.Sprintf(
			"missing column %s (the header has: %s)", strings.Join(missing, ", "), strings.Join(header, ", "))}
	}
	return f, nil
}

func (s ColumnSet) names() []string {
	n := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		n[i] = c.Name
	}
	return n
}

// read returns the next CSV record with the line it starts on, checking
// that every field is UTF-8. Errors are *FileError (or io.EOF).
func (f *CSVFile) read() ([]string, int, error) {
	if f.peeked {
		f.peeked = false
		return f.peekFields, f.peekLine, f.peekErr
	}
	fields, err := f.cr.read()
	if err != nil {
		return nil, 0, f.readError(err)
	}
	if !utf8.Valid(f.cr.rec) { // every field at once (see csvReader)
		for i, v := range fields {
			if !utf8.ValidString(v) {
				l := f.cr.spans[i].line + strings.Count(v[:invalidAt(v)], "\n") // the line of the bad byte in a multi-line field
				return nil, 0, &FileError{File: f.file, Line: l, Reason: "the file is not UTF-8; export it again as UTF-8 CSV"}
			}
		}
	}
	return fields, f.cr.spans[0].line, nil
}

// invalidAt returns the offset of the first byte of s that is not UTF-8.
func invalidAt(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				return i
			}
		}
	}
	return len(s)
}

// readError turns an error of csvReader into a *FileError.
func (f *CSVFile) readError(err error) error {
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return &FileError{File: f.file, Reason: fmt.Sprintf("cannot read the file: %v", err)}
	}
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		// Either a stray quote after a closing one, or a quote never
		// closed: then the reader has swallowed the rest of the file.
		if _, next := f.cr.read(); errors.Is(next, io.EOF) {
			return &FileError{File: f.file, Line: pe.StartLine, Reason: "a quoted field starting here is never closed: the file looks truncated"}
		}
		return &FileError{File: f.file, Line: pe.Line, Reason: fmt.Sprintf("malformed quoted field at column %d (a stray \" after the closing quote)", pe.Column)}
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return &FileError{File: f.file, Line: pe.Line, Reason: fmt.Sprintf("a \" inside an unquoted field at column %d; quote the field and double the \"", pe.Column)}
	}
	return &FileError{File: f.file, Line: pe.StartLine, Reason: pe.Err.Error()}
}

// Next returns the next data record and the 1-based line it starts on.
// Blank rows are skipped. A row whose field count differs from the header
// is a *RowError, and the next call goes on; a last row with fewer fields
// than the header, an unterminated quote, non-UTF-8 bytes or a read error
// is a *FileError, after which Next returns the same error. At the end it
// returns io.EOF.
func (f *CSVFile) Next() (rec Record, line int, err error) {
	if f.err != nil {
		return Record{}, 0, f.err
	}
	for {
		fields, line, err := f.read()
		if err != nil {
			f.err = err
			return Record{}, 0, err
		}
		if len(fields) == f.width {
			if blank(fields) {
				continue
			}
			return Record{f: f, fields: fields}, line, nil
		}
		if blank(fields) {
			continue
		}
		if len(fields) > f.width {
			if why := ExtraCells(fields, f.width); why != "" {
				return Record{}, line, &RowError{File: f.file, Line: line, Reason: why}
			}
			return Record{f: f, fields: fields[:f.width]}, line, nil // trailing commas
		}
		n := len(fields)
		// Short: the last record of a truncated file, or one bad row?
		f.peekFields, f.peekLine, f.peekErr = f.read()
		f.peeked = true
		if errors.Is(f.peekErr, io.EOF) {
			f.err = &FileError{File: f.file, Line: line, Reason: fmt.Sprintf(
				"the last row has %d of the header's %d fields: the file looks truncated", n, f.width)}
			return Record{}, 0, f.err
		}
		return Record{}, line, &RowError{File: f.file, Line: line, Reason: fmt.Sprintf(
			"the row has %d fields but the header has %d", n, f.width)}
	}
}

// MaxEmptyExtraCells is how many empty cells a row may have after the
// header's last column. Spreadsheets write some when a cell further right
// was ever used (a new Google Sheet is 26 columns wide); tens of thousands
// are not a spreadsheet's habit but a broken file.
const MaxEmptyExtraCells = 100

// ExtraCells says why a row of cells is refused when it has more cells than
// the header's width columns, or "" when it may be read as its first width
// cells: every extra cell is empty (or white space) and there are at most
// MaxEmptyExtraCells of them. Every CSV reader of exports and of
// opsmetrics' own formats follows it. It returns "" when len(cells) <= width.
func ExtraCells(cells []string, width int) string {
	extra := cells[min(width, len(cells)):]
	switch {
	case len(extra) == 0:
		return ""
	case !blank(extra):
		return fmt.Sprintf("the row has %d cells but the header has %d columns", len(cells), width)
	case len(extra) > MaxEmptyExtraCells:
		return fmt.Sprintf("the row has %d cells but the header has %d columns: %d empty cells after the last column, more than the %d tolerated",
			len(cells), width, len(extra), MaxEmptyExtraCells)
	}
	return ""
}

func blank(fields []string) bool {
	for _, v := range fields {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// File returns the name the file goes by in errors.
func (f *CSVFile) File() string { return f.file }

// HeaderLine returns the line of the header row.
func (f *CSVFile) HeaderLine() int { return f.hline }

// Has reports whether the file has column col (an index into the
// ColumnSet's Columns).
func (f *CSVFile) Has(col int) bool { return col >= 0 && col < len(f.pos) && f.pos[col] >= 0 }

// Header returns the header of column col as written in the file, or the
// column's Name when the file lacks it: what RowError.Field should say.
func (f *CSVFile) Header(col int) string {
	if !f.Has(col) {
		if col >= 0 && col < len(f.set.Columns) {
			return f.set.Columns[col].Name
		}
		return ""
	}
	return f.headers[col]
}

// Unit returns what the header of a Unit column had in parentheses, "USD"
// for "Amount (USD)", and "" when it had none or the file lacks the column.
func (f *CSVFile) Unit(col int) string {
	if !f.Has(col) {
		return ""
	}
	return f.units[col]
}

// Index returns the column whose Name is name, or -1.
func (f *CSVFile) Index(name string) int {
	if c, ok := f.byName[name]; ok {
		return c
	}
	return -1
}

// At returns the trimmed value of column col (an index into the ColumnSet's
// Columns), or "" when the file lacks the column.
func (r Record) At(col int) string {
	if r.f == nil || col < 0 || col >= len(r.f.pos) {
		return ""
	}
	i := r.f.pos[col]
	if i < 0 || i >= len(r.fields) {
		return ""
	}
	return trimSpace(r.fields[i])
}

// trimSpace is strings.TrimSpace with a shortcut for the value that starts
// and ends with ASCII other than white space, as nearly every field does: it
// is returned as is. Every field a parser reads goes through it.
func trimSpace(s string) string {
	if n := len(s); n > 0 && ' ' < s[0] && s[0] < utf8.RuneSelf && ' ' < s[n-1] && s[n-1] < utf8.RuneSelf {
		return s
	}
	return strings.TrimSpace(s)
}

// Get returns the trimmed value of the column whose Column.Name is name,
// or "" when the file lacks it.
func (r Record) Get(name string) string {
	if r.f == nil {
		return ""
	}
	return r.At(r.f.Index(name))
}

// Has reports whether the file has the column whose Column.Name is name.
func (r Record) Has(name string) bool {
	return r.f != nil && r.f.Has(r.f.Index(name))
}

// RowError returns the rejection of the value of column col in the row
// starting on line, naming the column as the file's header does.
func (f *CSVFile) RowError(line, col int, value, reason string) *RowError {
	return &RowError{File: f.file, Line: line, Field: f.Header(col), Value: value, Reason: reason}
}
