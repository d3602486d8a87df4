package hook

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// MappingStore is the part of the store Mappings needs.
type MappingStore interface {
	Query(ctx context.Context, query string, params store.Params) (*store.Rows, error)
	Insert(ctx context.Context, b *store.Batch) error
}

// MappingsConfig configures Mappings.
type MappingsConfig struct {
	Store MappingStore
	Now   func() time.Time // nil: time.Now
}

// Validate reports a config Mappings cannot work with.
func (c MappingsConfig) Validate() error {
	if c.Store == nil {
		return errors.New("hook: mappings need a store")
	}
	return nil
}

// Mappings keeps each org's overrides of the tools' mappings
// (ops.hook_mappings): the phases and outcomes of statuses, and the client
// and project of the tools' containers. What an org has not set is
// DefaultMapping's.
type Mappings struct {
	cfg MappingsConfig

	mu   sync.Mutex
	last uint64 // the last version written, so that two writes in one microsecond still order
}

var _ MappingStore = (store.Store)(nil)

// NewMappings returns Mappings over cfg's store.
func NewMappings(cfg MappingsConfig) (*Mappings, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Mappings{cfg: cfg}, nil
}

// Phases are the phases a status can map to, in the loop's order.
var Phases = []string{PhaseIntake, PhaseBrief, PhaseProduction, PhaseInternalReview, PhaseClientReview, PhaseDelivered, PhaseReported}

// Outcomes are the review outcomes a status can stand for.
var Outcomes = []string{OutcomeApproved, OutcomeChangesRequested}

// MappingError is a mapping that cannot be set as given: the field, the
// value and why, in words that name both.
type MappingError struct {
	Field, Value, Why string
}

func (e *MappingError) Error() string {
	if e.Value == "" {
		return e.Field + ": " + e.Why
	}
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Why)
}

func badMapping(field, value, why string, args ...any) *MappingError {
	return &MappingError{Field: field, Value: value, Why: fmt.Sprintf(why, args...)}
}

// The kinds of rule ops.hook_mappings keeps.
const (
	rulePhase   = "phase"
	ruleOutcome = "outcome"
	ruleTarget  = "target"
)

// MappingPatch is a change to an org's mapping of one tool. A key with a
// nil value removes the org's override, so the default applies again.
// Status keys are compared as NormalizeStatus leaves them; a target's
// client and project are each an id or a name (Apply stores the ids).
type MappingPatch struct {
	Phases   map[string]*string `json:"phases,omitempty"`
	Outcomes map[string]*string `json:"outcomes,omitempty"`
	Targets  map[string]*Target `json:"targets,omitempty"`
}

// Empty reports whether p changes nothing.
func (p MappingPatch) Empty() bool {
	return len(p.Phases) == 0 && len(p.Outcomes) == 0 && len(p.Targets) == 0
}

// mapRule is one row of ops.hook_mappings.
type mapRule struct {
	kind, key, value, client, project string
	deleted                           bool
}

// checkTool returns an error naming tool when it is not one of Tools.
func checkMapTool(tool string) error {
	if !slices.Contains(Tools, tool) {
		return badMapping("tool", tool, "not a task tool; one of %s", strings.Join(Tools, ", "))
	}
	return nil
}

// checkOrg returns an error naming orgID when the org does not exist.
func (ms *Mappings) checkOrg(ctx context.Context, orgID string) error {
	_, found, err := org.Load(ctx, ms.cfg.Store, orgID)
	if err != nil {
		return err
	}
	if !found || orgID == "" {
		return badMapping("org", orgID, "no such org: import into it or set it up with `opsmetrics org set` first")
	}
	return nil
}

// rules reads the org's live overrides for tool.
func (ms *Mappings) rules(ctx context.Context, orgID, tool string) ([]mapRule, error) {
	rows, err := ms.cfg.Store.Query(ctx, store.QueryText("hook_mappings"), store.Params{"org": orgID, "tool": tool})
	if err != nil {
		return nil, fmt.Errorf("mapping of %s for org %s: %w", tool, orgID, err)
	}
	out := make([]mapRule, rows.Len())
	for i := range out {
		r := &out[i]
		if err := rows.Scan(i, &r.kind, &r.key, &r.value, &r.client, &r.project); err != nil {
			return nil, fmt.Errorf("mapping of %s for org %s: %w", tool, orgID, err)
		}
	}
	return out, nil
}

// Mapping returns the org's mapping of tool: DefaultMapping overlaid with
// the org's phases, outcomes and targets (Default stays empty: it is the
// hook's). Errors: *MappingError for an unknown tool; the store's.
func (ms *Mappings) Mapping(ctx context.Context, orgID, tool string) (Mapping, error) {
	if err := checkMapTool(tool); err != nil {
		return Mapping{}, err
	}
	rules, err := ms.rules(ctx, orgID, tool)
	if err != nil {
		return Mapping{}, err
	}
	return overlayRules(rules), nil
}

// overlay is DefaultMapping with rules applied.
func overlayRules(rules []mapRule) Mapping {
	m := DefaultMapping()
	for _, r := range rules {
		switch r.kind {
		case rulePhase:
			m.Phases[r.key] = r.value
		case ruleOutcome:
			m.Outcomes[r.key] = r.value
		case ruleTarget:
			m.Targets[r.key] = Target{Client: r.client, Project: r.project}
		}
	}
	return m
}

// SetPhase makes status mean phase for the org's tool. Errors as Apply's.
func (ms *Mappings) SetPhase(ctx context.Context, orgID, tool, status, phase string) error {
	return ms.Apply(ctx, orgID, tool, MappingPatch{Phases: map[string]*string{status: &phase}})
}

// SetOutcome makes status stand for a review outcome. Errors as Apply's.
func (ms *Mappings) SetOutcome(ctx context.Context, orgID, tool, status, outcome string) error {
	return ms.Apply(ctx, orgID, tool, MappingPatch{Outcomes: map[string]*string{status: &outcome}})
}

// SetTarget puts the tasks of container (a Jira project key, ClickUp list
// id, Asana project gid, Trello board id or GitHub repository full name)
// under a client and, optionally, one of its projects, each given by id or
// name. Errors as Apply's.
func (ms *Mappings) SetTarget(ctx context.Context, orgID, tool, container, client, project string) error {
	return ms.Apply(ctx, orgID, tool, MappingPatch{Targets: map[string]*Target{container: {Client: client, Project: project}}})
}

// ResetStatus removes the org's phase and outcome of status: the default
// applies again. Errors as Apply's.
func (ms *Mappings) ResetStatus(ctx context.Context, orgID, tool, status string) error {
	return ms.Apply(ctx, orgID, tool, MappingPatch{Phases: map[string]*string{status: nil}, Outcomes: map[string]*string{status: nil}})
}

// ResetTarget removes the org's target of container: its tasks go to the
// hook's default again. Errors as Apply's.
func (ms *Mappings) ResetTarget(ctx context.Context, orgID, tool, container string) error {
	return ms.Apply(ctx, orgID, tool, MappingPatch{Targets: map[string]*Target{container: nil}})
}

// Apply checks every change of p and then writes them all in one INSERT,
// so the org's mapping changes whole or not at all. Phases must be one of
// Phases, outcomes one of Outcomes, a target's client and project must
// exist in the org (by id or name; the id is stored) and the project must
// be the client's. Removing what the org never set is no error. Errors:
// *MappingError naming the field and value (an unknown org or tool too);
// the store's.
func (ms *Mappings) Apply(ctx context.Context, orgID, tool string, p MappingPatch) error {
	if err := checkMapTool(tool); err != nil {
		return err
	}
	if err := ms.checkOrg(ctx, orgID); err != nil {
		return err
	}
	if p.Empty() {
		return badMapping("patch", "{}", "changes nothing: give phases, outcomes or targets")
	}
	var rules []mapRule
	statuses := func(field, kind string, m map[string]*string, allowed []string) error {
		for _, status := range slices.Sorted(maps.Keys(m)) {
			key := NormalizeStatus(status)
			if key == "" {
				return badMapping(field+" status", status, "is empty")
			}
			v := m[status]
			if v == nil {
				rules = append(rules, mapRule{kind: kind, key: key, deleted: true})
				continue
			}
			if !slices.Contains(allowed, *v) {
				return badMapping(kind, *v, "not a %s of status %q; one of %s", kind, status, strings.Join(allowed, ", "))
			}
			rules = append(rules, mapRule{kind: kind, key: key, value: *v})
		}
		return nil
	}
	if err := statuses("phases", rulePhase, p.Phases, Phases); err != nil {
		return err
	}
	if err := statuses("outcomes", ruleOutcome, p.Outcomes, Outcomes); err != nil {
		return err
	}
	if len(p.Targets) > 0 {
		refs, err := loadMapRefs(ctx, ms.cfg.Store, orgID)
		if err != nil {
			return err
		}
		for _, container := range slices.Sorted(maps.Keys(p.Targets)) {
			key := strings.TrimSpace(container)
			if key == "" {
				return badMapping("container", container, "is empty: give the tool's project, list, board or repository id")
			}
			t := p.Targets[container]
			if t == nil {
				rules = append(rules, mapRule{kind: ruleTarget, key: key, deleted: true})
				continue
			}
			client, project, err := refs.resolve(orgID, t.Client, t.Project)
			if err != nil {
				return err
			}
			rules = append(rules, mapRule{kind: ruleTarget, key: key, client: client, project: project})
		}
	}
	return ms.write(ctx, orgID, tool, rules)
}

// write inserts rules, all with one new version.
func (ms *Mappings) write(ctx context.Context, orgID, tool string, rules []mapRule) error {
	ms.mu.Lock()
	v := max(uint64(ms.cfg.Now().UnixMicro()), ms.last+1)
	ms.last = v
	ms.mu.Unlock()
	n := len(rules)
	orgs, tools, kinds, keys, values, clients, projects := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	versions, deleted := make([]uint64, n), make([]uint8, n)
	for i, r := range rules {
		orgs[i], tools[i], kinds[i], keys[i], values[i], clients[i], projects[i] = orgID, tool, r.kind, r.key, r.value, r.client, r.project
		versions[i] = v
		if r.deleted {
			deleted[i] = 1
		}
	}
	err := ms.cfg.Store.Insert(ctx, &store.Batch{
		Table:   "ops.hook_mappings",
		Columns: []string{"org_id", "tool", "kind", "key", "value", "client_id", "project_id", "version", "deleted"},
		Values:  []any{orgs, tools, kinds, keys, values, clients, projects, versions, deleted},
	})
	if err != nil {
		return fmt.Errorf("store mapping of %s for org %s: %w", tool, orgID, err)
	}
	return nil
}

// StatusRule is one status of a tool's effective mapping, as listed.
type StatusRule struct {
	Status  string `json:"status"`            // as NormalizeStatus leaves it
	Phase   string `json:"phase,omitempty"`   // "" when the org set only an outcome
	Outcome string `json:"outcome,omitempty"` // "" for none
	// Set is "org" when the org set the status's phase or outcome, else
	// "default".
	Set string `json:"set"`
}

// TargetRule is one container of a tool's mapping, as listed: ids with the
// names they have now ("" when the record is gone since).
type TargetRule struct {
	Container   string `json:"container"`
	Client      string `json:"client"`
	ClientName  string `json:"client_name"`
	Project     string `json:"project,omitempty"`
	ProjectName string `json:"project_name,omitempty"`
}

// MappingList is an org's effective mapping of one tool, as `hook map` and
// GET /api/v1/hooks/mappings/{tool} show it.
type MappingList struct {
	Org      string       `json:"org"`
	Tool     string       `json:"tool"`
	Statuses []StatusRule `json:"statuses"` // in the loop's order of their phase, then by status
	Targets  []TargetRule `json:"targets"`  // by container
}

// List returns the org's effective mapping of tool with each rule's
// origin and the targets' names. Errors: *MappingError for an unknown org
// or tool; the store's.
func (ms *Mappings) List(ctx context.Context, orgID, tool string) (MappingList, error) {
	if err := checkMapTool(tool); err != nil {
		return MappingList{}, err
	}
	if err := ms.checkOrg(ctx, orgID); err != nil {
		return MappingList{}, err
	}
	rules, err := ms.rules(ctx, orgID, tool)
	if err != nil {
		return MappingList{}, err
	}
	m := overlayRules(rules)
	set := map[string]bool{}
	for _, r := range rules {
		if r.kind != ruleTarget {
			set[r.key] = true
		}
	}
	out := MappingList{Org: orgID, Tool: tool, Statuses: []StatusRule{}, Targets: []TargetRule{}}
	for _, s := range slices.Sorted(maps.Keys(statusKeys(m.Phases, m.Outcomes))) {
		r := StatusRule{Status: s, Phase: m.Phases[s], Outcome: m.Outcomes[s], Set: "default"}
		if set[s] {
			r.Set = "org"
		}
		out.Statuses = append(out.Statuses, r)
	}
	slices.SortStableFunc(out.Statuses, func(a, b StatusRule) int { return loopOrder(a.Phase) - loopOrder(b.Phase) })
	if len(m.Targets) > 0 {
		refs, err := loadMapRefs(ctx, ms.cfg.Store, orgID)
		if err != nil {
			return MappingList{}, err
		}
		for _, c := range slices.Sorted(maps.Keys(m.Targets)) {
			t := m.Targets[c]
			out.Targets = append(out.Targets, TargetRule{Container: c, Client: t.Client, ClientName: refs.clientName[t.Client],
				Project: t.Project, ProjectName: refs.projectName[t.Project]})
		}
	}
	return out, nil
}

// keysOf is the union of the keys of maps, as a set.
func statusKeys(ms ...map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// phaseOrder is phase's place in the loop; a status with no phase last.
func loopOrder(phase string) int {
	if i := slices.Index(Phases, phase); i >= 0 {
		return i
	}
	return len(Phases)
}
