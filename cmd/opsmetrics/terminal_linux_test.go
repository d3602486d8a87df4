package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// openTerminal opens a pseudo-terminal and returns its terminal side, which
// a child process sees as a real terminal (isatty is true), and its
// controller side, which the caller must keep open while the child runs.
func openTerminal(t *testing.T) (term, ctl *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ctl.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ctl.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatalf("unlock the pseudo-terminal: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ctl.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("name the pseudo-terminal: %v", e)
	}
	term, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the terminal side: %v", err)
	}
	t.Cleanup(func() { term.Close() })
	return term, ctl
}

// engineLine is a line of the embedded engine's own log, such as
// "2026.12.07 01:34:23.173380 [ 9356 ] {} <Fatal> ThreadStatus: ...".
var engineLine = regexp.MustCompile(`<(Fatal|Critical|Error|Warning|Information|Debug|Trace)>`)

// TestImportOnATerminalPrintsNoEngineLog runs `opsmetrics import` the way a
// person does, from a terminal, and checks that its stderr holds opsmetrics'
// own lines only. The engine logs to the console whenever stdin or stderr is
// a terminal, and its streamed INSERTs each log a harmless "<Fatal>
// ThreadStatus: current_thread contains invalid address" from the
// connection's worker thread, which reads like a crash.
func TestImportOnATerminalPrintsNoEngineLog(t *testing.T) {
	env := testEnv(t)
	file := filepath.Join(t.TempDir(), "harvest.csv")
	os.WriteFile(file, []byte("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n"+
		"2026-01-05,Acme Corp,Website,ACME,Design,Logo,2,Yes,No,Ana,García,Designer,Yes,150,300,60,120,United States Dollar - USD\n"), 0o644)
	term, _ := openTerminal(t)
	cmd := exec.Command(binary, "import", file, "--org", "acme")
	cmd.Env = environ(env)
	cmd.Stdin = term // the engine checks stdin and stderr; stderr stays captured here
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "time_entry") {
		t.Fatalf("no import summary:\n%s", stdout.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if engineLine.MatchString(line) {
			t.Errorf("engine log line on the user's stderr: %s", line)
		}
	}
}
