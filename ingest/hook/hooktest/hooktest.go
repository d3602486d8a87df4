// Package hooktest helps the tests of webhooks: a tiny GitHub Mapper that
// stands in for the tools' own until they are wired, and each tool's
// signature of a body, as the tools make them.
package hooktest

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
)

// IssuesMapper is a GitHub Mapper for tests: an `issues` event becomes one
// status_changed task event keyed by the delivery ("gh:" + its id); other
// events are ignored ("event E is not read"); a body that is not JSON
// fails. It remembers the delivery ids it mapped, in order.
type IssuesMapper struct {
	mu   sync.Mutex
	seen []string
}

var _ hook.Mapper = (*IssuesMapper)(nil)

// Mappers returns a lookup that gives m for GitHub and hook.MapperOf's
// Mapper for the other tools.
func (m *IssuesMapper) Mappers(tool string, api hook.API) (hook.Mapper, bool) {
	if tool == "github" {
		return m, true
	}
	return hook.MapperOf(tool, api)
}

// Map implements hook.Mapper.
func (m *IssuesMapper) Map(_ context.Context, d hook.Delivery, mp hook.Mapping) (hook.Mapped, error) {
	m.mu.Lock()
	m.seen = append(m.seen, d.ID)
	m.mu.Unlock()
	event := d.Header.Get("X-GitHub-Event")
	var b struct {
		Action string `json:"action"`
		Issue  struct {
			Number int    `json:"number"`
			State  string `json:"state"`
		} `json:"issue"`
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(d.Body, &b); err != nil {
		return hook.Mapped{Event: event}, fmt.Errorf("body is not JSON: %w", err)
	}
	if event != "issues" {
		return hook.Mapped{Event: event, Ignored: "event " + event + " is not read"}, nil
	}
	phase, _ := mp.Phase(b.Issue.State)
	t := mp.Target(b.Repository.FullName)
	return hook.Mapped{Event: "issues." + b.Action, Records: []any{ingest.TaskEvent{
		Meta:       ingest.Meta{ExternalID: "gh:" + d.ID},
		OccurredAt: d.Received, Type: ingest.EventStatusChanged, TaskID: strconv.Itoa(b.Issue.Number),
		ClientID: t.Client, ProjectID: t.Project, ToStatus: b.Issue.State, Phase: phase,
	}}}, nil
}

// Seen returns the delivery ids mapped so far, in order.
func (m *IssuesMapper) Seen() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.seen...)
}

// Sign sets on h the signature header tool sends with body, made with
// secret (Trello's over body and callbackURL).
func Sign(h http.Header, tool, secret, callbackURL string, body []byte) {
	mac := hmac.New(sha256.New, []byte(secret))
	if tool == "trello" {
		mac = hmac.New(sha1.New, []byte(secret))
	}
	mac.Write(body)
	switch tool {
	case "github":
		h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	case "jira":
		h.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	case "clickup":
		h.Set("X-Signature", hex.EncodeToString(mac.Sum(nil)))
	case "asana":
		h.Set("X-Hook-Signature", hex.EncodeToString(mac.Sum(nil)))
	case "trello":
		mac.Write([]byte(callbackURL))
		h.Set("X-Trello-Webhook", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
}
