package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/opsmetrics/opsmetrics/dashboards"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
)

// recordWriter writes the settings forms' people, clients and projects as
// the intake API writes a request's: one staged, strict import of NDJSON
// rows through the importer, so the same checks, person matching and merge
// (the org's word over the tools'), batch record and rebuilt facts apply.
type recordWriter struct{ im *importer.Importer }

var _ dashboards.RecordWriter = recordWriter{}

// WriteRecords imports rows of entity (person, client or project) for org.
// A refused row is a *dashboards.FieldError naming the field and value;
// nothing of the rows is written then. A person's row whose source is a
// tool's (or first sight's) is written as the API's word: the form speaks
// for the org.
func (w recordWriter) WriteRecords(ctx context.Context, org, entity string, rows []map[string]any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range rows {
		if src, _ := r["source"].(string); entity == "person" && src != "" && !ingest.OrgWord(src) {
			r["source"] = "api"
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	sum, err := w.im.Import(ctx, importer.Request{Org: org, File: "settings form", Body: bytes.NewReader(buf.Bytes()),
		Format: importer.FormatNDJSON, Entity: entity, Stage: true, Strict: true})
	if sum != nil && len(sum.Errors) > 0 {
		e := sum.Errors[0]
		return &dashboards.FieldError{Field: e.Field, Value: e.Value, Reason: e.Reason}
	}
	if err != nil {
		return fmt.Errorf("write the %s: %w", entity, err)
	}
	return nil
}
