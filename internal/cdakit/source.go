package cdakit

import (
	"fmt"
	"path/filepath"

	"github.com/beevik/etree"
)

// LoadSource reads the catalogue of the kit's rules from their source files,
// without Java: the scenario file (MainSchematron) of the rules folder with
// its includes pasted in place, as the kit's iso_dsdl_include.xsl does, and
// the ids Compile gives (see Catalogue). The StrucMin rules have no abstract
// pattern, so the kit's second step (iso_abstract_expand.xsl) leaves them as
// they are; LoadSource refuses rules that have one. It gives the same
// catalogue as a compiled Kit (a test holds them equal), for the tools that
// read the rules without running them: the generator of the Go rule table of
// package cda.
func LoadSource(rulesDir string) (*Catalogue, error) {
	main := filepath.Join(rulesDir, MainSchematron)
	doc := etree.NewDocument()
	if err := doc.ReadFromFile(main); err != nil {
		return nil, fmt.Errorf("cdakit: reading %s: %w", main, err)
	}
	if doc.Root() == nil {
		return nil, fmt.Errorf("cdakit: %s: no root element", main)
	}
	if err := pasteIncludes(doc.Root(), filepath.Dir(main), 0); err != nil {
		return nil, err
	}
	for _, p := range schChildren(doc.Root(), "pattern") {
		if p.SelectAttrValue("abstract", "") == "true" || p.SelectAttrValue("is-a", "") != "" {
			return nil, fmt.Errorf("cdakit: %s: abstract patterns are not supported", main)
		}
	}
	if err := assignIDs(doc, main); err != nil {
		return nil, err
	}
	return catalogueOf(doc, main)
}

// maxIncludeDepth bounds nested includes (the kit nests none).
const maxIncludeDepth = 8

// pasteIncludes replaces every schematron include under e by the root
// element of the file it names, relative to dir.
func pasteIncludes(e *etree.Element, dir string, depth int) error {
	for _, c := range e.ChildElements() {
		if !isSch(c, "include") {
			if err := pasteIncludes(c, dir, depth); err != nil {
				return err
			}
			continue
		}
		if depth >= maxIncludeDepth {
			return fmt.Errorf("cdakit: includes nested deeper than %d", maxIncludeDepth)
		}
		href := c.SelectAttrValue("href", "")
		path := filepath.Join(dir, filepath.FromSlash(href))
		inc := etree.NewDocument()
		if err := inc.ReadFromFile(path); err != nil {
			return fmt.Errorf("cdakit: include %s: %w", href, err)
		}
		r := inc.Root()
		if r == nil {
			return fmt.Errorf("cdakit: include %s: no root element", href)
		}
		if err := pasteIncludes(r, filepath.Dir(path), depth+1); err != nil {
			return err
		}
		e.InsertChildAt(c.Index(), r)
		e.RemoveChild(c)
	}
	return nil
}
