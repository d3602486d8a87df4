package dashboards

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// PDFs are printed by headless Chromium from the same HTML the page serves,
// so a page and its PDF are one document: the same fonts, tables and
// ECharts drawings. One browser process serves every PDF of a process
// (started on first use, a tab per PDF, restarted when it died). The page
// never comes from the site: it is rendered in-process and handed to the
// browser by a loopback server of the Printer's own (127.0.0.1, a random
// port, alive as long as the browser) that serves each page once at an
// unguessable path, and the embedded assets, under the site's
// Content-Security-Policy; every other request the tab makes is refused.

// ChromiumNames are the names a Printer looks for on PATH when it is given
// no path: Debian's and Ubuntu's, then Google's builds.
var ChromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// NoChromiumError is a Printer that found no Chromium to print with. Its
// text says what was looked for and how to install it.
type NoChromiumError struct {
	Path  string   // the path given (--chromium, OPSMETRICS_CHROMIUM), "" when none
	Tried []string // the names looked for on PATH when none was given
}

func (e *NoChromiumError) Error() string {
	where := fmt.Sprintf("none of %s is on PATH", strings.Join(e.Tried, ", "))
	if e.Path != "" {
		where = fmt.Sprintf("%q (--chromium or OPSMETRICS_CHROMIUM) is not an executable file", e.Path)
	}
	return "PDFs are printed by headless Chromium, and there is none: " + where +
		". Install it (Debian: apt install chromium; the opsmetrics Docker image carries it) " +
		"or point --chromium or OPSMETRICS_CHROMIUM at its binary"
}

// Paper is the size of the sheets a PDF is printed on.
type Paper string

// Papers a PDF can be printed on.
const (
	PaperA4     Paper = "a4"
	PaperLetter Paper = "letter"
)

// ParsePaper reads a paper's name (a4 or letter, any case; "" is A4). The
// error names the value.
func ParsePaper(s string) (Paper, error) {
	switch p := Paper(strings.ToLower(s)); p {
	case "":
		return PaperA4, nil
	case PaperA4, PaperLetter:
		return p, nil
	}
	return "", fmt.Errorf("paper %q: a4 or letter", s)
}

// pdfMarginInches is every margin of a printed page: 12 mm, as the
// stylesheet's @page rule has it (Chromium prefers that rule's margins).
const pdfMarginInches = 12 / 25.4

func (p Paper) size() chromedp.PaperSize {
	if p == PaperLetter {
		return chromedp.PaperLetter
	}
	return chromedp.PaperA4
}

// printableWidth is the width inside the margins in CSS pixels (96 to the
// inch): the page is laid out, and its charts drawn, at this width, so
// nothing drawn for a wider screen is cut at the paper's edge.
func (p Paper) printableWidth() int64 {
	return int64(math.Floor((p.size().Width - 2*pdfMarginInches) * 96))
}

// PrinterConfig configures a Printer.
type PrinterConfig struct {
	// Chromium is the browser's binary (a path, or a name looked up on
	// PATH); "" looks for ChromiumNames on PATH. It is looked for when the
	// first PDF is asked for, so a server starts without one and says what
	// is missing when a PDF is.
	Chromium string
	Logger   *slog.Logger
	// Assets are the files the page loads from AssetsPath (its scripts,
	// styles and ECharts); nil: the embedded ones.
	Assets fs.FS
	// Concurrency is how many PDFs print at once (default 2: the machine's
	// cores are the engine's too); more wait their turn.
	Concurrency int
	// Timeout bounds one PDF from its tab's opening to its last byte
	// (default 60 s).
	Timeout time.Duration
	// LinkBase, when set (serve's --public-url), makes the page's links
	// point at the site in the PDF; "" prints them as plain text (they
	// would point at the loopback server that is gone by then).
	LinkBase string
}

// Printer prints pages to PDF with headless Chromium. It is safe for
// concurrent use; Close ends its browser.
type Printer struct {
	cfg    PrinterConfig
	assets http.Handler
	sem    chan struct{}

	mu      sync.Mutex
	browser context.Context // the browser's chromedp context; nil until the first PDF
	loop    *loopback       // the server its pages come from, started and stopped with it
	stop    context.CancelFunc
	closed  bool
	starts  atomic.Int64
}

// NewPrinter returns a Printer; its browser starts with the first PDF.
func NewPrinter(cfg PrinterConfig) (*Printer, error) {
	if cfg.Logger == nil {
		return nil, errors.New("printer: a logger is required")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Assets == nil {
		sub, err := fs.Sub(assetFS, "assets")
		if err != nil {
			return nil, err
		}
		cfg.Assets = sub
	}
	cfg.LinkBase = strings.TrimRight(cfg.LinkBase, "/")
	return &Printer{cfg: cfg, assets: http.StripPrefix(AssetsPath, http.FileServer(http.FS(cfg.Assets))),
		sem: make(chan struct{}, cfg.Concurrency)}, nil
}

// Starts counts the browser processes the Printer has started (1 after the
// first PDF, more after a browser died and was started again).
func (p *Printer) Starts() int { return int(p.starts.Load()) }

// Close ends the browser, when one runs; a PDF asked for afterwards is an
// error. It waits for the browser to exit.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.stop != nil {
		p.stop()
		p.browser, p.stop = nil, nil
	}
	return nil
}

// findChromium resolves the configured binary, or the first of
// ChromiumNames on PATH.
func (p *Printer) findChromium() (string, error) {
	if p.cfg.Chromium != "" {
		path, err := exec.LookPath(p.cfg.Chromium)
		if err != nil {
			return "", &NoChromiumError{Path: p.cfg.Chromium}
		}
		return path, nil
	}
	for _, name := range ChromiumNames {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", &NoChromiumError{Tried: ChromiumNames}
}

// running returns the browser's context, starting the browser when none
// runs (or when it is dead, the context given).
func (p *Printer) running(dead context.Context) (context.Context, *loopback, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, errors.New("printer: closed (the server is shutting down)")
	}
	if p.browser != nil && p.browser != dead {
		return p.browser, p.loop, nil
	}
	if p.stop != nil {
		p.cfg.Logger.Warn("pdf_browser_restarting")
		p.stop()
		p.browser, p.stop = nil, nil
	}
	path, err := p.findChromium()
	if err != nil {
		return nil, nil, err
	}
	loop, err := newLoopback(p.assets)
	if err != nil {
		return nil, nil, err
	}
	// As Grafana's image renderer runs it: no sandbox (containers rarely
	// allow Chromium's), no GPU; and no traffic of its own.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("mute-audio", true), chromedp.Flag("hide-scrollbars", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	start := time.Now()
	if err := chromedp.Do(bctx); err != nil { // starts the browser, bound to bctx
		cancelBrowser()
		cancelAlloc()
		loop.Close()
		return nil, nil, fmt.Errorf("start chromium (%s): %w", path, err)
	}
	p.starts.Add(1)
	p.cfg.Logger.Info("pdf_browser_started", "chromium", path, "took", time.Since(start).String())
	p.browser, p.loop, p.stop = bctx, loop, func() { cancelBrowser(); cancelAlloc(); loop.Close() }
	return bctx, loop, nil
}

// tab opens a tab of the running browser, starting it first when needed,
// and once more when the browser turns out to be dead.
func (p *Printer) tab() (context.Context, context.CancelFunc, *loopback, error) {
	var dead context.Context
	for try := 0; ; try++ {
		b, loop, err := p.running(dead)
		if err != nil {
			return nil, nil, nil, err
		}
		tctx, cancel := chromedp.NewContext(b)
		err = chromedp.Do(tctx) // opens the tab
		if err == nil {
			return tctx, cancel, loop, nil
		}
		cancel()
		if try == 1 {
			return nil, nil, nil, fmt.Errorf("open a chromium tab: %w", err)
		}
		dead = b
	}
}

// PrintJob is one page to print: its HTML as the site serves it (its
// scripts and styles from AssetsPath), and the footer's text.
type PrintJob struct {
	HTML   []byte
	Footer string // left of "page N of M" on every page, as plain text
	Paper  Paper
}

// Print prints job to a PDF and returns its bytes (the caller owns them).
// It waits for its turn (Concurrency), then lays the page out with print
// media at the paper's printable width, waits until every chart is drawn,
// and prints. Errors: *NoChromiumError when there is no browser; ctx's
// error; the browser's otherwise.
func (p *Printer) Print(ctx context.Context, job PrintJob) ([]byte, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.sem }()
	if job.Paper == "" {
		job.Paper = PaperA4
	}
	start := time.Now()
	tctx, closeTab, loop, err := p.tab()
	if err != nil {
		return nil, err
	}
	defer closeTab()
	// The PDF's time and the caller's: whichever ends first ends the tab's work.
	tctx, cancel := context.WithTimeout(tctx, p.cfg.Timeout)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()

	opened := time.Now()
	site, err := loop.serveOnce(job.HTML)
	if err != nil {
		return nil, err
	}
	defer site.Close()
	if err := p.onlyFrom(tctx, loop.origin); err != nil {
		return nil, err
	}
	w := job.Paper.printableWidth()
	if err := chromedp.Do(tctx,
		chromedp.EmulateViewport(w, 1100),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			return err
		}),
		chromedp.Navigate(site.page),
	); err != nil {
		return nil, p.failed(ctx, "load the page", err)
	}
	loaded := time.Now()
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0))); err != nil {
		return nil, p.failed(ctx, "wait for the charts to be drawn", err)
	}
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[chromedp.Void](relink(p.cfg.LinkBase))); err != nil {
		return nil, p.failed(ctx, "rewrite the page's links", err)
	}
	drawn := time.Now()
	pdf, err := chromedp.Run(tctx, chromedp.PrintToPDF(chromedp.PDFPaper(job.Paper.size()), chromedp.PDFMargin(pdfMarginInches),
		chromedp.PDFPrintBackground(), chromedp.PDFHeaderTemplate(`<span></span>`), chromedp.PDFFooterTemplate(footerHTML(job.Footer))))
	if err != nil {
		return nil, p.failed(ctx, "print", err)
	}
	if site.served.Load() != 1 {
		return nil, errors.New("print: the page was not loaded from its one-shot server")
	}
	p.cfg.Logger.Debug("pdf_printed", "bytes", len(pdf), "tab", opened.Sub(start).String(), "load", loaded.Sub(opened).String(), "charts", drawn.Sub(loaded).String(),
		"print", time.Since(drawn).String())
	return pdf, nil
}

// failed names the step that failed, and ctx's error rather than the
// browser's when the caller gave up.
func (p *Printer) failed(ctx context.Context, step string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("pdf: %s: %w", step, ctx.Err())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("pdf: %s: not done within %s", step, p.cfg.Timeout)
	}
	return fmt.Errorf("pdf: %s: %w", step, err)
}

// chartsDrawn holds once the page's script has drawn every chart
// (assets/app.js marks each .canvas data-drawn, and the body data-charts)
// and the fonts are loaded.
const chartsDrawn = `document.readyState === 'complete' && !!document.body && document.body.hasAttribute('data-charts') &&
  document.querySelectorAll('.canvas').length === document.querySelectorAll('.canvas[data-drawn]').length &&
  (!document.fonts || document.fonts.status === 'loaded')`

// relink points the page's links at base (the site), or makes them plain
// text when base is "": in the PDF they would otherwise point at the
// loopback server, gone by the time anyone clicks.
func relink(base string) string {
	return fmt.Sprintf(`(() => { const base = %q;
  for (const a of document.querySelectorAll('a[href]')) {
    const u = new URL(a.href, location.href);
    if (base && u.origin === location.origin) a.href = base + u.pathname + u.search + u.hash;
    else if (u.origin === location.origin) a.removeAttribute('href');
  } })()`, base)
}

// footerHTML is the footer Chromium prints on every page: text, then
// "page N of M". Chromium fills the pageNumber and totalPages spans.
func footerHTML(text string) string {
	return `<div style="font: 8px sans-serif; color: #444; width: 100%; margin: 0 12mm; display: flex; justify-content: space-between">` +
		`<span>` + html.EscapeString(text) + `</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`
}

// onlyFrom lets the tab fetch from origin alone: every other request (any
// other host, scheme or port) fails as blocked.
func (p *Printer) onlyFrom(ctx context.Context, origin string) error {
	paused := chromedp.Events(ctx, fetch.RequestPaused) // subscribed before Enable: no request slips by
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		return fmt.Errorf("pdf: block the network: %w", err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return // the tab is gone
			}
			if ev.Request != nil && (ev.Request.URL == origin || strings.HasPrefix(ev.Request.URL, origin+"/")) {
				_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			url := ""
			if ev.Request != nil {
				url = ev.Request.URL
			}
			p.cfg.Logger.Warn("pdf_request_blocked", "url", truncate(url, 200))
			_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		}
	}()
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// loopback is the server the browser loads pages from: on 127.0.0.1 at a
// random port, for as long as the browser runs (one origin, so Chromium
// keeps the assets and ECharts' compiled code between PDFs). It serves the
// embedded assets and each PDF's page, once, at an unguessable path that
// is gone once its PDF is printed; every other path is a 404. Its
// responses carry the site's security headers, so the page's CSP holds in
// the tab as it does on the site.
type loopback struct {
	origin string
	srv    *http.Server
	pages  sync.Map // path → *oneShot
}

func newLoopback(assets http.Handler) (*loopback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pdf: listen on loopback: %w", err)
	}
	l := &loopback{origin: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /print/{secret}", func(w http.ResponseWriter, r *http.Request) {
		v, ok := l.pages.Load(r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		s := v.(*oneShot)
		if s.served.Add(1) != 1 {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(s.html)
	})
	mux.Handle("GET "+AssetsPath+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400") // they change only with the binary, and this server with it
		assets.ServeHTTP(w, r)
	}))
	l.srv = &http.Server{Handler: securityHeaders(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	return l, nil
}

func (l *loopback) Close() error { return l.srv.Close() }

// oneShot is one PDF's page on the loopback server.
type oneShot struct {
	l      *loopback
	path   string
	page   string // its URL
	html   []byte
	served atomic.Int64
}

// Close takes the page off the server.
func (s *oneShot) Close() error {
	s.l.pages.Delete(s.path)
	return nil
}

// serveOnce puts html on the loopback server, to be fetched once at an
// unguessable path.
func (l *loopback) serveOnce(html []byte) (*oneShot, error) {
	var secret [16]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, err
	}
	s := &oneShot{l: l, path: "/print/" + hex.EncodeToString(secret[:]), html: html}
	s.page = l.origin + s.path
	l.pages.Store(s.path, s)
	return s, nil
}

// securityHeaders is SecurityHeaders for a plain net/http handler.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

var pdfPageRE = regexp.MustCompile(`/Type\s*/Page\b`)

// PDFPages counts the pages of a PDF Chromium printed (its page objects;
// Chromium writes them uncompressed).
func PDFPages(pdf []byte) int {
	return len(pdfPageRE.FindAll(pdf, -1))
}

// isPDF reports whether b starts as a PDF file does.
func isPDF(b []byte) bool { return bytes.HasPrefix(b, []byte("%PDF-")) }
