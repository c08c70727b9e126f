package testfiles

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Derive applies the transform of a derived source to the bytes of its
// GitHub file. The transforms reproduce, byte for byte, how ../shared/testdata
// transcribed those files; the manifest hash checks that they still do.
func Derive(src Source, in []byte) ([]byte, error) {
	switch src.Transform {
	case "md-codeblock-crlf":
		return mdCodeBlockCRLF(in)
	case "fsh-conceptmap-csv":
		return fshConceptMapCSV(src, in)
	}
	return nil, fmt.Errorf("unknown transform %q", src.Transform)
}

// mdCodeBlockCRLF returns the first fenced code block (```) of a Markdown
// page, as a mail message: lines end with CRLF, and the last one too.
func mdCodeBlockCRLF(md []byte) ([]byte, error) {
	lines := strings.Split(strings.ReplaceAll(string(md), "\r\n", "\n"), "\n")
	start := -1
	for i, l := range lines {
		if !strings.HasPrefix(l, "```") {
			continue
		}
		if start < 0 {
			start = i + 1
			continue
		}
		out := strings.Join(lines[start:i], "\r\n")
		if !strings.HasSuffix(out, "\r\n") {
			out += "\r\n"
		}
		return []byte(out), nil
	}
	return nil, errors.New("no fenced code block")
}

// conceptMapSystems gives the code system column of the ASS_X04 table for
// each source of a ConceptMap group.
var conceptMapSystems = map[string]string{
	"http://loinc.org": "2.16.840.1.113883.6.1",
	"https://mos.esante.gouv.fr/NOS/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire": "1.2.250.1.213.1.1.4.12",
	"https://mos.esante.gouv.fr/NOS/TRE_A12-NomenclatureASTM/FHIR/TRE-A12-NomenclatureASTM":           "ASTM-E1762",
}

// fshConceptMapCSV turns the FSH source of the ASS_X04 ConceptMap (typeCode →
// classCode) into the CSV of ../shared/testdata: a commented header, then
// typeCodeSystem,typeCode,classCode for each element, in the FSH order.
func fshConceptMapCSV(src Source, fsh []byte) ([]byte, error) {
	var url, version, oid, system, code string
	var rows bytes.Buffer
	for n, line := range strings.Split(strings.ReplaceAll(string(fsh), "\r\n", "\n"), "\n") {
		key, val, ok := strings.Cut(strings.TrimPrefix(line, "* "), " = ")
		if !ok || !strings.HasPrefix(line, "* ") {
			continue
		}
		str := strings.Trim(val, `"`)
		switch {
		case key == "url":
			url = str
		case key == "version":
			version = str
		case key == "identifier.value":
			oid = str
		case strings.HasPrefix(key, "group[") && strings.HasSuffix(key, "].source"):
			if system, ok = conceptMapSystems[str]; !ok {
				return nil, fmt.Errorf("line %d: group source %s has no code system in the table", n+1, str)
			}
		case strings.HasPrefix(key, "group[=].element") && strings.HasSuffix(key, ".code") && !strings.Contains(key, "target"):
			code = strings.TrimPrefix(val, "#")
		case strings.HasPrefix(key, "group[=].element") && strings.HasSuffix(key, "target.code"):
			if system == "" || code == "" {
				return nil, fmt.Errorf("line %d: target without a group source or an element code", n+1)
			}
			fmt.Fprintf(&rows, "%s,%s,%s\n", system, code, strings.TrimPrefix(val, "#"))
			code = ""
		}
	}
	_, rest, _ := strings.Cut(url, "/NOS/")
	name, _, _ := strings.Cut(rest, "/")
	if name == "" || version == "" || oid == "" || rows.Len() == 0 {
		return nil, errors.New("not a ConceptMap with url, version, identifier and elements")
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "# %s (ConceptMap version %s), %s\n", name, version, oid)
	fmt.Fprintf(&out, "# Source: %s %s (commit %s)\n", src.Repo, src.Path, src.Commit)
	out.WriteString("# typeCode (JDV_J07) -> classCode (JDV_J06 / TRE_A03-ClasseDocument, codeSystem 1.2.250.1.213.1.1.4.1)\n")
	out.WriteString("# columns: typeCodeSystem,typeCode,classCode\n")
	out.Write(rows.Bytes())
	return out.Bytes(), nil
}
