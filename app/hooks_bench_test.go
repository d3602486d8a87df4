package app_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/ingest/hook/hooktest"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

// benchConcurrency is how many tools deliver at once (the issue's load).
const benchConcurrency = 32

// post32 sends b.N signed GitHub `issues` deliveries to url from 32
// goroutines and returns when each got its 2xx, by delivery id.
func post32(b *testing.B, url, secret string) map[string]time.Time {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchConcurrency}}
	var next atomic.Int64
	var mu sync.Mutex
	acked := make(map[string]time.Time, b.N)
	var wg sync.WaitGroup
	for range benchConcurrency {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				id := fmt.Sprintf("bench-%08d", i)
				body := []byte(fmt.Sprintf(`{"action":"closed","issue":{"number":%d,"state":"closed"},"repository":{"full_name":"octocat/Hello-World"}}`, i))
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
				req.Header.Set("X-GitHub-Event", "issues")
				req.Header.Set("X-GitHub-Delivery", id)
				hooktest.Sign(req.Header, "github", secret, "", body)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("delivery %s: %d", id, resp.StatusCode)
					return
				}
				mu.Lock()
				acked[id] = time.Now()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return acked
}

// BenchmarkHookDeliveries posts signed GitHub deliveries with concurrency
// 32 over loopback through the real server (signature check, spool with
// fsync before the 200, worker applying through the importer into the
// embedded engine), and reports deliveries accepted per second and the
// p99 time from a delivery's 200 to its record being written (the
// recorded row's version is the time the worker recorded it).
func BenchmarkHookDeliveries(b *testing.B) {
	svc := apptest.New(b)
	key := make([]byte, 32)
	rand.Read(key)
	r := make([]byte, 4)
	rand.Read(r)
	orgID := "bench-" + hex.EncodeToString(r)
	admin, ingestTok := svc.Token(orgID, "admin"), svc.Token(orgID, "ingest")
	mapper := &hooktest.IssuesMapper{}
	base, stop := svc.Serve(func(o *app.Options) {
		o.SecretKey, o.SpoolDir, o.HookMappers = key, filepath.Join(b.TempDir(), "spool"), mapper.Mappers
	})
	if code, rep := apptest.Post(b, base+"/api/v1/clients", ingestTok, "application/x-ndjson",
		strings.NewReader(`{"external_id":"c-1","name":"Nordlicht GmbH"}`+"\n")); code != 200 {
		b.Fatalf("post client: %d %+v", code, rep)
	}
	code, _, reply := apptest.Send(b, "POST", base+"/api/v1/hooks", admin, `{"tool":"github"}`, "Content-Type", "application/json")
	if code != 201 {
		b.Fatalf("add: %d %s", code, reply)
	}
	var h struct{ ID, Secret string }
	json.Unmarshal([]byte(reply), &h)

	b.ResetTimer()
	start := time.Now()
	acked := post32(b, base+"/hooks/"+h.ID, h.Secret)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(len(acked))/elapsed.Seconds(), "deliveries/s")

	// Wait until every delivery is recorded, then read when each was.
	deadline := time.Now().Add(5 * time.Minute)
	for {
		code, _, reply := apptest.Send(b, "GET", base+"/api/v1/hooks/"+h.ID+"/deliveries", admin, "")
		if code == 200 && !strings.Contains(reply, `"pending"`) && strings.Count(reply, `"applied"`) >= min(len(acked), 1000) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("not all applied within 5 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	s, err := chdb.Open(chdb.Config{LibPath: svc.LibPath, DataDir: svc.DataDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Query(b.Context(), "SELECT delivery_id, version FROM ops.hook_deliveries FINAL WHERE org_id = {org:String} AND status = 'applied'",
		store.Params{"org": orgID})
	if err != nil {
		b.Fatal(err)
	}
	var lags []time.Duration
	for i := range rows.Len() {
		var id string
		var version uint64
		if err := rows.Scan(i, &id, &version); err != nil {
			b.Fatal(err)
		}
		if at, ok := acked[id]; ok {
			lags = append(lags, time.UnixMicro(int64(version)).Sub(at))
		}
	}
	if len(lags) != len(acked) {
		b.Fatalf("%d of %d deliveries applied", len(lags), len(acked))
	}
	slices.Sort(lags)
	b.ReportMetric(lags[len(lags)*99/100].Seconds(), "p99-applied-s")
}

// BenchmarkHookBaseline is the same POSTs, from 32 goroutines over
// loopback, to a handler that only appends each body to a file and
// fsyncs it before its 200: what durable-before-2xx costs without
// grouping, signatures or the worker.
func BenchmarkHookBaseline(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "bodies"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		mu.Lock()
		_, err := f.Write(body)
		if err == nil {
			err = f.Sync()
		}
		mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	b.ResetTimer()
	start := time.Now()
	acked := post32(b, srv.URL+"/hooks/x", "secret")
	b.ReportMetric(float64(len(acked))/time.Since(start).Seconds(), "deliveries/s")
}
