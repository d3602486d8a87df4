package hook

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// MaxBody is the largest delivery accepted; a larger one is a 413. The
// tools send far less (GitHub caps its payloads at 25 MB but issue events
// are a few KiB).
const MaxBody = 1 << 20

// Verify reports whether header carries tool's valid signature of body
// made with secret, comparing in constant time (hmac.Equal):
//
//	clickup  X-Signature          hex HMAC-SHA256(body)
//	github   X-Hub-Signature-256  "sha256=" hex HMAC-SHA256(body)
//	jira     X-Hub-Signature      "sha256=" hex HMAC-SHA256(body)
//	asana    X-Hook-Signature     hex HMAC-SHA256(body)
//	trello   X-Trello-Webhook     base64 HMAC-SHA1(body + callbackURL)
//
// An empty secret verifies nothing.
func Verify(tool, secret, callbackURL string, header http.Header, body []byte) bool {
	if secret == "" {
		return false
	}
	mac := func(h func() hash.Hash, parts ...[]byte) []byte {
		m := hmac.New(h, []byte(secret))
		for _, p := range parts {
			m.Write(p)
		}
		return m.Sum(nil)
	}
	hexSig := func(got string) bool {
		want := mac(sha256.New, body)
		b, err := hex.DecodeString(strings.TrimSpace(got))
		return err == nil && hmac.Equal(b, want)
	}
	switch tool {
	case "clickup":
		return hexSig(header.Get("X-Signature"))
	case "asana":
		return hexSig(header.Get("X-Hook-Signature"))
	case "github", "jira":
		name := "X-Hub-Signature-256"
		if tool == "jira" {
			name = "X-Hub-Signature"
		}
		sig, ok := strings.CutPrefix(header.Get(name), "sha256=")
		return ok && hexSig(sig)
	case "trello":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header.Get("X-Trello-Webhook")))
		return err == nil && hmac.Equal(b, mac(sha1.New, body, []byte(callbackURL)))
	}
	return false
}

// DeliveryID is a delivery's idempotency key (Delivery.ID): the id the
// tool keeps across its retries, else "sha256:" and the body's hex hash.
func DeliveryID(tool string, header http.Header, body []byte) string {
	switch tool {
	case "github":
		if id := header.Get("X-GitHub-Delivery"); id != "" {
			return id
		}
	case "jira":
		if id := header.Get("X-Atlassian-Webhook-Identifier"); id != "" {
			return id
		}
	case "trello":
		var b struct {
			Action struct {
				ID string `json:"id"`
			} `json:"action"`
		}
		if json.Unmarshal(body, &b) == nil && b.Action.ID != "" {
			return b.Action.ID
		}
	case "clickup":
		var b struct {
			WebhookID    string `json:"webhook_id"`
			HistoryItems []struct {
				ID string `json:"id"`
			} `json:"history_items"`
		}
		if json.Unmarshal(body, &b) == nil && b.WebhookID != "" && len(b.HistoryItems) > 0 {
			ids := make([]string, len(b.HistoryItems))
			for i, it := range b.HistoryItems {
				ids[i] = it.ID
			}
			return b.WebhookID + ":" + strings.Join(ids, ",")
		}
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// keptHeaders are the headers a delivery keeps: those the Mappers read
// (event names, ids), never a signature.
var keptHeaders = []string{"Content-Type", "User-Agent", "X-GitHub-Event", "X-GitHub-Delivery", "X-GitHub-Hook-ID",
	"X-Atlassian-Webhook-Identifier", "X-Atlassian-Webhook-Retry", "X-Atlassian-Webhook-Flow"}

// Appender is where the receiver keeps a delivery before it answers:
// Append returns once data is on disk (spool.Spool).
type Appender interface {
	Append(ctx context.Context, data []byte) (uint64, error)
}

// ReceiverConfig configures a Receiver.
type ReceiverConfig struct {
	Hooks  *Hooks
	Spool  Appender
	Logger *slog.Logger
	Now    func() time.Time // nil: time.Now
	// Refresh is how often the cached hooks are read again, so that a hook
	// added or removed by another process (the CLI) is seen; 0: 30 s. An
	// unknown id reads them at once, at most once a second.
	Refresh time.Duration
	// ReadTimeout bounds how long a delivery's body may take; 0: 10 s.
	ReadTimeout time.Duration
	// Counted, when set, is told each delivery the receiver refused
	// (status "rejected": a missing or wrong signature), for the metrics.
	Counted func(tool, status string)
}

// Validate fills defaults and reports what is missing.
func (c *ReceiverConfig) Validate() error {
	if c.Hooks == nil || c.Spool == nil || c.Logger == nil {
		return errors.New("hook: the receiver needs hooks, a spool and a logger")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Refresh <= 0 {
		c.Refresh = 30 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 10 * time.Second
	}
	return nil
}

// Receiver answers POST and HEAD /hooks/{id}. It keeps the hooks and their
// opened secrets in memory, so deliveries keep being accepted into the
// spool while the store is down.
type Receiver struct {
	cfg ReceiverConfig

	mu     sync.Mutex
	byID   map[string]cached
	loaded time.Time // when byID was last read; zero: never
	missed time.Time // the last read an unknown id caused
}

type cached struct {
	Hook
	secret string // opened
}

// NewReceiver returns a Receiver.
func NewReceiver(cfg ReceiverConfig) (*Receiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Receiver{cfg: cfg}, nil
}

// Invalidate makes the next lookup read the hooks again: after an add,
// a removal or a handshake in this process.
func (r *Receiver) Invalidate() {
	r.mu.Lock()
	r.loaded = time.Time{}
	r.mu.Unlock()
}

// lookup returns hook id from the cache, reading the hooks again when the
// cache is stale or does not know id. A failed read keeps the old cache.
func (r *Receiver) lookup(ctx context.Context, id string) (cached, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.cfg.Now()
	c, ok := r.byID[id]
	stale := now.Sub(r.loaded) >= r.cfg.Refresh
	if !ok && !stale && now.Sub(r.missed) >= time.Second {
		stale, r.missed = true, now
	}
	if stale {
		if err := r.load(ctx); err != nil {
			r.cfg.Logger.Warn("hooks_not_read", "err", err.Error())
			if r.byID == nil {
				return cached{}, err
			}
		} else {
			r.loaded = now
		}
		c, ok = r.byID[id]
	}
	if !ok {
		return cached{}, fmt.Errorf("%w %q", ErrNotFound, id)
	}
	return c, nil
}

func (r *Receiver) load(ctx context.Context) error {
	list, err := r.cfg.Hooks.List(ctx, "")
	if err != nil {
		return err
	}
	m := make(map[string]cached, len(list))
	for _, h := range list {
		secret, err := r.cfg.Hooks.open(h, h.secret)
		if err != nil {
			return err
		}
		m[h.ID] = cached{Hook: h, secret: secret}
	}
	r.byID = m
	return nil
}

// Register adds POST and HEAD /hooks/:id to g: no API token, the tool's
// signature authenticates. Errors are returned for the service's error
// table: ErrNotFound (404), ErrBadSignature (401), *echo.HTTPError (413,
// 408) and the spool's (503: the tool retries).
func (r *Receiver) Register(g *echo.Group) {
	g.HEAD("/hooks/:id", func(ec echo.Context) error {
		// Trello checks the callback URL with a HEAD before it creates
		// the webhook.
		if _, err := r.lookup(ec.Request().Context(), ec.Param("id")); err != nil {
			return err
		}
		return ec.NoContent(http.StatusOK)
	})
	g.POST("/hooks/:id", r.receive)
}

func (r *Receiver) receive(ec echo.Context) error {
	ctx := ec.Request().Context()
	h, err := r.lookup(ctx, ec.Param("id"))
	if err != nil {
		return err
	}
	body, err := readBody(ec.Request().Body, r.cfg.Now().Add(r.cfg.ReadTimeout), r.cfg.Now)
	if err != nil {
		return err
	}
	hdr := ec.Request().Header
	if h.Tool == "asana" && hdr.Get("X-Hook-Secret") != "" {
		return r.handshake(ec, h, hdr.Get("X-Hook-Secret"))
	}
	if !Verify(h.Tool, h.secret, h.CallbackURL, hdr, body) {
		r.count(h.Tool, "rejected")
		if h.secret == "" {
			return fmt.Errorf("%w: hook %s has no secret yet (Asana sends it in its handshake when the webhook is made)", ErrBadSignature, h.ID)
		}
		return fmt.Errorf("%w for hook %s", ErrBadSignature, h.ID)
	}
	d := Delivery{Hook: h.ID, Org: h.Org, Tool: h.Tool, ID: DeliveryID(h.Tool, hdr, body), Received: r.cfg.Now().UTC().Truncate(time.Microsecond), // as stored
		Header: http.Header{}, Body: body}
	for _, k := range keptHeaders {
		if v := hdr.Values(k); len(v) > 0 {
			d.Header[k] = v
		}
	}
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	// The 2xx goes out only once the delivery is on disk: from then on the
	// tool will not send it again, and only the spool has it.
	if _, err := r.cfg.Spool.Append(context.WithoutCancel(ctx), data); err != nil {
		r.cfg.Logger.Error("hook_spool_failed", "hook", h.ID, "tool", h.Tool, "err", err.Error())
		return echo.NewHTTPError(http.StatusServiceUnavailable, "the delivery could not be kept; send it again")
	}
	return ec.JSON(http.StatusOK, map[string]string{"delivery": d.ID})
}

// handshake keeps the secret of Asana's handshake and echoes it, as Asana
// asks. A hook that already has a secret refuses another: whoever knows
// its URL could otherwise replace it.
func (r *Receiver) handshake(ec echo.Context, h cached, secret string) error {
	if h.HasSecret {
		r.count(h.Tool, "rejected")
		return fmt.Errorf("%w: hook %s already has its handshake's secret; add a new hook for a new Asana webhook", ErrBadSignature, h.ID)
	}
	if _, err := r.cfg.Hooks.setSecret(ec.Request().Context(), h.Hook, secret); err != nil {
		return fmt.Errorf("keep the handshake's secret of hook %s: %w", h.ID, err)
	}
	r.Invalidate()
	ec.Response().Header().Set("X-Hook-Secret", secret)
	return ec.NoContent(http.StatusOK)
}

func (r *Receiver) count(tool, status string) {
	if r.cfg.Counted != nil {
		r.cfg.Counted(tool, status)
	}
}

// readBody reads at most MaxBody bytes before end: a longer body is a 413,
// a slower one a 408 (the connection's own read deadlines end a body that
// stalls).
func readBody(body io.Reader, end time.Time, now func() time.Time) ([]byte, error) {
	var buf []byte
	chunk := make([]byte, 32<<10)
	for {
		if now().After(end) {
			return nil, echo.NewHTTPError(http.StatusRequestTimeout, "the delivery's body did not arrive in time")
		}
		n, err := body.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if len(buf) > MaxBody {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("a delivery may have at most %d bytes", MaxBody))
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
