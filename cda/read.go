package cda

import "io"

// ReadOptions sets the limits of the reader. The zero value (or nil) gives
// the defaults documented on each field.
type ReadOptions struct {
	// MaxDepth is the maximum element nesting depth (default 256).
	MaxDepth int
	// MaxHeaderBytes is the maximum size of the part before
	// ClinicalDocument/component (default 8 MiB).
	MaxHeaderBytes int64
	// MaxDocumentBytes is the maximum size of the whole document (default
	// 512 MiB). It bounds the body Body streams and the structured body the
	// reader skips.
	MaxDocumentBytes int64
}

// Document is a parsed CDA document: the header, and access to the body.
// It reads from the reader given to Parse and is not safe for concurrent use.
type Document struct {
	header   *Header
	p        *parser
	bodyUsed bool
}

// ReadHeader reads the CI-SIS header of any CDA R2 document, level 1 or
// structured, including an auto-presentable one. It stops at the body (r is
// read through a 32 KiB buffer, so a little beyond the header). The errors
// are ErrNotCDA, ErrSyntax, ErrEncoding and *limit.Error (limit.ErrExceeded).
func ReadHeader(r io.Reader) (*Header, error) {
	d, err := Parse(r, nil)
	if err != nil {
		return nil, err
	}
	return d.Header(), nil
}

// Parse reads the header of a CDA document, like ReadHeader, and keeps r
// to stream the body with Body. r must not be used by the caller while the
// Document is in use. opts sets the limits; nil means the defaults.
func Parse(r io.Reader, opts *ReadOptions) (*Document, error) {
	p := newParser(r, opts)
	if err := p.readHeader(); err != nil {
		return nil, err
	}
	p.in.maxHdr = 0 // the body and the rest: the document size limit only
	h := decodeHeader(p.root, p.bodyText)
	h.AutoPresentable = p.autoPresentable
	return &Document{header: h, p: p}, nil
}

// Header returns the document header (nil for a zero Document).
func (d *Document) Header() *Header { return d.header }

// IsLevel1 reports whether the body is a nonXMLBody.
func (d *Document) IsLevel1() bool { return d.p != nil && d.p.bodyText != nil }

// BodyMediaType returns nonXMLBody/text/@mediaType (text/plain, the CDA
// default, when the attribute is empty or absent), or "" for a structured
// document.
func (d *Document) BodyMediaType() string {
	if d.p == nil {
		return ""
	}
	return bodyMediaType(d.p.bodyText)
}

// bodyMediaType is the media type of the body text element, "" when there
// is none.
func bodyMediaType(text *node) string {
	if text == nil {
		return ""
	}
	if mt := text.attr("mediaType"); mt != "" {
		return mt
	}
	return MediaTypeText // the CDA default of ED/@mediaType
}
