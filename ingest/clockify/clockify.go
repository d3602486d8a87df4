// Package clockify reads Clockify's "Detailed report" CSV export into
// canonical time entries.
//
// Clockify writes dates in the user's format, and MM/DD/YYYY and
// DD/MM/YYYY share one header, so the date order is decided from the whole
// file before the first row is returned: New reads the file once to find a
// day above 12, then again to parse it. Breaks (Type "Break") are not work
// and are skipped.
package clockify

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/org"
)

// Source is the source name of every record this package makes.
const Source = "clockify"

const (
	colProject = iota
	colClient
	colDescription
	colTask
	colUser
	colGroup
	colEmail
	colTags
	colBillable
	colStartDate
	colStartTime
	colEndDate
	colEndTime
	colDurationH
	colDurationDec
	colBillRate
	colBillAmount
	colCostRate
	colCostAmount
	colCreated
	colType
	colInvoiced
	colInvoiceID
	colActivity
)

var columns = ingest.ColumnSet{
	IgnoreUnknown: true, // Clockify adds columns (custom fields, Kiosk, ...)
	Columns: []ingest.Column{
		colProject:     {Name: "Project"},
		colClient:      {Name: "Client"},
		colDescription: {Name: "Description"},
		colTask:        {Name: "Task"},
		colUser:        {Name: "User", Required: true},
		colGroup:       {Name: "Group"},
		colEmail:       {Name: "Email"},
		colTags:        {Name: "Tags"},
		colBillable:    {Name: "Billable"},
		colStartDate:   {Name: "Start Date", Required: true},
		colStartTime:   {Name: "Start Time"},
		colEndDate:     {Name: "End Date"},
		colEndTime:     {Name: "End Time"},
		colDurationH:   {Name: "Duration (h)"},
		colDurationDec: {Name: "Duration (decimal)"},
		colBillRate:    {Name: "Billable Rate", Unit: true},
		colBillAmount:  {Name: "Billable Amount", Unit: true},
		colCostRate:    {Name: "Cost Rate", Unit: true},
		colCostAmount:  {Name: "Cost Amount", Unit: true},
		colCreated:     {Name: "Date of creation"},
		colType:        {Name: "Type"},
		colInvoiced:    {Name: "Invoiced"},
		colInvoiceID:   {Name: "Invoice ID"},
		colActivity:    {Name: "Activity"},
	},
}

// Detect reports whether header, the first row of a CSV file (a UTF-8 BOM
// may lead header[0]), is a Clockify detailed report: a User, a Start Date
// and a "Duration (h)" or "Duration (decimal)" column.
func Detect(header []string) bool {
	return columns.Match(header, "Duration (h)") || columns.Match(header, "Duration (decimal)")
}

// Parser reads one Clockify export. It is not safe for concurrent use.
type Parser struct {
	f        *ingest.CSVFile
	opts     ingest.Options
	order    string // "mdy" or "dmy", decided from the whole file; "" if no date needs one
	keys     *ingest.Keyer
	num      ingest.NumberLocale
	now      time.Time // dates more than a year after now are rejected
	currency string
	breaks   int
	spool    *spool // nil when r could seek
}

var _ ingest.Parser = (*Parser)(nil)

// New reads a Clockify export from r twice: once to decide the date order,
// once, row by row, in Next.
//
// When r is an io.ReadSeeker that can seek (a file, a bytes.Reader), New
// reads it to the end and seeks back to where it was. Otherwise (a pipe, an
// upload) New copies r to a temporary file (os.CreateTemp) while reading
// it. On Unix the file is unlinked at once and lives only as long as it is
// open; elsewhere it is removed when Next returns io.EOF or a
// *ingest.FileError, or on Close. Either way it is closed then: a caller
// that stops reading before the end should call Close.
//
// New returns a *ingest.FileError when the file is not UTF-8, is truncated,
// has no Clockify header, disagrees with itself about the date order, or
// when every date in it reads both as MM/DD and as DD/MM and opts.DateOrder
// is "": the error asks for --date-order mdy|dmy. New never guesses.
func New(r io.Reader, opts ingest.Options) (ingest.Parser, error) {
	switch opts.DateOrder {
	case "", ingest.DateOrderMDY, ingest.DateOrderDMY:
	default:
		return nil, &ingest.FileError{File: opts.File, Reason: fmt.Sprintf("unknown date order %q (want mdy or dmy)", opts.DateOrder)}
	}
	p := &Parser{opts: opts, keys: ingest.NewKeyerFor(opts), now: time.Now()}
	var src io.Reader
	if rs, ok := r.(io.ReadSeeker); ok {
		if at, err := rs.Seek(0, io.SeekCurrent); err == nil {
			order, err := prescan(rs, opts)
			if err != nil {
				return nil, err
			}
			if _, err := rs.Seek(at, io.SeekStart); err != nil {
				return nil, &ingest.FileError{File: opts.File, Reason: fmt.Sprintf("cannot read the file again: %v", err)}
			}
			p.order, src = order, rs
		}
	}
	if src == nil {
		sp, err := newSpool(opts.File)
		if err != nil {
			return nil, err
		}
		order, err := prescan(io.TeeReader(r, sp.f), opts)
		if err == nil {
			err = sp.rewind(r, opts.File)
		}
		if err != nil {
			sp.close()
			return nil, err
		}
		p.order, p.spool, src = order, sp, sp.f
	}
	f, err := ingest.OpenCSV(src, opts.File, columns)
	if err != nil {
		p.Close()
		return nil, err
	}
	p.f = f
	if !f.Has(colDurationDec) && !f.Has(colDurationH) && !(f.Has(colStartTime) && f.Has(colEndTime)) {
		p.Close()
		return nil, &ingest.FileError{File: opts.File, Line: f.HeaderLine(),
			Reason: `no "Duration (decimal)", "Duration (h)" or "Start Time" and "End Time" columns: cannot tell the hours`}
	}
	for _, col := range [...]int{colBillRate, colBillAmount, colCostRate, colCostAmount} {
		unit := f.Unit(col)
		if unit == "" {
			continue
		}
		code, why := org.CurrencyCode(unit)
		if why == "" && p.currency != "" && code != p.currency {
			why = "a second currency (" + p.currency + " in another column)"
		}
		if why != "" {
			p.Close()
			return nil, &ingest.FileError{File: opts.File, Line: f.HeaderLine(), Reason: fmt.Sprintf("column %q: %s", f.Header(col), why)}
		}
		p.currency = code
	}
	return p, nil
}

// prescan reads the whole file and decides how to read its day-month-year
// dates: from a day above 12 if there is one, else from opts.DateOrder.
func prescan(r io.Reader, opts ingest.Options) (string, error) {
	f, err := ingest.OpenCSV(r, opts.File, columns)
	if err != nil {
		return "", err
	}
	type evidence struct {
		line  int
		value string
	}
	var mdy, dmy, ambiguous evidence
	for {
		rec, line, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var fe *ingest.FileError
		if errors.As(err, &fe) {
			return "", err
		}
		if err != nil { // a bad row: Next reports it again on the second pass
			continue
		}
		for _, col := range [...]int{colStartDate, colEndDate} {
			v := rec.At(col)
			order, needs := ingest.DateOrderOf(v)
			switch {
			case !needs:
			case order == ingest.DateOrderMDY && mdy.line == 0:
				mdy = evidence{line, v}
			case order == ingest.DateOrderDMY && dmy.line == 0:
				dmy = evidence{line, v}
			case order == "" && ambiguous.line == 0:
				ambiguous = evidence{line, v}
			}
		}
	}
	settled := ""
	switch {
	case mdy.line > 0 && dmy.line > 0:
		return "", &ingest.FileError{File: opts.File, Line: max(mdy.line, dmy.line), Reason: fmt.Sprintf(
			"the dates disagree: %q on line %d reads only as MM/DD/YYYY and %q on line %d only as DD/MM/YYYY",
			mdy.value, mdy.line, dmy.value, dmy.line)}
	case mdy.line > 0:
		settled = ingest.DateOrderMDY
	case dmy.line > 0:
		settled = ingest.DateOrderDMY
	}
	if settled != "" {
		if opts.DateOrder != "" && opts.DateOrder != settled {
			e := mdy
			if settled == ingest.DateOrderDMY {
				e = dmy
			}
			return "", &ingest.FileError{File: opts.File, Line: e.line, Reason: fmt.Sprintf(
				"--date-order %s contradicts the file: %q reads only as %s", opts.DateOrder, e.value, orderName(settled))}
		}
		return settled, nil
	}
	if ambiguous.line > 0 && opts.DateOrder == "" {
		return "", &ingest.FileError{File: opts.File, Line: ambiguous.line, Reason: fmt.Sprintf(
			"every date in the file reads both as MM/DD/YYYY and as DD/MM/YYYY (first %q): pass --date-order mdy|dmy",
			ambiguous.value)}
	}
	return opts.DateOrder, nil
}

func orderName(order string) string {
	if order == ingest.DateOrderDMY {
		return "DD/MM/YYYY"
	}
	return "MM/DD/YYYY"
}

// Breaks returns how many Break rows Next has skipped so far.
func (p *Parser) Breaks() int { return p.breaks }

// Close releases the temporary copy of a non-seekable input, if any. Next
// does it by itself at the end of the file; Close is for callers that stop
// early. It is safe to call more than once.
func (p *Parser) Close() error {
	if p.spool != nil {
		p.spool.close()
		p.spool = nil
	}
	return nil
}

// Next returns the next time entry, skipping breaks. A bad row is an
// *ingest.RowError naming its line, column and value, and the next call
// goes on with the next row; an *ingest.FileError ends the file; io.EOF is
// the end. Hours come from "Duration (h)", else end minus start, else
// "Duration (decimal)" (see hours).
func (p *Parser) Next() (ingest.Row, error) {
	for {
		rec, line, err := p.f.Next()
		if err != nil {
			var fe *ingest.FileError
			if errors.Is(err, io.EOF) || errors.As(err, &fe) {
				p.Close()
			}
			return ingest.Row{}, err
		}
		if strings.EqualFold(rec.At(colType), "break") {
			p.breaks++
			continue
		}
		return p.row(rec, line)
	}
}

func (p *Parser) row(rec ingest.Record, line int) (ingest.Row, error) {
	bad := func(col int, value, reason string) (ingest.Row, error) {
		return ingest.Row{}, p.f.RowError(line, col, value, reason)
	}
	user := rec.At(colUser)
	if user == "" {
		return bad(colUser, "", "empty; every entry has a user")
	}
	raw := rec.At(colStartDate)
	date, why := ingest.ParseDate(raw, p.order)
	if why == "" {
		why = ingest.CheckDate(date, p.now)
	}
	if why != "" {
		return bad(colStartDate, raw, why)
	}
	start, why := clock(rec, colStartTime)
	if why != "" {
		return bad(colStartTime, rec.At(colStartTime), why)
	}
	endDate := date
	if raw = rec.At(colEndDate); raw != "" {
		if endDate, why = ingest.ParseDate(raw, p.order); why != "" {
			return bad(colEndDate, raw, why)
		}
	}
	end, why := clock(rec, colEndTime)
	if why != "" {
		return bad(colEndTime, rec.At(colEndTime), why)
	}

	hours, keyHours, col, why := p.hours(rec, date, start, endDate, end)
	if why != "" {
		return bad(col, rec.At(col), why)
	}

	billable := false
	if raw = rec.At(colBillable); raw != "" {
		if billable, why = ingest.ParseFlag(raw); why != "" {
			return bad(colBillable, raw, why)
		}
	}
	status := ingest.Unbilled
	if raw = rec.At(colInvoiced); raw != "" {
		invoiced, why := ingest.ParseFlag(raw)
		if why != "" {
			return bad(colInvoiced, raw, why)
		}
		if invoiced {
			status = ingest.Billed
		}
	}
	amounts, col, raw, why := p.num.ParseRates(rec, colBillRate, colCostRate, colBillAmount)
	if why != "" {
		return bad(col, raw, why)
	}

	email, client, project := rec.At(colEmail), rec.At(colClient), rec.At(colProject)
	task, notes := rec.At(colTask), rec.At(colDescription)
	e := ingest.TimeEntry{
		Meta: ingest.Meta{
			Org:        p.opts.Org,
			Source:     Source,
			ExternalID: p.keys.IntervalKey(Source, date, user, email, client, project, task, notes, start, endDate, end, keyHours, billable),
		},
		Date:          date,
		Hours:         hours,
		Task:          task,
		Notes:         notes,
		Billable:      billable,
		BillRate:      amounts[0],
		CostRate:      amounts[1],
		BilledAmount:  amounts[2],
		BillingStatus: status,
		InvoiceID:     rec.At(colInvoiceID),
		Currency:      p.currency,
		Tags:          ingest.SplitTags(rec.At(colTags)),
	}
	refs := &ingest.Refs{PersonEmail: email, PersonName: user, Role: rec.At(colGroup), Client: client, Project: project}
	return ingest.Row{Line: line, Record: e, Refs: refs}, nil
}

// hours returns the entry's hours, and the hours its row key hashes. The
// hours are the first of: "Duration (h)" as h:mm:ss, exact to the second
// (Clockify computes it from the instants, so a change of daylight saving
// time is counted right); end minus start, as wall-clock times; "Duration
// (h)" written as a decimal (a workspace setting); "Duration (decimal)",
// which Clockify rounds to 2 places and some exports leave at 0.00.
//
// The key's hours are those the parser took before it preferred the exact
// duration: "Duration (decimal)" when the row has it. An export imported
// then keeps its ids, and importing it again corrects its hours in place.
// A bad cell is reported as its column, value and reason.
func (p *Parser) hours(rec ingest.Record, date time.Time, start int64, endDate time.Time, end int64) (hours, key decimal.Decimal, col int, why string) {
	var dec, durH *decimal.Decimal
	for _, c := range [...]int{colDurationH, colDurationDec} {
		raw := rec.At(c)
		if raw == "" {
			continue
		}
		h, why := p.num.ParseHours(raw)
		if why != "" {
			return hours, key, c, why
		}
		if c == colDurationDec {
			dec = &h
		} else {
			durH = &h
		}
	}
	switch {
	case durH != nil && strings.IndexByte(rec.At(colDurationH), ':') >= 0:
		hours = *durH
	case start >= 0 && end >= 0:
		secs := int64(endDate.Sub(date)/time.Second) + end - start
		if rec.At(colEndDate) == "" && secs < 0 { // no end date: past midnight
			secs += 24 * 3600
		}
		hours = ingest.SecondsToHours(secs)
		if why = ingest.CheckHours(hours); why != "" {
			return hours, key, colEndTime, why + " (from start to end)"
		}
	case durH != nil:
		hours = *durH
	case dec != nil:
		hours = *dec
	default:
		return hours, key, colDurationDec, "no duration, and no start and end time to compute it from"
	}
	switch {
	case dec != nil:
		key = *dec
	case durH != nil:
		key = *durH
	default:
		key = hours
	}
	return hours, key, -1, ""
}

// clock reads an optional time of day: -1 when the cell is empty.
func clock(rec ingest.Record, col int) (int64, string) {
	raw := rec.At(col)
	if raw == "" {
		return -1, ""
	}
	return ingest.ParseClock(raw)
}

// spool is the temporary copy of an input that cannot seek.
type spool struct {
	f       *os.File
	removed bool
}

func newSpool(file string) (*spool, error) {
	f, err := os.CreateTemp("", "opsmetrics-clockify-*.csv")
	if err != nil {
		return nil, &ingest.FileError{File: file, Reason: fmt.Sprintf("cannot make a temporary copy to read the file twice: %v", err)}
	}
	// Unix lets an open file lose its name: nothing is left behind even if
	// the process dies. Where that fails, close removes it.
	sp := &spool{f: f, removed: os.Remove(f.Name()) == nil}
	return sp, nil
}

// rewind copies what the prescan left unread of r and seeks to the start.
func (s *spool) rewind(r io.Reader, file string) error {
	if _, err := io.Copy(s.f, r); err != nil {
		return &ingest.FileError{File: file, Reason: fmt.Sprintf("cannot copy the input: %v", err)}
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return &ingest.FileError{File: file, Reason: fmt.Sprintf("cannot read the temporary copy: %v", err)}
	}
	return nil
}

func (s *spool) close() {
	_ = s.f.Close()
	if !s.removed {
		_ = os.Remove(s.f.Name())
		s.removed = true
	}
}
