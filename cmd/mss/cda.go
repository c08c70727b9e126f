package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/mssante/xdm"
)

func runCDA(env *cmdEnv, args []string) int {
	return subcommands(env, "cda", args, map[string]func(*cmdEnv, []string) int{
		"validate": runCDAValidate,
		"inspect":  runCDAInspect,
		"pdf":      runCDAPDF,
	})
}

// cdaFinding is one line of `mss cda validate --json`.
type cdaFinding struct {
	File     string `json:"file,omitempty"`
	Level    string `json:"level"`
	Rule     string `json:"rule"`
	Location string `json:"location"`
	Message  string `json:"message"`
}

func runCDAValidate(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "cda validate")
	asJSON := fs.Bool("json", false, `print the findings as a JSON array of {"level","rule","location","message"}`)
	testINS := fs.Bool("test-ins-key-warning", false, "report a wrong INS key under the test/demo OIDs (.10, .11) as a warning (to replay the official examples)")
	quiet := fs.Bool("errors-only", false, "print error-level findings only")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss cda validate FILE... [--json] [--test-ins-key-warning] [--errors-only]\n\n"+
			"Checks CDA documents against the CI-SIS header rules. FILE - reads standard input.\n"+
			"Exits 0 when no file has an error-level finding, 1 otherwise.")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(files) == 0 {
		fs.Usage()
		return 2
	}
	opts := &cda.ValidateOptions{TestINSKeyWarning: *testINS}
	out := []cdaFinding{}
	failed := false
	for _, name := range files {
		list, err := cdaValidateFile(env, name, opts)
		if err != nil {
			list = append(list, finding.Finding{Level: finding.Error, Rule: "CDA-READ", Message: err.Error()})
		}
		if list.HasErrors() {
			failed = true
		}
		for _, f := range list {
			if *quiet && f.Level != finding.Error {
				continue
			}
			cf := cdaFinding{Level: f.Level.String(), Rule: f.Rule, Location: f.Location, Message: f.Message}
			if len(files) > 1 {
				cf.File = name
			}
			if *asJSON {
				out = append(out, cf)
				continue
			}
			if len(files) > 1 {
				fmt.Fprintf(env.stdout, "%s: ", name)
			}
			fmt.Fprintln(env.stdout, f.String())
		}
		if !*asJSON && len(files) > 1 {
			fmt.Fprintf(env.stdout, "%s: %d error(s), %d warning(s)\n", name, list.Count(finding.Error), list.Count(finding.Warning))
		}
	}
	if *asJSON {
		if err := writeJSON(env.stdout, out); err != nil {
			return 2
		}
	}
	if failed {
		return 1
	}
	return 0
}

func cdaValidateFile(env *cmdEnv, name string, opts *cda.ValidateOptions) (finding.List, error) {
	f, err := openInput(env, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return cda.Validate(f, opts)
}

// cdaInspectResult is the --json output of `mss cda inspect`.
type cdaInspectResult struct {
	File   string             `json:"file"`
	Level1 bool               `json:"level1"`
	Header *cda.Header        `json:"header"`
	XDS    *xdm.DocumentEntry `json:"xds,omitempty"`
	Error  string             `json:"xds_error,omitempty"`
}

func runCDAInspect(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "cda inspect")
	asJSON := fs.Bool("json", false, "print the header and the derived XDS metadata as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss cda inspect FILE [--json]\n\nPrints the header summary and the XDS metadata derived from it. FILE - reads standard input.")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(files) != 1 {
		fs.Usage()
		return 2
	}
	f, err := openInput(env, files[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "mss cda inspect: %v\n", err)
		return 1
	}
	defer f.Close()
	d, err := cda.Parse(f, nil)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss cda inspect: %s: %v\n", files[0], err)
		return 1
	}
	h := d.Header()
	res := cdaInspectResult{File: files[0], Level1: d.IsLevel1(), Header: h}
	if e, err := xdm.EntryFromHeader(h); err != nil {
		res.Error = err.Error()
	} else {
		res.XDS = &e
	}
	if *asJSON {
		if err := writeJSON(env.stdout, res); err != nil {
			return 2
		}
		return 0
	}
	cdaPrintInspect(env.stdout, &res)
	return 0
}

func cdaCode(c cda.Code) string {
	if c.IsZero() {
		return ""
	}
	s := c.Code + " (" + c.CodeSystem + ")"
	if c.DisplayName != "" {
		s += " " + c.DisplayName
	}
	return s
}

func cdaTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02 15:04:05 -0700")
}

func cdaPrintInspect(w io.Writer, r *cdaInspectResult) {
	h := r.Header
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-28s %s\n", k+":", v)
		}
	}
	body := "structured"
	if r.Level1 {
		body = "level 1, " + h.BodyMediaType
	}
	if h.AutoPresentable {
		body += ", auto-presentable"
	}
	line("file", r.File)
	line("body", body)
	line("id", h.ID.String())
	line("setId / version", fmt.Sprintf("%s / %d", h.SetID.String(), h.VersionNumber))
	line("type", cdaCode(h.Code))
	line("title", h.Title)
	line("effectiveTime", cdaTime(h.EffectiveTime))
	line("confidentiality", cdaCode(h.ConfidentialityCode))
	line("language", h.LanguageCode)
	p := &h.Patient
	if !p.Identity.INS.IsZero() {
		line("patient INS", p.Identity.INS.String())
	}
	for _, id := range p.IDs {
		line("patient id", id.String())
	}
	t := &p.Identity.Traits
	line("patient birth name", strings.TrimSpace(t.BirthName+" / "+t.BirthGivenNames+" / "+t.FirstGiven()))
	line("patient sex, birth", strings.TrimSpace(string(t.Sex)+" "+t.BirthDateString()+" "+t.BirthPlace))
	for _, a := range h.Authors {
		who := a.ID.String()
		if a.Person != nil {
			who += " " + strings.TrimSpace(a.Person.Given+" "+a.Person.Family)
		} else if a.Device != nil {
			who += " " + a.Device.SoftwareName + " (device)"
		}
		line("author", who)
	}
	line("custodian", strings.TrimSpace(h.Custodian.ID.String()+" "+h.Custodian.Name))
	if la := h.LegalAuthenticator; la != nil {
		line("legal authenticator", strings.TrimSpace(la.Person.ID.String()+" "+la.Person.Name.Given+" "+la.Person.Name.Family))
	}
	if rd := h.RelatedDocument; rd != nil {
		line("replaces", rd.TypeCode+" "+rd.ParentID.String())
	}
	if m := r.XDS; m != nil {
		fmt.Fprintln(w, "XDS metadata:")
		line("  uniqueId", m.UniqueID)
		line("  typeCode", cdaCode(m.TypeCode))
		line("  classCode", cdaCode(m.ClassCode))
		line("  formatCode", cdaCode(m.FormatCode))
		line("  mimeType", m.MimeType)
		if !m.CreationTime.IsZero() {
			line("  creationTime", m.CreationTime.Format("20060102150405"))
		}
		if !m.ServiceStartTime.IsZero() {
			line("  serviceStartTime", m.ServiceStartTime.Format("20060102150405"))
		}
		if !m.ServiceStopTime.IsZero() {
			line("  serviceStopTime", m.ServiceStopTime.Format("20060102150405"))
		}
		for _, c := range m.ConfidentialityCodes {
			line("  confidentialityCode", cdaCode(c))
		}
		line("  healthcareFacilityType", cdaCode(m.HealthcareFacilityTypeCode))
		line("  practiceSettingCode", cdaCode(m.PracticeSettingCode))
		line("  patientId", m.PatientID)
		line("  sourcePatientId", m.SourcePatientID)
		for _, s := range m.SourcePatientInfo {
			line("  sourcePatientInfo", s)
		}
		for _, a := range m.Authors {
			line("  authorPerson", a.Person)
			for _, s := range a.Institutions {
				line("  authorInstitution", s)
			}
			for _, s := range a.Specialties {
				line("  authorSpecialty", s)
			}
		}
		line("  legalAuthenticator", m.LegalAuthenticator)
		line("  parentDocument", m.ParentDocumentID)
	} else if r.Error != "" {
		line("XDS metadata", "not derived: "+r.Error)
	}
}

func runCDAPDF(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "cda pdf")
	out := fs.String("o", "", "output file (- for standard output)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss cda pdf FILE -o OUT.pdf\n\nWrites the body of a level 1 document (the PDF). Exits 1 when the document has no non-XML body.")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(files) != 1 || *out == "" {
		fs.Usage()
		return 2
	}
	in, err := openInput(env, files[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "mss cda pdf: %v\n", err)
		return 1
	}
	defer in.Close()
	d, err := cda.Parse(in, nil)
	if err != nil {
		fmt.Fprintf(env.stderr, "mss cda pdf: %s: %v\n", files[0], err)
		return 1
	}
	body, err := d.Body()
	if err != nil {
		fmt.Fprintf(env.stderr, "mss cda pdf: %s: %v\n", files[0], err)
		return 1
	}
	if *out == "-" {
		if _, err := io.Copy(env.stdout, body); err != nil {
			fmt.Fprintf(env.stderr, "mss cda pdf: %v\n", err)
			return 1
		}
		return 0
	}
	if err := cdaWriteFile(*out, body); err != nil {
		fmt.Fprintf(env.stderr, "mss cda pdf: %v\n", err)
		return 1
	}
	if d.BodyMediaType() != cda.MediaTypePDF {
		fmt.Fprintf(env.stderr, "mss cda pdf: note: the body is %s, not a PDF\n", d.BodyMediaType())
	}
	return 0
}

// cdaWriteFile writes r to path, removing the file when the copy fails
// (a truncated PDF is not left behind).
func cdaWriteFile(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return errors.Join(fmt.Errorf("%s not written", path), err)
	}
	return nil
}
