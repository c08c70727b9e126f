// Package scripts_test tests the shell scripts of scripts/.
package scripts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

// runDeps sources deps.sh (which then does not run its main) and runs a
// shell snippet with its functions, a fake bin folder first in PATH.
func runDeps(t *testing.T, env []string, snippet string) string {
	t.Helper()
	bash := testenv.LookPath(t, "bash")
	cmd := exec.Command(bash, "-c", "set -euo pipefail; source ./deps.sh; "+snippet)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", snippet, err, out)
	}
	return string(out)
}

// fakeBin puts recording stand-ins for the service tools in a folder and
// returns the PATH that finds them first and the log they write.
func fakeBin(t *testing.T) (path, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "calls.log")
	for _, name := range []string{"systemctl", "invoke-rc.d", "update-rc.d"} {
		script := "#!/bin/sh\necho \"" + name + " $*\" >> " + log + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return "PATH=" + dir + ":" + os.Getenv("PATH"), log
}

func calls(t *testing.T, log string) string {
	b, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func TestServicesOf(t *testing.T) {
	got := runDeps(t, nil, `for p in postfix dovecot-imapd dovecot-lmtpd postgresql postgresql-15 postgresql-client libxml2-utils; do echo "$p=$(services_of $p)"; done`)
	want := "postfix=postfix\ndovecot-imapd=dovecot\ndovecot-lmtpd=dovecot\npostgresql=postgresql\npostgresql-15=postgresql\npostgresql-client=\nlibxml2-utils=\n"
	if got != want {
		t.Errorf("services_of:\n%s\nwant\n%s", got, want)
	}
}

// On a systemd host, the services are disabled and stopped at once.
func TestQuietServicesSystemd(t *testing.T) {
	path, log := fakeBin(t)
	out := runDeps(t, []string{path, "DEPS_SYSTEMD_DIR=" + t.TempDir()}, "quiet_services postfix dovecot postgresql")
	want := "systemctl disable --now postfix.service\nsystemctl disable --now dovecot.service\nsystemctl disable --now postgresql.service\n"
	if got := calls(t, log); got != want {
		t.Errorf("calls:\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(out, "stopping and disabling the system postfix service") {
		t.Errorf("no message: %q", out)
	}
}

// On a SysV host, each service that has an init script is stopped and its
// start links disabled.
func TestQuietServicesSysV(t *testing.T) {
	path, log := fakeBin(t)
	tmp := t.TempDir()
	initd := filepath.Join(tmp, "init.d")
	comm := filepath.Join(tmp, "comm")
	if err := os.MkdirAll(initd, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(initd, "postfix"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(comm, []byte("init\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runDeps(t, []string{path, "DEPS_SYSTEMD_DIR=/nonexistent", "DEPS_PROC1_COMM=" + comm, "DEPS_INITD=" + initd}, "quiet_services postfix dovecot")
	want := "invoke-rc.d postfix stop\nupdate-rc.d postfix disable\n" // dovecot: no init script, nothing to do
	if got := calls(t, log); got != want {
		t.Errorf("calls:\n%s\nwant\n%s", got, want)
	}
}

// In a container without an init system nothing starts services: nothing to do.
func TestQuietServicesContainer(t *testing.T) {
	path, log := fakeBin(t)
	comm := filepath.Join(t.TempDir(), "comm")
	if err := os.WriteFile(comm, []byte("bash\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runDeps(t, []string{path, "DEPS_SYSTEMD_DIR=/nonexistent", "DEPS_PROC1_COMM=" + comm}, "quiet_services postfix dovecot")
	if got := calls(t, log); got != "" {
		t.Errorf("calls in a container: %q", got)
	}
}
