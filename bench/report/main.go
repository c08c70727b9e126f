// Command report runs every benchmark section of bench/ in one go and writes
// docs/benchmarks.md from what they print: `make bench-compare` runs it.
//
// Each section is a script bench/NAME/compare.sh following the contract of
// bench/README.md: it prints one Markdown fragment on stdout (a "## " heading
// first), progress on stderr, and appends one JSON line per figure to
// $BENCH_RESULTS. The sections run one after the other in a fixed order, all
// with the same BENCH_RESULTS file. The document gets a header (the machine as
// the system reports it, the date, the load average at the start and the end),
// a table of contents and the fragments in order; docs/benchmarks/results.json
// gets the JSON lines with the machine and the date. A section whose script is
// missing, fails or breaks the contract is reported in the document and on
// stderr, the others still run, and the command exits with status 1.
//
// Environment:
//
//	BENCH_QUICK=1       pass QUICK=1 to every script (smallest inputs, 2 rounds:
//	                    a smoke test, not a measurement)
//	BENCH_ONLY="a b"    run only these sections
//	BENCH_OUT=DIR       write DIR/benchmarks.md and DIR/benchmarks/results.json
//	                    (default: docs/ for a full run; a new temporary directory
//	                    under BENCH_QUICK or BENCH_ONLY, which may not write to
//	                    docs/: the document is always one whole run)
//
// Check mode: does the committed document still hold?
//
//	go run ./bench/report -check [OLD.json] NEW.json [-tolerance 15] [-report-only]
//
// compares the figures of a fresh run (NEW, e.g. written by BENCH_OUT=/tmp/run2
// make bench-compare to /tmp/run2/benchmarks/results.json) with the committed
// ones (OLD, default docs/benchmarks/results.json), keyed by section, case, side
// and metric. A figure holds when NEW's median is within OLD's stated spread
// (min–max) or within the tolerance (percent of OLD's median); counts and sizes
// (-exact: allocs_per_op, archive_bytes, mailboxes) get no tolerance, since a
// change there is a real difference. It prints a Markdown report (the figures
// outside the spread, then the counts, the figures only in one run) and exits
// with status 1 when a figure is outside both, unless -report-only.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// sections are the scripts bench/NAME/compare.sh, in the order they run and
// appear in the document.
var sections = []string{"gobench", "xdm", "cda", "message", "annuaire", "transport", "delivery", "serve"}

// config is one run of the generator.
type config struct {
	Root     string   // the module's root: bench/ and docs/ are under it
	Sections []string // names under bench/, in order
	Quick    bool     // QUICK=1 for every script
	OutDir   string   // benchmarks.md and benchmarks/results.json go here
	Stdout   io.Writer
	Stderr   io.Writer
	Now      func() time.Time
}

// outcome is what one section gave.
type outcome struct {
	Name     string
	Script   string // relative to the root
	Fragment string // the script's stdout, when it can be included
	Missing  bool   // the script does not exist
	Problems []string
	Head     []string // first lines of its stdout, when it is not included
	Tail     []string // last lines of its stderr
	Results  []json.RawMessage
	Seconds  float64
}

func (o *outcome) ok() bool { return len(o.Problems) == 0 }

func main() {
	opts, err := parseArgs(os.Args[1:], defaultOldPath(), os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "bench/report:", err)
		os.Exit(2)
	}
	if opts.Check {
		os.Exit(runCheck(opts, os.Stdout, os.Stderr))
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/report:", err)
		os.Exit(2)
	}
	cfg := config{
		Root:     root,
		Sections: sections,
		Quick:    os.Getenv("BENCH_QUICK") != "" && os.Getenv("BENCH_QUICK") != "0",
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Now:      time.Now,
	}
	only := strings.Fields(os.Getenv("BENCH_ONLY"))
	if len(only) > 0 {
		cfg.Sections, err = pick(sections, only)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/report:", err)
			os.Exit(2)
		}
	}
	cfg.OutDir, err = outDir(root, os.Getenv("BENCH_OUT"), cfg.Quick || len(only) > 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/report:", err)
		os.Exit(2)
	}
	failed, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/report:", err)
		os.Exit(2)
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "bench/report: %d section(s) missing or failed (see above): the document says which; do not commit it as a measurement\n", failed)
		os.Exit(1)
	}
}

// moduleRoot is the nearest directory upwards holding go.mod and bench/lib.sh.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "bench", "lib.sh")) {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod with bench/lib.sh here or above: run from the SDK's checkout")
		}
		dir = up
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// pick returns the sections named in only, in the fixed order.
func pick(all, only []string) ([]string, error) {
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var out []string
	for _, n := range all {
		if want[n] {
			out = append(out, n)
			delete(want, n)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("BENCH_ONLY: no section %q (sections: %s)", n, strings.Join(all, " "))
	}
	return out, nil
}

// outDir is where the document goes: BENCH_OUT, else docs/ for a full run, else
// a new temporary directory. A partial or quick run never writes docs/.
func outDir(root, env string, partial bool) (string, error) {
	docs := filepath.Join(root, "docs")
	if env == "" {
		if !partial {
			return docs, nil
		}
		return os.MkdirTemp("", "bench-report-")
	}
	abs, err := filepath.Abs(env)
	if err != nil {
		return "", err
	}
	if partial && abs == docs {
		return "", errors.New("BENCH_QUICK or BENCH_ONLY with BENCH_OUT=docs: docs/benchmarks.md is only written by a whole run")
	}
	return abs, nil
}

// run runs the sections and writes the document; it returns the number of
// sections missing or failed.
func run(cfg config) (int, error) {
	start := cfg.Now().UTC()
	machine := shellLine(cfg.Root, "bench_machine")
	loadStart := shellLine(cfg.Root, "bench_load")
	commit := strings.TrimSpace(output(cfg.Root, "git", "describe", "--always", "--dirty"))
	if commit == "" {
		commit = "unknown"
	}
	fmt.Fprintf(cfg.Stderr, "bench/report: %s\nbench/report: %s UTC, load %s, sections: %s\n",
		machine, start.Format("2006-01-02 15:04"), loadStart, strings.Join(cfg.Sections, " "))

	tmp, err := os.MkdirTemp("", "bench-results-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	resultsFile := filepath.Join(tmp, "results.jsonl")
	if err := os.WriteFile(resultsFile, nil, 0o644); err != nil {
		return 0, err
	}

	var outs []*outcome
	failed := 0
	for _, name := range cfg.Sections {
		o := runSection(cfg, name, resultsFile)
		outs = append(outs, o)
		if o.ok() {
			fmt.Fprintf(cfg.Stderr, "bench/report: %s done in %.0f s\n", name, o.Seconds)
		} else {
			failed++
			fmt.Fprintf(cfg.Stderr, "bench/report: SECTION %s: %s\n", name, strings.Join(o.Problems, "; "))
		}
	}
	end := cfg.Now().UTC()
	loadEnd := shellLine(cfg.Root, "bench_load")

	h := header{
		Start: start, End: end, Machine: machine, Commit: commit,
		LoadStart: loadStart, LoadEnd: loadEnd, Quick: cfg.Quick,
		Partial: len(cfg.Sections) < len(sections),
	}
	doc := render(h, outs)
	mdPath := filepath.Join(cfg.OutDir, "benchmarks.md")
	jsonPath := filepath.Join(cfg.OutDir, "benchmarks", "results.json")
	if err := os.MkdirAll(filepath.Dir(jsonPath), 0o755); err != nil {
		return failed, err
	}
	if err := os.WriteFile(mdPath, []byte(doc), 0o644); err != nil {
		return failed, err
	}
	js, err := resultsJSON(h, outs)
	if err != nil {
		return failed, err
	}
	if err := os.WriteFile(jsonPath, js, 0o644); err != nil {
		return failed, err
	}
	io.WriteString(cfg.Stdout, doc)
	fmt.Fprintf(cfg.Stderr, "bench/report: wrote %s and %s (%.0f s in all)\n", mdPath, jsonPath, end.Sub(start).Seconds())
	return failed, nil
}

// runSection runs bench/NAME/compare.sh with stdout captured and stderr passed
// on (prefixed with the section's name, its last lines kept).
func runSection(cfg config, name, resultsFile string) *outcome {
	o := &outcome{Name: name, Script: filepath.ToSlash(filepath.Join("bench", name, "compare.sh"))}
	script := filepath.Join(cfg.Root, "bench", name, "compare.sh")
	if !fileExists(script) {
		o.Missing = true
		o.Problems = append(o.Problems, o.Script+" does not exist (not written yet?)")
		return o
	}
	before, _ := os.Stat(resultsFile)
	var stdout bytes.Buffer
	tail := &tailWriter{prefix: "[" + name + "] ", w: cfg.Stderr, keep: 15}
	cmd := exec.Command("bash", script)
	cmd.Dir = cfg.Root
	cmd.Stdout = &stdout
	cmd.Stderr = tail
	cmd.Env = append(os.Environ(), "BENCH_RESULTS="+resultsFile)
	if cfg.Quick {
		cmd.Env = append(cmd.Env, "QUICK=1")
	}
	t0 := time.Now()
	err := cmd.Run()
	o.Seconds = time.Since(t0).Seconds()
	tail.Flush()
	o.Tail = tail.lines
	if err != nil {
		o.Problems = append(o.Problems, fmt.Sprintf("%s failed (%v)", o.Script, err))
	} else if !hasHeading(stdout.String()) {
		o.Problems = append(o.Problems, o.Script+" printed no Markdown fragment starting with a \"## \" heading (bench/README.md)")
		o.Head = strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if len(o.Head) > 10 {
			o.Head = o.Head[:10]
		}
	} else {
		o.Fragment = strings.TrimSpace(stdout.String())
	}
	// The JSON lines this section appended.
	f, err := os.Open(resultsFile)
	if err != nil {
		o.Problems = append(o.Problems, err.Error())
		return o
	}
	defer f.Close()
	if before != nil {
		f.Seek(before.Size(), io.SeekStart)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var v map[string]any
		if json.Unmarshal(line, &v) != nil {
			o.Problems = append(o.Problems, fmt.Sprintf("a BENCH_RESULTS line is not a JSON object: %.80s", line))
			continue
		}
		o.Results = append(o.Results, json.RawMessage(bytes.Clone(line)))
	}
	return o
}

// hasHeading reports whether the first non-empty line of s is a "## " heading.
func hasHeading(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			return strings.HasPrefix(l, "## ")
		}
	}
	return false
}

// header is what the document says about the run.
type header struct {
	Start, End         time.Time
	Machine, Commit    string
	LoadStart, LoadEnd string
	Quick, Partial     bool
}

// command is how the document is produced.
const command = "make bench-compare"

// render is the whole document.
func render(h header, outs []*outcome) string {
	var b strings.Builder
	b.WriteString("<!-- Generated by `make bench-compare` (bench/report): do not edit. Run it again to update; past figures are in benchmarks/history.md. -->\n\n")
	b.WriteString("# Benchmarks\n\n")
	if h.Quick {
		b.WriteString("**Smoke test (`BENCH_QUICK=1`): smallest inputs, 2 rounds. These figures check that the scripts run; they are not a measurement.**\n\n")
	}
	if h.Partial {
		b.WriteString("**Partial run (`BENCH_ONLY`): only some sections ran.**\n\n")
	}
	fmt.Fprintf(&b, "Every figure below comes from one run of `%s` on %s, from %s to %s UTC (%s), code at `%s`.\n\n",
		command, h.Start.Format("2006-01-02"), h.Start.Format("15:04"), h.End.Format("15:04"), minutes(h.End.Sub(h.Start)), h.Commit)
	fmt.Fprintf(&b, "- Machine, as the system reports it: %s.\n", h.Machine)
	fmt.Fprintf(&b, "- Load average (1, 5, 15 min): %s at the start, %s at the end.\n\n", h.LoadStart, h.LoadEnd)
	b.WriteString("How it was produced: `make bench-compare` runs `go run ./bench/report`, which runs the scripts " +
		"below one after the other, in this order, and puts what each prints here unchanged. Each script follows the " +
		"contract of [bench/README.md](../bench/README.md): both sides of a comparison run the same way (process " +
		"against process, or library against library), interleaved over several rounds, and each figure is the median " +
		"with the spread (min–max) of the rounds. Each section says what it compares with what, the load average " +
		"during it, and the command that reproduces it alone. Every figure is also in " +
		"[benchmarks/results.json](benchmarks/results.json), one object per figure.\n\n")
	b.WriteString("Methods and explanations are in the per-topic files listed at the end; measurements made once " +
		"(before/after a change) and figures withdrawn are in [benchmarks/history.md](benchmarks/history.md).\n\n")

	b.WriteString("## Contents\n\n")
	anchors := map[string]int{"contents": 1}
	for _, o := range outs {
		if !o.ok() && o.Fragment == "" {
			fmt.Fprintf(&b, "- [%s: not measured](#%s): `%s` %s\n", o.Name, anchor(anchors, o.Name+": not measured"), o.Script, statusWord(o))
			continue
		}
		for _, t := range headings(o.Fragment) {
			fmt.Fprintf(&b, "- [%s](#%s)", t, anchor(anchors, t))
			if !o.ok() {
				b.WriteString(" (**with errors**: see the end of the section)")
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "- [Details and methods](#%s)\n\n", anchor(anchors, "Details and methods"))

	for _, o := range outs {
		if o.Fragment != "" {
			b.WriteString(o.Fragment)
			b.WriteString("\n\n")
		} else {
			fmt.Fprintf(&b, "## %s: not measured\n\n", o.Name)
		}
		if !o.ok() {
			fmt.Fprintf(&b, "**%s section `%s`**: %s.\n\n", capital(statusWord(o)), o.Name, strings.Join(o.Problems, "; "))
			if len(o.Head) > 0 && o.Head[0] != "" {
				b.WriteString("First lines of its standard output:\n\n```\n")
				b.WriteString(strings.Join(o.Head, "\n"))
				b.WriteString("\n```\n\n")
			}
			if len(o.Tail) > 0 {
				b.WriteString("Last lines of its standard error:\n\n```\n")
				b.WriteString(strings.Join(o.Tail, "\n"))
				b.WriteString("\n```\n\n")
			}
		}
	}

	b.WriteString("## Details and methods\n\n")
	b.WriteString("- [benchmarks/cda.md](benchmarks/cda.md): building, reading the header, validation, body extraction; the official kit against `cda.Validate`\n" +
		"- [benchmarks/xdm.md](benchmarks/xdm.md): writing and verifying archives, the comparison with the shell pipeline, the deflate level\n" +
		"- [benchmarks/mssante.md](benchmarks/mssante.md): composing, writing and reading messages, the chain from the PDF to the SMTP wire, where the memory goes\n" +
		"- [benchmarks/annuaire.md](benchmarks/annuaire.md): the directory's load and its profile, lookups, the comparison with SQLite, Python and `cat`, the load budget\n" +
		"- [benchmarks/transport.md](benchmarks/transport.md): connection reuse against three servers\n" +
		"- [benchmarks/delivery.md](benchmarks/delivery.md): the durable outbox on SQLite and PostgreSQL, the cost of durability\n" +
		"- [benchmarks/msc.md](benchmarks/msc.md), [benchmarks/operator.md](benchmarks/operator.md)\n" +
		"- [serve.md](serve.md): `mss serve`, the HTTP API\n" +
		"- [benchmarks/history.md](benchmarks/history.md): one-off before/after measurements of past issues, and the figures withdrawn, with why\n" +
		"- [benchmarks/reproduction.md](benchmarks/reproduction.md): the last check of these figures against a second full run (`-check`)\n\n" +
		"Run one section alone with `bash bench/NAME/compare.sh` (`QUICK=1` for a smoke test, `ROUNDS=N`); " +
		"all of them with `make bench-compare` (`BENCH_QUICK=1`, `BENCH_ONLY=\"xdm cda\"`, `BENCH_OUT=DIR`: see the Makefile). " +
		"To check that this document still holds, run it again into another directory and compare each figure with its stated spread or a tolerance (±15%, `-tolerance`): " +
		"`BENCH_OUT=/tmp/run2 make bench-compare && go run ./bench/report -check docs/benchmarks/results.json /tmp/run2/benchmarks/results.json`.\n")
	return b.String()
}

func statusWord(o *outcome) string {
	if o.Missing {
		return "missing"
	}
	return "failed"
}

func capital(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func minutes(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.0f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f min", d.Minutes())
}

// headings are the "## " titles of a fragment, outside code blocks.
func headings(fragment string) []string {
	var out []string
	fence := false
	for _, l := range strings.Split(fragment, "\n") {
		if strings.HasPrefix(l, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(l, "## ") {
			out = append(out, strings.TrimSpace(l[3:]))
		}
	}
	return out
}

// anchor is the id GitHub gives a heading: lower case, spaces to hyphens,
// punctuation dropped, "-1", "-2"... after repeats.
func anchor(seen map[string]int, title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	a := b.String()
	n := seen[a]
	seen[a] = n + 1
	if n > 0 {
		a = fmt.Sprintf("%s-%d", a, n)
	}
	return a
}

// resultsJSON is docs/benchmarks/results.json: the run and every figure.

// runHeader is what results.json says about its run, before its sections
// and figures: written by the generator, read by -check.
type runHeader struct {
	Command   string `json:"command"`
	Start     string `json:"start"`
	End       string `json:"end"`
	Machine   string `json:"machine"`
	Commit    string `json:"commit"`
	LoadStart string `json:"load_start"`
	LoadEnd   string `json:"load_end"`
	Quick     bool   `json:"quick"`
}

func resultsJSON(h header, outs []*outcome) ([]byte, error) {
	type sec struct {
		Name     string   `json:"name"`
		Script   string   `json:"script"`
		Status   string   `json:"status"`
		Problems []string `json:"problems,omitempty"`
		Seconds  float64  `json:"seconds"`
	}
	doc := struct {
		runHeader
		Sections []sec             `json:"sections"`
		Results  []json.RawMessage `json:"results"`
	}{
		runHeader: runHeader{Command: command, Start: h.Start.Format(time.RFC3339), End: h.End.Format(time.RFC3339),
			Machine: h.Machine, Commit: h.Commit, LoadStart: h.LoadStart, LoadEnd: h.LoadEnd, Quick: h.Quick},
		Results: []json.RawMessage{},
	}
	for _, o := range outs {
		s := sec{Name: o.Name, Script: o.Script, Status: "ok", Problems: o.Problems, Seconds: float64(int(o.Seconds*10)) / 10}
		if !o.ok() {
			s.Status = statusWord(o)
		}
		doc.Sections = append(doc.Sections, s)
		doc.Results = append(doc.Results, o.Results...)
	}
	js, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return nil, err
	}
	return append(js, '\n'), nil
}

// shellLine runs a function of bench/lib.sh and returns its output's first line.
func shellLine(root, fn string) string {
	s := output(root, "bash", "-c", `. bench/lib.sh && `+fn)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s = strings.TrimSpace(s); s == "" {
		return "unknown"
	}
	return s
}

func output(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, _ := cmd.Output()
	return string(out)
}

// tailWriter copies what is written to w, a prefix before each line, and keeps
// the last keep lines.
type tailWriter struct {
	prefix string
	w      io.Writer
	keep   int
	buf    []byte
	lines  []string
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			break
		}
		t.line(string(t.buf[:i]))
		t.buf = t.buf[i+1:]
	}
	return len(p), nil
}

// Flush writes what is left of the last line.
func (t *tailWriter) Flush() {
	if len(t.buf) > 0 {
		t.line(string(t.buf))
		t.buf = nil
	}
}

func (t *tailWriter) line(l string) {
	fmt.Fprintf(t.w, "%s%s\n", t.prefix, l)
	t.lines = append(t.lines, l)
	if len(t.lines) > t.keep {
		t.lines = t.lines[len(t.lines)-t.keep:]
	}
}
