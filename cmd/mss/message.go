package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/xdm"
)

func runMessage(env *cmdEnv, args []string) int {
	return subcommands(env, "message", args, map[string]func(*cmdEnv, []string) int{
		"build":   runMessageBuild,
		"inspect": runMessageInspect,
		"lint":    runMessageLint,
	})
}

// msgInput parses the flags and the one FILE argument ("-" for standard
// input) of a subcommand, and opens the file. A non-zero code is the exit
// code to return.
func msgInput(env *cmdEnv, fs *flag.FlagSet, args []string) (name string, r io.Reader, done func(), code int) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return "", nil, nil, 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", nil, nil, 2
	}
	f, err := openInput(env, pos[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "%s: %v\n", fs.Name(), err)
		return "", nil, nil, 1
	}
	return pos[0], f, func() { f.Close() }, 0
}

// msgOutput writes b to the file named out, or to standard output for "-".
func msgOutput(env *cmdEnv, fs *flag.FlagSet, out string, b []byte) int {
	var err error
	if out == "-" {
		_, err = env.stdout.Write(b)
	} else {
		err = os.WriteFile(out, b, 0o600)
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "%s: %v\n", fs.Name(), err)
		return 1
	}
	return 0
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
	jsonFile := fs.String("json", "", "JSON description of the message (flags override it)")
	from := fs.String("from", "", "sender address")
	typ := fs.String("type", "", "sender mailbox type: PER, ORG or APP")
	title := fs.String("title", "", "sender title (PER), e.g. Dr")
	given := fs.String("given", "", "sender given name (PER)")
	family := fs.String("family", "", "sender family name (PER)")
	entity := fs.String("entity", "", "entité fonctionnelle (ORG/APP label, PER suffix)")
	label := fs.String("label", "", "From label, used as is")
	nilRef := fs.String("nil", "", "X-MSS-NIL product reference (required)")
	var to, cc, bcc, replyTo, attach, cdas, pdfs msgList
	fs.Var(&to, "to", "recipient (repeatable, comma-separated)")
	fs.Var(&cc, "cc", "copy recipient (repeatable)")
	fs.Var(&bcc, "bcc", "blind copy recipient (repeatable)")
	fs.Var(&replyTo, "reply-to", "Reply-To address (repeatable)")
	fs.Var(&attach, "attach", "file to attach (repeatable)")
	fs.Var(&cdas, "cda", "CDA document to send in IHE_XDM.ZIP (repeatable)")
	fs.Var(&pdfs, "pdf", "PDF of the CDA of the same rank (optional for level 1 documents)")
	subject := fs.String("subject", "", "subject (default for documents: XDM/1.0/DDM+...)")
	text := fs.String("text", "", "text body")
	textFile := fs.String("text-file", "", "file holding the text body")
	htmlFile := fs.String("html-file", "", "file holding an HTML alternative")
	structName := fs.String("struct-name", "", "sending structure name (XDM INDEX.HTM/README.TXT)")
	structID := fs.String("struct-id", "", "sending structure national id (StructIdNat)")
	appName := fs.String("app-name", "", "sending application name (XDM README.TXT)")
	readReceipt := fs.Bool("read-receipt", false, "request an MDN (Disposition-Notification-To)")
	deliveryReceipt := fs.Bool("delivery-receipt", false, "request a delivery receipt (Return-Receipt-To)")
	out := fs.String("o", "-", "output file")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss message build [--json SPEC.json] [flags] [-o OUT.eml]")
		fs.PrintDefaults()
	}
	if _, err := parseInterspersed(fs, args); err != nil {
		return 2
	}
	if *jsonFile != "" {
		b, err := os.ReadFile(*jsonFile)
		if err != nil {
			fmt.Fprintln(env.stderr, "mss message build:", err)
			return 2
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			fmt.Fprintf(env.stderr, "mss message build: %s: %v\n", *jsonFile, err)
			return 2
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
		fmt.Fprintf(env.stderr, "mss message build: %d --pdf for %d --cda: each PDF goes with the CDA of the same rank\n", len(pdfs), len(cdas))
		return 2
	}
	for i, c := range cdas {
		d := documentSpec{CDA: c}
		if i < len(pdfs) {
			d.PDF = pdfs[i]
		}
		spec.Documents = append(spec.Documents, d)
	}
	spec.ReadReceipt = spec.ReadReceipt || *readReceipt
	spec.DeliveryReceipt = spec.DeliveryReceipt || *deliveryReceipt
	if *textFile != "" {
		b, err := os.ReadFile(*textFile)
		if err != nil {
			fmt.Fprintln(env.stderr, "mss message build:", err)
			return 2
		}
		spec.Text = string(b)
	}
	if *htmlFile != "" {
		b, err := os.ReadFile(*htmlFile)
		if err != nil {
			fmt.Fprintln(env.stderr, "mss message build:", err)
			return 2
		}
		spec.HTML = string(b)
	}
	m, err := buildFromSpec(&spec)
	if err != nil {
		fmt.Fprintln(env.stderr, "mss message build:", err)
		return 1
	}
	raw, err := m.Bytes()
	if err != nil {
		fmt.Fprintln(env.stderr, "mss message build:", err)
		return 1
	}
	return msgOutput(env, fs, *out, raw)
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
		}}
		if opts.Sender.ApplicationName == "" {
			opts.Sender.ApplicationName = "mss (MSSanté Go SDK)"
		}
		if err := m.AttachDocuments(docs, opts); err != nil {
			return nil, err
		}
	}
	for _, a := range spec.Attachments {
		b, err := os.ReadFile(a)
		if err != nil {
			return nil, err
		}
		m.Attachments = append(m.Attachments, &mssante.Attachment{Filename: filepath.Base(a), Data: b})
	}
	return m, m.Validate()
}

func runMessageInspect(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "message inspect")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss message inspect FILE.eml|- [--json]")
		fs.PrintDefaults()
	}
	_, r, done, code := msgInput(env, fs, args)
	if code != 0 {
		return code
	}
	defer done()
	in, err := mssante.Read(r, nil)
	if err != nil {
		fmt.Fprintln(env.stderr, "mss message inspect:", err)
		return 1
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
		from = in.From.String()
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
			fmt.Fprintf(w, "%-12s %s\n", l.name+":", a.String())
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
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(in.Text, "\r\n"))
	}
	if len(in.Warnings) > 0 {
		fmt.Fprintln(w)
		for _, f := range in.Warnings {
			fmt.Fprintln(w, f.String())
		}
	}
	return 0
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
	maxSize := fs.Int64("max-size", 0, "operator size limit in bytes (default 10 Mo)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mss message lint FILE.eml|- [--json] [--max-size BYTES]\n\nExits 0 when there is no error-level finding, 1 otherwise.")
		fs.PrintDefaults()
	}
	name, r, done, code := msgInput(env, fs, args)
	if code != 0 {
		return code
	}
	defer done()
	fsList, err := mssante.Lint(r, &mssante.LintOptions{MaxSize: *maxSize})
	if err != nil {
		fmt.Fprintln(env.stderr, "mss message lint:", err)
		return 1
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
