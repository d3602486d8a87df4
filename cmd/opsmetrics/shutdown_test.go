package main

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app"
)

// syncBuffer is a strings.Builder that goroutines may write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestShutdownCancelsAnImportItOutlasts stops the server (as SIGTERM does)
// while an import's body still trickles in, with a 1 s --shutdown-timeout:
// run() returns within the timeout and its margin, having cancelled the
// request and waited for its handler, and the store is closed only then, so
// the import never runs into a closed store.
func TestShutdownCancelsAnImportItOutlasts(t *testing.T) {
	env := testEnv(t)
	token := createToken(t, env, "sd-acme", "ingest")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var logs syncBuffer
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "", "--log-level", "debug",
			"--shutdown-timeout", "1s"}, getenvFrom(env), pw, &logs)
		pw.Close()
	}()
	base := listening(t, pr)

	type answer struct {
		code int
		err  error
	}
	answered := make(chan answer, 1)
	bounded, stop := context.WithTimeout(t.Context(), 20*time.Second)
	defer stop()
	go func() {
		// 40 lines, one every 100 ms: 4 s, well past the shutdown timeout.
		code, _, err := trickle(bounded, base+"/api/v1/time_entries", token, 100*time.Millisecond, 40)
		answered <- answer{code, err}
	}()
	time.Sleep(500 * time.Millisecond) // the import is under way
	cancel()
	start := time.Now()
	select {
	case code := <-done:
		took := time.Since(start)
		t.Logf("run() returned %v after the stop", took)
		if took > time.Second+app.ShutdownMargin {
			t.Errorf("run() returned %v after the stop, want at most the 1 s timeout + %v", took, app.ShutdownMargin)
		}
		if code != 0 {
			t.Errorf("serve exit %d after stop", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("run() did not return within 30 s of the stop\n%s", logs.String())
	}
	a := <-answered
	if a.code != 0 {
		t.Errorf("the import outlasting the shutdown was answered %d (%v); want its request cancelled, unanswered", a.code, a.err)
	}
	log := logs.String()
	if !strings.Contains(log, "msg=shutdown_requests_cancelled requests=1") {
		t.Errorf("no cancelled request logged:\n%s", log)
	}
	if strings.Contains(log, "engine is closed") || strings.Contains(log, "status=503") {
		t.Errorf("the import ran into the closed store:\n%s", log)
	}
}

// TestServeListenFailureExits: an --addr already in use ends serve with an
// error, even after the /metrics listener and the KPI refresh have started
// (the refresh used to wait for a stop signal that never came).
func TestServeListenFailureExits(t *testing.T) {
	env := testEnv(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(t.Context(), []string{"serve", "--addr", taken.Addr().String(), "--metrics-addr", "127.0.0.1:0"},
			getenvFrom(env), io.Discard, &errb)
	}()
	select {
	case code := <-done:
		if code != 1 || !strings.Contains(errb.String(), "listen on "+taken.Addr().String()) {
			t.Errorf("exit %d, stderr %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not exit within 30 s of failing to listen\n%s", errb.String())
	}
}
