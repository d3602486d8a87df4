package dashboards

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// A client's report as a PDF: the report page (/clients/{id}/report), as
// the principal asking sees it, printed by the Printer (pdf.go). The page
// is rendered in-process into a buffer, so the PDF needs no session, and
// the browser never reaches the site.

// ReportPDFPath is the download's route: GET
// /clients/{id}/report.pdf?month=YYYY-MM&view=client|internal&paper=a4|letter.
const ReportPDFPath = "/clients/:id/report.pdf"

// reportPDF prints client's report of month (its client view when
// clientView) as c's principal sees it, as a PDF, on the paper c's query
// names (paper=letter; A4 otherwise). Errors: *NoChromiumError (or a
// printer not configured, errNoPrinter) when no PDF can be made; the page's
// (an unknown client is a 404 *echo.HTTPError); the browser's.
func (d *server) reportPDF(c echo.Context, client string, month time.Time, clientView bool) ([]byte, error) {
	paper, err := ParsePaper(c.QueryParam("paper"))
	if err != nil {
		paper = PaperA4 // the download checks it; a caller's own form has no such field
	}
	f, err := d.reportPDFFile(c, client, month, clientView, paper)
	return f.Data, err
}

// errNoPrinter is a server made without a Printer (Config.Printer).
var errNoPrinter = errors.New("PDFs are not available here: the server was started without a PDF printer")

// PDFFile is a printed report: the PDF, its pages, and the file name it is
// offered as.
type PDFFile struct {
	Data  []byte
	Pages int
	Name  string // such as Acme-Corp-2026-11-report.pdf
}

// reportPDFFile renders client's report of month into a buffer, as c's
// principal sees it, and prints it.
func (d *server) reportPDFFile(c echo.Context, client string, month time.Time, clientView bool, paper Paper) (PDFFile, error) {
	if d.cfg.Printer == nil {
		return PDFFile{}, errNoPrinter
	}
	page, err := d.reportHTML(c, client, month, clientView)
	if err != nil {
		return PDFFile{}, err
	}
	name := client
	if org, ok := d.cfg.Org(c); ok {
		all, err := metrics.LoadNames(c.Request().Context(), d.cfg.Store, org)
		if err != nil {
			return PDFFile{}, err
		}
		name = namesOf(all).of("client", client)
	}
	view := "report"
	if !clientView {
		view = "internal-report" // it holds the internal note: its name says so
	}
	footer := name + " · " + month.Format("January 2006")
	if !clientView {
		footer += " · internal"
	}
	pdf, err := d.cfg.Printer.Print(c.Request().Context(), PrintJob{HTML: page, Footer: footer, Paper: paper})
	if err != nil {
		return PDFFile{}, err
	}
	return PDFFile{Data: pdf, Pages: PDFPages(pdf), Name: fileName(name, client) + "-" + month.Format("2006-01") + "-" + view + ".pdf"}, nil
}

// reportHTML is the report page as c's principal sees it: the report
// handler, called in-process with c's request context (its principal) and
// answering into a buffer. The page's forms carry no CSRF token.
func (d *server) reportHTML(c echo.Context, client string, month time.Time, clientView bool) ([]byte, error) {
	q := url.Values{"month": {month.Format("2006-01")}}
	if clientView {
		q.Set("view", "client")
	}
	path := "/clients/" + url.PathEscape(client) + "/report"
	req, err := http.NewRequestWithContext(c.Request().Context(), http.MethodGet, path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	w := &bufferResponse{header: http.Header{}}
	rc := c.Echo().NewContext(req, w)
	rc.SetPath("/clients/:id/report")
	rc.SetParamNames("id")
	rc.SetParamValues(url.PathEscape(client))
	if err := d.report(rc); err != nil {
		return nil, err
	}
	if w.status != http.StatusOK {
		return nil, fmt.Errorf("the report page of client %s answered %d, not the page", client, w.status)
	}
	return w.body.Bytes(), nil
}

// bufferResponse is a ResponseWriter into memory.
type bufferResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferResponse) Header() http.Header { return w.header }
func (w *bufferResponse) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
func (w *bufferResponse) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

// fileName is name as a file name's part: letters and digits kept (any
// script), every run of anything else one "-"; id when nothing is left.
func fileName(name, id string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	s := b.String()
	if r := []rune(s); len(r) > 60 {
		s = strings.TrimRight(string(r[:60]), "-")
	}
	if s == "" && id != name {
		return fileName(id, "")
	}
	if s == "" {
		return "client"
	}
	return s
}

// reportPDFDownload serves GET /clients/{id}/report.pdf: the report of
// month (default: the view's month, as the page) in the view asked
// (client, or internal by default) on the paper asked (a4 by default), as
// an attachment. An unknown client is a 404 naming it; a bad month, view
// or paper a 400 naming the value; no Chromium a 503 saying how to get it.
func (d *server) reportPDFDownload(c echo.Context) error {
	f, err := d.reportPDFRequest(c)
	if noPrinter(err) {
		return echo.NewHTTPError(http.StatusServiceUnavailable, err.Error())
	}
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	// One org's numbers, as the principal may see them: kept nowhere.
	h.Set("Cache-Control", "private, no-store")
	return c.Blob(http.StatusOK, "application/pdf", f.Data)
}

// noPrinter reports whether err says this server cannot print PDFs (no
// Printer, no Chromium): a 503 whose message says how to get one.
func noPrinter(err error) bool {
	var nc *NoChromiumError
	return errors.As(err, &nc) || errors.Is(err, errNoPrinter)
}

// reportPDFRequest reads and checks the download's client, month, view and
// paper, and prints.
func (d *server) reportPDFRequest(c echo.Context) (PDFFile, error) {
	v, err := d.view(c)
	if err != nil {
		return PDFFile{}, err
	}
	raw, err := url.PathUnescape(c.Param("id"))
	if err != nil || raw == "" {
		return PDFFile{}, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("client %q: not a client id", c.Param("id")))
	}
	ctx := c.Request().Context()
	all, err := metrics.LoadNames(ctx, d.cfg.Store, v.Org)
	if err != nil {
		return PDFFile{}, err
	}
	// A client's name works as its id does, as on the pages.
	id, err := all.Resolve(ctx, "client", raw)
	var fe *metrics.FilterError
	if errors.As(err, &fe) {
		return PDFFile{}, echo.NewHTTPError(http.StatusNotFound, fe.Error())
	} else if err != nil {
		return PDFFile{}, err
	}
	month := metrics.MonthStart(v.From)
	if m := c.QueryParam("month"); m != "" {
		if month, err = metrics.ParseMonth(m); err != nil {
			return PDFFile{}, echo.NewHTTPError(http.StatusBadRequest, metrics.Message(err))
		}
	}
	clientView := false
	switch view := c.QueryParam("view"); view {
	case "client":
		clientView = true
	case "", "internal":
	default:
		return PDFFile{}, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("view %q: client or internal", view))
	}
	paper, err := ParsePaper(c.QueryParam("paper"))
	if err != nil {
		return PDFFile{}, echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	return d.reportPDFFile(c, id, month, clientView, paper)
}

// ReportRequest is a client's report to print as a PDF.
type ReportRequest struct {
	Client     string    // its id, or its name when no other client has it
	Month      time.Time // the month's first day
	ClientView bool      // the client's view (no costs, rates, margin or internal note)
	Paper      Paper     // "" is A4
}

// ReportPDF prints a client's report as principal p sees it, through cfg
// (cfg.Printer set; cfg.Org defaults to p's org): the CLI's way to the
// same PDF as the page's download. Errors: a *metrics.BadRequestError
// naming an unknown client or a bad value; *NoChromiumError; the store's
// or the browser's otherwise.
func ReportPDF(ctx context.Context, cfg Config, p auth.Principal, r ReportRequest) (PDFFile, error) {
	if cfg.Org == nil {
		cfg.Org = func(echo.Context) (string, bool) { return p.Org, true }
	}
	if err := cfg.Validate(); err != nil {
		return PDFFile{}, err
	}
	if cfg.Printer == nil {
		return PDFFile{}, errNoPrinter
	}
	q := url.Values{"month": {r.Month.Format("2006-01")}, "paper": {string(r.Paper)}, "view": {"internal"}}
	if r.ClientView {
		q.Set("view", "client")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/clients/"+url.PathEscape(r.Client)+"/report.pdf?"+q.Encode(), nil)
	if err != nil {
		return PDFFile{}, err
	}
	e := echo.New()
	c := e.NewContext(req, &bufferResponse{header: http.Header{}})
	c.SetPath(ReportPDFPath)
	c.SetParamNames("id")
	c.SetParamValues(url.PathEscape(r.Client))
	auth.WithPrincipal(c, p)
	d := &server{cfg: cfg}
	f, err := d.reportPDFRequest(c)
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code < 500 {
		return f, &metrics.BadRequestError{Msg: fmt.Sprint(he.Message)}
	}
	return f, err
}
