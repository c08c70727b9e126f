package cda

import (
	"errors"
	"io"
	"regexp"
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
}

// Validate checks a CDA document against the CI-SIS header rules (cda.md
// §1-§7) and the level 1 body rules, and returns levelled findings: error
// for what the ANS kit rejects (and what breaks the CDA schema), warning for
// IG-only rules and tolerated defects, info for remarks. Each finding has a
// stable rule id (CDA-...), an XPath-like location and the spec section.
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
	v := &validator{opts: opts}
	v.header(d.p.root, d.p)
	if drain {
		if d.p.bodyText != nil {
			body, err := d.Body()
			if err == nil {
				var n int64
				n, err = io.Copy(io.Discard, body)
				if err == nil && n == 0 {
					v.add(finding.Error, "CDA-BODY-EMPTY", d.p.bodyText, "cda.md §3", "the non-XML body is empty")
				}
			}
			if err != nil {
				if errors.Is(err, ErrBase64) {
					v.add(finding.Error, "CDA-BODY-B64", d.p.bodyText, "cda.md §3", "%v", err)
				} else if !errors.Is(err, ErrNoBody) {
					return v.fs, err
				}
			}
		} else if err := d.p.finish(); err != nil {
			return v.fs, err
		}
	}
	return v.fs, nil
}

type validator struct {
	opts *ValidateOptions
	fs   finding.List
}

func (v *validator) add(level finding.Level, rule string, at *node, spec, format string, args ...any) {
	v.fs.Add(level, rule, at.loc(), spec, format, args...)
}

// locUnder is the location of a missing child of n.
func locUnder(n *node, name string) string {
	if n == nil {
		return ""
	}
	return n.loc() + "/" + name
}

func (v *validator) missing(level finding.Level, rule string, parent *node, name, spec, what string) {
	v.fs.Add(level, rule, locUnder(parent, name), spec, "%s", what)
}

var (
	reOID   = regexp.MustCompile(`^[0-2](\.(0|[1-9][0-9]*))*$`)
	reUUID  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	reToken = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
	reTS    = regexp.MustCompile(`^[0-9]{4,14}(\.[0-9]+)?([+-][0-9]{4})?$`)
	reLang  = regexp.MustCompile(`^[a-z]{2}-[A-Z]{2}$`)
)

// headerOrder is the order of the ClinicalDocument children in the CDA
// schema (POCD_MT000040, cda.md §1).
var headerOrder = []string{"realmCode", "typeId", "templateId", "id", "code", "title", "effectiveTime",
	"confidentialityCode", "languageCode", "setId", "versionNumber", "copyTime", "recordTarget", "author",
	"dataEnterer", "informant", "custodian", "informationRecipient", "legalAuthenticator", "authenticator",
	"participant", "inFulfillmentOf", "documentationOf", "relatedDocument", "authorization", "componentOf", "component"}

// noNullFlavor are the header elements that must not carry a nullFlavor.
var noNullFlavor = map[string]bool{"realmCode": true, "typeId": true, "templateId": true, "id": true, "code": true,
	"title": true, "effectiveTime": true, "confidentialityCode": true, "languageCode": true, "setId": true,
	"versionNumber": true, "recordTarget": true, "author": true, "legalAuthenticator": true,
	"documentationOf": true, "componentOf": true}

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
	// §1 document level.
	if cc, ok := root.lookupAttr("classCode"); ok && cc != "DOCCLIN" {
		v.add(finding.Error, "CDA-DOC-CLASS", root, specDoc, "classCode is %q, want DOCCLIN", cc)
	}
	if mc, ok := root.lookupAttr("moodCode"); ok && mc != "EVN" {
		v.add(finding.Error, "CDA-DOC-CLASS", root, specDoc, "moodCode is %q, want EVN", mc)
	}
	for _, a := range root.Attr {
		if a.Key == "schemaLocation" && a.Space == "http://www.w3.org/2001/XMLSchema-instance" {
			v.add(finding.Warning, "CDA-DOC-SCHEMALOC", root, specDoc, "xsi:schemaLocation must not be sent (the receiver's schema location is unknown); ignored")
		}
	}
	v.order(root)
	v.nullFlavors(root)

	// §2 simple header elements.
	if n := v.one(root, "realmCode", specHdr, "CDA-REALM"); n != nil && n.attr("code") != "FR" {
		v.add(finding.Error, "CDA-REALM", n, specHdr, "realmCode is %q, want FR", n.attr("code"))
	}
	if n := v.one(root, "typeId", specHdr, "CDA-TYPEID"); n != nil && (n.attr("root") != OIDTypeID || n.attr("extension") != "POCD_HD000040") {
		v.add(finding.Error, "CDA-TYPEID", n, specHdr, "typeId must be root %s extension POCD_HD000040", OIDTypeID)
	}
	v.templates(root, p)
	if n := v.one(root, "id", specHdr, "CDA-ID"); n != nil {
		v.ii(n, "CDA-ID", specHdr, true)
	}
	v.docCode(root)
	if n := v.one(root, "title", specHdr, "CDA-TITLE"); n != nil && n.txt() == "" {
		v.add(finding.Error, "CDA-TITLE", n, specHdr, "title is empty")
	}
	if n := v.one(root, "effectiveTime", specHdr, "CDA-EFFTIME"); n != nil {
		v.ts(n, "CDA-EFFTIME", true)
		if len(n.children()) > 0 {
			v.add(finding.Error, "CDA-EFFTIME", n, specHdr, "effectiveTime must have no child element")
		}
	}
	if n := v.one(root, "confidentialityCode", specHdr, "CDA-CONF"); n != nil {
		v.inSet(n, &vsHL7, finding.Error, "CDA-CONF")
	}
	if n := v.one(root, "languageCode", specHdr, "CDA-LANG"); n != nil && !reLang.MatchString(n.attr("code")) {
		v.add(finding.Error, "CDA-LANG", n, specHdr, "languageCode %q does not match ll-CC (fr-FR)", n.attr("code"))
	}
	if n := v.one(root, "setId", specHdr, "CDA-SETID"); n != nil {
		v.ii(n, "CDA-SETID", specHdr, true)
	}
	if n := v.one(root, "versionNumber", specHdr, "CDA-VERSION"); n != nil {
		if k, err := strconv.Atoi(n.attr("value")); err != nil || k < 1 {
			v.add(finding.Error, "CDA-VERSION", n, specHdr, "versionNumber %q is not a positive integer", n.attr("value"))
		}
	}
	if n := root.elem("copyTime"); n != nil {
		v.add(finding.Warning, "CDA-COPYTIME", n, specHdr, "copyTime is obsolete and must not be used")
	}

	v.patient(root)
	v.authors(root)
	v.custodian(root)
	v.recipients(root)
	v.legalAuth(root)
	v.authenticators(root)
	v.documentationOf(root)
	v.related(root)
	v.authorizations(root)
	v.encounter(root)
	v.component(root, p)
}

// one checks that the element occurs exactly once and returns it.
func (v *validator) one(parent *node, name, spec, rule string) *node {
	ns := parent.elems(name)
	switch len(ns) {
	case 0:
		v.missing(finding.Error, rule, parent, name, spec, name+" is required")
		return nil
	case 1:
		return ns[0]
	}
	v.add(finding.Error, rule, ns[1], spec, "%s occurs %d times, at most once allowed", name, len(ns))
	return ns[0]
}

// headerPos is the position of each element in headerOrder.
var headerPos = func() map[string]int {
	pos := make(map[string]int, len(headerOrder))
	for i, n := range headerOrder {
		pos[n] = i
	}
	return pos
}()

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

func (v *validator) nullFlavors(root *node) {
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
			if nf, ok := c.lookupAttr("nullFlavor"); ok {
				if c.parent() == root && noNullFlavor[c.Tag] {
					v.add(finding.Error, "CDA-NULLFLAVOR", c, specHdr, "nullFlavor is not allowed on %s", c.Tag)
				} else if !allowedNullFlavors[nf] {
					v.add(finding.Warning, "CDA-NULLFLAVOR", c, specHdr, "nullFlavor %q is not one of UNK, NASK, ASKU, NAV, MSK", nf)
				}
			}
			walk(c)
		}
	}
	walk(root)
}

func (v *validator) templates(root *node, p *parser) {
	ts := root.elems("templateId")
	count := map[string]int{}
	for _, t := range ts {
		count[t.attr("root")]++
	}
	for _, oid := range []string{OIDTemplateHL7France, OIDTemplateCISIS} {
		if count[oid] != 1 {
			v.fs.Add(finding.Error, "CDA-TEMPLATE", "/ClinicalDocument/templateId", specHdr,
				"templateId %s must occur exactly once (found %d)", oid, count[oid])
		}
	}
	if len(ts)-count[OIDTemplateHL7France]-count[OIDTemplateCISIS] < 1 {
		v.fs.Add(finding.Error, "CDA-TEMPLATE", "/ClinicalDocument/templateId", specHdr,
			"at least one templateId besides %s and %s is required (the document model)", OIDTemplateHL7France, OIDTemplateCISIS)
	}
	if p.bodyKind == "nonXMLBody" {
		if count[OIDTemplateXDSSD] != 1 {
			v.fs.Add(finding.Error, "CDA-TEMPLATE-N1", "/ClinicalDocument/templateId", specL1,
				"a level 1 document needs templateId %s (IHE XDS-SD)", OIDTemplateXDSSD)
		}
		if len(ts) != 3 {
			v.fs.Add(finding.Error, "CDA-TEMPLATE-N1", "/ClinicalDocument/templateId", specL1,
				"a level 1 document has exactly three templateIds (found %d)", len(ts))
		}
	}
}

// ii checks an instance identifier: root an OID, UUID or token, extension
// non-empty and at most 64 characters.
func (v *validator) ii(n *node, rule, spec string, required bool) {
	if n.attr("nullFlavor") != "" {
		if required {
			v.add(finding.Error, rule, n, spec, "identifier must not be null")
		}
		return
	}
	root, ok := n.lookupAttr("root")
	switch {
	case !ok || root == "":
		v.add(finding.Error, rule, n, spec, "identifier has no root")
	case !reOID.MatchString(root) && !reUUID.MatchString(root) && !reToken.MatchString(root):
		v.add(finding.Error, rule, n, spec, "root %q is not an OID, a UUID or a name token", root)
	}
	if ext, ok := n.lookupAttr("extension"); ok && (ext == "" || len(ext) > 64) {
		v.add(finding.Error, rule, n, spec, "extension must be non-empty and at most 64 characters (%d)", len(ext))
	}
}

// ts checks a TS @value.
func (v *validator) ts(n *node, rule string, required bool) {
	val, ok := n.lookupAttr("value")
	if !ok {
		if required && n.attr("nullFlavor") == "" {
			v.add(finding.Error, rule, n, specHdr, "time has no value")
		}
		return
	}
	if !reTS.MatchString(val) {
		v.add(finding.Error, rule, n, specHdr, "time %q does not match YYYY[MMDD[hhmm[ss]]][±hhmm]", val)
		return
	}
	if _, err := parseTS(val); err != nil {
		v.add(finding.Error, "CDA-DATE", n, specHdr, "time %q is not a valid date", val)
	}
}

// inSet checks a coded value against a value set by (codeSystem, code).
func (v *validator) inSet(n *node, vs *ValueSet, level finding.Level, rule string) {
	code, sys := n.attr("code"), n.attr("codeSystem")
	if n.attr("nullFlavor") != "" && code == "" {
		return
	}
	if code == "" || sys == "" {
		v.add(level, rule, n, specVS, "coded value needs @code and @codeSystem")
		return
	}
	if _, ok := vs.Lookup(sys, code); !ok {
		v.add(level, rule, n, specVS, "%s (%s) is not in %s", code, sys, vs.Name)
	}
}

func (v *validator) docCode(root *node) {
	n := v.one(root, "code", specHdr, "CDA-CODE")
	if n == nil {
		return
	}
	code, sys := n.attr("code"), n.attr("codeSystem")
	if code == "" || sys == "" {
		v.add(finding.Error, "CDA-CODE", n, specHdr, "code needs @code and @codeSystem")
		return
	}
	if n.attr("displayName") == "" {
		v.add(finding.Warning, "CDA-CODE", n, specHdr, "code has no displayName")
	}
	if _, ok := vsJ07.Lookup(sys, code); ok {
		return
	}
	if vsJ07.HasCode(code) { // the kit compares the code only
		v.add(finding.Warning, "CDA-CODE-VS", n, specVS, "%s is in %s but not with code system %s", code, vsJ07.Name, sys)
		return
	}
	v.add(finding.Error, "CDA-CODE-VS", n, specVS, "document type %s (%s) is not in %s", code, sys, vsJ07.Name)
}

func (v *validator) patient(root *node) {
	rt := v.one(root, "recordTarget", specHdr, "CDA-PAT")
	if rt == nil {
		return
	}
	pr := v.one(rt, "patientRole", specHdr, "CDA-PAT")
	if pr == nil {
		return
	}
	insID := v.patientIDs(pr)
	pt := v.one(pr, "patient", specHdr, "CDA-PAT")
	if pt == nil {
		return
	}
	name := v.one(pt, "name", specHdr, "CDA-PAT-NAME")
	pn := v.patientName(name)
	gender := v.one(pt, "administrativeGenderCode", specHdr, "CDA-PAT-GENDER")
	if gender != nil {
		v.inSet(gender, &vsJ143, finding.Error, "CDA-PAT-GENDER")
	}
	bt := v.one(pt, "birthTime", specHdr, "CDA-PAT-BIRTHTIME")
	if bt != nil {
		v.ts(bt, "CDA-PAT-BIRTHTIME", true)
	}
	county := pt.path("birthplace", "place", "addr", "county")
	if insID != nil {
		v.insTraits(pt, name, &pn, bt != nil, gender != nil, county.txt() != "")
	}
	if c := county.txt(); c != "" && len(c) != 5 {
		v.add(finding.Warning, "CDA-INS-COG", county, specINS, "birthplace county %q is not a 5-character INSEE COG code", c)
	}
}

// patientIDs checks patientRole/id and returns the id carrying the INS
// (nil when there is none); its key is checked with package ins.
func (v *validator) patientIDs(pr *node) (insID *node) {
	ids := pr.elems("id")
	if len(ids) == 0 {
		v.missing(finding.Error, "CDA-PAT-ID", pr, "id", specHdr, "patientRole needs at least one id")
	}
	for _, id := range ids {
		if id.attr("root") == "" || id.attr("extension") == "" {
			v.add(finding.Error, "CDA-PAT-ID", id, specHdr, "patient id needs @root and @extension")
			continue
		}
		root := id.attr("root")
		switch {
		case ins.OID(root).Valid():
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
	return insID
}

// patientNames is what patientName found of the birth names (ins.md §7.1).
type patientNames struct {
	familyBR, givenBR, givenList bool   // present and not empty
	firstGiven, listGiven        string // given BR, first unqualified given
}

// patientName checks the qualifiers of the patient's name.
func (v *validator) patientName(name *node) patientNames {
	var pn patientNames
	if name == nil {
		return pn
	}
	fams, givens := name.elems("family"), name.elems("given")
	if len(fams) == 0 || len(givens) == 0 {
		v.add(finding.Error, "CDA-PAT-NAME", name, specHdr, "patient name needs at least one family and one given")
	}
	for _, f := range fams {
		switch q := f.attr("qualifier"); q {
		case "BR":
			pn.familyBR = f.txt() != ""
		case "CL", "SP", "":
		default:
			v.add(finding.Warning, "CDA-PAT-NAME", f, specINS, "family qualifier %q is not BR, CL or SP", q)
		}
	}
	for _, g := range givens {
		switch q := g.attr("qualifier"); q {
		case "BR":
			pn.givenBR = g.txt() != ""
			pn.firstGiven = g.txt()
		case "":
			if !pn.givenList {
				pn.listGiven = g.txt()
			}
			pn.givenList = pn.givenList || g.txt() != ""
		case "CL":
		default:
			v.add(finding.Warning, "CDA-PAT-NAME", g, specINS, "given qualifier %q is not BR or CL", q)
		}
	}
	return pn
}

// insTraits checks that a patient with an INS has the six INS traits
// (cda.md §6) and that the first birth given name heads the list.
func (v *validator) insTraits(pt, name *node, pn *patientNames, birthTime, gender, county bool) {
	var miss []string
	for _, t := range []struct {
		ok   bool
		what string
	}{
		{pn.familyBR, "nom de naissance (family qualifier BR)"},
		{pn.givenBR, "premier prénom de naissance (given qualifier BR)"},
		{pn.givenList, "prénoms de naissance (given without qualifier)"},
		{birthTime, "date de naissance"},
		{gender, "sexe"},
		{county, "lieu de naissance (birthplace/place/addr/county)"},
	} {
		if !t.ok {
			miss = append(miss, t.what)
		}
	}
	if len(miss) > 0 {
		v.add(finding.Error, "CDA-INS-TRAITS", pt, specINS, "with an INS, the INS traits are required; missing: %s", strings.Join(miss, ", "))
	}
	if pn.firstGiven != "" && pn.listGiven != "" {
		t := ins.Traits{BirthGivenNames: pn.listGiven}
		if t.FirstGiven() != pn.firstGiven {
			v.add(finding.Warning, "CDA-INS-FIRSTGIVEN", name, "ins.md §6.1", "the first birth given name %q is not the first of the list %q", pn.firstGiven, pn.listGiven)
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

// personID checks the id of a professional: root idNat_PS, known prefix.
func (v *validator) personID(n *node, rule string, level finding.Level) {
	if n == nil || n.attr("nullFlavor") != "" {
		return
	}
	v.ii(n, rule, specIDNat, false)
	root, ext := n.attr("root"), n.attr("extension")
	if root != idnat.OIDPerson {
		v.add(level, "CDA-IDNAT-ROOT", n, specIDNat, "professional id root %q is not idNat_PS %s", root, idnat.OIDPerson)
		return
	}
	v.prefix(n, ext, idnat.PersonPrefixes, "idNat_PS")
	if strings.HasPrefix(ext, "8") {
		v.nationalKey(n, idnat.RPPS, ext, "idNat_PS %q: 8 must be followed by the 11-digit RPPS")
	}
}

// orgID checks the id of an organisation: root idNat_Struct.
func (v *validator) orgID(n *node, rule string, level finding.Level, alsoRoots ...string) {
	if n == nil || n.attr("nullFlavor") != "" {
		return
	}
	v.ii(n, rule, specIDNat, false)
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
	v.add(level, "CDA-IDNAT-ROOT", n, specIDNat, "organisation id root %q is not idNat_Struct %s", root, idnat.OIDStructure)
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

// org checks a represented organisation: at most one id and one
// standardIndustryClassCode (JDV_J04).
func (v *validator) org(o *node, rule string) {
	if o == nil {
		return
	}
	ids := o.elems("id")
	if len(ids) > 1 {
		v.add(finding.Error, rule, ids[1], specHdr, "representedOrganization has more than one id")
	}
	if len(ids) > 0 {
		v.orgID(ids[0], rule, finding.Warning)
	}
	sics := o.elems("standardIndustryClassCode")
	if len(sics) > 1 {
		v.add(finding.Error, rule, sics[1], specHdr, "more than one standardIndustryClassCode")
	}
	if len(sics) > 0 {
		v.inSet(sics[0], &vsJ04, finding.Warning, "CDA-PRACTICE-VS")
	}
}

func (v *validator) authors(root *node) {
	as := root.elems("author")
	if len(as) == 0 {
		v.missing(finding.Error, "CDA-AUTHOR", root, "author", specHdr, "at least one author is required")
	}
	for _, a := range as {
		if t := v.one(a, "time", specHdr, "CDA-AUTHOR"); t != nil {
			v.ts(t, "CDA-AUTHOR", true)
		}
		aa := v.one(a, "assignedAuthor", specHdr, "CDA-AUTHOR")
		if aa == nil {
			continue
		}
		ids := aa.elems("id")
		if len(ids) == 0 {
			v.missing(finding.Error, "CDA-AUTHOR", aa, "id", specHdr, "assignedAuthor needs an id")
		}
		person := aa.elem("assignedPerson")
		device := aa.elem("assignedAuthoringDevice")
		for _, id := range ids {
			if person != nil {
				v.personID(id, "CDA-AUTHOR", finding.Warning)
			} else {
				v.ii(id, "CDA-AUTHOR", specIDNat, false)
			}
		}
		if c := aa.elem("code"); c == nil {
			v.missing(finding.Warning, "CDA-AUTHOR-CODE", aa, "code", specHdr, "assignedAuthor has no code (JDV_J01 specialty)")
		} else {
			v.inSet(c, &vsJ01, finding.Warning, "CDA-AUTHOR-CODE")
		}
		switch {
		case person != nil:
			if person.path("name", "family").txt() == "" {
				v.add(finding.Error, "CDA-AUTHOR-PERSON", person, specHdr, "assignedPerson/name/family is required")
			}
		case device != nil:
			if device.elem("manufacturerModelName").txt() == "" || device.elem("softwareName").txt() == "" {
				v.add(finding.Error, "CDA-AUTHOR-PERSON", device, specHdr, "assignedAuthoringDevice needs manufacturerModelName and softwareName")
			}
		default:
			v.missing(finding.Error, "CDA-AUTHOR-PERSON", aa, "assignedPerson", specHdr, "assignedAuthor needs assignedPerson or assignedAuthoringDevice")
		}
		v.org(aa.elem("representedOrganization"), "CDA-AUTHOR-ORG")
	}
}

func (v *validator) custodian(root *node) {
	c := v.one(root, "custodian", specHdr, "CDA-CUSTODIAN")
	o := c.path("assignedCustodian", "representedCustodianOrganization")
	if c == nil {
		return
	}
	if o == nil {
		v.missing(finding.Error, "CDA-CUSTODIAN", c, "assignedCustodian/representedCustodianOrganization", specHdr, "custodian organization is required")
		return
	}
	ids := o.elems("id")
	if len(ids) == 0 {
		v.missing(finding.Error, "CDA-CUSTODIAN", o, "id", specHdr, "custodian organization needs an id")
	}
	for _, id := range ids {
		v.orgID(id, "CDA-CUSTODIAN", finding.Error, OIDPatientHost)
	}
}

func (v *validator) recipients(root *node) {
	for _, r := range root.elems("informationRecipient") {
		ir := v.one(r, "intendedRecipient", specHdr, "CDA-RECIPIENT")
		if ir == nil {
			continue
		}
		for _, id := range ir.elems("id") {
			v.personID(id, "CDA-RECIPIENT", finding.Warning)
		}
		if o := ir.elem("receivedOrganization"); o != nil {
			for _, id := range o.elems("id") {
				v.orgID(id, "CDA-RECIPIENT", finding.Warning)
			}
		}
	}
}

func (v *validator) legalAuth(root *node) {
	la := v.one(root, "legalAuthenticator", specHdr, "CDA-LEGALAUTH")
	if la == nil {
		return
	}
	if t := v.one(la, "time", specHdr, "CDA-LEGALAUTH"); t != nil {
		v.ts(t, "CDA-LEGALAUTH", true)
	}
	if sc := v.one(la, "signatureCode", specHdr, "CDA-LEGALAUTH"); sc != nil && sc.attr("code") != "S" {
		v.add(finding.Error, "CDA-LEGALAUTH", sc, specHdr, "signatureCode is %q, want S", sc.attr("code"))
	}
	ae := v.one(la, "assignedEntity", specHdr, "CDA-LEGALAUTH")
	if ae == nil {
		return
	}
	if id := v.one(ae, "id", specHdr, "CDA-LEGALAUTH"); id != nil {
		v.personID(id, "CDA-LEGALAUTH", finding.Warning)
	}
	if ae.path("assignedPerson", "name", "family").txt() == "" {
		v.missing(finding.Error, "CDA-LEGALAUTH", ae, "assignedPerson/name/family", specHdr, "legal authenticator needs assignedPerson/name/family")
	}
}

// authenticators checks authenticator: signatureCode S and exactly one
// idNat_PS id (cda.md §2).
func (v *validator) authenticators(root *node) {
	for _, a := range root.elems("authenticator") {
		if t := v.one(a, "time", specHdr, "CDA-AUTHENTICATOR"); t != nil {
			v.ts(t, "CDA-AUTHENTICATOR", true)
		}
		if sc := v.one(a, "signatureCode", specHdr, "CDA-AUTHENTICATOR"); sc != nil && sc.attr("code") != "S" {
			v.add(finding.Error, "CDA-AUTHENTICATOR", sc, specHdr, "signatureCode is %q, want S", sc.attr("code"))
		}
		ae := v.one(a, "assignedEntity", specHdr, "CDA-AUTHENTICATOR")
		if ae == nil {
			continue
		}
		if id := v.one(ae, "id", specHdr, "CDA-AUTHENTICATOR"); id != nil {
			v.personID(id, "CDA-AUTHENTICATOR", finding.Error)
		}
	}
}

// authorizations checks authorization/consent: a code and statusCode
// completed (cda.md §2).
func (v *validator) authorizations(root *node) {
	for _, a := range root.elems("authorization") {
		c := v.one(a, "consent", specHdr, "CDA-AUTHORIZATION")
		if c == nil {
			continue
		}
		if c.elem("code") == nil {
			v.missing(finding.Error, "CDA-AUTHORIZATION", c, "code", specHdr, "consent needs a code")
		}
		if sc := v.one(c, "statusCode", specHdr, "CDA-AUTHORIZATION"); sc != nil && sc.attr("code") != "completed" {
			v.add(finding.Error, "CDA-AUTHORIZATION", sc, specHdr, "consent statusCode is %q, want completed", sc.attr("code"))
		}
	}
}

func (v *validator) documentationOf(root *node) {
	ds := root.elems("documentationOf")
	if len(ds) == 0 {
		v.missing(finding.Error, "CDA-DOCOF", root, "documentationOf", specHdr, "at least one documentationOf is required")
		return
	}
	for i, d := range ds {
		se := v.one(d, "serviceEvent", specHdr, "CDA-DOCOF")
		if se == nil || i > 0 {
			continue
		}
		if et := v.one(se, "effectiveTime", specHdr, "CDA-DOCOF"); et != nil {
			if low := et.elem("low"); low == nil {
				v.missing(finding.Error, "CDA-DOCOF", et, "low", specHdr, "the first serviceEvent needs effectiveTime/low")
			} else {
				v.ts(low, "CDA-DOCOF", true)
			}
			if high := et.elem("high"); high != nil {
				v.ts(high, "CDA-DOCOF", false)
			}
		}
		pf := v.one(se, "performer", specHdr, "CDA-PERFORMER")
		if pf == nil {
			continue
		}
		if tc := pf.attr("typeCode"); tc != "PRF" {
			v.add(finding.Error, "CDA-PERFORMER", pf, specHdr, "performer typeCode is %q, want PRF", tc)
		}
		ae := v.one(pf, "assignedEntity", specHdr, "CDA-PERFORMER")
		if ae == nil {
			continue
		}
		ids := ae.elems("id")
		if len(ids) == 0 {
			v.missing(finding.Error, "CDA-PERFORMER", ae, "id", specHdr, "performer assignedEntity needs an id")
		}
		for _, id := range ids {
			v.personID(id, "CDA-PERFORMER", finding.Warning)
		}
		o := ae.elem("representedOrganization")
		if o == nil {
			v.missing(finding.Error, "CDA-PRACTICE", ae, "representedOrganization/standardIndustryClassCode", specHdr, "the performer needs representedOrganization/standardIndustryClassCode (practiceSettingCode)")
			continue
		}
		if sic := v.one(o, "standardIndustryClassCode", specHdr, "CDA-PRACTICE"); sic != nil {
			v.inSet(sic, &vsJ04, finding.Error, "CDA-PRACTICE-VS")
		}
		for _, id := range o.elems("id") {
			v.orgID(id, "CDA-PERFORMER", finding.Warning)
		}
	}
}

func (v *validator) related(root *node) {
	rds := root.elems("relatedDocument")
	if len(rds) == 0 {
		return
	}
	if len(rds) > 1 {
		v.add(finding.Error, "CDA-RPLC", rds[1], specRPLC, "at most one relatedDocument is allowed")
	}
	rd := rds[0]
	if tc := rd.attr("typeCode"); tc != "RPLC" {
		v.add(finding.Error, "CDA-RPLC", rd, specRPLC, "relatedDocument typeCode is %q, want RPLC", tc)
	}
	pd := v.one(rd, "parentDocument", specRPLC, "CDA-RPLC")
	if pd == nil {
		return
	}
	if id := v.one(pd, "id", specRPLC, "CDA-RPLC"); id != nil {
		v.ii(id, "CDA-RPLC", specRPLC, true)
		if own := root.elem("id"); own != nil && own.attr("root") == id.attr("root") && own.attr("extension") == id.attr("extension") {
			v.add(finding.Error, "CDA-RPLC", id, specRPLC, "the parent document id is the id of this document")
		}
	}
	if vs := pd.elems("versionNumber"); len(vs) > 1 {
		v.add(finding.Error, "CDA-RPLC", vs[1], specRPLC, "parentDocument has more than one versionNumber")
	}
	if vn := root.elem("versionNumber"); vn != nil && vn.attr("value") == "1" {
		v.add(finding.Warning, "CDA-RPLC", vn, specRPLC, "a replacement document should have versionNumber > 1")
	}
}

func (v *validator) encounter(root *node) {
	co := v.one(root, "componentOf", specHdr, "CDA-ENCOUNTER")
	if co == nil {
		return
	}
	ee := v.one(co, "encompassingEncounter", specHdr, "CDA-ENCOUNTER")
	if ee == nil {
		return
	}
	if c := ee.elem("code"); c != nil {
		v.inSet(c, &vsJ142, finding.Warning, "CDA-ENCOUNTER-VS")
	}
	if et := v.one(ee, "effectiveTime", specHdr, "CDA-ENCOUNTER"); et != nil {
		if _, ok := et.lookupAttr("value"); ok {
			v.ts(et, "CDA-ENCOUNTER", false)
		}
		for _, name := range []string{"low", "high"} {
			if n := et.elem(name); n != nil {
				v.ts(n, "CDA-ENCOUNTER", false)
			}
		}
	}
	for _, id := range ee.path("responsibleParty", "assignedEntity").elems("id") {
		v.personID(id, "CDA-ENCOUNTER", finding.Warning)
	}
	for _, ep := range ee.elems("encounterParticipant") {
		for _, id := range ep.path("assignedEntity").elems("id") {
			v.personID(id, "CDA-ENCOUNTER", finding.Warning)
		}
	}
	loc := v.one(ee, "location", specHdr, "CDA-FACILITY")
	if loc == nil {
		return
	}
	hf := v.one(loc, "healthCareFacility", specHdr, "CDA-FACILITY")
	if hf == nil {
		return
	}
	if c := v.one(hf, "code", specHdr, "CDA-FACILITY"); c != nil {
		v.inSet(c, &vsJ02, finding.Error, "CDA-FACILITY-VS")
	}
}

// bodyMediaTypes are the level 1 media types: those Build writes (ok), and
// those of ASS_A12 the IG no longer allows (warning).
var bodyMediaTypes = map[string]finding.Level{
	MediaTypePDF: finding.Info, MediaTypeText: finding.Info,
	"text/rtf": finding.Warning, "image/jpeg": finding.Warning, "image/tiff": finding.Warning,
}

func (v *validator) component(root *node, p *parser) {
	if p.bodyKind == "" {
		v.missing(finding.Error, "CDA-COMPONENT", root, "component", specHdr, "component with nonXMLBody or structuredBody is required")
		return
	}
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
