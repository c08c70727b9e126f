package cda

import (
	"fmt"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// The asserts the CI-SIS wrote by hand in the StrucMin rules (their shapes
// are named in internal/cdakit.CISISKinds), each checked as its XPath test
// reads, including its quirks: an unanchored regular expression for the
// language code, a guardian's family name checked against the patient's
// qualifiers.

// Roots of the INS in recordTarget/patientRole/id (cda.md §6).
var insRoots = []string{"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"}

var reLangCode = lazyRegexp(`[a-z]{2}-[A-Z]{2}`)

// telecomSchemes are the URL schemes a telecom may use (CI-SISTelecom).
var telecomSchemes = []string{"tel", "fax", "mailto", "http", "ftp", "mllp"}

// nullFlavorValues are the nullFlavors of the CI-SIS (cda.md §2).
var nullFlavorValues = []string{"UNK", "NASK", "ASKU", "NAV", "MSK"}

// hl7Path returns the elements reached from n by child steps in the CDA
// namespace.
func hl7Path(n *node, names ...string) []*node { return childPath(n, false, names) }

// anyName is hl7Path with every step in any namespace (the kit's *:name).
func anyName(n *node, names ...string) []*node { return childPath(n, true, names) }

func childPath(n *node, anyNS bool, names []string) []*node {
	cur := []*node{n}
	for _, name := range names {
		var next []*node
		for _, c := range cur {
			for _, ch := range c.children() {
				if ch.Tag == name && (anyNS || ch.Space == NS) {
					next = append(next, ch)
				}
			}
		}
		cur = next
	}
	return cur
}

// patientNames are //hl7:recordTarget/hl7:patientRole/hl7:patient/hl7:name
// (the header's only recordTargets).
func (k *kit) patientNames() []*node {
	return hl7Path(k.root, "recordTarget", "patientRole", "patient", "name")
}

func (k *kit) cisis(a *kassert, n *node) (string, bool) {
	has := func(n *node, attr string) bool { _, ok := n.lookupAttr(attr); return ok }
	switch a.what {
	case "first-documentationOf-performer", "first-documentationOf-effectiveTime":
		child := strings.TrimPrefix(a.what, "first-documentationOf-")
		var c int
		if docs := hl7Path(k.root, "documentationOf"); len(docs) > 0 {
			c = len(hl7Path(docs[0], "serviceEvent", child))
		}
		if c != 1 {
			return fmt.Sprintf("the first documentationOf/serviceEvent has %d %s, exactly one required", c, child), false
		}
	case "any-performer":
		if len(anyName(k.root, "documentationOf", "serviceEvent", "performer")) == 0 {
			return "no documentationOf/serviceEvent has a performer", false
		}
	case "any-performer-time":
		found := false
		for _, se := range anyName(k.root, "documentationOf", "serviceEvent") {
			if len(anyName(se, "performer")) > 0 && len(anyName(se, "effectiveTime")) > 0 {
				found = true
			}
		}
		if !found {
			return "no documentationOf/serviceEvent with a performer has an effectiveTime", false
		}
	case "level1-templateIds":
		if len(hl7Path(n, "component", "structuredBody")) > 0 {
			return "", true
		}
		ts := hl7Path(n, "templateId")
		roots := make([]string, len(ts))
		for i, t := range ts {
			roots[i] = t.attr("root")
		}
		if len(hl7Path(n, "component", "nonXMLBody")) == 0 {
			return "component has neither structuredBody nor nonXMLBody", false
		}
		if len(ts) != 3 || !hasRoot(ts, OIDTemplateHL7France) || !hasRoot(ts, OIDTemplateCISIS) || !hasRoot(ts, OIDTemplateXDSSD) {
			return fmt.Sprintf("a level 1 document has exactly the three templateIds %s, %s and %s (found %s)",
				OIDTemplateHL7France, OIDTemplateCISIS, OIDTemplateXDSSD, strings.Join(roots, ", ")), false
		}
	case "level1-xds-sd-templateId":
		if len(hl7Path(n, "component", "nonXMLBody")) > 0 && !hasRoot(hl7Path(n, "templateId"), OIDTemplateXDSSD) {
			return fmt.Sprintf("a level 1 document needs templateId %s (IHE XDS-SD)", OIDTemplateXDSSD), false
		}
	case "ins-traits":
		ids := hl7Path(k.root, "recordTarget", "patientRole", "id")
		noINS := true
		ext := false
		for _, id := range ids {
			if slices.Contains(insRoots, id.attr("root")) {
				noINS = false
			}
			ext = ext || has(id, "extension")
		}
		if noINS && ext {
			return "", true
		}
		var miss []string
		names := k.patientNames()
		pts := hl7Path(k.root, "recordTarget", "patientRole", "patient")
		anyOf := func(ns []*node, ok func(*node) bool) bool { return slices.ContainsFunc(ns, ok) }
		childrenOf := func(ns []*node, names ...string) []*node {
			var out []*node
			for _, x := range ns {
				out = append(out, hl7Path(x, names...)...)
			}
			return out
		}
		if !anyOf(childrenOf(names, "family"), func(f *node) bool { return f.attr("qualifier") == "BR" }) {
			miss = append(miss, "family BR (nom de naissance)")
		}
		if !anyOf(childrenOf(names, "given"), func(g *node) bool { return g.attr("qualifier") == "BR" }) {
			miss = append(miss, "given BR (premier prénom)")
		}
		if !anyOf(childrenOf(names, "given"), func(g *node) bool { return !has(g, "qualifier") }) {
			miss = append(miss, "given without qualifier (prénoms)")
		}
		if len(childrenOf(pts, "birthTime")) == 0 {
			miss = append(miss, "birthTime")
		}
		if len(childrenOf(pts, "birthplace", "place", "addr", "county")) == 0 {
			miss = append(miss, "birthplace/place/addr/county (lieu de naissance)")
		}
		if !anyOf(childrenOf(pts, "administrativeGenderCode"), func(g *node) bool { return has(g, "code") }) {
			miss = append(miss, "administrativeGenderCode/@code")
		}
		if len(miss) > 0 {
			if noINS {
				return "the patient has no id with an extension and no INS trait set: missing " + strings.Join(miss, ", "), false
			}
			return "with an INS, the INS traits are required; missing: " + strings.Join(miss, ", "), false
		}
	case "language-code":
		if v, ok := n.lookupAttr("code"); ok && !strings.Contains(v, "fr-FR") && !reLangCode().MatchString(v) {
			return fmt.Sprintf("languageCode %q does not contain ll-CC (fr-FR)", v), false
		}
	case "telecom-url":
		var attrs []etree.Attr
		for _, at := range n.Attr {
			if !isXMLNS(at) {
				attrs = append(attrs, at)
			}
		}
		if len(attrs) == 1 && attrs[0].Space == "" && attrs[0].Key == "nullFlavor" && slices.Contains(nullFlavorValues, attrs[0].Value) {
			return "", true
		}
		v := n.attr("value")
		scheme, rest, _ := strings.Cut(v, ":")
		if !strings.Contains(v, ":") {
			scheme = ""
		}
		if rest == "" || !slices.Contains(telecomSchemes, scheme) {
			return fmt.Sprintf("telecom %q is not a URL with a scheme %s (or a null telecom)", v, strings.Join(telecomSchemes, ", ")), false
		}
	case "telecom-value-xor-null":
		if has(n, "nullFlavor") == has(n, "value") {
			return "a telecom has either @value or @nullFlavor", false
		}
	case "patient-given-qualifier":
		for _, nm := range k.patientNames() {
			for _, g := range hl7Path(nm, "given") {
				if q, ok := g.lookupAttr("qualifier"); ok && q != "BR" && q != "CL" {
					return fmt.Sprintf("patient given name qualifier %q (BR or CL only)", q), false
				}
			}
		}
	case "patient-family-qualifier":
		for _, nm := range k.patientNames() {
			for _, f := range hl7Path(nm, "family") {
				if q, ok := f.lookupAttr("qualifier"); ok && q != "BR" && q != "CL" {
					return fmt.Sprintf("patient family name qualifier %q (BR or CL only)", q), false
				}
			}
		}
	case "patient-family-qualifier-any":
		for _, nm := range k.patientNames() {
			for _, f := range hl7Path(nm, "family") {
				if q := f.attr("qualifier"); q == "BR" || q == "SP" || q == "CL" {
					return "", true
				}
			}
		}
		return "no patient family name has the qualifier BR, SP or CL", false
	case "root-and-extension":
		if !(has(n, "root") && has(n, "extension") || has(n, "nullFlavor")) {
			return "the identifier needs @root and @extension, or a nullFlavor", false
		}
	case "code-and-codeSystem":
		code, sys, null := has(n, "code"), has(n, "codeSystem"), has(n, "nullFlavor")
		if !(code && sys && !null || !code && !sys && null) {
			return "the code needs @code and @codeSystem, or a nullFlavor alone", false
		}
	case "value-set-code-and-system":
		if !has(n, "nullFlavor") && !k.tab.concepts[a.val][n.attr("code")+"\x00"+n.attr("codeSystem")] {
			return fmt.Sprintf("%s (%s) is not a code of %s", n.attr("code"), n.attr("codeSystem"), valueSetNames([]string{a.val})), false
		}
	default:
		return fmt.Sprintf("internal error: CI-SIS assert %q has no check", a.what), false
	}
	return "", true
}

func hasRoot(ns []*node, root string) bool {
	return slices.ContainsFunc(ns, func(n *node) bool { return n.attr("root") == root })
}
