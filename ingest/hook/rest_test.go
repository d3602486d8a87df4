package hook

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
)

// TestRestAPI: each tool's token is sent as the tool's docs say, to the
// path below the hook's base URL; a 401 is collect.ErrNeedsToken and no
// error names the token's secret part.
//
//   - ClickUp: "Authorization: {personal token}" (developer.clickup.com/docs/authentication);
//   - Asana, GitHub: "Authorization: Bearer {token}";
//   - Jira Cloud: basic auth of email:api_token; a Data Center personal
//     access token as a bearer token (developer.atlassian.com, "Basic auth
//     for REST APIs"; confluence.atlassian.com, "Using Personal Access Tokens");
//   - Trello: OAuth header with the app key and the member's token
//     (developer.atlassian.com/cloud/trello/guides/rest-api/authorization).
func TestRestAPI(t *testing.T) {
	cases := []struct {
		tool, token, header, secret string
	}{
		{"clickup", "pk_4753994_SECRET", "pk_4753994_SECRET", "pk_4753994_SECRET"},
		{"asana", "2/1201/SECRET", "Bearer 2/1201/SECRET", "2/1201/SECRET"},
		{"github", "ghp_SECRET", "Bearer ghp_SECRET", "ghp_SECRET"},
		{"jira", "ana@example.com:ATATT-SECRET", "Basic " + base64.StdEncoding.EncodeToString([]byte("ana@example.com:ATATT-SECRET")), "ATATT-SECRET"},
		{"jira", "NjE4-SECRET", "Bearer NjE4-SECRET", "NjE4-SECRET"},
		{"trello", "app-key:SECRET-tok", `OAuth oauth_consumer_key="app-key", oauth_token="SECRET-tok"`, "SECRET-tok"},
	}
	for _, c := range cases {
		var refuse bool
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if got := r.Header.Get("Authorization"); got != c.header {
				t.Errorf("%s: Authorization %q, want %q", c.tool, got, c.header)
			}
			if r.URL.Path != "/api/task/1vj38vv" {
				t.Errorf("%s: path %q", c.tool, r.URL.Path)
			}
			if refuse {
				// Some tools echo what they were sent.
				http.Error(w, `{"err":"token `+c.secret+` is invalid"}`, http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":"1vj38vv"}`))
		}))
		api, err := newAPI(c.tool, srv.URL+"/api/", c.token, srv.Client())
		if err != nil {
			t.Fatalf("%s: %v", c.tool, err)
		}
		var got struct{ ID string }
		if err := api.Get(t.Context(), "/task/1vj38vv", &got); err != nil || got.ID != "1vj38vv" {
			t.Errorf("%s: %+v %v", c.tool, got, err)
		}
		refuse = true
		err = api.Get(t.Context(), "task/1vj38vv", &got)
		if !errors.Is(err, collect.ErrNeedsToken) || strings.Contains(err.Error(), c.secret) {
			t.Errorf("%s: 401 gave %v; want ErrNeedsToken without the token", c.tool, err)
		}
		srv.Close()
	}
	if _, err := newAPI("trello", "", "no-colon", nil); err == nil || !strings.Contains(err.Error(), "key:token") {
		t.Errorf("trello token without its key: %v", err)
	}
	if _, err := newAPI("jira", "", "a:b", nil); err == nil || !strings.Contains(err.Error(), "--base-url") {
		t.Errorf("jira without a base URL: %v", err)
	}
}
