package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/xdm"
)

func messageCommand() *command {
	return &command{
		name:    "message",
		summary: "compose, inspect and lint MSSanté messages",
		examples: []example{
			{"mss message lint message.eml", "check a message against the MSSanté rules"},
		},
		subs: []*command{
			{
				name:    "build",
				summary: "compose an MSSanté message (.eml), with health documents in IHE_XDM.ZIP",
				usage:   "[--json SPEC.json] [flags] [-o OUT.eml]",
				about: "The message is described by flags, or by a JSON file SPEC.json whose values the\n" +
					"flags override (lists are appended). SPEC.json, every key optional but from.address,\n" +
					"from.type, from.nil and a recipient:\n" +
					"\n" +
					"  {\n" +
					"    \"from\": {                          the sender (X-MSS-NIL is from.nil)\n" +
					"      \"address\": \"dpi@hopital.mssante.fr\",\n" +
					"      \"type\": \"APP\",                   PER, ORG or APP\n" +
					"      \"title\": \"Dr\", \"given_name\": \"Marie\", \"family_name\": \"MARTIN\",   for PER\n" +
					"      \"entity\": \"Hôpital – DPI\",       ORG/APP label, PER suffix\n" +
					"      \"label\": \"\",                     the From label as is, instead\n" +
					"      \"nil\": \"DEV000000\"               the product's reference from the ANS\n" +
					"    },\n" +
					"    \"to\": [\"dr.durand@medecin.mssante.fr\"], \"cc\": [], \"bcc\": [], \"reply_to\": [],\n" +
					"    \"subject\": \"...\",                  default with documents: XDM/1.0/DDM+...\n" +
					"    \"text\": \"...\", \"html\": \"...\",      the body, and an HTML alternative\n" +
					"    \"attachments\": [\"lettre.pdf\"],     files attached as they are\n" +
					"    \"documents\": [{\"cda\": \"cr.xml\", \"pdf\": \"cr.pdf\", \"file_number\": \"\"}],\n" +
					"                                       CDA in IHE_XDM.ZIP + PDF (pdf optional for level 1)\n" +
					"    \"structure\": {\"name\": \"Hôpital\", \"id\": \"1750000002\", \"application\": \"MonDPI\"},\n" +
					"                                       sender in the archive's INDEX.HTM and README.TXT\n" +
					"    \"read_receipt\": true, \"delivery_receipt\": false,\n" +
					"    \"headers\": {\"X-MSS-MES\": \"FIN\"}    other header fields\n" +
					"  }\n" +
					"\n" +
					"Unknown keys are refused. File paths are relative to the current directory.",
				examples: []example{
					{"mss message build --json spec.json -o message.eml", "build the message described by spec.json"},
					{"mss message build --from dpi@hopital-test.mssante.fr --type APP --entity 'Hôpital Test – DPI' --nil DEV000000 \\\n" +
						"      --to dr.durand@medecin-test.mssante.fr --cda cr.xml --struct-name 'Hôpital Test' --struct-id 1750000002 \\\n" +
						"      --read-receipt -o message.eml",
						"a level 1 CDA (its PDF taken from its body) sent from an applicative mailbox"},
				},
				exits: exitCodes("the message was written", "the message is not valid or a file cannot be read or written"),
				run:   runMessageBuild,
			},
			{
				name:    "inspect",
				summary: "print what a received message carries: sender, recipients, MSSanté headers, documents",
				usage:   "[--json] FILE.eml",
				about:   "FILE.eml - reads standard input. Header fields are printed decoded (RFC 2047).",
				examples: []example{
					{"mss message inspect message.eml", "the summary, the archive's patient and documents, the text"},
					{"mss message inspect --json message.eml", "the same as JSON"},
				},
				exits: exitCodes("the message was read", "the file cannot be read or is not a message"),
				run:   runMessageInspect,
			},
			{
				name:    "lint",
				summary: "check a message against the MSSanté rules (ECO.* of the référentiel)",
				usage:   "[--json] [--max-size BYTES] [--test-ins-key-warning] FILE.eml",
				about: "FILE.eml - reads standard input. Prints one line per finding (level, rule id,\n" +
					"location, message, spec) and the count of errors and warnings. The CDA documents of the\n" +
					"IHE_XDM.ZIP are checked as mss cda validate does: their errors are the message's,\n" +
					"located at their path in the archive; X-MSS-CODECDA must name exactly their codes.",
				examples: []example{
					{"mss message lint message.eml", "lint a message"},
					{"mss message lint --max-size 20000000 --json message.eml", "with the operator's 20 Mo limit, as JSON"},
				},
				exits: exitCodes("no error-level finding", "an error-level finding, or the file cannot be read"),
				run:   runMessageLint,
			},
		},
	}
}

// msgInput parses the flags and the one FILE argument ("-" for standard
// input) of a subcommand, and opens the file. A non-nil done is to be
// called when the file is no longer used; with a nil done, code is the exit
// code to return (the message printed).
func msgInput(env *cmdEnv, fs *flag.FlagSet, args []string) (name string, r io.Reader, done func(), code int) {
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return "", nil, nil, usageExit(err)
	}
	if len(pos) != 1 {
		return "", nil, nil, env.usageError("want one FILE, got %d", len(pos))
	}
	f, err := openInput(env, pos[0])
	if err != nil {
		return "", nil, nil, env.failFile(1, pos[0], err)
	}
	return pos[0], f, func() { f.Close() }, 0
}

// msgOutput writes b to the file named out, or to standard output for "-",
// as streamOutput does.
func msgOutput(env *cmdEnv, out string, b []byte) int {
	return streamOutput(env, out, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// streamOutput runs write on a buffered writer to the file named out, or to
// standard output for "-", so that a large result goes out as it is
// produced instead of being held whole first. A regular file (new or
// existing) is written under a temporary name in the same directory and
// renamed over out only when write succeeded: a failure in the middle leaves
// no output file, or the previous one untouched, never a truncated one that
// looks whole. Anything else (a device, a named pipe) is written in place.
func streamOutput(env *cmdEnv, out string, write func(io.Writer) error) int {
	if out == "-" {
		bw := bufio.NewWriterSize(env.rawStdout, 64<<10)
		err := write(bw)
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return env.fail(1, err)
		}
		return 0
	}
	if err := writeFileAtomic(out, write); err != nil {
		return env.failFile(1, out, err)
	}
	return 0
}

// writeFileAtomic is streamOutput's writing of the file out: see there. A
// symbolic link is kept: the file it points to is the one replaced.
func writeFileAtomic(out string, write func(io.Writer) error) (err error) {
	perm := os.FileMode(0o600)
	if st, err := os.Lstat(out); err == nil && st.Mode()&os.ModeSymlink != 0 {
		if target, err := filepath.EvalSymlinks(out); err == nil {
			out = target
		}
	}
	st, statErr := os.Stat(out)
	_, lstatErr := os.Lstat(out)
	if dangling := statErr != nil && lstatErr == nil; dangling || statErr == nil && !st.Mode().IsRegular() {
		// A device, a named pipe, or a link to nowhere (which writing
		// creates, as os.WriteFile does): written in place.
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 64<<10)
		if err := write(bw); err != nil {
			f.Close()
			return err
		}
		if err := bw.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if statErr == nil {
		perm = st.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), out)
}

// msgList is a repeatable flag that also splits on commas.
type msgList []string

func (l *msgList) String() string { return strings.Join(*l, ",") }
func (l *msgList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// messageSpec is the JSON description read by `mss message build --json`.
type messageSpec struct {
	From struct {
		Address    string `json:"address"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		GivenName  string `json:"given_name"`
		FamilyName string `json:"family_name"`
		Entity     string `json:"entity"`
		Label      string `json:"label"`
		NIL        string `json:"nil"`
	} `json:"from"`
	To              []string          `json:"to"`
	Cc              []string          `json:"cc"`
	Bcc             []string          `json:"bcc"`
	ReplyTo         []string          `json:"reply_to"`
	Subject         string            `json:"subject"`
	Text            string            `json:"text"`
	HTML            string            `json:"html"`
	Attachments     []string          `json:"attachments"`
	Documents       []documentSpec    `json:"documents"`
	Structure       structureSpec     `json:"structure"`
	ReadReceipt     bool              `json:"read_receipt"`
	DeliveryReceipt bool              `json:"delivery_receipt"`
	Headers         map[string]string `json:"headers"`
	// AcceptInvalidCDA attaches a CDA whose header has errors
	// (mssante.DocumentsOptions.AcceptInvalidCDA).
	AcceptInvalidCDA bool `json:"accept_invalid_cda"`
}

type documentSpec struct {
	CDA        string `json:"cda"`
	PDF        string `json:"pdf"`
	FileNumber string `json:"file_number"`
}

type structureSpec struct {
	Name        string `json:"name"`
	ID          string `json:"id"`
	Application string `json:"application"`
}

func runMessageBuild(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "message build")
	var spec messageSpec
	jsonFile := fs.String("json", "", "JSON description `SPEC.json` of the message, see above (flags override it)")
	from := fs.String("from", "", "sender `ADDRESS`")
	typ := fs.String("type", "", "sender mailbox `TYPE`: PER, ORG or APP")
	title := fs.String("title", "", "sender `TITLE` (PER), e.g. Dr")
	given := fs.String("given", "", "sender given `NAME` (PER)")
	family := fs.String("family", "", "sender family `NAME` (PER)")
	entity := fs.String("entity", "", "`ENTITY`: entité fonctionnelle (ORG/APP label, PER suffix)")
	label := fs.String("label", "", "From `LABEL`, used as is")
	nilRef := fs.String("nil", "", "X-MSS-NIL product `REFERENCE` (required)")
	var to, cc, bcc, replyTo, attach, cdas, pdfs msgList
	fs.Var(&to, "to", "recipient `ADDRESS` (repeatable, comma-separated)")
	fs.Var(&cc, "cc", "copy recipient `ADDRESS` (repeatable)")
	fs.Var(&bcc, "bcc", "blind copy recipient `ADDRESS` (repeatable): kept in the file for mss send, which removes it from what it sends")
	fs.Var(&replyTo, "reply-to", "Reply-To `ADDRESS` (repeatable)")
	fs.Var(&attach, "attach", "`FILE` to attach (repeatable)")
	fs.Var(&cdas, "cda", "CDA document `FILE` to send in IHE_XDM.ZIP (repeatable)")
	fs.Var(&pdfs, "pdf", "PDF `FILE` of the CDA of the same rank (optional for level 1 documents)")
	subject := fs.String("subject", "", "`SUBJECT` (default for documents: XDM/1.0/DDM+...)")
	text := fs.String("text", "", "`TEXT` of the body")
	textFile := fs.String("text-file", "", "`FILE` holding the text body")
	htmlFile := fs.String("html-file", "", "`FILE` holding an HTML alternative")
	structName := fs.String("struct-name", "", "sending structure `NAME` (XDM INDEX.HTM/README.TXT)")
	structID := fs.String("struct-id", "", "sending structure national `ID` (StructIdNat)")
	appName := fs.String("app-name", "", "sending application `NAME` (XDM README.TXT)")
	readReceipt := fs.Bool("read-receipt", false, "request an MDN (Disposition-Notification-To)")
	acceptInvalid := fs.Bool("accept-invalid-cda", false, "attach a CDA even when mss cda validate finds errors in its header")
	deliveryReceipt := fs.Bool("delivery-receipt", false, "request a delivery receipt (Return-Receipt-To)")
	out := fs.String("o", "-", "output `FILE` (- for standard output)")
	pos, err := parseArgs(env, fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) > 0 {
		return env.usageError("unexpected argument %q", pos[0])
	}
	if *jsonFile != "" {
		b, err := os.ReadFile(*jsonFile)
		if err != nil {
			return env.failFile(2, *jsonFile, err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			return env.failFile(2, *jsonFile, err)
		}
	}
	override := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	override(&spec.From.Address, *from)
	override(&spec.From.Type, *typ)
	override(&spec.From.Title, *title)
	override(&spec.From.GivenName, *given)
	override(&spec.From.FamilyName, *family)
	override(&spec.From.Entity, *entity)
	override(&spec.From.Label, *label)
	override(&spec.From.NIL, *nilRef)
	override(&spec.Subject, *subject)
	override(&spec.Text, *text)
	override(&spec.Structure.Name, *structName)
	override(&spec.Structure.ID, *structID)
	override(&spec.Structure.Application, *appName)
	spec.To = append(spec.To, to...)
	spec.Cc = append(spec.Cc, cc...)
	spec.Bcc = append(spec.Bcc, bcc...)
	spec.ReplyTo = append(spec.ReplyTo, replyTo...)
	spec.Attachments = append(spec.Attachments, attach...)
	if len(pdfs) > len(cdas) {
		return env.usageError("%d --pdf for %d --cda: each PDF goes with the CDA of the same rank", len(pdfs), len(cdas))
	}
	for i, c := range cdas {
		d := documentSpec{CDA: c}
		if i < len(pdfs) {
			d.PDF = pdfs[i]
		}
		spec.Documents = append(spec.Documents, d)
	}
	spec.ReadReceipt = spec.ReadReceipt || *readReceipt
	spec.AcceptInvalidCDA = spec.AcceptInvalidCDA || *acceptInvalid
	spec.DeliveryReceipt = spec.DeliveryReceipt || *deliveryReceipt
	if *textFile != "" {
		b, err := os.ReadFile(*textFile)
		if err != nil {
			return env.failFile(2, *textFile, err)
		}
		spec.Text = string(b)
	}
	if *htmlFile != "" {
		b, err := os.ReadFile(*htmlFile)
		if err != nil {
			return env.failFile(2, *htmlFile, err)
		}
		spec.HTML = string(b)
	}
	m, err := buildFromSpec(&spec)
	if err != nil {
		return env.fail(1, err)
	}
	return writeMessage(env, *out, m)
}

// writeMessage streams the message to out ("-" for standard output): it is
// never held whole in memory, its attachments given with --attach are read
// from their files as they are encoded, and a failure on the way leaves no
// output file (streamOutput). It is a draft: with Bcc recipients the file
// keeps its Bcc field, which mss send removes while delivering to them
// (never written on the wire).
func writeMessage(env *cmdEnv, out string, m *mssante.Message) int {
	return streamOutput(env, out, func(w io.Writer) error {
		_, err := m.WriteDraft(w)
		return err
	})
}

func buildFromSpec(spec *messageSpec) (*mssante.Message, error) {
	f := spec.From
	m := &mssante.Message{
		From: &mssante.Sender{
			Address: f.Address, Type: mssante.MailboxType(strings.ToUpper(f.Type)), Title: f.Title,
			GivenName: f.GivenName, FamilyName: f.FamilyName, Entity: f.Entity, Label: f.Label, NIL: f.NIL,
		},
		Subject:                spec.Subject,
		Text:                   spec.Text,
		HTML:                   spec.HTML,
		RequestReadReceipt:     spec.ReadReceipt,
		RequestDeliveryReceipt: spec.DeliveryReceipt,
	}
	var err error
	for _, l := range []struct {
		dst *[]*mail.Address
		src []string
	}{{&m.To, spec.To}, {&m.Cc, spec.Cc}, {&m.Bcc, spec.Bcc}, {&m.ReplyTo, spec.ReplyTo}} {
		if len(l.src) == 0 {
			continue
		}
		if *l.dst, err = mssante.Addresses(strings.Join(l.src, ", ")); err != nil {
			return nil, err
		}
	}
	for k, v := range spec.Headers {
		m.Header.Set(k, v)
	}
	if len(spec.Documents) > 0 {
		var docs []*mssante.HealthDocument
		for _, d := range spec.Documents {
			hd := &mssante.HealthDocument{FileNumber: d.FileNumber}
			if hd.CDA, err = os.ReadFile(d.CDA); err != nil {
				return nil, err
			}
			if d.PDF != "" {
				if hd.PDF, err = os.ReadFile(d.PDF); err != nil {
					return nil, err
				}
			}
			docs = append(docs, hd)
		}
		opts := &mssante.DocumentsOptions{Sender: xdm.SenderInfo{
			StructureName: spec.Structure.Name, StructureID: spec.Structure.ID, ApplicationName: spec.Structure.Application,
		}, AcceptInvalidCDA: spec.AcceptInvalidCDA}
		if opts.Sender.ApplicationName == "" {
			opts.Sender.ApplicationName = "mss (MSSanté Go SDK)"
		}
		if err := m.AttachDocuments(docs, opts); err != nil {
			return nil, err
		}
	}
	for _, a := range spec.Attachments {
		// Read when the message is written, not held: a missing file is
		// reported now, a read error then (and no output file is left).
		if _, err := os.Stat(a); err != nil {
			return nil, err
		}
		m.Attachments = append(m.Attachments, &mssante.Attachment{Filename: filepath.Base(a), Open: func() (io.Reader, error) {
			return os.Open(a)
		}})
	}
	return m, m.Validate()
}

func runMessageInspect(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "message inspect")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	name, r, done, code := msgInput(env, fs, args)
	if done == nil {
		return code
	}
	defer done()
	in, err := mssante.Read(r, nil)
	if err != nil {
		return env.failFile(1, name, err)
	}
	if *asJSON {
		if err := writeJSON(env.stdout, in); err != nil {
			return 2
		}
		return 0
	}
	w := env.stdout
	from := ""
	if in.From != nil {
		from = displayAddress(in.From)
	}
	fmt.Fprintf(w, "Kind:        %s\n", in.Kind)
	fmt.Fprintf(w, "From:        %s (%s", from, in.SenderKind)
	if in.SenderINS != "" {
		fmt.Fprintf(w, ", INS %s", in.SenderINS)
	}
	fmt.Fprintln(w, ")")
	for _, l := range []struct {
		name string
		l    []*mail.Address
	}{{"To", in.To}, {"Cc", in.Cc}, {"Reply-To", in.ReplyTo}} {
		for _, a := range l.l {
			fmt.Fprintf(w, "%-12s %s\n", l.name+":", displayAddress(a))
		}
	}
	fmt.Fprintf(w, "Subject:     %s\n", in.DisplaySubject)
	if in.Subject != in.DisplaySubject {
		fmt.Fprintf(w, "Raw subject: %s\n", in.Subject)
	}
	if !in.Date.IsZero() {
		fmt.Fprintf(w, "Date:        %s\n", in.Date.Format("2006-01-02 15:04:05 -0700"))
	}
	fmt.Fprintf(w, "Message-ID:  %s\n", in.MessageID)
	for _, h := range [][2]string{{"X-MSS-NIL", in.NIL}, {"X-MSS-CODECDA", strings.Join(in.CodeCDA, ",")}, {"X-MSS-INS", in.INS}, {"X-MSS-MES", in.MES}, {"MDN to", in.MDNRequestedTo}} {
		if h[1] != "" {
			fmt.Fprintf(w, "%-12s %s\n", h[0]+":", h[1])
		}
	}
	fmt.Fprintf(w, "Size:        %d bytes\n", in.Size)
	for _, a := range in.Attachments {
		fmt.Fprintf(w, "Attachment:  %s (%s, %d bytes)\n", a.Filename, a.ContentType, a.Size)
	}
	if x := in.XDM; x != nil {
		fmt.Fprintf(w, "XDM patient: %s\n", x.PatientID)
		if p := x.Patient; p != nil {
			t := p.Traits
			fmt.Fprintf(w, "Patient:     %s %s", t.BirthName, t.FirstGiven())
			if !t.BirthDate.IsZero() {
				fmt.Fprintf(w, ", %s", t.BirthDate.Format("02/01/2006"))
			}
			if t.Sex != "" {
				fmt.Fprintf(w, ", %s", t.Sex)
			}
			if !p.INS.IsZero() {
				fmt.Fprintf(w, ", INS %s", p.INS)
			}
			fmt.Fprintln(w)
		}
		for _, d := range x.Documents {
			fmt.Fprintf(w, "Document:    %s [%s] %s (%s)\n", d.Path, d.TypeCode, d.Title, d.Integrity)
		}
	}
	if in.Text != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(strings.ReplaceAll(in.Text, "\r\n", "\n"), "\n"))
	}
	if len(in.Warnings) > 0 {
		fmt.Fprintln(w)
		for _, f := range in.Warnings {
			fmt.Fprintln(w, f.String())
		}
	}
	return 0
}

// displayAddress writes an address for reading: the display name decoded
// (RFC 2047, as go-message returns it) and not re-encoded, as
// mail.Address.String would do.
func displayAddress(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	return a.Name + " <" + a.Address + ">"
}

// lintResult is the --json output of `mss message lint`.
type lintResult struct {
	File     string       `json:"file"`
	Valid    bool         `json:"valid"`
	Findings finding.List `json:"findings"`
}

func runMessageLint(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "message lint")
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	maxSize := fs.Int64("max-size", 0, "the operator's size limit in `BYTES` (default 10 Mo)")
	testINS := fs.Bool("test-ins-key-warning", false, "in the CDA documents, report a wrong INS key under the test/demo OIDs (.10, .11) as a warning (to replay the official examples)")
	name, r, done, code := msgInput(env, fs, args)
	if done == nil {
		return code
	}
	defer done()
	fsList, err := mssante.Lint(r, &mssante.LintOptions{MaxSize: *maxSize, CDA: &cda.ValidateOptions{TestINSKeyWarning: *testINS}})
	if err != nil {
		return env.failFile(1, name, err)
	}
	res := lintResult{File: name, Valid: !fsList.HasErrors(), Findings: fsList}
	if *asJSON {
		if err := writeJSON(env.stdout, res); err != nil {
			return 2
		}
	} else {
		for _, f := range fsList {
			fmt.Fprintln(env.stdout, f.String())
		}
		fmt.Fprintf(env.stdout, "%s: %d error(s), %d warning(s)\n", name, fsList.Count(finding.Error), fsList.Count(finding.Warning))
	}
	if !res.Valid {
		return 1
	}
	return 0
}
