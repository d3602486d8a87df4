package hook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// trelloReconciler reads each board's actions since the cursor (GET
// /boards/{id}/actions, newest first, at most 1000 a page, the next page
// before the oldest action's id) and passes each through the webhook Mapper
// as the delivery Trello would have sent: the same action, so the same
// action id names its events.
type trelloReconciler struct{}

var _ Reconciler = trelloReconciler{}

// trelloPage is the most actions Trello answers at once.
const trelloPage = 1000

// Poll implements Reconciler.
func (trelloReconciler) Poll(ctx context.Context, t ReconcileTarget, _ TaskState) ([]any, time.Time, error) {
	boards, err := t.containers("board")
	if err != nil {
		return nil, t.Cursor, err
	}
	m := trelloMapper{api: t.API}
	var out []any
	for _, board := range boards {
		var actions []json.RawMessage
		before := ""
		for {
			q := url.Values{"filter": {"createCard,updateCard"}, "since": {t.Cursor.UTC().Format(time.RFC3339)},
				"limit": {fmt.Sprint(trelloPage)}}
			if before != "" {
				q.Set("before", before)
			}
			var page []json.RawMessage
			if err := t.API.Get(ctx, "/boards/"+url.PathEscape(board)+"/actions?"+q.Encode(), &page); err != nil {
				return nil, t.Cursor, fmt.Errorf("trello: actions of board %s: %w", board, err)
			}
			actions = append(actions, page...)
			if len(page) < trelloPage {
				break
			}
			var last struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(page[len(page)-1], &last); err != nil || last.ID == "" || last.ID == before {
				return nil, t.Cursor, errField("trello", "actions[].id of board "+board, nil)
			}
			before = last.ID
		}
		slices.Reverse(actions) // oldest first, as they happened
		for _, a := range actions {
			body, err := json.Marshal(map[string]json.RawMessage{"action": a})
			if err != nil {
				return nil, t.Cursor, err
			}
			mapped, err := m.Map(ctx, Delivery{Org: t.Org, Hook: t.Hook, Tool: "trello", Body: body}, t.Mapping)
			if err != nil {
				return nil, t.Cursor, fmt.Errorf("trello: board %s: %w", board, err)
			}
			out = append(out, mapped.Records...)
		}
	}
	return latestDeliverables(out), t.Until, nil
}
