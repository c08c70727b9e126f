package mssante

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
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
// file names. The text bodies are encoded by go-message, the attachments by
// encoding/base64 in the lines go-message would write (see writeBase64); the
// header fields are written in the SDK's order and spelling (X-MSS-NIL,
// Message-ID). Output is buffered: w receives large writes.
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

// writeQPPart writes a UTF-8 quoted-printable text part, encoded by
// go-message.
func writeQPPart(create partCreator, typ, text string) error {
	w, err := create([2]string{"Content-Type", typ + "; charset=utf-8"}, [2]string{"Content-Transfer-Encoding", "quoted-printable"})
	if err != nil {
		return err
	}
	qp, err := encoder(w, "quoted-printable")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(qp, text); err != nil {
		return err
	}
	return qp.Close()
}

// encoder returns go-message's body encoder for the transfer encoding cte,
// writing to w: WriteTo uses it for quoted-printable, and its base64
// encoder is the reference writeBase64 is tested against. go-message hands
// its encoders out through message.CreateWriter only, which writes a header
// before the body: that header is dropped (the SDK writes its own, in its
// own order and spelling), the body goes to w. message.Writer.CreatePart is
// not used: it refuses a part that declares a charset other than UTF-8 or
// US-ASCII, which an attachment may legitimately do ("text/plain;
// charset=iso-8859-1", carried in base64).
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
	w, err := create([2]string{"Content-Type", ct}, [2]string{"Content-Disposition", cd},
		[2]string{"Content-Transfer-Encoding", "base64"})
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
	if err := writeBase64(w, r); err != nil {
		return fmt.Errorf("mssante: attachment %q: %w", a.Filename, err)
	}
	return nil
}

// Base64 line geometry (RFC 2045 §6.8): 57 bytes make one line of 76
// characters; writeBase64 encodes b64Lines lines per write.
const (
	b64LineIn  = 57
	b64LineOut = 76
	b64Lines   = 64
)

// writeBase64 writes r to w in base64 (encoding/base64, standard alphabet)
// in lines of 76 characters separated by CRLF, with no line break after the
// last one (the next boundary brings it): byte for byte what go-message's
// base64 encoder writes (TestWriteBase64MatchesGoMessage).
//
// go-message's encoder is not used for attachments because of its cost,
// measured in docs/benchmarks.md and explained in docs/architecture.md: its
// line wrapper scans every encoded byte for line breaks and allocates each
// line ending: WriteTo took 2.5 times the CPU, with one allocation per line
// (18,400 per MiB attached). Here the lines have a fixed geometry: each is
// encoded whole from 57 bytes, and 64 of them go to w in one write.
func writeBase64(w io.Writer, r io.Reader) error {
	in := make([]byte, b64LineIn*b64Lines)
	out := make([]byte, (b64LineOut+2)*b64Lines)
	first := true
	for {
		n, rerr := io.ReadFull(r, in)
		k := 0
		for off := 0; off < n; off += b64LineIn {
			if !first {
				k += copy(out[k:], "\r\n")
			}
			first = false
			end := min(off+b64LineIn, n)
			base64.StdEncoding.Encode(out[k:], in[off:end])
			k += base64.StdEncoding.EncodedLen(end - off)
		}
		if k > 0 {
			if _, err := w.Write(out[:k]); err != nil {
				return err
			}
		}
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return nil
		default:
			return rerr
		}
	}
}

// Bytes returns the encoded message. The buffer is sized from the message
// beforehand (sizeHint), so that a message of a few megabytes is written in
// one allocation instead of a dozen doublings (which allocated about 2.8
// times the message, BenchmarkChain).
func (m *Message) Bytes() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(m.sizeHint())
	if _, err := m.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// sizeHint estimates the size of the encoded message from above, within a
// few kilobytes: the header fields, the text parts in quoted-printable (at
// most 3 bytes per byte for what is not ASCII, here counted 2: French text
// is mostly ASCII) and each attachment held in Data in base64 lines of 76
// characters and CRLF. The content of Open attachments is not known: the
// buffer grows for it.
func (m *Message) sizeHint() int {
	if m == nil {
		return 0
	}
	n := 8<<10 + 2*(len(m.Text)+len(m.HTML))
	for _, a := range m.Attachments {
		n += 1<<10 + len(a.Filename)*3
		if a.contentType() == "message/rfc822" {
			n += len(a.Data)
		} else {
			n += (len(a.Data) + b64LineIn - 1) / b64LineIn * (b64LineOut + 2)
		}
	}
	return n
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
