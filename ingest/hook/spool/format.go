package spool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The on-disk format (see the package comment).
const (
	segMagic  = "OMSPOOL1" // a segment's first 8 bytes; the 1 is the format's version
	segHeader = int64(len(segMagic))
	recHeader = 24 // crc32c(4) length(4) seq(8) at(8)
	segSuffix = ".seg"
	ackName   = "ack"
	lockName  = "LOCK"

	// indexEvery is how far apart a segment's sparse index marks are, so that
	// finding a record scans at most this many bytes of headers.
	indexEvery = 64 << 10
)

// MaxRecordBytes is the largest record Append takes: the receiver's bodies
// are at most 1 MiB, so 16 MiB leaves room for headers and any encoding
// while keeping one bad caller from writing a segment-sized record.
const MaxRecordBytes = 16 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord encodes one record onto buf.
func appendRecord(buf []byte, seq uint64, at time.Time, data []byte) []byte {
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, 0) // the crc, set below
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(data)))
	buf = binary.LittleEndian.AppendUint64(buf, seq)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(at.UnixNano()))
	buf = append(buf, data...)
	binary.LittleEndian.PutUint32(buf[start:], crc32.Checksum(buf[start+4:], castagnoli))
	return buf
}

// errTorn is a record cut short: the end of a write a crash interrupted.
var errTorn = errors.New("short record")

// errCorrupt is a record whose bytes are not what was written.
var errCorrupt = errors.New("crc mismatch")

// readRecord reads the record at r's position. It returns io.EOF at a clean
// end, errTorn for a partial record and errCorrupt for a bad checksum or an
// impossible length. With data false it skips the payload (only the header
// is checked) and Record.Data is nil.
func readRecord(r *bufio.Reader, data bool) (Record, int64, error) {
	var h [recHeader]byte
	n, err := io.ReadFull(r, h[:])
	if err == io.EOF {
		return Record{}, 0, io.EOF
	}
	if err != nil {
		return Record{}, 0, fmt.Errorf("%w (%d of %d header bytes)", errTorn, n, recHeader)
	}
	sum := binary.LittleEndian.Uint32(h[0:])
	size := binary.LittleEndian.Uint32(h[4:])
	if size > MaxRecordBytes {
		return Record{}, 0, fmt.Errorf("%w: length %d is over the %d-byte limit", errCorrupt, size, MaxRecordBytes)
	}
	rec := Record{
		Seq: binary.LittleEndian.Uint64(h[8:]),
		At:  time.Unix(0, int64(binary.LittleEndian.Uint64(h[16:]))),
	}
	total := int64(recHeader) + int64(size)
	if !data {
		d, err := r.Discard(int(size))
		if err != nil {
			return Record{}, 0, fmt.Errorf("%w (%d of %d data bytes)", errTorn, d, size)
		}
		return rec, total, nil
	}
	rec.Data = make([]byte, size)
	if n, err := io.ReadFull(r, rec.Data); err != nil {
		return Record{}, 0, fmt.Errorf("%w (%d of %d data bytes)", errTorn, n, size)
	}
	c := crc32.Update(crc32.Checksum(h[4:], castagnoli), castagnoli, rec.Data)
	if c != sum {
		return Record{}, 0, fmt.Errorf("%w at seq %d", errCorrupt, rec.Seq)
	}
	return rec, total, nil
}

// segName is the file name of the segment whose first record is seq; the
// zero padding makes names sort as their numbers do.
func segName(seq uint64) string { return fmt.Sprintf("%020d%s", seq, segSuffix) }

// listSegments returns the first seqs of dir's segments, ascending.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), segSuffix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		seq, err := strconv.ParseUint(name, 10, 64)
		if err != nil || seq == 0 {
			return nil, fmt.Errorf("%s: not a segment name (want %s)", filepath.Join(dir, e.Name()), segName(1))
		}
		seqs = append(seqs, seq)
	}
	return seqs, nil // ReadDir sorts by name, and the names sort as numbers
}

// ackRecord is the ack file's content: the seq and its crc32c.
func ackRecord(seq uint64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, seq)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// readAck returns the acked seq kept in path, 0 when there is no ack file.
func readAck(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(b) != 12 || crc32.Checksum(b[:8], castagnoli) != binary.LittleEndian.Uint32(b[8:]) {
		// It is replaced by rename, never written in place, so a bad one is
		// damage, not a crash; guessing 0 would re-apply every kept record.
		return 0, fmt.Errorf("ack file %s is damaged (%d bytes, crc mismatch); remove it to re-apply every kept record", path, len(b))
	}
	return binary.LittleEndian.Uint64(b), nil
}

// syncDir makes a directory's entries (a created, renamed or removed file)
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
