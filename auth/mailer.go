package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Mailer emails invitation links over SMTP (--smtp-url). It upgrades to
// TLS with STARTTLS when the server offers it, and logs in when the URL
// has a user. The password is never logged or shown: String hides it.
type Mailer struct {
	host       string
	port       int
	user, pass string
	from       string
	timeout    time.Duration
}

// MailerConfig configures a Mailer.
type MailerConfig struct {
	// URL is smtp://user:pass@host:port (port 587 when none is given).
	URL  string
	From string // the sender, such as opsmetrics@agency.example
}

// Validate reports what is wrong, naming the field; the password never
// appears in an error.
func (c MailerConfig) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return fmt.Errorf("--smtp-url: want smtp://user:password@host:port, got %s", redact(c.URL))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("--smtp-url: port %q is not a port", p)
		}
	}
	if _, err := NormalEmail(c.From); err != nil {
		return fmt.Errorf("--smtp-from: %q is not an email address", c.From)
	}
	return nil
}

// redact is raw without the password of a URL's user information.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// NewMailer returns a Mailer for cfg.
func NewMailer(cfg MailerConfig) (*Mailer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.URL)
	m := &Mailer{host: u.Hostname(), port: 587, from: cfg.From, timeout: 30 * time.Second}
	if p := u.Port(); p != "" {
		m.port, _ = strconv.Atoi(p)
	}
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
	}
	return m, nil
}

// String names the server without the password.
func (m *Mailer) String() string {
	if m.user != "" {
		return fmt.Sprintf("smtp://%s:xxxxx@%s:%d", m.user, m.host, m.port)
	}
	return fmt.Sprintf("smtp://%s:%d", m.host, m.port)
}

// SendInvite emails to the invitation link to orgName.
func (m *Mailer) SendInvite(ctx context.Context, to, orgName, link string) error {
	if m == nil {
		return errors.New("no SMTP server configured (--smtp-url)")
	}
	msg := mail.NewMsg()
	if err := msg.From(m.from); err != nil {
		return fmt.Errorf("--smtp-from %q: %w", m.from, err)
	}
	if err := msg.To(to); err != nil {
		return fmt.Errorf("email %q: %w", to, err)
	}
	msg.Subject("Your invitation to " + orgName + " on opsmetrics")
	msg.SetBodyString(mail.TypeTextPlain, fmt.Sprintf(`You are invited to %s on opsmetrics.

Open this link to choose your password and sign in (it works once, for 7 days):

  %s

If you did not expect this email, ignore it.
`, orgName, link))
	if err := m.send(ctx, msg); err != nil {
		return fmt.Errorf("send the invitation to %s through %s: %w", to, m, err)
	}
	return nil
}

// SendReport emails a client's report to every address of to: subject,
// the plain text, and pdf attached as fileName (application/pdf). The
// caller keeps pdf. Errors name the address or the server (never its
// password).
func (m *Mailer) SendReport(ctx context.Context, to []string, subject, text, fileName string, pdf []byte) error {
	if m == nil {
		return errors.New("no SMTP server configured (--smtp-url)")
	}
	if len(to) == 0 {
		return errors.New("send a report: no recipients")
	}
	msg := mail.NewMsg()
	if err := msg.From(m.from); err != nil {
		return fmt.Errorf("--smtp-from %q: %w", m.from, err)
	}
	for _, a := range to {
		if err := msg.AddTo(a); err != nil {
			return fmt.Errorf("recipient %q: %w", a, err)
		}
	}
	msg.Subject(subject)
	msg.SetBodyString(mail.TypeTextPlain, text)
	if err := msg.AttachReader(fileName, bytes.NewReader(pdf), mail.WithFileContentType("application/pdf")); err != nil {
		return fmt.Errorf("attach %s: %w", fileName, err)
	}
	if err := m.send(ctx, msg); err != nil {
		return fmt.Errorf("send %q to %s through %s: %w", subject, strings.Join(to, ", "), m, err)
	}
	return nil
}

// send delivers msg through the server.
func (m *Mailer) send(ctx context.Context, msg *mail.Msg) error {
	opts := []mail.Option{mail.WithPort(m.port), mail.WithTLSPolicy(mail.TLSOpportunistic), mail.WithTimeout(m.timeout)}
	if m.user != "" {
		// PLAIN, which every submission server offers; the client sends it
		// only over TLS (after STARTTLS) or to localhost, never in the clear.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(m.user), mail.WithPassword(m.pass))
	}
	c, err := mail.NewClient(m.host, opts...)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", m, err)
	}
	return c.DialAndSendWithContext(ctx, msg)
}
