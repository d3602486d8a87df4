package hook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// trelloMapper maps Trello's board webhooks. A card's list is its status:
// createCard is a created event in its list, an updateCard with listBefore
// and listAfter a transition between them, an updateCard whose old holds a
// due a due-date change. Trello has no "done" of its own besides lists (a
// ticked due date is a reminder, not a delivery), so a card is delivered
// when it enters a list the Mapping maps to delivered. The action carries
// only the fields that changed, so the deliverable row needs the hook's
// token: with api, the card is fetched.
type trelloMapper struct{ api API }

var _ Mapper = trelloMapper{}

type trelloRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type trelloPayload struct {
	Action *struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Date string `json:"date"`
		Data struct {
			Card *struct {
				ID     string  `json:"id"`
				Name   string  `json:"name"`
				Due    *string `json:"due"`
				Closed bool    `json:"closed"`
			} `json:"card"`
			List       *trelloRef                 `json:"list"`
			Board      *trelloRef                 `json:"board"`
			ListBefore *trelloRef                 `json:"listBefore"`
			ListAfter  *trelloRef                 `json:"listAfter"`
			Old        map[string]json.RawMessage `json:"old"`
		} `json:"data"`
		MemberCreator *struct {
			FullName string `json:"fullName"`
		} `json:"memberCreator"`
	} `json:"action"`
}

// trelloCard is what GET /cards/{id}?list=true answers that a deliverable needs.
type trelloCard struct {
	Name    string    `json:"name"`
	Due     *string   `json:"due"`
	IDBoard string    `json:"idBoard"`
	List    trelloRef `json:"list"`
}

// Map implements Mapper.
func (c trelloMapper) Map(ctx context.Context, d Delivery, m Mapping) (Mapped, error) {
	var p trelloPayload
	if err := decode("trello", d.Body, &p); err != nil {
		return Mapped{}, err
	}
	a := p.Action
	switch {
	case a == nil:
		return Mapped{}, errField("trello", "action", nil)
	case a.ID == "":
		return Mapped{}, errField("trello", "action.id", nil)
	case a.Type == "":
		return Mapped{}, errField("trello", "action.type", nil)
	}
	out := Mapped{Event: a.Type}
	switch a.Type {
	case "createCard", "updateCard", "deleteCard":
	default:
		out.Ignored = "action " + a.Type + " is not read: only card creations, list moves and due dates move the numbers"
		return out, nil
	}
	at, err := parseTime(a.Date)
	if err != nil {
		return Mapped{}, errField("trello", "action.date", a.Date)
	}
	card, board := a.Data.Card, a.Data.Board
	switch {
	case card == nil || card.ID == "":
		return Mapped{}, errField("trello", "action.data.card.id", nil)
	case board == nil || board.ID == "":
		return Mapped{}, errField("trello", "action.data.board.id", nil)
	}
	if a.Type == "deleteCard" {
		out.Records = append(out.Records, tombstone(card.ID, at))
		return out, nil
	}
	id, target := "trello:"+a.ID, m.Target(board.ID)
	actor := ""
	if a.MemberCreator != nil {
		actor = a.MemberCreator.FullName
	}
	deliveredNow := false
	switch {
	case a.Type == "createCard":
		if a.Data.List == nil || a.Data.List.Name == "" {
			return Mapped{}, errField("trello", "action.data.list.name", nil)
		}
		m.apply(transition{id: id, typ: ingest.EventCreated, at: at, deliverable: card.ID, target: target,
			to: a.Data.List.Name, actor: actor}, &out)
		deliveredNow = m.delivers(a.Data.List.Name, false)
	case a.Data.ListAfter != nil || a.Data.ListBefore != nil:
		if a.Data.ListBefore == nil || a.Data.ListAfter == nil || a.Data.ListAfter.Name == "" {
			return Mapped{}, errField("trello", "action.data.listAfter.name", nil)
		}
		m.apply(transition{id: id, typ: ingest.EventStatusChanged, at: at, deliverable: card.ID, target: target,
			from: a.Data.ListBefore.Name, to: a.Data.ListAfter.Name, actor: actor}, &out)
		fromPhase, _ := m.Phase(a.Data.ListBefore.Name)
		deliveredNow = m.delivers(a.Data.ListAfter.Name, false) && fromPhase != PhaseDelivered
	}
	if _, ok := a.Data.Old["due"]; ok {
		due, err := optDate("trello", "action.data.card.due", card.Due, m.instantDate)
		if err != nil {
			return Mapped{}, err
		}
		out.Records = append(out.Records, dueChanged(id, at, card.ID, target, due, actor))
	}
	if len(out.Records) == 0 {
		out.Ignored = "this updateCard changes no list and no due date"
		if _, ok := a.Data.Old["closed"]; ok && card.Closed {
			out.Ignored = "archiving a card is not a delivery: move it to a list mapped to delivered"
		}
		return out, nil
	}
	if c.api != nil {
		dv, ok, err := c.fetch(ctx, card.ID, m, at, deliveredNow)
		if err != nil {
			return Mapped{}, err
		}
		if ok {
			out.Records = append(out.Records, dv)
		}
	}
	return out, nil
}

// fetch builds the card's deliverable from GET /cards/{id}. Trello keeps no
// time a card was finished, so delivered_at is the time of the action that
// moved it into a delivered list: a card already delivered by an earlier
// action is not written again (ok false), which keeps that row's
// delivered_at.
func (c trelloMapper) fetch(ctx context.Context, id string, m Mapping, at time.Time, deliveredNow bool) (ingest.Deliverable, bool, error) {
	var card trelloCard
	if err := c.api.Get(ctx, "/cards/"+id+"?fields=name,due,idBoard&list=true", &card); err != nil {
		return ingest.Deliverable{}, false, fmt.Errorf("trello: fetch card %s: %w", id, err)
	}
	due, err := optDate("trello", "due", card.Due, m.instantDate)
	if err != nil {
		return ingest.Deliverable{}, false, fmt.Errorf("trello: card %s: %w", id, err)
	}
	var deliveredAt *time.Time
	if m.delivers(card.List.Name, false) {
		if !deliveredNow {
			return ingest.Deliverable{}, false, nil
		}
		deliveredAt = &at
	}
	return deliverable(id, card.Name, m.Target(card.IDBoard), due, deliveredAt, at), true, nil
}
