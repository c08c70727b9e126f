package cda

import (
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/idnat"
	"github.com/mssante-go/sdk/ins"
)

// ValidateOptions tunes Validate. The zero value (or nil) is the default:
// every rule at its normal level.
type ValidateOptions struct {
	// TestINSKeyWarning downgrades a wrong INS key under the test or
	// demonstration authority (.10, .11) to a warning (ins.md §8.2), to
	// replay the official examples, some of which carry fictitious
	// matricules with wrong keys.
	TestINSKeyWarning bool
	// Environment refuses INS authorities that do not belong to it: test
	// and demo OIDs in ins.Production, production OIDs in ins.Test
	// (CDA-INS-ENV, error). The zero value accepts every authority.
	Environment ins.Environment
	// HeaderOnly stops at the body: the base64 content of a level 1
	// document and the rest of the document are not read.
	HeaderOnly bool
	// Read sets the reader limits.
	Read *ReadOptions

	// strict is Build's self-check: what the kit warns about (an element
	// its template does not list...) and a code found in its value set
	// under another code system (CDA-CODE-SYSTEM) are errors.
	strict bool
}

// Validate checks a CDA document and returns levelled findings.
//
// Its errors are those of the official ANS kit: every assert of the
// "Structuration minimale" schematron (StrucMin, cda.md §8), generated from
// the kit's rules into a Go table (kitrules_gen.go) or written by hand for
// the datatype rules and the CI-SIS's own asserts, gives a finding at the
// kit's level, named after its template (rule "CI-SISAuthor",
// "SMDS_CDAClinicalDocument", "dtr1-10-II"...) with Spec "StrucMin <assert
// id>". A document has an error-level finding if and only if the kit
// rejects it, except for the few rules where the SDK is deliberately
// stricter (docs/cda.md lists them): the INS key (CDA-INS-KEY, CDA-INS-DUP,
// CDA-INS-ENV), the CDA schema's element order (CDA-ORDER, CDA-XML-PREFIX),
// a document replacing itself (CDA-RPLC) and the level 1 body, which the
// kit does not read (CDA-BODY-*). Warnings add the IG's rules and the
// tolerated defects of documents from the field (CDA-* rules at warning
// level), info the remarks.
//
// The error is non-nil when the document cannot be read (not XML, not CDA,
// malformed or truncated, over a limit); when that happens after the
// header, the header findings are returned with it. A level 1 body whose
// base64 is corrupt is a finding, not an error.
func Validate(r io.Reader, opts *ValidateOptions) (finding.List, error) {
	if opts == nil {
		opts = &ValidateOptions{}
	}
	return validateReader(r, opts, !opts.HeaderOnly)
}

func validateReader(r io.Reader, opts *ValidateOptions, drain bool) (finding.List, error) {
	d, err := Parse(r, opts.Read)
	if err != nil {
		return nil, err
	}
	// The body is read first: the children of ClinicalDocument after it (a
	// second component) join the header tree the rules check.
	body := &validator{opts: opts}
	var readErr error
	if drain {
		readErr = body.body(d)
	}
	v := &validator{opts: opts}
	v.header(d.p.root, d.p)
	return append(v.fs, body.fs...), readErr
}

// body reads the level 1 body to its end (or the rest of a structured
// document) and checks its base64 content.
func (v *validator) body(d *Document) error {
	if d.p.bodyText == nil {
		return d.p.finish()
	}
	body, err := d.Body()
	if err == nil {
		var n int64
		n, err = io.Copy(io.Discard, body)
		if err == nil && n == 0 {
			v.add(finding.Error, "CDA-BODY-EMPTY", d.p.bodyText, specL1, "the non-XML body is empty")
		}
	}
	if err != nil {
		if errors.Is(err, ErrBase64) {
			v.add(finding.Error, "CDA-BODY-B64", d.p.bodyText, specL1, "%v", err)
		} else if !errors.Is(err, ErrNoBody) {
			return err
		}
	}
	return nil
}

type validator struct {
	opts *ValidateOptions
	fs   finding.List
}

func (v *validator) add(level finding.Level, rule string, at *node, spec, format string, args ...any) {
	v.fs.Add(level, rule, at.loc(), spec, format, args...)
}

// headerOrder is the order of the ClinicalDocument children in the CDA
// schema (POCD_MT000040, cda.md §1).
var headerOrder = []string{"realmCode", "typeId", "templateId", "id", "code", "title", "effectiveTime",
	"confidentialityCode", "languageCode", "setId", "versionNumber", "copyTime", "recordTarget", "author",
	"dataEnterer", "informant", "custodian", "informationRecipient", "legalAuthenticator", "authenticator",
	"participant", "inFulfillmentOf", "documentationOf", "relatedDocument", "authorization", "componentOf", "component"}

// allowedNullFlavors are the values the CI-SIS allows (IG-HDR).
var allowedNullFlavors = map[string]bool{"UNK": true, "NASK": true, "ASKU": true, "NAV": true, "MSK": true}

const (
	specDoc   = "cda.md §1"
	specHdr   = "cda.md §2"
	specL1    = "cda.md §3"
	specIDNat = "cda.md §4"
	specRPLC  = "cda.md §5"
	specINS   = "cda.md §6"
	specVS    = "cda.md §7"
)

func (v *validator) header(root *node, p *parser) {
	// The official rules.
	v.kitRules(root)

	// What the SDK adds: the schema's order, the INS, national
	// identifiers, the tolerated defects.
	for _, a := range root.Attr {
		if a.Key == "schemaLocation" && a.Space == nsURIXSI {
			v.add(finding.Warning, "CDA-DOC-SCHEMALOC", root, specDoc, "xsi:schemaLocation must not be sent (the receiver's schema location is unknown); ignored")
		}
	}
	v.typeID(root)
	v.order(root)
	v.elements(root)
	if n := root.elem("versionNumber"); n != nil {
		if k, err := strconv.Atoi(n.attr("value")); err != nil || k < 1 {
			v.add(finding.Warning, "CDA-VERSION", n, specHdr, "versionNumber %q is not a positive integer (1 for the first version)", n.attr("value"))
		}
	}
	if n := root.elem("code"); n != nil && n.attr("code") != "" && n.attr("displayName") == "" {
		v.add(finding.Warning, "CDA-CODE", n, specHdr, "code has no displayName")
	}
	if n := root.elem("copyTime"); n != nil {
		v.add(finding.Warning, "CDA-COPYTIME", n, specHdr, "copyTime is obsolete and must not be used")
	}
	v.patient(root)
	v.professionals(root)
	v.related(root)
	v.component(p)
}

// typeID checks the typeId of CDA R2, which the CDA schema fixes: without
// it the kit's rules do not apply to the document at all (they give one
// warning).
func (v *validator) typeID(root *node) {
	for _, t := range root.elems("typeId") {
		if t.attr("root") == OIDTypeID && t.attr("extension") == "POCD_HD000040" {
			return
		}
	}
	v.fs.Add(finding.Error, "CDA-TYPEID", root.loc()+"/typeId", specHdr, "typeId root %s extension POCD_HD000040 (CDA R2) is required", OIDTypeID)
}

// headerPos is the position of each element in headerOrder.
var headerPos = func() map[string]int {
	pos := make(map[string]int, len(headerOrder))
	for i, n := range headerOrder {
		pos[n] = i
	}
	return pos
}()

// order checks the order of ClinicalDocument's children (the CDA schema;
// the kit's schematron does not).
func (v *validator) order(root *node) {
	last := -1
	for _, c := range root.children() {
		if c.Space != NS {
			continue
		}
		i, ok := headerPos[c.Tag]
		if !ok {
			v.add(finding.Error, "CDA-ORDER", c, specDoc, "%s is not a ClinicalDocument element", c.Tag)
			continue
		}
		if i < last {
			v.add(finding.Error, "CDA-ORDER", c, specDoc, "%s is out of the schema order (after %s)", c.Tag, headerOrder[last])
			continue
		}
		last = i
	}
}

// elements checks each element of the header (component and the body
// aside): undeclared prefixes, nullFlavor values, time offsets.
func (v *validator) elements(root *node) {
	var walk func(n *node)
	walk = func(n *node) {
		for _, c := range n.children() {
			if c.Tag == "component" && c.parent() == root {
				continue
			}
			// encoding/xml leaves an unbound prefix in Name.Space.
			if c.Space != "" && !strings.Contains(c.Space, ":") {
				v.add(finding.Error, "CDA-XML-PREFIX", c, specDoc, "namespace prefix %q is not declared", c.Space)
			}
			if nf, ok := c.lookupAttr("nullFlavor"); ok && !allowedNullFlavors[nf] {
				v.add(finding.Warning, "CDA-NULLFLAVOR", c, specHdr, "nullFlavor %q is not one of UNK, NASK, ASKU, NAV, MSK", nf)
			}
			// The kit accepts an offset "+100" (as +10:00); the IG
			// writes ±hhmm (cda.md §2), the reader takes it as +01:00.
			if val, ok := c.lookupAttr("value"); ok && isTimeElement(c) {
				if i := strings.IndexAny(val, "+-"); i > 0 && len(val)-i-1 != 4 {
					v.add(finding.Warning, "CDA-TS-OFFSET", c, specHdr, "time %q: the offset is not ±hhmm (four digits)", val)
				}
			}
			walk(c)
		}
	}
	walk(root)
}

// isTimeElement reports whether n is a TS of the header.
func isTimeElement(n *node) bool {
	switch n.Tag {
	case "effectiveTime", "time", "low", "high", "center", "birthTime":
		return n.Space == NS
	}
	return false
}

func (v *validator) patient(root *node) {
	pr := root.path("recordTarget", "patientRole")
	if pr == nil {
		return
	}
	var insID *node
	for _, id := range pr.elems("id") {
		root, ext := id.attr("root"), id.attr("extension")
		switch {
		case ins.OID(root).Valid() && ext != "":
			if insID != nil {
				v.add(finding.Error, "CDA-INS-DUP", id, specINS, "the patient carries more than one INS")
				continue
			}
			insID = id
			v.insKey(id)
		case root == string(ins.OIDINSC):
			v.add(finding.Warning, "CDA-INS-OID", id, specINS, "1.2.250.1.213.1.4.2 is the legacy INS-C, not an INS; read as a local identifier")
		}
	}
	pt := pr.elem("patient")
	name := pt.elem("name")
	if insID != nil && name != nil {
		var first, list string
		for _, g := range name.elems("given") {
			switch g.attr("qualifier") {
			case "BR":
				if first == "" {
					first = g.txt()
				}
			case "":
				if list == "" {
					list = g.txt()
				}
			}
		}
		if first != "" && list != "" {
			t := ins.Traits{BirthGivenNames: list}
			if t.FirstGiven() != first {
				v.add(finding.Warning, "CDA-INS-FIRSTGIVEN", name, "ins.md §6.1", "the first birth given name %q is not the first of the list %q", first, list)
			}
		}
	}
	if county := pt.path("birthplace", "place", "addr", "county"); county != nil {
		if c := county.txt(); c != "" && len(c) != 5 {
			v.add(finding.Warning, "CDA-INS-COG", county, specINS, "birthplace county %q is not a 5-character INSEE COG code", c)
		}
	}
}

// insKey checks the INS matricule with the ins package.
func (v *validator) insKey(id *node) {
	if err := v.opts.Environment.Allows(ins.OID(id.attr("root"))); err != nil {
		v.add(finding.Error, "CDA-INS-ENV", id, "ins.md §10", "%v", err)
	}
	i, err := ins.FromII(ins.II{Root: id.attr("root"), Extension: id.attr("extension")})
	if err == nil {
		if i.IsTest() {
			v.add(finding.Info, "CDA-INS-TEST", id, specINS, "INS under the %s authority: fictitious test identity", i.OID.Name())
		}
		return
	}
	level := finding.Error
	if errors.Is(err, ins.ErrChecksum) && v.opts.TestINSKeyWarning && ins.OID(id.attr("root")).IsTest() {
		level = finding.Warning
	}
	v.add(level, "CDA-INS-KEY", id, "ins.md §3, §8.2", "INS matricule %q: %v", id.attr("extension"), err)
}

// professionals checks the national identifiers of the professionals and
// organisations of the header (cda.md §4) and the author's specialty: the
// kit checks the roots where it requires them; the SDK warns about an
// unexpected root, prefix or key everywhere.
func (v *validator) professionals(root *node) {
	for _, a := range root.elems("author") {
		aa := a.elem("assignedAuthor")
		if aa == nil {
			continue
		}
		if aa.elem("assignedPerson") != nil {
			for _, id := range aa.elems("id") {
				v.personID(id)
			}
		}
		if aa.elem("code") == nil && aa.elem("assignedPerson") != nil {
			v.fs.Add(finding.Warning, "CDA-AUTHOR-CODE", aa.loc()+"/code", specHdr, "assignedAuthor has no code (JDV_J01 specialty)")
		}
		v.orgIDs(aa.elem("representedOrganization"))
	}
	for _, id := range root.path("custodian", "assignedCustodian", "representedCustodianOrganization").elems("id") {
		v.orgID(id, OIDPatientHost)
	}
	for _, r := range root.elems("informationRecipient") {
		ir := r.elem("intendedRecipient")
		for _, id := range ir.elems("id") {
			v.personID(id)
		}
		v.orgIDs(ir.elem("receivedOrganization"))
	}
	entities := root.path("legalAuthenticator", "assignedEntity").asList()
	for _, a := range root.elems("authenticator") {
		entities = append(entities, a.elem("assignedEntity"))
	}
	for _, d := range root.elems("documentationOf") {
		for _, pf := range d.path("serviceEvent").elems("performer") {
			entities = append(entities, pf.elem("assignedEntity"))
		}
	}
	ee := root.path("componentOf", "encompassingEncounter")
	entities = append(entities, ee.path("responsibleParty", "assignedEntity"))
	for _, ep := range ee.elems("encounterParticipant") {
		entities = append(entities, ep.elem("assignedEntity"))
	}
	for _, e := range entities {
		if e == nil {
			continue
		}
		for _, id := range e.elems("id") {
			v.personID(id)
		}
		v.orgIDs(e.elem("representedOrganization"))
	}
}

// asList returns n as a one-element list, or an empty one for nil.
func (n *node) asList() []*node {
	if n == nil {
		return nil
	}
	return []*node{n}
}

// personID checks the id of a professional: root idNat_PS, known prefix.
func (v *validator) personID(n *node) {
	if n == nil || n.attr("nullFlavor") != "" {
		return
	}
	root, ext := n.attr("root"), n.attr("extension")
	if root != idnat.OIDPerson {
		v.add(finding.Warning, "CDA-IDNAT-ROOT", n, specIDNat, "professional id root %q is not idNat_PS %s", root, idnat.OIDPerson)
		return
	}
	v.prefix(n, ext, idnat.PersonPrefixes, "idNat_PS")
	if strings.HasPrefix(ext, "8") {
		v.nationalKey(n, idnat.RPPS, ext, "idNat_PS %q: 8 must be followed by the 11-digit RPPS")
	}
}

func (v *validator) orgIDs(o *node) {
	for _, id := range o.elems("id") {
		v.orgID(id)
	}
}

// orgID checks the id of an organisation: root idNat_Struct.
func (v *validator) orgID(n *node, alsoRoots ...string) {
	if n == nil || n.attr("nullFlavor") != "" {
		return
	}
	root, ext := n.attr("root"), n.attr("extension")
	if root == idnat.OIDStructure {
		v.prefix(n, ext, idnat.StructurePrefixes, "idNat_Struct")
		if strings.HasPrefix(ext, "1") {
			v.nationalKey(n, idnat.FINESS, ext, "idNat_Struct %q: 1 must be followed by the 9-character FINESS")
		}
		return
	}
	for _, r := range alsoRoots {
		if root == r {
			return
		}
	}
	v.add(finding.Warning, "CDA-IDNAT-ROOT", n, specIDNat, "organisation id root %q is not idNat_Struct %s", root, idnat.OIDStructure)
}

// nationalKey checks the identifier after the prefix of ext with
// idnat.Validate, the SDK's one check digit policy: a malformed number gives
// the formatMsg warning (CDA-IDNAT-PREFIX), a failed key a CDA-IDNAT-KEY
// warning (the RPPS and FINESS keys are observed, not official).
func (v *validator) nationalKey(n *node, kind idnat.Kind, ext, formatMsg string) {
	for _, f := range idnat.Validate(kind, ext[1:]) {
		if f.Rule == idnat.RuleFormat {
			v.add(finding.Warning, "CDA-IDNAT-PREFIX", n, specIDNat, formatMsg, ext)
		} else {
			v.add(finding.Warning, "CDA-IDNAT-KEY", n, specIDNat, "%s: %s", ext, f.Message)
		}
	}
}

func (v *validator) prefix(n *node, ext, allowed, kind string) {
	if ext == "" {
		v.add(finding.Warning, "CDA-IDNAT-PREFIX", n, specIDNat, "%s id has no extension", kind)
		return
	}
	if !strings.ContainsRune(allowed, rune(ext[0])) {
		v.add(finding.Warning, "CDA-IDNAT-PREFIX", n, specIDNat, "%s %q: unknown prefix %q (want one of %s)", kind, ext, ext[:1], allowed)
	}
}

// related checks what the kit does not of a replacement (cda.md §5): the
// parent is another document, and the version is not the first.
func (v *validator) related(root *node) {
	rd := root.elem("relatedDocument")
	if rd == nil {
		return
	}
	if id := rd.path("parentDocument", "id"); id != nil {
		if own := root.elem("id"); own != nil && own.attr("root") != "" && own.attr("root") == id.attr("root") && own.attr("extension") == id.attr("extension") {
			v.add(finding.Error, "CDA-RPLC", id, specRPLC, "the parent document id is the id of this document")
		}
	}
	if vn := root.elem("versionNumber"); vn != nil && vn.attr("value") == "1" {
		v.add(finding.Warning, "CDA-RPLC", vn, specRPLC, "a replacement document should have versionNumber > 1")
	}
}

// bodyMediaTypes are the level 1 media types: those Build writes (ok), and
// those of ASS_A12 the IG no longer allows (warning).
var bodyMediaTypes = map[string]finding.Level{
	MediaTypePDF: finding.Info, MediaTypeText: finding.Info,
	"text/rtf": finding.Warning, "image/jpeg": finding.Warning, "image/tiff": finding.Warning,
}

// component checks the level 1 body, which the kit does not read (cda.md
// §3).
func (v *validator) component(p *parser) {
	if p.bodyKind != "nonXMLBody" {
		return
	}
	t := p.bodyText
	mt, ok := t.lookupAttr("mediaType")
	if !ok {
		mt = MediaTypeText
	}
	switch level, known := bodyMediaTypes[mt]; {
	case !known:
		v.add(finding.Error, "CDA-BODY-MEDIATYPE", t, specL1, "mediaType %q is not allowed (application/pdf or text/plain)", mt)
	case level == finding.Warning:
		v.add(finding.Warning, "CDA-BODY-MEDIATYPE", t, specL1, "mediaType %q: the body should be PDF or plain text (convert images to PDF/A-1)", mt)
	}
	if rep := t.attr("representation"); rep != "B64" {
		v.add(finding.Error, "CDA-BODY-B64", t, specL1, "representation is %q, want B64", rep)
	}
	if t.attr("nullFlavor") != "" {
		v.add(finding.Error, "CDA-BODY-B64", t, specL1, "nonXMLBody/text must not be null")
	}
}
