package hook

import "strings"

// NormalizeStatus is how a status name is compared: trimmed, lower case,
// inner runs of white space as one space ("In  Review " → "in review").
func NormalizeStatus(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// defaultPhases fit most boards (spec/sources.md "Mapping").
var defaultPhases = map[string]string{
	"to do": PhaseIntake, "open": PhaseIntake, "backlog": PhaseIntake,
	"brief": PhaseBrief, "planning": PhaseBrief,
	"in progress": PhaseProduction, "doing": PhaseProduction,
	"in review": PhaseInternalReview, "qa": PhaseInternalReview, "internal review": PhaseInternalReview,
	"client review": PhaseClientReview, "waiting for client": PhaseClientReview, "approval": PhaseClientReview,
	"done": PhaseDelivered, "closed": PhaseDelivered, "shipped": PhaseDelivered, "complete": PhaseDelivered,
}

// DefaultMapping is the mapping a new hook starts with: the common status
// names of every tool, no outcomes, no targets.
func DefaultMapping() Mapping {
	m := Mapping{Phases: map[string]string{}, Outcomes: map[string]string{}, Targets: map[string]Target{}}
	for k, v := range defaultPhases {
		m.Phases[k] = v
	}
	return m
}

// Phase returns the phase status maps to, and false when it maps to none.
func (m Mapping) Phase(status string) (string, bool) {
	p, ok := m.Phases[NormalizeStatus(status)]
	return p, ok
}

// Outcome returns the review outcome status stands for, or "".
func (m Mapping) Outcome(status string) string { return m.Outcomes[NormalizeStatus(status)] }

// Target returns the client and project of a task in container (a tool's
// project, list, board or repository), else the hook's default.
func (m Mapping) Target(container string) Target {
	if t, ok := m.Targets[container]; ok {
		return t
	}
	return m.Default
}
