package mssante

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/limit"
)

// DefaultMaxMessageSize is the default size limit of Send on the encoded
// message: 10 Mo, the default of public clients; the real limit is set by
// each operator (mssante.md §8, UNCONFIRMED).
const DefaultMaxMessageSize = 10 << 20

// PatientMaxMessageSize is the Mon Espace Santé limit on a whole message:
// "25 Mo" (msc.md §8, quoting ENS-V1.3 §6 p.10), applied to the encoded
// message (the spec assumes it; UNCONFIRMED). The spec does not say whether
// "Mo" means 10^6 or 2^20 bytes: the SDK reads it as the SI mégaoctet,
// 25,000,000 bytes, the smaller reading, so that a message that passes is
// accepted under either. It is the SDK's one Mon Espace Santé size limit:
// Send and Lint apply it when a recipient is a patient, msc.Policy checks
// it, and the test operator (mssantetest) bounces above it.
const PatientMaxMessageSize = 25_000_000

// contentTypes maps extensions to media types; mime.TypeByExtension depends
// on the system files and is not used.
var contentTypes = map[string]string{
	".pdf": "application/pdf", ".zip": "application/zip", ".xml": "text/xml",
	".txt": "text/plain", ".htm": "text/html", ".html": "text/html",
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
	".tif": "image/tiff", ".tiff": "image/tiff", ".rtf": "application/rtf",
	".doc": "application/msword", ".odt": "application/vnd.oasis.opendocument.text",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".hl7":  "x-application/hl7-v2+er7", ".dcm": "application/dicom", ".eml": "message/rfc822",
}

// contentType returns the media type of an attachment.
func (a *Attachment) contentType() string {
	if a.ContentType != "" {
		return a.ContentType
	}
	if t, ok := contentTypes[strings.ToLower(path.Ext(a.Filename))]; ok {
		return t
	}
	return "application/octet-stream"
}

// countWriter counts what goes through.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteTo writes the message (RFC 5322, MIME) to w. It validates it first
// (ErrNoNIL, ErrNoRecipient...) and generates the Message-ID when empty.
//
// Structure: a text/plain part (or multipart/alternative with HTML), inside
// multipart/mixed when there are attachments; text in UTF-8
// quoted-printable, attachments in base64 (76-character lines) with RFC 2231
// file names. The bodies are encoded by go-message; the header fields are
// written in the SDK's order and spelling (X-MSS-NIL, Message-ID). Output is
// buffered: w receives large writes.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	f, err := m.headerFields()
	if err != nil {
		return 0, err
	}
	f = append(f, [2]string{"MIME-Version", "1.0"})
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 32<<10)
	// top writes the message header followed by the fields of the body.
	top := func(fields ...[2]string) (io.Writer, error) {
		return bw, textproto.WriteHeader(bw, newHeader(append(f, fields...)...).Header)
	}
	if len(m.Attachments) == 0 {
		err = m.writeBody(top)
	} else {
		err = m.writeMixed(top)
	}
	if err == nil {
		err = bw.Flush()
	}
	return cw.n, err
}

// partCreator writes the header of an entity with the given fields and
// returns the writer of its body.
type partCreator func(fields ...[2]string) (io.Writer, error)

// multipart starts a multipart entity of the given type (and optional
// parameters) through create and returns its writer.
func multipart(create partCreator, typ string, params ...map[string]string) (*textproto.MultipartWriter, error) {
	boundary := newBoundary()
	p := map[string]string{"boundary": boundary}
	for _, m := range params {
		for k, v := range m {
			p[k] = v
		}
	}
	w, err := create([2]string{"Content-Type", mediaType(typ, p)})
	if err != nil {
		return nil, err
	}
	mw := textproto.NewMultipartWriter(w)
	return mw, mw.SetBoundary(boundary)
}

// partOf returns the partCreator of the next part of mw.
func partOf(mw *textproto.MultipartWriter) partCreator {
	return func(fields ...[2]string) (io.Writer, error) {
		return mw.CreatePart(newHeader(fields...).Header)
	}
}

func (m *Message) writeMixed(create partCreator) error {
	mw, err := multipart(create, "multipart/mixed")
	if err != nil {
		return err
	}
	if err := m.writeBody(partOf(mw)); err != nil {
		return err
	}
	for _, a := range m.Attachments {
		if err := writeAttachment(partOf(mw), a); err != nil {
			return err
		}
	}
	return mw.Close()
}

// writeBody writes the text body: text/plain, or multipart/alternative with
// the HTML version.
func (m *Message) writeBody(create partCreator) error {
	if m.HTML == "" {
		return writeQPPart(create, "text/plain", m.Text)
	}
	mw, err := multipart(create, "multipart/alternative")
	if err != nil {
		return err
	}
	if err := writeQPPart(partOf(mw), "text/plain", m.Text); err != nil {
		return err
	}
	if err := writeQPPart(partOf(mw), "text/html", m.HTML); err != nil {
		return err
	}
	return mw.Close()
}

// writeQPPart writes a UTF-8 quoted-printable text part.
func writeQPPart(create partCreator, typ, text string) error {
	w, err := encodedPart(create, "quoted-printable", [2]string{"Content-Type", typ + "; charset=utf-8"})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, text); err != nil {
		return err
	}
	return w.Close()
}

// encodedPart writes the header of an entity with the given fields and a
// Content-Transfer-Encoding of cte, and returns go-message's encoder for
// its body: quoted-printable (mime/quotedprintable), base64 in lines of 76
// characters. Close it to flush the encoding.
func encodedPart(create partCreator, cte string, fields ...[2]string) (io.WriteCloser, error) {
	w, err := create(append(fields, [2]string{"Content-Transfer-Encoding", cte})...)
	if err != nil {
		return nil, err
	}
	return encoder(w, cte)
}

// encoder returns go-message's body encoder for the transfer encoding cte,
// writing to w. go-message hands its encoders out through
// message.CreateWriter only, which writes a header before the body: that
// header is dropped (the SDK writes its own, in its own order and
// spelling), the body goes to w. message.Writer.CreatePart is not used: it
// refuses a part that declares a charset other than UTF-8 or US-ASCII, which
// an attachment may legitimately do ("text/plain; charset=iso-8859-1",
// carried in base64).
func encoder(w io.Writer, cte string) (io.WriteCloser, error) {
	var h message.Header
	h.Set("MIME-Version", "1.0")
	h.Set("Content-Transfer-Encoding", cte)
	sink := &headerSink{}
	mw, err := message.CreateWriter(sink, h)
	if err != nil {
		return nil, err
	}
	sink.w = w
	return mw, nil
}

// headerSink drops what is written to it until w is set.
type headerSink struct{ w io.Writer }

func (s *headerSink) Write(p []byte) (int, error) {
	if s.w == nil {
		return len(p), nil
	}
	return s.w.Write(p)
}

// attachmentFields returns the Content-Type and Content-Disposition of an
// attachment and whether it is an embedded message. The parameters of
// Attachment.ContentType (charset...) are kept and the file name is added
// to them; Validate refused a content type that does not parse.
func (a *Attachment) attachmentFields() (ct, cd string, embedded bool) {
	mt, params, err := mime.ParseMediaType(a.contentType())
	if err != nil {
		mt, params = "application/octet-stream", nil
	}
	cd = "attachment"
	if a.Filename != "" {
		if params == nil {
			params = map[string]string{}
		}
		params["name"] = a.Filename
		cd = mediaType(cd, map[string]string{"filename": a.Filename})
	}
	return mediaType(mt, params), cd, mt == "message/rfc822"
}

func writeAttachment(create partCreator, a *Attachment) error {
	ct, cd, embedded := a.attachmentFields()
	if embedded {
		// RFC 2046 §5.2.1: message/rfc822 is never base64-encoded.
		b, err := a.Bytes()
		if err != nil {
			return fmt.Errorf("mssante: attachment %q: %w", a.Filename, err)
		}
		cte := "7bit"
		if !isASCII(b) {
			cte = "8bit"
		}
		w, err := create([2]string{"Content-Type", ct}, [2]string{"Content-Disposition", cd},
			[2]string{"Content-Transfer-Encoding", cte})
		if err != nil {
			return err
		}
		return writeCRLF(w, b)
	}
	w, err := encodedPart(create, "base64", [2]string{"Content-Type", ct}, [2]string{"Content-Disposition", cd})
	if err != nil {
		return err
	}
	var r io.Reader
	if a.Data == nil && a.Open != nil {
		if r, err = a.Open(); err != nil {
			return fmt.Errorf("mssante: attachment %q: %w", a.Filename, err)
		}
		if c, ok := r.(io.Closer); ok {
			defer c.Close()
		}
	} else {
		r = bytes.NewReader(a.Data)
	}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("mssante: attachment %q: %w", a.Filename, err)
	}
	return w.Close()
}

// Bytes returns the encoded message.
func (m *Message) Bytes() ([]byte, error) {
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SendOptions configures Send. nil or the zero value applies
// DefaultMaxMessageSize.
type SendOptions struct {
	// MaxSize is the largest encoded message accepted; 0 selects
	// DefaultMaxMessageSize, a negative value disables the check.
	MaxSize int64
}

// Send writes the message and submits it through t. The result reports
// each recipient; see Transport. A message larger than opts.MaxSize, or
// than PatientMaxMessageSize when a recipient is a patient, is refused with
// a *limit.Error (limit.Size) before anything is sent. opts nil means the
// defaults.
func Send(ctx context.Context, t Transport, m *Message, opts *SendOptions) (*SendResult, error) {
	if t == nil {
		return nil, errors.New("mssante: nil Transport")
	}
	b, err := m.Bytes()
	if err != nil {
		return nil, err
	}
	max := int64(DefaultMaxMessageSize)
	if opts != nil && opts.MaxSize != 0 {
		max = opts.MaxSize
	}
	if max > 0 && int64(len(b)) > max {
		return nil, &limit.Error{What: "message", Limit: limit.Size, Max: max, Value: int64(len(b))}
	}
	if int64(len(b)) > PatientMaxMessageSize && m.hasPatientRecipient() {
		return nil, &limit.Error{What: "message to a Mon Espace Santé mailbox", Limit: limit.Size, Max: PatientMaxMessageSize, Value: int64(len(b))}
	}
	return t.Send(ctx, m.Envelope(), bytes.NewReader(b))
}

// hasPatientRecipient reports whether a recipient is a Mon Espace Santé
// mailbox.
func (m *Message) hasPatientRecipient() bool {
	for _, r := range m.Recipients() {
		if ins.IsPatientAddress(r) {
			return true
		}
	}
	return false
}
