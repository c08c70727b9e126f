package cdamutate

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/beevik/etree"
)

// WithBody returns doc with the content of its nonXMLBody/text replaced by
// content, base64-encoded: the StrucMin rules do not look at the body, and a
// small one keeps thousands of mutants cheap to check.
func WithBody(doc, content []byte) ([]byte, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("cdamutate: %w", err)
	}
	var text *etree.Element
	for _, e := range d.FindElements("//component/nonXMLBody/text") {
		if e.NamespaceURI() == Namespaces["hl7"] {
			text = e
			break
		}
	}
	if text == nil {
		return nil, errors.New("cdamutate: no component/nonXMLBody/text: not a level 1 document")
	}
	text.SetText(base64.StdEncoding.EncodeToString(content))
	return d.WriteToBytes()
}
