package canonical

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
)

const examplesDir = "../../docs/examples"

// exampleEntities maps an example file's base name to its entity.
var exampleEntities = map[string]string{
	"people":        "person",
	"clients":       "client",
	"projects":      "project",
	"time_entries":  "time_entry",
	"deliverables":  "deliverable",
	"task_events":   "task_event",
	"allocations":   "allocation",
	"time_off":      "time_off",
	"holidays":      "holiday",
	"adjustments":   "adjustment",
	"invoice_lines": "invoice_line",
}

type exampleFile struct {
	path, entity, format string
}

func exampleFiles(t testing.TB) []exampleFile {
	t.Helper()
	entries, err := os.ReadDir(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	var files []exampleFile
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		base := strings.TrimSuffix(e.Name(), ext)
		entity, ok := exampleEntities[base]
		format := strings.TrimPrefix(ext, ".")
		if !ok || !slices.Contains([]string{FormatCSV, FormatNDJSON, FormatJSON}, format) {
			t.Errorf("docs/examples/%s: not a known example (add it to exampleEntities)", e.Name())
			continue
		}
		files = append(files, exampleFile{filepath.Join(examplesDir, e.Name()), entity, format})
	}
	return files
}

// TestExamples parses every example file with no errors, checks that the
// formats of one entity hold the same records, that DetectCSV recognises
// every CSV, and that every id referenced exists in the examples.
func TestExamples(t *testing.T) {
	files := exampleFiles(t)
	records := map[string]map[string]string{} // entity -> format -> records, sources blanked
	ids := map[string]map[string]bool{}       // entity -> external ids
	var all []any
	for _, f := range files {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		rows, rowErrs, fileErr := parseAll(t, f.entity, f.format, string(b))
		if fileErr != nil || len(rowErrs) > 0 {
			t.Errorf("%s: %v %v", f.path, fileErr, rowErrs)
			continue
		}
		if len(rows) < 3 {
			t.Errorf("%s: %d rows; an example should show a few", f.path, len(rows))
		}
		var recs []string
		for _, r := range rows {
			recs = append(recs, recJSON(t, withSource(r.Record, "")))
			all = append(all, r.Record)
			if id := recordID(r.Record); id != "" {
				if ids[f.entity] == nil {
					ids[f.entity] = map[string]bool{}
				}
				ids[f.entity][id] = true
			}
		}
		if records[f.entity] == nil {
			records[f.entity] = map[string]string{}
		}
		records[f.entity][f.format] = strings.Join(recs, "\n")

		if f.format == FormatCSV {
			header, err := csv.NewReader(strings.NewReader(string(b))).Read()
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := DetectCSV(header); !ok || got != f.entity {
				t.Errorf("%s: DetectCSV = %q, %v; want %s", f.path, got, ok, f.entity)
			}
		}
	}
	for _, e := range ingest.EntityNames() {
		byFormat := records[e]
		if byFormat[FormatCSV] == "" || byFormat[FormatNDJSON] == "" {
			t.Errorf("%s: want a CSV and an NDJSON example", e)
		}
		for format, recs := range byFormat {
			if recs != byFormat[FormatCSV] {
				t.Errorf("%s: the %s example differs from the CSV one:\n%s\nvs\n%s", e, format, recs, byFormat[FormatCSV])
			}
		}
	}

	// Every reference points at a record of the examples.
	ref := func(entity, id string, from any) {
		if id != "" && !ids[entity][id] {
			t.Errorf("%T %s refers to %s %q, which no example holds", from, recordID(from), entity, id)
		}
	}
	for _, r := range all {
		switch r := r.(type) {
		case ingest.Project:
			ref("client", r.ClientID, r)
		case ingest.TimeEntry:
			ref("person", r.PersonID, r)
			ref("project", r.ProjectID, r)
			ref("client", r.ClientID, r)
			ref("deliverable", r.DeliverableID, r)
		case ingest.Deliverable:
			ref("client", r.ClientID, r)
			ref("project", r.ProjectID, r)
			ref("person", r.OwnerID, r)
		case ingest.TaskEvent:
			ref("deliverable", r.DeliverableID, r)
			ref("client", r.ClientID, r)
			ref("project", r.ProjectID, r)
			ref("person", r.Actor, r)
		case ingest.Allocation:
			ref("person", r.PersonID, r)
			ref("project", r.ProjectID, r)
		case ingest.TimeOff:
			ref("person", r.PersonID, r)
		case ingest.Adjustment:
			ref("client", r.ClientID, r)
			ref("project", r.ProjectID, r)
			ref("person", r.PersonID, r)
			ref("time_entry", r.TimeEntryID, r)
		case ingest.InvoiceLine:
			ref("client", r.ClientID, r)
			ref("project", r.ProjectID, r)
			for _, id := range r.TimeEntryIDs {
				ref("time_entry", id, r)
			}
		}
	}
}

func recordID(rec any) string {
	switch r := rec.(type) {
	case ingest.Person:
		return r.ExternalID
	case ingest.Client:
		return r.ExternalID
	case ingest.Project:
		return r.ExternalID
	case ingest.TimeEntry:
		return r.ExternalID
	case ingest.Deliverable:
		return r.ExternalID
	case ingest.TaskEvent:
		return r.ExternalID
	case ingest.Allocation:
		return r.ExternalID
	case ingest.TimeOff:
		return r.ExternalID
	case ingest.Adjustment:
		return r.ExternalID
	case ingest.InvoiceLine:
		return r.ExternalID
	}
	return ""
}

// withSource returns rec with its source replaced.
func withSource(rec any, source string) any {
	switch r := rec.(type) {
	case ingest.Person:
		r.Source = source
		return r
	case ingest.Client:
		r.Source = source
		return r
	case ingest.Project:
		r.Source = source
		return r
	case ingest.TimeEntry:
		r.Source = source
		return r
	case ingest.Deliverable:
		r.Source = source
		return r
	case ingest.TaskEvent:
		r.Source = source
		return r
	case ingest.Allocation:
		r.Source = source
		return r
	case ingest.TimeOff:
		r.Source = source
		return r
	case ingest.Adjustment:
		r.Source = source
		return r
	case ingest.InvoiceLine:
		r.Source = source
		return r
	}
	return rec
}
