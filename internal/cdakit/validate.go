package cdakit

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Result is one failed assert (or successful report) of an SVRL report.
type Result struct {
	// ID is the assert's id in the Catalogue.
	ID string
	// Rule is the id of the concrete rule that fired: for an assert
	// inherited from a datatype rule ("II/10"), the rule of the element
	// checked.
	Rule     string
	Role     Role
	Report   bool   // a successful-report rather than a failed-assert
	Location string // XPath of the node checked, without namespaces
	Text     string // the message, whitespace collapsed
}

func (r Result) String() string {
	return fmt.Sprintf("%s %s at %s: %s", r.Role, r.ID, r.Location, r.Text)
}

// Report is the kit's verdict on one document.
type Report struct {
	// Fired counts the firings (svrl:fired-rule) of each rule, by rule id:
	// how many nodes each rule checked.
	Fired map[string]int
	// Results are the failed asserts and successful reports, in order.
	Results []Result
	// Err is set when Saxon produced no report for the document (not
	// well-formed XML, for instance); the other fields are then empty.
	Err error
}

// Errors returns the results whose role is error.
func (r *Report) Errors() []Result { return r.withRole(RoleError) }

// Warnings returns the results whose role is warning.
func (r *Report) Warnings() []Result { return r.withRole(RoleWarning) }

func (r *Report) withRole(role Role) []Result {
	var out []Result
	for _, x := range r.Results {
		if x.Role == role {
			out = append(out, x)
		}
	}
	return out
}

// Has reports whether an assert with that id failed (or a report fired).
func (r *Report) Has(id string) bool {
	return slices.ContainsFunc(r.Results, func(x Result) bool { return x.ID == id })
}

// ErrNoReport is wrapped by the Report.Err of a document Saxon produced no
// report for. It also wraps ErrNotXML or ErrKitFailure, which say why.
var ErrNoReport = errors.New("cdakit: no SVRL report")

// ErrNotXML: the document is not well-formed XML.
var ErrNotXML = errors.New("not well-formed XML")

// ErrKitFailure: the rules themselves stopped with a dynamic error on the
// document (for instance XPTY0004 when a rule expects one element and finds
// two): the kit rejects it without saying which assert fails.
var ErrKitFailure = errors.New("the kit stopped with a dynamic error")

// MinShard is the smallest number of documents Validate gives a JVM of its
// own: below it, the JVM start and stylesheet load (about 8 s of CPU) cost
// more than they save.
const MinShard = 200

// Validate runs the kit on the documents and returns a report per name. The
// names are free (paths in an archive, labels); the documents are written to
// a temporary folder under names of their own, and transformed in batch, in
// one Java process, or in Options.Workers processes running at once for a
// batch of more than MinShard documents. A document Saxon cannot check gets a
// Report whose Err wraps ErrNoReport; the error returned is for the run as a
// whole (Java failing to start, context done). Cancelling ctx kills Java.
func (k *Kit) Validate(ctx context.Context, docs map[string][]byte) (map[string]*Report, error) {
	if len(docs) == 0 {
		return map[string]*Report{}, nil
	}
	names := slices.Sorted(maps.Keys(docs))
	shards := min(k.workers, (len(names)+MinShard-1)/MinShard)
	shards = max(shards, 1)
	parts := make([][]string, shards)
	for i, n := range names {
		parts[i%shards] = append(parts[i%shards], n)
	}
	type result struct {
		reps map[string]*Report
		err  error
	}
	results := make(chan result, shards)
	for i, part := range parts {
		go func() {
			reps, err := k.validate(ctx, docs, part, i)
			results <- result{reps, err}
		}()
	}
	reports := make(map[string]*Report, len(names))
	var firstErr error
	for range parts {
		r := <-results
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
		maps.Copy(reports, r.reps)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return reports, nil
}

// validate runs one JVM on some of the documents.
func (k *Kit) validate(ctx context.Context, docs map[string][]byte, names []string, shard int) (map[string]*Report, error) {
	tmp, err := os.MkdirTemp("", "cdakit-")
	if err != nil {
		return nil, fmt.Errorf("cdakit: %w", err)
	}
	defer os.RemoveAll(tmp)
	in, out := filepath.Join(tmp, "in"), filepath.Join(tmp, "out")
	for _, d := range []string{in, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, fmt.Errorf("cdakit: %w", err)
		}
	}
	files := make(map[string]string, len(names))
	for i, n := range names {
		f := fmt.Sprintf("s%dd%05d.xml", shard, i)
		files[n] = f
		if err := os.WriteFile(filepath.Join(in, f), docs[n], 0o644); err != nil {
			return nil, fmt.Errorf("cdakit: %w", err)
		}
	}
	// Run beside the compiled stylesheet: it reads doc('include/voc-…').
	stderr, runErr := saxon(ctx, k.java, k.jar, k.dir, "-s:"+in, "-xsl:"+filepath.Join(k.dir, "StrucMin.xsl"), "-o:"+out)
	if ctx.Err() != nil {
		return nil, runErr
	}
	reports := make(map[string]*Report, len(names))
	produced := 0
	noReport := func(n string, detail error) *Report {
		complaint := saxonComplaint(stderr, files[n])
		why := ErrKitFailure
		if strings.Contains(complaint, "SXXP0003") || strings.Contains(complaint, "SAXParseException") {
			why = ErrNotXML
		}
		if detail != nil {
			return &Report{Err: fmt.Errorf("%w for %s: %w (%v): %s", ErrNoReport, n, why, detail, complaint)}
		}
		return &Report{Err: fmt.Errorf("%w for %s: %w: %s", ErrNoReport, n, why, complaint)}
	}
	for _, n := range names {
		f, err := os.Open(filepath.Join(out, files[n]))
		if err != nil {
			reports[n] = noReport(n, nil)
			continue
		}
		r, err := ParseSVRL(f)
		f.Close()
		if err != nil {
			// Saxon stopped in the middle of this document: what it
			// wrote is cut short.
			reports[n] = noReport(n, err)
			continue
		}
		reports[n] = r
		produced++
	}
	if produced == 0 && runErr != nil {
		return nil, runErr
	}
	return reports, nil
}

// saxonComplaint returns what Saxon said about one input file.
func saxonComplaint(stderr, file string) string {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, file) {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) == 0 {
		return tail(stderr, 300)
	}
	return strings.Join(lines, "; ")
}

// SVRLNS is the namespace of SVRL reports.
const SVRLNS = "http://purl.oclc.org/dsdl/svrl"

// ParseSVRL reads an SVRL report as the kit's skeleton writes it.
func ParseSVRL(r io.Reader) (*Report, error) {
	dec := xml.NewDecoder(r)
	rep := &Report{Fired: map[string]int{}}
	var rule string
	var cur *Result
	var text strings.Builder
	inText := false
	attr := func(se xml.StartElement, name string) string {
		for _, a := range se.Attr {
			if a.Name.Local == name && a.Name.Space == "" {
				return a.Value
			}
		}
		return ""
	}
	root := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != SVRLNS {
				continue
			}
			switch t.Name.Local {
			case "schematron-output":
				root = true
			case "fired-rule":
				rule = attr(t, "id")
				rep.Fired[rule]++
			case "failed-assert", "successful-report":
				cur = &Result{
					ID:       attr(t, "id"),
					Rule:     rule,
					Role:     Role(attr(t, "role")),
					Report:   t.Name.Local == "successful-report",
					Location: attr(t, "location"),
				}
				text.Reset()
			case "text":
				inText = cur != nil
			}
		case xml.CharData:
			if inText {
				text.Write(t)
			}
		case xml.EndElement:
			if t.Name.Space != SVRLNS {
				continue
			}
			switch t.Name.Local {
			case "text":
				inText = false
			case "failed-assert", "successful-report":
				if cur != nil {
					cur.Text = strings.Join(strings.Fields(text.String()), " ")
					rep.Results = append(rep.Results, *cur)
					cur = nil
				}
			}
		}
	}
	if !root {
		return nil, errors.New("not an SVRL report")
	}
	return rep, nil
}
