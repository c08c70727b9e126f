package cda

import (
	"sort"
	"strings"
)

//go:generate go run ./internal/gen -in ../../shared/testdata/cda/valuesets -out valuesets_gen.go

// ValueSet is a CI-SIS value set (JDV), embedded from the ANS test kit
// files at build time (go generate). Concepts are sorted by (CodeSystem,
// Code). A ValueSet returned by this package must not be modified.
type ValueSet struct {
	ID       string // OID of the value set
	Name     string // e.g. JDV_J07_XdsTypeCode_CISIS
	Version  string // dateMaj (or revisionDate) of the file
	Concepts []Code
}

// Lookup finds a concept by code system and code, never by display name
// (cda.md §9). A nil ValueSet (an unknown name given to LookupValueSet)
// has no concept.
func (vs *ValueSet) Lookup(codeSystem, code string) (Code, bool) {
	if vs == nil {
		return Code{}, false
	}
	i := sort.Search(len(vs.Concepts), func(i int) bool {
		c := vs.Concepts[i]
		return c.CodeSystem > codeSystem || (c.CodeSystem == codeSystem && c.Code >= code)
	})
	if i < len(vs.Concepts) && vs.Concepts[i].CodeSystem == codeSystem && vs.Concepts[i].Code == code {
		return vs.Concepts[i], true
	}
	return Code{}, false
}

// HasCode reports whether some concept has this code, in any code system.
func (vs *ValueSet) HasCode(code string) bool {
	if vs == nil {
		return false
	}
	for _, c := range vs.Concepts {
		if c.Code == code {
			return true
		}
	}
	return false
}

// Names of the embedded value sets, for LookupValueSet.
const (
	JDVTypeCode        = "JDV_J07_XdsTypeCode_CISIS"
	JDVFacilityType    = "JDV_J02_XdsHealthcareFacilityTypeCode_CISIS"
	JDVPracticeSetting = "JDV_J04_XdsPracticeSettingCode_CISIS"
	JDVXDSConfidential = "JDV_J08_XdsConfidentialityCode_CISIS"
	JDVAuthorSpecialty = "JDV_J01_XdsAuthorSpecialty_CISIS"
	JDVEncounterType   = "JDV_J142_TypeRencontre_CISIS"
	JDVGender          = "JDV_J143_AdministrativeGender_CISIS"
	JDVHL7Confidential = "JDV_HL7_Confidentiality_CISIS"
)

// LookupValueSet returns an embedded value set by name (e.g. JDVTypeCode)
// or OID, or nil.
func LookupValueSet(nameOrOID string) *ValueSet {
	for _, vs := range valueSets {
		if vs.Name == nameOrOID || vs.ID == nameOrOID {
			return vs
		}
	}
	return nil
}

// classMapping is one row of ASS_X04.
type classMapping struct{ typeSystem, typeCode, classCode string }

// OIDClassCode is TRE_A03 ClasseDocument, the code system of the CI-SIS
// XDS classCode (JDV_J06).
const OIDClassCode = "1.2.250.1.213.1.1.4.1"

// classLabels are the TRE_A03 labels of the class codes ASS_X04 uses. The
// value set file JDV_J06 is not in the kit: labels follow cda.md §7, the
// exact wording is UNCONFIRMED.
var classLabels = map[string]string{
	"10": "Compte rendu",
	"11": "Synthèse",
	"31": "Imagerie médicale",
	"42": "Prescription",
	"43": "Dispensation",
	"44": "Plan de soins",
	"45": "Traitement administré",
	"52": "Certificat, déclaration",
	"60": "Remboursement",
	"90": "Document du patient",
	"95": "Gestion",
	"99": "Document technique",
}

// ClassCodeFor returns the XDS classCode (JDV_J06) of a document type code
// (JDV_J07) through the ASS_X04 table.
func ClassCodeFor(typeCode Code) (Code, bool) {
	i := sort.Search(len(assX04), func(i int) bool {
		m := assX04[i]
		return m.typeSystem > typeCode.CodeSystem || (m.typeSystem == typeCode.CodeSystem && m.typeCode >= typeCode.Code)
	})
	cc := ""
	if i < len(assX04) && assX04[i].typeSystem == typeCode.CodeSystem && assX04[i].typeCode == typeCode.Code {
		cc = assX04[i].classCode
	} else {
		// The table names some code systems differently from JDV_J07
		// (ASTM-E1762 vs ASTM): fall back on a code found once.
		for _, m := range assX04 {
			if m.typeCode == typeCode.Code {
				if cc != "" {
					return Code{}, false
				}
				cc = m.classCode
			}
		}
		if cc == "" {
			return Code{}, false
		}
	}
	if strings.HasPrefix(cc, "urn:oid:") { // the digital signature class
		return Code{Code: cc, CodeSystem: "1.3.6.1.4.1.19376.1.2.1.1.1", DisplayName: "Digital Signature"}, true
	}
	return Code{Code: cc, CodeSystem: OIDClassCode, DisplayName: classLabels[cc]}, true
}
