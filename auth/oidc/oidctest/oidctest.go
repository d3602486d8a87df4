// Package oidctest is a local OpenID Connect provider for tests:
// discovery, JWKS, an /authorize that signs in at once and a /token that
// checks the client, the code and its PKCE verifier and answers an RS256 ID
// token with the claims a test sets.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Provider is a local OpenID Connect provider: discovery, JWKS, an
// /authorize that signs in at once and redirects back with a code, and a
// /token that checks the client, the code and its PKCE verifier and
// answers an RS256 ID token.
type Provider struct {
	// URL is the issuer.
	URL string

	t   testing.TB
	srv *httptest.Server
	key *rsa.PrivateKey

	mu sync.Mutex
	// claims are the ID token's claims besides iss, aud, exp, iat and nonce.
	claims map[string]any
	// tweak changes the final claims (a wrong nonce, audience, expiry).
	tweak func(map[string]any)
	// state, when set, replaces the state sent back.
	state string
	codes map[string]grant
	// authorize is the last /authorize query.
	authorize url.Values
}

type grant struct{ nonce, challenge, redirect string }

// The client the provider knows.
const ClientID, ClientSecret = "opsmetrics-test", "s3cret-never-shown"

// New starts a provider for the test.
func New(t testing.TB) *Provider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &Provider{t: t, key: key, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": f.srv.URL, "authorization_endpoint": f.srv.URL + "/authorize",
			"token_endpoint": f.srv.URL + "/token", "jwks_uri": f.srv.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.authorize = q
		if q.Get("client_id") != ClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
			http.Error(w, "bad authorize request "+q.Encode(), http.StatusBadRequest)
			return
		}
		code := "code-" + q.Get("state")[:8]
		f.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
		state := q.Get("state")
		if f.state != "" {
			state = f.state
		}
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {state}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.FormValue("client_id"), r.FormValue("client_secret")
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		g, found := f.codes[r.FormValue("code")]
		delete(f.codes, r.FormValue("code")) // a code is used once
		sum := sha256.Sum256([]byte(r.FormValue("code_verifier")))
		switch {
		case id != ClientID || secret != ClientSecret:
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		case !found || g.redirect != r.FormValue("redirect_uri"):
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			http.Error(w, `{"error":"invalid_grant","error_description":"PKCE"}`, http.StatusBadRequest)
			return
		}
		now := time.Now()
		cl := map[string]any{"iss": f.srv.URL, "aud": ClientID, "sub": "subject-1", "iat": now.Unix(),
			"exp": now.Add(time.Hour).Unix(), "nonce": g.nonce}
		for k, v := range f.claims {
			cl[k] = v
		}
		if f.tweak != nil {
			f.tweak(cl)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": f.sign(cl)})
	})
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

func (f *Provider) sign(claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: f.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		f.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// Set makes the ID tokens' claims (besides iss, aud, exp, iat and nonce)
// and a tweak of the final claims (nil: none).
func (f *Provider) Set(claims map[string]any, tweak func(map[string]any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.claims, f.tweak = claims, tweak
}

// SetState makes /authorize send back state instead of the one it was given.
func (f *Provider) SetState(state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state = state
}

// LastAuthorize is the last /authorize request's query.
func (f *Provider) LastAuthorize() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.authorize
}
