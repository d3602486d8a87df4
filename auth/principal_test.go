package auth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestRolesAndScopes(t *testing.T) {
	// Margin and rates: partners and admins only; users: admins only.
	for role, want := range map[string]bool{RoleAdmin: true, RolePartner: true, RoleOps: false, RoleSales: false, RoleViewer: false} {
		if got := (Principal{UserID: "u", Role: role}).Can(PermMoney); got != want {
			t.Errorf("%s can see money: %v, want %v", role, got, want)
		}
	}
	if (Principal{UserID: "u", Role: RolePartner}).Can(PermUsers) || !(Principal{UserID: "u", Role: RoleAdmin}).Can(PermUsers) {
		t.Error("only admins manage users")
	}
	if (Principal{UserID: "u", Role: "owner"}).Can(PermRead) {
		t.Error("an unknown role may read")
	}
	read := TokenPrincipal(Token{ID: "t", Scopes: []string{ScopeRead}})
	if !read.Can(PermMoney) || read.Can(PermSettings) || !TokenPrincipal(Token{Scopes: []string{ScopeAdmin}}).Can(PermUsers) {
		t.Error("token scopes: read reads (money too), admin does everything")
	}
	if TokenPrincipal(Token{Scopes: []string{ScopeIngest}}).Can(PermRead) {
		t.Error("an ingest token reads")
	}
}

func TestCSRF(t *testing.T) {
	e := echo.New()
	e.Use(CSRF(false))
	e.GET("/form", func(c echo.Context) error { return c.String(200, string(CSRFInput(c))) })
	e.POST("/form", func(c echo.Context) error { return c.String(200, "saved") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/form", nil))
	cookie := rec.Result().Cookies()[0]
	_, tok, _ := strings.Cut(rec.Body.String(), `value="`)
	tok, _, _ = strings.Cut(tok, `"`)
	post := func(form url.Values, bearer bool) int {
		req := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(form.Encode()))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
		req.AddCookie(cookie)
		if bearer {
			req.Header.Set(echo.HeaderAuthorization, "Bearer x")
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post(url.Values{}, false); code != http.StatusBadRequest && code != http.StatusForbidden {
		t.Errorf("a form without its CSRF token: %d", code)
	}
	// The refusal says what to do, not which header echo looked in.
	req := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(""))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	req.AddCookie(cookie)
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if body := rec.Body.String(); strings.Contains(body, "header") || !strings.Contains(body, "reload the page") {
		t.Errorf("a form without its CSRF token is told %q", body)
	}
	if code := post(url.Values{CSRFField: {"forged"}}, false); code != http.StatusForbidden {
		t.Errorf("a forged CSRF token: %d", code)
	}
	if code := post(url.Values{CSRFField: {tok}}, false); code != http.StatusOK {
		t.Errorf("the form's own token: %d", code)
	}
	if code := post(url.Values{}, true); code != http.StatusOK {
		t.Errorf("a machine with a bearer token: %d", code)
	}
}
