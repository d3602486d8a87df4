package oidc

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// flowTTL bounds a sign-in: the flow and pick cookies last this long.
const flowTTL = 10 * time.Minute

const (
	flowCookie = "opsmetrics_oidc"
	pickCookie = "opsmetrics_oidc_pick"
)

// flow is what a sign-in keeps in the browser between LoginPath and
// CallbackPath. It holds nothing the provider does not see anyway but the
// PKCE verifier, which only proves this browser started the flow.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
}

// setFlow puts f in an HttpOnly cookie. SameSite=Lax, not Strict: the
// provider's redirect back is a cross-site navigation, and a Strict cookie
// would not come with it.
func (h *Handler) setFlow(c echo.Context, f flow) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: flowCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: LoginPath,
		MaxAge: int(flowTTL.Seconds()), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

// takeFlow reads the flow cookie and deletes it: a callback is used once.
func (h *Handler) takeFlow(c echo.Context) (flow, bool) {
	ck, err := c.Cookie(flowCookie)
	if err != nil {
		return flow{}, false
	}
	c.SetCookie(&http.Cookie{Name: flowCookie, Path: LoginPath, MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	var f flow
	if err != nil || json.Unmarshal(b, &f) != nil || f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return flow{}, false
	}
	return f, true
}

// pick is the email the provider vouched for, while its person chooses an
// org. It is signed (HMAC-SHA256 with a key derived from the client
// secret, so every replica agrees): a person can choose among their own
// orgs only.
type pick struct {
	Email string `json:"e"`
	Next  string `json:"next"`
	Until int64  `json:"u"` // Unix seconds
}

func pickKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("opsmetrics oidc org choice v1"))
	return m.Sum(nil)
}

func (h *Handler) sign(payload string) string {
	m := hmac.New(sha256.New, h.pick)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (h *Handler) setPick(c echo.Context, p pick) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{Name: pickCookie, Value: payload + "." + h.sign(payload), Path: LoginPath,
		MaxAge: int(flowTTL.Seconds()), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteStrictMode})
	return nil
}

func (h *Handler) readPick(c echo.Context) (pick, bool) {
	ck, err := c.Cookie(pickCookie)
	if err != nil {
		return pick{}, false
	}
	payload, mac, ok := strings.Cut(ck.Value, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(h.sign(payload))) {
		return pick{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	var p pick
	if err != nil || json.Unmarshal(b, &p) != nil || p.Email == "" || h.cfg.Now().Unix() > p.Until {
		return pick{}, false
	}
	return p, true
}

func (h *Handler) clearPick(c echo.Context) {
	if _, err := c.Cookie(pickCookie); err == nil {
		c.SetCookie(&http.Cookie{Name: pickCookie, Path: LoginPath, MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteStrictMode})
	}
}

// randomString is 32 random bytes, base64url: a state or a nonce.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// equal compares in constant time; "" equals nothing.
func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

type orgChoice struct{ ID, Name, Role string }

type pageData struct {
	Provider, Title, Message, Email string
	Action                          string
	Next                            string // signed in: where the page moves on to
	CSRF                            template.HTML
	Orgs                            []orgChoice
}

var page = template.Must(template.New("oidc").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · opsmetrics</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/assets/app.css">{{with .Next}}
<meta http-equiv="refresh" content="0;url={{.}}">{{end}}</head>
<body><main class="narrow"><h1>{{.Title}}</h1>
{{with .Message}}<p class="err" role="alert">{{.}}</p>{{end}}
{{if .Orgs}}<p>{{.Email}} is a user of several organizations. Which one do you want to open?</p>
<form method="post" action="{{.Action}}">{{.CSRF}}
<fieldset><legend>Organization</legend>
{{range $i, $o := .Orgs}}<label><input type="radio" name="org" value="{{$o.ID}}"{{if eq $i 0}} checked{{end}}> {{$o.Name}}{{if ne $o.Name $o.ID}} ({{$o.ID}}){{end}}, {{$o.Role}}</label><br>
{{end}}</fieldset>
<button type="submit">Continue</button></form>
{{else if .Next}}<p><a href="{{.Next}}">Continue</a></p>
{{else}}<p><a href="/login">Back to sign in</a></p>{{end}}
</main></body></html>`))

func (h *Handler) page(c echo.Context, status int, d pageData) error {
	d.Provider = h.cfg.Name
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	hd.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(status)
	return page.Execute(c.Response(), d)
}
