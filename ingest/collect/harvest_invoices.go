package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// Harvest invoices (GET /v2/invoices, https://help.getharvest.com/api-v2/
// invoices-api/invoices/invoices/) become canonical invoice lines, so the
// billed-value KPIs read them as they read an invoice export: one line per
// line item, keyed api:<account>:invoice_line:<line item id>, dated the
// invoice's issue_date, on the invoice's client and the item's project.
//
// The KPIs link a line to the work it bills through its time_entry_ids.
// Harvest's line items do not name entries; its time entries name their
// invoice (invoice.id). A "Service" line item on project P of invoice I
// lists every time entry of invoice I on project P: when Harvest groups an
// invoice's time into several items of one project (by task or person), each
// of them lists them all, and the KPIs, which share a line's amount among
// the entries it lists in proportion to their standard value, give those
// entries the sum of the project's items, which is what the client was billed
// for that work. Other items (products, expenses, an item without a project)
// list no entries. An invoice's discount is a line of its own, negative,
// listing all the invoice's entries. Taxes are not billed value.

// harvestInvoice is the part of Harvest's invoice object read here.
type harvestInvoice struct {
	ID             int64                `json:"id"`
	Number         string               `json:"number"`
	Client         harvestRef           `json:"client"`
	DiscountAmount *json.Number         `json:"discount_amount"`
	PeriodStart    *string              `json:"period_start"`
	PeriodEnd      *string              `json:"period_end"`
	IssueDate      string               `json:"issue_date"`
	UpdatedAt      time.Time            `json:"updated_at"`
	LineItems      []harvestInvoiceLine `json:"line_items"`
}

type harvestInvoiceLine struct {
	ID          int64       `json:"id"`
	Kind        string      `json:"kind"`
	Description string      `json:"description"`
	Quantity    json.Number `json:"quantity"`
	UnitPrice   json.Number `json:"unit_price"`
	Amount      json.Number `json:"amount"`
	Taxed       bool        `json:"taxed"`
	Project     *harvestRef `json:"project"`
}

// billedWork is what the time entries of a pull say about invoices: the
// keys of the entries of each invoice, by project.
type billedWork map[int64]map[int64][]string

func (b billedWork) add(invoice, project int64, key string) {
	byProject := b[invoice]
	if byProject == nil {
		byProject = map[int64][]string{}
		b[invoice] = byProject
	}
	if !slices.Contains(byProject[project], key) {
		byProject[project] = append(byProject[project], key)
	}
}

// invoices emits the line items of the invoices changed since the cursor
// (unless full) and of every invoice issued in the window, then declares the
// window listed, so the lines of an invoice deleted in Harvest are deleted.
// A token that may not read invoices (403: a member or a manager without
// invoice rights) leaves invoices out, and their deletions unchecked.
func (hp *harvestPull) invoices(ctx context.Context, changed url.Values) error {
	emitted := map[int64]bool{}
	each := func(inv harvestInvoice) error {
		if emitted[inv.ID] {
			return nil // changed and in the window: once is enough
		}
		emitted[inv.ID] = true
		return hp.invoice(ctx, inv)
	}
	var err error
	if !hp.p.Full {
		err = list(ctx, hp, "/v2/invoices", "invoices", changed, each)
	}
	if err == nil {
		window := url.Values{"from": {hp.p.Window.From.Format(time.DateOnly)}, "to": {hp.p.Window.To.Format(time.DateOnly)}}
		err = list(ctx, hp, "/v2/invoices", "invoices", window, each)
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden {
		return nil
	}
	if err != nil {
		return err
	}
	hp.out.Listed("invoice_line", hp.p.Window)
	return nil
}

// invoice emits the lines of one invoice.
func (hp *harvestPull) invoice(ctx context.Context, inv harvestInvoice) error {
	key := func(kind string, id int64) string { return hp.p.Key(kind, strconv.FormatInt(id, 10)) }
	issued, err := time.Parse(time.DateOnly, inv.IssueDate)
	if err != nil {
		issued = time.Time{} // the Collector rejects the line, naming it
	}
	work, err := hp.invoiceWork(ctx, inv)
	if err != nil {
		return err
	}
	base := ingest.InvoiceLine{InvoiceID: key("invoice", inv.ID), ClientID: key("client", inv.Client.ID), Date: issued}
	if hp.byName {
		base.ClientID = "" // not listed: no id to refer to
	}
	var all []string
	projects := map[int64]bool{}
	for _, li := range inv.LineItems {
		rec := base
		rec.ExternalID = key("invoice_line", li.ID)
		amount, why := ingest.ParseDecimal(li.Amount.String())
		if why != "" {
			return fmt.Errorf("harvest invoice %d line %d: amount %q: %s", inv.ID, li.ID, li.Amount, why)
		}
		rec.Amount = amount
		if li.Project != nil {
			projects[li.Project.ID] = true
			if !hp.byName {
				rec.ProjectID = key("project", li.Project.ID)
			}
			if strings.EqualFold(li.Kind, "Service") {
				rec.TimeEntryIDs = slices.Clone(work[li.Project.ID])
				if len(rec.TimeEntryIDs) > 0 {
					// an item of tracked time: its quantity is hours
					if h, why := ingest.ParseDecimal(li.Quantity.String()); why == "" {
						rec.Hours = &h
					}
				}
				all = append(all, rec.TimeEntryIDs...)
			}
		}
		if err := hp.out.Emit(rec, nil); err != nil {
			return err
		}
	}
	if d := dec(inv.DiscountAmount); d != nil && d.Sign() != 0 {
		rec := base
		rec.ExternalID = hp.p.Key("invoice_line", strconv.FormatInt(inv.ID, 10)+"-discount")
		rec.Amount = d.Neg()
		slices.Sort(all)
		rec.TimeEntryIDs = slices.Compact(all)
		if len(projects) == 1 && !hp.byName {
			for id := range projects {
				rec.ProjectID = key("project", id)
			}
		}
		if err := hp.out.Emit(rec, nil); err != nil {
			return err
		}
	}
	return nil
}

// invoiceWork returns the keys of the time entries of inv, by project: those
// this pull read, and, for the part of the invoice's period before the
// window (which this pull did not list), those Harvest lists as billed for
// the invoice's client in that part.
func (hp *harvestPull) invoiceWork(ctx context.Context, inv harvestInvoice) (map[int64][]string, error) {
	known := hp.billed[inv.ID]
	work := map[int64][]string{}
	for p, keys := range known {
		work[p] = slices.Clone(keys)
	}
	start, end := date(inv.PeriodStart), date(inv.PeriodEnd)
	if start == nil || !start.Before(hp.p.Window.From) {
		return work, nil
	}
	to := hp.p.Window.From.AddDate(0, 0, -1)
	if end != nil && end.Before(to) {
		to = *end
	}
	q := url.Values{"client_id": {strconv.FormatInt(inv.Client.ID, 10)}, "is_billed": {"true"},
		"from": {start.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}}
	err := list(ctx, hp, "/v2/time_entries", "time_entries", q, func(e harvestEntry) error {
		if e.Invoice != nil && e.Invoice.ID == inv.ID {
			k := hp.p.Key("entry", strconv.FormatInt(e.ID, 10))
			if !slices.Contains(work[e.Project.ID], k) {
				work[e.Project.ID] = append(work[e.Project.ID], k)
			}
		}
		return nil
	})
	return work, err
}
