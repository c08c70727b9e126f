package cda

import (
	"strconv"
	"strings"
)

// kindNames name the shapes of the generated rows, for the catalogue.
var kindNames = map[kkind]string{
	kXsiType: "xsi:type", kCountMin: "count min", kCountMax: "count max", kClosed: "closed template", kNoChildren: "no child",
	kAttrRequired: "required attribute", kAttrST: "st", kAttrCS: "cs", kAttrUID: "uid", kAttrOID: "oid", kAttrTS: "ts", kAttrINT: "int",
	kAttrIn: "fixed values", kAttrInOpt: "fixed values", kAttrInOrNull: "fixed value or null", kValueSet: "value set", kPartsInSet: "J245/J246 name part",
}

// KitMirror says, for each assert id of the kit, how Validate checks it:
// "generated (<shape>)", "hand-written, DTr1 (kitdt.go)", "hand-written,
// CI-SIS <kind> (kitcisis.go)", or "not mirrored: <why>". The rule id of the
// findings comes first ("CI-SISAuthor: generated (count min)").
func KitMirror() map[string]string {
	m := map[string]string{}
	for _, r := range kitRules {
		for i := r.asserts[0]; i < r.asserts[1]; i++ {
			a := &kitAsserts[i]
			id := r.id + "/" + strconv.Itoa(int(a.n))
			if a.kind == kCISIS {
				m[id] = r.label + ": hand-written, CI-SIS " + a.what + " (kitcisis.go)"
			} else {
				m[id] = r.label + ": generated (" + kindNames[a.kind] + ")"
			}
		}
	}
	for t, as := range kitDatatypes {
		for _, a := range as {
			id := t + "/" + strconv.Itoa(a.n)
			if _, ok := dtChecks()[id]; ok {
				m[id] = a.label + ": hand-written, DTr1 (kitdt.go)"
			} else {
				m[id] = "not mirrored: no Go check"
			}
		}
	}
	for _, s := range kitSkipped {
		id, why, _ := strings.Cut(s, " ")
		_, why, _ = strings.Cut(why, "): ") // after "(role)"
		m[id] = "not mirrored: " + why
	}
	m[kitRootAssert.id] = "SMDS_CDAClinicalDocument: hand-written, the root element (kit.go)"
	return m
}
