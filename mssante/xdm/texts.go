package xdm

import (
	"strings"
)

// indexHTM writes INDEX.HTM: valid XHTML 1.0 Strict naming the sending
// structure (StructNom, StructIdNat), an optional warning, a link to
// README.TXT and the list of documents (xdm.md §2).
func indexHTM(s *SenderInfo, subset string, docs []*DocumentEntry) ([]byte, error) {
	var w xmlWriter
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.raw(`<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">` + "\n")
	w.raw(`<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="fr" lang="fr">` + "\n")
	w.raw("<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\n<title>IHE_XDM : ")
	w.esc(s.StructureName)
	w.raw("</title>\n</head>\n<body>\n<p>Emetteur : ")
	w.esc(s.StructureName)
	w.raw(" (")
	w.esc(s.StructureID)
	w.raw(")</p>\n")
	if s.Warning != "" {
		w.raw("<p><strong>")
		w.esc(s.Warning)
		w.raw("</strong></p>\n")
	}
	w.raw("<ul>\n")
	for _, d := range docs {
		w.raw(`<li><a href="IHE_XDM/` + subset + "/")
		w.esc(d.URI)
		w.raw(`">`)
		if d.Title != "" {
			w.esc(d.Title)
		} else {
			w.esc(d.URI)
		}
		w.raw("</a></li>\n")
	}
	w.raw("</ul>\n<p>Voir le fichier <a href=\"README.TXT\">README.TXT</a></p>\n</body>\n</html>\n")
	if w.err != nil {
		return nil, w.err
	}
	return w.b.Bytes(), nil
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
