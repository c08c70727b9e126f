package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/idnat"
	"github.com/mssante-go/sdk/mssante/xdm"
)

func xdmCommand() *command {
	return &command{
		name:    "xdm",
		summary: "verify, inspect and build IHE_XDM.ZIP archives",
		examples: []example{
			{"mss xdm verify IHE_XDM.ZIP", "check an archive's layout, metadata, sizes and hashes"},
		},
		subs: []*command{
			{
				name:    "verify",
				summary: "check IHE_XDM.ZIP archives: layout, METADATA.XML, sizes and SHA-1 hashes, CDA cross-checks",
				usage:   "[flags] FILE...",
				about: "Reads each archive within the reader's limits (entries, sizes, compression ratio,\n" +
					"XML depth) and verifies it. Prints one line per warning or error finding (--all: info\n" +
					"too) and a verdict per file; an archive that cannot be read is reported on standard\n" +
					"error (in the JSON result with --json). A progress bar is shown on standard error\n" +
					"while a large archive is hashed, when it is a terminal.",
				examples: []example{
					{"mss xdm verify IHE_XDM.ZIP", "verify one archive"},
					{"mss xdm verify --json --strict-ins archives/*.zip", "verify several as JSON, an invalid INS in patientId being an error"},
				},
				exits: exitCodes("no archive has an error-level finding", "an archive has an error-level finding or cannot be read"),
				run:   runXDMVerify,
			},
			{
				name:    "inspect",
				summary: "print the submission sets and documents of an archive",
				usage:   "[--json] FILE",
				examples: []example{
					{"mss xdm inspect IHE_XDM.ZIP", "the submission set and each document's metadata and hash status"},
				},
				exits: exitCodes("the archive was read", "the archive cannot be read"),
				run:   runXDMInspect,
			},
			{
				name:    "build",
				summary: "build an IHE_XDM.ZIP archive around CDA documents",
				usage:   "--cda DOC.xml [--attach FILE]... --sender-name NAME --sender-id ID [-o IHE_XDM.ZIP] [flags]",
				about: "The XDS metadata of each document is derived from its CDA header; the submission\n" +
					"set's author is the first author of the first CDA, its title that document's title.",
				examples: []example{
					{"mss xdm build --cda cr.xml --attach cr.pdf --sender-name 'Clinique Test' --sender-id 1750000002 \\\n" +
						"      --recipient dr.martin@medecin-test.mssante.fr --content-type 'SA01^Etablissement public de santé^1.2.250.1.71.4.2.4'",
						"an archive with a CDA and its PDF, for one recipient"},
				},
				exits: exitCodes("the archive was written", "a document cannot be read or the archive not written"),
				run:   runXDMBuild,
			},
		},
	}
}

// openXDM opens an archive file with the given limits. The file is read in
// place (an *os.File is the io.ReaderAt Read needs), not loaded in memory, so
// only what the limits allow is ever read; done closes it once the archive
// is no longer used.
func openXDM(env *cmdEnv, name string, opts *xdm.ReadOptions) (a *xdm.Archive, done func(), err error) {
	if name == "-" {
		// xdm.Read needs an io.ReaderAt: standard input is read whole,
		// within the archive size limit.
		max := int64(xdm.DefaultMaxTotalSize)
		if opts != nil && opts.MaxTotalSize > 0 {
			max = opts.MaxTotalSize
		}
		data, err := io.ReadAll(io.LimitReader(env.stdin, max+1))
		if err != nil {
			return nil, nil, err
		}
		if int64(len(data)) > max {
			return nil, nil, fmt.Errorf("standard input is larger than %d bytes", max)
		}
		a, err := xdm.Read(bytes.NewReader(data), int64(len(data)), opts)
		return a, func() {}, err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err == nil {
		a, err = xdm.Read(f, st.Size(), opts)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return a, func() { f.Close() }, nil
}

// xdmVerifyResult is one file of the --json output of `mss xdm verify`.
type xdmVerifyResult struct {
	File     string       `json:"file"`
	OK       bool         `json:"ok"`
	Error    string       `json:"error,omitempty"`
	Errors   int          `json:"errors"`
	Warnings int          `json:"warnings"`
	Findings finding.List `json:"findings"`
}

func runXDMVerify(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "xdm verify")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	all := fs.Bool("all", false, "also print info-level findings")
	strictINS := fs.Bool("strict-ins", false, "make an invalid INS matricule in patientId an error")
	quiet := quietFlag(fs)
	files, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(files) == 0 {
		return env.usageError("no FILE")
	}
	code := 0
	results := []xdmVerifyResult{}
	for _, name := range files {
		res := xdmVerifyResult{File: name, Findings: finding.List{}}
		bar := newProgress(env, *quiet, "verifying "+name, 0, true)
		opts := &xdm.ReadOptions{StrictINSKey: *strictINS}
		if bar != nil {
			opts.Progress = bar.Update
		}
		a, done, err := openXDM(env, name, opts)
		if err != nil {
			res.Error = fileError(name, err)
		} else {
			list := a.Verify()
			bar.Done()
			for _, f := range list {
				if f.Level > finding.Info || *all {
					res.Findings = append(res.Findings, f)
				}
			}
			done()
			res.Errors = res.Findings.Count(finding.Error)
			res.Warnings = res.Findings.Count(finding.Warning)
			res.OK = res.Errors == 0
		}
		if !res.OK {
			code = 1
		}
		results = append(results, res)
		if *asJSON {
			continue
		}
		if res.Error != "" {
			env.errorf("%s", res.Error)
			continue
		}
		for _, f := range res.Findings {
			fmt.Fprintf(env.stdout, "%s: %s\n", name, f)
		}
		verdict := "ok"
		if !res.OK {
			verdict = "FAILED"
		}
		fmt.Fprintf(env.stdout, "%s: %s (%d errors, %d warnings)\n", name, verdict, res.Errors, res.Warnings)
	}
	if *asJSON {
		if err := writeJSON(env.stdout, results); err != nil {
			return 2
		}
	}
	return code
}

// JSON views of `mss xdm inspect`.
type (
	xdmInspectResult struct {
		File           string             `json:"file"`
		PatientID      string             `json:"patient_id,omitempty"`
		SubmissionSets []xdmSubmissionSet `json:"submission_sets"`
		Documents      []xdmDocument      `json:"documents"`
		Findings       finding.List       `json:"findings"`
	}
	xdmSubmissionSet struct {
		EntryUUID          string   `json:"entry_uuid"`
		UniqueID           string   `json:"unique_id"`
		SourceID           string   `json:"source_id"`
		SubmissionTime     string   `json:"submission_time,omitempty"`
		Title              string   `json:"title,omitempty"`
		ContentTypeCode    string   `json:"content_type_code,omitempty"`
		PatientID          string   `json:"patient_id,omitempty"`
		Author             string   `json:"author,omitempty"`
		IntendedRecipients []string `json:"intended_recipients,omitempty"`
	}
	xdmDocument struct {
		// Subset is the directory of the METADATA.XML that describes the
		// document (IHE_XDM/SUBSET01), Path the entry its URI resolves to.
		Subset       string `json:"subset"`
		URI          string `json:"uri"`
		Path         string `json:"path,omitempty"`
		MimeType     string `json:"mime_type"`
		Size         int64  `json:"size"`
		Hash         string `json:"hash"`
		HashStatus   string `json:"hash_status"`
		UniqueID     string `json:"unique_id"`
		PatientID    string `json:"patient_id,omitempty"`
		TypeCode     string `json:"type_code,omitempty"`
		ClassCode    string `json:"class_code,omitempty"`
		FormatCode   string `json:"format_code,omitempty"`
		Title        string `json:"title,omitempty"`
		Author       string `json:"author,omitempty"`
		CreationTime string `json:"creation_time,omitempty"`
		Action       string `json:"action,omitempty"`
	}
)

func xdmCodeString(c xdm.Code) string {
	if c.IsZero() {
		return ""
	}
	s := c.Code + " (" + c.CodeSystem + ")"
	if c.DisplayName != "" {
		s += " " + c.DisplayName
	}
	return s
}

func xdmAuthorString(a xdm.Author) string {
	parts := []string{}
	if a.Person != "" {
		parts = append(parts, a.Person)
	}
	parts = append(parts, a.Institutions...)
	return strings.Join(parts, " / ")
}

func xdmInspectArchive(name string, a *xdm.Archive) xdmInspectResult {
	fs := a.Verify()
	res := xdmInspectResult{File: name, Findings: fs}
	res.PatientID, _ = a.PatientID()
	for _, s := range a.SubmissionSets {
		v := xdmSubmissionSet{
			EntryUUID: s.EntryUUID, UniqueID: s.UniqueID, SourceID: s.SourceID, Title: s.Title,
			ContentTypeCode: xdmCodeString(s.ContentTypeCode), PatientID: s.PatientID,
			Author: xdmAuthorString(s.Author), IntendedRecipients: s.IntendedRecipients,
		}
		if !s.SubmissionTime.IsZero() {
			v.SubmissionTime = s.SubmissionTime.Format("2006-01-02T15:04:05Z")
		}
		res.SubmissionSets = append(res.SubmissionSets, v)
	}
	for _, d := range a.Documents {
		e := d.Entry
		v := xdmDocument{
			Subset: path.Dir(d.Metadata), URI: e.URI, Path: d.Path, MimeType: e.MimeType, Size: e.Size, Hash: e.Hash,
			HashStatus: d.Integrity.Status(), UniqueID: e.UniqueID, PatientID: e.PatientID,
			TypeCode: xdmCodeString(e.TypeCode), ClassCode: xdmCodeString(e.ClassCode), FormatCode: xdmCodeString(e.FormatCode),
			Title: e.Title, Action: string(e.Action),
		}
		if len(e.Authors) > 0 {
			v.Author = xdmAuthorString(e.Authors[0])
		}
		if !e.CreationTime.IsZero() {
			v.CreationTime = e.CreationTime.Format("2006-01-02T15:04:05Z")
		}
		res.Documents = append(res.Documents, v)
	}
	return res
}

func runXDMInspect(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "xdm inspect")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) != 1 {
		return env.usageError("want one FILE, got %d", len(pos))
	}
	a, done, err := openXDM(env, pos[0], nil)
	if err != nil {
		return env.failFile(1, pos[0], err)
	}
	defer done()
	res := xdmInspectArchive(pos[0], a)
	if *asJSON {
		if err := writeJSON(env.stdout, res); err != nil {
			return 2
		}
		return 0
	}
	w := env.stdout
	fmt.Fprintf(w, "%s\n", res.File)
	if res.PatientID != "" {
		fmt.Fprintf(w, "patient: %s\n", res.PatientID)
	}
	for _, s := range res.SubmissionSets {
		fmt.Fprintf(w, "submission set %s\n", s.EntryUUID)
		xdmPrintField(w, "uniqueId", s.UniqueID)
		xdmPrintField(w, "sourceId", s.SourceID)
		xdmPrintField(w, "submissionTime", s.SubmissionTime)
		xdmPrintField(w, "title", s.Title)
		xdmPrintField(w, "contentTypeCode", s.ContentTypeCode)
		xdmPrintField(w, "patientId", s.PatientID)
		xdmPrintField(w, "author", s.Author)
		xdmPrintField(w, "intendedRecipient", strings.Join(s.IntendedRecipients, ", "))
	}
	for _, d := range res.Documents {
		// Two subsets may hold documents of the same name: name each by
		// its path in the archive.
		where := d.Path
		switch {
		case where == "" && d.URI == "":
			where = d.Subset + "/? (no URI)"
		case where == "":
			where = path.Join(d.Subset, d.URI) + " (not found)"
		}
		fmt.Fprintf(w, "document %s\n", where)
		xdmPrintField(w, "uri", d.URI)
		xdmPrintField(w, "mimeType", d.MimeType)
		xdmPrintField(w, "size", fmt.Sprint(d.Size))
		xdmPrintField(w, "hash", d.Hash+" ("+d.HashStatus+")")
		xdmPrintField(w, "uniqueId", d.UniqueID)
		xdmPrintField(w, "patientId", d.PatientID)
		xdmPrintField(w, "typeCode", d.TypeCode)
		xdmPrintField(w, "title", d.Title)
		xdmPrintField(w, "author", d.Author)
		xdmPrintField(w, "creationTime", d.CreationTime)
		xdmPrintField(w, "action", d.Action)
	}
	fmt.Fprintf(w, "findings: %d errors, %d warnings (mss xdm verify for details)\n",
		res.Findings.Count(finding.Error), res.Findings.Count(finding.Warning))
	return 0
}

func xdmPrintField(w io.Writer, name, v string) {
	if v != "" {
		fmt.Fprintf(w, "  %-18s %s\n", name+":", v)
	}
}

// xdmBuildResult is the --json output of `mss xdm build`.
type xdmBuildResult struct {
	File      string `json:"file"`
	Documents int    `json:"documents"`
	Size      int    `json:"size"`
}

// xdmStringList is a repeatable string flag.
type xdmStringList []string

func (l *xdmStringList) String() string     { return strings.Join(*l, ",") }
func (l *xdmStringList) Set(v string) error { *l = append(*l, v); return nil }

// xdmParseCode reads "code^display^codeSystem" (the authorSpecialty form).
func xdmParseCode(s string) (xdm.Code, error) {
	p := strings.Split(s, "^")
	if len(p) != 3 || p[0] == "" || p[2] == "" {
		return xdm.Code{}, fmt.Errorf("%q: want code^display^codeSystemOID", s)
	}
	return xdm.Code{Code: p[0], DisplayName: p[1], CodeSystem: p[2]}, nil
}

func runXDMBuild(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "xdm build")
	var cdas, attach, recipients xdmStringList
	fs.Var(&cdas, "cda", "CDA R2 document `FILE` to put in the archive (repeatable)")
	fs.Var(&attach, "attach", "other `FILE` to put in the archive (repeatable)")
	fs.Var(&recipients, "recipient", "intended recipient MSSanté `ADDRESS` (repeatable)")
	out := fs.String("o", "IHE_XDM.ZIP", "output `FILE`")
	structName := fs.String("sender-name", "", "sending structure `NAME` (StructNom)")
	structID := fs.String("sender-id", "", "sending structure national `ID` (StructIdNat)")
	sourceID := fs.String("source-id", "", "submission set sourceId `OID` (default 1.2.250.1.71.4.2.2.<sender-id>)")
	person := fs.String("sender-person", "", "sender's `NAME` for README.TXT")
	appName := fs.String("app-name", "mss", "sending application `NAME`")
	appVersion := fs.String("app-version", "", "sending application `VERSION`")
	appVendor := fs.String("app-vendor", "", "sending application `VENDOR`")
	contentType := fs.String("content-type", "", "submission set contentTypeCode `CODE`, code^display^codeSystemOID")
	title := fs.String("title", "", "submission set `TITLE` (default: the first document's title)")
	asJSON := fs.Bool("json", false, `print the result as JSON: {"file","documents","size"}`)
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) > 0 {
		return env.usageError("unexpected argument %q (documents go with --cda or --attach)", pos[0])
	}
	if len(cdas) == 0 || *structName == "" || *structID == "" {
		return env.usageError("--cda, --sender-name and --sender-id are required")
	}
	p := &xdm.Package{Sender: xdm.SenderInfo{
		StructureName: *structName, StructureID: *structID, PersonName: *person,
		ApplicationName: *appName, ApplicationVersion: *appVersion, ApplicationVendor: *appVendor,
	}}
	p.SubmissionSet.SourceID = *sourceID
	if p.SubmissionSet.SourceID == "" {
		p.SubmissionSet.SourceID = idnat.OIDStructure + "." + *structID
	}
	p.SubmissionSet.IntendedRecipients = recipients
	p.SubmissionSet.Title = *title
	if *contentType != "" {
		c, err := xdmParseCode(*contentType)
		if err != nil {
			return env.usageError("--content-type %v", err)
		}
		p.SubmissionSet.ContentTypeCode = c
	}
	for _, name := range cdas {
		b, err := os.ReadFile(name)
		if err != nil {
			return env.failFile(1, name, err)
		}
		d, err := xdm.DocumentFromCDA(b)
		if err != nil {
			return env.failFile(1, name, err)
		}
		p.Documents = append(p.Documents, d)
	}
	first := p.Documents[0].Entry
	if len(first.Authors) > 0 {
		p.SubmissionSet.Author = first.Authors[0]
	}
	if p.SubmissionSet.Title == "" {
		p.SubmissionSet.Title = first.Title
	}
	for _, name := range attach {
		b, err := os.ReadFile(name)
		if err != nil {
			return env.failFile(1, name, err)
		}
		mt := mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
		if i := strings.IndexByte(mt, ';'); i >= 0 {
			mt = mt[:i]
		}
		if mt == "" {
			mt = "application/octet-stream"
		}
		p.Documents = append(p.Documents, &xdm.Document{
			Entry: xdm.DocumentEntry{
				UniqueID: xdm.NewOID(), MimeType: mt, Title: filepath.Base(name),
				CreationTime: first.CreationTime, ConfidentialityCodes: first.ConfidentialityCodes,
				LanguageCode: first.LanguageCode, Authors: first.Authors,
			},
			Content: b,
		})
	}
	var buf bytes.Buffer
	if err := xdm.Write(&buf, p, nil); err != nil {
		return env.fail(1, err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
		return env.failFile(1, *out, err)
	}
	if *asJSON {
		if err := writeJSON(env.stdout, xdmBuildResult{File: *out, Documents: len(p.Documents), Size: buf.Len()}); err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprintf(env.stdout, "%s: %d documents, %d bytes\n", *out, len(p.Documents), buf.Len())
	return 0
}

var _ flag.Value = (*xdmStringList)(nil)
