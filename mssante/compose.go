package mssante

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/emersion/go-message"
)

// DefaultMaxMessageSize is the default size limit of Send on the encoded
// message: 10 Mo, the default of public clients; the real limit is set by
// each operator (mssante.md §8, UNCONFIRMED). Mon Espace Santé accepts 25 Mo
// (package msc enforces it).
const DefaultMaxMessageSize = 10 << 20

// SizeError reports a message larger than the allowed size.
type SizeError struct {
	Size, Max int64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("mssante: message of %d bytes exceeds the %d bytes limit", e.Size, e.Max)
}

// Unwrap returns ErrTooLarge.
func (e *SizeError) Unwrap() error { return ErrTooLarge }

// contentTypes maps extensions to media types; mime.TypeByExtension depends
// on the system files and is not used.
var contentTypes = map[string]string{
	".pdf": "application/pdf", ".zip": "application/zip", ".xml": "text/xml",
	".txt": "text/plain", ".htm": "text/html", ".html": "text/html",
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
	".tif": "image/tiff", ".tiff": "image/tiff", ".rtf": "application/rtf",
	".doc": "application/msword", ".odt": "application/vnd.oasis.opendocument.text",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".hl7":  "x-application/hl7-v2+er7", ".dcm": "application/dicom",
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
// quoted-printable, attachments in base64 with RFC 2231 file names.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	f, err := m.headerFields()
	if err != nil {
		return 0, err
	}
	f = append(f, [2]string{"MIME-Version", "1.0"})
	cw := &countWriter{w: w}
	if len(m.Attachments) == 0 {
		err = m.writeBody(f, func(h message.Header) (*message.Writer, error) {
			return message.CreateWriter(cw, h)
		})
		return cw.n, err
	}
	f = append(f, [2]string{"Content-Type", mediaType("multipart/mixed", map[string]string{"boundary": newBoundary()})})
	mw, err := message.CreateWriter(cw, newHeader(f...))
	if err != nil {
		return cw.n, err
	}
	if err := m.writeBody(nil, mw.CreatePart); err != nil {
		return cw.n, err
	}
	for _, a := range m.Attachments {
		if err := writeAttachment(mw, a); err != nil {
			return cw.n, err
		}
	}
	err = mw.Close()
	return cw.n, err
}

// writeBody writes the text body, preceded by the fields f, through create:
// either the whole message or the first part of a multipart/mixed one.
func (m *Message) writeBody(f [][2]string, create func(message.Header) (*message.Writer, error)) error {
	if m.HTML == "" {
		f = append(f, [2]string{"Content-Type", "text/plain; charset=utf-8"},
			[2]string{"Content-Transfer-Encoding", "quoted-printable"})
		pw, err := create(newHeader(f...))
		if err != nil {
			return err
		}
		if _, err := io.WriteString(pw, m.Text); err != nil {
			return err
		}
		return pw.Close()
	}
	f = append(f, [2]string{"Content-Type", mediaType("multipart/alternative", map[string]string{"boundary": newBoundary()})})
	aw, err := create(newHeader(f...))
	if err != nil {
		return err
	}
	if err := writeTextPart(aw, "text/plain", m.Text); err != nil {
		return err
	}
	if err := writeTextPart(aw, "text/html", m.HTML); err != nil {
		return err
	}
	return aw.Close()
}

func writeAttachment(mw *message.Writer, a *Attachment) error {
	ct, cd := a.contentType(), "attachment"
	if a.Filename != "" {
		ct = mediaType(ct, map[string]string{"name": a.Filename})
		cd = mediaType(cd, map[string]string{"filename": a.Filename})
	}
	pw, err := mw.CreatePart(newHeader(
		[2]string{"Content-Type", ct},
		[2]string{"Content-Disposition", cd},
		[2]string{"Content-Transfer-Encoding", "base64"}))
	if err != nil {
		return err
	}
	if a.Data == nil && a.Open != nil {
		r, err := a.Open()
		if err != nil {
			return fmt.Errorf("mssante: attachment %q: %w", a.Filename, err)
		}
		if c, ok := r.(io.Closer); ok {
			defer c.Close()
		}
		if _, err := io.Copy(pw, r); err != nil {
			return fmt.Errorf("mssante: attachment %q: %w", a.Filename, err)
		}
	} else if _, err := pw.Write(a.Data); err != nil {
		return err
	}
	return pw.Close()
}

// Bytes returns the encoded message.
func (m *Message) Bytes() ([]byte, error) {
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SendOptions configures SendWithOptions. The zero value applies
// DefaultMaxMessageSize.
type SendOptions struct {
	// MaxSize is the largest encoded message accepted; 0 selects
	// DefaultMaxMessageSize, a negative value disables the check.
	MaxSize int64
}

// Send writes the message and submits it through t with the default
// options. The result reports each recipient; see Transport.
func Send(ctx context.Context, t Transport, m *Message) (*SendResult, error) {
	return SendWithOptions(ctx, t, m, nil)
}

// SendWithOptions is Send with options. A message larger than MaxSize is
// refused with a *SizeError before anything is sent.
func SendWithOptions(ctx context.Context, t Transport, m *Message, opts *SendOptions) (*SendResult, error) {
	b, err := m.Bytes()
	if err != nil {
		return nil, err
	}
	max := int64(DefaultMaxMessageSize)
	if opts != nil && opts.MaxSize != 0 {
		max = opts.MaxSize
	}
	if max > 0 && int64(len(b)) > max {
		return nil, &SizeError{Size: int64(len(b)), Max: max}
	}
	return t.Send(ctx, m.Envelope(), bytes.NewReader(b))
}
