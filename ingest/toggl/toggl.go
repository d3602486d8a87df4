// Package toggl reads Toggl Track's "Detailed report" CSV export into
// canonical time entries: H:MM:SS durations, start and end dates and times,
// tags in one field, a localised Billable flag and the currency in the
// "Amount (XXX)" header.
package toggl

import (
	"fmt"
	"io"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/org"
)

// Source is the source name of every record this package makes.
const Source = "toggl"

const (
	colUser = iota
	colEmail
	colClient
	colProject
	colTask
	colDescription
	colBillable
	colStartDate
	colStartTime
	colEndDate
	colEndTime
	colDuration
	colTags
	colAmount
)

var columns = ingest.ColumnSet{
	IgnoreUnknown: true, // Toggl adds columns over time
	Columns: []ingest.Column{
		colUser:        {Name: "User", Aliases: []string{"Member", "Username"}, Required: true},
		colEmail:       {Name: "Email"},
		colClient:      {Name: "Client"},
		colProject:     {Name: "Project"},
		colTask:        {Name: "Task"},
		colDescription: {Name: "Description"},
		colBillable:    {Name: "Billable"},
		colStartDate:   {Name: "Start date", Required: true},
		colStartTime:   {Name: "Start time"},
		colEndDate:     {Name: "End date", Aliases: []string{"Stop date"}},
		colEndTime:     {Name: "End time", Aliases: []string{"Stop time"}},
		colDuration:    {Name: "Duration", Required: true},
		colTags:        {Name: "Tags"},
		colAmount:      {Name: "Amount", Aliases: []string{"Billable amount"}, Unit: true},
	},
}

// Detect reports whether header, the first row of a CSV file (a UTF-8 BOM
// may lead header[0]), is a Toggl Track detailed report.
func Detect(header []string) bool { return columns.Match(header) }

// Parser reads one Toggl export. It is not safe for concurrent use.
type Parser struct {
	f        *ingest.CSVFile
	opts     ingest.Options
	keys     *ingest.Keyer
	num      ingest.NumberLocale
	now      time.Time // dates more than a year after now are rejected
	currency string
}

var _ ingest.Parser = (*Parser)(nil)

// New reads the header of a Toggl export from r. It returns a
// *ingest.FileError when the file is not UTF-8, its header is not a Toggl
// header, or the currency in the Amount header is not one.
func New(r io.Reader, opts ingest.Options) (ingest.Parser, error) {
	f, err := ingest.OpenCSV(r, opts.File, columns)
	if err != nil {
		return nil, err
	}
	currency, why := org.CurrencyCode(f.Unit(colAmount))
	if why != "" {
		return nil, &ingest.FileError{File: opts.File, Line: f.HeaderLine(), Reason: fmt.Sprintf("column %q: %s", f.Header(colAmount), why)}
	}
	return &Parser{f: f, opts: opts, keys: ingest.NewKeyerFor(opts), now: time.Now(), currency: currency}, nil
}

// Next returns the next time entry. A bad row is an *ingest.RowError naming
// its line, column and value, and the next call goes on with the next row;
// an *ingest.FileError ends the file; io.EOF is the end.
//
// An entry that crosses midnight keeps its start date and its whole
// duration. Duration wins over end minus start when both are given.
func (p *Parser) Next() (ingest.Row, error) {
	rec, line, err := p.f.Next()
	if err != nil {
		return ingest.Row{}, err
	}
	return p.row(rec, line)
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
	date, why := ingest.ParseDate(raw, p.opts.DateOrder)
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
		if endDate, why = ingest.ParseDate(raw, p.opts.DateOrder); why != "" {
			return bad(colEndDate, raw, why)
		}
	}
	end, why := clock(rec, colEndTime)
	if why != "" {
		return bad(colEndTime, rec.At(colEndTime), why)
	}

	var hours decimal.Decimal
	if raw = rec.At(colDuration); raw != "" {
		if hours, why = p.num.ParseHours(raw); why != "" {
			return bad(colDuration, raw, why)
		}
	} else {
		if start < 0 || end < 0 {
			return bad(colDuration, "", "empty, and no start and end time to compute it from")
		}
		secs := int64(endDate.Sub(date)/time.Second) + end - start
		if !p.f.Has(colEndDate) && secs < 0 { // no end date: past midnight
			secs += 24 * 3600
		}
		hours = ingest.SecondsToHours(secs)
		if why = ingest.CheckHours(hours); why != "" {
			return bad(colEndTime, rec.At(colEndTime), why+" (from start to end)")
		}
	}

	billable := false
	if raw = rec.At(colBillable); raw != "" {
		if billable, why = ingest.ParseFlag(raw); why != "" {
			return bad(colBillable, raw, why)
		}
	}
	var amount *decimal.Decimal
	if raw = rec.At(colAmount); raw != "" {
		v, why := p.num.ParseDecimal(raw)
		if why != "" {
			return bad(colAmount, raw, why)
		}
		amount = &v
	}

	email, client, project := rec.At(colEmail), rec.At(colClient), rec.At(colProject)
	task, notes := rec.At(colTask), rec.At(colDescription)
	e := ingest.TimeEntry{
		Meta: ingest.Meta{
			Org:        p.opts.Org,
			Source:     Source,
			ExternalID: p.keys.IntervalKey(Source, date, user, email, client, project, task, notes, start, endDate, end, hours, billable),
		},
		Date:          date,
		Hours:         hours,
		Task:          task,
		Notes:         notes,
		Billable:      billable,
		BilledAmount:  amount,
		BillingStatus: ingest.Unbilled,
		Currency:      p.currency,
		Tags:          ingest.SplitTags(rec.At(colTags)),
	}
	refs := &ingest.Refs{PersonEmail: email, PersonName: user, Client: client, Project: project}
	return ingest.Row{Line: line, Record: e, Refs: refs}, nil
}

// clock reads an optional time of day: -1 when the cell is empty.
func clock(rec ingest.Record, col int) (int64, string) {
	raw := rec.At(col)
	if raw == "" {
		return -1, ""
	}
	return ingest.ParseClock(raw)
}
