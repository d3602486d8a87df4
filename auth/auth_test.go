package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chdbtest.Close()
	os.Exit(code)
}

func openStore(t *testing.T) *chdb.Store { return chdbtest.Shared(t) }

func TestTokens(t *testing.T) {
	s := openStore(t)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tokens := New(s, clock)
	ctx := t.Context()

	plain, tok, err := tokens.Create(ctx, "acme", "ci", []string{ScopeIngest}, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, "om_"+tok.ID+"_") || len(plain) < 40 {
		t.Fatalf("token %q", plain)
	}
	got, err := tokens.Verify(ctx, plain)
	if err != nil || got.Org != "acme" || !got.Allows(ScopeIngest) || got.Allows(ScopeRead) {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	// A fresh Tokens (another server) verifies from the store, not the cache.
	if got, err := New(s, clock).Verify(ctx, plain); err != nil || got.Org != "acme" {
		t.Fatalf("fresh Verify = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "om_", plain + "x", strings.Replace(plain, tok.ID, "000000000000", 1), "Bearer " + plain} {
		if _, err := New(s, clock).Verify(ctx, bad); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("Verify(%q) = %v, want ErrUnauthorized", bad, err)
		}
	}
	now = now.Add(25 * time.Hour)
	if _, err := New(s, clock).Verify(ctx, plain); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("expired token: %v", err)
	}

	admin, _, err := tokens.Create(ctx, "globex", "", []string{ScopeAdmin}, 0)
	if err != nil {
		t.Fatal(err)
	}
	list, err := tokens.List(ctx, "globex")
	if err != nil || len(list) != 1 || !list[0].Allows(ScopeRead) {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if err := tokens.Revoke(ctx, "acme", list[0].ID); err == nil {
		t.Error("an org revoked another org's token")
	}
	if err := tokens.Revoke(ctx, "globex", list[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := New(s, clock).Verify(ctx, admin); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("revoked token: %v", err)
	}
	if _, _, err := tokens.Create(ctx, "acme", "", []string{"root"}, 0); err == nil {
		t.Error("unknown scope accepted")
	}
}

func TestRequire(t *testing.T) {
	s := openStore(t)
	tokens := New(s, nil)
	ingest, _, _ := tokens.Create(t.Context(), "acme", "", []string{ScopeIngest}, 0)
	read, _, _ := tokens.Create(t.Context(), "acme", "", []string{ScopeRead}, 0)
	e := echo.New()
	e.POST("/x", func(c echo.Context) error {
		tok, _ := TokenOf(c)
		return c.String(200, tok.Org)
	}, Require(tokens, ScopeIngest))
	cases := []struct {
		header string
		status int
	}{
		{"", 401},
		{"Bearer nope", 401},
		{"Basic " + ingest, 401},
		{"Bearer " + read, 403},
		{"Bearer " + ingest, 200},
	}
	for _, c := range cases {
		req := httptest.NewRequest(http.MethodPost, "/x", nil)
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Errorf("%.20q: %d, want %d", c.header, rec.Code, c.status)
		}
		if c.status == 200 && rec.Body.String() != "acme" {
			t.Errorf("org %q", rec.Body.String())
		}
	}
}
