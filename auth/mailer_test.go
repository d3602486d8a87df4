package auth

import (
	"bufio"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
)

// fakeSMTP is a server speaking the least of SMTP a client needs (EHLO,
// AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT) on loopback; it keeps
// the credentials and messages it was given.
type fakeSMTP struct {
	ln net.Listener

	mu       sync.Mutex
	auth     []string
	rcpts    []string
	messages []string
}

func newFakeSMTP(t *testing.T) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln}
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

func (f *fakeSMTP) serve(conn net.Conn) {
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
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			say("250-fake")
			say("250 AUTH PLAIN")
		case "AUTH":
			parts := strings.Fields(line)
			if len(parts) == 3 {
				b, _ := base64.StdEncoding.DecodeString(parts[2])
				f.mu.Lock()
				f.auth = append(f.auth, string(b))
				f.mu.Unlock()
			}
			say("235 2.7.0 authenticated")
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

// TestMailerSendsTheLink: an invitation goes to the invited address with
// the link in its body, logged in with the URL's user and password; the
// password appears in no error or name of the mailer.
func TestMailerSendsTheLink(t *testing.T) {
	f := newFakeSMTP(t)
	m, err := NewMailer(MailerConfig{URL: "smtp://ops:s3cret-pass@" + f.ln.Addr().String(), From: "opsmetrics@agency.example"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.String(), "s3cret") {
		t.Errorf("the mailer shows its password: %s", m)
	}
	link := "http://localhost:8080/invite/" + strings.Repeat("ab", 32)
	if err := m.SendInvite(t.Context(), "nina@example.com", "Acme Creative", link); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.messages) != 1 || len(f.rcpts) != 1 || !strings.Contains(f.rcpts[0], "<nina@example.com>") {
		t.Fatalf("rcpts %v, %d messages", f.rcpts, len(f.messages))
	}
	if len(f.auth) != 1 || f.auth[0] != "\x00ops\x00s3cret-pass" {
		t.Errorf("AUTH PLAIN %q, want the URL's user and password", f.auth)
	}
	body := strings.ReplaceAll(f.messages[0], "=\r\n", "") // quoted-printable soft breaks
	for _, want := range []string{link, "Subject: Your invitation to Acme Creative on opsmetrics", "To: <nina@example.com>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the message lacks %q:\n%s", want, body)
		}
	}
	for _, bad := range []MailerConfig{{URL: "http://x", From: "a@b.example"}, {URL: "smtp://u:s3cret@host:99999", From: "a@b.example"},
		{URL: "smtp://u:s3cret@host:25", From: "nobody"}} {
		err := bad.Validate()
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v, want an error without the password", redact(bad.URL), err)
		}
	}
}

// TestMailerSendsAReport: a report goes to every recipient, with its
// subject, its text and the PDF attached under its name, whole.
func TestMailerSendsAReport(t *testing.T) {
	f := newFakeSMTP(t)
	m, err := NewMailer(MailerConfig{URL: "smtp://" + f.ln.Addr().String(), From: "opsmetrics@agency.example"})
	if err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.7\n" + strings.Repeat("report page bytes ", 40) + "\n%%EOF\n")
	subject := "Acme Creative — Globex report, November 2026"
	text := "Hello,\n\nNovember's numbers are attached.\nThe launch slipped two days; we moved QA earlier.\n"
	if err := m.SendReport(t.Context(), []string{"cfo@globex.example", "pm@globex.example"}, subject, text, "globex-report-2026-11.pdf", pdf); err != nil {
		t.Fatal(err)
	}
	if err := m.SendReport(t.Context(), nil, subject, text, "x.pdf", pdf); err == nil {
		t.Error("no recipients: sent")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.messages) != 1 || len(f.rcpts) != 2 || !strings.Contains(f.rcpts[0], "<cfo@globex.example>") || !strings.Contains(f.rcpts[1], "<pm@globex.example>") {
		t.Fatalf("rcpts %v, %d messages", f.rcpts, len(f.messages))
	}
	parsed, err := netmail.ReadMessage(strings.NewReader(f.messages[0]))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject")); got != subject {
		t.Errorf("subject %q, want %q", got, subject)
	}
	if got := parsed.Header.Get("To"); got != "<cfo@globex.example>, <pm@globex.example>" {
		t.Errorf("To: %s", got)
	}
	_, params, err := mime.ParseMediaType(parsed.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := multipart.NewReader(parsed.Body, params["boundary"])
	var gotText, gotName string
	var gotPDF []byte
	for {
		p, err := parts.NextPart() // decodes quoted-printable itself
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		switch ct := p.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			gotText = strings.ReplaceAll(string(b), "\r\n", "\n") // SMTP lines end in CRLF
		case strings.HasPrefix(ct, "application/pdf"):
			gotName = p.FileName()
			if gotPDF, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", "")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if gotText != text {
		t.Errorf("text %q, want %q", gotText, text)
	}
	if gotName != "globex-report-2026-11.pdf" || string(gotPDF) != string(pdf) {
		t.Errorf("attachment %q: %q, want the PDF given", gotName, gotPDF)
	}
}
