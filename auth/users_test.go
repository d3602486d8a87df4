package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/org"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

// cheap are argon2 parameters for tests that hash many passwords.
var cheap = Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// testStart is a test clock's start: today, as the sessions table's TTL
// drops rows by the engine's clock.
func testStart() time.Time {
	return time.Now().UTC().Truncate(24 * time.Hour).Add(9 * time.Hour)
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newLogin is the sign-in pages over s with cheap hashes and a clock (nil:
// time.Now).
func newLogin(t *testing.T, s *chdb.Store, tokens *Tokens, now func() time.Time) (*Login, *Users, *Sessions) {
	t.Helper()
	users, err := NewUsers(UsersConfig{Store: s, Now: now, Argon2: cheap})
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := NewSessions(SessionsConfig{Store: s, Users: users, Tokens: tokens, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	login, err := NewLogin(LoginConfig{Users: users, Sessions: sessions, Tokens: tokens, Limiter: NewLimiter(now)})
	if err != nil {
		t.Fatal(err)
	}
	return login, users, sessions
}

// TestPasswordHash: a new hash is an argon2id PHC string with the default
// parameters and a fresh salt; it verifies its password and nothing else,
// and a tampered or foreign hash verifies nothing.
func TestPasswordHash(t *testing.T) {
	h1, err := HashPassword("correct horse battery", DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPassword("correct horse battery", DefaultArgon2)
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(h1) || h1 == h2 {
		t.Fatalf("hashes %q and %q: want PHC strings with m=65536,t=3,p=2 and different salts", h1, h2)
	}
	if !VerifyPassword("correct horse battery", h1) || !VerifyPassword("correct horse battery", h2) {
		t.Error("the password does not verify against its hash")
	}
	for _, pw := range []string{"correct horse batterY", "", "correct horse battery "} {
		if VerifyPassword(pw, h1) {
			t.Errorf("%q verifies", pw)
		}
	}
	parts := strings.Split(h1, "$")
	for _, bad := range []string{"", "plain", strings.Replace(h1, "argon2id", "argon2i", 1), strings.Replace(h1, "m=65536", "m=9999999", 1),
		strings.Join(append(parts[:5:5], "AAAA"), "$"), "$2a$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUV"} {
		if VerifyPassword("correct horse battery", bad) {
			t.Errorf("hash %q verifies", bad)
		}
	}
	// Parameters travel with the hash: a cheaper one still verifies.
	if c, _ := HashPassword("correct horse battery", cheap); !strings.Contains(c, "$m=1024,t=1,p=1$") || !VerifyPassword("correct horse battery", c) {
		t.Errorf("cheap hash %q", c)
	}
	if err := CheckPassword("short one"); err == nil || !strings.Contains(err.Error(), "password: 9 characters, at least 12") {
		t.Errorf("CheckPassword(short): %v", err)
	}
}

// TestInviteAcceptSignIn: an invitation link sets the password once; a
// used, replaced or expired link says so; the password then signs in, and a
// wrong password and an unknown email give the same answer after the same
// work (one argon2id check each).
func TestInviteAcceptSignIn(t *testing.T) {
	s := openStore(t)
	ck := &clock{now: testStart()}
	_, users, _ := newLogin(t, s, New(s, ck.Now), ck.Now)
	ctx := t.Context()
	const o = "usr-invite"
	link, u, err := users.Invite(ctx, o, " Ana@Example.COM ", "Ana", RoleAdmin, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ana@example.com" || u.Role != RoleAdmin || len(link) != 64 {
		t.Fatalf("invited %+v with link %q", u, link)
	}
	if _, err := users.Accept(ctx, link, "Ana", "short"); err == nil || !strings.Contains(err.Error(), "password: 5 characters") {
		t.Errorf("a short password: %v", err)
	}
	got, err := users.Accept(ctx, link, "Ana Lima", "a long enough password")
	if err != nil || got.ID != u.ID || got.Name != "Ana Lima" {
		t.Fatalf("accept: %+v %v", got, err)
	}
	if _, err := users.Accept(ctx, link, "", "another long password"); !errors.Is(err, ErrInviteUsed) {
		t.Errorf("the link again: %v, want ErrInviteUsed", err)
	}
	if got, err := users.Authenticate(ctx, "", "ANA@example.com", "a long enough password"); err != nil || got.ID != u.ID || got.Org != o {
		t.Errorf("sign in: %+v %v", got, err)
	}
	before := users.checks.Load()
	_, wrong := users.Authenticate(ctx, "", "ana@example.com", "not the password!")
	_, unknown := users.Authenticate(ctx, "", "nobody@example.com", "not the password!")
	if !errors.Is(wrong, ErrBadCredentials) || !errors.Is(unknown, ErrBadCredentials) || wrong.Error() != unknown.Error() {
		t.Errorf("wrong password %v, unknown email %v: want the same ErrBadCredentials", wrong, unknown)
	}
	if n := users.checks.Load() - before; n != 2 {
		t.Errorf("%d argon2id checks for a wrong password and an unknown email, want 1 each", n)
	}
	// Inviting again replaces the link; a link expires after 7 days.
	b, _, _ := users.Invite(ctx, o, "bo@example.com", "Bo", RoleViewer, "ana@example.com")
	b2, _, _ := users.Invite(ctx, o, "bo@example.com", "Bo", RoleViewer, "ana@example.com")
	if _, err := users.Accept(ctx, b, "", "a long enough password"); !errors.Is(err, ErrInviteUnknown) {
		t.Errorf("the replaced link: %v, want ErrInviteUnknown", err)
	}
	if _, err := users.Authenticate(ctx, o, "bo@example.com", ""); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("a user without a password signs in: %v", err)
	}
	ck.Add(InviteTTL)
	if _, err := users.Accept(ctx, b2, "", "a long enough password"); !errors.Is(err, ErrInviteExpired) {
		t.Errorf("a link 7 days old: %v, want ErrInviteExpired", err)
	}
	// The trail has every change, and never a hash.
	log, err := org.AuditLog(ctx, s, o, org.AuditUser, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 4 {
		t.Errorf("%d audit entries, want 4 (two invitations, an acceptance, a re-invitation): %+v", len(log), log)
	}
	for _, c := range log {
		if strings.Contains(c.Before+c.After, "argon2") {
			t.Errorf("the audit trail holds a hash: %+v", c)
		}
	}
}

// TestLastAdmin: an org's last admin can be neither demoted nor removed,
// and the refusal names them; with a second admin both work, and removing
// ends the removed user's sessions.
func TestLastAdmin(t *testing.T) {
	s := openStore(t)
	_, users, sessions := newLogin(t, s, New(s, nil), nil)
	ctx := t.Context()
	const o = "usr-lastadmin"
	_, ana, _ := users.Invite(ctx, o, "ana@example.com", "Ana", RoleAdmin, "cli")
	if _, err := users.SetRole(ctx, o, "ana@example.com", RoleViewer, "cli"); err == nil || !strings.Contains(err.Error(), "Ana (ana@example.com) is the last admin of org "+o) {
		t.Errorf("demote the last admin: %v", err)
	}
	if _, err := users.Remove(ctx, o, ana.ID, "cli"); err == nil || !strings.Contains(err.Error(), "last admin") {
		t.Errorf("remove the last admin: %v", err)
	}
	if _, err := users.SetRole(ctx, o, "ana@example.com", "owner", "cli"); err == nil || !strings.Contains(err.Error(), `role: "owner" is not a role`) {
		t.Errorf("an unknown role: %v", err)
	}
	if _, err := users.SetRole(ctx, o, "nobody@example.com", RoleViewer, "cli"); err == nil || !strings.Contains(err.Error(), `no user "nobody@example.com"`) {
		t.Errorf("an unknown user: %v", err)
	}
	users.Invite(ctx, o, "bo@example.com", "Bo", RoleAdmin, "cli")
	if _, err := users.SetRole(ctx, o, "ana@example.com", RoleViewer, "cli"); err != nil {
		t.Fatal(err)
	}
	// Ana, a viewer now, has a session; removing her ends it.
	c, _ := browserCtx(nil)
	if err := sessions.Start(c, User{Org: o, ID: ana.ID}); err != nil {
		t.Fatal(err)
	}
	id := cookieOf(t, c)
	if p, err := sessions.lookup(ctx, hashOf(id)); err != nil || p.Role != RoleViewer {
		t.Fatalf("Ana's session: %+v %v", p, err)
	}
	if _, err := users.Remove(ctx, o, "Ana@example.com", "bo@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.lookup(ctx, hashOf(id)); !errors.Is(err, ErrNoSession) {
		t.Errorf("a removed user's session: %v", err)
	}
	if list, _ := users.List(ctx, o); len(list) != 1 || list[0].Email != "bo@example.com" {
		t.Errorf("users after removing Ana: %+v", list)
	}
}

// browserCtx is an echo context of a request carrying cookie (nil: none).
func browserCtx(cookie *http.Cookie) (echo.Context, *httptest.ResponseRecorder) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	return echo.New().NewContext(req, rec), rec
}

func cookieOf(t *testing.T, c echo.Context) string {
	t.Helper()
	for _, ck := range c.Response().Header().Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(ck, SessionCookie+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
				t.Errorf("session cookie %q: want HttpOnly and SameSite=Lax", ck)
			}
			return v
		}
	}
	t.Fatal("no session cookie set")
	return ""
}

// TestSessionTimeouts: a session ends after 7 days unused, and after 30
// days however much it is used; the cookie holds a random id, never a
// token, and the store only that id's hash.
func TestSessionTimeouts(t *testing.T) {
	s := openStore(t)
	ck := &clock{now: testStart()}
	tokens := New(s, ck.Now)
	_, users, sessions := newLogin(t, s, tokens, ck.Now)
	ctx := t.Context()
	const o = "usr-timeouts"
	_, ana, _ := users.Invite(ctx, o, "ana@example.com", "Ana", RoleAdmin, "cli")

	c, _ := browserCtx(nil)
	if err := sessions.Start(c, ana); err != nil {
		t.Fatal(err)
	}
	idle := cookieOf(t, c)
	if len(idle) != 43 {
		t.Errorf("session id %q: want 32 random bytes in base64url", idle)
	}
	rows, err := s.Query(ctx, "SELECT count() FROM ops.sessions WHERE id_hash = {h:String} OR id_hash = {id:String}", map[string]any{"h": hashOf(idle), "id": idle})
	if err != nil || rows.Data[0][0] != uint64(1) {
		t.Errorf("the store holds the id's hash once and never the id: %v %v", rows, err)
	}
	ck.Add(IdleTimeout - time.Minute)
	if p, err := sessions.lookup(ctx, hashOf(idle)); err != nil || p.UserID != ana.ID {
		t.Fatalf("just within the idle timeout: %+v %v", p, err)
	}
	// Used just now, so good for another 7 days, across a reread of the store.
	ck.Add(IdleTimeout - time.Minute)
	if _, err := sessions.lookup(ctx, hashOf(idle)); err != nil {
		t.Errorf("used 7 days minus a minute ago: %v", err)
	}
	ck.Add(IdleTimeout)
	if _, err := sessions.lookup(ctx, hashOf(idle)); !errors.Is(err, ErrNoSession) {
		t.Errorf("unused for 7 days: %v", err)
	}

	// Used every day, a session still ends 30 days after it started.
	c, _ = browserCtx(nil)
	sessions.Start(c, ana)
	busy := cookieOf(t, c)
	for day := 1; day < 30; day++ {
		ck.Add(24 * time.Hour)
		if _, err := sessions.lookup(ctx, hashOf(busy)); err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
	}
	ck.Add(24 * time.Hour)
	if _, err := sessions.lookup(ctx, hashOf(busy)); !errors.Is(err, ErrNoSession) {
		t.Errorf("30 days after the start: %v", err)
	}

	// A token's session ends when the token is revoked (within its cache).
	plain, tok, _ := tokens.Create(ctx, o, "browser", []string{ScopeRead}, 0)
	_ = plain
	c, _ = browserCtx(nil)
	sessions.StartToken(c, tok)
	ts := cookieOf(t, c)
	if p, err := sessions.lookup(ctx, hashOf(ts)); err != nil || p.TokenID != tok.ID || !p.Can(PermMoney) {
		t.Fatalf("token session: %+v %v", p, err)
	}
	tokens.Revoke(ctx, o, tok.ID)
	ck.Add(SessionCacheTTL + time.Second)
	if _, err := sessions.lookup(ctx, hashOf(ts)); !errors.Is(err, ErrNoSession) {
		t.Errorf("the session of a revoked token: %v", err)
	}
}

// TestSignOutEverywhere: two browsers are signed in; "sign out everywhere"
// from one ends the other's session at once in this process, and on another
// replica (its own Sessions, which had the session cached) within
// SessionCacheTTL. Signing out one browser leaves the other.
func TestSignOutEverywhere(t *testing.T) {
	s := openStore(t)
	ck := &clock{now: testStart()}
	tokens := New(s, ck.Now)
	_, users, here := newLogin(t, s, tokens, ck.Now)
	replica, err := NewSessions(SessionsConfig{Store: s, Users: users, Tokens: tokens, Now: ck.Now})
	if err != nil {
		t.Fatal(err)
	}
	users.sessions = here
	ctx := t.Context()
	const o = "usr-everywhere"
	_, ana, _ := users.Invite(ctx, o, "ana@example.com", "Ana", RoleAdmin, "cli")
	var ids []string
	for range 3 {
		c, _ := browserCtx(nil)
		here.Start(c, ana)
		ids = append(ids, cookieOf(t, c))
	}
	for _, id := range ids {
		if _, err := replica.lookup(ctx, hashOf(id)); err != nil {
			t.Fatal(err)
		}
	}
	// Browser 0 signs out: only its session ends.
	c, _ := browserCtx(&http.Cookie{Name: SessionCookie, Value: ids[0]})
	if err := here.End(c); err != nil {
		t.Fatal(err)
	}
	if _, err := here.lookup(ctx, hashOf(ids[0])); !errors.Is(err, ErrNoSession) {
		t.Errorf("a signed-out session: %v", err)
	}
	if _, err := here.lookup(ctx, hashOf(ids[1])); err != nil {
		t.Errorf("another browser's session after one signed out: %v", err)
	}
	if err := here.EndAll(ctx, o, ana.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := here.lookup(ctx, hashOf(ids[2])); !errors.Is(err, ErrNoSession) {
		t.Errorf("after sign out everywhere, here: %v", err)
	}
	ck.Add(SessionCacheTTL + time.Second)
	if _, err := replica.lookup(ctx, hashOf(ids[2])); !errors.Is(err, ErrNoSession) {
		t.Errorf("after sign out everywhere, on another replica past the cache TTL: %v", err)
	}
}

// postForm posts form to path on e with the cookies, and returns the
// recorder.
func postForm(e *echo.Echo, path string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	req.RemoteAddr = "192.0.2.7:5555"
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// csrfOf GETs path and returns the CSRF cookie and the form's token.
func csrfOf(t *testing.T, e *echo.Echo, path string) (*http.Cookie, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(rec.Body.String())
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == "opsmetrics_csrf" && m != nil {
			return ck, m[1]
		}
	}
	t.Fatalf("GET %s: no CSRF cookie and field: %d %s", path, rec.Code, rec.Body)
	return nil, ""
}

// TestLoginFormCSRFAndRateLimit: the sign-in form is refused without its
// CSRF token; five wrong passwords for one email make the sixth attempt a
// 429 with Retry-After that says when, even with the right password; after
// the window the right password signs in and clears the count.
func TestLoginFormCSRFAndRateLimit(t *testing.T) {
	s := openStore(t)
	ck := &clock{now: testStart()}
	login, users, _ := newLogin(t, s, New(s, ck.Now), ck.Now)
	ctx := t.Context()
	const o = "usr-ratelimit"
	link, _, _ := users.Invite(ctx, o, "rate@example.com", "Rate", RoleViewer, "cli")
	if _, err := users.Accept(ctx, link, "", "the right password"); err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.IPExtractor = echo.ExtractIPDirect()
	login.Register(e.Group(""), CSRF(false))
	good := url.Values{"email": {"rate@example.com"}, "password": {"the right password"}, "next": {"/margin"}}
	if rec := postForm(e, "/login", good); rec.Code != http.StatusBadRequest {
		t.Errorf("a sign-in without its CSRF token: %d, want 400", rec.Code)
	}
	csrf, tok := csrfOf(t, e, "/login")
	forged := url.Values{"_csrf": {"forged"}}
	for k, v := range good {
		forged[k] = v
	}
	if rec := postForm(e, "/login", forged, csrf); rec.Code != http.StatusForbidden {
		t.Errorf("a sign-in with a wrong CSRF token: %d, want 403", rec.Code)
	}
	with := func(v url.Values) url.Values {
		out := url.Values{"_csrf": {tok}}
		for k, vs := range v {
			out[k] = vs
		}
		return out
	}
	bad := url.Values{"email": {"rate@example.com"}, "password": {"a wrong password"}}
	for i := range 4 {
		if rec := postForm(e, "/login", with(bad), csrf); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "do not match") {
			t.Fatalf("wrong password %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	// The right password clears the count: four more failures are allowed.
	if rec := postForm(e, "/login", with(good), csrf); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/margin" {
		t.Fatalf("the right password: %d %s", rec.Code, rec.Header())
	}
	for i := range 5 {
		if rec := postForm(e, "/login", with(bad), csrf); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d after a success: %d", i+1, rec.Code)
		}
	}
	ck.Add(time.Minute)
	rec := postForm(e, "/login", with(good), csrf)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "840" ||
		!strings.Contains(rec.Body.String(), "Too many failed sign-ins for rate@example.com or from your address. Try again in 14 minutes (at 09:15:00 UTC)") {
		t.Fatalf("the sixth attempt: %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	ck.Add(14 * time.Minute)
	if rec := postForm(e, "/login", with(good), csrf); rec.Code != http.StatusSeeOther {
		t.Errorf("after the window: %d %s", rec.Code, rec.Body)
	}
	// 20 failures from one address within a minute, across emails: 429.
	for i := range 20 {
		postForm(e, "/login", with(url.Values{"email": {"x" + strings.Repeat("y", i) + "@example.com"}, "password": {"nope nope nope"}}), csrf)
	}
	if rec := postForm(e, "/login", with(good), csrf); rec.Code != http.StatusTooManyRequests {
		t.Errorf("after 20 failures from one address: %d, want 429", rec.Code)
	}
}
