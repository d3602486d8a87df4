package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuf is a logger whose output the test reads.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// clock returns a Now that starts at 2026-12-01 10:00 UTC and steps 1 s a call.
func clock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func testConfig(t *testing.T, dir string) (Config, *logBuf) {
	lb := &logBuf{}
	return Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(lb, nil)), Now: clock()}, lb
}

func mustOpen(t *testing.T, cfg Config) *Spool {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendN(t *testing.T, s *Spool, from, n int, size int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		seq, err := s.Append(t.Context(), payload(i, size))
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		if seq != uint64(i) {
			t.Fatalf("Append %d: seq %d", i, seq)
		}
	}
}

// payload is record i's data: its number, padded to size bytes.
func payload(i, size int) []byte {
	p := fmt.Appendf(nil, "rec-%d;", i)
	for len(p) < size {
		p = append(p, byte('a'+i%26))
	}
	return p
}

// seqs returns the records' seqs, and fails when a record's data is not the
// payload of its seq.
func seqs(t *testing.T, recs []Record, size int) []uint64 {
	t.Helper()
	var out []uint64
	for _, r := range recs {
		if !bytes.Equal(r.Data, payload(int(r.Seq), size)) {
			t.Fatalf("record %d holds %.20q, want %.20q", r.Seq, r.Data, payload(int(r.Seq), size))
		}
		out = append(out, r.Seq)
	}
	return out
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func equalSeqs(t *testing.T, what string, got, want []uint64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: seqs %v, want %v", what, got, want)
	}
}

func readAll(t *testing.T, s *Spool) []Record {
	t.Helper()
	recs, err := s.Read(0, 1<<20)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return recs
}

func TestAppendReadAck(t *testing.T) {
	cfg, _ := testConfig(t, t.TempDir())
	s := mustOpen(t, cfg)
	if st := s.Stats(); st.Pending != 0 || st.PendingBytes != 0 || !st.Oldest.IsZero() || st.Segments != 1 {
		t.Fatalf("empty spool: %+v", st)
	}
	appendN(t, s, 1, 5, 10)
	recs := readAll(t, s)
	equalSeqs(t, "Read(0)", seqs(t, recs, 10), seqRange(1, 5))
	// The clock steps 1 s a call, from 10:00:00: record i was stamped 10:00:0i.
	for _, r := range recs {
		if want := time.Date(2026, 12, 1, 10, 0, int(r.Seq), 0, time.UTC); !r.At.Equal(want) {
			t.Errorf("record %d At %s, want %s", r.Seq, r.At, want)
		}
	}
	got, err := s.Read(2, 2)
	if err != nil {
		t.Fatal(err)
	}
	equalSeqs(t, "Read(2, 2)", seqs(t, got, 10), []uint64{3, 4})

	if err := s.Ack(3); err != nil {
		t.Fatal(err)
	}
	equalSeqs(t, "Read(0) after Ack(3)", seqs(t, readAll(t, s), 10), []uint64{4, 5})
	got, _ = s.Read(4, 10)
	equalSeqs(t, "Read(4) after Ack(3)", seqs(t, got, 10), []uint64{5})
	// Two pending records of 24 header + 10 data bytes: 2 × 34 = 68.
	st := s.Stats()
	if st.Pending != 2 || st.PendingBytes != 68 || !st.Oldest.Equal(time.Date(2026, 12, 1, 10, 0, 4, 0, time.UTC)) {
		t.Errorf("Stats after Ack(3): %+v, want 2 pending, 68 bytes, oldest 10:00:04", st)
	}
	if err := s.Ack(2); err != nil {
		t.Errorf("Ack(2) below the ack: %v, want nil", err)
	}
	if err := s.Ack(6); err == nil || !strings.Contains(err.Error(), "ack 6 is past the last appended record, 5") {
		t.Errorf("Ack(6) of 5 records: %v", err)
	}
	if _, err := s.Read(0, 0); err == nil {
		t.Error("Read with max 0: no error")
	}
	if err := s.Ack(5); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Pending != 0 || st.PendingBytes != 0 || !st.Oldest.IsZero() {
		t.Errorf("Stats after acking all: %+v", st)
	}
	if recs := readAll(t, s); len(recs) != 0 {
		t.Errorf("Read after acking all: %d records", len(recs))
	}
	// The next record continues the seqs, and is the oldest now.
	appendN(t, s, 6, 1, 10)
	if st := s.Stats(); st.Pending != 1 || st.PendingBytes != 34 || !st.Oldest.Equal(time.Date(2026, 12, 1, 10, 0, 6, 0, time.UTC)) {
		t.Errorf("Stats after one more: %+v", st)
	}
}

func TestReopenKeepsUnacked(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := testConfig(t, dir)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 1, 10, 100)
	if err := s.Ack(4); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(t.Context(), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Read(0, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v, want ErrClosed", err)
	}
	if err := s.Ack(5); !errors.Is(err, ErrClosed) {
		t.Errorf("Ack after Close: %v, want ErrClosed", err)
	}

	s2 := mustOpen(t, cfg)
	equalSeqs(t, "after reopen", seqs(t, readAll(t, s2), 100), seqRange(5, 10))
	// 6 pending of 24 + 100 bytes: 6 × 124 = 744.
	if st := s2.Stats(); st.Pending != 6 || st.PendingBytes != 744 {
		t.Errorf("Stats after reopen: %+v, want 6 pending, 744 bytes", st)
	}
	appendN(t, s2, 11, 2, 100)
	equalSeqs(t, "after reopen and append", seqs(t, readAll(t, s2), 100), seqRange(5, 12))

	// Everything acked, then reopened: nothing comes back and seqs go on.
	if err := s2.Ack(12); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	s3 := mustOpen(t, cfg)
	if recs := readAll(t, s3); len(recs) != 0 {
		t.Errorf("reopen after acking all: %d records", len(recs))
	}
	appendN(t, s3, 13, 1, 100)
}

// lastSegment returns the path of dir's highest segment.
func lastSegment(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(m) == 0 {
		t.Fatal("no segment")
	}
	return m[len(m)-1]
}

func TestTornTailIsCut(t *testing.T) {
	dir := t.TempDir()
	cfg, lb := testConfig(t, dir)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 1, 5, 50)
	s.Close()
	// Each record is 24 + 50 = 74 bytes after the 8-byte magic: the file is
	// 8 + 5 × 74 = 378 bytes; cutting 30 leaves record 5 with 44 of its 74.
	seg := lastSegment(t, dir)
	if fi, _ := os.Stat(seg); fi.Size() != 378 {
		t.Fatalf("segment is %d bytes, want 378", fi.Size())
	}
	if err := os.Truncate(seg, 378-30); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, cfg)
	equalSeqs(t, "after a torn tail", seqs(t, readAll(t, s2), 50), seqRange(1, 4))
	if log := lb.String(); !strings.Contains(log, "spool_segment_cut") || !strings.Contains(log, "bytes_cut=44") {
		t.Errorf("the cut is not logged with its 44 bytes: %s", log)
	}
	// 8 + 4 × 74 = 304 bytes are kept.
	if fi, _ := os.Stat(seg); fi.Size() != 304 {
		t.Errorf("segment is %d bytes after the cut, want 304", fi.Size())
	}
	// The cut record's seq is given again: nobody was told it.
	appendN(t, s2, 5, 2, 50)
	equalSeqs(t, "after appending past the cut", seqs(t, readAll(t, s2), 50), seqRange(1, 6))
}

func TestFlippedByteCutsRestOfSegment(t *testing.T) {
	dir := t.TempDir()
	cfg, lb := testConfig(t, dir)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 1, 5, 50)
	s.Close()
	// Record 3 starts at 8 + 2 × 74 = 156; its data at 156 + 24 = 180.
	seg := lastSegment(t, dir)
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	b[180+7] ^= 0x01
	if err := os.WriteFile(seg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, cfg)
	equalSeqs(t, "after a flipped byte in record 3", seqs(t, readAll(t, s2), 50), seqRange(1, 2))
	if log := lb.String(); !strings.Contains(log, "crc mismatch at seq 3") || !strings.Contains(log, "kept_through_seq=2") {
		t.Errorf("the cut is not logged with its reason: %s", log)
	}
	if st := s2.Stats(); st.Pending != 2 {
		t.Errorf("Stats after the cut: %+v, want 2 pending", st)
	}
}

func TestSegmentsRotateAndAckedOnesAreDeleted(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := testConfig(t, dir)
	cfg.SegmentBytes = 4096
	s := mustOpen(t, cfg)
	// Records of 24 + 1000 = 1024 bytes, appended one at a time: a segment
	// takes 8 + 4 × 1024 = 4104 ≥ 4096 bytes, then the next starts. 10
	// records make segments of 1-4, 5-8 and 9-10.
	appendN(t, s, 1, 10, 1000)
	files := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
		for i := range m {
			m[i] = filepath.Base(m[i])
		}
		return m
	}
	want := []string{segName(1), segName(5), segName(9)}
	if got := files(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	if st := s.Stats(); st.Segments != 3 || st.Pending != 10 || st.PendingBytes != 10*1024 {
		t.Errorf("Stats: %+v, want 3 segments, 10 pending, 10240 bytes", st)
	}
	equalSeqs(t, "across segments", seqs(t, readAll(t, s), 1000), seqRange(1, 10))
	got, _ := s.Read(3, 4)
	equalSeqs(t, "Read(3, 4) across a segment's end", seqs(t, got, 1000), seqRange(4, 7))

	// Ack(6) wholly acks 1-4 (deleted), half of 5-8 (kept).
	if err := s.Ack(6); err != nil {
		t.Fatal(err)
	}
	if got, want := files(), []string{segName(5), segName(9)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("segments after Ack(6): %v, want %v", got, want)
	}
	if st := s.Stats(); st.Segments != 2 || st.Pending != 4 || st.PendingBytes != 4*1024 {
		t.Errorf("Stats after Ack(6): %+v, want 2 segments, 4 pending, 4096 bytes", st)
	}
	// The segment written is never deleted, even when wholly acked.
	if err := s.Ack(10); err != nil {
		t.Fatal(err)
	}
	if got, want := files(), []string{segName(9)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("segments after Ack(10): %v, want %v", got, want)
	}
	appendN(t, s, 11, 3, 1000)
	s.Close()

	// On reopen, 9-12 is full and acked through 10; 13 alone in its own.
	s2 := mustOpen(t, cfg)
	equalSeqs(t, "after reopen", seqs(t, readAll(t, s2), 1000), seqRange(11, 13))
	if got, want := files(), []string{segName(9), segName(13)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("segments after reopen: %v, want %v", got, want)
	}
}

func TestConcurrentAppends(t *testing.T) {
	cfg, _ := testConfig(t, t.TempDir())
	cfg.SegmentBytes = 64 << 10 // several rotations under load
	s := mustOpen(t, cfg)
	const writers, each = 16, 50
	var mu sync.Mutex
	bySeq := map[uint64]string{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				data := fmt.Sprintf("w%d-%d", w, i)
				seq, err := s.Append(t.Context(), []byte(data))
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				mu.Lock()
				if prev, dup := bySeq[seq]; dup {
					t.Errorf("seq %d given to %s and %s", seq, prev, data)
				}
				bySeq[seq] = data
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	recs := readAll(t, s)
	if len(recs) != writers*each {
		t.Fatalf("read %d records, want %d", len(recs), writers*each)
	}
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
		if string(r.Data) != bySeq[r.Seq] {
			t.Fatalf("seq %d holds %q, its Append wrote %q", r.Seq, r.Data, bySeq[r.Seq])
		}
	}
}

func TestSecondOpenFails(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := testConfig(t, dir)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(cfg)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second Open: %v, want ErrLocked naming %s", err, dir)
	}
	s.Close()
	s2, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

func TestAppendErrors(t *testing.T) {
	cfg, _ := testConfig(t, t.TempDir())
	s := mustOpen(t, cfg)
	if _, err := s.Append(t.Context(), make([]byte, MaxRecordBytes+1)); err == nil || !strings.Contains(err.Error(), "over the 16777216-byte limit") {
		t.Errorf("oversized Append: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Append(ctx, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with a cancelled context: %v", err)
	}
	if recs := readAll(t, s); len(recs) != 0 {
		t.Errorf("failed Appends left %d records", len(recs))
	}
	appendN(t, s, 1, 1, 5)
}

func TestNotify(t *testing.T) {
	cfg, _ := testConfig(t, t.TempDir())
	s := mustOpen(t, cfg)
	select {
	case <-s.Notify():
		t.Fatal("signalled before any Append")
	default:
	}
	appendN(t, s, 1, 3, 5)
	select {
	case <-s.Notify():
	case <-time.After(5 * time.Second):
		t.Fatal("no signal after 3 Appends")
	}
	// Coalesced: the three Appends left at most one more signal.
	select {
	case <-s.Notify():
		select {
		case <-s.Notify():
			t.Fatal("more than one signal is buffered")
		default:
		}
	default:
	}
}

// Read finds records through the sparse index: many records, read from
// every position, with small and large max.
func TestReadFromAnywhere(t *testing.T) {
	cfg, _ := testConfig(t, t.TempDir())
	s := mustOpen(t, cfg)
	// 300 records of 24 + 2000 bytes are 607,200 bytes: about 9 index marks.
	const n, size = 300, 2000
	appendN(t, s, 1, n, size)
	for after := uint64(0); after <= n; after += 7 {
		for _, max := range []int{1, 5, 1000} {
			got, err := s.Read(after, max)
			if err != nil {
				t.Fatal(err)
			}
			want := seqRange(after+1, min(after+uint64(max), n))
			equalSeqs(t, fmt.Sprintf("Read(%d, %d)", after, max), seqs(t, got, size), want)
		}
	}
	if err := s.Ack(150); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Read(10, 2)
	equalSeqs(t, "Read(10, 2) after Ack(150)", seqs(t, got, size), []uint64{151, 152})
	// 150 pending of 2024 bytes: 303,600.
	if st := s.Stats(); st.Pending != 150 || st.PendingBytes != 150*2024 {
		t.Errorf("Stats: %+v, want 150 pending, 303600 bytes", st)
	}
}

func TestConfigValidate(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Logger: log}, "no directory"},
		{Config{Dir: "d"}, "no logger"},
		{Config{Dir: "d", Logger: log, SegmentBytes: 100}, "segment size 100 bytes is under the 4096-byte minimum"},
		{Config{Dir: "d", Logger: log, MaxDelay: -time.Millisecond}, "max delay -1ms is not between 0 and 1s"},
		{Config{Dir: "d", Logger: log, MaxDelay: 2 * time.Second}, "max delay 2s is not between 0 and 1s"},
		{Config{Dir: "d", Logger: log}, ""},
	} {
		err := tc.cfg.Validate()
		if tc.want == "" {
			if err != nil || tc.cfg.SegmentBytes != 64<<20 || tc.cfg.Now == nil {
				t.Errorf("%+v: %v, defaults not filled", tc.cfg, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
