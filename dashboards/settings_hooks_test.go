package dashboards

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/org"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// fakeDeliveries lists the same deliveries for every hook.
type fakeDeliveries []hook.Received

func (f fakeDeliveries) Deliveries(context.Context, string, string, time.Time) ([]hook.Received, error) {
	return f, nil
}

var shownSecret = regexp.MustCompile(`Secret \(shown this once; paste it into jira\):</strong> <code class="copy">([^<]+)</code>`)

func TestSettingsHooks(t *testing.T) {
	const orgID, typedSecret, apiToken = "settings-hooks-oidc", "typed-secret-0123456789", "jira-api-token-0123456789"
	s := chdbtest.Shared(t)
	hooks, err := hook.NewHooks(hook.HooksConfig{Store: s, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	mappings, err := hook.NewMappings(hook.MappingsConfig{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	changed := 0
	r := newSettingsRig(t, orgID, func(c *Config) {
		c.Hooks, c.HookMappings, c.PublicURL = hooks, mappings, "https://ops.example.com"
		c.HookDeliveries = fakeDeliveries{
			{Received: now.Add(-3 * time.Minute), ID: "d3", Event: "jira:issue_updated", Status: hook.StatusApplied, Records: 2},
			{Received: now.Add(-time.Hour), ID: "d2", Event: "jira:issue_updated", Status: hook.StatusFailed, Reason: "no issue key in the body"},
			{Received: now.Add(-2 * time.Hour), ID: "d1", Event: "comment_created", Status: hook.StatusIgnored, Reason: "event not read"},
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
		form url.Values
		says string
	}{
		{url.Values{"tool": {"gitlab"}}, `Tool &#34;gitlab&#34;: want one of jira, clickup, asana, trello, github.`},
		{url.Values{"tool": {"jira"}, "base_url": {"jira.example.com"}}, `Base URL &#34;jira.example.com&#34;: want an http(s) URL`},
		{url.Values{"tool": {"asana"}, "secret": {typedSecret}}, `Secret: leave it empty for Asana`},
	} {
		code, body := r.post("/settings/hooks", "/settings/hooks", tc.form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.says) {
			t.Errorf("add %v: %d, want 422 saying %s:\n%s", tc.form, code, tc.says, body)
		}
	}
	// A generated secret is shown once, with the URL to paste.
	code, body := r.post("/settings/hooks", "/settings/hooks", url.Values{"tool": {"jira"}, "token": {apiToken}, "client": {"Nordlicht"}})
	m := shownSecret.FindStringSubmatch(body)
	if code != http.StatusCreated || m == nil || !strings.Contains(body, "https://ops.example.com/hooks/hk_") {
		t.Fatalf("add jira: %d %s", code, body)
	}
	generated := m[1]
	list, err := hooks.List(t.Context(), orgID)
	if err != nil || len(list) != 1 || list[0].Client != "Nordlicht" || !list[0].HasToken {
		t.Fatalf("after add: %v %+v", err, list)
	}
	jira := list[0]
	// The list: its URL, its last delivery, its deliveries by status and why,
	// and how jira's statuses count.
	code, body = r.get("/settings/hooks")
	for _, want := range []string{jira.CallbackURL, "3 min ago", "1 applied</span>, <span class=\"badge ignored\">1 ignored</span>, <span class=\"badge failed\">1 failed",
		"no issue key in the body", "How jira's statuses count", "<td>waiting for client</td><td>client review</td><td>—</td><td>opsmetrics' default</td>"} {
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
	if len(list) != 2 {
		t.Fatalf("%d hooks, want 2", len(list))
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
	if list, _ := hooks.List(t.Context(), orgID); len(list) != 1 || list[0].Tool != "github" {
		t.Errorf("after remove: %+v", list)
	}
	if changed != 3 {
		t.Errorf("the receiver was told of %d changes, want 3 (2 adds, 1 removal)", changed)
	}
	log, err := org.AuditLog(t.Context(), s, orgID, org.AuditHook, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range log {
		got = append(got, c.Who+" "+c.Name+" before="+c.Before+" after="+c.After)
	}
	want := []string{
		`ops@example.com jira hook before={"tool":"jira","client":"Nordlicht","secret":"set","token":"set"} after=`,
		`ops@example.com github hook before= after={"tool":"github","secret":"set"}`,
		`ops@example.com jira hook before= after={"tool":"jira","client":"Nordlicht","secret":"set","token":"set"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, secret := range []string{typedSecret, apiToken, generated} {
		for _, c := range log {
			if strings.Contains(c.Before+c.After, secret) {
				t.Errorf("the audit trail holds a secret: %+v", c)
			}
		}
	}
	for i, p := range r.pages {
		for _, secret := range []string{typedSecret, apiToken} {
			if strings.Contains(p, secret) {
				t.Errorf("page %d shows a secret or token:\n%s", i, p)
			}
		}
	}
}
