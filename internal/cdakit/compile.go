package cdakit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// transformVersion changes whenever what Compile does between and around the
// kit's steps changes (id injection, J07 generation, cache layout), so that
// cached compilations made by an older version are not reused.
const transformVersion = "cdakit-1"

// The kit's file names.
const (
	// MainSchematron is the scenario file of the rules folder.
	MainSchematron = "ASIP-STRUCT-MIN-StrucMin.sch"
	// J07VocFile is the value set file the kit's rules read for
	// ClinicalDocument/code and that the kit never shipped.
	J07VocFile = "voc-1.2.250.1.213.1.1.5.471-DYNAMIC.xml"
	// J07OID is the OID of JDV_J07 XdsTypeCode_CISIS.
	J07OID = "1.2.250.1.213.1.1.5.471"
)

// Options says where the kit's files are and where to compile it. Rules,
// Engine and TypeCodes are required; [SharedOptions] fills them from the
// layout of ../shared/testdata.
type Options struct {
	// Rules is the folder holding ASIP-STRUCT-MIN-StrucMin.sch and its
	// include/ folder (kit: schematrons/profils/structurationMinimale).
	Rules string
	// Engine is the folder holding iso_dsdl_include.xsl,
	// iso_abstract_expand.xsl, iso_svrl_for_xslt2.xsl and the skeleton it
	// imports (kit: schematrons/moteur).
	Engine string
	// TypeCodes is the IHE SVS file of JDV_J07 (kit:
	// jeuxDeValeurs/JDV_J07_XdsTypeCode_CISIS.xml), from which the missing
	// voc file is generated.
	TypeCodes string
	// Java and SaxonJar default to what FindSaxon returns.
	Java, SaxonJar string
	// CacheDir is where compiled kits are kept, one folder per input hash.
	// Empty means os.UserCacheDir()/mssante-sdk/cdakit.
	CacheDir string
	// Workers is how many Java processes Validate may run at once on a
	// large batch. 0 means min(runtime.NumCPU(), 2).
	Workers int
}

// SharedOptions returns the Options for the kit files of the shared test data
// folder (../shared/testdata seen from the module root).
func SharedOptions(testdata string) *Options {
	return &Options{
		Rules:     filepath.Join(testdata, "cda", "schematron", "structurationMinimale"),
		Engine:    filepath.Join(testdata, "cda", "schematron", "moteur"),
		TypeCodes: filepath.Join(testdata, "cda", "valuesets", "JDV_J07_XdsTypeCode_CISIS.xml"),
	}
}

// Kit is a compiled StrucMin schematron, ready to validate documents. It is
// safe for concurrent use.
type Kit struct {
	dir       string // the compiled kit: StrucMin.xsl, rules.sch, include/
	java, jar string
	hash      string
	cached    bool
	cat       *Catalogue
	workers   int
}

// Dir is the folder of the compiled kit (the compiled stylesheet
// StrucMin.xsl, the rules with their ids rules.sch, and include/ with the value
// set files the stylesheet reads).
func (k *Kit) Dir() string { return k.dir }

// Hash is the hex SHA-256 of the inputs the kit was compiled from.
func (k *Kit) Hash() string { return k.hash }

// Cached reports whether Compile found the kit already compiled.
func (k *Kit) Cached() bool { return k.cached }

// Catalogue returns the asserts of the compiled rules.
func (k *Kit) Catalogue() *Catalogue { return k.cat }

// Compile compiles the rules, or finds them already compiled in the cache.
// Errors wrap ErrNoSaxon when Java or Saxon is missing, and are
// *SaxonError when a step fails.
func Compile(ctx context.Context, opts *Options) (*Kit, error) {
	if opts == nil || opts.Rules == "" || opts.Engine == "" || opts.TypeCodes == "" {
		return nil, errors.New("cdakit: Options.Rules, Engine and TypeCodes are required")
	}
	java, jar := opts.Java, opts.SaxonJar
	if java == "" || jar == "" {
		j, s, err := FindSaxon()
		if err != nil {
			return nil, err
		}
		if java == "" {
			java = j
		}
		if jar == "" {
			jar = s
		}
	}
	hash, err := inputHash(opts, jar)
	if err != nil {
		return nil, err
	}
	cache := opts.CacheDir
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		cache = filepath.Join(base, "mssante-sdk", "cdakit")
	}
	final := filepath.Join(cache, hash[:24])
	k := &Kit{dir: final, java: java, jar: jar, hash: hash, workers: opts.Workers}
	if k.workers <= 0 {
		k.workers = min(runtime.NumCPU(), 2)
	}
	if _, err := os.Stat(filepath.Join(final, "complete")); err == nil {
		k.cached = true
	} else {
		if err := os.MkdirAll(cache, 0o755); err != nil {
			return nil, fmt.Errorf("cdakit: %w", err)
		}
		work, err := os.MkdirTemp(cache, "build-")
		if err != nil {
			return nil, fmt.Errorf("cdakit: %w", err)
		}
		defer os.RemoveAll(work)
		if err := compileInto(ctx, opts, java, jar, work); err != nil {
			return nil, err
		}
		// Another test process may have finished the same compilation first:
		// then its result is used and ours thrown away.
		if err := os.Rename(work, final); err != nil {
			if _, serr := os.Stat(filepath.Join(final, "complete")); serr != nil {
				return nil, fmt.Errorf("cdakit: %w", err)
			}
		}
	}
	cat, err := loadCatalogue(filepath.Join(final, "rules.sch"))
	if err != nil {
		return nil, err
	}
	k.cat = cat
	return k, nil
}

// compileInto runs the kit's three compilation steps into work, with the id
// injection between the second and the third, and lays out the value sets.
func compileInto(ctx context.Context, opts *Options, java, jar, work string) error {
	engine, err := filepath.Abs(opts.Engine)
	if err != nil {
		return fmt.Errorf("cdakit: %w", err)
	}
	rules, err := filepath.Abs(opts.Rules)
	if err != nil {
		return fmt.Errorf("cdakit: %w", err)
	}
	steps := [][]string{
		{"-s:" + filepath.Join(rules, MainSchematron), "-xsl:" + filepath.Join(engine, "iso_dsdl_include.xsl"), "-o:colle.sch"},
		{"-s:colle.sch", "-xsl:" + filepath.Join(engine, "iso_abstract_expand.xsl"), "-o:concret.sch"},
	}
	for _, s := range steps {
		if _, err := saxon(ctx, java, jar, work, s...); err != nil {
			return err
		}
	}
	if err := injectIDs(filepath.Join(work, "concret.sch"), filepath.Join(work, "rules.sch")); err != nil {
		return err
	}
	if _, err := saxon(ctx, java, jar, work, "-s:rules.sch", "-xsl:"+filepath.Join(engine, "iso_svrl_for_xslt2.xsl"), "-o:StrucMin.xsl"); err != nil {
		return err
	}
	// The compiled stylesheet reads doc('include/voc-…') relative to itself.
	inc := filepath.Join(work, "include")
	if err := os.Mkdir(inc, 0o755); err != nil {
		return fmt.Errorf("cdakit: %w", err)
	}
	vocs, err := filepath.Glob(filepath.Join(rules, "include", "voc-*.xml"))
	if err != nil {
		return fmt.Errorf("cdakit: %w", err)
	}
	for _, v := range vocs {
		if err := copyFile(v, filepath.Join(inc, filepath.Base(v))); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(inc, J07VocFile)); errors.Is(err, fs.ErrNotExist) {
		if err := writeJ07(opts.TypeCodes, filepath.Join(inc, J07VocFile)); err != nil {
			return err
		}
	}
	for _, f := range []string{"colle.sch", "concret.sch"} {
		os.Remove(filepath.Join(work, f))
	}
	return os.WriteFile(filepath.Join(work, "complete"), []byte(transformVersion+"\n"), 0o644)
}

// inputHash hashes everything the compiled kit depends on.
func inputHash(opts *Options, jar string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", transformVersion)
	st, err := os.Stat(jar)
	if err != nil {
		return "", fmt.Errorf("cdakit: %w", err)
	}
	fmt.Fprintf(h, "jar %s %d\n", filepath.Base(jar), st.Size())
	add := func(label, path string) error {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("cdakit: %w", err)
		}
		defer f.Close()
		fmt.Fprintf(h, "%s\n", label)
		_, err = io.Copy(h, f)
		return err
	}
	for _, root := range []struct{ label, dir string }{{"rules", opts.Rules}, {"engine", opts.Engine}} {
		var files []string
		err := filepath.WalkDir(root.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".sch") || strings.HasSuffix(p, ".xsl") || strings.HasSuffix(p, ".xml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("cdakit: %w", err)
		}
		slices.Sort(files)
		for _, f := range files {
			rel, _ := filepath.Rel(root.dir, f)
			if err := add(root.label+"/"+filepath.ToSlash(rel), f); err != nil {
				return "", err
			}
		}
	}
	if err := add("typecodes", opts.TypeCodes); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("cdakit: %w", err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		return fmt.Errorf("cdakit: %w", err)
	}
	return nil
}

// injectIDs gives an id to every rule and to every assert and report that
// lacks one (see assignIDs), and writes the result.
func injectIDs(in, out string) error {
	doc := etree.NewDocument()
	if err := doc.ReadFromFile(in); err != nil {
		return fmt.Errorf("cdakit: reading %s: %w", in, err)
	}
	if err := assignIDs(doc, in); err != nil {
		return err
	}
	if err := doc.WriteToFile(out); err != nil {
		return fmt.Errorf("cdakit: %w", err)
	}
	return nil
}

// assignIDs gives an id to every rule and to every assert and report that
// lacks one: a rule without id gets "pattern<P>-rule<R>" (1-based
// positions), an assert the id of its rule, a slash and its 1-based position
// among the asserts and reports of the rule ("d152e10-false-d1610e0/6",
// "II/10" for the datatype rule II). The skeleton copies an assert's id into
// the SVRL failed-assert it produces.
func assignIDs(doc *etree.Document, name string) error {
	root := doc.Root()
	if root == nil {
		return fmt.Errorf("cdakit: %s: no root element", name)
	}
	for pi, p := range schChildren(root, "pattern") {
		for ri, r := range schChildren(p, "rule") {
			rid := r.SelectAttrValue("id", "")
			if rid == "" {
				rid = fmt.Sprintf("pattern%d-rule%d", pi+1, ri+1)
				r.CreateAttr("id", rid)
			}
			n := 0
			for _, a := range r.ChildElements() {
				if !isSch(a, "assert") && !isSch(a, "report") {
					continue
				}
				n++
				if a.SelectAttrValue("id", "") == "" {
					a.CreateAttr("id", fmt.Sprintf("%s/%d", rid, n))
				}
			}
		}
	}
	return nil
}

// SchematronNS is the ISO schematron namespace.
const SchematronNS = "http://purl.oclc.org/dsdl/schematron"

func isSch(e *etree.Element, local string) bool {
	return e.Tag == local && e.NamespaceURI() == SchematronNS
}

func schChildren(e *etree.Element, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if isSch(c, local) {
			out = append(out, c)
		}
	}
	return out
}
