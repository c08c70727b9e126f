//go:build unix

package hostile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Usage is what a child process cost, from its rusage.
type Usage struct {
	MaxRSS   int64         // peak resident set, bytes
	CPU      time.Duration // user + system
	Wall     time.Duration
	ExitCode int
	Stdout   string // the first 64 KiB
	Stderr   string // the first 64 KiB
}

// Run runs cmd to its end, feeding it stdin (nil: no input) and keeping the
// start of its output, and returns what it cost. A stdin larger than what
// the child reads is cut when the child exits (the pipe breaks): that is how
// a command that refuses its input early is measured on a huge input
// without writing it to disk. When stdin is an io.Closer (an *io.PipeReader
// fed by a generator) it is closed then, so that the generator stops too.
func Run(cmd *exec.Cmd, stdin io.Reader) (Usage, error) {
	var out, errOut capped
	cmd.Stdout, cmd.Stderr = &out, &errOut
	var in io.WriteCloser
	if stdin != nil {
		var err error
		if in, err = cmd.StdinPipe(); err != nil {
			return Usage{}, err
		}
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Usage{}, err
	}
	if in != nil {
		go func() {
			io.Copy(in, stdin) // ends with EPIPE when the child stops reading
			in.Close()
			if c, ok := stdin.(io.Closer); ok {
				c.Close()
			}
		}()
	}
	err := cmd.Wait()
	u := Usage{Wall: time.Since(start), Stdout: out.String(), Stderr: errOut.String()}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return u, err
	}
	st := cmd.ProcessState
	u.ExitCode = st.ExitCode()
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		u.MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
		u.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return u, nil
}

// capped keeps the first 64 KiB written to it.
type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := 64<<10 - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// launchEnv, when set in the environment of a test binary, makes Launch run
// the command it names (JSON) and print its Usage (JSON) instead of testing.
const launchEnv = "HOSTILE_LAUNCH"

// Launch is called from an init function of the test package: in a child
// started by RunIsolated it runs the measured command and exits.
func Launch() {
	spec := os.Getenv(launchEnv)
	if spec == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(spec), &args); err != nil || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "hostile: bad launch spec:", err)
		os.Exit(3)
	}
	os.Unsetenv(launchEnv)
	cmd := exec.Command(args[0], args[1:]...)
	var stdin io.Reader
	if st, err := os.Stdin.Stat(); err == nil && st.Mode()&os.ModeCharDevice == 0 {
		stdin = os.Stdin
	}
	u, err := Run(cmd, stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(3)
	}
	json.NewEncoder(os.Stdout).Encode(u)
	os.Exit(0)
}

// RunIsolated runs args (a command and its arguments) as Run does, from a
// fresh copy of the current test binary: on Linux a child inherits, in its
// peak RSS, the resident set of the process that forked it (the kernel
// keeps the larger of the two when the child calls exec), so a test process
// that holds generated inputs would inflate every figure. The copy (see
// Launch) holds nothing but the Go runtime.
func RunIsolated(args []string, stdin io.Reader) (Usage, error) {
	spec, err := json.Marshal(args)
	if err != nil {
		return Usage{}, err
	}
	self, err := os.Executable()
	if err != nil {
		return Usage{}, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), launchEnv+"="+string(spec))
	outer, err := Run(cmd, stdin)
	if err != nil {
		return outer, err
	}
	var u Usage
	if err := json.Unmarshal([]byte(outer.Stdout), &u); err != nil {
		return outer, fmt.Errorf("hostile: launcher: %v (%s%s)", err, outer.Stdout, outer.Stderr)
	}
	return u, nil
}
