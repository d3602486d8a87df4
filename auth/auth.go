// Package auth issues and checks the API tokens that scope every API call
// to one org. A token is shown once when created; the store keeps only its
// SHA-256.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	orgpkg "github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Scopes a token can carry. Admin implies the others.
const (
	ScopeIngest = "ingest" // write data
	ScopeRead   = "read"   // read KPIs and data
	ScopeAdmin  = "admin"  // manage tokens, thresholds and settings
)

// Scopes lists every scope.
var Scopes = []string{ScopeIngest, ScopeRead, ScopeAdmin}

// Errors Verify returns.
var (
	ErrUnauthorized = errors.New("missing, malformed, unknown, revoked or expired token")
	ErrForbidden    = errors.New("token lacks the scope")
)

// Token is an API token's public part.
type Token struct {
	Org       string     `json:"org"`
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Allows reports whether the token carries scope (admin carries all).
func (t Token) Allows(scope string) bool {
	return slices.Contains(t.Scopes, scope) || slices.Contains(t.Scopes, ScopeAdmin)
}

// Store is what Tokens needs from the store.
type Store interface {
	Query(ctx context.Context, query string, params store.Params) (*store.Rows, error)
	Insert(ctx context.Context, b *store.Batch) error
}

// Tokens creates, verifies and revokes tokens. Verified tokens are cached for
// CacheTTL, so a revoked token stops working within that time.
type Tokens struct {
	store Store
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cached // by token id
}

// CacheTTL is how long a verified token is trusted without asking the store.
const CacheTTL = 30 * time.Second

const maxCached = 10_000

type cached struct {
	token Token
	hash  string
	until time.Time
}

// New returns Tokens over s. now may be nil (time.Now).
func New(s Store, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{store: s, now: now, cache: map[string]cached{}}
}

// prefix marks opsmetrics tokens, so secret scanners can find leaked ones.
const prefix = "om_"

// Create makes a token for org with the given scopes, valid for ttl (0:
// forever), and returns its plaintext, which is never stored or shown again.
func (t *Tokens) Create(ctx context.Context, org, name string, scopes []string, ttl time.Duration) (string, Token, error) {
	if org == "" {
		return "", Token{}, errors.New("a token needs an org")
	}
	if len(scopes) == 0 {
		return "", Token{}, fmt.Errorf("a token needs at least one scope (%s)", strings.Join(Scopes, ", "))
	}
	for _, s := range scopes {
		if !slices.Contains(Scopes, s) {
			return "", Token{}, fmt.Errorf("unknown scope %q (want %s)", s, strings.Join(Scopes, ", "))
		}
	}
	id, secret := make([]byte, 6), make([]byte, 24)
	if _, err := rand.Read(id); err != nil {
		return "", Token{}, err
	}
	if _, err := rand.Read(secret); err != nil {
		return "", Token{}, err
	}
	tok := Token{Org: org, ID: hex.EncodeToString(id), Name: name, Scopes: scopes, CreatedAt: t.now().UTC().Truncate(time.Millisecond)}
	if ttl > 0 {
		exp := tok.CreatedAt.Add(ttl)
		tok.ExpiresAt = &exp
	}
	plain := prefix + tok.ID + "_" + hex.EncodeToString(secret)
	if err := t.write(ctx, tok, hashOf(plain), false); err != nil {
		return "", Token{}, fmt.Errorf("store token: %w", err)
	}
	return plain, tok, nil
}

func (t *Tokens) write(ctx context.Context, tok Token, hash string, revoked bool) error {
	var del uint8
	if revoked {
		del = 1
	}
	return t.store.Insert(ctx, &store.Batch{
		Table:   "ops.api_tokens",
		Columns: []string{"org_id", "token_id", "token_hash", "name", "scopes", "created_at", "expires_at", "version", "deleted"},
		Values: []any{[]string{tok.Org}, []string{tok.ID}, []string{hash}, []string{tok.Name}, [][]string{tok.Scopes},
			[]time.Time{tok.CreatedAt}, []*time.Time{tok.ExpiresAt}, []uint64{uint64(t.now().UnixMicro())}, []uint8{del}},
	})
}

func hashOf(plain string) string {
	h := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(h[:])
}

// Verify returns the token for a plaintext, or ErrUnauthorized.
func (t *Tokens) Verify(ctx context.Context, plain string) (Token, error) {
	rest, ok := strings.CutPrefix(plain, prefix)
	id, _, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 12 {
		return Token{}, ErrUnauthorized
	}
	hash := hashOf(plain)
	now := t.now()
	c, err := t.cachedByID(ctx, id, now)
	if err != nil {
		return Token{}, err
	}
	if c.hash == "" || subtle.ConstantTimeCompare([]byte(c.hash), []byte(hash)) != 1 {
		return Token{}, ErrUnauthorized
	}
	if c.token.ExpiresAt != nil && now.After(*c.token.ExpiresAt) {
		return Token{}, ErrUnauthorized
	}
	return c.token, nil
}

// cachedByID is the token with this id as cached, read from the store
// when it is not or is older than CacheTTL.
func (t *Tokens) cachedByID(ctx context.Context, id string, now time.Time) (cached, error) {
	t.mu.Lock()
	c, hit := t.cache[id]
	t.mu.Unlock()
	if hit && !now.After(c.until) {
		return c, nil
	}
	tok, stored, err := t.load(ctx, id)
	if err != nil {
		return cached{}, err
	}
	c = cached{token: tok, hash: stored, until: now.Add(CacheTTL)}
	t.mu.Lock()
	if len(t.cache) >= maxCached { // random ids must not grow memory without bound
		clear(t.cache)
	}
	t.cache[id] = c
	t.mu.Unlock()
	return c, nil
}

// load reads a token by id; an unknown id gives an empty hash, cached like a
// known one so guessing ids costs the store nothing.
func (t *Tokens) load(ctx context.Context, id string) (Token, string, error) {
	rows, err := t.store.Query(ctx, store.QueryText("token_by_id"), store.Params{"id": id})
	if err != nil {
		return Token{}, "", err
	}
	if rows.Len() != 1 {
		return Token{}, "", nil
	}
	tok := Token{ID: id}
	var hash string
	if err := rows.Scan(0, &tok.Org, &hash, &tok.Name, &tok.Scopes, &tok.CreatedAt, &tok.ExpiresAt); err != nil {
		return Token{}, "", err
	}
	return tok, hash, nil
}

// List returns an org's live tokens without their secrets.
func (t *Tokens) List(ctx context.Context, org string) ([]Token, error) {
	rows, err := t.store.Query(ctx, store.QueryText("tokens_list"), store.Params{"org": org})
	if err != nil {
		return nil, err
	}
	out := make([]Token, rows.Len())
	for i := range out {
		out[i].Org = org
		if err := rows.Scan(i, &out[i].ID, &out[i].Name, &out[i].Scopes, &out[i].CreatedAt, &out[i].ExpiresAt); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Revoke revokes an org's token by id. Servers stop accepting it within
// CacheTTL.
func (t *Tokens) Revoke(ctx context.Context, org, id string) error {
	toks, err := t.List(ctx, org)
	if err != nil {
		return err
	}
	for _, tok := range toks {
		if tok.ID == id {
			t.mu.Lock()
			delete(t.cache, id)
			t.mu.Unlock()
			return t.write(ctx, tok, "", true)
		}
	}
	return &NoTokenError{Org: org, ID: id}
}

// NoTokenError is a token id an org does not have.
type NoTokenError struct{ Org, ID string }

func (e *NoTokenError) Error() string { return fmt.Sprintf("org %s has no token %s", e.Org, e.ID) }

type ctxKey struct{}

// Require returns middleware that admits requests with a bearer token
// carrying scope, and makes its org available through OrgOf.
func Require(t *Tokens, scope string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			plain, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
			if !ok {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="opsmetrics"`)
				return echo.NewHTTPError(401, "send an API token: Authorization: Bearer <token> (create one with `opsmetrics token create`)")
			}
			tok, err := t.Verify(c.Request().Context(), strings.TrimSpace(plain))
			if errors.Is(err, ErrUnauthorized) {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="opsmetrics", error="invalid_token"`)
				return echo.NewHTTPError(401, "the API token is unknown, revoked or expired")
			}
			if err != nil {
				return err
			}
			if !tok.Allows(scope) {
				return echo.NewHTTPError(403, fmt.Sprintf("this token lacks the %q scope", scope))
			}
			ctx := context.WithValue(c.Request().Context(), ctxKey{}, tok)
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// TokenOf returns the token Require admitted the request with.
func TokenOf(c echo.Context) (Token, bool) {
	tok, ok := c.Request().Context().Value(ctxKey{}).(Token)
	return tok, ok
}

// byID returns the live token with this id (cached as Verify caches), or
// the zero Token when there is none: a session signed in with a token ends
// when the token is revoked.
func (t *Tokens) byID(ctx context.Context, id string) (Token, error) {
	c, err := t.cachedByID(ctx, id, t.now())
	if err != nil {
		return Token{}, err
	}
	if c.hash == "" {
		return Token{}, nil
	}
	return c.token, nil
}

// CreateBy is Create, recorded in the org's audit trail (kind token) as
// done by by: the token's name, scopes and expiry, never its secret.
func (t *Tokens) CreateBy(ctx context.Context, org, name string, scopes []string, ttl time.Duration, by string) (string, Token, error) {
	plain, tok, err := t.Create(ctx, org, name, scopes, ttl)
	if err != nil {
		return "", Token{}, err
	}
	return plain, tok, orgpkg.Record(ctx, t.store, orgpkg.Change{Org: org, Who: by, Kind: orgpkg.AuditToken, Subject: tok.ID, Name: tok.Name,
		After: orgpkg.JSON(tok)})
}

// RevokeBy is Revoke, recorded in the org's audit trail as done by by.
func (t *Tokens) RevokeBy(ctx context.Context, org, id, by string) error {
	toks, err := t.List(ctx, org)
	if err != nil {
		return err
	}
	for _, tok := range toks {
		if tok.ID == id {
			if err := t.Revoke(ctx, org, id); err != nil {
				return err
			}
			return orgpkg.Record(ctx, t.store, orgpkg.Change{Org: org, Who: by, Kind: orgpkg.AuditToken, Subject: tok.ID, Name: tok.Name,
				Before: orgpkg.JSON(tok)})
		}
	}
	return fmt.Errorf("token: %w", &NoTokenError{Org: org, ID: id})
}
