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
	rest := strings.Join(strings.Split(row(map[int]string{0: "PER", 2: "8", 3: "10001234565", 4: "810001234565", 8: "DR", 9: "DUPONT", 10: "Hélène",
		13: "10", 14: "Médecin", 17: "O", 18: "CENTRE HOSPITALIER", 28: "75001", 29: "75", 30: "FR"}), "|")[2:], "|")
	for i := range n {
		fmt.Fprintf(bw, "PER|u%d@hostile.mssante.fr|%s\n", i, rest)
	}
	return bw.Flush()
}

func writeHostileZip(t *testing.T, rows int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Extraction_Correspondance_MSSante_202611220300.zip")
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
	return p
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
		return
	}
	fmt.Printf("error %v\n", err)
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
	zipPath := writeHostileZip(t, rows)
	const base, perRow = 40 << 20, 250
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
			cmd := exec.Command(os.Args[0], "-test.run=^TestLoadBudgetChild$", "-test.v")
			cmd.Env = append(os.Environ(), "ANNUAIRE_BUDGET_CHILD="+c.what,
				"ANNUAIRE_BUDGET_ROWS="+strconv.Itoa(c.rows), "ANNUAIRE_BUDGET_BYTES="+strconv.FormatInt(c.bytes, 10))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), c.want+"\n") {
				t.Fatalf("child said %s, want %q", out, c.want)
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			rss := ru.Maxrss << 10 // KiB on Linux
			cpu := ru.Utime.Nano() + ru.Stime.Nano()
			t.Logf("peak RSS %d MB (at most %d), CPU %.2f s", rss>>20, c.maxRSS>>20, float64(cpu)/1e9)
			if rss > c.maxRSS {
				t.Errorf("peak RSS %d MB, more than the budget allows (%d MB)", rss>>20, c.maxRSS>>20)
			}
		})
	}
}
