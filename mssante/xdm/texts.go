package xdm

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/xmltext"
)

// indexHTM writes INDEX.HTM: valid XHTML 1.0 Strict naming the sending
// structure (StructNom, StructIdNat), an optional warning, a link to
// README.TXT and the list of documents (xdm.md §2). A value XML cannot
// carry gives an *xmltext.Error.
func indexHTM(s *SenderInfo, subset string, docs []*DocumentEntry) ([]byte, error) {
	var bad error
	check := func(v string) string {
		if err := xmltext.Check(v); err != nil && bad == nil {
			bad = err
		}
		return v
	}
	doc := etree.NewDocument()
	doc.WriteSettings = etree.WriteSettings{CanonicalAttrVal: true, CanonicalText: true}
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.CreateText("\n")
	doc.CreateDirective(`DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"`)
	doc.CreateText("\n")
	html := doc.CreateElement("html")
	html.CreateAttr("xmlns", "http://www.w3.org/1999/xhtml")
	html.CreateAttr("xml:lang", "fr")
	html.CreateAttr("lang", "fr")
	doc.CreateText("\n")
	// line adds a child on its own line.
	line := func(parent *etree.Element, name string) *etree.Element {
		c := parent.CreateElement(name)
		parent.CreateText("\n")
		return c
	}
	html.CreateText("\n")
	head := line(html, "head")
	head.CreateText("\n")
	meta := line(head, "meta")
	meta.CreateAttr("http-equiv", "Content-Type")
	meta.CreateAttr("content", "text/html; charset=UTF-8")
	line(head, "title").SetText("IHE_XDM : " + check(s.StructureName))
	body := line(html, "body")
	body.CreateText("\n")
	line(body, "p").SetText("Emetteur : " + check(s.StructureName) + " (" + check(s.StructureID) + ")")
	if s.Warning != "" {
		line(body, "p").CreateElement("strong").SetText(check(s.Warning))
	}
	ul := line(body, "ul")
	ul.CreateText("\n")
	for _, d := range docs {
		a := line(ul, "li").CreateElement("a")
		a.CreateAttr("href", "IHE_XDM/"+subset+"/"+check(d.URI))
		if d.Title != "" {
			a.SetText(check(d.Title))
		} else {
			a.SetText(d.URI)
		}
	}
	p := line(body, "p")
	p.SetText("Voir le fichier ")
	readme := p.CreateElement("a")
	readme.CreateAttr("href", "README.TXT")
	readme.SetText("README.TXT")
	if bad != nil {
		return nil, fmt.Errorf("xdm: INDEX.HTM: %w", bad)
	}
	return doc.WriteToBytes()
}

// defaultInstructions is the instructions section of README.TXT.
const defaultInstructions = "Consultez les fichiers reçus par messagerie sécurisée de santé dans votre logiciel de professionnel de santé."

// readmeTXT writes README.TXT in UTF-8 with CRLF line ends and the four
// sections of the ANS example: sender, sending application, instructions,
// tree (xdm.md §2).
func readmeTXT(s *SenderInfo, subset string, docs []*DocumentEntry) []byte {
	var b strings.Builder
	line := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
		b.WriteString("\r\n")
	}
	field := func(label, v string) {
		if v != "" {
			line("    . ", label, " : ", oneLine(v))
		}
	}
	line("Emetteur :")
	line("==========")
	field("Nom", s.PersonName)
	line("    . Organisme : ", oneLine(s.StructureName), " (", oneLine(s.StructureID), ")")
	field("Adresse", s.Address)
	field("Téléphone", s.Telephone)
	line()
	line("Application de l'émetteur :")
	line("===========================")
	field("Nom", s.ApplicationName)
	field("Version", s.ApplicationVersion)
	field("Editeur", s.ApplicationVendor)
	line()
	line("Instructions :")
	line("==============")
	instr := s.Instructions
	if instr == "" {
		instr = defaultInstructions
	}
	for _, l := range strings.Split(strings.ReplaceAll(instr, "\r\n", "\n"), "\n") {
		line("    ", l)
	}
	line()
	line("Arborescence :")
	line("==============")
	line("    README.TXT")
	line("    INDEX.HTM")
	line("    IHE_XDM/")
	line("        ", subset, "/")
	line("            METADATA.XML")
	for _, d := range docs {
		line("            ", d.URI)
	}
	return []byte(b.String())
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
