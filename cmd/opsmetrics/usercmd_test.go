package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestUserCommands: invite prints a one-time link under the public URL;
// list shows the user; the last admin's role and removal are refused naming
// them; with a second admin both work.
func TestUserCommands(t *testing.T) {
	env := testEnv(t)
	cli := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(t.Context(), append(args, "--org", "usr-cli", "--log-level", "warn"), getenvFrom(env), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := cli("user", "invite", "--email", "Ana@Example.com", "--name", "Ana", "--role", "admin", "--public-url", "https://ops.example.com/")
	if code != 0 || !regexp.MustCompile(`^https://ops\.example\.com/invite/[0-9a-f]{64}\n$`).MatchString(out) || !strings.Contains(errs, "invited Ana (ana@example.com) to org usr-cli as admin") {
		t.Fatalf("invite: %d %q %q", code, out, errs)
	}
	if code, out, _ := cli("user", "list", "--format", "csv"); code != 0 || !strings.Contains(out, ",ana@example.com,Ana,admin,invited\n") {
		t.Errorf("list: %d %q", code, out)
	}
	if code, _, errs := cli("user", "role", "ana@example.com", "viewer"); code != 1 || !strings.Contains(errs, "Ana (ana@example.com) is the last admin of org usr-cli") {
		t.Errorf("demote the last admin: %d %q", code, errs)
	}
	if code, _, errs := cli("user", "remove", "ana@example.com"); code != 1 || !strings.Contains(errs, "last admin") {
		t.Errorf("remove the last admin: %d %q", code, errs)
	}
	if code, _, errs := cli("user", "invite", "--email", "bo@example.com", "--role", "owner"); code == 0 || !strings.Contains(errs, `"owner"`) {
		t.Errorf("an unknown role: %d %q", code, errs)
	}
	cli("user", "invite", "--email", "bo@example.com", "--role", "admin")
	if code, out, errs := cli("user", "role", "ana@example.com", "viewer"); code != 0 || out != "Ana (ana@example.com) is viewer of org usr-cli\n" {
		t.Errorf("role: %d %q %q", code, out, errs)
	}
	if code, out, errs := cli("user", "logout", "ana@example.com"); code != 0 || !strings.Contains(out, "signed Ana (ana@example.com) out everywhere") {
		t.Errorf("logout: %d %q %q", code, out, errs)
	}
	if code, _, errs := cli("user", "remove", "ana@example.com"); code != 0 {
		t.Errorf("remove: %d %q", code, errs)
	}
	if code, out, _ := cli("user", "list"); code != 0 || strings.Contains(out, "ana@example.com") || !strings.Contains(out, "bo@example.com") {
		t.Errorf("list after removing Ana: %d %q", code, out)
	}
}

// TestDemoSignInLink: the demo's one-time sign-in link is on the address
// serve will be opened at (--public-url), not always localhost:8080.
func TestDemoSignInLink(t *testing.T) {
	cli := cliWith(t, testEnv(t))
	code, out, errs := cli("demo", "--months", "1", "--people", "3", "--public-url", "https://ops.example.com/")
	if code != 0 || !regexp.MustCompile(`\n  https://ops\.example\.com/invite/[0-9a-f]{64}\n`).MatchString(out) {
		t.Errorf("demo: exit %d\n%s\n%s", code, out, errs)
	}
}
