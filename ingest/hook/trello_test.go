package hook

import (
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
)

func TestTrelloMapper(t *testing.T) {
	tg := Target{Client: "c-tr", Project: "p-tr"} // board 54a17d76d4a5072e3931736b
	const card, actor = "54a1844d304d9736e54d2546", "Brian Cervino"
	api := map[string]string{"/cards/" + card + "?fields=name,due,idBoard&list=true": "card.api.json"}
	moved := ts("2018-02-27T19:48:44.526Z")
	done := ts("2018-03-01T08:00:00Z")
	runMapCases(t, "trello", []mapCase{{
		name: "created in a list", file: "createCard.json",
		want: Mapped{Event: "createCard", Records: []any{
			event("trello:5a95b43cbeb31d9c8b2c8a2d:status", ingest.EventCreated, ts("2017-04-01T09:00:00Z"), card, tg, "", "Backlog", PhaseIntake, actor),
		}},
	}, {
		// card.due 2017-12-12T17:00:00.000Z is the date 2017-12-12
		name: "due date moved", file: "updateCard_due.json",
		want: Mapped{Event: "updateCard", Records: []any{
			due("trello:5a95b43cbeb31d9c8b2c8a2f:due", ts("2017-04-28T10:12:33.100Z"), card, tg, day("2017-12-12"), actor),
		}},
	}, {
		// the fetched card sits in Done already: its row keeps the
		// delivered_at the move into Done wrote, so none is written
		name: "due date moved on a delivered card, with the card fetched", file: "updateCard_due.json", api: api,
		want: Mapped{Event: "updateCard", Records: []any{
			due("trello:5a95b43cbeb31d9c8b2c8a2f:due", ts("2017-04-28T10:12:33.100Z"), card, tg, day("2017-12-12"), actor),
		}},
	}, {
		name: "list move into client review", file: "updateCard_list.json",
		want: Mapped{Event: "updateCard", Records: []any{
			event("trello:5a95b43cbeb31d9c8b2c8a30:review", ingest.EventClientReviewRequested, moved, card, tg, "Doing", "Client Review", "", actor),
			event("trello:5a95b43cbeb31d9c8b2c8a30:status", ingest.EventStatusChanged, moved, card, tg, "Doing", "Client Review", PhaseClientReview, actor),
		}},
	}, {
		name: "custom mapping: a renamed list", file: "updateCard_list.json",
		m: func(m Mapping) Mapping {
			m.Phases["client review"] = PhaseInternalReview
			m.Phases["doing"] = PhaseBrief
			return m
		},
		want: Mapped{Event: "updateCard", Records: []any{
			event("trello:5a95b43cbeb31d9c8b2c8a30:status", ingest.EventStatusChanged, moved, card, tg, "Doing", "Client Review", PhaseInternalReview, actor),
		}},
	}, {
		name: "list move into done, with the card fetched", file: "updateCard_done.json", api: api,
		want: Mapped{Event: "updateCard", Records: []any{
			event("trello:5a95b43cbeb31d9c8b2c8a31:delivered", ingest.EventDelivered, done, card, tg, "Client Review", "Done", "", actor),
			event("trello:5a95b43cbeb31d9c8b2c8a31:status", ingest.EventStatusChanged, done, card, tg, "Client Review", "Done", PhaseDelivered, actor),
			deliverable(card, "Increase revenue by 10%", tg, day("2017-12-12"), ptr(done), done),
		}},
	}, {
		name: "comment not read", file: "commentCard.json",
		want: Mapped{Event: "commentCard", Ignored: "action commentCard is not read: only card creations, list moves and due dates move the numbers"},
	}})
}
