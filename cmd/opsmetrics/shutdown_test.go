package main

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

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
	var errb apptest.SyncBuffer
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
