package dashboards

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// rpNow is the tests' clock: Monday 7 December 2026, so the default month
// of /reports is November 2026.
var rpNow = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

var rpNovember = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// rpServer serves orgID's pages to the role X-Role names, with the reports
// store, mailer (nil: no SMTP) and the drafts counter given.
func rpServer(t *testing.T, orgID string, mailer ReportMailer, prepared func(string, int), printer ...*Printer) *httptest.Server {
	t.Helper()
	var p *Printer
	if len(printer) > 0 {
		p = printer[0]
	}
	s := chdbtest.Shared(t)
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := org.NewCache(org.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	asRole := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			role := c.Request().Header.Get("X-Role")
			auth.WithPrincipal(c, auth.User{Org: orgID, ID: "u-" + role, Email: role + "@example.com", Role: role}.Principal())
			return next(c)
		}
	}
	e := echo.New()
	if err := Register(e.Group(""), Config{Store: s, Facts: facts, Logger: slog.New(slog.DiscardHandler), Settings: cache,
		Org: func(echo.Context) (string, bool) { return orgID, true }, Changes: s, Reports: s, ReportMailer: mailer, DraftsPrepared: prepared, Printer: p,
		Now: func() time.Time { return rpNow }}, auth.CSRF(false), asRole); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// rpSeed stores an agency (Europe/Berlin) with a person and clients: Acme
// with two recipients, Globex with none; the others bare.
func rpSeed(t *testing.T, orgID string, clients ...string) {
	t.Helper()
	s := chdbtest.Shared(t)
	ctx := t.Context()
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	agency := org.New(orgID)
	agency.Name, agency.TimeZone = "Northwind Agency", "Europe/Berlin"
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: orgID, Source: "api", ExternalID: id} }
	var cs []ingest.Client
	for i := 0; i+1 < len(clients); i += 2 {
		cs = append(cs, ingest.Client{Meta: meta(clients[i]), Name: clients[i+1]})
	}
	for _, recs := range []any{[]org.Settings{agency}, cs,
		[]ingest.Person{{Meta: meta("p1"), ValidFrom: rpNovember, Name: "Ada Lovelace", WeeklyCapacityHours: decimal.NewFromInt(40)}}} {
		if _, err := w.Write(ctx, "api", recs); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i+1 < len(clients); i += 2 {
		if clients[i+1] != "Acme" {
			continue
		}
		if _, err := metrics.SaveReportSettings(ctx, s, orgID, "ann@example.com", metrics.ReportSettings{Client: clients[i],
			Contract: []metrics.ContractKPI{{Section: metrics.SectionDeliverables}}, Recipients: []string{"cfo@acme.example", "pm@acme.example"}}, rpNow); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReportsPage: every client with its draft's state (not prepared,
// prepared at, sent at by to), its commentary and actions, its recipients
// and its PDF; the buttons by role (a viewer neither prepares nor sends,
// ops prepares, a partner sends only with SMTP); Prepare drafts now
// prepares the missing ones only; the months around.
func TestReportsPage(t *testing.T) {
	const o = "rp-page"
	rpSeed(t, o, "c1", "Acme", "c2", "Globex", "c3", "Initech")
	s := chdbtest.Shared(t)
	ctx := t.Context()
	sentAt := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC) // 10:30 in Berlin
	prepAt := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)  // 07:00 in Berlin
	for _, d := range []metrics.Draft{
		{Client: "c1", Month: rpNovember, Status: metrics.DraftSent, PreparedAt: prepAt, SentAt: &sentAt, SentBy: "ann@example.com", SentTo: []string{"cfo@acme.example"}},
		{Client: "c2", Month: rpNovember, Status: metrics.DraftPrepared, PreparedAt: prepAt},
	} {
		if err := metrics.WriteDraft(ctx, s, o, d, prepAt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := metrics.SaveNote(ctx, s, o, metrics.Note{Client: "c2", Period: rpNovember, Field: metrics.NoteCommentary, Body: "A calm month.", Author: "ann@example.com"}, rpNow); err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{"Move QA earlier", "Book the launch review"} {
		a, err := metrics.AddAction(ctx, s, o, "ann@example.com", metrics.Action{Client: "c2", Period: rpNovember, Title: title, Owner: "p1", Due: rpNow}, rpNow)
		if err != nil {
			t.Fatal(err)
		}
		if title == "Move QA earlier" {
			if _, _, err := metrics.SetActionStatus(ctx, s, o, "ann@example.com", a.ID, true, rpNow); err != nil {
				t.Fatal(err)
			}
		}
	}
	var counted []int
	srv := rpServer(t, o, nil, func(org string, n int) {
		if org == o {
			counted = append(counted, n)
		}
	})
	mailSrv := rpServer(t, o, fakeMailer{}, nil)

	viewer := newSTClient(t, srv.URL, auth.RoleViewer)
	code, body := viewer.do("GET", "/reports", nil)
	if code != 200 {
		t.Fatalf("/reports: %d\n%s", code, body)
	}
	for _, want := range []string{"Reports <small>November 2026</small>", `href="/reports?month=2026-10">← October 2026`,
		`<a href="/clients/c1/report?month=2026-11">Acme</a>`, `href="/clients/c1/report?month=2026-11&amp;view=client"`,
		`href="/clients/c3/report.pdf?month=2026-11&amp;view=client">Download PDF`,
		`<span class="badge new">sent</span> <small>2 Dec 2026 10:30 by ann@example.com to cfo@acme.example</small>`,
		`<span class="badge ">prepared</span> <small>1 Dec 2026 07:00</small>`,
		// Initech: no draft yet.
		`<span class="badge pending">not prepared</span>`,
		"cfo@acme.example, pm@acme.example", "none yet: set them in the report's settings",
		// Globex: commentary and two actions, one closed.
		"2 (1 open)", ">written<",
		"Drafts of November 2026 are prepared on Tue 1 Dec 2026, the first workday of December (Europe/Berlin).",
		`<a href="/reports?`, // the navigation's entry
	} {
		if !strings.Contains(body, want) {
			t.Errorf("a viewer's /reports lacks %q", want)
		}
	}
	for _, not := range []string{"Prepare drafts now", `action="/reports/send"`, "December 2026 →", "--smtp-url"} {
		if strings.Contains(body, not) {
			t.Errorf("a viewer's /reports shows %q", not)
		}
	}
	if code, _ := viewer.do("POST", "/reports/prepare", url.Values{"_csrf": {viewer.csrf}, "month": {"2026-11"}}); code != http.StatusForbidden {
		t.Errorf("a viewer prepares drafts: %d, want 403", code)
	}
	if code, _ := viewer.do("GET", "/reports/send?id=c1&month=2026-11", nil); code != http.StatusForbidden {
		t.Errorf("a viewer opens sending: %d, want 403", code)
	}

	ops := newSTClient(t, srv.URL, auth.RoleOps)
	_, body = ops.do("GET", "/reports?month=2026-11", nil)
	if !strings.Contains(body, "Prepare drafts now") || !strings.Contains(body, "1 of 3 not prepared yet") || strings.Contains(body, `action="/reports/send"`) {
		t.Errorf("ops: want Prepare (1 of 3 missing) and no Send\n%s", body)
	}
	if code, body := ops.do("POST", "/reports/prepare", url.Values{"_csrf": {ops.csrf}, "month": {"2026-12"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, `month \"2026-12\": not over yet`) {
		t.Errorf("preparing December on 7 December: %d %s, want 422 naming the month", code, body)
	}
	code, _ = ops.do("POST", "/reports/prepare", url.Values{"_csrf": {ops.csrf}, "month": {"2026-11"}})
	if code != http.StatusSeeOther {
		t.Fatalf("prepare: %d, want 303", code)
	}
	_, body = ops.do("GET", "/reports?month=2026-11&saved=note", nil)
	if !strings.Contains(body, "Prepared 1 draft of November 2026.") || strings.Contains(body, "Prepare drafts now") {
		t.Errorf("after preparing: want the flash and no Prepare button\n%s", body)
	}
	drafts, err := metrics.ListDrafts(ctx, s, o, rpNovember)
	if err != nil || len(drafts) != 3 {
		t.Fatalf("drafts %+v %v", drafts, err)
	}
	for _, d := range drafts {
		want, at := metrics.DraftPrepared, rpNow
		switch d.Client {
		case "c1":
			want, at = metrics.DraftSent, prepAt
		case "c2":
			at = prepAt
		}
		if d.Status != want || !d.PreparedAt.Equal(at) {
			t.Errorf("%s: %s prepared %s, want %s prepared %s", d.Client, d.Status, d.PreparedAt, want, at)
		}
	}
	if len(counted) != 1 || counted[0] != 1 {
		t.Errorf("counted %v, want [1]", counted)
	}

	partner := newSTClient(t, srv.URL, auth.RolePartner)
	_, body = partner.do("GET", "/reports?month=2026-10", nil)
	if strings.Contains(body, `action="/reports/send"`) || !strings.Contains(body, "--smtp-url smtp://user:password@host:587") ||
		!strings.Contains(body, `href="/reports?month=2026-11">November 2026 →`) {
		t.Errorf("a partner without SMTP: want no Send, how to configure SMTP, and a link to November\n%s", body)
	}
	withMail := newSTClient(t, mailSrv.URL, auth.RolePartner)
	_, body = withMail.do("GET", "/reports", nil)
	if strings.Count(body, `action="/reports/send"`) != 1 || !strings.Contains(body, "Send again…") || strings.Contains(body, "--smtp-url") {
		t.Errorf("a partner with SMTP: want Send (again) for Acme only, the one with recipients\n%s", body)
	}
	if code, _ := withMail.do("GET", "/reports?month=November", nil); code != http.StatusBadRequest {
		t.Errorf("month=November: %d, want 400", code)
	}
}

// TestReportsEmpty: an org without clients is told how to add them.
func TestReportsEmpty(t *testing.T) {
	rpSeed(t, "rp-empty")
	srv := rpServer(t, "rp-empty", nil, nil)
	code, body := newSTClient(t, srv.URL, auth.RoleOps).do("GET", "/reports", nil)
	if code != 200 || !strings.Contains(body, "No clients yet") || !strings.Contains(body, `<a href="/settings/clients">Settings › Clients and projects</a>`) ||
		strings.Contains(body, "Prepare drafts now") {
		t.Errorf("no clients: %d\n%s", code, body)
	}
}

// fakeMailer is a ReportMailer that accepts everything and keeps nothing:
// for pages that only need SMTP to be configured.
type fakeMailer struct{}

func (fakeMailer) SendReport(context.Context, []string, string, string, string, []byte) error {
	return nil
}

// rpSMTP is a mail server speaking the least of SMTP auth.Mailer needs, on
// loopback; it keeps the recipients and messages it was given.
type rpSMTP struct {
	ln       net.Listener
	mu       sync.Mutex
	rcpts    []string
	messages []string
}

func newRPSMTP(t *testing.T) *rpSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &rpSMTP{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(conn)
		}
	}()
	return f
}

func (f *rpSMTP) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(s string) { conn.Write([]byte(s + "\r\n")) }
	say("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch strings.ToUpper(strings.SplitN(line, " ", 2)[0]) {
		case "EHLO", "HELO":
			say("250 fake")
		case "MAIL", "NOOP", "RSET":
			say("250 ok")
		case "RCPT":
			f.mu.Lock()
			f.rcpts = append(f.rcpts, line)
			f.mu.Unlock()
			say("250 ok")
		case "DATA":
			say("354 go on")
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			f.mu.Lock()
			f.messages = append(f.messages, msg.String())
			f.mu.Unlock()
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 not here")
		}
	}
}

// rpMailer is an auth.Mailer sending to addr.
func rpMailer(t *testing.T, addr string) *auth.Mailer {
	m, err := auth.NewMailer(auth.MailerConfig{URL: "smtp://" + addr, From: "reports@northwind.example"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rpSendSeed is an org whose Acme has recipients, November's commentary,
// an action and a prepared draft.
func rpSendSeed(t *testing.T, o string) {
	t.Helper()
	rpSeed(t, o, "c1", "Acme", "c2", "Globex")
	s := chdbtest.Shared(t)
	ctx := t.Context()
	if _, err := metrics.SaveNote(ctx, s, o, metrics.Note{Client: "c1", Period: rpNovember, Field: metrics.NoteCommentary,
		Body: "The launch slipped two days; we moved QA earlier.", Author: "ann@example.com"}, rpNow); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.SaveNote(ctx, s, o, metrics.Note{Client: "c1", Period: rpNovember, Field: metrics.NoteInternal,
		Body: "Margin is thin on this one.", Author: "ann@example.com"}, rpNow); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.AddAction(ctx, s, o, "ann@example.com", metrics.Action{Client: "c1", Period: rpNovember, Title: "Book the launch review",
		Owner: "p1", Due: time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)}, rpNow); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.PrepareDrafts(ctx, s, o, rpNovember, rpNow.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
}

func rpDraft(t *testing.T, o, client string) metrics.Draft {
	t.Helper()
	drafts, err := metrics.ListDrafts(t.Context(), chdbtest.Shared(t), o, rpNovember)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range drafts {
		if d.Client == client {
			return d
		}
	}
	t.Fatalf("no draft of %s", client)
	return metrics.Draft{}
}

// TestReportSendConfirm: the confirmation shows what goes out (to,
// subject, the text with the commentary and next month's actions and
// without the internal note, the PDF's name); a client without recipients
// is refused with where to add them; ops may not send; a report sent
// meanwhile asks again and says when it was sent.
func TestReportSendConfirm(t *testing.T) {
	const o = "rp-confirm"
	rpSendSeed(t, o)
	srv := rpServer(t, o, fakeMailer{}, nil)
	partner := newSTClient(t, srv.URL, auth.RolePartner)
	code, body := partner.do("GET", "/reports/send?id=c1&month=2026-11", nil)
	if code != 200 {
		t.Fatalf("confirm: %d\n%s", code, body)
	}
	for _, want := range []string{"cfo@acme.example, pm@acme.example", "Northwind Agency — Acme report, November 2026", "acme-report-2026-11.pdf",
		"Attached is the November 2026 report of Acme from Northwind Agency", "The launch slipped two days; we moved QA earlier.",
		"- Book the launch review — Ada Lovelace, due 10 Dec 2026", `action="/reports/send"`, "Send to 2 recipients"} {
		if !strings.Contains(body, want) {
			t.Errorf("the confirmation lacks %q", want)
		}
	}
	if strings.Contains(body, "Margin is thin") {
		t.Error("the confirmation shows the internal note")
	}
	if strings.Contains(body, "has no commentary yet") {
		t.Error("Acme's commentary is written, but the confirmation says there is none")
	}
	code, body = partner.do("GET", "/reports/send?id=Globex&month=2026-11", nil)
	// Globex has no commentary either: the confirmation says so
	if !strings.Contains(body, "This report has no commentary yet") {
		t.Errorf("Globex's confirmation does not warn that its commentary is not written")
	}
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "recipients: the report of Globex has none") ||
		!strings.Contains(body, `href="/clients/c2/report?month=2026-11"`) || strings.Contains(body, `action="/reports/send"`) {
		t.Errorf("no recipients: %d, want 422 pointing to the report's settings\n%s", code, body)
	}
	if code, body := partner.do("GET", "/reports/send?id=c1&month=2026-12", nil); code != http.StatusUnprocessableEntity || !strings.Contains(body, "not over yet") {
		t.Errorf("sending December on 7 December: %d %s, want 422", code, body)
	}
	if code, _ := partner.do("GET", "/reports/send?id=nobody&month=2026-11", nil); code != http.StatusUnprocessableEntity {
		t.Errorf("an unknown client: %d, want 422", code)
	}
	if code, _ := newSTClient(t, srv.URL, auth.RoleOps).do("GET", "/reports/send?id=c1&month=2026-11", nil); code != http.StatusForbidden {
		t.Errorf("ops opens sending: %d, want 403", code)
	}
	if code, _ := partner.do("POST", "/reports/send", url.Values{"id": {"c1"}, "month": {"2026-11"}}); code != http.StatusForbidden && code != http.StatusBadRequest {
		t.Errorf("a send without the CSRF token: %d, want it refused", code)
	}
	noSMTP := rpServer(t, o, nil, nil)
	code, body = newSTClient(t, noSMTP.URL, auth.RolePartner).do("GET", "/reports/send?id=c1&month=2026-11", nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "--smtp-url") || strings.Contains(body, `action="/reports/send"`) {
		t.Errorf("without SMTP: %d, want 503 saying how to configure it\n%s", code, body)
	}

	// Sent by someone else while this partner reviewed it.
	at := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	d := rpDraft(t, o, "c1")
	d.Status, d.SentAt, d.SentBy, d.SentTo = metrics.DraftSent, &at, "bob@example.com", []string{"cfo@acme.example"}
	if err := metrics.WriteDraft(t.Context(), chdbtest.Shared(t), o, d, rpNow); err != nil {
		t.Fatal(err)
	}
	code, body = partner.do("POST", "/reports/send", url.Values{"_csrf": {partner.csrf}, "id": {"c1"}, "month": {"2026-11"}, "seen": {""}})
	if code != http.StatusConflict || !strings.Contains(body, "sent while you were reviewing it") ||
		!strings.Contains(body, "This report was sent 3 Dec 2026 15:00 by bob@example.com to cfo@acme.example") || !strings.Contains(body, "Send it again") {
		t.Errorf("sent meanwhile: %d, want 409 asking again with when it was sent\n%s", code, body)
	}
}

// TestReportSendFails: a send whose PDF cannot be made (a server without
// a Printer: 503 saying so) or whose mail server fails (a closed port:
// 502) says what failed, marks nothing sent and records nothing.
func TestReportSendFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		org     string
		printer *Printer
		code    int
		want    string
	}{
		{"rp-fails-pdf", nil, http.StatusServiceUnavailable, "could not be made (PDFs are not available here"},
		{"rp-fails-mail", func() *Printer { pdfServer(t); return pdfPrinter }(), http.StatusBadGateway, "The mail server did not take the report"},
	} {
		rpSendSeed(t, tc.org)
		srv := rpServer(t, tc.org, rpMailer(t, closed), nil, tc.printer)
		partner := newSTClient(t, srv.URL, auth.RolePartner)
		partner.do("GET", "/reports/send?id=c1&month=2026-11", nil)
		code, body := partner.do("POST", "/reports/send", url.Values{"_csrf": {partner.csrf}, "id": {"c1"}, "month": {"2026-11"}})
		if code != tc.code || !strings.Contains(body, tc.want) || !strings.Contains(body, "Nothing was sent") && tc.code == http.StatusServiceUnavailable {
			t.Errorf("%s: a failing send: %d, want %d saying %q\n%s", tc.org, code, tc.code, tc.want, body)
		}
		if d := rpDraft(t, tc.org, "c1"); d.Status != metrics.DraftPrepared || d.SentAt != nil {
			t.Errorf("%s: after a failed send the draft is %+v, want still a draft", tc.org, d)
		}
		changes, err := org.AuditLog(t.Context(), chdbtest.Shared(t), tc.org, org.AuditReport, "c1", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range changes {
			if strings.Contains(c.After, `"sent"`) {
				t.Errorf("%s: a failed send is in the audit trail: %+v", tc.org, c)
			}
		}
	}
}

// TestReportSend: a partner sends Acme's report: the mail server gets one
// message to both recipients with the subject, the text and the client
// view's PDF attached; the draft is marked sent by the partner to them and
// the audit trail has it; sending again asks again.
func TestReportSend(t *testing.T) {
	const o = "rp-send"
	rpSendSeed(t, o)
	f := newRPSMTP(t)
	pdfServer(t) // the tests' shared Printer, with Chromium found
	srv := rpServer(t, o, rpMailer(t, f.ln.Addr().String()), nil, pdfPrinter)
	partner := newSTClient(t, srv.URL, auth.RolePartner)
	partner.do("GET", "/reports/send?id=c1&month=2026-11", nil)
	code, body := partner.do("POST", "/reports/send", url.Values{"_csrf": {partner.csrf}, "id": {"c1"}, "month": {"2026-11"}})
	if code != http.StatusSeeOther {
		t.Fatalf("send: %d\n%s", code, body)
	}
	_, body = partner.do("GET", "/reports?month=2026-11&saved=note", nil)
	if !strings.Contains(body, "Sent the November 2026 report of Acme to cfo@acme.example, pm@acme.example.") {
		t.Errorf("no flash after sending\n%s", body)
	}
	d := rpDraft(t, o, "c1")
	if d.Status != metrics.DraftSent || d.SentAt == nil || !d.SentAt.Equal(rpNow) || d.SentBy != "partner@example.com" ||
		strings.Join(d.SentTo, ",") != "cfo@acme.example,pm@acme.example" {
		t.Errorf("the draft after sending: %+v", d)
	}
	changes, err := org.AuditLog(t.Context(), chdbtest.Shared(t), o, org.AuditReport, "c1", 10)
	if err != nil || len(changes) == 0 || changes[0].Who != "partner@example.com" || !strings.Contains(changes[0].After, `"status":"sent"`) {
		t.Errorf("audit trail: %+v %v", changes, err)
	}

	f.mu.Lock()
	msgs, rcpts := f.messages, f.rcpts
	f.mu.Unlock()
	if len(msgs) != 1 || len(rcpts) != 2 || !strings.Contains(rcpts[0], "<cfo@acme.example>") || !strings.Contains(rcpts[1], "<pm@acme.example>") {
		t.Fatalf("the mail server got %d messages for %v", len(msgs), rcpts)
	}
	m, err := netmail.ReadMessage(strings.NewReader(msgs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); subject != "Northwind Agency — Acme report, November 2026" {
		t.Errorf("subject %q", subject)
	}
	_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	parts := multipart.NewReader(m.Body, params["boundary"])
	var text, file string
	var pdf []byte
	for {
		p, err := parts.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if strings.HasPrefix(p.Header.Get("Content-Type"), "application/pdf") {
			file = p.FileName()
			pdf, _ = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", ""))
		} else {
			text = string(b)
		}
	}
	if !strings.Contains(text, "The launch slipped two days; we moved QA earlier.") || !strings.Contains(text, "Book the launch review") ||
		strings.Contains(text, "Margin is thin") {
		t.Errorf("the text: %q", text)
	}
	if file != "acme-report-2026-11.pdf" || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("the attachment %q starts %q, want a PDF", file, pdf[:min(len(pdf), 8)])
	}

	// Sending again: the confirmation says when it was sent, and asks.
	code, body = partner.do("GET", "/reports/send?id=c1&month=2026-11", nil)
	if code != 200 || !strings.Contains(body, "This report was sent 7 Dec 2026 11:00 by partner@example.com") || !strings.Contains(body, "Send it again") {
		t.Errorf("sending again: %d\n%s", code, body)
	}
}
