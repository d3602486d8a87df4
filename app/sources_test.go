package app_test

import (
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/org"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

const harvestToken = "hvpat-API-0123456789-never-shown"

// harvestPages serves the documented example answers of Harvest API v2
// (ingest/collect/testdata/harvest), one page each, to the right token.
func harvestPages(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+harvestToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/v2/")
		if r.URL.Query().Get("updated_since") != "" {
			json.NewEncoder(w).Encode(map[string]any{name: []any{}, "next_page": nil})
			return
		}
		b, err := os.ReadFile(filepath.Join("..", "ingest", "collect", "testdata", "harvest", filepath.Base(name)+".json"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSourcesAPI: an admin token adds, lists, syncs and removes its org's
// sources; a read token cannot; another org's admin gets 404s; the token
// is in no answer and not in /metrics, which shows the sync.
func TestSourcesAPI(t *testing.T) {
	svc := apptest.New(t)
	admin, reader, other := svc.Token("acme", "admin"), svc.Token("acme", "read"), svc.Token("globex", "admin")
	ingestTok := svc.Token("acme", "ingest")
	key := make([]byte, 32)
	rand.Read(key)
	base, stop := svc.Serve(func(o *app.Options) { o.SecretKey = key })
	defer stop()
	if code, r := apptest.Post(t, base+"/api/v1/clients", ingestTok, "application/x-ndjson",
		strings.NewReader(`{"external_id":"c-1","name":"Nordlicht GmbH"}`+"\n")); code != 200 {
		t.Fatalf("post client: %d %+v", code, r)
	}
	fake := harvestPages(t)
	var answers []string
	send := func(method, path, token, body string, want int) string {
		t.Helper()
		code, reply := call(t, method, base+"/api/v1"+path, token, body)
		answers = append(answers, reply)
		if code != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, code, reply, want)
		}
		return reply
	}
	add := `{"kind":"harvest","token":"` + harvestToken + `","account_id":"123456","base_url":"` + fake.URL + `","since":"2017-01-01"}`
	send("POST", "/sources", reader, add, 403)
	if r := send("POST", "/sources", admin, strings.Replace(add, "harvest", "harvset", 1), 400); !strings.Contains(r, `unknown source kind \"harvset\"`) {
		t.Errorf("unknown kind: %s", r)
	}
	var src struct{ ID string }
	json.Unmarshal([]byte(send("POST", "/sources", admin, add, 201)), &src)
	send("POST", "/sources/"+src.ID+"/sync", other, "", 404)
	// 15 added: the documented example pages' 11 records (users, clients,
	// projects, time entries) and the 4 line items of their 2 invoices.
	if r := send("POST", "/sources/"+src.ID+"/sync", admin, "", 200); !strings.Contains(r, `"added":15`) {
		t.Errorf("sync: %s", r)
	}
	if r := send("GET", "/sources", admin, "", 200); !strings.Contains(r, src.ID) || !strings.Contains(r, `"last_success"`) {
		t.Errorf("list: %s", r)
	}
	if r := send("GET", "/sources", other, "", 200); strings.Contains(r, src.ID) {
		t.Errorf("another org lists the source: %s", r)
	}
	code, _, metrics := apptest.Get(t, svc.MetricsURL, "", "")
	if code != 200 || !strings.Contains(metrics, `opsmetrics_source_sync_last_success_timestamp_seconds{kind="harvest",org="acme",source="`+src.ID+`"}`) ||
		!strings.Contains(metrics, `opsmetrics_source_sync_rows_total{kind="harvest",org="acme",result="added",source="`+src.ID+`"} 15`) {
		t.Errorf("/metrics lacks the source's series:\n%s", grep(metrics, "opsmetrics_source_sync"))
	}
	answers = append(answers, metrics)
	send("DELETE", "/sources/"+src.ID, other, "", 404)
	send("DELETE", "/sources/"+src.ID, admin, "", 204)
	send("POST", "/sources/"+src.ID+"/sync", admin, "", 404)
	for _, a := range answers {
		if strings.Contains(a, harvestToken) {
			t.Fatalf("the token is in an answer: %s", a)
		}
	}
	// The add and the removal are in the audit trail, by the admin token,
	// with the token as "set".
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	s, err := chdb.Open(chdb.Config{LibPath: svc.LibPath, DataDir: svc.DataDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, err := org.AuditLog(t.Context(), s, "acme", org.AuditSource, src.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || !strings.HasPrefix(log[0].Who, "token ") || log[0].Who != log[1].Who || log[0].After != "" || log[1].Before != "" ||
		log[1].Name != "harvest 123456" || !strings.Contains(log[1].After, `"token":"set"`) || strings.Contains(log[1].After, harvestToken) {
		t.Errorf("audit trail: %+v", log)
	}
}

func grep(text, substr string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
