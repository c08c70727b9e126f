package xdm

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mssante-go/sdk/limit"
)

// node is an element of a parsed XML document: enough of a DOM to read
// ebRIM metadata by namespace URI and local name.
type node struct {
	space, local string
	attrs        []xml.Attr
	children     []*node
	text         strings.Builder
	line         int
}

func (n *node) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == local && (a.Name.Space == "" || a.Name.Space == NamespaceRIM || a.Name.Space == NamespaceLCM) {
			return a.Value, true
		}
	}
	return "", false
}

func (n *node) attrOr(local string) string {
	v, _ := n.attr(local)
	return v
}

// xmlTree is a parsed METADATA.XML. Namespace problems (an undeclared
// prefix, which encoding/xml leaves in Name.Space) are judged by
// metaReader.rim when it reads the elements.
type xmlTree struct {
	root *node
}

// parseTree reads an XML document with a depth limit. It accepts a BOM,
// leading whitespace and no XML declaration.
func parseTree(data []byte, maxDepth int) (*xmlTree, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	data = bytes.TrimLeft(data, " \t\r\n")
	t := &xmlTree{}
	var stack []*node
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("unsupported encoding %q (want UTF-8)", charset)
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth && maxDepth > 0 {
				return nil, &limit.Error{What: "XML document", Limit: limit.Depth, Max: int64(maxDepth)}
			}
			line, _ := dec.InputPos()
			n := &node{space: tok.Name.Space, local: tok.Name.Local, attrs: tok.Attr, line: line}
			if len(stack) == 0 {
				if t.root != nil {
					return nil, errors.New("several root elements")
				}
				t.root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(tok)
			}
		}
	}
	if t.root == nil {
		return nil, errors.New("no root element")
	}
	return t, nil
}
