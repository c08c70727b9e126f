package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/limit"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
)

// Accepted is the answer of POST /v1/messages and /v1/messages/raw (202):
// the message's id (its Message-ID, what GET /v1/messages/{id} takes) and
// its recipients.
type Accepted struct {
	ID         string            `json:"id"`
	Recipients []RecipientStatus `json:"recipients"`
	// Existing: the idempotency key was used before; this is the first
	// message, and nothing new was enqueued.
	Existing bool `json:"existing"`
}

// RecipientStatus is a recipient and its status.
type RecipientStatus struct {
	Address string          `json:"address"`
	Status  delivery.Status `json:"status"`
}

// Message is the answer of GET /v1/messages/{id}.
type Message struct {
	ID         string               `json:"id"`
	From       string               `json:"from"`
	Created    time.Time            `json:"created"`
	Final      bool                 `json:"final"`
	Recipients []delivery.Recipient `json:"recipients"`
}

func messageOf(m *delivery.Message) *Message {
	return &Message{ID: m.MessageID, From: m.From, Created: m.Created, Final: m.Final(), Recipients: m.Recipients}
}

func accepted(m *delivery.Message) *Accepted {
	a := &Accepted{ID: m.MessageID, Existing: m.Existing, Recipients: []RecipientStatus{}}
	for _, r := range m.Recipients {
		a.Recipients = append(a.Recipients, RecipientStatus{Address: r.Address, Status: r.Status})
	}
	return a
}

// maxMetadataBytes bounds the JSON metadata part.
const maxMetadataBytes = 1 << 20

// idempotencyKey reads the Idempotency-Key header: "" when absent, an
// error when it is not 1 to 255 printable ASCII characters.
func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return "", nil
	}
	if len(k) > 255 {
		return "", errors.New("Idempotency-Key: longer than 255 characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return "", errors.New("Idempotency-Key: printable ASCII only")
		}
	}
	// Keys of the HTTP API live apart from those of other callers.
	return "http:" + k, nil
}

// idempotency reads the Idempotency-Key of a POST and returns it; done is
// true when the request was answered: a bad key (400), or a key used
// before (the first message, nothing enqueued).
func (s *Server) idempotency(w http.ResponseWriter, r *http.Request) (key string, done bool) {
	key, err := idempotencyKey(r)
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "%v", err)
		return "", true
	}
	if key == "" {
		return "", false
	}
	m, err := s.o.StatusByKey(r.Context(), key)
	if err != nil {
		return key, false
	}
	m.Existing = true
	s.accept(w, m)
	return key, true
}

func (s *Server) accept(w http.ResponseWriter, m *delivery.Message) {
	w.Header().Set("Location", "/v1/messages/"+pathEscape(m.MessageID))
	writeJSON(w, http.StatusAccepted, accepted(m))
}

// pathEscape escapes a Message-ID for a path segment.
func pathEscape(id string) string {
	return strings.NewReplacer("%", "%25", "/", "%2F", "?", "%3F", "#", "%23", " ", "%20").Replace(id)
}

// sendDocument is POST /v1/messages: a PDF and its metadata become a CDA
// level 1 document, an IHE_XDM.ZIP archive and a message, linted, checked
// against the trust space and enqueued.
func (s *Server) sendDocument(w http.ResponseWriter, r *http.Request) {
	key, done := s.idempotency(w, r)
	if done {
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		writeProblem(w, r, http.StatusUnsupportedMediaType, ProblemUnsupportedType, "want multipart/form-data with a metadata part (JSON) and a document part (the PDF)")
		return
	}
	var meta, pdf []byte
	var pdfName string
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.bodyError(w, r, err)
			return
		}
		switch p.FormName() {
		case "metadata":
			meta, err = io.ReadAll(io.LimitReader(p, maxMetadataBytes+1))
			if err == nil && len(meta) > maxMetadataBytes {
				writeProblem(w, r, http.StatusRequestEntityTooLarge, ProblemTooLarge, "the metadata part is over %d bytes", maxMetadataBytes)
				return
			}
		case "document":
			pdfName = p.FileName()
			pdf, err = io.ReadAll(p)
		default:
			writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "unknown part %q (want metadata and document)", p.FormName())
			return
		}
		if err != nil {
			s.bodyError(w, r, err)
			return
		}
	}
	switch {
	case meta == nil:
		writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "no metadata part")
		return
	case pdf == nil:
		writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "no document part (the PDF)")
		return
	}
	var req SendRequest
	dec := json.NewDecoder(bytes.NewReader(meta))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "metadata: %v", err)
		return
	}
	if n := len(req.To) + len(req.Cc); n > s.opts.Limits.MaxRecipients {
		s.tooManyRecipients(w, r, n)
		return
	}
	b := s.buildMessage(&req, pdf, pdfName)
	if b.msg == nil {
		invalid(w, r, b.findings, "the document or the message could not be built")
		return
	}
	lint, err := b.msg.Lint(nil)
	if err != nil {
		lint.Add(finding.Error, "SERVE-BUILD", "message", "", "%v", err)
	}
	if lint.HasErrors() {
		invalid(w, r, lint, "the message does not lint clean")
		return
	}
	if !s.trusted(w, r, b.msg.Recipients()) {
		return
	}
	m, err := s.o.EnqueueMessage(r.Context(), b.msg, &delivery.EnqueueOptions{Key: key})
	if err != nil {
		s.enqueueError(w, r, err)
		return
	}
	s.accept(w, m)
}

// sendRaw is POST /v1/messages/raw: a ready message (message/rfc822),
// linted, checked against the trust space and enqueued as it is.
func (s *Server) sendRaw(w http.ResponseWriter, r *http.Request) {
	key, done := s.idempotency(w, r)
	if done {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "message/rfc822" {
		writeProblem(w, r, http.StatusUnsupportedMediaType, ProblemUnsupportedType, "want Content-Type: message/rfc822")
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.bodyError(w, r, err)
		return
	}
	hdr, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		var fs finding.List
		fs.Add(finding.Error, "MSG-HEADER", "message", "RFC 5322", "the header cannot be read: %v", err)
		invalid(w, r, fs, "not a message")
		return
	}
	var rcpts []string
	var fs finding.List
	for _, f := range []string{"To", "Cc", "Bcc"} {
		addrs, err := hdr.Header.AddressList(f)
		if err != nil && !errors.Is(err, mail.ErrHeaderNotPresent) {
			fs.Add(finding.Error, "MSG-ADDRESS", f, "RFC 5322", "%v", err)
		}
		for _, a := range addrs {
			rcpts = append(rcpts, a.Address)
		}
	}
	if len(rcpts) > s.opts.Limits.MaxRecipients {
		s.tooManyRecipients(w, r, len(rcpts))
		return
	}
	lint, err := mssante.Lint(bytes.NewReader(raw), nil)
	if err != nil {
		lint.Add(finding.Error, "MSG-READ", "message", "", "%v", err)
	}
	fs = append(fs, lint...)
	if fs.HasErrors() {
		invalid(w, r, fs, "the message does not lint clean")
		return
	}
	if !s.trusted(w, r, rcpts) {
		return
	}
	m, err := s.o.Enqueue(r.Context(), bytes.NewReader(raw), &delivery.EnqueueOptions{Key: key})
	if err != nil {
		s.enqueueError(w, r, err)
		return
	}
	s.accept(w, m)
}

func (s *Server) tooManyRecipients(w http.ResponseWriter, r *http.Request, n int) {
	var fs finding.List
	fs.Add(finding.Error, "SERVE-RECIPIENTS-MAX", "recipients", "docs/serve.md", "%d recipients, over the limit of %d", n, s.opts.Limits.MaxRecipients)
	invalid(w, r, fs, "too many recipients")
}

// trusted checks every recipient against the trust space; it answers 422
// (or 503 when the check could not be made) and returns false when one is
// refused.
func (s *Server) trusted(w http.ResponseWriter, r *http.Request, rcpts []string) bool {
	fs, err := s.checkTrust(r.Context(), rcpts)
	if err != nil {
		writeProblem(w, r, http.StatusServiceUnavailable, ProblemUnavailable, "the trust space could not be checked: %v", err)
		return false
	}
	if fs.HasErrors() {
		invalid(w, r, fs, "a recipient is outside the MSSanté trust space")
		return false
	}
	return true
}

// checkTrust returns a finding per refused recipient, or the error of a
// check that could not be made (mssante.IsTemporary).
func (s *Server) checkTrust(ctx context.Context, rcpts []string) (finding.List, error) {
	var fs finding.List
	if s.opts.RecipientChecker == nil {
		return nil, nil
	}
	for i, a := range rcpts {
		if err := s.opts.RecipientChecker.CheckRecipient(ctx, a); err != nil {
			if mssante.IsTemporary(err) {
				return nil, err
			}
			fs.Add(finding.Error, "MSS-TRUST-SPACE", fmt.Sprintf("recipients[%d]", i), "mssante.md §10", "%v", err)
		}
	}
	return fs, nil
}

// bodyError answers a body that could not be read: 413 past the limit.
func (s *Server) bodyError(w http.ResponseWriter, r *http.Request, err error) {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		writeProblem(w, r, http.StatusRequestEntityTooLarge, ProblemTooLarge, "the body is over the limit of %d bytes", mb.Limit)
		return
	}
	writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "reading the body: %v", err)
}

// enqueueError answers an error of the outbox.
func (s *Server) enqueueError(w http.ResponseWriter, r *http.Request, err error) {
	var le *limit.Error
	var fs finding.List
	switch {
	case errors.As(err, &le):
		fs.Add(finding.Error, "MSS-SIZE", "message", "mssante.md §8", "%v", err)
		invalid(w, r, fs, "the message is too large for MSSanté")
	case errors.Is(err, delivery.ErrNoTransport):
		fs.Add(finding.Error, "SERVE-SENDER-UNKNOWN", "From", "docs/serve.md", "%v: the sender is not a mailbox of the configuration", err)
		invalid(w, r, fs, "this service cannot send as this sender")
	case errors.Is(err, delivery.ErrInvalidMessage):
		fs.Add(finding.Error, "MSG-ENVELOPE", "message", "RFC 5321", "%v", err)
		invalid(w, r, fs, "the message cannot be sent")
	case errors.Is(err, delivery.ErrMessageIDInUse):
		writeProblem(w, r, http.StatusConflict, ProblemConflict, "%v", err)
	default:
		s.logError(r, "enqueue", err)
		writeProblem(w, r, http.StatusInternalServerError, ProblemInternal, "the message could not be stored")
	}
}

// messageStatus is GET /v1/messages/{id}.
func (s *Server) messageStatus(w http.ResponseWriter, r *http.Request) {
	m, err := s.o.Status(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, messageOf(m))
}

// MessageList is the answer of GET /v1/messages.
type MessageList struct {
	Messages []*Message `json:"messages"`
}

// listMessages is GET /v1/messages?open=true&limit=N.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := intParam(w, r, "limit", 100)
	if !ok {
		return
	}
	open := q.Get("open") == "true"
	ms, err := s.o.List(r.Context(), &delivery.ListOptions{Open: open, Limit: limit})
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := MessageList{Messages: []*Message{}}
	for _, m := range ms {
		out.Messages = append(out.Messages, messageOf(m))
	}
	writeJSON(w, http.StatusOK, out)
}

// storeError answers an error of a read: 404 for ErrNotFound.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, delivery.ErrNotFound) {
		writeProblem(w, r, http.StatusNotFound, ProblemNotFound, "%v", err)
		return
	}
	s.logError(r, "store", err)
	writeProblem(w, r, http.StatusInternalServerError, ProblemInternal, "the outbox could not be read")
}

// intParam reads a non-negative integer query parameter, def when
// absent; it answers 400 and returns false when it is not one.
func intParam(w http.ResponseWriter, r *http.Request, name string, def int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		writeProblem(w, r, http.StatusBadRequest, ProblemBadRequest, "%s %q: want a non-negative integer", name, v)
		return 0, false
	}
	return n, true
}
