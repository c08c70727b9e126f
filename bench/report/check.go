package main

// The check mode: does the committed document still hold? It compares the
// figures of a fresh run (NEW, e.g. BENCH_OUT=/tmp/run2 make bench-compare)
// with those of docs/benchmarks/results.json (OLD), figure by figure.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// checkOptions are the flags of the check mode.
type checkOptions struct {
	Check      bool
	Old, New   string
	Tolerance  float64         // percent of the old median
	ReportOnly bool            // exit 0 even when a figure is outside
	Exact      map[string]bool // metrics that get no tolerance
}

// defaultExact are the metrics that cannot vary between runs of the same
// code and data: a change is a real difference, not noise, so they get no
// tolerance band, only their stated spread. Allocation counts are not among
// them (the runtime's own allocations, amortised over b.N, move them by a
// few units from run to run), nor archive sizes (each archive carries new
// UUIDs and times, which deflate a few bytes differently each run): they get
// the tolerance like timings. -exact allocs_per_op makes a count exact.
const defaultExact = "mailboxes"

// parseArgs reads the command line. Without arguments the generator runs
// (make bench-compare); -check OLD.json NEW.json (or -check NEW.json, OLD being
// docs/benchmarks/results.json) compares two runs. Flags may come before,
// between or after the file names.
func parseArgs(args []string, defaultOld string, stderr io.Writer) (checkOptions, error) {
	var o checkOptions
	var exact string
	fs := flag.NewFlagSet("bench/report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.Check, "check", false, "compare the figures of NEW.json with OLD.json (default "+defaultOld+") instead of running the benchmarks")
	fs.Float64Var(&o.Tolerance, "tolerance", 15, "with -check: tolerance band, in percent of OLD's median, for figures outside OLD's stated spread")
	fs.BoolVar(&o.ReportOnly, "report-only", false, "with -check: exit 0 even when a figure is outside both its spread and the tolerance")
	fs.StringVar(&exact, "exact", defaultExact, "with -check: comma-separated metrics that are counts or sizes, which get no tolerance (only the stated spread)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench/report                       run every section and write docs/benchmarks.md (make bench-compare)\n"+
			"       go run ./bench/report -check [OLD.json] NEW.json  compare a fresh run with the committed one\n")
		fs.PrintDefaults()
	}
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return o, err
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !o.Check {
		if len(files) > 0 || len(set) > 0 {
			return o, errors.New("arguments and flags other than -check are for the check mode: the generator is set by BENCH_QUICK, BENCH_ONLY, BENCH_OUT (see the Makefile)")
		}
		return o, nil
	}
	switch len(files) {
	case 1:
		o.Old, o.New = defaultOld, files[0]
	case 2:
		o.Old, o.New = files[0], files[1]
	default:
		return o, fmt.Errorf("-check takes [OLD.json] NEW.json, got %d file(s)", len(files))
	}
	if o.Tolerance < 0 || math.IsNaN(o.Tolerance) || math.IsInf(o.Tolerance, 0) {
		return o, fmt.Errorf("-tolerance %v: want a percentage ≥ 0", o.Tolerance)
	}
	o.Exact = map[string]bool{}
	for _, m := range strings.Split(exact, ",") {
		if m = strings.TrimSpace(m); m != "" {
			o.Exact[m] = true
		}
	}
	return o, nil
}

// figure is one object of results.json's "results".
type figure struct {
	Section string  `json:"section"`
	Case    string  `json:"case"`
	Side    string  `json:"side"`
	Metric  string  `json:"metric"`
	Median  float64 `json:"median"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	N       int     `json:"n"`
}

func (f figure) key() string {
	return f.Section + "\x00" + f.Case + "\x00" + f.Side + "\x00" + f.Metric
}

// runInfo is what results.json says about its run.
type runInfo struct {
	runHeader
	Results []figure `json:"results"`
	lines   bool     // read from a BENCH_RESULTS file (JSON lines), no run information
}

// readResults reads a results.json written by the generator, or the JSON
// lines a script appends to $BENCH_RESULTS (one section run alone).
func readResults(path string) (*runInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(data, &probe) == nil && probe["results"] != nil {
		var r runInfo
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return &r, validate(path, r.Results)
	}
	r := &runInfo{lines: true}
	for i, line := range bytes.Split(data, []byte("\n")) {
		if line = bytes.TrimSpace(line); len(line) == 0 {
			continue
		}
		var f figure
		if err := json.Unmarshal(line, &f); err != nil {
			return nil, fmt.Errorf("%s:%d: neither a results.json nor JSON lines of figures: %v", path, i+1, err)
		}
		r.Results = append(r.Results, f)
	}
	return r, validate(path, r.Results)
}

// validate refuses figures without a name, and a name given twice: the
// comparison would not know which to take.
func validate(path string, figs []figure) error {
	seen := map[string]bool{}
	for i, f := range figs {
		if f.Section == "" || f.Metric == "" {
			return fmt.Errorf("%s: figure %d has no section or metric", path, i+1)
		}
		if seen[f.key()] {
			return fmt.Errorf("%s: figure %s/%s/%s/%s appears twice", path, f.Section, f.Case, f.Side, f.Metric)
		}
		seen[f.key()] = true
	}
	return nil
}

// comparison is one figure present in both runs.
type comparison struct {
	Old, New     figure
	InSpread     bool // NEW's median within OLD's [min, max]
	InTolerance  bool // within ±tolerance% of OLD's median (false for exact metrics)
	Exact        bool
	Deviation    float64 // percent of OLD's median
	DeviationDef bool    // false when OLD's median is 0 and NEW's is not
}

func (c comparison) ok() bool { return c.InSpread || c.InTolerance }

// checkResult is the whole comparison.
type checkResult struct {
	Compared []comparison
	OnlyOld  []figure
	OnlyNew  []figure
}

func (r checkResult) counts() (inSpread, ok int) {
	for _, c := range r.Compared {
		if c.InSpread {
			inSpread++
		}
		if c.ok() {
			ok++
		}
	}
	return inSpread, ok
}

// compareRuns pairs the figures by (section, case, side, metric), in OLD's
// order, and judges each.
func compareRuns(old, cur []figure, tolerance float64, exact map[string]bool) checkResult {
	var r checkResult
	byKey := map[string]figure{}
	for _, f := range cur {
		byKey[f.key()] = f
	}
	inOld := map[string]bool{}
	for _, o := range old {
		inOld[o.key()] = true
		n, found := byKey[o.key()]
		if !found {
			r.OnlyOld = append(r.OnlyOld, o)
			continue
		}
		c := comparison{Old: o, New: n, Exact: exact[o.Metric]}
		lo, hi := math.Min(o.Min, o.Max), math.Max(o.Min, o.Max)
		c.InSpread = n.Median >= lo && n.Median <= hi
		band := math.Abs(o.Median) * tolerance / 100
		c.InTolerance = !c.Exact && n.Median >= o.Median-band && n.Median <= o.Median+band
		switch {
		case o.Median != 0:
			c.Deviation, c.DeviationDef = (n.Median-o.Median)/math.Abs(o.Median)*100, true
		case n.Median == 0:
			c.DeviationDef = true
		}
		r.Compared = append(r.Compared, c)
	}
	for _, n := range cur {
		if !inOld[n.key()] {
			r.OnlyNew = append(r.OnlyNew, n)
		}
	}
	return r
}

// runCheck compares the two files, prints the Markdown report on stdout and
// returns the exit status: 0 when every figure is within its spread or the
// tolerance (or -report-only), 1 when one is not, 2 when a file is unreadable.
func runCheck(o checkOptions, stdout, stderr io.Writer) int {
	old, err := readResults(o.Old)
	if err != nil {
		fmt.Fprintln(stderr, "bench/report -check:", err)
		return 2
	}
	cur, err := readResults(o.New)
	if err != nil {
		fmt.Fprintln(stderr, "bench/report -check:", err)
		return 2
	}
	r := compareRuns(old.Results, cur.Results, o.Tolerance, o.Exact)
	bad := writeCheck(stdout, o, old, cur, r)
	if bad > 0 && !o.ReportOnly {
		fmt.Fprintf(stderr, "bench/report -check: %d figure(s) outside both their stated spread and ±%s%%: the document does not hold\n", bad, num(o.Tolerance))
		return 1
	}
	return 0
}

// writeCheck prints the report and returns the number of figures outside both
// the spread and the tolerance.
func writeCheck(w io.Writer, o checkOptions, old, cur *runInfo, r checkResult) int {
	tol := "±" + num(o.Tolerance) + "%"
	fmt.Fprintf(w, "## Check: %s against %s\n\n", o.New, o.Old)
	fmt.Fprintf(w, "- Old (%s): %s\n", o.Old, describe(old))
	fmt.Fprintf(w, "- New (%s): %s\n", o.New, describe(cur))
	var exact []string
	for m := range o.Exact {
		exact = append(exact, "`"+m+"`")
	}
	sort.Strings(exact)
	fmt.Fprintf(w, "- A figure holds when the new median is within the old stated spread (min–max), or within %s of the old median", tol)
	if len(exact) > 0 {
		fmt.Fprintf(w, "; counts and sizes (%s) get no tolerance: a change is a real difference", strings.Join(exact, ", "))
	}
	w.Write([]byte(".\n"))
	if cur.Quick && !old.Quick {
		w.Write([]byte("- **The new run is a smoke test (`BENCH_QUICK=1`)**: its figures are not a measurement and its inputs are the smallest; this check says little.\n"))
	}
	if !old.lines && !cur.lines && old.Machine != cur.Machine {
		w.Write([]byte("- **The machines differ**: figures of time and rate are not expected to match.\n"))
	}
	w.Write([]byte("\n"))

	bad := 0
	var outside []comparison
	for _, c := range r.Compared {
		if !c.InSpread {
			outside = append(outside, c)
		}
		if !c.ok() {
			bad++
		}
	}
	if len(outside) > 0 {
		fmt.Fprintf(w, "### Figures outside the stated spread\n\n")
		w.Write([]byte("| section | case | side | metric | old median (min–max) | new median | deviation | verdict |\n"))
		w.Write([]byte("|---|---|---|---|---|---|---|---|\n"))
		for _, c := range outside {
			dev := "—"
			if c.DeviationDef {
				dev = percent(c.Deviation)
			}
			verdict := "within " + tol
			switch {
			case c.Exact:
				verdict = "**changed** (exact)"
			case !c.InTolerance:
				verdict = "**outside " + tol + "**"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s (%s–%s) | %s | %s | %s |\n",
				cell(c.Old.Section), cell(c.Old.Case), cell(c.Old.Side), cell(c.Old.Metric),
				num(c.Old.Median), num(c.Old.Min), num(c.Old.Max), num(c.New.Median), dev, verdict)
		}
		w.Write([]byte("\n"))
	}

	inSpread, ok := r.counts()
	w.Write([]byte("### Counts\n\n"))
	fmt.Fprintf(w, "- %d figures compared (in both runs)\n", len(r.Compared))
	fmt.Fprintf(w, "- %d within the stated spread\n", inSpread)
	fmt.Fprintf(w, "- %d within the spread or %s\n", ok, tol)
	fmt.Fprintf(w, "- %d outside both\n", bad)
	fmt.Fprintf(w, "- %d only in the old run%s\n", len(r.OnlyOld), onlyList(r.OnlyOld, old.Results))
	fmt.Fprintf(w, "- %d only in the new run%s\n", len(r.OnlyNew), onlyList(r.OnlyNew, cur.Results))
	w.Write([]byte("\n"))
	switch {
	case len(r.Compared) == 0:
		w.Write([]byte("**No figure in common**: nothing was checked.\n"))
	case bad == 0:
		fmt.Fprintf(w, "**The old figures hold**: every figure in both runs is within its stated spread or %s.\n", tol)
	default:
		fmt.Fprintf(w, "**The old figures do not hold**: %d figure(s) outside both their stated spread and %s.\n", bad, tol)
	}
	return bad
}

// describe is one line about a run.
func describe(r *runInfo) string {
	if r.lines {
		return fmt.Sprintf("%d figures (JSON lines, no run information)", len(r.Results))
	}
	s := fmt.Sprintf("%d figures, `%s` from %s to %s, code at `%s`, load %s → %s; %s",
		len(r.Results), r.Command, r.Start, r.End, r.Commit, r.LoadStart, r.LoadEnd, r.Machine)
	if r.Quick {
		s += " (smoke test, `BENCH_QUICK=1`)"
	}
	return s
}

// onlyList names the figures found in one run only: a whole section in one
// word when none of its figures is in the other run, else each figure.
func onlyList(only, all []figure) string {
	if len(only) == 0 {
		return ""
	}
	total := map[string]int{}
	for _, f := range all {
		total[f.Section]++
	}
	count := map[string]int{}
	for _, f := range only {
		count[f.Section]++
	}
	var parts []string
	done := map[string]bool{}
	for _, f := range only {
		if count[f.Section] == total[f.Section] {
			if !done[f.Section] {
				done[f.Section] = true
				parts = append(parts, fmt.Sprintf("all %d of section %s", total[f.Section], f.Section))
			}
			continue
		}
		parts = append(parts, fmt.Sprintf("%s/%s/%s/%s", f.Section, f.Case, f.Side, f.Metric))
	}
	return ": " + strings.Join(parts, ", ")
}

// percent prints a deviation with one decimal, more when it is small: a
// count off by 8 in 36554 is "-0.02%", not "-0.0%".
func percent(d float64) string {
	if a := math.Abs(d); a > 0 && a < 0.1 {
		return fmt.Sprintf("%+.2g%%", d)
	}
	return fmt.Sprintf("%+.1f%%", d)
}

// num prints a figure as it was written: no exponent, no trailing zeros.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// cell keeps a name from breaking the table.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// defaultOldPath is the committed results, from the module root when found.
func defaultOldPath() string {
	if root, err := moduleRoot(); err == nil {
		p := filepath.Join(root, "docs", "benchmarks", "results.json")
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, p); err == nil {
				return rel
			}
		}
		return p
	}
	return filepath.Join("docs", "benchmarks", "results.json")
}
