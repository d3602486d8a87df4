package hook

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Received is one delivery of a hook as `hook deliveries` and the API list
// it: when it came, its event, what became of it and the records it wrote.
type Received struct {
	Received time.Time `json:"received"`
	ID       string    `json:"id"`
	Event    string    `json:"event"`
	Status   string    `json:"status"`           // applied, ignored, failed or pending
	Reason   string    `json:"reason,omitempty"` // why ignored or failed; unmapped statuses of an applied one
	Records  int       `json:"records"`
	Wrote    []string  `json:"wrote"` // each record it wrote, in words

	d      Delivery // with its body and headers, for a replay
	events []string // the task events it wrote, which a replay may remove
}

// MaxListed is the most deliveries Deliveries returns.
const MaxListed = 1000

// Deliveries returns the deliveries of hook id of org received at or
// after since, newest first, at most MaxListed: those still in the spool
// (pending) and those recorded. Errors: ErrNotFound (wrapped), the store's.
func (w *Worker) Deliveries(ctx context.Context, orgID, id string, since time.Time) ([]Received, error) {
	h, err := w.cfg.Hooks.Get(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	pending, err := w.pending(h.ID, since)
	if err != nil {
		return nil, err
	}
	rows, err := w.cfg.Store.Query(ctx, store.QueryText("hook_deliveries_list"), store.Params{"org": h.Org, "hook": h.ID,
		"since": since.UTC(), "lim": MaxListed})
	if err != nil {
		return nil, err
	}
	out := pending
	for i := range rows.Len() {
		r := Received{d: Delivery{Hook: h.ID, Org: h.Org, Tool: h.Tool}}
		var records uint64
		var hdr, body string
		if err := rows.Scan(i, &r.Received, &r.ID, &r.Event, &r.Status, &r.Reason, &records, &hdr, &body, &r.events, &r.Wrote); err != nil {
			return nil, err
		}
		r.Records = int(records)
		r.d.ID, r.d.Received, r.d.Body = r.ID, r.Received, []byte(body)
		if err := json.Unmarshal([]byte(hdr), &r.d.Header); err != nil {
			return nil, fmt.Errorf("delivery %s: bad stored headers: %w", r.ID, err)
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Received) int { return b.Received.Compare(a.Received) })
	return out[:min(len(out), MaxListed)], nil
}

// pending returns hook's deliveries in the spool, not yet recorded.
func (w *Worker) pending(hook string, since time.Time) ([]Received, error) {
	if w.cfg.Queue == nil {
		return nil, nil
	}
	recs, err := w.cfg.Queue.Read(0, 100*MaxListed)
	if err != nil {
		return nil, fmt.Errorf("read the spool: %w", err)
	}
	var out []Received
	for _, r := range recs {
		var d Delivery
		if json.Unmarshal(r.Data, &d) != nil || d.Hook != hook || d.Received.Before(since) {
			continue
		}
		out = append(out, Received{Received: d.Received, ID: d.ID, Event: d.Header.Get("X-GitHub-Event"), Status: StatusPending, d: d})
	}
	return out, nil
}

// Replayed is what a Replay did.
type Replayed struct {
	Deliveries int `json:"deliveries"`
	Applied    int `json:"applied"`
	Ignored    int `json:"ignored"`
	Failed     int `json:"failed"`
	Records    int `json:"records"`
}

// Replay maps the recorded deliveries of hook id of org received at or
// after since again (after a change of the mapping or of a Mapper) and
// writes their records, which replace the rows they wrote before, and
// removes the task events they wrote before that the new mapping no longer
// makes; each delivery's record shows the new outcome. A duplicate stays a duplicate.
// Errors: ErrNotFound (wrapped), the store's.
func (w *Worker) Replay(ctx context.Context, orgID, id string, since time.Time) (Replayed, error) {
	list, err := w.Deliveries(ctx, orgID, id, since)
	if err != nil {
		return Replayed{}, err
	}
	var ds []Delivery
	var before [][]string
	for _, r := range slices.Backward(list) { // oldest first, as they came
		if r.Status == StatusPending || (r.Status == StatusIgnored && strings.HasPrefix(r.Reason, "duplicate of ")) {
			continue
		}
		ds, before = append(ds, r.d), append(before, r.events)
	}
	res := Replayed{Deliveries: len(ds)}
	if len(ds) == 0 {
		return res, nil
	}
	outs, err := w.apply(ctx, ds, false, before)
	if err != nil {
		return Replayed{}, err
	}
	for _, o := range outs {
		switch o.status {
		case StatusApplied:
			res.Applied++
			res.Records += o.records
		case StatusIgnored:
			res.Ignored++
		case StatusFailed:
			res.Failed++
		}
	}
	return res, nil
}

// describeEvent is a task event in words, for the deliveries list: "task
// PROJ-7 status Doing → Client Review", "task PROJ-7 due 2026-12-10".
func describeEvent(e ingest.TaskEvent) string {
	words := strings.ReplaceAll(e.Type, "_", " ")
	task := "task " + e.TaskID
	switch e.Type {
	case ingest.EventStatusChanged:
		from := e.FromStatus
		if from == "" {
			from = "(none)"
		}
		return fmt.Sprintf("%s status %s → %s", task, from, e.ToStatus)
	case ingest.EventDueDateChanged:
		if e.DueDate == nil {
			return task + " due date removed"
		}
		return task + " due " + e.DueDate.Format(time.DateOnly)
	}
	return task + " " + words
}

// describeDeliverable is a deliverable in words: "deliverable PROJ-7
// (Landing page) due 2026-12-10, delivered 2026-12-09".
func describeDeliverable(d ingest.Deliverable) string {
	s := "deliverable " + d.ExternalID
	if d.Name != "" && d.Name != d.ExternalID {
		s += " (" + d.Name + ")"
	}
	if d.DueDate != nil {
		s += " due " + d.DueDate.Format(time.DateOnly)
	}
	if d.DeliveredAt != nil {
		s += ", delivered " + d.DeliveredAt.Format(time.DateOnly)
	}
	return s
}
