package cdakit

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the JVM die when the Go process that started it
// dies (a test binary killed at its timeout, say), rather than run on.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
