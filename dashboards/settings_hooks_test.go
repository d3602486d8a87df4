package dashboards

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/auth"
)

// fakeDeliveries lists the same deliveries for every hook.
type fakeDeliveries []DeliveryView

func (f fakeDeliveries) Deliveries(context.Context, string, string, time.Time) ([]DeliveryView, error) {
	return f, nil
}

// fakeMappings maps every tool's statuses alike.
type fakeMappings []MappingRow

func (f fakeMappings) List(context.Context, string, string) ([]MappingRow, error) {
	return slices.Clone(f), nil
}

// fakeHooks keeps hooks in memory as app's adapter of ingest's hooks
// does: a secret made when none is given (but for Asana), the URL below
// the public URL; refuse, when set, is a refusal of its own checks. It
// records what it is told to audit. The real store's Add, Remove and audit
// trail are tested through the app (app/settings_adapters_test.go).
type fakeHooks struct {
	mu      sync.Mutex
	n       int
	list    []HookView
	secrets map[string][2]string // id -> the secret and token it keeps
	refuse  string
	audited []string
}

var _ HookAdmin = (*fakeHooks)(nil)

func (f *fakeHooks) Tools() []string { return []string{"jira", "clickup", "asana", "trello", "github"} }

func (f *fakeHooks) List(_ context.Context, orgID string) ([]HookView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []HookView
	for _, h := range f.list {
		if h.Org == orgID {
			out = append(out, h)
		}
	}
	return out, nil
}

func (f *fakeHooks) Get(ctx context.Context, orgID, id string) (HookView, error) {
	list, _ := f.List(ctx, orgID)
	for _, h := range list {
		if h.ID == id {
			return h, nil
		}
	}
	return HookView{}, fmt.Errorf("%w: no such hook %q", ErrNotFound, id)
}

func (f *fakeHooks) Add(_ context.Context, in HookInput) (HookView, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse != "" {
		return HookView{}, "", &FieldError{Field: "tool", Value: in.Tool, Reason: f.refuse}
	}
	f.n++
	h := HookView{Org: in.Org, ID: fmt.Sprintf("hk_%d", f.n), Tool: in.Tool, BaseURL: in.BaseURL, Client: in.Client, Project: in.Project}
	if in.PublicURL != "" {
		h.URL = in.PublicURL + "/hooks/" + h.ID
	}
	secret := in.Secret
	if secret == "" && in.Tool != "asana" {
		secret = fmt.Sprintf("made-secret-%d-0123456789", f.n)
	}
	h.HasSecret, h.HasToken = secret != "", in.Token != ""
	if f.secrets == nil {
		f.secrets = map[string][2]string{}
	}
	f.secrets[h.ID] = [2]string{secret, in.Token}
	f.list = append(f.list, h)
	return h, secret, nil
}

func (f *fakeHooks) Remove(_ context.Context, orgID, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.list)
	f.list = slices.DeleteFunc(f.list, func(h HookView) bool { return h.Org == orgID && h.ID == id })
	if len(f.list) == n {
		return fmt.Errorf("%w: no such hook %q", ErrNotFound, id)
	}
	return nil
}

func (f *fakeHooks) Audit(_ context.Context, who string, before, after *HookView) error {
	show := func(h *HookView) string {
		if h == nil {
			return ""
		}
		return fmt.Sprintf("%s client=%s secret=%t token=%t", h.Tool, h.Client, h.HasSecret, h.HasToken)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audited = append(f.audited, who+" before="+show(before)+" after="+show(after))
	return nil
}

var shownSecret = regexp.MustCompile(`Secret \(shown this once; paste it into jira\):</strong> <code class="copy">([^<]+)</code>`)

func TestSettingsHooks(t *testing.T) {
	const orgID, typedSecret, apiToken = "settings-hooks-oidc", "typed-secret-0123456789", "jira-api-token-0123456789"
	hooks := &fakeHooks{}
	now := time.Now()
	changed := 0
	r := newSettingsRig(t, orgID, func(c *Config) {
		c.Hooks, c.PublicURL = hooks, "https://ops.example.com"
		c.HookMappings = fakeMappings{{Status: "in progress", Phase: "in_progress", Set: "default"},
			{Status: "waiting for client", Phase: "client_review", Set: "default"}, {Status: "done", Phase: "done", Outcome: "accepted", Set: "org"}}
		c.HookDeliveries = fakeDeliveries{
			{Received: now.Add(-3 * time.Minute), ID: "d3", Event: "jira:issue_updated", Status: "applied", Records: 2},
			{Received: now.Add(-time.Hour), ID: "d2", Event: "jira:issue_updated", Status: "failed", Reason: "no issue key in the body"},
			{Received: now.Add(-2 * time.Hour), ID: "d1", Event: "comment_created", Status: "ignored", Reason: "event not read"},
		}
		c.HooksChanged = func() { changed++ }
	})
	ops := auth.User{Org: orgID, ID: "u1", Email: "ops@example.com", Role: auth.RoleOps}.Principal()
	sales := auth.User{Org: orgID, ID: "u2", Email: "sal@example.com", Role: auth.RoleSales}.Principal()

	r.as(sales)
	if code, _ := r.get("/settings/hooks"); code != http.StatusForbidden {
		t.Errorf("sales opens the hooks: %d", code)
	}
	r.as(ops)
	if code, body := r.get("/settings/hooks"); code != http.StatusOK || !strings.Contains(body, "No hook yet") {
		t.Fatalf("no hooks: %d %s", code, body)
	}
	for _, tc := range []struct {
		form   url.Values
		refuse string // the HookAdmin's own refusal
		errID  string
		says   string
	}{
		{url.Values{"tool": {"gitlab"}}, "", "tool-err", `Tool &#34;gitlab&#34;: want one of jira, clickup, asana, trello, github.`},
		{url.Values{"tool": {"jira"}, "base_url": {"jira.example.com"}}, "", "hbase-err", `Base URL &#34;jira.example.com&#34;: want an http(s) URL`},
		{url.Values{"tool": {"asana"}, "secret": {typedSecret}}, "", "secret-err", `Secret: leave it empty for Asana`},
		{url.Values{"tool": {"jira"}, "token": {apiToken}}, "no org \"x\": import into it or set it up with `opsmetrics org` first", "tool-err",
			`No org &#34;x&#34;: import into it`},
	} {
		hooks.refuse = tc.refuse
		code, body := r.post("/settings/hooks", "/settings/hooks", tc.form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.says) || !strings.Contains(body, `id="`+tc.errID+`" class="field-err"`) {
			t.Errorf("add %v: %d, want 422 saying %s beside the field (%s):\n%s", tc.form, code, tc.says, tc.errID, body)
		}
	}
	hooks.refuse = ""
	if list, _ := hooks.List(t.Context(), orgID); len(list) != 0 {
		t.Fatalf("refused forms added %d hooks", len(list))
	}
	// A generated secret is shown once, with the URL to paste.
	code, body := r.post("/settings/hooks", "/settings/hooks", url.Values{"tool": {"jira"}, "token": {apiToken}, "client": {"Nordlicht"}})
	m := shownSecret.FindStringSubmatch(body)
	if code != http.StatusCreated || m == nil || !strings.Contains(body, "https://ops.example.com/hooks/hk_") {
		t.Fatalf("add jira: %d %s", code, body)
	}
	generated := m[1]
	list, err := hooks.List(t.Context(), orgID)
	if err != nil || len(list) != 1 || list[0].Client != "Nordlicht" || !list[0].HasToken || hooks.secrets[list[0].ID] != [2]string{generated, apiToken} {
		t.Fatalf("after add: %v %+v", err, list)
	}
	jira := list[0]
	// The list: its URL, its last delivery, its deliveries by status and why,
	// and how jira's statuses count.
	code, body = r.get("/settings/hooks")
	for _, want := range []string{jira.URL, "3 min ago", "1 applied</span>, <span class=\"badge ignored\">1 ignored</span>, <span class=\"badge failed\">1 failed",
		"no issue key in the body", "How jira's statuses count", "<td>waiting for client</td><td>client review</td><td>—</td><td>opsmetrics' default</td>",
		"<td>done</td><td>done</td><td>accepted</td><td>your organization</td>", "not checked against the tool&#39;s API yet"} {
		if !strings.Contains(body, want) {
			t.Errorf("the list lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, generated) {
		t.Error("the generated secret is shown again")
	}
	// A secret typed in is not shown back.
	if code, body := r.post("/settings/hooks", "/settings/hooks", url.Values{"tool": {"github"}, "secret": {typedSecret}}); code != http.StatusCreated ||
		!strings.Contains(body, "The secret is the one you typed") {
		t.Errorf("add github: %d %s", code, body)
	}
	list, _ = hooks.List(t.Context(), orgID)
	if len(list) != 2 || hooks.secrets[list[1].ID][0] != typedSecret {
		t.Fatalf("%d hooks, want 2 (the second with the secret typed)", len(list))
	}
	r.as(sales)
	if code, _ := r.post("/settings/hooks", "/settings/hooks/"+jira.ID+"/remove", url.Values{"confirm": {"yes"}}); code != http.StatusForbidden {
		t.Errorf("sales removes a hook: %d", code)
	}
	r.as(ops)
	if code, body := r.post("/settings/hooks", "/settings/hooks/"+jira.ID+"/remove", url.Values{}); code != http.StatusOK || !strings.Contains(body, "Remove the jira hook?") {
		t.Errorf("remove asks: %d %s", code, body)
	}
	if code, body := r.post("/settings/hooks", "/settings/hooks/"+jira.ID+"/remove", url.Values{"confirm": {"yes"}}); code != http.StatusOK || !strings.Contains(body, "Removed the jira hook") {
		t.Errorf("remove: %d %s", code, body)
	}
	if code, _ := r.post("/settings/hooks", "/settings/hooks/hk_nope/remove", url.Values{"confirm": {"yes"}}); code != http.StatusNotFound {
		t.Errorf("remove an unknown hook: %d", code)
	}
	if list, _ := hooks.List(t.Context(), orgID); len(list) != 1 || list[0].Tool != "github" {
		t.Errorf("after remove: %+v", list)
	}
	if changed != 3 {
		t.Errorf("the receiver was told of %d changes, want 3 (2 adds, 1 removal)", changed)
	}
	want := []string{
		`ops@example.com before= after=jira client=Nordlicht secret=true token=true`,
		`ops@example.com before= after=github client= secret=true token=false`,
		`ops@example.com before=jira client=Nordlicht secret=true token=true after=`,
	}
	if !slices.Equal(hooks.audited, want) {
		t.Errorf("audited:\n%s\nwant:\n%s", strings.Join(hooks.audited, "\n"), strings.Join(want, "\n"))
	}
	for i, p := range r.pages {
		for _, secret := range []string{typedSecret, apiToken} {
			if strings.Contains(p, secret) {
				t.Errorf("page %d shows a secret or token:\n%s", i, p)
			}
		}
	}
}
