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

func cdaCommand() *command {
	return &command{
		name:    "cda",
		summary: "validate and inspect CI-SIS CDA R2 documents, extract their PDF",
		examples: []example{
			{"mss cda validate compte-rendu.xml", "check a document against the CI-SIS header rules"},
		},
		subs: []*command{
			{
				name:    "validate",
				summary: "check CDA documents against the CI-SIS header rules",
				usage:   "[flags] FILE...",
				about: "Reads each FILE (- for standard input) as a CDA R2 document and checks it with the\n" +
					"official rules of the ANS kit (StrucMin: a finding per failed assert, its spec the\n" +
					"assert's id) and the SDK's own (INS key, schema order, level 1 body). Prints one\n" +
					"line per finding (level, rule id, location, message, spec), and with several files a\n" +
					"summary per file. A file that cannot be read is reported on standard error (an\n" +
					"error finding CDA-READ with --json).",
				examples: []example{
					{"mss cda validate compte-rendu.xml", "validate one document"},
					{"mss cda validate --errors-only --json *.xml", "validate several, errors only, as a JSON array of {file, level, rule, location, message, spec}"},
				},
				exits: exitCodes("no file has an error-level finding", "a file has an error-level finding or cannot be read"),
				run:   runCDAValidate,
			},
			{
				name:    "inspect",
				summary: "print the header of a CDA document and the XDS metadata derived from it",
				usage:   "[--json] FILE",
				about:   "FILE - reads standard input. The XDS metadata is what an IHE_XDM.ZIP built from the\ndocument would carry (package mssante/xdm).",
				examples: []example{
					{"mss cda inspect compte-rendu.xml", "the header summary and its XDS metadata"},
					{"mss cda inspect --json compte-rendu.xml", "the same as JSON (header, xds)"},
				},
				exits: exitCodes("the header was read", "the file cannot be read or is not a CDA document"),
				run:   runCDAInspect,
			},
			{
				name:    "pdf",
				summary: "write the body of a level 1 document (its PDF) to a file",
				usage:   "-o OUT.pdf FILE",
				about:   "FILE - reads standard input; -o - writes the PDF to standard output.",
				examples: []example{
					{"mss cda pdf -o compte-rendu.pdf compte-rendu.xml", "extract the PDF of a level 1 document"},
				},
				exits: exitCodes("the body was written", "the document has no non-XML body, or cannot be read or written"),
				run:   runCDAPDF,
			},
		},
	}
}

// cdaFinding is one line of `mss cda validate --json`.
type cdaFinding struct {
	File     string `json:"file,omitempty"`
	Level    string `json:"level"`
	Rule     string `json:"rule"`
	Location string `json:"location"`
	Message  string `json:"message"`
	Spec     string `json:"spec,omitempty"`
}

func runCDAValidate(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "cda validate")
	asJSON := fs.Bool("json", false, `print the findings as a JSON array of {"file","level","rule","location","message","spec"}`)
	testINS := fs.Bool("test-ins-key-warning", false, "report a wrong INS key under the test/demo OIDs (.10, .11) as a warning (to replay the official examples)")
	quiet := fs.Bool("errors-only", false, "print error-level findings only")
	files, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(files) == 0 {
		return env.usageError("no FILE")
	}
	opts := &cda.ValidateOptions{TestINSKeyWarning: *testINS}
	out := []cdaFinding{}
	failed := false
	for _, name := range files {
		list, err := cdaValidateFile(env, name, opts)
		if err != nil {
			failed = true
			if !*asJSON {
				env.failFile(1, name, err)
				continue
			}
			out = append(out, cdaFinding{File: name, Level: finding.Error.String(), Rule: "CDA-READ", Location: name, Message: fileError(name, err)})
			continue
		}
		if list.HasErrors() {
			failed = true
		}
		for _, f := range list {
			if *quiet && f.Level != finding.Error {
				continue
			}
			cf := cdaFinding{Level: f.Level.String(), Rule: f.Rule, Location: f.Location, Message: f.Message, Spec: f.Spec}
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
	files, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(files) != 1 {
		return env.usageError("want one FILE, got %d", len(files))
	}
	f, err := openInput(env, files[0])
	if err != nil {
		return env.failFile(1, files[0], err)
	}
	defer f.Close()
	d, err := cda.Parse(f, nil)
	if err != nil {
		return env.failFile(1, files[0], err)
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
	out := fs.String("o", "", "output `FILE` (- for standard output)")
	files, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(files) != 1 || *out == "" {
		return env.usageError("want one FILE and -o OUT.pdf")
	}
	in, err := openInput(env, files[0])
	if err != nil {
		return env.failFile(1, files[0], err)
	}
	defer in.Close()
	d, err := cda.Parse(in, nil)
	if err != nil {
		return env.failFile(1, files[0], err)
	}
	body, err := d.Body()
	if err != nil {
		return env.failFile(1, files[0], err)
	}
	if *out == "-" {
		if _, err := io.Copy(env.rawStdout, body); err != nil {
			return env.failFile(1, files[0], err)
		}
		return 0
	}
	if err := cdaWriteFile(*out, body); err != nil {
		return env.fail(1, err)
	}
	if d.BodyMediaType() != cda.MediaTypePDF {
		env.errorf("note: the body of %s is %s, not a PDF", files[0], d.BodyMediaType())
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
