package xdm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/limit"
)

// parseMetadata reads a METADATA.XML into an etree tree, within a depth
// limit (0: none), and returns its root element. It accepts a BOM, leading
// whitespace and no XML declaration; a declared encoding other than UTF-8
// is refused. Namespace problems (an undeclared prefix, no namespace) are
// not errors here: metaReader.rim judges them when it reads the elements.
func parseMetadata(data []byte, maxDepth int) (*etree.Element, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	data = bytes.TrimLeft(data, " \t\r\n")
	if maxDepth <= 0 {
		maxDepth = math.MaxInt
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{MaxDepth: maxDepth, CharsetReader: utf8Only}
	if err := doc.ReadFromBytes(data); err != nil {
		if errors.Is(err, etree.ErrMaxDepth) {
			return nil, &limit.Error{What: "METADATA.XML", Limit: limit.Depth, Max: int64(maxDepth)}
		}
		return nil, err
	}
	roots := doc.ChildElements()
	switch {
	case len(roots) == 0:
		return nil, errors.New("no root element")
	case len(roots) > 1:
		return nil, errors.New("several root elements")
	}
	return roots[0], nil
}

func utf8Only(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q (want UTF-8)", charset)
}

// attr returns an attribute of an ebRIM element by local name: unqualified,
// or in the rim: or lcm: namespace.
func attr(n *etree.Element, local string) (string, bool) {
	for i := range n.Attr {
		a := &n.Attr[i]
		if a.Key != local {
			continue
		}
		if a.Space == "" {
			return a.Value, true
		}
		if u := a.NamespaceURI(); u == NamespaceRIM || u == NamespaceLCM {
			return a.Value, true
		}
	}
	return "", false
}

func attrOr(n *etree.Element, local string) string {
	v, _ := attr(n, local)
	return v
}

// text returns all the character data of an element (CDATA included).
func text(n *etree.Element) string {
	var b strings.Builder
	for _, t := range n.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}
