// Package oidc signs people in through an OpenID Connect provider (Google
// Workspace, Microsoft Entra ID, or any provider with discovery): the
// authorization code flow with PKCE, a state and a nonce, and the ID token
// verified by github.com/coreos/go-oidc. The provider vouches for an email;
// opsmetrics then looks that email up among its users and never creates
// one: a person must be invited first.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/opsmetrics/opsmetrics/auth"
)

// Users finds the users an email is, one per org (auth/users.go).
type Users interface {
	ByEmail(ctx context.Context, email string) ([]auth.User, error)
}

// Sessions starts a browser session for a user (auth/sessions.go).
type Sessions interface {
	Start(c echo.Context, u auth.User) error
}

// Paths of the sign-in flow.
const (
	LoginPath    = "/login/oidc"          // GET ?next=: to the provider
	CallbackPath = "/login/oidc/callback" // GET: back from the provider
	ChoosePath   = "/login/oidc/org"      // POST: the org chosen by a person in several
)

// Config configures the sign-in. ClientSecret is never logged or shown
// (LogValue leaves it out).
type Config struct {
	// Issuer is the provider's issuer URL: https://accounts.google.com, or
	// for Entra the tenant's https://login.microsoftonline.com/{tenant id}/v2.0
	// (never /common or /organizations: their tokens are not checkable
	// against one issuer, and they admit any tenant's accounts).
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is <public URL>/login/oidc/callback, registered with
	// the provider.
	RedirectURL string
	// Name is shown on the sign-in button and pages ("Google"); "" names
	// the provider after the issuer's host.
	Name string
	// Domains, when set, are the only email domains admitted (lower case,
	// such as example.com).
	Domains []string

	Users    Users
	Sessions Sessions
	// OrgName names an org on the page that chooses one; nil shows ids.
	OrgName func(ctx context.Context, id string) string
	Logger  *slog.Logger
	// HTTPClient talks to the provider; nil: one with a 15 s timeout.
	HTTPClient *http.Client
	// Now is the clock the ID token's expiry is checked against; nil: time.Now.
	Now func() time.Time
}

// LogValue leaves the client secret out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("issuer", c.Issuer), slog.String("client_id", c.ClientID),
		slog.String("redirect_url", c.RedirectURL), slog.String("name", c.Name), slog.Any("domains", c.Domains))
}

// Validate reports the first field that is missing or malformed, naming
// it as the serve flag that sets it.
func (c *Config) Validate() error {
	iss, err := url.Parse(c.Issuer)
	switch {
	case c.Issuer == "":
		return errors.New("--oidc-issuer: missing")
	case err != nil || iss.Host == "" || (iss.Scheme != "https" && !isLoopback(iss.Hostname())):
		return fmt.Errorf("--oidc-issuer %q: want an https URL such as https://accounts.google.com", c.Issuer)
	case iss.Hostname() == "login.microsoftonline.com" && entraShared(iss.Path):
		return fmt.Errorf("--oidc-issuer %q: use the tenant's own issuer, https://login.microsoftonline.com/<tenant id>/v2.0 (Entra, Overview, Tenant ID); /common and /organizations admit every tenant", c.Issuer)
	case c.ClientID == "":
		return errors.New("--oidc-client-id: missing")
	case c.ClientSecret == "":
		return errors.New("--oidc-client-secret-file: missing or empty")
	case c.Users == nil || c.Sessions == nil:
		return errors.New("oidc: users and sessions are required")
	case c.Logger == nil:
		return errors.New("oidc: no logger")
	}
	ru, err := url.Parse(c.RedirectURL)
	if c.RedirectURL == "" || err != nil || ru.Host == "" || (ru.Scheme != "https" && ru.Scheme != "http") || ru.Path != CallbackPath {
		return fmt.Errorf("redirect URL %q: want <--public-url>%s, so set --public-url", c.RedirectURL, CallbackPath)
	}
	for _, d := range c.Domains {
		if d == "" || strings.ContainsAny(d, "@/ ") || d != strings.ToLower(d) || !strings.Contains(d, ".") {
			return fmt.Errorf("--oidc-domains: %q is not a lower-case domain such as example.com", d)
		}
	}
	return nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func entraShared(path string) bool {
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch strings.ToLower(first) {
	case "common", "organizations", "consumers":
		return true
	}
	return false
}

// ReadSecret reads a client secret from file, trimmed; an empty file is
// an error naming it.
func ReadSecret(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--oidc-client-secret-file: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("--oidc-client-secret-file %s: empty", file)
	}
	return s, nil
}

// Handler serves the sign-in flow. Discovery happens at the first
// sign-in, and again after a failed one, so opsmetrics starts while the
// provider is unreachable.
type Handler struct {
	cfg    Config
	secure bool // the redirect URL is https: cookies are Secure
	pick   []byte

	mu       sync.Mutex
	provider *gooidc.Provider
}

// New returns the handler of cfg, or cfg's Validate error.
func New(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = DefaultName(cfg.Issuer)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, secure: strings.HasPrefix(cfg.RedirectURL, "https://")}
	h.pick = pickKey(cfg.ClientSecret)
	return h, nil
}

// Name is the provider's name for the sign-in button ("Google").
func (h *Handler) Name() string { return h.cfg.Name }

// DefaultName names a provider after its issuer: Google, Microsoft, or
// the issuer's host.
func DefaultName(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return issuer
	}
	switch host := u.Hostname(); {
	case host == "accounts.google.com":
		return "Google"
	case host == "login.microsoftonline.com" || strings.HasSuffix(host, ".ciamlogin.com"):
		return "Microsoft"
	default:
		return host
	}
}

// Register adds the flow's routes to g, each with mw: LoginPath,
// CallbackPath and ChoosePath. mw must hold auth.CSRF (the choose form is
// checked by it). Middleware goes on each route, not on g, because a
// group's middleware makes it answer every unknown path as well.
func (h *Handler) Register(g *echo.Group, mw ...echo.MiddlewareFunc) {
	g.GET(LoginPath, h.login, mw...)
	g.GET(CallbackPath, h.callback, mw...)
	g.POST(ChoosePath, h.choose, mw...)
}

func (h *Handler) discover(ctx context.Context) (*gooidc.Provider, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.provider != nil {
		return h.provider, nil
	}
	ctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, h.cfg.HTTPClient), 15*time.Second)
	defer cancel()
	p, err := gooidc.NewProvider(ctx, h.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	h.provider = p
	return p, nil
}

func (h *Handler) oauth(p *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: h.cfg.ClientID, ClientSecret: h.cfg.ClientSecret, RedirectURL: h.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{gooidc.ScopeOpenID, "email", "profile"}}
}

// login starts the flow: a fresh state, nonce and PKCE verifier go into
// the flow cookie, and their public halves to the provider.
func (h *Handler) login(c echo.Context) error {
	p, err := h.discover(c.Request().Context())
	if err != nil {
		h.cfg.Logger.Warn("oidc_discovery_failed", "issuer", h.cfg.Issuer, "err", err)
		return h.page(c, http.StatusBadGateway, pageData{Title: "Cannot reach " + h.cfg.Name,
			Message: "opsmetrics could not read " + h.cfg.Name + "'s sign-in settings at " + h.cfg.Issuer + ". Try again in a minute; if it persists, tell your admin."})
	}
	f := flow{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(), Next: auth.SafeNext(c.QueryParam("next"))}
	if err := h.setFlow(c, f); err != nil {
		return err
	}
	opts := []oauth2.AuthCodeOption{gooidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)}
	if len(h.cfg.Domains) == 1 && DefaultName(h.cfg.Issuer) == "Google" {
		opts = append(opts, oauth2.SetAuthURLParam("hd", h.cfg.Domains[0])) // Google's account chooser shows that domain's accounts
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusFound, h.oauth(p).AuthCodeURL(f.State, opts...))
}

// callback finishes the flow: the state, the code exchanged with the PKCE
// verifier, the ID token's signature, issuer, audience, expiry and nonce,
// then the email, its domain and the users it is.
func (h *Handler) callback(c echo.Context) error {
	f, ok := h.takeFlow(c)
	if !ok {
		return h.page(c, http.StatusBadRequest, pageData{Title: "Sign-in expired",
			Message: "This sign-in was not started in this browser in the last 10 minutes. Start again."})
	}
	q := c.QueryParams()
	if e := q.Get("error"); e != "" {
		msg := h.cfg.Name + " did not sign you in (" + e + ")."
		if d := q.Get("error_description"); d != "" {
			msg = h.cfg.Name + " did not sign you in: " + d
		}
		return h.page(c, http.StatusUnauthorized, pageData{Title: "Not signed in", Message: msg})
	}
	if !equal(q.Get("state"), f.State) {
		return h.page(c, http.StatusBadRequest, pageData{Title: "Sign-in refused",
			Message: "The answer from " + h.cfg.Name + " does not belong to the sign-in this browser started (the state differs). Start again."})
	}
	ctx := c.Request().Context()
	p, err := h.discover(ctx)
	if err != nil {
		h.cfg.Logger.Warn("oidc_discovery_failed", "issuer", h.cfg.Issuer, "err", err)
		return h.page(c, http.StatusBadGateway, pageData{Title: "Cannot reach " + h.cfg.Name, Message: "Try again in a minute."})
	}
	xctx := gooidc.ClientContext(ctx, h.cfg.HTTPClient)
	tok, err := h.oauth(p).Exchange(xctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		h.cfg.Logger.Warn("oidc_exchange_failed", "issuer", h.cfg.Issuer, "err", err)
		return h.page(c, http.StatusBadGateway, pageData{Title: "Sign-in failed",
			Message: h.cfg.Name + " did not accept the sign-in code. Start again; if it persists, your admin should check the client id and secret."})
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return h.page(c, http.StatusBadGateway, pageData{Title: "Sign-in failed", Message: h.cfg.Name + " sent no ID token. Start again."})
	}
	idt, err := p.Verifier(&gooidc.Config{ClientID: h.cfg.ClientID, Now: h.cfg.Now}).Verify(xctx, raw)
	if err != nil {
		var expired *gooidc.TokenExpiredError
		msg := "The ID token from " + h.cfg.Name + " did not check out (its signature, issuer or audience). Start again."
		if errors.As(err, &expired) {
			msg = "The ID token from " + h.cfg.Name + " had expired at " + expired.Expiry.UTC().Format(time.RFC3339) + ". Check this computer's clock, then start again."
		}
		h.cfg.Logger.Info("oidc_token_refused", "err", err)
		return h.page(c, http.StatusUnauthorized, pageData{Title: "Sign-in refused", Message: msg})
	}
	if !equal(idt.Nonce, f.Nonce) {
		return h.page(c, http.StatusUnauthorized, pageData{Title: "Sign-in refused",
			Message: "The ID token from " + h.cfg.Name + " was not made for this sign-in (the nonce differs). Start again."})
	}
	var cl claims
	if err := idt.Claims(&cl); err != nil {
		return h.page(c, http.StatusBadGateway, pageData{Title: "Sign-in failed", Message: "The ID token's claims are not readable: " + err.Error()})
	}
	email, why := cl.email()
	if why != "" {
		return h.page(c, http.StatusForbidden, pageData{Title: "Sign-in refused", Message: why})
	}
	if !h.domainAllowed(email) {
		return h.page(c, http.StatusForbidden, pageData{Title: "Sign-in refused", Email: email,
			Message: "opsmetrics admits only accounts of " + strings.Join(h.cfg.Domains, ", ") + ", and " + email + " is not one. Sign in with your work account."})
	}
	return h.signIn(c, email, auth.SafeNext(f.Next), "")
}

// signIn starts the session of the user email is, or asks which org when
// it is several (org, when given, is the one chosen).
func (h *Handler) signIn(c echo.Context, email, next, org string) error {
	users, err := h.cfg.Users.ByEmail(c.Request().Context(), email)
	if err != nil {
		return fmt.Errorf("look up user %s: %w", email, err)
	}
	if len(users) == 0 {
		return h.page(c, http.StatusForbidden, pageData{Title: "No opsmetrics account", Email: email,
			Message: email + " has no opsmetrics account. Ask an admin of your organization for an invitation to that email, then sign in again."})
	}
	if org != "" {
		i := slices.IndexFunc(users, func(u auth.User) bool { return u.Org == org })
		if i < 0 {
			return h.page(c, http.StatusForbidden, pageData{Title: "Sign-in refused", Email: email,
				Message: email + " is not a user of the organization " + org + ". Choose another, or ask its admin for an invitation."})
		}
		users = users[i : i+1]
	}
	if len(users) == 1 {
		h.clearPick(c)
		if err := h.cfg.Sessions.Start(c, users[0]); err != nil {
			return fmt.Errorf("start session of %s in %s: %w", email, users[0].Org, err)
		}
		if org == "" {
			// The callback is a navigation the provider started: a browser
			// would not send a SameSite=Strict session cookie on a redirect
			// from it, even to this site, so this page moves on itself.
			return h.page(c, http.StatusOK, pageData{Title: "Signed in", Next: next})
		}
		return c.Redirect(http.StatusSeeOther, next)
	}
	if err := h.setPick(c, pick{Email: email, Next: next, Until: h.cfg.Now().Add(flowTTL).Unix()}); err != nil {
		return err
	}
	d := pageData{Title: "Choose an organization", Email: email, CSRF: auth.CSRFInput(c), Action: ChoosePath}
	for _, u := range users {
		name := u.Org
		if h.cfg.OrgName != nil {
			name = h.cfg.OrgName(c.Request().Context(), u.Org)
		}
		d.Orgs = append(d.Orgs, orgChoice{ID: u.Org, Name: name, Role: u.Role})
	}
	return h.page(c, http.StatusOK, d)
}

// choose signs in to the org chosen on the page signIn showed; the pick
// cookie (signed) says which email the provider vouched for.
func (h *Handler) choose(c echo.Context) error {
	p, ok := h.readPick(c)
	if !ok {
		return h.page(c, http.StatusBadRequest, pageData{Title: "Sign-in expired",
			Message: "Choosing an organization must follow a sign-in in this browser within 10 minutes. Start again."})
	}
	org := c.FormValue("org")
	if org == "" {
		return h.page(c, http.StatusUnprocessableEntity, pageData{Title: "Choose an organization", Email: p.Email,
			Message: "org: choose one of the organizations."})
	}
	return h.signIn(c, p.Email, p.Next, org)
}

func (h *Handler) domainAllowed(email string) bool {
	if len(h.cfg.Domains) == 0 {
		return true
	}
	_, domain, _ := strings.Cut(email, "@")
	return slices.Contains(h.cfg.Domains, domain)
}

// claims are the ID token's claims opsmetrics reads.
type claims struct {
	Email             string    `json:"email"`
	EmailVerified     *flexBool `json:"email_verified"`
	PreferredUsername string    `json:"preferred_username"`
	UPN               string    `json:"upn"`
	TenantID          string    `json:"tid"`
	HostedDomain      string    `json:"hd"`
}

// email is the email the provider vouches for, lower case, or why none.
//
// A provider that sends email_verified (Google) vouches for email only
// when it is true. Entra sends no email_verified: its tokens (they carry
// tid, the tenant) give email, else preferred_username, else upn, when it
// is an email. Those are set by the tenant's admins, and the issuer is the
// tenant's own (Validate refuses /common), so only accounts of that tenant
// sign in. Any other provider without email_verified is refused.
func (cl claims) email() (string, string) {
	switch {
	case cl.EmailVerified != nil:
		if !*cl.EmailVerified {
			return "", "Your account's email " + cl.Email + " is not verified by the provider. Verify it there, then sign in again."
		}
		if e, ok := emailOf(cl.Email); ok {
			return e, ""
		}
		return "", "The provider vouched for no usable email (email " + strconvQuote(cl.Email) + ")."
	case cl.TenantID != "":
		for _, v := range []string{cl.Email, cl.PreferredUsername, cl.UPN} {
			if e, ok := emailOf(v); ok {
				return e, ""
			}
		}
		return "", "Your Microsoft account has no email (email, preferred_username and upn are empty or not emails). Ask your admin to set one."
	default:
		return "", "The provider does not say whether " + strconvQuote(cl.Email) + " is verified (no email_verified claim), so opsmetrics cannot trust it."
	}
}

func emailOf(s string) (string, bool) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") {
		return "", false
	}
	return strings.ToLower(s), true
}

func strconvQuote(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// flexBool reads a JSON boolean, or "true"/"false" as some providers send.
type flexBool bool

func (b *flexBool) UnmarshalJSON(p []byte) error {
	switch string(p) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`:
		*b = false
	default:
		return fmt.Errorf("email_verified: %s is not a boolean", p)
	}
	return nil
}
