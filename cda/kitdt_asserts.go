package cda

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// notBoth is not(@a and @b).
func notBoth(n *node, a, b string) bool { return !(has(n, a) && has(n, b)) }

// nullWith is not(@nullFlavor and @attr).
func nullWith(attr string) func(*kit, *node) bool {
	return func(_ *kit, n *node) bool { return notBoth(n, "nullFlavor", attr) }
}

// absentOr is not(@attr) or @attr = want.
func absentOr(attr, want string) func(*kit, *node) bool {
	return func(_ *kit, n *node) bool {
		v, ok := n.lookupAttr(attr)
		return !ok || v == want
	}
}

// noChild is not(hl7:name).
func noChild(name string) func(*kit, *node) bool {
	return func(_ *kit, n *node) bool { return len(hl7Kids(n, name)) == 0 }
}

// noAttr is not(@attr).
func noAttr(attr string) func(*kit, *node) bool {
	return func(_ *kit, n *node) bool { return !has(n, attr) }
}

// requires is @b or not(@a): a needs b.
func requires(a, b string) func(*kit, *node) bool {
	return func(_ *kit, n *node) bool { return has(n, b) || !has(n, a) }
}

// noNullSibling is RIM-001: not(@nullFlavor and $set_other[not(@nullFlavor)]).
func noNullSibling(_ *kit, n *node) bool {
	return !has(n, "nullFlavor") || !slices.ContainsFunc(siblings(n), func(s *node) bool { return !has(s, "nullFlavor") })
}

// distinctUseText is RIM-002 on names and addresses: no sibling with the
// same string-join((.//@use|.//text()),”).
func distinctUseText(_ *kit, n *node) bool {
	v := useAndText(n)
	return !slices.ContainsFunc(siblings(n), func(s *node) bool { return useAndText(s) == v })
}

// nameText is string-length(normalize-space(string-join(text(),”))) > 0.
func nameText(n *node) bool { return normalizeSpace(directText(n)) != "" }

// translations are .//hl7:translation.
func translations(n *node) []*node {
	var out []*node
	for _, d := range descendantsOrSelf(n)[1:] {
		if d.is("translation") {
			out = append(out, d)
		}
	}
	return out
}

// noTranslationWith is not(.//hl7:translation[@a][not(@b)]).
func noTranslationWith(a, b string) func(*kit, *node) bool {
	return func(_ *kit, n *node) bool {
		return !slices.ContainsFunc(translations(n), func(t *node) bool { return has(t, a) && !has(t, b) })
	}
}

// validTimes is count(*[self::X or ...][@validTimeLow or @validTimeHigh or @updateMode])=0.
func validTimes(names ...string) func(*kit, *node) bool {
	return func(_ *kit, n *node) bool {
		for _, c := range n.children() {
			if c.Space == NS && slices.Contains(names, c.Tag) && (has(c, "validTimeLow") || has(c, "validTimeHigh") || has(c, "updateMode")) {
				return false
			}
		}
		return true
	}
}

// useablePeriod values: hl7:useablePeriod/hl7:low|high/@value.
func periodValues(n *node, bound string) []string { return values(n, "value", "useablePeriod", bound) }

// ltNumber14 compares two TS as number(substring(concat(v,'00000000000000'),1,14)).
func number14(v string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimFunc(substr(v+"00000000000000", 1, 14), xmlSpace), 64)
	return f, err == nil
}

// dtChecks returns the Go test of each DTr1 assert, built on first use (by
// kitTab) rather than at init.
var dtChecks = sync.OnceValue(func() map[string]dtCheck {
	return map[string]dtCheck{
		// DTr1 ANY: a null element carries nothing else.
		"ANY/1": {allAnyNull, "a null element (nullFlavor) has no other attribute, element or text"},

		// BIN.
		"BIN/1": {func(_ *kit, n *node) bool { return has(n, "nullFlavor") || len(n.children()) > 0 || hasText(n) },
			"there must be a nullFlavor, or content must be non-empty"},

		// ED.
		"ED/1": {requires("integrityCheck", "integrityCheckAlgorithm"), "integrityCheckAlgorithm required if integrityCheck"},
		"ED/2": {func(_ *kit, n *node) bool {
			th := hl7Kids(n, "thumbnail")
			return len(th) == 0 || slices.ContainsFunc(th, func(t *node) bool { return !(has(t, "nullFlavor") && len(hl7Kids(t, "reference")) > 0) })
		}, "thumbnails not null and reference"},
		"ED/3": {func(_ *kit, n *node) bool {
			th := hl7Kids(n, "thumbnail")
			return len(th) == 0 || slices.ContainsFunc(th, func(t *node) bool { return len(hl7Kids(t, "thumbnail")) == 0 })
		}, "thumbnails do not have thumbnails"},
		"ED/4": {func(_ *kit, n *node) bool {
			if !has(n, "compression") {
				return true
			}
			return len(values(n, "value", "reference")) > 0 || n.attr("representation") == "B64" && directText(n) != ""
		}, "compression only on binary"},
		"ED/5": {func(_ *kit, n *node) bool {
			return !has(n, "value") || !has(n, "mediaType") || n.attr("mediaType") == "text/plain"
		},
			"value implies mediaType is text/plain"},
		"ED/6": {validTimes("reference", "thumbnail"), "no history or updateMode"},
		"ED/7": {func(_ *kit, n *node) bool {
			xml := slices.ContainsFunc(n.children(), func(c *node) bool { return c.Space == "" && c.Tag == "xml" })
			return !(has(n, "value") || xml) || !has(n, "charset")
		}, "no charset for value or xml"},
		"ED/8": {func(_ *kit, n *node) bool {
			return len(hl7Kids(n, "translation")) == 0 || slices.ContainsFunc(hl7Kids(n, "thumbnail"), func(t *node) bool { return len(hl7Kids(t, "translation")) == 0 })
		}, "no nested translations"},
		"ED/9": {func(_ *kit, n *node) bool {
			return notBoth(n, "nullFlavor", "mediaType") || n.attr("mediaType") == "text/plain"
		}, "no mediaType if null"},
		"ED/10": {nullWith("charset"), "no charset if null"},
		"ED/11": {nullWith("language"), "no language if null"},
		"ED/12": {nullWith("compression"), "no compression if null"},
		"ED/13": {nullWith("integrityCheck"), "no integrityCheck if null"},
		"ED/14": {func(_ *kit, n *node) bool {
			return notBoth(n, "nullFlavor", "integrityCheckAlgorithm") || n.attr("integrityCheckAlgorithm") == "SHA-1"
		}, "no integrityCheckAlgorithm if null"},
		"ED/15": {func(_ *kit, n *node) bool {
			th := hl7Kids(n, "thumbnail")
			return !has(n, "nullFlavor") || len(th) == 0 || slices.ContainsFunc(th, func(t *node) bool { return has(t, "nullFlavor") })
		}, "no thumbnail if null"},
		"ED/16": {func(_ *kit, n *node) bool { return !(has(n, "nullFlavor") && len(hl7Kids(n, "translation")) > 0) }, "no translation if null"},
		"ED/17": {func(_ *kit, n *node) bool {
			v, ok := n.lookupAttr("language")
			return !ok || reKitRFC3066().MatchString(v)
		},
			"@language SHALL conform to RFC 3066"},

		// ST.
		"ST/1": {noChild("reference"), "ST has no reference"},
		"ST/2": {noChild("thumbnail"), "ST has no thumbnail"},
		"ST/3": {absentOr("representation", "TXT"), "@representation SHALL be 'TXT' if present"},
		"ST/4": {absentOr("mediaType", "text/plain"), "@mediaType SHALL be 'text/plain' if present"},
		"ST/5": {noAttr("compression"), "@compression SHALL NOT be used on ST"},
		"ST/6": {noAttr("integrityCheck"), "@integrityCheck SHALL NOT be used on ST"},
		"ST/7": {absentOr("integrityCheckAlgorithm", "SHA-1"), "@integrityCheckAlgorithm SHALL NOT be used on ST"},

		// CD, CE, CS, CR.
		"CD/1": {func(_ *kit, n *node) bool {
			ot := hl7Kids(n, "originalText")
			return has(n, "nullFlavor") || has(n, "code") || len(ot) > 0 && !slices.ContainsFunc(ot, func(o *node) bool { return has(o, "nullFlavor") })
		}, "null or code and/or originalText"},
		"CD/2": {requires("code", "codeSystem"), "code requires codeSystem"},
		"CD/3": {requires("codeSystemName", "codeSystem"), "codeSystemName only if codeSystem"},
		"CD/4": {requires("codeSystemVersion", "codeSystem"), "codeSystemVersion only if codeSystem"},
		"CD/5": {requires("displayName", "code"), "displayName only if code"},
		"CD/6": {nullWith("code"), "cannot have code and null"},
		"CD/7": {nullWith("displayName"), "cannot have displayName and null"},
		"CD/8": {func(_ *kit, n *node) bool {
			return !slices.ContainsFunc(translations(n), func(t *node) bool { return has(t, "nullFlavor") })
		}, "no null on translations"},
		"CD/9":  {noTranslationWith("codeSystem", "code"), "translation code requires codeSystem"},
		"CD/10": {noTranslationWith("codeSystemName", "codeSystem"), "translation codeSystemName only if codeSystem"},
		"CD/11": {noTranslationWith("codeSystemVersion", "codeSystem"), "translation codeSystemVersion only if codeSystem"},
		"CD/12": {noTranslationWith("displayName", "code"), "translation displayName only if code"},
		"CD/13": {func(_ *kit, n *node) bool { return strings.ContainsAny(n.attr("displayName"), "\r\n\t") },
			"formatting characters in @displayName"},
		"CD/14": {distinctPair("code", "codeSystem"), "[RIM-002] coded values (@code, @codeSystem) SHALL be distinct"},
		"CD/15": {func(_ *kit, n *node) bool {
			seen := map[string]bool{}
			for _, t := range translations(n) {
				v := t.attr("code") + t.attr("codeSystem")
				if seen[v] {
					return false
				}
				seen[v] = true
			}
			return true
		}, "[RIM-002] translations SHALL be distinct"},
		"CD/16": {func(_ *kit, n *node) bool {
			for _, d := range descendantsOrSelf(n)[1:] {
				if l, ok := d.lookupAttr("language"); ok && d.is("originalText") && !reKitRFC3066().MatchString(l) {
					return false
				}
			}
			return true
		}, "originalText/@language SHALL conform to RFC 3066"},
		"CE/1": {noChild("qualifier"), "CE cannot have a qualifier"},
		"CR/1": {func(_ *kit, n *node) bool {
			null, kids := has(n, "nullFlavor"), len(n.children()) > 0
			return (null || kids) && !(null && kids)
		}, "null or value"},
		"CS/1": {func(_ *kit, n *node) bool {
			null, code := has(n, "nullFlavor"), has(n, "code") || has(n, "typeCode")
			return null && !code || !null && code
		}, "@code/@typeCode and @nullFlavor are mutually exclusive"},
		"CS/2": {absentOr("codeSystem", "2.16.840.1.113883.5.139"), "CS cannot have codeSystem"},
		"CS/3": {absentOr("codeSystemName", "TimingEvent"), "CS cannot have codeSystemName"},
		"CS/4": {noAttr("codeSystemVersion"), "CS cannot have codeSystemVersion"},
		"CS/5": {noAttr("displayName"), "CS cannot have displayName"},
		"CS/6": {noChild("originalText"), "CS cannot have originalText"},
		"CS/7": {noChild("qualifier"), "CS cannot have qualifier"},
		"CS/8": {noChild("translation"), "CS cannot have translation"},

		// EN, ON, PN.
		"EN/1": {func(_ *kit, n *node) bool { return !(has(n, "nullFlavor") && (len(n.children()) > 0 || nameText(n))) },
			"a null name has no parts and no text"},
		"EN/2": {func(_ *kit, n *node) bool { return !(len(n.children()) > 0 && nameText(n)) }, "a name has parts or text, not both (no mixed content)"},
		"EN/3": {func(_ *kit, n *node) bool { return has(n, "nullFlavor") || len(n.children()) > 0 || nameText(n) }, "a name that is not null is not empty"},
		"EN/4": {func(_ *kit, n *node) bool {
			return slices.ContainsFunc(n.children(), func(c *node) bool {
				return c.Tag != "validTime" && !has(c, "nullFlavor") && normalizeSpace(textOf(c)) == ""
			})
		}, "empty name parts should not be present"},
		"EN/5": {func(_ *kit, n *node) bool { return strings.HasPrefix(normalizeSpace(textOf(n)), `"`) }, "quotes at the beginning of a name are probably not correct"},
		"EN/6": {noNullSibling, "[RIM-001] a name SHALL NOT have a nullFlavor beside names that are not null"},
		"EN/7": {distinctUseText, "[RIM-002] names SHALL be distinct"},
		"EN/8": {func(_ *kit, n *node) bool {
			parts := n.elemsNS(NS)
			return len(parts) == 0 || slices.ContainsFunc(parts, func(p *node) bool { return distinctTokens(p.attr("qualifier")) })
		}, "name parts SHALL have distinct values in @qualifier"},
		"ON/1": {func(_ *kit, n *node) bool { return len(hl7Kids(n, "family")) == 0 && len(hl7Kids(n, "given")) == 0 },
			"an organization name has no person name parts (family, given)"},
		"ON/2": {func(_ *kit, n *node) bool { return len(n.children()) == 0 }, "an organization name is text only"},
		"PN/1": {func(_ *kit, n *node) bool {
			return !slices.ContainsFunc(n.children(), func(c *node) bool { return slices.Contains(splitSpace(c.attr("qualifier")), "LS") })
		}, "person names SHALL NOT contain a name part qualified with 'LS'"},

		// AD.
		"AD/1": {func(_ *kit, n *node) bool {
			kids, text := len(n.children()) > 0, hasText(n)
			return has(n, "nullFlavor") || kids && !text || !kids && text
		}, "an address is null, text only or parts only (no mixed content), not empty"},
		"AD/2": {func(_ *kit, n *node) bool {
			return !has(n, "nullFlavor") || len(hl7Kids(n, "thumbnail")) == 0 || len(values(n, "nullFlavor", "useablePeriod")) > 0
		}, "no useablePeriod if null"},
		"AD/3": {validTimesUpdate("useablePeriod"), "updateMode shall not be used on address elements"},
		"AD/4": {func(_ *kit, n *node) bool {
			lo, hi := periodValues(n, "low"), periodValues(n, "high")
			if len(lo) == 0 || len(hi) == 0 {
				return true
			}
			return len(lo) == 1 && len(hi) == 1 && len([]rune(lo[0])) == len([]rune(hi[0]))
		}, "useablePeriod/low/@value must have the same precision as useablePeriod/high/@value"},
		"AD/5": {func(_ *kit, n *node) bool {
			lo, hi := periodValues(n, "low"), periodValues(n, "high")
			if len(lo) == 0 || len(hi) == 0 {
				return true
			}
			if len(lo) > 1 || len(hi) > 1 {
				return false
			}
			l, ok1 := number14(lo[0])
			h, ok2 := number14(hi[0])
			return ok1 && ok2 && l < h
		}, "useablePeriod/low/@value must be before useablePeriod/high/@value"},
		"AD/6": {func(_ *kit, n *node) bool {
			return matchesOne(values(n, "unit", "useablePeriod", "width"), reKitUnit())
		},
			"useablePeriod/width/@unit: us, ms, s, min, h, d, wk, mo or a"},
		"AD/7": {func(_ *kit, n *node) bool {
			return slices.ContainsFunc(n.children(), func(c *node) bool {
				return !has(c, "nullFlavor") && !c.is("useablePeriod") && normalizeSpace(textOf(c)) == ""
			})
		}, "empty address parts should not be present"},
		"AD/8": {noNullSibling, "[RIM-001] an address SHALL NOT have a nullFlavor beside addresses that are not null"},
		"AD/9": {distinctUseText, "[RIM-002] addresses SHALL be distinct"},

		// II.
		"II/1": {func(_ *kit, n *node) bool { return has(n, "nullFlavor") || has(n, "root") }, "@root is required if @nullFlavor is not present"},
		"II/2": {func(_ *kit, n *node) bool { return !has(n, "nullFlavor") || !has(n, "root") }, "@root may not be used if @nullFlavor is present"},
		"II/3": {nullWith("identifierName"), "@identifierName may not be used if @nullFlavor is present"},
		"II/4": {nullWith("displayable"), "@displayable may not be used if @nullFlavor is present"},
		"II/5": {nullWith("reliability"), "@reliability may not be used if @nullFlavor is present"},
		"II/6": {nullWith("assigningAuthorityName"), "@assigningAuthorityName may not be used if @nullFlavor is present"},
		"II/7": {func(_ *kit, n *node) bool { return len([]rune(n.attr("root"))) > 128 }, "@root should not be longer than 128 characters"},
		"II/8": {func(_ *kit, n *node) bool { return len([]rune(n.attr("extension"))) > 64 }, "@extension should not be longer than 64 characters"},
		"II/9": {func(_ *kit, n *node) bool {
			v, ok := n.lookupAttr("root")
			return !ok || reKitOID().MatchString(v) || reKitUUID().MatchString(v)
		}, "@root SHALL be a syntactically correct OID or UUID"},
		"II/10": {func(_ *kit, n *node) bool {
			v := n.attr("root")
			return !(reKitRUID().MatchString(v) && !reKitUUID().MatchString(v))
		}, "@root SHALL NOT be a RUID"},
		"II/11": {func(_ *kit, n *node) bool {
			root, okr := n.lookupAttr("root")
			if !okr {
				return true
			}
			ext, oke := n.lookupAttr("extension")
			return !slices.ContainsFunc(siblings(n), func(s *node) bool {
				r, ok := s.lookupAttr("root")
				if !ok || r != root {
					return false
				}
				if !oke {
					return true
				}
				e, ok := s.lookupAttr("extension")
				return ok && e == ext
			})
		}, "[RIM-002] identifiers SHALL be distinct"},
		"II/12": {func(_ *kit, n *node) bool {
			v := n.attr("root")
			return !(reKitUUID().MatchString(v) && strings.ContainsAny(v, "abcdefghijklmnopqrstuvwxyz"))
		}, "lower case UUID in @root"},

		// INT, INT.POS, QTY.
		"INT/1": {func(_ *kit, n *node) bool {
			return (has(n, "nullFlavor") || has(n, "value") || len(n.children()) > 0) && !(has(n, "nullFlavor") && has(n, "value"))
		}, "null or value or child element in case of extension"},
		"INT/2": {noChild("uncertainty"), "no uncertainty"},
		"INT.POS/1": {func(_ *kit, n *node) bool {
			if has(n, "nullFlavor") {
				return true
			}
			v, ok := n.lookupAttr("value")
			if !ok {
				return false
			}
			f, err := strconv.ParseFloat(strings.TrimFunc(v, xmlSpace), 64)
			return err == nil && f > 0
		}, "null or value > 0"},
		"QTY/1": {func(_ *kit, n *node) bool {
			for _, u := range hl7Kids(n, "uncertainty") {
				if has(u, "expression") || has(u, "uncertainty") || has(u, "originalText") {
					return false
				}
			}
			return true
		}, "no uncertainty expression, uncertainty or originalText"},
		"QTY/2": {validTimes("originalText", "uncertainty", "expression"), "no history or updateMode"},
		"QTY/3": {noNullSibling, "[RIM-001] a quantity SHALL NOT have a nullFlavor beside quantities that are not null"},
		"QTY/4": {distinctPair("value", "unit"), "[RIM-002] quantities SHALL be distinct"},

		// SC.
		"SC/1": {requires("code", "codeSystem"), "code requires codeSystem"},
		"SC/2": {requires("codeSystemName", "codeSystem"), "codeSystemName only if codeSystem"},
		"SC/3": {requires("codeSystemVersion", "codeSystem"), "codeSystemVersion only if codeSystem"},
		"SC/4": {requires("displayName", "code"), "displayName only if code"},
		"SC/5": {nullWith("code"), "no code if null"},
		"SC/6": {nullWith("displayName"), "no displayName if null"},

		// TS, IVXB_TS, SXCM_TS, IVL_TS.
		"TS/1": {func(_ *kit, n *node) bool {
			return (has(n, "nullFlavor") || has(n, "value") || len(n.children()) > 0) && !(has(n, "nullFlavor") && has(n, "value"))
		}, "null or value or child element"},
		"TS/2": {func(_ *kit, n *node) bool { v, ok := n.lookupAttr("value"); return !ok || tsValid(v) },
			"@value is not a valid timestamp (YYYY[MM[DD[hh[mm[ss[.s]]]]]][+|-ZZzz])"},
		"IVXB_TS/1": {func(_ *kit, n *node) bool {
			return notBoth(n, "nullFlavor", "inclusive") || n.attr("inclusive") == "true"
		},
			"not inclusive if null"},
		"SXCM_TS/1": {func(_ *kit, n *node) bool { return notBoth(n, "nullFlavor", "operator") || n.attr("operator") == "I" },
			"no operator if null"},
		"IVL_TS/1": {func(_ *kit, n *node) bool {
			for _, d := range descendantsOrSelf(n) {
				if has(d, "nullFlavor") && (has(d, "value") || has(d, "unit") || len(hl7Kids(d, "low")) > 0 || len(hl7Kids(d, "center")) > 0 ||
					len(hl7Kids(d, "high")) > 0 || len(hl7Kids(d, "width")) > 0) {
					return false
				}
			}
			return true
		}, "a null interval or bound has no value and no child"},
		"IVL_TS/2": {func(_ *kit, n *node) bool { return !(has(n, "value") && len(n.elemsNS(NS)) > 0) }, "cannot have @value and other child elements"},
		"IVL_TS/3": {func(_ *kit, n *node) bool {
			return !(has(n, "value") && len(hl7Kids(n, "low"))+len(hl7Kids(n, "center"))+len(hl7Kids(n, "high"))+len(hl7Kids(n, "width")) > 0)
		}, "cannot have @value and low, center, high or width"},
		"IVL_TS/4": {func(_ *kit, n *node) bool {
			return !(len(hl7Kids(n, "center")) > 0 && len(hl7Kids(n, "low"))+len(hl7Kids(n, "high"))+len(hl7Kids(n, "width")) > 0)
		}, "cannot have center and other elements"},
		"IVL_TS/5": {func(_ *kit, n *node) bool {
			return !(len(hl7Kids(n, "width")) > 0 && len(hl7Kids(n, "low")) > 0 && len(hl7Kids(n, "high")) > 0)
		}, "cannot have width with both low and high"},
		"IVL_TS/6": {func(_ *kit, n *node) bool {
			return !slices.ContainsFunc(n.elemsNS(NS), func(c *node) bool { return has(c, "updateMode") })
		}, "no updateMode on IVL attributes"},
		"IVL_TS/7": {func(_ *kit, n *node) bool {
			lo, hi := values(n, "value", "low"), values(n, "value", "high")
			for _, l := range lo {
				if slices.Contains(hi, l) {
					return false
				}
			}
			return true
		}, "low/@value must not be equal to high/@value"},
		"IVL_TS/8": {func(_ *kit, n *node) bool {
			return !slices.ContainsFunc(hl7Kids(n, "width"), func(w *node) bool { return has(w, "unit") && !has(w, "value") })
		}, "width element: no unit without value"},
		"IVL_TS/9": {func(_ *kit, n *node) bool { return len(hl7Path(n, "width", "translation")) == 0 }, "width element: no translation"},
		"IVL_TS/10": {func(_ *kit, n *node) bool {
			return !slices.ContainsFunc(hl7Kids(n, "low"), func(l *node) bool { return l.attr("nullFlavor") == "PINF" })
		}, "low must be lower than or equal to high: low is PINF"},
		"IVL_TS/11": {func(_ *kit, n *node) bool {
			return !slices.ContainsFunc(hl7Kids(n, "high"), func(h *node) bool { return h.attr("nullFlavor") == "NINF" })
		}, "low must be lower than or equal to high: high is NINF"},
		"IVL_TS/12": {func(_ *kit, n *node) bool { return matchesOne(values(n, "unit", "width"), reKitUnit()) },
			"width/@unit: us, ms, s, min, h, d, wk, mo or a"},
		"IVL_TS/13": {func(_ *kit, n *node) bool { return ivlValid(n, "low") }, "low/@value is not a valid timestamp"},
		"IVL_TS/14": {func(_ *kit, n *node) bool { return ivlValid(n, "center") }, "center/@value is not a valid timestamp"},
		"IVL_TS/15": {func(_ *kit, n *node) bool { return ivlValid(n, "high") }, "high/@value is not a valid timestamp"},
		"IVL_TS/16": {func(_ *kit, n *node) bool {
			lo, lp, ok1 := ivlBound(n, "low")
			hi, hp, ok2 := ivlBound(n, "high")
			if !ok1 || !ok2 {
				return false
			}
			if !lp || !hp {
				return true
			}
			_, ldt := tsParts(lo, true)
			_, hdt := tsParts(hi, true)
			l, okl := kitDateTime(ldt)
			h, okh := kitDateTime(hdt)
			return !okl || !okh || !l.After(h)
		}, "low/@value must be before high/@value"},

		// TEL, URL.
		"TEL/1": {func(_ *kit, n *node) bool { return !(has(n, "nullFlavor") && len(hl7Kids(n, "useablePeriod")) > 0) }, "no useablePeriod if null"},
		"URL/1": {func(_ *kit, n *node) bool { return has(n, "nullFlavor") || has(n, "value") }, "null or @value"},
		"URL/2": {func(_ *kit, n *node) bool {
			v, ok := n.lookupAttr("value")
			return has(n, "nullFlavor") || ok && isURI(v)
		},
			"@value must be a URI (no space, no character iri-to-uri escapes)"},
		"URL/3": {noNullSibling, "[RIM-001] a telecom SHALL NOT have a nullFlavor beside telecoms that are not null"},
		"URL/4": {distinctPair("use", "value"), "[RIM-002] telecoms (@use, @value) SHALL be distinct"},
	}
})

// allAnyNull is ANY/1: anyNull holds for n and every element under it.
func allAnyNull(_ *kit, n *node) bool {
	if !anyNull(n) {
		return false
	}
	for _, t := range n.Child {
		if e, ok := t.(*etree.Element); ok && !allAnyNull(nil, (*node)(e)) {
			return false
		}
	}
	return true
}

// distinctPair is RIM-002 on two attributes, not($set_other[@a=$a][@b=$b]):
// no sibling of the same name has the same values of both (an attribute n
// lacks compares with nothing).
func distinctPair(a, b string) func(*kit, *node) bool {
	return func(_ *kit, n *node) bool {
		va, oka := n.lookupAttr(a)
		vb, okb := n.lookupAttr(b)
		if !oka || !okb {
			return true
		}
		return !slices.ContainsFunc(siblings(n), func(s *node) bool {
			sa, ok1 := s.lookupAttr(a)
			sb, ok2 := s.lookupAttr(b)
			return ok1 && ok2 && sa == va && sb == vb
		})
	}
}

// validTimesUpdate is count(*[self::hl7:X][@updateMode])=0.
func validTimesUpdate(name string) func(*kit, *node) bool {
	return func(_ *kit, n *node) bool {
		return !slices.ContainsFunc(hl7Kids(n, name), func(c *node) bool { return has(c, "updateMode") })
	}
}

// isURI reports whether iri-to-uri would leave v as it is: no character
// outside printable ASCII, no space and none of < > " { } | \ ^ `.
func isURI(v string) bool {
	for _, r := range v {
		if r <= 0x20 || r >= 0x7f || strings.ContainsRune("<>\"{}|\\^`", r) {
			return false
		}
	}
	return true
}
