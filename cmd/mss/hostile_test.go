//go:build unix

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/hostile"
	"github.com/mssante-go/sdk/limit"
	"github.com/mssante-go/sdk/mssante/xdm"
)

// TestHostileInputsStayWithinBudget runs the attacks of issue 16 against
// the mss binary, each in a child process, and checks its peak RSS and CPU
// time (rusage) against the budget that applies plus a margin for the Go
// runtime. The inputs are generated here (internal/hostile). The binary is
// built without the race detector, whose shadow memory would distort the
// figures; MSS_HOSTILE_BIN names another binary to measure (an older
// revision: its figures are logged, the assertions then say what it lacks)
// and MSS_HOSTILE_RUN, a regular expression, selects cases by name.
// docs/benchmarks.md reports the figures.
func TestHostileInputsStayWithinBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mss and inflates hundreds of MiB")
	}
	bin := os.Getenv("MSS_HOSTILE_BIN")
	if bin == "" {
		bin = buildMss(t)
	}
	dir := t.TempDir()
	big, err := hostile.NewEntry(400 << 20) // the 400 MiB entry of the issue
	if err != nil {
		t.Fatal(err)
	}
	mid, err := hostile.NewEntry(200 << 20) // fits the message budget once, not twice
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, gen func(io.Writer) error) string {
		t.Helper()
		var b bytes.Buffer
		if err := gen(&b); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	archive := func(e *hostile.Entry, n int) []byte {
		var b bytes.Buffer
		if err := hostile.XDM(&b, e, n); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	fromFile := func(name string, b []byte) string {
		return write(name, func(w io.Writer) error { _, err := w.Write(b); return err })
	}
	one := fromFile("one.zip", archive(big, 1))
	x10 := archive(big, 10)
	x200 := fromFile("x200.zip", archive(big, 200))
	x5000 := fromFile("x5000.zip", archive(big, 5000))    // METADATA.XML just under its 8 MiB limit
	x20000 := fromFile("x20000.zip", archive(big, 20000)) // the ~32 MiB that the old limit allowed
	email10 := write("ten-archives.eml", func(w io.Writer) error { return hostile.Email(w, x10, 10) })
	emailBig := write("one-big.eml", func(w io.Writer) error { return hostile.Email(w, archive(big, 1), 1) })
	emailMid := write("one-mid.eml", func(w io.Writer) error { return hostile.Email(w, archive(mid, 1), 1) })
	if st, _ := os.Stat(email10); st != nil {
		t.Logf("e-mail with 10 archives × 10 listings of 400 MiB: %.1f MB", float64(st.Size())/1e6)
	}

	const (
		MiB       = 1 << 20
		goRuntime = 96 * MiB // the Go runtime, the binary, buffers
	)
	cases := []struct {
		name   string
		args   []string
		stdin  func() io.Reader
		code   int    // expected exit code
		stderr string // expected in the output
		maxRSS int64
		maxCPU time.Duration
	}{
		{name: "xdm verify, 1 listing of 400 MiB (honest, streamed)", args: []string{"xdm", "verify", one},
			code: 0, maxRSS: goRuntime, maxCPU: 8 * time.Second},
		{name: "xdm verify, 200 listings of 400 MiB", args: []string{"xdm", "verify", x200},
			code: 1, stderr: limit.ArchiveBudget, maxRSS: goRuntime, maxCPU: 2 * time.Second},
		{name: "xdm verify, 5,000 listings (METADATA.XML of 8 MB)", args: []string{"xdm", "verify", x5000},
			code: 1, stderr: limit.ArchiveBudget, maxRSS: 12*xdm.DefaultMaxMetadataSize + goRuntime, maxCPU: 2 * time.Second},
		{name: "xdm verify, 20,000 listings (METADATA.XML of 32 MB)", args: []string{"xdm", "verify", x20000},
			code: 1, stderr: limit.EntrySize, maxRSS: goRuntime, maxCPU: 1 * time.Second},
		{name: "message inspect, 10 archives × 10 listings of 400 MiB", args: []string{"message", "inspect", email10},
			code: 0, maxRSS: goRuntime, maxCPU: 3 * time.Second},
		{name: "message lint, 10 archives × 10 listings of 400 MiB", args: []string{"message", "lint", email10},
			code: 1, maxRSS: goRuntime, maxCPU: 3 * time.Second},
		{name: "message inspect, 1 listing of 400 MiB", args: []string{"message", "inspect", emailBig},
			code: 1, stderr: limit.MessageBudget, maxRSS: goRuntime, maxCPU: 2 * time.Second},
		{name: "message inspect, 1 listing of 200 MiB (within the budget, kept)", args: []string{"message", "inspect", emailMid},
			code: 0, maxRSS: limit.DefaultMessageBudget + goRuntime, maxCPU: 6 * time.Second},
		{name: "receipt mdn, 1 GiB on standard input", args: []string{"receipt", "mdn", "-", "--from", "dpi@hopital.mssante.fr"},
			stdin: func() io.Reader { return generated(func(w io.Writer) error { return hostile.Message(w, 1<<30) }) },
			code:  1, stderr: "size", maxRSS: 64*MiB + goRuntime, maxCPU: 3 * time.Second},
	}
	only := regexp.MustCompile(os.Getenv("MSS_HOSTILE_RUN"))
	for _, c := range cases {
		if !only.MatchString(c.name) {
			continue
		}
		var stdin io.Reader
		if c.stdin != nil {
			stdin = c.stdin()
		}
		u, err := hostile.RunIsolated(append([]string{bin}, c.args...), stdin)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%s: exit %d, peak RSS %d MiB, CPU %v, wall %v", c.name, u.ExitCode, u.MaxRSS/MiB,
			u.CPU.Round(10*time.Millisecond), u.Wall.Round(10*time.Millisecond))
		if u.ExitCode != c.code || !strings.Contains(u.Stdout+u.Stderr, c.stderr) {
			t.Errorf("%s: exit %d, want %d with %q in:\n%s%s", c.name, u.ExitCode, c.code, c.stderr, u.Stdout, u.Stderr)
		}
		if u.MaxRSS > c.maxRSS {
			t.Errorf("%s: peak RSS %d MiB, budget %d MiB", c.name, u.MaxRSS/MiB, c.maxRSS/MiB)
		}
		if u.CPU > c.maxCPU {
			t.Errorf("%s: CPU %v, budget %v", c.name, u.CPU, c.maxCPU)
		}
	}
}

func init() { hostile.Launch() } // the child of hostile.RunIsolated

// generated returns a reader of what gen writes, produced as it is read.
func generated(gen func(io.Writer) error) io.Reader {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(gen(pw)) }()
	return pr
}

// buildMss builds the command without the race detector.
func buildMss(t *testing.T) string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Fatal("the go command is needed to build mss:", err)
		}
	}
	out := filepath.Join(t.TempDir(), "mss")
	cmd := exec.Command(goBin, "build", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}
