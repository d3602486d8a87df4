package hook

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
)

// defaultBaseURLs are the tools' API roots. Jira has none: every site has
// its own (https://your-domain.atlassian.net/rest/api/3).
var defaultBaseURLs = map[string]string{
	"clickup": "https://api.clickup.com/api/v2",
	"asana":   "https://app.asana.com/api/1.0",
	"trello":  "https://api.trello.com/1",
	"github":  "https://api.github.com",
}

// restAPI is API over collect.Client, which keeps to rate limits, waits
// out a 429, turns a 401 into collect.ErrNeedsToken and redacts the token
// from every error.
type restAPI struct {
	c      *collect.Client
	base   string
	header http.Header
}

var _ API = (*restAPI)(nil)

// newAPI returns the API of tool at base ("" for the tool's own) with
// token, sent as the tool wants it: ClickUp the bare token; Asana and
// GitHub a bearer token; Jira Cloud "email:api_token" as basic auth (a
// Data Center personal token, without a colon, as a bearer token); Trello
// "key:token" in its OAuth header.
func newAPI(tool, base, token string, hc *http.Client) (*restAPI, error) {
	if base == "" {
		base = defaultBaseURLs[tool]
	}
	if base == "" {
		return nil, fmt.Errorf("%s: no API base URL (--base-url, such as https://your-domain.atlassian.net/rest/api/3)", tool)
	}
	h := http.Header{}
	switch tool {
	case "clickup":
		h.Set("Authorization", token)
	case "jira":
		if strings.Contains(token, ":") {
			h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(token)))
		} else {
			h.Set("Authorization", "Bearer "+token)
		}
	case "trello":
		key, tok, ok := strings.Cut(token, ":")
		if !ok {
			return nil, fmt.Errorf("trello: the token must be key:token (the app key and the member's token)")
		}
		h.Set("Authorization", fmt.Sprintf(`OAuth oauth_consumer_key="%s", oauth_token="%s"`, key, tok))
	default:
		h.Set("Authorization", "Bearer "+token)
	}
	secret := token
	if tool == "jira" || tool == "trello" {
		if _, t, ok := strings.Cut(token, ":"); ok {
			secret = t // the token part; the email or app key is not secret
		}
	}
	return &restAPI{c: collect.NewClient(collect.ClientConfig{HTTP: hc, Kind: tool, Secret: secret}),
		base: strings.TrimRight(base, "/"), header: h}, nil
}

// Get implements API. Errors are collect.Client's: collect.ErrNeedsToken
// (wrapped) on a 401, *collect.APIError, none holding the token.
func (a *restAPI) Get(ctx context.Context, path string, v any) error {
	return a.c.GetJSON(ctx, a.base+"/"+strings.TrimLeft(path, "/"), a.header, v)
}
