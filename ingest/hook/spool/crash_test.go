package spool

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// failingFile fails its next Sync, and its Truncate when told to, so a
// test can see what a failed write leaves.
type failingFile struct {
	file
	syncErr, truncErr error
}

func (f *failingFile) Sync() error {
	if err := f.syncErr; err != nil {
		f.syncErr = nil
		return err
	}
	return f.file.Sync()
}

func (f *failingFile) Truncate(n int64) error {
	if f.truncErr != nil {
		return f.truncErr
	}
	return f.file.Truncate(n)
}

// An Append whose fsync fails returns the error and leaves nothing readable,
// now or after a restart; its seq is given to the next record.
func TestFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := testConfig(t, dir)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 1, 2, 20)
	// The committer is idle: the last Append's answer came after its last use
	// of s.w, and the next Append's queueing comes before its next one.
	s.w = &failingFile{file: s.w, syncErr: errors.New("EIO")}
	if seq, err := s.Append(t.Context(), payload(3, 20)); err == nil || !strings.Contains(err.Error(), "EIO") || seq != 0 {
		t.Fatalf("Append with a failing fsync: seq %d, %v", seq, err)
	}
	equalSeqs(t, "after the failed Append", seqs(t, readAll(t, s), 20), seqRange(1, 2))
	appendN(t, s, 3, 1, 20)
	s.Close()
	s2 := mustOpen(t, cfg)
	equalSeqs(t, "after reopen", seqs(t, readAll(t, s2), 20), seqRange(1, 3))
}

// When even the undo fails, the spool refuses every later Append rather than
// risk a restart reading a record whose Append failed.
func TestUndoneWriteBreaksSpool(t *testing.T) {
	cfg, _ := testConfig(t, t.TempDir())
	s := mustOpen(t, cfg)
	appendN(t, s, 1, 1, 20)
	s.w = &failingFile{file: s.w, syncErr: errors.New("EIO"), truncErr: errors.New("EROFS")}
	if _, err := s.Append(t.Context(), []byte("x")); err == nil {
		t.Fatal("Append with a failing fsync: no error")
	}
	_, err := s.Append(t.Context(), []byte("y"))
	if err == nil || !strings.Contains(err.Error(), "could not be undone") || !strings.Contains(err.Error(), "EROFS") {
		t.Fatalf("Append on a broken spool: %v", err)
	}
	equalSeqs(t, "on a broken spool", seqs(t, readAll(t, s), 20), []uint64{1})
}

// kill9Env names the directory the child appends to.
const kill9Env = "SPOOL_KILL9_DIR"

// TestKill9Child is the child process of TestKill9: it appends until killed,
// printing "seq N DATA" after each Append returns. Without kill9Env it does
// nothing.
func TestKill9Child(t *testing.T) {
	dir := os.Getenv(kill9Env)
	if dir == "" {
		return
	}
	s, err := Open(Config{Dir: dir, SegmentBytes: 32 << 10, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				data := fmt.Sprintf("p%d-g%d-%d-%s", os.Getpid(), g, i, strings.Repeat("x", 300+i%200))
				seq, err := s.Append(t.Context(), []byte(data))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(out, "seq %d %s\n", seq, data)
				out.Flush() // the line leaves the process before the next Append
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// A child appends until SIGKILL at a random moment; every seq it printed
// (so every Append that returned) is there after reopening, with its data.
// Three rounds on one directory, acking half of what is there between them,
// cover a kill during rotation, after acks, and with a torn tail.
func TestKill9(t *testing.T) {
	if os.Getenv(kill9Env) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)
	printed := map[uint64]string{}
	var acked uint64
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.count=1")
		cmd.Env = append(os.Environ(), kill9Env+"="+dir)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAt := 50 + rng.IntN(1500)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 4096), 1<<20)
		lines := 0
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 3 || f[0] != "seq" {
				continue // the test framework's own output
			}
			seq, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				t.Fatalf("child printed %q", sc.Text())
			}
			if prev, dup := printed[seq]; dup {
				t.Fatalf("round %d: seq %d given twice (%.20s, %.20s)", round, seq, prev, f[2])
			}
			printed[seq] = f[2]
			lines++
			if lines == killAt {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		err = cmd.Wait()
		if lines < killAt {
			t.Fatalf("round %d: child ended after %d records (%v): %s", round, lines, err, stderr.String())
		}

		cfg, _ := testConfig(t, dir)
		s, err := Open(cfg)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		recs := readAll(t, s)
		got := map[uint64]string{}
		for i, r := range recs {
			if want := acked + 1 + uint64(i); r.Seq != want {
				t.Fatalf("round %d: record %d has seq %d, want %d (no gaps)", round, i, r.Seq, want)
			}
			got[r.Seq] = string(r.Data)
		}
		missing := 0
		for seq, data := range printed {
			if seq <= acked {
				continue
			}
			if got[seq] != data {
				missing++
				if missing < 5 {
					t.Errorf("round %d: printed seq %d is %.30q after reopen, want %.30q", round, seq, got[seq], data)
				}
			}
		}
		if missing > 0 {
			t.Fatalf("round %d: %d printed records lost", round, missing)
		}
		t.Logf("round %d: killed after %d printed records; %d kept unacked, %d printed before the kill",
			round, lines, len(recs), len(printed))
		if len(recs) > 0 {
			acked = recs[len(recs)/2].Seq
			if err := s.Ack(acked); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
	}
}

// blockingFile holds its next Sync until release is closed, so a test can
// queue Appends behind a write in progress.
type blockingFile struct {
	file
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (f *blockingFile) Sync() error {
	f.once.Do(func() {
		close(f.entered)
		<-f.release
	})
	return f.file.Sync()
}

// An Append whose context ends while it waits for its turn returns the
// context's error and its record is never written; one whose record is
// already being written waits for the disk and gets its seq.
func TestAppendCancelledWhileQueued(t *testing.T) {
	cfg, _ := testConfig(t, t.TempDir())
	s := mustOpen(t, cfg)
	bf := &blockingFile{file: s.w, entered: make(chan struct{}), release: make(chan struct{})}
	s.w = bf
	ctxA, cancelA := context.WithCancel(t.Context())
	a := make(chan error, 1)
	go func() {
		seq, err := s.Append(ctxA, payload(1, 10))
		if err == nil && seq != 1 {
			err = fmt.Errorf("seq %d, want 1", seq)
		}
		a <- err
	}()
	<-bf.entered // record 1 is written, its fsync held
	cancelA()
	ctxB, cancelB := context.WithCancel(t.Context())
	b := make(chan error, 1)
	go func() {
		_, err := s.Append(ctxB, []byte("never"))
		b <- err
	}()
	for s.queued() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancelB()
	if err := <-b; !errors.Is(err, context.Canceled) {
		t.Fatalf("queued Append after its context ended: %v, want context.Canceled", err)
	}
	close(bf.release)
	if err := <-a; err != nil {
		t.Fatalf("Append whose record was being written: %v, want seq 1 (its context ended during the fsync)", err)
	}
	appendN(t, s, 2, 1, 10)
	equalSeqs(t, "after the cancelled Append", seqs(t, readAll(t, s), 10), seqRange(1, 2))
}
