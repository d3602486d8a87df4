package hook_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/hook"
)

// TestVerify checks each tool's signature against vectors computed here
// from a fixed secret, and GitHub's against the test values GitHub
// publishes in "Validating webhook deliveries" (docs.github.com/en/webhooks/
// using-webhooks/validating-webhook-deliveries, "Testing the webhook
// payload validation"): secret "It's a Secret to Everybody", payload
// "Hello, World!". Jira's admin webhooks sign the same way (WebSub's
// X-Hub-Signature, sha256=), so the same vector holds for Jira's header.
// ClickUp's docs show only a cut example signature; Asana's and Trello's
// docs publish none.
func TestVerify(t *testing.T) {
	const published = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	const secret = "s3cr3t-of-the-hook"
	body := []byte(`{"action":"closed","issue":{"number":7}}`)
	const callback = "https://ops.example.com/hooks/hk_abc"
	hexMAC := func(msg []byte) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(msg)
		return hex.EncodeToString(m.Sum(nil))
	}
	trelloMAC := func(msg []byte, url string) string {
		m := hmac.New(sha1.New, []byte(secret))
		m.Write(msg)
		m.Write([]byte(url))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	cases := []struct {
		name, tool, secret string
		header             http.Header
		body               []byte
		want               bool
	}{
		{"github published vector", "github", "It's a Secret to Everybody", h("X-Hub-Signature-256", published), []byte("Hello, World!"), true},
		{"jira published vector", "jira", "It's a Secret to Everybody", h("X-Hub-Signature", published), []byte("Hello, World!"), true},
		{"github published vector, other body", "github", "It's a Secret to Everybody", h("X-Hub-Signature-256", published), []byte("Hello, World?"), false},
		{"github", "github", secret, h("X-Hub-Signature-256", "sha256="+hexMAC(body)), body, true},
		{"github without sha256=", "github", secret, h("X-Hub-Signature-256", hexMAC(body)), body, false},
		{"github in jira's header", "github", secret, h("X-Hub-Signature", "sha256="+hexMAC(body)), body, false},
		{"github wrong secret", "github", "other", h("X-Hub-Signature-256", "sha256="+hexMAC(body)), body, false},
		{"jira", "jira", secret, h("X-Hub-Signature", "sha256="+hexMAC(body)), body, true},
		{"clickup", "clickup", secret, h("X-Signature", hexMAC(body)), body, true},
		{"clickup tampered body", "clickup", secret, h("X-Signature", hexMAC(body)), append(slices.Clone(body), ' '), false},
		{"clickup missing", "clickup", secret, h(), body, false},
		{"asana", "asana", secret, h("X-Hook-Signature", hexMAC(body)), body, true},
		{"asana before its handshake", "asana", "", h("X-Hook-Signature", hexMAC(body)), body, false},
		{"trello", "trello", secret, h("X-Trello-Webhook", trelloMAC(body, callback)), body, true},
		{"trello signed for another URL", "trello", secret, h("X-Trello-Webhook", trelloMAC(body, callback+"x")), body, false},
		{"trello body only", "trello", secret, h("X-Trello-Webhook", trelloMAC(body, "")), body, false},
		{"unknown tool", "gitlab", secret, h("X-Hub-Signature-256", "sha256="+hexMAC(body)), body, false},
	}
	for _, c := range cases {
		if got := hook.Verify(c.tool, c.secret, callback, c.header, c.body); got != c.want {
			t.Errorf("%s: Verify = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestDeliveryID: the tools' own ids, kept across their retries, else the
// body's hash.
func TestDeliveryID(t *testing.T) {
	body := []byte(`{"x":1}`)
	sum := sha256.Sum256(body)
	hash := "sha256:" + hex.EncodeToString(sum[:])
	h := func(k, v string) http.Header { return http.Header{http.CanonicalHeaderKey(k): {v}} }
	cases := []struct {
		tool   string
		header http.Header
		body   string
		want   string
	}{
		{"github", h("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"), `{}`, "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
		{"jira", h("X-Atlassian-Webhook-Identifier", "10001"), `{}`, "10001"},
		{"trello", nil, `{"action":{"id":"51f9424bcd6e040f3c002412"}}`, "51f9424bcd6e040f3c002412"},
		{"clickup", nil, `{"webhook_id":"7689a169","history_items":[{"id":"2800763136717140857"},{"id":"9"}]}`, "7689a169:2800763136717140857,9"},
		{"asana", nil, string(body), hash},
		{"github", nil, string(body), hash},
		{"clickup", nil, string(body), hash},
	}
	for _, c := range cases {
		if got := hook.DeliveryID(c.tool, c.header, []byte(c.body)); got != c.want {
			t.Errorf("%s %v %s: %q, want %q", c.tool, c.header, c.body, got, c.want)
		}
	}
}

// TestHooksAdd: a hook names its org and tool; its secret is shown once
// (Add's answer) and is in no list; bad input names the field and value.
func TestHooksAdd(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	h, secret, err := r.hooks.Add(ctx, hook.NewHook{Org: r.org, Tool: "github", Client: "Nordlicht", PublicURL: "https://ops.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 40 || !strings.HasPrefix(h.ID, "hk_") || len(h.ID) < 3+32 {
		t.Errorf("secret %d chars, id %q: want a long random secret and id", len(secret), h.ID)
	}
	if h.CallbackURL != "https://ops.example.com/hooks/"+h.ID {
		t.Errorf("url %q", h.CallbackURL)
	}
	list, err := r.hooks.List(ctx, r.org)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(list)
	if len(list) != 1 || list[0].ID != h.ID || !list[0].HasSecret || strings.Contains(string(js), secret) || strings.Contains(string(js), "v1:") {
		t.Errorf("list: %s", js)
	}
	bad := []struct {
		h    hook.NewHook
		want string
	}{
		{hook.NewHook{Org: r.org, Tool: "gitlab"}, `unknown tool "gitlab"`},
		{hook.NewHook{Org: r.org + "-none", Tool: "jira"}, `no org "` + r.org + `-none"`},
		{hook.NewHook{Org: r.org, Tool: "asana", Secret: "x"}, "handshake"},
		{hook.NewHook{Org: r.org, Tool: "trello"}, "--public-url"},
		{hook.NewHook{Org: r.org, Tool: "jira", BaseURL: "ftp://x"}, `base URL "ftp://x"`},
	}
	for _, b := range bad {
		var be *hook.BadHookError
		if _, _, err := r.hooks.Add(ctx, b.h); !errors.As(err, &be) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: %v, want a BadHookError naming %q", b.h, err, b.want)
		}
	}
	if err := r.hooks.Remove(ctx, r.org, "hk_nope"); !errors.Is(err, hook.ErrNotFound) || !strings.Contains(err.Error(), "hk_nope") {
		t.Errorf("remove unknown: %v", err)
	}
	if err := r.hooks.Remove(ctx, r.org, h.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := r.hooks.List(ctx, r.org); len(list) != 0 {
		t.Errorf("after remove: %+v", list)
	}
}

// delivery spools a GitHub delivery of hook h as the receiver would.
func (r *rig) deliver(t *testing.T, h hook.Hook, id, event, body string) hook.Delivery {
	t.Helper()
	d := hook.Delivery{Hook: h.ID, Org: h.Org, Tool: h.Tool, ID: id, Received: time.Now().UTC().Truncate(time.Microsecond),
		Header: http.Header{"X-Github-Event": {event}, "X-Github-Delivery": {id}}, Body: []byte(body)}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.queue.Append(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	return d
}

const issueClosed = `{"action":"closed","issue":{"number":7,"state":"closed"},"repository":{"full_name":"acme/site"}}`

// TestWorkerApplies: a delivery is applied with its task event, the same
// delivery again is ignored as a duplicate and writes nothing more, an
// event the mapper does not read is ignored with why, a body it cannot
// read fails with why; all are acked and listed, and a replay maps them
// again without duplicating rows.
func TestWorkerApplies(t *testing.T) {
	r := newRig(t)
	h, _, err := r.hooks.Add(t.Context(), hook.NewHook{Org: r.org, Tool: "github", Client: "Nordlicht"})
	if err != nil {
		t.Fatal(err)
	}
	first := r.deliver(t, h, "d-1", "issues", issueClosed)
	if list, err := r.worker.Deliveries(t.Context(), r.org, h.ID, time.Time{}); err != nil || len(list) != 1 ||
		list[0].Status != hook.StatusPending || list[0].ID != "d-1" {
		t.Errorf("before the worker runs: %+v %v, want d-1 pending", list, err)
	}
	r.run(t)
	eventually(t, "d-1 applied", func() bool { return r.count("github", hook.StatusApplied) == 1 })
	r.deliver(t, h, "d-1", "issues", issueClosed) // GitHub's redelivery keeps the id
	r.deliver(t, h, "d-2", "push", `{}`)
	r.deliver(t, h, "d-3", "issues", `not json`)
	eventually(t, "all acked", func() bool { return r.queue.pending() == 0 && r.count("github", hook.StatusFailed) == 1 })
	if n := r.taskEvents(t); n != 1 {
		t.Errorf("task events: %d, want 1 (d-1 once)", n)
	}
	list, err := r.worker.Deliveries(t.Context(), r.org, h.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range list {
		got[d.ID+"/"+d.Status] = d.Reason
	}
	want := map[string]string{
		"d-1/applied": "",
		"d-1/ignored": "duplicate of " + first.Received.Format(time.RFC3339Nano),
		"d-2/ignored": "event push is not read",
		"d-3/failed":  "body is not JSON: invalid character 'o' in literal null (expecting 'u')",
	}
	if len(list) != 4 || !mapsEqual(got, want) {
		t.Errorf("deliveries: %+v\nwant %v", list, want)
	}
	for _, d := range list {
		if d.Status == hook.StatusApplied && (d.Records != 1 || d.Event != "issues.closed") {
			t.Errorf("applied: %+v, want 1 record of issues.closed", d)
		}
	}
	if _, err := r.worker.Deliveries(t.Context(), r.org, "hk_nope", time.Time{}); !errors.Is(err, hook.ErrNotFound) {
		t.Errorf("unknown hook: %v", err)
	}

	// Replay maps d-1, d-2 and d-3 again (not the duplicate): still one row.
	res, err := r.worker.Replay(t.Context(), r.org, h.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if res != (hook.Replayed{Deliveries: 3, Applied: 1, Ignored: 1, Failed: 1, Records: 1}) {
		t.Errorf("replay: %+v", res)
	}
	if n := r.taskEvents(t); n != 1 {
		t.Errorf("task events after replay: %d, want 1", n)
	}
	if list, _ := r.worker.Deliveries(t.Context(), r.org, h.ID, time.Time{}); len(list) != 4 {
		t.Errorf("after replay %d deliveries listed, want the same 4: %+v", len(list), list)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestWorkerStoreDown: while the store is down, deliveries stay pending in
// the spool (nothing acked, nothing written); once it is back they are
// applied in the order they came.
func TestWorkerStoreDown(t *testing.T) {
	r := newRig(t)
	h, _, err := r.hooks.Add(t.Context(), hook.NewHook{Org: r.org, Tool: "github"})
	if err != nil {
		t.Fatal(err)
	}
	r.store.down.Store(true)
	r.run(t)
	for i := range 5 {
		r.deliver(t, h, "down-"+string(rune('a'+i)), "issues",
			strings.Replace(issueClosed, `"number":7`, `"number":`+string(rune('1'+i)), 1))
	}
	time.Sleep(500 * time.Millisecond) // several attempts at MaxBackoff 200 ms
	if p := r.queue.pending(); p != 5 || len(r.queue.acks) != 0 {
		t.Fatalf("while down: %d pending, acks %v; want 5 and none", p, r.queue.acks)
	}
	r.store.down.Store(false)
	eventually(t, "applied once back", func() bool { return r.count("github", hook.StatusApplied) == 5 })
	if n := r.taskEvents(t); n != 5 {
		t.Errorf("task events: %d, want 5", n)
	}
	order := slices.Compact(r.mapper.order()) // a retried batch maps again, in the same order
	if want := []string{"down-a", "down-b", "down-c", "down-d", "down-e"}; !slices.Equal(order, want) {
		t.Errorf("mapped in order %v, want %v", order, want)
	}
}
