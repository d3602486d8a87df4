package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Browser sessions are kept on the server: the cookie SessionCookie holds a
// random 32-byte id, the store only its SHA-256, with who signed in (a user,
// or an API token through the /login#<token> link), when, when it was last
// used and whether it was ended. A session ends after IdleTimeout without
// use, after AbsoluteTimeout whatever the use, at sign-out, at "sign out
// everywhere", and when its user is removed or its token revoked.

// SessionCookie is the name of the cookie that holds a session's id.
const SessionCookie = "opsmetrics_session"

// Session lifetimes.
const (
	IdleTimeout     = 7 * 24 * time.Hour
	AbsoluteTimeout = 30 * 24 * time.Hour
)

// SessionCacheTTL is how long a replica trusts a session it has read
// without reading it again. An ended session stops working at once in the
// process that ended it (its cache entry is dropped) and within this TTL on
// every other replica; so does a user's new role or removal.
const SessionCacheTTL = 10 * time.Second

// touchEvery is how often a session's last use is written: the idle
// timeout is that much less exact, and a page view is not a write.
const touchEvery = 5 * time.Minute

const maxCachedSessions = 10_000

// ErrNoSession is a request without a live session.
var ErrNoSession = errors.New("no session, or it has ended")

// Sessions starts, checks and ends browser sessions. It is safe for
// concurrent use.
type Sessions struct {
	store  Store
	users  *Users
	tokens *Tokens
	now    func() time.Time
	idle   time.Duration
	abs    time.Duration

	mu    sync.Mutex
	cache map[string]*cachedSession // by id hash
}

type cachedSession struct {
	org, user, token string
	created, expires time.Time
	lastSeen         time.Time
	revoked          bool
	principal        Principal // "" Org: the user or token is gone
	until            time.Time
}

// SessionsConfig configures Sessions.
type SessionsConfig struct {
	Store  Store
	Users  *Users  // whose sessions these are (removing one ends theirs)
	Tokens *Tokens // for the sessions of API tokens
	Now    func() time.Time
	// Idle and Absolute are the timeouts; zero: IdleTimeout and
	// AbsoluteTimeout.
	Idle, Absolute time.Duration
}

// Validate reports what is missing.
func (c SessionsConfig) Validate() error {
	if c.Store == nil || c.Users == nil || c.Tokens == nil {
		return errors.New("sessions: store, users and tokens are required")
	}
	return nil
}

// NewSessions returns the sessions of the store, and tells users of it.
func NewSessions(cfg SessionsConfig) (*Sessions, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sessions{store: cfg.Store, users: cfg.Users, tokens: cfg.Tokens, now: cfg.Now,
		idle: cmpOr(cfg.Idle, IdleTimeout), abs: cmpOr(cfg.Absolute, AbsoluteTimeout), cache: map[string]*cachedSession{}}
	cfg.Users.sessions = s
	return s, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Start signs u in: a new session, its cookie on c's response (HttpOnly,
// SameSite=Lax so a sign-in provider's redirect back carries it, Secure
// over HTTPS). A session the request came with is ended first.
func (s *Sessions) Start(c echo.Context, u User) error {
	if u.Org == "" || u.ID == "" {
		return errors.New("start a session: no user")
	}
	return s.start(c, u.Org, u.ID, "")
}

// StartToken signs in with an API token (the /login#<token> link): the
// session's principal is the token's, and the cookie holds the session's
// id, never the token.
func (s *Sessions) StartToken(c echo.Context, t Token) error {
	return s.start(c, t.Org, "", t.ID)
}

func (s *Sessions) start(c echo.Context, org, user, token string) error {
	if ck, err := c.Cookie(SessionCookie); err == nil && ck.Value != "" {
		_ = s.end(c.Request().Context(), ck.Value) // no fixation: a sign-in always gets a new id
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now().UTC().Truncate(time.Millisecond)
	cs := &cachedSession{org: org, user: user, token: token, created: now, expires: now.Add(s.abs), lastSeen: now}
	if err := s.write(c.Request().Context(), hashOf(id), cs); err != nil {
		return fmt.Errorf("store the session: %w", err)
	}
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: c.Scheme() == "https",
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.abs.Seconds())})
	return nil
}

func (s *Sessions) write(ctx context.Context, hash string, cs *cachedSession) error {
	var rev uint8
	if cs.revoked {
		rev = 1
	}
	return s.store.Insert(ctx, &store.Batch{
		Table:   "ops.sessions",
		Columns: []string{"id_hash", "org_id", "user_id", "token_id", "created_at", "expires_at", "last_seen", "revoked", "version"},
		Values: []any{[]string{hash}, []string{cs.org}, []string{cs.user}, []string{cs.token}, []time.Time{cs.created},
			[]time.Time{cs.expires}, []time.Time{cs.lastSeen}, []uint8{rev}, []uint64{nextVersion(s.now())}},
	})
}

// End ends the request's session and clears its cookie.
func (s *Sessions) End(c echo.Context) error {
	ck, err := c.Cookie(SessionCookie)
	clearCookie(c)
	if err != nil || ck.Value == "" {
		return nil
	}
	return s.end(c.Request().Context(), ck.Value)
}

func (s *Sessions) end(ctx context.Context, id string) error {
	hash := hashOf(id)
	cs, err := s.read(ctx, hash)
	s.mu.Lock()
	delete(s.cache, hash)
	s.mu.Unlock()
	if err != nil || cs == nil || cs.revoked {
		return err
	}
	cs.revoked = true
	return s.write(ctx, hash, cs)
}

// EndAll ends every session of org's user id ("sign out everywhere"):
// at once in this process, within SessionCacheTTL on other replicas.
func (s *Sessions) EndAll(ctx context.Context, org, userID string) error {
	s.forgetUser(org, userID)
	return endAll(ctx, s.store, org, userID, s.now())
}

func endAll(ctx context.Context, st Store, org, userID string, now time.Time) error {
	rows, err := st.Query(ctx, store.QueryText("sessions_of_user"), store.Params{"org": org, "user": userID, "now": now.UTC()})
	if err != nil {
		return fmt.Errorf("read the sessions of %s: %w", userID, err)
	}
	n := rows.Len()
	if n == 0 {
		return nil
	}
	hashes, created, expires, seen := make([]string, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	for i := range n {
		if err := rows.Scan(i, &hashes[i], &created[i], &expires[i], &seen[i]); err != nil {
			return err
		}
	}
	fill := func(v string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	revoked, versions := make([]uint8, n), make([]uint64, n)
	for i := range n {
		revoked[i], versions[i] = 1, nextVersion(now)
	}
	return st.Insert(ctx, &store.Batch{
		Table:   "ops.sessions",
		Columns: []string{"id_hash", "org_id", "user_id", "token_id", "created_at", "expires_at", "last_seen", "revoked", "version"},
		Values:  []any{hashes, fill(org), fill(userID), fill(""), created, expires, seen, revoked, versions},
	})
}

// forgetUser drops the cached sessions of a user, so a change to them
// applies at once in this process.
func (s *Sessions) forgetUser(org, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, cs := range s.cache {
		if cs.org == org && cs.user == userID {
			delete(s.cache, h)
		}
	}
}

// read returns the session with this hash (nil when there is none).
func (s *Sessions) read(ctx context.Context, hash string) (*cachedSession, error) {
	rows, err := s.store.Query(ctx, store.QueryText("session_by_hash"), store.Params{"hash": hash})
	if err != nil {
		return nil, fmt.Errorf("read the session: %w", err)
	}
	if rows.Len() == 0 {
		return nil, nil
	}
	cs := &cachedSession{}
	var rev uint64
	if err := rows.Scan(0, &cs.org, &cs.user, &cs.token, &cs.created, &cs.expires, &cs.lastSeen, &rev); err != nil {
		return nil, err
	}
	cs.revoked = rev != 0
	return cs, nil
}

// Principal returns the principal of the request's session, or
// ErrNoSession. It writes the session's last use at most every few
// minutes.
func (s *Sessions) Principal(c echo.Context) (Principal, error) {
	ck, err := c.Cookie(SessionCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 64 {
		return Principal{}, ErrNoSession
	}
	return s.lookup(c.Request().Context(), hashOf(ck.Value))
}

func (s *Sessions) lookup(ctx context.Context, hash string) (Principal, error) {
	now := s.now()
	s.mu.Lock()
	cs, hit := s.cache[hash]
	s.mu.Unlock()
	if !hit || now.After(cs.until) {
		var err error
		if cs, err = s.read(ctx, hash); err != nil {
			return Principal{}, err
		}
		if cs == nil {
			cs = &cachedSession{revoked: true} // unknown ids are cached too: guessing costs the store nothing
		} else if !cs.revoked {
			if cs.principal, err = s.principalOf(ctx, cs); err != nil {
				return Principal{}, err
			}
		}
		cs.until = now.Add(SessionCacheTTL)
		s.mu.Lock()
		if len(s.cache) >= maxCachedSessions {
			clear(s.cache)
		}
		s.cache[hash] = cs
		s.mu.Unlock()
	}
	s.mu.Lock()
	p, revoked, expires, lastSeen := cs.principal, cs.revoked, cs.expires, cs.lastSeen
	touch := !revoked && p.Org != "" && now.Sub(lastSeen) >= touchEvery && now.Sub(lastSeen) < s.idle && now.Before(expires)
	if touch {
		cs.lastSeen = now.UTC().Truncate(time.Millisecond)
	}
	s.mu.Unlock()
	switch {
	case revoked || p.Org == "":
		return Principal{}, ErrNoSession
	case !now.Before(expires):
		return Principal{}, ErrNoSession
	case now.Sub(lastSeen) >= s.idle:
		return Principal{}, ErrNoSession
	}
	if touch {
		s.mu.Lock()
		snapshot := *cs
		s.mu.Unlock()
		if err := s.write(ctx, hash, &snapshot); err != nil {
			return Principal{}, fmt.Errorf("touch the session: %w", err)
		}
	}
	return p, nil
}

// principalOf is who a session is: its user as they are now, or its
// token; a zero Principal when they are gone.
func (s *Sessions) principalOf(ctx context.Context, cs *cachedSession) (Principal, error) {
	if cs.user != "" {
		u, _, _, err := s.users.get(ctx, cs.org, cs.user)
		if err != nil || u.ID == "" {
			return Principal{}, err
		}
		return u.Principal(), nil
	}
	tok, err := s.tokens.byID(ctx, cs.token)
	if err != nil || tok.ID == "" || tok.Org != cs.org || (tok.ExpiresAt != nil && !s.now().Before(*tok.ExpiresAt)) {
		return Principal{}, err
	}
	return TokenPrincipal(tok), nil
}

// Require returns middleware for pages: it puts the session's Principal on
// the request (auth.PrincipalOf; for a token's session auth.TokenOf too),
// and redirects a request without a live session to loginPath, which
// sends it back afterwards. A principal that may not read is 403.
func (s *Sessions) Require(loginPath string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, err := s.Principal(c)
			if errors.Is(err, ErrNoSession) {
				to := loginPath + "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
				if _, had := c.Cookie(SessionCookie); had == nil {
					clearCookie(c)
					to = loginPath + "?expired=1&next=" + url.QueryEscape(c.Request().URL.RequestURI())
				}
				return c.Redirect(http.StatusSeeOther, to)
			}
			if err != nil {
				return err
			}
			if !p.Can(PermRead) {
				return echo.NewHTTPError(http.StatusForbidden, "this token lacks the \"read\" scope; sign in with a read token")
			}
			s.put(c, p)
			return next(c)
		}
	}
}

// put puts p on the request; a token's session also answers TokenOf, for
// the code that asks which token a request came with.
func (s *Sessions) put(c echo.Context, p Principal) {
	WithPrincipal(c, p)
	if p.TokenID != "" {
		tok := Token{Org: p.Org, ID: p.TokenID, Scopes: p.Scopes}
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), ctxKey{}, tok)))
	}
}

// ReadAPI returns middleware for the read API: a bearer token with the
// read scope, as Require(t, ScopeRead) admits, or else a browser session
// whose principal may read (the pages' own calls). Neither is 401.
func (s *Sessions) ReadAPI(t *Tokens) echo.MiddlewareFunc {
	bearer := Require(t, ScopeRead)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		byToken := bearer(next)
		return func(c echo.Context) error {
			if c.Request().Header.Get(echo.HeaderAuthorization) == "" {
				if p, err := s.Principal(c); err == nil && p.Can(PermRead) {
					s.put(c, p)
					return next(c)
				} else if err != nil && !errors.Is(err, ErrNoSession) {
					return err
				}
			}
			return byToken(c)
		}
	}
}

// Identify returns middleware for a page anyone may open that shows more to
// a caller it knows: a bearer token carrying bearerScope, or a live
// session. PrincipalOf then returns who it is; anyone else passes through
// as anonymous. Only a store that cannot answer is an error.
func (s *Sessions) Identify(t *Tokens, bearerScope string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if bearer, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer "); ok {
				tok, err := t.Verify(c.Request().Context(), strings.TrimSpace(bearer))
				if err != nil && !errors.Is(err, ErrUnauthorized) {
					return err
				}
				if err == nil && tok.Allows(bearerScope) {
					s.put(c, TokenPrincipal(tok))
				}
				return next(c)
			}
			p, err := s.Principal(c)
			if err != nil && !errors.Is(err, ErrNoSession) {
				return err
			}
			if err == nil && p.Can(PermRead) {
				s.put(c, p)
			}
			return next(c)
		}
	}
}

func clearCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1,
		Secure: c.Scheme() == "https", SameSite: http.SameSiteLaxMode})
}
