package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/xdm"
)

// InboxMessage is an incoming message as GET /v1/inbox gives it: who
// sent it, for which patient, its documents with their XDS metadata, and
// whether its IHE_XDM.ZIP archive verified.
type InboxMessage struct {
	ID       int64     `json:"id"`
	Mailbox  string    `json:"mailbox"`
	Received time.Time `json:"received"`
	// Kind is message, unreadable, or a receipt that matched no message
	// sent (dsn, mdn, bounce).
	Kind      string    `json:"kind"`
	From      string    `json:"from,omitempty"`
	To        []string  `json:"to"`
	Subject   string    `json:"subject,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	Date      time.Time `json:"date,omitzero"`
	Text      string    `json:"text,omitempty"`
	// MDNRequestedTo is where an MDN is asked for (Ack sends it).
	MDNRequestedTo string `json:"mdn_requested_to,omitempty"`
	// PatientINS is the INS of the archive's patient; Patient the identity
	// of the first CDA's recordTarget.
	PatientINS *ins.INS      `json:"patient_ins,omitempty"`
	Patient    *ins.Identity `json:"patient,omitempty"`
	Archive    *Archive      `json:"archive,omitempty"`
	Documents  []Document    `json:"documents"`
	Ack        *delivery.Ack `json:"ack,omitempty"`
	// Error says why the message could not be read (kind unreadable, or a
	// reader error); the raw message is still at /v1/inbox/{id}/raw.
	Error string `json:"error,omitempty"`
}

// Archive is the verdict on the IHE_XDM.ZIP archive.
type Archive struct {
	// Verified: the archive was read and no finding is an error (hashes,
	// sizes, metadata, CDA).
	Verified bool              `json:"verified"`
	Findings []finding.Finding `json:"findings"`
}

// Document is a document of an incoming message: an entry of the archive
// (a CDA, with its XDS metadata) or a PDF attachment; N is its number in
// /v1/inbox/{id}/documents/{n}.
type Document struct {
	N         int                `json:"n"`
	Source    string             `json:"source"` // archive or attachment
	Name      string             `json:"name"`
	MimeType  string             `json:"mime_type"`
	Size      int                `json:"size"`
	Title     string             `json:"title,omitempty"`
	TypeCode  string             `json:"type_code,omitempty"`
	Integrity string             `json:"integrity,omitempty"` // archive entries: the hash and size check
	Metadata  *xdm.DocumentEntry `json:"metadata,omitempty"`
	URL       string             `json:"url"`

	data []byte
}

// readIncoming reads a stored message into its API form.
func readIncoming(in *delivery.Incoming) *InboxMessage {
	out := &InboxMessage{ID: in.ID, Mailbox: in.Mailbox, Received: in.Received, Kind: in.Kind, Ack: in.Ack, To: []string{}, Documents: []Document{}}
	if in.Kind == delivery.KindUnreadable {
		out.Error = "no header could be read"
		return out
	}
	m, err := mssante.Read(bytes.NewReader(in.Raw), nil)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	if m.From != nil {
		out.From = m.From.Address
	}
	for _, a := range m.To {
		out.To = append(out.To, a.Address)
	}
	out.Subject, out.MessageID, out.Date, out.Text, out.MDNRequestedTo = m.DisplaySubject, m.MessageID, m.Date, m.Text, m.MDNRequestedTo
	base := fmt.Sprintf("/v1/inbox/%d/documents/", in.ID)
	add := func(d Document) {
		d.N = len(out.Documents) + 1
		d.URL = base + strconv.Itoa(d.N)
		d.Size = len(d.data)
		out.Documents = append(out.Documents, d)
	}
	if x := m.XDM; x != nil {
		out.Archive = &Archive{Verified: x.Archive != nil && !x.Findings.HasErrors(), Findings: x.Findings}
		if out.Archive.Findings == nil {
			out.Archive.Findings = []finding.Finding{}
		}
		if i, ok := m.PatientINS(); ok {
			out.PatientINS = &i
		}
		out.Patient = x.Patient
		for _, d := range x.Documents {
			e := d.Entry
			add(Document{Source: "archive", Name: d.Path, MimeType: d.MimeType, Title: d.Title, TypeCode: d.TypeCode,
				Integrity: d.Integrity, Metadata: &e, data: d.Content})
		}
	}
	for _, a := range m.Attachments {
		if a.ContentType == "application/pdf" || strings.HasSuffix(strings.ToLower(a.Filename), ".pdf") {
			add(Document{Source: "attachment", Name: a.Filename, MimeType: "application/pdf", data: a.Data})
		}
	}
	return out
}

// InboxList is the answer of GET /v1/inbox.
type InboxList struct {
	Messages []*InboxMessage `json:"messages"`
}

// inbox is GET /v1/inbox?mailbox=&after=&limit=&acked=true&receipts=true.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := intParam(w, r, "limit", 20)
	if !ok {
		return
	}
	after, ok := intParam(w, r, "after", 0)
	if !ok {
		return
	}
	ins, err := s.o.Inbox(r.Context(), &delivery.InboxOptions{Mailbox: q.Get("mailbox"), After: int64(after), Limit: limit,
		Acked: q.Get("acked") == "true", Receipts: q.Get("receipts") == "true"})
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := InboxList{Messages: []*InboxMessage{}}
	for _, in := range ins {
		out.Messages = append(out.Messages, readIncoming(in))
	}
	writeJSON(w, http.StatusOK, out)
}

// incoming reads the message of the {id} path parameter; it answers and
// returns nil when there is none.
func (s *Server) incoming(w http.ResponseWriter, r *http.Request) *delivery.Incoming {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeProblem(w, r, http.StatusNotFound, ProblemNotFound, "no incoming message %q", r.PathValue("id"))
		return nil
	}
	in, err := s.o.IncomingMessage(r.Context(), id)
	if err != nil {
		s.storeError(w, r, err)
		return nil
	}
	return in
}

// inboxMessage is GET /v1/inbox/{id}.
func (s *Server) inboxMessage(w http.ResponseWriter, r *http.Request) {
	if in := s.incoming(w, r); in != nil {
		writeJSON(w, http.StatusOK, readIncoming(in))
	}
}

// inboxRaw is GET /v1/inbox/{id}/raw: the message as received.
func (s *Server) inboxRaw(w http.ResponseWriter, r *http.Request) {
	if in := s.incoming(w, r); in != nil {
		w.Header().Set("Content-Type", "message/rfc822")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(in.Raw)
	}
}

// inboxDocument is GET /v1/inbox/{id}/documents/{n}: the CDA or the PDF.
func (s *Server) inboxDocument(w http.ResponseWriter, r *http.Request) {
	in := s.incoming(w, r)
	if in == nil {
		return
	}
	m := readIncoming(in)
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > len(m.Documents) {
		writeProblem(w, r, http.StatusNotFound, ProblemNotFound, "message %d has %d document(s): no document %q", in.ID, len(m.Documents), r.PathValue("n"))
		return
	}
	d := m.Documents[n-1]
	mt := d.MimeType
	if mt == "" || mt == "text/xml" {
		mt = "text/xml; charset=utf-8"
	}
	w.Header().Set("Content-Type", mt)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", safeName(d.Name)))
	w.Write(d.data)
}

// safeName keeps the last element of a name, without quotes or controls.
func safeName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == 0x7f {
			return '_'
		}
		return r
	}, name)
}

// AckRequest is the body of POST /v1/inbox/{id}/ack.
type AckRequest struct {
	// MDN is what goes back to a message that asks for one: "processed"
	// (the default: the documents were integrated), "error" with
	// ErrorCode (a French integration error 900–906, ECO.2.3.2), or
	// "none".
	MDN       string `json:"mdn,omitempty"`
	ErrorCode int    `json:"error_code,omitempty"`
	// ErrorLabel replaces the label of the error code.
	ErrorLabel string `json:"error_label,omitempty"`
}

// AckResult is the answer of POST /v1/inbox/{id}/ack.
type AckResult struct {
	ID  int64         `json:"id"`
	Ack *delivery.Ack `json:"ack"`
	// MDN is the Message-ID of the MDN enqueued (follow it at
	// /v1/messages/{mdn}); empty when none was asked for or sent.
	MDN string `json:"mdn,omitempty"`
}

// ack is POST /v1/inbox/{id}/ack: the caller filed the message; the MDN it
// asked for goes back, enqueued in the same transaction as the ack.
func (s *Server) ack(w http.ResponseWriter, r *http.Request) {
	in := s.incoming(w, r)
	if in == nil {
		return
	}
	var req AckRequest
	if r.ContentLength != 0 {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "ack: %v", err)
			return
		}
	}
	if req.MDN == "" {
		req.MDN = "processed"
	}
	var fs finding.List
	switch req.MDN {
	case "processed", "none":
		if req.ErrorCode != 0 {
			fs.Add(finding.Error, "SERVE-ACK", "error_code", "docs/serve.md", "error_code goes with mdn \"error\"")
		}
	case "error":
		if !mssante.ErrorCode(req.ErrorCode).Valid() && req.ErrorLabel == "" {
			fs.Add(finding.Error, "SERVE-ACK", "error_code", "mssante.md §9", "error %d: want one of 900–906, or an error_label", req.ErrorCode)
		}
	default:
		fs.Add(finding.Error, "SERVE-ACK", "mdn", "docs/serve.md", "mdn %q: want processed, error or none", req.MDN)
	}
	if fs.HasErrors() {
		invalid(w, r, fs, "the ack cannot be made")
		return
	}
	opts := &delivery.AckOptions{Disposition: req.MDN, ErrorCode: req.ErrorCode}
	if req.MDN == "error" {
		opts.Disposition = "error"
	}
	if req.MDN != "none" && in.Kind == delivery.KindMessage {
		mdn, to, err := s.mdnFor(in, &req)
		switch {
		case errors.Is(err, mssante.ErrNoMDNRequested):
			// No MDN asked for: the ack is recorded alone.
		case err != nil:
			fs.Add(finding.Error, "SERVE-MDN", "message", "mssante.md §9", "%v", err)
			invalid(w, r, fs, "the MDN cannot be written")
			return
		default:
			opts.Reply = mdn
			opts.ReplyOptions = &delivery.EnqueueOptions{Key: fmt.Sprintf("mdn:%d", in.ID), From: in.Mailbox, To: []string{to}}
		}
	}
	got, err := s.o.Ack(r.Context(), in.ID, opts)
	switch {
	case errors.Is(err, delivery.ErrAcked):
		if got.Ack.Disposition != opts.Disposition || got.Ack.ErrorCode != opts.ErrorCode {
			writeProblem(w, r, http.StatusConflict, ProblemConflict, "message %d was acknowledged before with %q", in.ID, got.Ack.Disposition)
			return
		}
	case errors.Is(err, delivery.ErrNoTransport):
		fs.Add(finding.Error, "SERVE-SENDER-UNKNOWN", "mailbox", "docs/serve.md", "%v: the MDN cannot be sent from %s", err, in.Mailbox)
		invalid(w, r, fs, "the MDN cannot be sent")
		return
	case err != nil:
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, AckResult{ID: got.ID, Ack: got.Ack, MDN: got.Ack.Reply})
}

// mdnFor writes the MDN of an incoming message, from its mailbox.
func (s *Server) mdnFor(in *delivery.Incoming, req *AckRequest) ([]byte, string, error) {
	m, err := mssante.Read(bytes.NewReader(in.Raw), &mssante.ReadOptions{SkipXDM: true})
	if err != nil {
		return nil, "", err
	}
	if m.MDNRequestedTo == "" {
		return nil, "", mssante.ErrNoMDNRequested
	}
	from := in.Mailbox
	if from == "" && len(m.To) > 0 {
		from = m.To[0].Address
	}
	opts := &mssante.MDNOptions{From: &mail.Address{Address: from}, NIL: s.opts.Documents.NIL, IgnoreReturnPath: true}
	if req.MDN == "error" {
		opts.Error, opts.ErrorLabel = mssante.ErrorCode(req.ErrorCode), req.ErrorLabel
	}
	var b bytes.Buffer
	if err := mssante.WriteMDN(&b, bytes.NewReader(in.Raw), opts); err != nil {
		return nil, "", err
	}
	return b.Bytes(), m.MDNRequestedTo, nil
}
