package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/opsmetrics/opsmetrics/ingest"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// run is the state of one Import: the rows buffered per entity and the
// resolver of names to ids.
type run struct {
	im       *Importer
	req      Request
	sum      *Summary
	entity   string
	resolver *ingest.Resolver
	currency string // the org's currency; "" until the org or the input sets it
	newOrg   bool
	pending  map[string]*pending
	rowsSeen int
	input    *countingReader
}

// pending holds one entity's valid rows until the next flush.
type pending struct {
	table   string
	source  string // the source of the first record; one input has one source
	records any    // a slice of one record type
	keys    []string
	deleted int
	n       int
}

func (r *run) loadOrg(ctx context.Context) error {
	rows, err := r.im.cfg.Store.Query(ctx, store.QueryText("org_settings"), store.Params{"org": r.req.Org})
	if err != nil {
		return err
	}
	if rows.Len() == 0 {
		r.newOrg = true
		return nil
	}
	var name, tz string
	return rows.Scan(0, &name, &tz, &r.currency)
}

// rows reads every row, rejecting invalid ones and flushing full batches.
func (r *run) rows(ctx context.Context, p ingest.Parser) error {
	for {
		row, err := p.Next()
		if r.req.OnProgress != nil && (r.rowsSeen%4096 == 0 || err != nil) {
			r.req.OnProgress(r.input.n, r.rowsSeen)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			r.rowsSeen++
			r.reject(r.entity, rowErr)
			continue
		}
		if err != nil {
			return err
		}
		r.rowsSeen++
		if err := r.add(row); err != nil {
			return err
		}
		if r.buffered() >= r.im.cfg.BatchRows {
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func (r *run) reject(entity string, e *ingest.RowError) {
	c := r.sum.counts(entity)
	c.Read++
	c.Rejected++
	if len(r.sum.Errors) < MaxErrors {
		r.sum.Errors = append(r.sum.Errors, e)
	}
	if r.req.OnReject != nil {
		r.req.OnReject(e)
	}
}

// add validates what only the org can tell (its currency), resolves names
// and buffers the record.
func (r *run) add(row ingest.Row) error {
	switch rec := row.Record.(type) {
	case ingest.TimeEntry:
		if rec.Currency != "" {
			if r.currency == "" {
				r.currency = rec.Currency // the first currency an org sees becomes its currency
			}
			if rec.Currency != r.currency {
				r.reject("time_entry", &ingest.RowError{File: r.req.File, Line: row.Line, Field: "currency", Value: rec.Currency,
					Reason: fmt.Sprintf("org %s keeps its books in %s; convert the amounts or import into another org", r.req.Org, r.currency)})
				return nil
			}
		}
		r.resolver.Resolve(&rec, row.Refs)
		push(r, "time_entry", "time_entries", rec, rec.Meta)
	case ingest.Person:
		push(r, "person", "people", rec, rec.Meta)
	case ingest.Client:
		push(r, "client", "clients", rec, rec.Meta)
	case ingest.Project:
		push(r, "project", "projects", rec, rec.Meta)
	case ingest.Deliverable:
		push(r, "deliverable", "deliverables", rec, rec.Meta)
	case ingest.TaskEvent:
		push(r, "task_event", "task_events", rec, rec.Meta)
	case ingest.Allocation:
		push(r, "allocation", "allocations", rec, rec.Meta)
	case ingest.TimeOff:
		push(r, "time_off", "time_off", rec, rec.Meta)
	case ingest.Adjustment:
		push(r, "adjustment", "adjustments", rec, rec.Meta)
	case ingest.InvoiceLine:
		push(r, "invoice_line", "invoice_lines", rec, rec.Meta)
	case ingest.Holiday:
		push(r, "holiday", "", rec, ingest.Meta{Deleted: rec.Deleted})
	default:
		return fmt.Errorf("importer: parser returned %s, which has no table", reflect.TypeOf(row.Record))
	}
	return nil
}

// push appends a record to its entity's pending batch.
func push[T any](r *run, entity, table string, rec T, m ingest.Meta) {
	if r.pending == nil {
		r.pending = map[string]*pending{}
	}
	p, ok := r.pending[entity]
	if !ok {
		p = &pending{table: table, source: m.Source, records: []T(nil)}
		r.pending[entity] = p
	}
	p.records = append(p.records.([]T), rec)
	p.keys = append(p.keys, m.ExternalID)
	if m.Deleted {
		p.deleted++
	}
	p.n++
	r.sum.counts(entity).Read++
}

func (r *run) buffered() int {
	n := 0
	for _, p := range r.pending {
		n += p.n
	}
	return n
}

// flush writes the org (first time), the people, clients and projects the
// resolver created, then every pending batch, each as one INSERT.
func (r *run) flush(ctx context.Context) error {
	people, clients, projects := r.resolver.TakeCreated()
	r.sum.Created["person"] += len(people)
	r.sum.Created["client"] += len(clients)
	r.sum.Created["project"] += len(projects)
	if r.req.DryRun {
		for entity, p := range r.pending {
			if err := r.count(ctx, entity, p); err != nil {
				return err
			}
		}
		r.pending = nil
		return nil
	}
	if r.newOrg {
		org := ingest.Org{ID: r.req.Org, Name: r.req.Org, TimeZone: "UTC", Currency: r.currency}
		if org.Currency == "" {
			org.Currency = "USD"
		}
		if err := r.write(ctx, []ingest.Org{org}); err != nil {
			return err
		}
		r.newOrg = false
	}
	for _, recs := range []any{people, clients, projects} {
		if err := r.write(ctx, recs); err != nil {
			return err
		}
	}
	for _, entity := range entityOrder {
		p, ok := r.pending[entity]
		if !ok {
			continue
		}
		if err := r.count(ctx, entity, p); err != nil {
			return err
		}
		if err := r.write(ctx, p.records); err != nil {
			return err
		}
		delete(r.pending, entity)
	}
	return nil
}

// entityOrder writes referenced records before the records that refer to them.
var entityOrder = []string{"person", "client", "project", "holiday", "time_off", "allocation", "deliverable",
	"task_event", "time_entry", "adjustment", "invoice_line"}

func (r *run) write(ctx context.Context, recs any) error {
	_, err := r.im.writer.Write(ctx, r.sum.BatchID, recs)
	return err
}

// count splits a pending batch into new, updated and deleted records by
// asking which of its keys are already stored.
func (r *run) count(ctx context.Context, entity string, p *pending) error {
	c := r.sum.counts(entity)
	c.Deleted += p.deleted
	if p.table == "" {
		c.New += p.n - p.deleted
		return nil
	}
	rows, err := r.im.cfg.Store.Query(ctx, store.QueryText("existing_keys"),
		store.Params{"table": p.table, "org": r.req.Org, "source": p.source, "ids": p.keys})
	if err != nil {
		return err
	}
	existing := rows.Len()
	c.Updated += min(existing, p.n-p.deleted)
	c.New += p.n - p.deleted - min(existing, p.n-p.deleted)
	return nil
}
