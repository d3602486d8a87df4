package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// UserAgent is what every request says it is, with a contact, as Harvest
// asks of API clients.
const UserAgent = "opsmetrics (https://github.com/opsmetrics/opsmetrics; opsmetrics@users.noreply.github.com)"

// ClientConfig configures a Client.
type ClientConfig struct {
	HTTP *http.Client // nil: a client with a 60 s timeout
	Kind string       // the tool, for errors
	// Secret is the token, redacted from every error the Client returns.
	Secret string
	// Limit requests at most per Per (Harvest: 100 per 15 s); 0: no limit.
	Limit int
	Per   time.Duration
	// Retries is how often a 429, a 5xx or a network error is retried
	// (default 4); MaxWait caps one wait, a Retry-After too (default 2 min).
	Retries int
	MaxWait time.Duration
	// Sleep waits d or until ctx ends (tests make it instant).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client is the HTTP client of a Pull: it keeps to the tool's rate limit,
// waits out a 429 (its Retry-After), retries a 5xx or a network error with
// backoff, turns a 401 into ErrNeedsToken, and redacts the token from every
// error. It is safe for concurrent use.
type Client struct {
	cfg  ClientConfig
	mu   sync.Mutex
	sent []time.Time // the send times within the last Per, oldest first
}

// NewClient returns a Client.
func NewClient(cfg ClientConfig) *Client {
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.Retries == 0 {
		cfg.Retries = 4
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = 2 * time.Minute
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	return &Client{cfg: cfg}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// GetJSON sends GET rawURL with header (and the User-Agent) and decodes a
// 2xx JSON answer into v. Errors: ErrNeedsToken (wrapped) on a 401, an
// *APIError for another status it does not retry or after the last retry,
// ctx's error, or a network error after the last retry; none holds the
// token.
func (c *Client) GetJSON(ctx context.Context, rawURL string, header http.Header, v any) error {
	_, err := c.send(ctx, http.MethodGet, rawURL, header, nil, v)
	return c.redact(err)
}

// GetJSONHeader is GetJSON that also returns the 2xx answer's headers, for
// a tool that pages by response headers (Float's X-Pagination-*). Errors
// are GetJSON's.
func (c *Client) GetJSONHeader(ctx context.Context, rawURL string, header http.Header, v any) (http.Header, error) {
	h, err := c.send(ctx, http.MethodGet, rawURL, header, nil, v)
	return h, c.redact(err)
}

// PostJSON sends POST rawURL with the JSON of body (a search, as Toggl's
// and Clockify's report APIs take one) and decodes a 2xx JSON answer into
// v, as GetJSON does, with the same retries and errors. It returns the
// answer's headers, which may name the next page (Toggl's X-Next-ID).
func (c *Client) PostJSON(ctx context.Context, rawURL string, header http.Header, body, v any) (http.Header, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("%s: encode the request: %w", c.cfg.Kind, err)
	}
	h, err := c.send(ctx, http.MethodPost, rawURL, header, b, v)
	return h, c.redact(err)
}

func (c *Client) send(ctx context.Context, method, rawURL string, header http.Header, body []byte, v any) (http.Header, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s: bad URL: %w", c.cfg.Kind, err)
	}
	backoff := time.Second
	for attempt := 0; ; attempt++ {
		if err := c.wait(ctx); err != nil {
			return nil, err
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body) // anew for every attempt
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
		if err != nil {
			return nil, err
		}
		req.Header = header.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set("User-Agent", UserAgent)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.cfg.HTTP.Do(req)
		var wait time.Duration
		var last error
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ne net.Error
			if !errors.As(err, &ne) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
				var ue *url.Error
				if !errors.As(err, &ue) {
					return nil, err
				}
			}
			last, wait = fmt.Errorf("%s %s %s: %w", c.cfg.Kind, method, u.Path, err), backoff
		default:
			last, wait, err = c.answer(resp, method, u, v, backoff)
			if err != nil || last == nil {
				return resp.Header, err
			}
		}
		if attempt >= c.cfg.Retries {
			return nil, last
		}
		if err := c.cfg.Sleep(ctx, min(wait, c.cfg.MaxWait)); err != nil {
			return nil, err
		}
		backoff *= 2
	}
}

// answer reads one response: a final error (err), or one to retry after
// wait (last), or neither when v was filled.
func (c *Client) answer(resp *http.Response, method string, u *url.URL, v any, backoff time.Duration) (last error, wait time.Duration, err error) {
	defer resp.Body.Close()
	apiErr := func() *APIError {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return &APIError{Kind: c.cfg.Kind, Method: method, Path: u.Path, Status: resp.StatusCode,
			Body: strings.TrimSpace(string(b))}
	}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			// A cut answer: retried like a network error.
			return fmt.Errorf("%s %s %s: read the answer: %w", c.cfg.Kind, method, u.Path, err), backoff, nil
		}
		return nil, 0, nil
	case s == http.StatusUnauthorized:
		return nil, 0, fmt.Errorf("%w: %w", apiErr(), ErrNeedsToken)
	case s == http.StatusTooManyRequests:
		return apiErr(), retryAfter(resp.Header.Get("Retry-After"), backoff), nil
	case s >= 500:
		return apiErr(), backoff, nil
	}
	return nil, 0, apiErr()
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); def
// when it has none.
func retryAfter(h string, def time.Duration) time.Duration {
	if h == "" {
		return def
	}
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	return def
}

// wait blocks until one more request keeps within Limit per Per.
func (c *Client) wait(ctx context.Context) error {
	if c.cfg.Limit <= 0 {
		return nil
	}
	for {
		c.mu.Lock()
		now := time.Now()
		for len(c.sent) > 0 && now.Sub(c.sent[0]) >= c.cfg.Per {
			c.sent = c.sent[1:]
		}
		if len(c.sent) < c.cfg.Limit {
			c.sent = append(c.sent, now)
			c.mu.Unlock()
			return nil
		}
		d := c.cfg.Per - now.Sub(c.sent[0])
		c.mu.Unlock()
		if err := sleep(ctx, d); err != nil { // real time: the limit is the tool's clock
			return err
		}
	}
}

// redact replaces the token in err's text, keeping what errors.Is finds.
func (c *Client) redact(err error) error {
	return Redact(err, c.cfg.Secret)
}

// Redact returns err with every occurrence of secret in its text replaced
// by "[redacted]"; errors.Is and errors.As still see err's chain.
func Redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &redacted{err: err, text: strings.ReplaceAll(err.Error(), secret, "[redacted]")}
}

type redacted struct {
	err  error
	text string
}

func (r *redacted) Error() string { return r.text }
func (r *redacted) Unwrap() error { return r.err }
