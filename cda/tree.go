package cda

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/limit"
)

// node is an element of the header tree. The header is kept as a tree so
// that the validator sees cardinalities, order and attributes exactly as
// written; the tree is an etree tree (github.com/beevik/etree) built from
// the encoding/xml token stream, which also streams the body, so a large
// document is never held whole. node is etree.Element with the lookups the
// reader needs: elements and attributes are matched by namespace URI, which
// encoding/xml resolved, so each element's and attribute's Space holds the
// namespace URI rather than a prefix (the tree is read, never written).
type node etree.Element

func (n *node) el() *etree.Element { return (*etree.Element)(n) }

// children returns the child elements of n.
func (n *node) children() []*node {
	if n == nil {
		return nil
	}
	out := make([]*node, 0, len(n.Child))
	for _, t := range n.Child {
		if e, ok := t.(*etree.Element); ok {
			out = append(out, (*node)(e))
		}
	}
	return out
}

// parent returns n's parent element, nil for the root.
func (n *node) parent() *node { return (*node)(n.el().Parent()) }

// Default limits (ReadOptions).
const (
	defaultMaxDepth         = 256
	defaultMaxHeaderBytes   = 8 << 20
	defaultMaxDocumentBytes = 512 << 20
	maxAttrs                = 64
	// readBuffer is the size of the input buffer, and so how far the
	// reader may read beyond the header.
	readBuffer = 32 << 10
)

func (o *ReadOptions) limits() (depth int, header, doc int64) {
	depth, header, doc = defaultMaxDepth, defaultMaxHeaderBytes, defaultMaxDocumentBytes
	if o == nil {
		return
	}
	if o.MaxDepth > 0 {
		depth = o.MaxDepth
	}
	if o.MaxHeaderBytes > 0 {
		header = o.MaxHeaderBytes
	}
	if o.MaxDocumentBytes > 0 {
		doc = o.MaxDocumentBytes
	}
	return
}

// is reports whether n is the CDA element name.
func (n *node) is(name string) bool { return n.Tag == name && n.Space == NS }

// elem returns the first child in the CDA namespace with this local name.
func (n *node) elem(name string) *node {
	if n == nil {
		return nil
	}
	for _, t := range n.Child {
		if e, ok := t.(*etree.Element); ok && e.Tag == name && e.Space == NS {
			return (*node)(e)
		}
	}
	return nil
}

// elems returns every child in the CDA namespace with this local name.
func (n *node) elems(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, t := range n.Child {
		if e, ok := t.(*etree.Element); ok && e.Tag == name && e.Space == NS {
			out = append(out, (*node)(e))
		}
	}
	return out
}

// path follows child names: n.path("assignedAuthor", "assignedPerson", "name").
func (n *node) path(names ...string) *node {
	for _, name := range names {
		n = n.elem(name)
	}
	return n
}

// attr returns an unqualified attribute.
func (n *node) attr(name string) string {
	v, _ := n.lookupAttr(name)
	return v
}

func (n *node) lookupAttr(name string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attr {
		if a.Key == name && a.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// txt returns the element's character data, trimmed.
func (n *node) txt() string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	for _, t := range n.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// loc returns an XPath-like location: /ClinicalDocument/author[2]/time.
func (n *node) loc() string {
	if n == nil {
		return ""
	}
	var parts []string
	for c := n; c != nil; c = c.parent() {
		p := c.Tag
		if c.Space != NS && c.Space != "" {
			p = c.Space + ":" + p
		}
		if i, count := c.position(); count > 1 {
			p += "[" + strconv.Itoa(i) + "]"
		}
		parts = append(parts, p)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// position returns the 1-based index of n among its parent's children of
// the same name, and their count.
func (n *node) position() (index, count int) {
	p := n.el().Parent()
	if p == nil {
		return 1, 1
	}
	for _, t := range p.Child {
		e, ok := t.(*etree.Element)
		if !ok || e.Tag != n.Tag || e.Space != n.Space {
			continue
		}
		count++
		if e == n.el() {
			index = count
		}
	}
	return index, count
}

// child appends a named child to n.
func (n *node) child(name xml.Name, attrs []xml.Attr) *node {
	c := etree.NewElement(name.Local)
	c.Space = name.Space
	if len(attrs) > 0 {
		c.Attr = make([]etree.Attr, len(attrs))
		for i, a := range attrs {
			c.Attr[i] = etree.Attr{Space: a.Name.Space, Key: a.Name.Local, Value: a.Value}
		}
	}
	n.el().AddChild(c)
	return (*node)(c)
}

// limitErr is the error of a reader limit of this package.
func limitErr(name string, max int64) error {
	return &limit.Error{What: "CDA document", Limit: name, Max: max}
}

// countingReader counts bytes and fails past the document size limit, and
// past the header size limit (plus the read-ahead of the input buffer)
// while the header is read. The decoder's own check on its offset comes
// between tokens: this one also stops a single oversized token (an
// attribute value, a text) before the decoder holds it whole in memory.
type countingReader struct {
	r      io.Reader
	n      int64
	max    int64 // document size
	maxHdr int64 // header size while the header is read, 0 after
}

func (c *countingReader) Read(p []byte) (int, error) {
	lim, inHeader := c.max, c.maxHdr > 0 && c.maxHdr < c.max-readBuffer
	if inHeader {
		lim = c.maxHdr + readBuffer
	}
	if c.n >= lim {
		if inHeader {
			return 0, limitErr(limit.HeaderSize, c.maxHdr)
		}
		return 0, limitErr(limit.Size, c.max)
	}
	if rem := lim - c.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, rerr := c.r.Read(p)
	c.n += int64(n)
	return n, rerr
}

// parser reads a CDA document: the header as a tree, then the body.
type parser struct {
	in       *countingReader
	br       *bufio.Reader
	dec      *xml.Decoder
	maxDepth int
	maxHdr   int64
	root     *node
	// body state: the element the decoder stopped at.
	bodyKind string // "nonXMLBody", "structuredBody" or ""
	bodyText *node  // nonXMLBody/text, when the decoder stopped inside it
	stop     *node  // the element the decoder stopped in (nonXMLBody/text, structuredBody)
	depth    int    // open elements in the decoder at the stop point
	// outer counts the elements around ClinicalDocument in an
	// auto-presentable document (an XSLT stylesheet embedding it).
	outer int
	// autoPresentable is set when ClinicalDocument is inside an XSLT stylesheet.
	autoPresentable bool
	// outerNS are the namespace declarations of the elements around the
	// ClinicalDocument of an auto-presentable document, outermost first:
	// they are in scope in the header (an xsi:type prefix may use them).
	outerNS [][]xml.Attr
}

// xslNS is the namespace of XSLT: an auto-presentable CDA document is an
// XSLT stylesheet that embeds the ClinicalDocument (xdm.md §5.2 mimeType).
const xslNS = "http://www.w3.org/1999/XSL/Transform"

func newParser(r io.Reader, opts *ReadOptions) *parser {
	depth, hdr, doc := opts.limits()
	cr := &countingReader{r: r, max: doc, maxHdr: hdr}
	br := bufio.NewReaderSize(cr, readBuffer)
	dec := xml.NewDecoder(br)
	dec.Strict = true
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(strings.ReplaceAll(label, "-", "")) {
		case "utf8":
			return in, nil
		}
		return nil, fmt.Errorf("%w: %q", ErrEncoding, label)
	}
	return &parser{in: cr, br: br, dec: dec, maxDepth: depth, maxHdr: hdr}
}

// token reads the next token and classifies read errors.
func (p *parser) token() (xml.Token, error) {
	t, err := p.dec.Token()
	if err != nil {
		return nil, p.wrap(err)
	}
	return t, nil
}

func (p *parser) wrap(err error) error {
	if errors.Is(err, limit.ErrExceeded) || errors.Is(err, ErrEncoding) {
		return err
	}
	if err == io.EOF {
		return fmt.Errorf("%w: unexpected end of document", ErrSyntax)
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		if strings.Contains(se.Msg, "encoding") && strings.Contains(se.Msg, "CharsetReader") {
			return fmt.Errorf("%w: %v", ErrEncoding, err)
		}
		return fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	return fmt.Errorf("%w: %w", ErrSyntax, err)
}

// readHeader reads up to the body: every child of ClinicalDocument before
// component as a tree, then component and its body element, stopping at
// nonXMLBody/text or at structuredBody.
func (p *parser) readHeader() error {
	// Prolog: skip processing instructions, comments, the DOCTYPE.
	var start xml.StartElement
	for {
		t, err := p.token()
		if err != nil {
			if errors.Is(err, ErrSyntax) && strings.Contains(err.Error(), "unexpected end") {
				return fmt.Errorf("%w: no root element", ErrNotCDA)
			}
			return err
		}
		if se, ok := t.(xml.StartElement); ok {
			start = se
			break
		}
		if cd, ok := t.(xml.CharData); ok && len(strings.TrimSpace(strings.TrimPrefix(string(cd), "\ufeff"))) > 0 {
			return fmt.Errorf("%w: text before the root element", ErrSyntax)
		}
	}
	if start.Name.Space == xslNS && start.Name.Local == "stylesheet" {
		p.outerNS = [][]xml.Attr{nsDecls(start.Attr)}
		se, err := p.findEmbedded()
		if err != nil {
			return err
		}
		start = se
	}
	if start.Name.Space != NS || start.Name.Local != "ClinicalDocument" {
		return fmt.Errorf("%w: root element is {%s}%s", ErrNotCDA, start.Name.Space, start.Name.Local)
	}
	p.root = (*node)(etree.NewElement("ClinicalDocument"))
	p.root.Space = NS
	for _, a := range start.Attr {
		p.root.Attr = append(p.root.Attr, etree.Attr{Space: a.Name.Space, Key: a.Name.Local, Value: a.Value})
	}
	// The declarations in scope from around an embedded ClinicalDocument,
	// innermost first, unless the root declares the prefix again.
	for i := len(p.outerNS) - 1; i >= 0; i-- {
		for _, a := range p.outerNS[i] {
			if _, ok := p.root.lookupNS(a); !ok {
				p.root.Attr = append(p.root.Attr, etree.Attr{Space: a.Name.Space, Key: a.Name.Local, Value: a.Value})
			}
		}
	}
	stack := []*node{p.root}
	// hasText tells, for each open element, whether its text has started:
	// whitespace before it is the indentation between children, dropped.
	hasText := []bool{false}
	for {
		if p.dec.InputOffset() > p.maxHdr {
			return limitErr(limit.HeaderSize, p.maxHdr)
		}
		t, err := p.token()
		if err != nil {
			return err
		}
		cur := stack[len(stack)-1]
		switch t := t.(type) {
		case xml.StartElement:
			if len(stack) >= p.maxDepth {
				return limitErr(limit.Depth, int64(p.maxDepth))
			}
			if len(t.Attr) > maxAttrs {
				return limitErr(limit.Attributes, maxAttrs)
			}
			n := cur.child(t.Name, t.Attr)
			stack = append(stack, n)
			hasText = append(hasText, false)
			// Stop points: the body (component, nonXMLBody and text, or
			// component and structuredBody, all in the CDA namespace).
			if len(stack) == 4 && n.is("text") && n.parent().is("nonXMLBody") && n.parent().parent().is("component") {
				p.bodyKind, p.bodyText, p.stop, p.depth = "nonXMLBody", n, n, len(stack)
				return nil
			}
			if len(stack) == 3 && n.is("structuredBody") && n.parent().is("component") {
				p.bodyKind, p.stop, p.depth = "structuredBody", n, len(stack)
				return nil
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			hasText = hasText[:len(hasText)-1]
			if len(stack) == 0 { // end of ClinicalDocument without a body
				p.depth = 0
				return nil
			}
		case xml.CharData:
			// Whitespace before an element's first text is dropped (it is
			// the indentation between children); the rest is kept whole,
			// bounded by the header size.
			if top := len(hasText) - 1; hasText[top] || len(bytes.TrimSpace(t)) > 0 {
				hasText[top] = true
				cur.el().CreateText(string(t))
			}
		}
	}
}

// nsDecls keeps the namespace declarations of attributes.
func nsDecls(attrs []xml.Attr) []xml.Attr {
	var out []xml.Attr
	for _, a := range attrs {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			out = append(out, a)
		}
	}
	return out
}

// lookupNS finds the declaration of the prefix a declares among n's own.
func (n *node) lookupNS(a xml.Attr) (string, bool) {
	for _, x := range n.Attr {
		if x.Space == a.Name.Space && x.Key == a.Name.Local {
			return x.Value, true
		}
	}
	return "", false
}

// findEmbedded looks for the ClinicalDocument inside an XSLT stylesheet.
func (p *parser) findEmbedded() (xml.StartElement, error) {
	p.outer = 1
	for {
		if p.dec.InputOffset() > p.maxHdr {
			return xml.StartElement{}, limitErr(limit.HeaderSize, p.maxHdr)
		}
		t, err := p.token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if t.Name.Space == NS && t.Name.Local == "ClinicalDocument" {
				p.autoPresentable = true
				return t, nil
			}
			p.outer++
			if p.outer >= p.maxDepth {
				return xml.StartElement{}, limitErr(limit.Depth, int64(p.maxDepth))
			}
			p.outerNS = append(p.outerNS, nsDecls(t.Attr))
		case xml.EndElement:
			if len(p.outerNS) > 0 {
				p.outerNS = p.outerNS[:len(p.outerNS)-1]
			}
			p.outer--
			if p.outer == 0 {
				return xml.StartElement{}, fmt.Errorf("%w: XSLT stylesheet without an embedded ClinicalDocument", ErrNotCDA)
			}
		}
	}
}

// finish reads the rest of the document after the body was consumed (or
// not), checking well-formedness and the depth limit. The children of
// ClinicalDocument and of its children that follow the body (a second
// component, an element after nonXMLBody) are added to the header tree,
// bare (their name and attributes): the kit counts them.
func (p *parser) finish() error {
	depth := p.depth + p.outer
	outer := p.outer
	p.outer = 0
	// open are the tree nodes of the open elements of ClinicalDocument and
	// of its children (nil deeper, or when the element is not kept).
	var open []*node
	for n := p.stop; n != nil; n = n.parent() {
		open = append([]*node{n}, open...)
	}
	for depth > 0 {
		t, err := p.token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			// lvl is how many elements of ClinicalDocument's tree are open.
			lvl := depth - outer
			var n *node
			if lvl >= 1 && lvl <= 2 && lvl <= len(open) && open[lvl-1] != nil {
				n = open[lvl-1].child(t.Name, t.Attr)
			}
			if lvl >= 0 && lvl <= len(open) {
				open = append(open[:lvl], n)
			}
			depth++
			if depth > p.maxDepth {
				return limitErr(limit.Depth, int64(p.maxDepth))
			}
		case xml.EndElement:
			depth--
			if lvl := depth - outer; lvl >= 0 && lvl < len(open) {
				open = open[:lvl]
			}
		}
	}
	p.depth = 0
	// Trailing misc: comments and PIs only.
	for {
		t, err := p.dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return p.wrap(err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			return fmt.Errorf("%w: second root element %s", ErrSyntax, t.Name.Local)
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return fmt.Errorf("%w: text after the root element", ErrSyntax)
			}
		}
	}
}
