package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// TestOrgSettings: the CLI sets some settings and leaves the others; the API
// reads them with a read token, changes them only with an admin token of the
// same org, and answers mistakes with a 400 naming the field and value.
func TestOrgSettings(t *testing.T) {
	env := testEnv(t)
	cli := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(t.Context(), append(args, "--org", "settings", "--log-level", "warn"), getenvFrom(env), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := cli("org", "set", "--time-zone", "Europe/Berlin", "--workdays", "mon-thu", "--grace-days", "2", "--stuck-review-hours", "24"); code != 0 ||
		!strings.Contains(out, "Europe/Berlin") || !strings.Contains(out, "mon,tue,wed,thu") {
		t.Fatalf("org set: %d %s %s", code, out, errs)
	}
	// A second set changes only what it names.
	code, out, errs := cli("org", "set", "--business-hours", "08:30-16:00", "--format", "json")
	var got map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("org set: %d %s %s", code, out, errs)
	}
	want := map[string]any{"id": "settings", "name": "settings", "time_zone": "Europe/Berlin", "currency": "", "workdays": "mon,tue,wed,thu",
		"business_hours": "08:30-16:00", "grace_days": float64(2), "overhead_per_hour": "0", "stuck_review_hours": float64(24)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if code, _, errs := cli("org", "set", "--time-zone", "Mars/Base"); code != 2 || !strings.Contains(errs, `time_zone "Mars/Base"`) {
		t.Errorf("a bad time zone: %d %s", code, errs)
	}
	if code, _, errs := cli("org", "set"); code != 2 || !strings.Contains(errs, "at least one setting") {
		t.Errorf("nothing to set: %d %s", code, errs)
	}

	read, admin := createToken(t, env, "settings", "read"), createToken(t, env, "settings", "admin")
	other := createToken(t, env, "settings-other", "admin")
	base, stop := serveInProcess(t, env)
	defer stop()
	do := func(method, token, body string) (int, string) {
		code, _, reply := apptest.Send(t, method, base+"/api/v1/org", token, body, "Content-Type", "application/json")
		return code, reply
	}
	if code, body := do(http.MethodGet, read, ""); code != 200 || !strings.Contains(body, `"time_zone":"Europe/Berlin"`) {
		t.Errorf("GET: %d %s", code, body)
	}
	if code, body := do(http.MethodPut, read, `{"grace_days":3}`); code != 403 {
		t.Errorf("PUT with a read token: %d %s", code, body)
	}
	code, body := do(http.MethodPut, admin, `{"name":"Settings & Co","overhead_per_hour":12.5,"currency":"eur"}`)
	got = nil
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil || got["name"] != "Settings & Co" || got["overhead_per_hour"] != "12.5" ||
		got["currency"] != "EUR" || got["grace_days"] != float64(2) {
		t.Errorf("PUT: %d %s", code, body)
	}
	// Another org's admin token changes its own org, not this one.
	if code, body := do(http.MethodPut, other, `{"grace_days":9}`); code != 200 || !strings.Contains(body, `"id":"settings-other"`) {
		t.Errorf("PUT of the other org: %d %s", code, body)
	}
	if _, body := do(http.MethodGet, read, ""); !strings.Contains(body, `"grace_days":2`) {
		t.Errorf("after the other org's PUT: %s", body)
	}
	for bad, want := range map[string]string{
		`{"workdays":"funday"}`:            `workdays \"funday\"`,
		`{"business_hours":"9-5"}`:         `business_hours \"9-5\"`,
		`{"grace_days":-1}`:                `grace_days \"-1\"`,
		`{"stuck_review_hours":0}`:         `stuck_review_hours \"0\"`,
		`{"overhead_per_hour":"-3"}`:       "must not be negative",
		`{"currency":"dollars please"}`:    "unknown currency",
		`{"colour":"blue"}`:                "unknown field",
		`{"name":""}`:                      "1 to 200 characters",
		`[]`:                               "want a JSON object",
		`null`:                             "got null, not an object",
		`"grace_days"`:                     "got a string, not an object",
		`{"grace_days":1}{"grace_days":3}`: "a second JSON value at byte 16",
		`{"grace_days":1} x`:               "a second JSON value at byte 17",
		``:                                 "empty",
	} {
		if code, body := do(http.MethodPut, admin, bad); code != 400 || !strings.Contains(body, want) {
			t.Errorf("PUT %s: %d %s, want 400 with %s", bad, code, body, want)
		}
	}
	// None of them changed anything; one object and a newline is fine.
	if _, body := do(http.MethodGet, read, ""); !strings.Contains(body, `"grace_days":2`) {
		t.Errorf("after refused PUTs: %s", body)
	}
	if code, body := do(http.MethodPut, admin, "{\"grace_days\":4}\r\n"); code != 200 || !strings.Contains(body, `"grace_days":4`) {
		t.Errorf("PUT of one object and a newline: %d %s", code, body)
	}
}

// TestServeRejectsBadPublicURL: --public-url must be an http(s) URL; the
// mistake is named before anything starts.
func TestServeRejectsBadPublicURL(t *testing.T) {
	for _, bad := range []string{"ops.example.com", "ftp://ops.example.com", "https://", "https://ops.example.com/?x=1"} {
		var out, errb strings.Builder
		code := run(t.Context(), []string{"serve", "--public-url", bad}, getenvFrom(testEnv(t)), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "--public-url") {
			t.Errorf("%q: exit %d, %s", bad, code, errb.String())
		}
	}
}

// TestPublicURLTrimmed: serve hands app.Run --public-url without its
// trailing slash (the alert texts append /margin to it).
func TestPublicURLTrimmed(t *testing.T) {
	for raw, want := range map[string]string{"": "", "https://ops.example.com/": "https://ops.example.com",
		"http://ops.example.com/opsmetrics/": "http://ops.example.com/opsmetrics", "https://ops.example.com": "https://ops.example.com"} {
		if got, err := parsePublicURL(raw); err != nil || got != want {
			t.Errorf("parsePublicURL(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
}

// TestOrgShowUnknown: `org show` of an org that nothing ever created is an
// error naming it, with the close ids, not the default settings and exit 0.
func TestOrgShowUnknown(t *testing.T) {
	env := testEnv(t)
	cli := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(t.Context(), append(args, "--log-level", "warn"), getenvFrom(env), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := cli("org", "set", "--org", "acme", "--name", "Acme"); code != 0 {
		t.Fatalf("org set: %d %s %s", code, out, errs)
	}
	if code, out, errs := cli("org", "show", "--org", "acme"); code != 0 || !strings.Contains(out, "Acme") {
		t.Errorf("org show of a known org: %d %s %s", code, out, errs)
	}
	code, out, errs := cli("org", "show", "--org", "acmee")
	if code != 2 || out != "" || !strings.Contains(errs, `"acmee"`) || !strings.Contains(errs, "acme") {
		t.Errorf("org show of an unknown org: exit %d, stdout %q, stderr %q; want 2 naming it and the close id", code, out, errs)
	}
}
