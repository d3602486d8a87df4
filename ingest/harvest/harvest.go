// Package harvest reads Harvest's "Detailed time report" CSV export into
// canonical time entries. Headers are matched by name, current and older
// column sets alike (Department for Roles, Hourly Rate for Billable Rate),
// and numbers follow whatever locale the account exported in.
package harvest

import (
	"io"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/org"
)

// Source is the source name of every record this package makes.
const Source = "harvest"

// Columns of the export, in the order of the column constants below.
const (
	colDate = iota
	colClient
	colProject
	colProjectCode
	colTask
	colNotes
	colHours
	colHoursRounded
	colBillable
	colInvoiced
	colApproved
	colFirstName
	colLastName
	colEmployeeID
	colRoles
	colEmployee
	colBillRate
	colBillAmount
	colCostRate
	colCostAmount
	colCurrency
	colExternalURL
)

var columns = ingest.ColumnSet{
	IgnoreUnknown: true, // Harvest adds columns over time
	Columns: []ingest.Column{
		colDate:         {Name: "Date", Aliases: []string{"Spent Date"}, Required: true},
		colClient:       {Name: "Client", Required: true},
		colProject:      {Name: "Project", Required: true},
		colProjectCode:  {Name: "Project Code"},
		colTask:         {Name: "Task"},
		colNotes:        {Name: "Notes"},
		colHours:        {Name: "Hours", Required: true},
		colHoursRounded: {Name: "Hours Rounded"},
		colBillable:     {Name: "Billable?", Aliases: []string{"Billable"}, Required: true},
		colInvoiced:     {Name: "Invoiced?", Aliases: []string{"Invoiced"}},
		colApproved:     {Name: "Approved?", Aliases: []string{"Approved"}},
		colFirstName:    {Name: "First Name", Required: true},
		colLastName:     {Name: "Last Name", Required: true},
		colEmployeeID:   {Name: "Employee Id"},
		colRoles:        {Name: "Roles", Aliases: []string{"Department", "Role"}},
		colEmployee:     {Name: "Employee?", Aliases: []string{"Employee"}},
		colBillRate:     {Name: "Billable Rate", Aliases: []string{"Hourly Rate"}},
		colBillAmount:   {Name: "Billable Amount"},
		colCostRate:     {Name: "Cost Rate"},
		colCostAmount:   {Name: "Cost Amount"},
		colCurrency:     {Name: "Currency"},
		colExternalURL:  {Name: "External Reference URL"},
	},
}

// Detect reports whether header, the first row of a CSV file (a UTF-8 BOM
// may lead header[0]), is a Harvest detailed time report.
func Detect(header []string) bool { return columns.Match(header) }

// Parser reads one Harvest export. It is not safe for concurrent use.
type Parser struct {
	f     *ingest.CSVFile
	opts  ingest.Options
	keys  *ingest.Keyer
	num   ingest.NumberLocale
	now   time.Time // dates more than a year after now are rejected
	dates dateCache
	cur   currencyCache
}

var _ ingest.Parser = (*Parser)(nil)

// New reads the header of a Harvest export from r. It returns a
// *ingest.FileError when the file is not UTF-8 or its header is not a
// Harvest header (a required column missing, a column repeated).
func New(r io.Reader, opts ingest.Options) (ingest.Parser, error) {
	f, err := ingest.OpenCSV(r, opts.File, columns)
	if err != nil {
		return nil, err
	}
	return &Parser{f: f, opts: opts, keys: ingest.NewKeyerFor(opts), now: time.Now()}, nil
}

// Next returns the next time entry. A bad row is an *ingest.RowError naming
// its line, column and value, and the next call goes on with the next row;
// an *ingest.FileError ends the file; io.EOF is the end.
func (p *Parser) Next() (ingest.Row, error) {
	var e ingest.TimeEntry
	refs := &ingest.Refs{}
	line, err := p.NextEntry(&e, refs)
	if err != nil {
		return ingest.Row{}, err
	}
	return ingest.Row{Line: line, Record: e, Refs: refs}, nil
}

// NextEntry is Next that fills in the caller's entry and refs, overwriting
// them whole, and returns the row's line: a long import then allocates no
// Row of its own per row. After an error, e and refs hold nothing of use.
func (p *Parser) NextEntry(e *ingest.TimeEntry, refs *ingest.Refs) (int, error) {
	rec, line, err := p.f.Next()
	if err != nil {
		return 0, err
	}
	return line, p.row(rec, line, e, refs)
}

func (p *Parser) row(rec ingest.Record, line int, e *ingest.TimeEntry, refs *ingest.Refs) error {
	bad := func(col int, value, reason string) error {
		return p.f.RowError(line, col, value, reason)
	}
	raw := rec.At(colDate)
	date, iso, why := p.dates.parse(raw, p.opts.DateOrder, p.now)
	if why != "" {
		return bad(colDate, raw, why)
	}
	raw = rec.At(colHours)
	hours, hoursText, why := p.num.ParseHoursText(raw)
	if why != "" {
		return bad(colHours, raw, why)
	}
	raw = rec.At(colBillable)
	billable, why := ingest.ParseFlag(raw)
	if why != "" {
		return bad(colBillable, raw, why)
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
	first, last := rec.At(colFirstName), rec.At(colLastName)
	name := first
	switch {
	case first == "":
		name = last
	case last != "":
		name = first + " " + last
	}
	if name == "" {
		return bad(colFirstName, "", "no person: First Name and Last Name are empty")
	}
	project := rec.At(colProject)
	if project == "" {
		return bad(colProject, "", "empty; every Harvest entry has a project")
	}
	amounts, col, raw, why := p.num.ParseRates(rec, colBillRate, colCostRate, colBillAmount)
	if why != "" {
		return bad(col, raw, why)
	}
	raw = rec.At(colCurrency)
	currency, why := p.cur.code(raw)
	if why != "" {
		return bad(colCurrency, raw, why)
	}

	client, task, notes, empID := rec.At(colClient), rec.At(colTask), rec.At(colNotes), rec.At(colEmployeeID)
	*e = ingest.TimeEntry{
		Meta: ingest.Meta{
			Org:    p.opts.Org,
			Source: Source,
			// Not the invoice status or rates: invoicing an entry and
			// exporting again must replace it, not add a second one.
			ExternalID: p.keys.Key(Source, iso, empID, first, last, client, project, task, notes, hoursText, ingest.BillableFlag(billable)),
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
		Currency:      currency,
	}
	*refs = ingest.Refs{
		PersonID:    empID,
		PersonName:  name,
		Role:        rec.At(colRoles),
		Client:      client,
		Project:     project,
		ProjectCode: rec.At(colProjectCode),
	}
	return nil
}

// dateCache remembers the last date read: an export is sorted by date, so
// most rows repeat the one before.
type dateCache struct {
	raw  string
	date time.Time
	iso  string
}

func (c *dateCache) parse(raw, order string, now time.Time) (time.Time, string, string) {
	if raw == c.raw && raw != "" {
		return c.date, c.iso, ""
	}
	d, why := ingest.ParseDate(raw, order)
	if why == "" {
		why = ingest.CheckDate(d, now)
	}
	if why != "" {
		return time.Time{}, "", why
	}
	c.raw, c.date, c.iso = raw, d, d.Format(time.DateOnly)
	return d, c.iso, ""
}

// currencyCache remembers the last currency cell: one export, one currency.
type currencyCache struct {
	raw, iso string
}

func (c *currencyCache) code(raw string) (string, string) {
	if raw == c.raw {
		return c.iso, ""
	}
	iso, why := org.CurrencyCode(raw)
	if why == "" {
		c.raw, c.iso = raw, iso
	}
	return iso, why
}
