package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a long job is: a bar on a terminal, a plain line
// every few seconds otherwise (logs, CI).
type progress struct {
	bar   *progressbar.ProgressBar // nil when not a terminal
	w     io.Writer
	what  string
	bytes bool // the total is bytes (ETA by bytes) and rows are counted beside it

	start, last time.Time
	n, rows     int64
	total       int64
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newRowProgress counts rows toward total (0: unknown).
func newRowProgress(w io.Writer, total int64, what string) *progress {
	p := &progress{w: w, what: what, start: time.Now(), last: time.Now(), total: total}
	if isTerminal(w) {
		if total <= 0 {
			total = -1
		}
		p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	return p
}

// newByteProgress follows bytes read of total, showing rows/s beside the bar.
func newByteProgress(w io.Writer, total int64, what string) *progress {
	p := &progress{w: w, what: what, bytes: true, start: time.Now(), last: time.Now(), total: total}
	if isTerminal(w) {
		p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
			progressbar.OptionShowBytes(true), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	return p
}

func (p *progress) add(n int) { p.set(p.n+int64(n), int(p.rows)+n) }

// set records the bytes (or rows) done and the rows read so far.
func (p *progress) set(n int64, rows int) {
	p.n, p.rows = n, int64(rows)
	if p.bar != nil {
		if p.bytes && time.Since(p.last) > 200*time.Millisecond {
			p.last = time.Now()
			p.bar.Describe(fmt.Sprintf("%s: %d rows, %.0f rows/s", p.what, p.rows, p.rate()))
		}
		p.bar.Set64(n)
		return
	}
	if time.Since(p.last) >= 5*time.Second {
		p.last = time.Now()
		p.report()
	}
}

func (p *progress) rate() float64 { return float64(p.rows) / max(time.Since(p.start).Seconds(), 1e-9) }

func (p *progress) report() {
	if p.bytes && p.total > 0 {
		fmt.Fprintf(p.w, "%s: %d%% (%d rows, %.0f rows/s)\n", p.what, p.n*100/p.total, p.rows, p.rate())
		return
	}
	fmt.Fprintf(p.w, "%s: %d rows, %.0f rows/s\n", p.what, p.rows, p.rate())
}

func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish()
		return
	}
	p.report()
}
