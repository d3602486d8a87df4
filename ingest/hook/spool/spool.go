// Package spool is the webhook receiver's durable queue: an append-only log
// of opaque records in a directory, each synced to disk before Append
// returns, read back in order by the worker and acknowledged once applied.
// It needs no database, so deliveries are kept while ClickHouse is down.
//
// On disk, Dir holds:
//
//   - segments, NNNNNNNNNNNNNNNNNNNN.seg, named by the seq of their first
//     record: the 8-byte magic "OMSPOOL1", then records, each
//     crc32c(4) | length(4) | seq(8) | at(8, Unix ns) | data(length),
//     little endian, the CRC-32C (Castagnoli) covering everything after it;
//     seqs are consecutive within a segment;
//   - ack: the highest acknowledged seq (8 bytes) and its crc32c, replaced by
//     write, fsync and rename, never written in place;
//   - LOCK: flocked by the process that has the spool open.
//
// Guarantees. A record whose Append returned a seq survives a crash of the
// process (kill -9) or of the machine: Append returns only after the
// record's bytes and, for a new segment, the directory entry are fsynced.
// Appends that wait at the same time share one write and one fsync (group
// commit). An Append that returned an error left nothing readable: a failed
// write is truncated away (if even that fails, the spool refuses every
// later call). On Open, a segment's tail that is short (a write a crash cut)
// or fails its CRC is cut off and logged, never returned; records after it
// in that segment are cut with it, earlier ones are kept. Records at or
// below the acked seq are never returned again, and segments holding only
// such records are deleted. What the disk acknowledges but then loses
// (a lying write cache) is beyond any of this.
package spool

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"
)

// Config configures a Spool.
type Config struct {
	// Dir holds the segments, the ack file and the lock; it is created 0700
	// if missing.
	Dir string
	// SegmentBytes starts a new segment once the current one holds this many
	// bytes (default 64 MiB). A segment is deleted only when every record in
	// it is acked, so smaller segments free disk sooner after an outage and
	// larger ones create fewer files. A segment can pass it by one group.
	SegmentBytes int64
	// MaxDelay is how long the committer waits, after the first Append of a
	// group arrives, for more Appends to share its fsync. Default 0: Appends
	// that arrive while an fsync runs already form the next group, so under
	// load groups form by themselves, and when idle waiting would only add
	// latency (docs/benchmarks.md, "Webhook spool", measures both).
	// At most 1 s, the time the receiver has to answer the tool.
	MaxDelay time.Duration
	Logger   *slog.Logger
	// Now stamps each record's At. Defaults to time.Now.
	Now func() time.Time
}

// Validate fills defaults and checks the configuration.
func (c *Config) Validate() error {
	if c.Dir == "" {
		return errors.New("spool: no directory")
	}
	if c.Logger == nil {
		return errors.New("spool: no logger")
	}
	if c.SegmentBytes == 0 {
		c.SegmentBytes = 64 << 20
	}
	if c.SegmentBytes < 4<<10 {
		return fmt.Errorf("spool: segment size %d bytes is under the 4096-byte minimum", c.SegmentBytes)
	}
	if c.MaxDelay < 0 || c.MaxDelay > time.Second {
		return fmt.Errorf("spool: max delay %s is not between 0 and 1s", c.MaxDelay)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Record is one kept record.
type Record struct {
	Seq  uint64    // its position, from 1, increasing in the order Appends were written
	Data []byte    // a copy the caller owns
	At   time.Time // when Append was called (Config.Now)
}

// Stats describe what the spool holds.
type Stats struct {
	Pending      int       // records appended and not acked
	PendingBytes int64     // their size on disk, record headers included
	Oldest       time.Time // the oldest pending record's At; zero when none is pending
	Segments     int       // segment files
}

// ErrLocked is returned by Open when another Spool, in this process or
// another, has the directory open.
var ErrLocked = errors.New("spool directory is in use")

// ErrClosed is returned by calls on a closed Spool.
var ErrClosed = errors.New("spool is closed")

// segment is one segment file. Its fields change under Spool.mu.
type segment struct {
	first  uint64   // seq of its first record, also its name
	last   uint64   // seq of its last committed record; first-1 while empty
	size   int64    // committed bytes, magic included
	ackOff int64    // offset of its first unacked record (size when none)
	r      *os.File // read handle; ReadAt is safe beside the writer
	index  []mark   // sparse: at least one mark every indexEvery bytes
}

// mark is where a record starts.
type mark struct {
	seq uint64
	off int64
}

// request is one waiting Append.
type request struct {
	data     []byte
	at       time.Time
	done     chan error // buffered; receives once
	seq      uint64
	taken    bool // the committer has it: it will be written or fail, whatever ctx does
	canceled bool // its Append returned ctx's error first; the committer skips it
}

// Spool is a durable queue of records in one directory. It is safe for
// concurrent use.
type Spool struct {
	cfg  Config
	log  *slog.Logger
	lock *os.File

	mu        sync.RWMutex
	segs      []*segment // ascending; the last one is the one written
	acked     uint64
	committed uint64    // the highest seq that is durable
	oldest    time.Time // At of the first record after acked
	broken    error     // set when a failed write could not be undone

	qmu    sync.Mutex
	queue  []*request
	qbytes int
	closed bool
	wake   chan struct{} // buffered 1: the queue has work
	exited chan struct{} // closed when the committer returns

	// The committer's own.
	w        *os.File // the last segment's write handle
	next     uint64   // the seq the next record gets
	buf      []byte
	maxBatch int // records a group may hold; 0 is any (1 makes the fsync-per-record baseline)

	ackMu  sync.Mutex // one Ack at a time, so ack files are written in order
	notify chan struct{}
}

// Open opens the spool in cfg.Dir, creating it if missing, and takes its
// lock: a second Open of the same directory fails with ErrLocked until Close.
// It replays every segment, cutting off (and logging) a torn or corrupt tail,
// and deletes segments holding only acked records.
func Open(cfg Config) (*Spool, error) { return open(cfg, 0) }

// open is Open with a cap on the records one group may hold (0: none); the
// benchmark's baseline uses 1, an fsync per record.
func open(cfg Config, maxBatch int) (*Spool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: create %s: %w", cfg.Dir, err)
	}
	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	s := &Spool{
		cfg: cfg, log: cfg.Logger, lock: lock, maxBatch: maxBatch,
		wake: make(chan struct{}, 1), exited: make(chan struct{}), notify: make(chan struct{}, 1),
	}
	if err := s.replay(); err != nil {
		s.closeFiles()
		return nil, fmt.Errorf("spool: open %s: %w", cfg.Dir, err)
	}
	go s.commit()
	return s, nil
}

// lockDir flocks dir/LOCK for as long as the file stays open.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("spool: %s: %w by another open spool (one process, one Open per directory)", dir, ErrLocked)
		}
		return nil, fmt.Errorf("spool: lock %s: %w", path, err)
	}
	return f, nil
}

// replay loads the ack and every segment, cuts bad tails and leaves the last
// segment open for writing.
func (s *Spool) replay() error {
	acked, err := readAck(filepath.Join(s.cfg.Dir, ackName))
	if err != nil {
		return err
	}
	s.acked = acked
	firsts, err := listSegments(s.cfg.Dir)
	if err != nil {
		return err
	}
	for _, first := range firsts {
		seg, err := s.load(first)
		if err != nil {
			return err
		}
		if seg != nil {
			s.segs = append(s.segs, seg)
		}
	}
	s.committed = acked
	for _, seg := range s.segs {
		s.committed = max(s.committed, seg.last)
	}
	s.next = s.committed + 1
	// A segment that is empty or wholly acked is of no use, except as the
	// one to write next: kept only when last, and empty only if its name is
	// the next seq (else its records would not start at its name).
	var keep []*segment
	for i, seg := range s.segs {
		lastOne := i == len(s.segs)-1
		if seg.last > acked || (lastOne && seg.first == s.next && seg.last < seg.first) {
			keep = append(keep, seg)
			continue
		}
		if err := s.remove(seg); err != nil {
			return err
		}
	}
	s.segs = keep
	if len(s.segs) == 0 {
		if err := s.create(s.next); err != nil {
			return err
		}
	} else {
		last := s.segs[len(s.segs)-1]
		w, err := os.OpenFile(filepath.Join(s.cfg.Dir, segName(last.first)), os.O_RDWR, 0)
		if err != nil {
			return err
		}
		s.w = w
	}
	s.oldest = s.recordAt(s.acked + 1)
	return nil
}

// load reads the segment named first, cutting off a bad tail. It returns nil
// (and removes the file) when not even its magic is whole.
func (s *Spool) load(first uint64) (*segment, error) {
	path := filepath.Join(s.cfg.Dir, segName(first))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	seg := &segment{first: first, last: first - 1, size: segHeader, ackOff: segHeader}
	br := bufio.NewReaderSize(f, 256<<10)
	magic := make([]byte, segHeader)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != segMagic {
		// Created, then cut before its magic was synced: it held nothing.
		// A bad magic on a longer file is damage; either way its records
		// cannot be trusted.
		f.Close()
		s.log.Warn("spool_segment_cut", "segment", path, "offset", 0, "bytes_cut", fi.Size(), "reason", "bad or missing magic")
		return nil, s.removePath(path)
	}
	var cut error
	for {
		rec, n, err := readRecord(br, true)
		if err == io.EOF {
			break
		}
		if err == nil && rec.Seq != seg.last+1 {
			err = fmt.Errorf("%w: seq %d where %d belongs", errCorrupt, rec.Seq, seg.last+1)
		}
		if err != nil {
			cut = err
			break
		}
		if seg.size-seg.index0() >= indexEvery || len(seg.index) == 0 {
			seg.index = append(seg.index, mark{rec.Seq, seg.size})
		}
		seg.last = rec.Seq
		seg.size += n
		if rec.Seq <= s.acked {
			seg.ackOff = seg.size
		}
	}
	if cut != nil {
		s.log.Warn("spool_segment_cut", "segment", path, "offset", seg.size, "bytes_cut", fi.Size()-seg.size,
			"kept_through_seq", seg.last, "reason", cut.Error())
		if err := f.Truncate(seg.size); err != nil {
			f.Close()
			return nil, fmt.Errorf("cut %s at %d: %w", path, seg.size, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("sync %s: %w", path, err)
		}
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if seg.r, err = os.Open(path); err != nil {
		return nil, err
	}
	return seg, nil
}

// index0 is the offset of the segment's last index mark.
func (seg *segment) index0() int64 {
	if len(seg.index) == 0 {
		return 0
	}
	return seg.index[len(seg.index)-1].off
}

// create makes an empty segment whose first record will be first: the
// magic synced, then the directory, so neither can be lost once a record
// in it is acknowledged. It becomes the segment written.
func (s *Spool) create(first uint64) error {
	path := filepath.Join(s.cfg.Dir, segName(first))
	w, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create segment: %w", err)
	}
	fail := func(err error) error {
		w.Close()
		os.Remove(path)
		return fmt.Errorf("create segment %s: %w", path, err)
	}
	if _, err := w.Write([]byte(segMagic)); err != nil {
		return fail(err)
	}
	if err := w.Sync(); err != nil {
		return fail(err)
	}
	if err := syncDir(s.cfg.Dir); err != nil {
		return fail(err)
	}
	r, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	seg := &segment{first: first, last: first - 1, size: segHeader, ackOff: segHeader, r: r}
	if s.w != nil {
		s.w.Close()
	}
	s.w = w
	s.mu.Lock()
	s.segs = append(s.segs, seg)
	s.mu.Unlock()
	return nil
}

// remove deletes a segment's file; the caller drops it from segs.
func (s *Spool) remove(seg *segment) error {
	if seg.r != nil {
		seg.r.Close()
	}
	return s.removePath(filepath.Join(s.cfg.Dir, segName(seg.first)))
}

func (s *Spool) removePath(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Append writes data as one record and returns its seq once the record is
// fsynced; concurrent Appends share one write and fsync. data is not kept
// after Append returns. ctx bounds only the wait for a turn: once the
// record is being written, Append waits for the disk, so that an error
// always means the record is not there. It returns ErrClosed after Close,
// an error for data over MaxRecordBytes, and the write's error (the record
// then left nothing readable).
func (s *Spool) Append(ctx context.Context, data []byte) (uint64, error) {
	if len(data) > MaxRecordBytes {
		return 0, fmt.Errorf("spool: record of %d bytes is over the %d-byte limit", len(data), MaxRecordBytes)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	req := &request{data: data, at: s.cfg.Now(), done: make(chan error, 1)}
	s.qmu.Lock()
	if s.closed {
		s.qmu.Unlock()
		return 0, ErrClosed
	}
	s.queue = append(s.queue, req)
	s.qbytes += len(data)
	s.qmu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	select {
	case err := <-req.done:
		return req.seq, err
	case <-ctx.Done():
		s.qmu.Lock()
		if !req.taken {
			req.canceled = true
			s.qmu.Unlock()
			return 0, ctx.Err()
		}
		s.qmu.Unlock()
		err := <-req.done
		return req.seq, err
	}
}

// commit is the one goroutine that writes: it takes every waiting Append,
// writes them with one write and one fsync, and answers them.
func (s *Spool) commit() {
	defer close(s.exited)
	var batch []*request
	for {
		<-s.wake
		if s.cfg.MaxDelay > 0 {
			s.linger()
		}
		for {
			s.qmu.Lock()
			batch = batch[:0]
			n := len(s.queue)
			if s.maxBatch > 0 {
				n = min(n, s.maxBatch)
			}
			for _, req := range s.queue[:n] {
				s.qbytes -= len(req.data)
				if !req.canceled {
					req.taken = true
					batch = append(batch, req)
				}
			}
			rest := copy(s.queue, s.queue[n:])
			clear(s.queue[rest:])
			s.queue = s.queue[:rest]
			closed := s.closed
			s.qmu.Unlock()
			if len(batch) > 0 {
				s.write(batch)
			}
			if rest == 0 {
				if closed {
					return
				}
				break
			}
		}
	}
}

// linger waits up to MaxDelay for a group to fill; 1 MiB of queued data is
// full enough, as one such write already costs more than an fsync.
func (s *Spool) linger() {
	deadline := time.Now().Add(s.cfg.MaxDelay)
	for time.Now().Before(deadline) {
		s.qmu.Lock()
		full := s.qbytes >= 1<<20 || s.closed
		s.qmu.Unlock()
		if full {
			return
		}
		time.Sleep(min(time.Until(deadline), 100*time.Microsecond))
	}
}

// write commits one group and answers its Appends.
func (s *Spool) write(batch []*request) {
	err := s.writeGroup(batch)
	if err != nil {
		s.log.Error("spool_write_failed", "records", len(batch), "err", err)
	}
	for _, req := range batch {
		if err != nil {
			req.seq = 0
		}
		req.done <- err
	}
	if err == nil {
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

func (s *Spool) writeGroup(batch []*request) error {
	s.mu.RLock()
	broken := s.broken
	seg := s.segs[len(s.segs)-1]
	size := seg.size
	s.mu.RUnlock()
	if broken != nil {
		return broken
	}
	if size >= s.cfg.SegmentBytes && seg.last >= seg.first {
		if err := s.create(s.next); err != nil {
			return err
		}
		s.mu.RLock()
		seg = s.segs[len(s.segs)-1]
		size = seg.size
		s.mu.RUnlock()
	}
	s.buf = s.buf[:0]
	var marks []mark
	lastMark := seg.index0()
	for _, req := range batch {
		req.seq = s.next
		s.next++
		off := size + int64(len(s.buf))
		if off-lastMark >= indexEvery || lastMark == 0 {
			marks = append(marks, mark{req.seq, off})
			lastMark = off
		}
		s.buf = appendRecord(s.buf, req.seq, req.at, req.data)
	}
	_, err := s.w.WriteAt(s.buf, size)
	if err == nil {
		err = s.w.Sync()
	}
	if err != nil {
		s.next = batch[0].seq
		// Whatever reached the file must go, or a restart would read
		// records whose Appends failed.
		if terr := s.w.Truncate(size); terr != nil {
			s.setBroken(fmt.Errorf("spool: a failed write could not be undone (%v): %w", err, terr))
		} else if serr := s.w.Sync(); serr != nil {
			s.setBroken(fmt.Errorf("spool: a failed write could not be undone (%v): %w", err, serr))
		}
		return fmt.Errorf("spool: write %d records: %w", len(batch), err)
	}
	s.mu.Lock()
	seg.index = append(seg.index, marks...)
	if s.committed == s.acked {
		s.oldest = batch[0].at
	}
	seg.last = batch[len(batch)-1].seq
	seg.size += int64(len(s.buf))
	s.committed = seg.last
	s.mu.Unlock()
	return nil
}

func (s *Spool) setBroken(err error) {
	s.mu.Lock()
	s.broken = err
	s.mu.Unlock()
}

// Notify returns a channel that receives after records are appended. Sends
// never block and coalesce: one receive may stand for many Appends, so the
// reader reads until Read returns nothing.
func (s *Spool) Notify() <-chan struct{} { return s.notify }

// Read returns up to max unacked records with seq > after, in seq order;
// none when there are none. The records' Data are copies. It returns
// ErrClosed after Close, and an error naming the segment when a record
// written since Open no longer matches its CRC.
func (s *Spool) Read(after uint64, max int) ([]Record, error) {
	if max <= 0 {
		return nil, fmt.Errorf("spool: read max %d is not positive", max)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.lock == nil {
		return nil, ErrClosed
	}
	from := after + 1
	if s.acked >= from {
		from = s.acked + 1
	}
	var out []Record
	for _, seg := range s.segs {
		if seg.last < from || seg.last < seg.first {
			continue
		}
		seq := from
		if seq < seg.first {
			seq = seg.first
		}
		off, err := s.locate(seg, seq)
		if err != nil {
			return out, err
		}
		br := bufio.NewReaderSize(io.NewSectionReader(seg.r, off, seg.size-off), 64<<10)
		for len(out) < max {
			rec, _, err := readRecord(br, true)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("spool: read %s: %w", segName(seg.first), err)
			}
			out = append(out, rec)
		}
		if len(out) >= max {
			break
		}
	}
	return out, nil
}

// locate returns the offset of record seq in seg (first ≤ seq ≤ last), or
// seg.size for last+1. The caller holds mu.
func (s *Spool) locate(seg *segment, seq uint64) (int64, error) {
	if seq > seg.last {
		return seg.size, nil
	}
	i := sort.Search(len(seg.index), func(i int) bool { return seg.index[i].seq > seq }) - 1
	if i < 0 {
		return 0, fmt.Errorf("spool: %s has no index mark at or before seq %d", segName(seg.first), seq)
	}
	m := seg.index[i]
	br := bufio.NewReaderSize(io.NewSectionReader(seg.r, m.off, seg.size-m.off), 16<<10)
	off := m.off
	for cur := m.seq; cur < seq; cur++ {
		_, n, err := readRecord(br, false)
		if err != nil {
			return 0, fmt.Errorf("spool: find seq %d in %s: %w", seq, segName(seg.first), err)
		}
		off += n
	}
	return off, nil
}

// recordAt returns the At of the first record at or after seq, zero when
// there is none. The caller holds mu or owns s.
func (s *Spool) recordAt(seq uint64) time.Time {
	for _, seg := range s.segs {
		if seg.last < seq || seg.last < seg.first {
			continue
		}
		seq = max(seq, seg.first)
		off, err := s.locate(seg, seq)
		if err != nil {
			s.log.Warn("spool_oldest_unknown", "err", err)
			return time.Time{}
		}
		rec, _, err := readRecord(bufio.NewReaderSize(io.NewSectionReader(seg.r, off, seg.size-off), recHeader), false)
		if err != nil {
			s.log.Warn("spool_oldest_unknown", "err", err)
			return time.Time{}
		}
		return rec.At
	}
	return time.Time{}
}

// Ack records that every record with seq ≤ seq is applied: the ack file is
// replaced and synced before Ack returns, so a restart does not read them
// again, and segments holding only acked records are deleted. An Ack at or
// below an earlier one does nothing; one past the last appended record is
// an error naming both.
func (s *Spool) Ack(seq uint64) error {
	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	s.mu.RLock()
	acked, committed, closed := s.acked, s.committed, s.lock == nil
	s.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if seq <= acked {
		return nil
	}
	if seq > committed {
		return fmt.Errorf("spool: ack %d is past the last appended record, %d", seq, committed)
	}
	if err := s.writeAck(seq); err != nil {
		return fmt.Errorf("spool: ack %d: %w", seq, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acked = seq
	for _, seg := range s.segs {
		switch {
		case seg.last <= seq:
			seg.ackOff = seg.size
		case seg.first <= seq:
			off, err := s.locate(seg, seq+1)
			if err != nil {
				return err // the ack is durable; only the byte count is stale
			}
			seg.ackOff = off
		}
	}
	keep := s.segs[:0]
	for i, seg := range s.segs {
		if i < len(s.segs)-1 && seg.last <= seq {
			if err := s.remove(seg); err != nil {
				// Kept in the list, so the next Ack tries again; a restart
				// would delete it too.
				s.log.Warn("spool_segment_remove_failed", "segment", segName(seg.first), "err", err)
				keep = append(keep, seg)
			}
			continue
		}
		keep = append(keep, seg)
	}
	clear(s.segs[len(keep):])
	s.segs = keep
	s.oldest = s.recordAt(seq + 1)
	return nil
}

// writeAck replaces the ack file: a new file synced, renamed over the old,
// then the directory synced.
func (s *Spool) writeAck(seq uint64) error {
	tmp := filepath.Join(s.cfg.Dir, ackName+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(ackRecord(seq))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.cfg.Dir, ackName))
	}
	if err == nil {
		err = syncDir(s.cfg.Dir)
	}
	return err
}

// Stats returns what the spool holds now.
func (s *Spool) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{Oldest: s.oldest, Segments: len(s.segs)}
	for _, seg := range s.segs {
		if seg.last > s.acked && seg.last >= seg.first {
			st.Pending += int(seg.last - max(seg.first-1, s.acked))
		}
		st.PendingBytes += seg.size - seg.ackOff
	}
	return st
}

// Close waits for the Appends already waiting to be written, then closes the
// files and releases the lock. Later calls return ErrClosed; a second Close
// returns nil.
func (s *Spool) Close() error {
	s.qmu.Lock()
	if s.closed {
		s.qmu.Unlock()
		return nil
	}
	s.closed = true
	s.qmu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.exited
	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeFiles()
}

// closeFiles closes every file and releases the lock. The caller holds mu
// or owns s.
func (s *Spool) closeFiles() error {
	var errs []error
	for _, seg := range s.segs {
		if seg.r != nil {
			errs = append(errs, seg.r.Close())
		}
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close()) // closing the last descriptor releases the flock
		s.lock = nil
	}
	return errors.Join(errs...)
}
