//go:build linux

package annuaire_test

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/limit"
)

// hostileRows writes n valid rows that differ only by their address: the
// text compresses about 50 to 1, so a small ZIP inflates to millions of
// rows (the case of issue 16: 23 MB inflating to 7.8 million rows).
func hostileRows(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(header() + "\n")
	rest := "|" + strings.Join(strings.Split(row(map[int]string{0: "PER", 2: "8", 3: "10001234565", 4: "810001234565", 8: "DR", 9: "DUPONT", 10: "Hélène",
		13: "10", 14: "Médecin", 17: "O", 18: "CENTRE HOSPITALIER", 28: "75001", 29: "75", 30: "FR"}), "|")[2:], "|") + "\n"
	var line []byte
	for i := range n {
		line = append(append(strconv.AppendInt(append(line[:0], "PER|u"...), int64(i), 10), "@hostile.mssante.fr"...), rest...)
		bw.Write(line)
	}
	return bw.Flush()
}

func writeHostileZip(t *testing.T, p string, rows int) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	w, err := zw.Create("Extraction_Correspondance_MSSante_202611220300.txt")
	if err == nil {
		err = hostileRows(w, rows)
	}
	if err == nil {
		err = zw.Close()
	}
	if e := f.Close(); err == nil {
		err = e
	}
	if err != nil {
		t.Fatal(err)
	}
}

// endless is an extraction that never ends.
type endless struct {
	pending []byte
	i       int
}

func (e *endless) Read(p []byte) (int, error) {
	if len(e.pending) == 0 {
		if e.i == 0 {
			e.pending = []byte(header() + "\n")
		}
		for len(e.pending) < 1<<16 {
			e.pending = fmt.Appendf(e.pending, "ORG|s%d@endless.mssante.fr||||1|1750712184|||||||||||O|CLINIQUE|||||||||75001|75|FR|\n", e.i)
			e.i++
		}
	}
	n := copy(p, e.pending)
	e.pending = e.pending[n:]
	return n, nil
}

// TestLoadBudgetChild is the child process of TestLoadBudget: it loads
// what the environment says and prints the error.
func TestLoadBudgetChild(t *testing.T) {
	what := os.Getenv("ANNUAIRE_BUDGET_CHILD")
	if what == "" {
		t.Skip("run by TestLoadBudget")
	}
	if path, ok := strings.CutPrefix(what, "gen:"); ok {
		rows, _ := strconv.Atoi(os.Getenv("ANNUAIRE_BUDGET_ROWS"))
		writeHostileZip(t, path, rows)
		return
	}
	rows, _ := strconv.Atoi(os.Getenv("ANNUAIRE_BUDGET_ROWS"))
	maxBytes, _ := strconv.ParseInt(os.Getenv("ANNUAIRE_BUDGET_BYTES"), 10, 64)
	opts := &annuaire.LoadOptions{MaxRows: rows, MaxBytes: maxBytes}
	var err error
	if what == "endless" {
		_, err = annuaire.LoadIndex(context.Background(), &endless{}, opts)
	} else {
		_, err = annuaire.LoadIndexFile(context.Background(), what, opts)
	}
	var le *limit.Error
	if errors.As(err, &le) {
		fmt.Printf("limit %s %d\n", le.Limit, le.Max)
	} else {
		fmt.Printf("error %v\n", err)
	}
	// The peak RSS of this process since its exec. The parent cannot take it
	// from rusage: Linux keeps in a child's ru_maxrss the high-water mark of
	// the address space it had before exec, and Go starts children sharing
	// the parent's (vfork), so that would be the parent's.
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			fmt.Printf("hwm %s\n", strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
}

// TestLoadBudget loads hostile extractions in child processes: a ZIP of
// valid rows that differ only by their address (small, it inflates to
// millions of rows), and an endless text. Each must stop with a
// *limit.Error naming its budget, and the peak memory of the process must
// stay under what the budget allows: the test process itself plus about
// 250 bytes a row (the index, and the key hashes kept until the chains are
// built), a byte budget allowing one row per 90 bytes of text.
func TestLoadBudget(t *testing.T) {
	rows := 1_000_000
	if !testing.Short() {
		rows = 3_000_000 // more than DefaultMaxRows
	}
	child := os.Args[0]
	if raceFactor > 1 {
		// The race detector multiplies memory and time: the child is built
		// without it.
		child = filepath.Join(t.TempDir(), "annuaire.test")
		if out, err := exec.Command("go", "test", "-c", "-o", child, ".").CombinedOutput(); err != nil {
			t.Fatalf("go test -c: %v\n%s", err, out)
		}
	}
	runChild := func(env ...string) (*exec.Cmd, string) {
		cmd := exec.Command(child, "-test.run=^TestLoadBudgetChild$", "-test.v")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return cmd, string(out)
	}
	zipPath := filepath.Join(t.TempDir(), "Extraction_Correspondance_MSSante_202611220300.zip")
	runChild("ANNUAIRE_BUDGET_CHILD=gen:"+zipPath, "ANNUAIRE_BUDGET_ROWS="+strconv.Itoa(rows))
	const base, perRow = 30 << 20, 250
	type budgetCase struct {
		name, what string // what: a file, or "endless"
		rows       int
		bytes      int64
		want       string // the child's output
		maxRSS     int64
	}
	cases := []budgetCase{
		{"rows", zipPath, 150_000, 0, "limit row count 150000", base + 150_000*perRow},
		{"bytes", "endless", 0, 24 << 20, fmt.Sprintf("limit size %d", 24<<20), base + (24<<20)/90*perRow},
		{"declared size", zipPath, 0, 8 << 20, fmt.Sprintf("limit size %d", 8<<20), base},
	}
	if !testing.Short() {
		cases = append(cases, budgetCase{"default rows", zipPath, 0, 0, fmt.Sprintf("limit row count %d", annuaire.DefaultMaxRows), base + annuaire.DefaultMaxRows*perRow})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd, out := runChild("ANNUAIRE_BUDGET_CHILD="+c.what,
				"ANNUAIRE_BUDGET_ROWS="+strconv.Itoa(c.rows), "ANNUAIRE_BUDGET_BYTES="+strconv.FormatInt(c.bytes, 10))
			if !strings.Contains(out, c.want+"\n") {
				t.Fatalf("child said %s, want %q", out, c.want)
			}
			var rss int64
			if i := strings.Index(out, "hwm "); i >= 0 {
				kb, _ := strconv.ParseInt(strings.Fields(out[i+4:])[0], 10, 64)
				rss = kb << 10
			}
			if rss == 0 {
				t.Fatalf("the child gave no peak RSS: %s", out)
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			cpu := ru.Utime.Nano() + ru.Stime.Nano()
			t.Logf("peak RSS %d MB (at most %d), CPU %.2f s", rss>>20, c.maxRSS>>20, float64(cpu)/1e9)
			if rss > c.maxRSS {
				t.Errorf("peak RSS %d MB, more than the budget allows (%d MB)", rss>>20, c.maxRSS>>20)
			}
		})
	}
}
