package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/dashboards"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
)

// recordWriter writes the settings forms' people, clients and projects as
// the intake API writes a request's: one staged, strict import of NDJSON
// rows through the importer, so the same checks, person matching and merge
// (the org's word over the tools'), batch record and rebuilt facts apply.
type recordWriter struct {
	im *importer.Importer
	// changed is told of a role's change (the facts' Changed): roles have
	// no import of their own, and Load tells no one.
	changed func(ctx context.Context, orgs []string)
}

var _ dashboards.RecordWriter = recordWriter{}

// WriteRecords imports rows of entity (person, client or project) for org.
// A refused row is a *dashboards.FieldError naming the field and value;
// nothing of the rows is written then. A person's row whose source is a
// tool's (or first sight's) is written as the API's word: the form speaks
// for the org; a tombstone ("deleted": true) keeps its source, the key of
// the version it deletes.
func (w recordWriter) WriteRecords(ctx context.Context, org, entity string, rows []map[string]any) error {
	if entity == "role" {
		return w.writeRoles(ctx, org, rows)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range rows {
		// A tombstone keeps its source: it names the stored version it deletes.
		if src, _ := r["source"].(string); entity == "person" && src != "" && !ingest.OrgWord(src) && r["deleted"] != true {
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

// writeRoles checks role rows (role, valid_from, bill_rate, cost_rate,
// utilization_target; amounts as text) and writes them as one batch of the
// importer (Load: recorded in ops.ingest_batches), then tells the facts.
// Roles have no import format; the checks are those of a person's same
// fields.
func (w recordWriter) writeRoles(ctx context.Context, org string, rows []map[string]any) error {
	recs := make([]ingest.Role, len(rows))
	for i, r := range rows {
		text := func(k string) string { s, _ := r[k].(string); return strings.TrimSpace(s) }
		rec := ingest.Role{Org: org, Role: text("role")}
		if rec.Role == "" || len(rec.Role) > 200 {
			return &dashboards.FieldError{Field: "role", Value: text("role"), Reason: "give the role's name, at most 200 characters"}
		}
		var err error
		if rec.ValidFrom, err = time.Parse(time.DateOnly, text("valid_from")); err != nil {
			return &dashboards.FieldError{Field: "valid_from", Value: text("valid_from"), Reason: "want a date such as 2026-12-01"}
		}
		for _, f := range []struct {
			key string
			to  **decimal.Decimal
			max decimal.Decimal
		}{{"bill_rate", &rec.BillRate, decimal.New(1, 9)}, {"cost_rate", &rec.CostRate, decimal.New(1, 9)},
			{"utilization_target", &rec.UtilizationTarget, decimal.NewFromInt(2)}} {
			v := text(f.key)
			if v == "" {
				continue
			}
			d, err := decimal.NewFromString(v)
			if err != nil || strings.ContainsAny(v, "eE") {
				return &dashboards.FieldError{Field: f.key, Value: v, Reason: "not a number; use '.' as the decimal separator"}
			}
			if d.Sign() < 0 || d.GreaterThan(f.max) {
				return &dashboards.FieldError{Field: f.key, Value: v, Reason: fmt.Sprintf("must be from 0 to %s", f.max)}
			}
			*f.to = &d
		}
		recs[i] = rec
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	if _, err := w.im.Load(ctx, importer.Batch{ID: "settings-roles-" + hex.EncodeToString(id[:]), Org: org, Source: "app", Format: "settings"},
		func(write func(records any) (int, error)) error {
			_, err := write(recs)
			return err
		}); err != nil {
		return fmt.Errorf("write the role rates: %w", err)
	}
	if w.changed != nil {
		w.changed(ctx, []string{org})
	}
	return nil
}
