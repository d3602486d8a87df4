package canonical

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// csvParser reads a header row of field names, then one record per row.
// Cells are trimmed; an empty cell is an absent field.
type csvParser struct {
	base
	lim      *rowLimiter
	br       *bufio.Reader
	cr       *csv.Reader
	bom      int64 // bytes of BOM skipped before the csv.Reader started
	cols     []int // CSV column -> field index
	lastLine int   // the line of the last record's last field
}

var _ ingest.Parser = (*csvParser)(nil)

func newCSV(r io.Reader, b base) *csvParser {
	lim := &rowLimiter{r: r}
	// encoding/csv uses a *bufio.Reader of at least 4 KiB as it is, so the
	// parser can peek at what csv has not consumed.
	return &csvParser{base: b, lim: lim, br: bufio.NewReaderSize(lim, 64<<10)}
}

// Next implements ingest.Parser.
func (p *csvParser) Next() (ingest.Row, error) {
	if p.err != nil {
		return ingest.Row{}, p.err
	}
	if p.cr == nil {
		if err := p.header(); err != nil {
			return ingest.Row{}, err
		}
	}
	p.lim.mark = p.bom + p.cr.InputOffset()
	rec, err := p.cr.Read()
	if err == io.EOF {
		return ingest.Row{}, io.EOF
	}
	if err != nil {
		return ingest.Row{}, p.readErr(err)
	}
	line, _ := p.cr.FieldPos(0)
	p.lastLine, _ = p.cr.FieldPos(len(rec) - 1)
	if i, ok := validUTF8(rec); !ok {
		at, _ := p.cr.FieldPos(i)
		return ingest.Row{}, p.fail(at, "not valid UTF-8: save the file as UTF-8")
	}
	if n := recordLen(rec); n > maxRow {
		return ingest.Row{}, &ingest.RowError{File: p.file, Line: line, Reason: "row longer than 1 MiB"}
	}
	if len(rec) < len(p.cols) {
		return ingest.Row{}, &ingest.RowError{File: p.file, Line: line,
			Reason: fmt.Sprintf("%d columns, but the header has %d", len(rec), len(p.cols))}
	}
	// A trailing separator (an empty extra column) is common in spreadsheet
	// exports and loses nothing; the rule is the exports' one.
	if why := ingest.ExtraCells(rec, len(p.cols)); why != "" {
		return ingest.Row{}, &ingest.RowError{File: p.file, Line: line, Reason: why}
	}
	p.reset()
	for j, i := range p.cols {
		if v := strings.TrimSpace(rec[j]); v != "" {
			p.vals[i] = raw{kind: text, text: v}
		}
	}
	return p.row(line)
}

// header reads and checks the header row.
func (p *csvParser) header() error {
	if b, _ := p.br.Peek(3); string(b) == "\ufeff" {
		p.br.Discard(3)
		p.bom = 3
	}
	p.cr = csv.NewReader(p.br)
	p.cr.ReuseRecord = true
	p.cr.FieldsPerRecord = -1 // checked here, with a clearer message
	p.lim.mark = p.bom
	rec, err := p.cr.Read()
	if err == io.EOF {
		return p.fail(0, "the file is empty: expected a header row of field names")
	}
	if err != nil {
		return p.readErr(err)
	}
	line, _ := p.cr.FieldPos(0)
	p.lastLine = line
	if _, ok := validUTF8(rec); !ok {
		return p.fail(line, "not valid UTF-8: save the file as UTF-8")
	}
	cols := make([]string, len(rec))
	for i, h := range rec {
		cols[i] = normHeader(h)
	}
	if problem := checkHeader(p.d, cols); problem != "" {
		return p.fail(line, problem)
	}
	// Without a deleted column every row is a live record, so a missing
	// required column would reject every row: say so once.
	if !slices.Contains(cols, "deleted") {
		if miss := missingRequired(p.d, cols, false); len(miss) > 0 {
			return p.fail(line, fmt.Sprintf("missing required column %s (only a file with a deleted column, for tombstones, may leave it out)",
				strings.Join(miss, ", ")))
		}
	}
	p.cols = make([]int, len(cols))
	for j, c := range cols {
		p.cols[j], _ = p.d.lookup(c)
	}
	return nil
}

// readErr classifies an error of csv.Reader.
func (p *csvParser) readErr(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return p.readFailed(p.lastLine+1, err)
	}
	if errors.Is(pe.Err, csv.ErrQuote) {
		if _, perr := p.br.Peek(1); perr != nil {
			// The quoted field ran to the end of the input.
			return p.fail(pe.StartLine, "a quoted field is not closed (is the file truncated?)")
		}
	}
	if p.cols == nil {
		return p.fail(pe.StartLine, "cannot read the header row: "+pe.Err.Error())
	}
	// A stray quote spoils one line; csv.Reader goes on with the next.
	reason := "bad quoting: " + pe.Err.Error() + ` (quote the whole field and double any quote inside: "say ""hi""")`
	return &ingest.RowError{File: p.file, Line: pe.StartLine, Reason: reason}
}

// runawayRow is the record length at which reading stops.
const runawayRow = 4 * maxRow

func recordLen(rec []string) int {
	n := 0
	for _, f := range rec {
		n += len(f) + 1
	}
	return n
}

// errRowTooLong stops csv.Reader from buffering a runaway record.
var errRowTooLong = errors.New("record too long")

// rowLimiter fails reads once the current record (from mark, the offset
// where it starts) passes runawayRow: csv.Reader holds a whole record in
// memory, and an unterminated quote makes the rest of the file one record.
// Rows between maxRow and runawayRow are read and rejected one by one.
type rowLimiter struct {
	r          io.Reader
	read, mark int64
}

func (l *rowLimiter) Read(b []byte) (int, error) {
	if l.read-l.mark > runawayRow {
		return 0, errRowTooLong
	}
	n, err := l.r.Read(b)
	l.read += int64(n)
	return n, err
}
