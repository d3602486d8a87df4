package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// TestTokenCreateAsDocumented runs every `opsmetrics token create ...` that
// the sign-in page and the docs tell users to type, with -h after it: the
// flag parser stops at -h (exit 0) only when every flag before it exists,
// and nothing touches a store.
func TestTokenCreateAsDocumented(t *testing.T) {
	var none nowhere
	users, _ := auth.NewUsers(auth.UsersConfig{Store: none})
	tokens := auth.New(none, nil)
	sessions, _ := auth.NewSessions(auth.SessionsConfig{Store: none, Users: users, Tokens: tokens})
	login, err := auth.NewLogin(auth.LoginConfig{Users: users, Sessions: sessions, Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	login.Register(e.Group(""))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /login: %d", rec.Code)
	}
	texts := map[string]string{"the sign-in page": rec.Body.String()}
	docs, _ := filepath.Glob("../../docs/*.md")
	for _, name := range append(docs, "../../README.md") {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(name)] = string(b)
	}
	cmdRe := regexp.MustCompile("opsmetrics token create( +--?[a-z][^`<#|\\n\\\\]*)")
	found := 0
	for where, text := range texts {
		for _, m := range cmdRe.FindAllStringSubmatch(text, -1) {
			found++
			args := append([]string{"token", "create"}, strings.Fields(m[1])...)
			var out, errb strings.Builder
			if code := run(t.Context(), append(args, "-h"), getenvFrom(nil), &out, &errb); code != 0 {
				t.Errorf("%s says `opsmetrics %s`: exit %d, %s", where, strings.Join(args, " "), code, errb.String())
			}
			for i, a := range args {
				if (a == "--scope" || a == "-scope") && i+1 < len(args) {
					for s := range strings.SplitSeq(args[i+1], ",") {
						if !slices.Contains(auth.Scopes, s) {
							t.Errorf("%s names scope %q; the scopes are %v", where, s, auth.Scopes)
						}
					}
				}
			}
		}
	}
	if found < 2 {
		t.Fatalf("found %d documented token commands; the pattern no longer matches the docs", found)
	}
}

// nowhere is a store the sign-in page's GET never reaches.
type nowhere struct{}

func (nowhere) Query(context.Context, string, store.Params) (*store.Rows, error) {
	return nil, errors.New("nowhere")
}
func (nowhere) Insert(context.Context, *store.Batch) error { return errors.New("nowhere") }

// TestTokenCreateScopeRepeated: `--scope read --scope admin` gives a token
// with both scopes, as `--scope read,admin` does. The flag once kept only
// the last one given, so the token silently lacked the others.
func TestTokenCreateScopeRepeated(t *testing.T) {
	env := testEnv(t)
	for _, args := range [][]string{
		{"--scope", "read", "--scope", "admin"},
		{"--scope", "read,admin"},
		{"--scope", "read", "--scope", "admin,read"},
	} {
		var out, errb strings.Builder
		full := append([]string{"token", "create", "--org", "acme", "--log-level", "warn"}, args...)
		if code := run(t.Context(), full, getenvFrom(env), &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d, %s", args, code, errb.String())
		}
		if !strings.Contains(errb.String(), "with scopes read,admin;") {
			t.Errorf("%v: %s", args, errb.String())
		}
	}
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"token", "create", "--org", "acme", "--log-level", "warn"}, getenvFrom(env), &out, &errb); code != 0 ||
		!strings.Contains(errb.String(), "with scopes ingest;") {
		t.Errorf("no --scope: exit %d, %s (want the default, ingest)", code, errb.String())
	}
}
