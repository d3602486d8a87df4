package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/canonical"
	"github.com/opsmetrics/opsmetrics/ingest/clockify"
	"github.com/opsmetrics/opsmetrics/ingest/harvest"
	"github.com/opsmetrics/opsmetrics/ingest/toggl"
)

// Formats a file can be imported as. The export formats are detected from
// their header; ndjson and json need the entity they hold.
const (
	FormatHarvest  = "harvest"
	FormatToggl    = "toggl"
	FormatClockify = "clockify"
	FormatCSV      = "csv" // opsmetrics' own CSV, one entity per file
	FormatNDJSON   = "ndjson"
	FormatJSON     = "json"
)

// Formats lists every format name, for help texts and validation.
var Formats = []string{FormatHarvest, FormatToggl, FormatClockify, FormatCSV, FormatNDJSON, FormatJSON}

// detect decides the format (and, for opsmetrics' CSV, the entity) from the
// first bytes of the input without consuming them.
func detect(r *bufio.Reader, file string) (format, entity string, err error) {
	head, _ := r.Peek(64 << 10)
	head = bytes.TrimPrefix(head, []byte("\ufeff"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return "", "", &ingest.FileError{File: file, Reason: "the file is empty"}
	}
	switch trimmed[0] {
	case '{':
		return FormatNDJSON, "", nil
	case '[':
		return FormatJSON, "", nil
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	header, err := csv.NewReader(bytes.NewReader(line)).Read()
	if err != nil {
		return "", "", &ingest.FileError{File: file, Line: 1, Reason: fmt.Sprintf("cannot read the header row: %v", err)}
	}
	switch {
	case harvest.Detect(header):
		return FormatHarvest, "time_entry", nil
	case toggl.Detect(header):
		return FormatToggl, "time_entry", nil
	case clockify.Detect(header):
		return FormatClockify, "time_entry", nil
	}
	if e, ok := canonical.DetectCSV(header); ok {
		return FormatCSV, e, nil
	}
	return "", "", &ingest.FileError{File: file, Line: 1, Reason: fmt.Sprintf(
		"cannot tell the format from the header (%.120s); pass --format (one of %s) and, for opsmetrics' own formats, --entity",
		strings.Join(header, ","), strings.Join(Formats, ", "))}
}

// newParser opens the parser for a format.
func newParser(r io.Reader, format, entity string, opts ingest.Options) (ingest.Parser, error) {
	switch format {
	case FormatHarvest:
		return harvest.New(r, opts)
	case FormatToggl:
		return toggl.New(r, opts)
	case FormatClockify:
		return clockify.New(r, opts)
	case FormatCSV, FormatNDJSON, FormatJSON:
		if entity == "" {
			entity = EntityFromName(opts.File)
		}
		if entity == "" {
			return nil, &ingest.FileError{File: opts.File, Reason: fmt.Sprintf("%s needs the entity it holds (--entity, one of %s)",
				format, strings.Join(ingest.EntityNames(), ", "))}
		}
		return canonical.New(r, entity, format, opts)
	}
	return nil, &ingest.FileError{File: opts.File, Reason: fmt.Sprintf("unknown format %q (one of %s)", format, strings.Join(Formats, ", "))}
}

// EntityFromName reads the entity an opsmetrics file holds from its name,
// as docs/examples names them: people.ndjson, time_entries.csv, time_off.json
// (singular names work too). It returns "" when the name says nothing.
func EntityFromName(file string) string {
	base := strings.ToLower(filepath.Base(file))
	base, _, _ = strings.Cut(base, ".")
	base = strings.ReplaceAll(base, "-", "_")
	for _, e := range ingest.Entities() {
		if base == e.Name || base == e.Plural {
			return e.Name
		}
	}
	return ""
}
