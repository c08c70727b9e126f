package msc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message"
	// Bounces come in ISO-8859-1 and Windows-1252 too.
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Limits of the bounce reader.
const (
	maxMIMEDepth = 16
	maxMIMEParts = 256
	maxTextBytes = 1 << 20 // of each text part kept
)

// mailText is what the classifier reads from a message beyond the report
// fields: the top-level header, the human-readable text outside returned
// messages, and the Message-ID of the first returned message or header part.
type mailText struct {
	header            mail.Header
	subject, from     string
	contentType       string
	text              strings.Builder
	originalMessageID string
	parts             int
}

// readMailText walks the MIME tree of raw.
func readMailText(raw []byte) (*mailText, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedMessage, err)
	}
	mt := &mailText{header: mail.Header{Header: e.Header}}
	mt.from = e.Header.Get("From")
	if s, err := mt.header.Subject(); err == nil {
		mt.subject = s
	} else {
		mt.subject = e.Header.Get("Subject")
	}
	mt.contentType, _, _ = e.Header.ContentType()
	if err := mt.walk(e, 0); err != nil {
		return mt, err
	}
	return mt, nil
}

func (mt *mailText) walk(e *message.Entity, depth int) error {
	mt.parts++
	if depth > maxMIMEDepth || mt.parts > maxMIMEParts {
		return fmt.Errorf("%w: more than %d levels or %d parts", ErrMalformedMessage, maxMIMEDepth, maxMIMEParts)
	}
	typ, _, _ := e.Header.ContentType()
	typ = strings.ToLower(typ)
	if typ == "" {
		typ = "text/plain"
	}
	switch {
	case strings.HasPrefix(typ, "multipart/"):
		mr := e.MultipartReader()
		if mr == nil {
			return nil
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if p == nil {
				return nil // a broken part ends the walk: keep what was read
			}
			if err := mt.walk(p, depth+1); err != nil {
				return err
			}
		}
	case typ == "message/rfc822" || typ == "message/global" || typ == "text/rfc822-headers" || typ == "message/global-headers":
		if mt.originalMessageID == "" {
			h, err := textproto.ReadHeader(bufio.NewReader(io.LimitReader(e.Body, maxTextBytes)))
			if err == nil || h.Len() > 0 {
				mt.originalMessageID = messageID(h.Get("Message-Id"))
			}
		}
	case typ == "text/plain" || typ == "text/html":
		b, _ := io.ReadAll(io.LimitReader(e.Body, maxTextBytes))
		s := string(b)
		if typ == "text/html" {
			s = htmlToText(s)
		}
		mt.text.WriteString(s)
		mt.text.WriteString("\n")
	}
	return nil
}

// messageID returns a Message-ID without angle brackets or spaces.
func messageID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	return strings.Trim(v, "<> ")
}
