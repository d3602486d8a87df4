// Package hook receives the task tools' webhooks (Jira, ClickUp, Asana,
// Trello, GitHub): hooks per org with sealed secrets, each tool's signature
// checked in constant time, every accepted delivery kept in a durable spool
// before the tool gets its 2xx, and a worker that maps spooled deliveries
// into task events and deliverables through the importer.
//
// This file is the contract between the pieces: the spool (package
// hook/spool) keeps opaque bytes; the receiver and worker (hooks.go,
// receive.go, worker.go) encode a Delivery into them; each tool's Mapper
// (jira.go, clickup.go, asana.go, trello.go, github.go) turns a Delivery
// into canonical records under an org's Mapping.
package hook

import (
	"context"
	"net/http"
	"time"
)

// Tools are the task tools a hook can belong to, in the order they are listed.
var Tools = []string{"jira", "clickup", "asana", "trello", "github"}

// Delivery is one accepted webhook request, as the spool keeps it.
type Delivery struct {
	Hook string `json:"hook"` // the hook's id
	Org  string `json:"org"`
	Tool string `json:"tool"` // one of Tools
	// ID is the delivery's idempotency key: X-GitHub-Delivery,
	// X-Atlassian-Webhook-Identifier, Trello's action.id, ClickUp's
	// webhook_id plus its history item ids, else "sha256:" and the body's
	// hex hash. The same ID is applied once.
	ID       string      `json:"id"`
	Received time.Time   `json:"received"`
	Header   http.Header `json:"header"` // only the headers a Mapper reads (event names, ids)
	Body     []byte      `json:"body"`
}

// Phases of the operating loop a status maps to (spec/kpis.md §9).
const (
	PhaseIntake         = "intake"
	PhaseBrief          = "brief"
	PhaseProduction     = "production"
	PhaseInternalReview = "internal_review"
	PhaseClientReview   = "client_review"
	PhaseDelivered      = "delivered"
	PhaseReported       = "reported"
)

// Review outcomes a status can also stand for.
const (
	OutcomeApproved         = "approved"
	OutcomeChangesRequested = "changes_requested"
)

// Target is the client and project a tool's task belongs to.
type Target struct {
	Client  string `json:"client,omitempty"`
	Project string `json:"project,omitempty"`
}

// Mapping is an org's configuration for one tool: what its statuses mean and
// where its tasks belong. Keys of Phases and Outcomes are status names as
// NormalizeStatus leaves them; keys of Targets are the tool's project, list,
// board or repository id (or full name for GitHub repositories).
type Mapping struct {
	Phases   map[string]string `json:"phases"`   // status → Phase*
	Outcomes map[string]string `json:"outcomes"` // status → Outcome*
	Targets  map[string]Target `json:"targets"`  // tool container → client and project
	Default  Target            `json:"default"`  // the hook's default, for containers not in Targets
	// Zone is the org's time zone, in which a due instant is taken as a
	// date; nil is UTC. The worker sets it from the org's settings.
	Zone *time.Location `json:"-"`
}

// Mapped is what a Mapper makes of one delivery.
type Mapped struct {
	// Event names the tool's event as the tool shows it in its own
	// delivery logs: "jira:issue_updated", "issues.closed", "taskStatusUpdated".
	Event string
	// Records are ingest.TaskEvent and ingest.Deliverable values with
	// ExternalID set (derived from the delivery's ids, never random, so a
	// delivery applied twice or replayed replaces its own rows); Org and
	// Source are set by the worker.
	Records []any
	// Ignored says why nothing is kept ("event push is not read"), when
	// Records is empty on purpose.
	Ignored string
	// Unmapped are the raw statuses the delivery named that Mapping does
	// not map; they are kept raw and listed on the data-quality score.
	Unmapped []string
}

// Mapper turns one tool's deliveries into canonical records. An error is a
// body the tool would not send (not JSON, missing the fields its docs
// promise): the delivery shows as failed with that error's text.
type Mapper interface {
	Map(ctx context.Context, d Delivery, m Mapping) (Mapped, error)
}

// API reads the tool's REST API with the hook's token, for what events
// leave out (Asana's carry only ids). Path is relative to the tool's API
// base ("/tasks/1204"); v is the decoded JSON answer.
type API interface {
	Get(ctx context.Context, path string, v any) error
}

// MapperOf returns tool's Mapper; api is nil when the hook has no token.
// Jira's and GitHub's events carry the whole issue and need no API; ClickUp,
// Trello and Asana send only what changed, and write deliverable rows only
// with api (docs/hook-mapping.md).
func MapperOf(tool string, api API) (Mapper, bool) {
	switch tool {
	case "jira":
		return jiraMapper{}, true
	case "clickup":
		return clickupMapper{api: api}, true
	case "asana":
		return asanaMapper{api: api}, true
	case "trello":
		return trelloMapper{api: api}, true
	case "github":
		return githubMapper{}, true
	}
	return nil, false
}
