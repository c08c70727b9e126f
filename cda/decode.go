package cda

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/check"
)

// decodeHeader maps the header tree to the model, tolerantly: missing or
// malformed parts are left zero (Validate reports them).
func decodeHeader(root, bodyText *node) *Header {
	h := &Header{}
	for _, t := range root.elems("templateId") {
		h.TemplateIDs = append(h.TemplateIDs, decodeII(t))
	}
	h.ID = decodeII(root.elem("id"))
	h.Code = decodeCode(root.elem("code"))
	h.Title = root.elem("title").txt()
	h.EffectiveTime, _ = parseTS(root.elem("effectiveTime").attr("value"))
	h.ConfidentialityCode = decodeCode(root.elem("confidentialityCode"))
	h.LanguageCode = root.elem("languageCode").attr("code")
	h.SetID = decodeII(root.elem("setId"))
	h.VersionNumber, _ = strconv.Atoi(strings.TrimSpace(root.elem("versionNumber").attr("value")))

	h.Patient = decodePatient(root.path("recordTarget", "patientRole"))

	for _, a := range root.elems("author") {
		h.Authors = append(h.Authors, decodeAuthor(a))
	}
	for _, in := range root.elems("informant") {
		var i Informant
		if ae := in.elem("assignedEntity"); ae != nil {
			p := decodePerson(ae, "assignedPerson", "representedOrganization")
			i.Person = &p
		}
		if re := in.elem("relatedEntity"); re != nil {
			i.Relative = &Relative{ClassCode: re.attr("classCode"), Relation: decodeCode(re.elem("code")), Name: decodeName(re.path("relatedPerson", "name")),
				Addr: decodeAddr(re.elem("addr")), Telecoms: decodeTelecoms(re)}
		}
		h.Informants = append(h.Informants, i)
	}
	h.Custodian = decodeOrg(root.path("custodian", "assignedCustodian", "representedCustodianOrganization"))
	if la := root.elem("legalAuthenticator"); la != nil {
		t, _ := parseTS(la.elem("time").attr("value"))
		h.LegalAuthenticator = &LegalAuthenticator{Time: t, Person: decodePerson(la.elem("assignedEntity"), "assignedPerson", "representedOrganization")}
	}
	for _, ir := range root.elems("informationRecipient") {
		r := Recipient{TypeCode: ir.attr("typeCode")}
		if ie := ir.elem("intendedRecipient"); ie != nil {
			if ie.elem("id") != nil || ie.elem("informationRecipient") != nil || len(ie.elems("telecom")) > 0 {
				p := decodePerson(ie, "informationRecipient", "")
				r.Person = &p
			}
			if o := ie.elem("receivedOrganization"); o != nil {
				org := decodeOrg(o)
				r.Organization = &org
			}
		}
		h.InformationRecipients = append(h.InformationRecipients, r)
	}
	for _, pa := range root.elems("participant") {
		p := Participant{TypeCode: pa.attr("typeCode"), FunctionCode: decodeCode(pa.elem("functionCode"))}
		p.Start, p.Stop = decodeIVL(pa.elem("time"))
		if ae := pa.elem("associatedEntity"); ae != nil {
			p.ClassCode = ae.attr("classCode")
			p.Person = decodePerson(ae, "associatedPerson", "scopingOrganization")
		}
		h.Participants = append(h.Participants, p)
	}
	for i, d := range root.elems("documentationOf") {
		se := decodeServiceEvent(d.elem("serviceEvent"))
		if i == 0 {
			h.ServiceEvent = se
		} else {
			h.OtherServiceEvents = append(h.OtherServiceEvents, se)
		}
	}
	if rd := root.elem("relatedDocument"); rd != nil {
		pd := rd.elem("parentDocument")
		v, _ := strconv.Atoi(pd.elem("versionNumber").attr("value"))
		h.RelatedDocument = &RelatedDocument{TypeCode: rd.attr("typeCode"), ParentID: decodeII(pd.elem("id")), ParentSetID: decodeII(pd.elem("setId")), ParentVersion: v}
	}
	if ee := root.path("componentOf", "encompassingEncounter"); ee != nil {
		e := &h.Encounter
		e.ID = decodeII(ee.elem("id"))
		e.Code = decodeCode(ee.elem("code"))
		e.Start, e.Stop = decodeIVL(ee.elem("effectiveTime"))
		hf := ee.path("location", "healthCareFacility")
		e.FacilityID = decodeII(hf.elem("id"))
		e.FacilityType = decodeCode(hf.elem("code"))
		for _, ep := range ee.elems("encounterParticipant") {
			p := EncounterParticipant{TypeCode: ep.attr("typeCode"), Person: decodePerson(ep.elem("assignedEntity"), "assignedPerson", "representedOrganization")}
			p.Start, p.Stop = decodeIVL(ep.elem("time"))
			e.Participants = append(e.Participants, p)
		}
	}
	h.BodyMediaType = bodyMediaType(bodyText)
	return h
}

func decodeII(n *node) II {
	if n == nil {
		return II{}
	}
	return II{Root: n.attr("root"), Extension: n.attr("extension"), NullFlavor: n.attr("nullFlavor")}
}

func decodeCode(n *node) Code {
	if n == nil {
		return Code{}
	}
	return Code{Code: n.attr("code"), CodeSystem: n.attr("codeSystem"), DisplayName: n.attr("displayName")}
}

func decodeIVL(n *node) (low, high time.Time) {
	if n == nil {
		return
	}
	if v, ok := n.lookupAttr("value"); ok {
		low, _ = parseTS(v)
		return
	}
	low, _ = parseTS(n.elem("low").attr("value"))
	high, _ = parseTS(n.elem("high").attr("value"))
	return
}

func decodeAddr(n *node) *Address {
	if n == nil || n.attr("nullFlavor") != "" {
		return nil
	}
	return &Address{
		Use:               n.attr("use"),
		HouseNumber:       n.elem("houseNumber").txt(),
		StreetName:        n.elem("streetName").txt(),
		StreetAddressLine: n.elem("streetAddressLine").txt(),
		AdditionalLocator: n.elem("additionalLocator").txt(),
		PostalCode:        n.elem("postalCode").txt(),
		City:              n.elem("city").txt(),
		Country:           n.elem("country").txt(),
	}
}

func decodeTelecoms(n *node) []Telecom {
	var out []Telecom
	for _, t := range n.elems("telecom") {
		if v := t.attr("value"); v != "" {
			out = append(out, Telecom{Value: v, Use: t.attr("use")})
		}
	}
	return out
}

func decodeName(n *node) PersonName {
	return PersonName{Civility: Civility(n.elem("prefix").txt()), Given: n.elem("given").txt(), Family: n.elem("family").txt(), Title: Title(n.elem("suffix").txt())}
}

func decodeOrg(n *node) Organization {
	if n == nil {
		return Organization{}
	}
	return Organization{
		ID:           decodeII(n.elem("id")),
		Name:         n.elem("name").txt(),
		Telecoms:     decodeTelecoms(n),
		Addr:         decodeAddr(n.elem("addr")),
		IndustryCode: decodeCode(n.elem("standardIndustryClassCode")),
	}
}

// decodePerson reads an assigned entity (assignedEntity, intendedRecipient):
// id, code, addr, telecoms, the person element personElem and the
// organization element orgElem.
func decodePerson(n *node, personElem, orgElem string) Person {
	if n == nil {
		return Person{}
	}
	p := Person{
		ID:       decodeII(n.elem("id")),
		Code:     decodeCode(n.elem("code")),
		Addr:     decodeAddr(n.elem("addr")),
		Telecoms: decodeTelecoms(n),
		Name:     decodeName(n.path(personElem, "name")),
	}
	if orgElem != "" {
		if o := n.elem(orgElem); o != nil {
			org := decodeOrg(o)
			p.Organization = &org
		}
	}
	return p
}

func decodeAuthor(n *node) Author {
	a := Author{FunctionCode: decodeCode(n.elem("functionCode"))}
	a.Time, _ = parseTS(n.elem("time").attr("value"))
	aa := n.elem("assignedAuthor")
	if aa == nil {
		return a
	}
	a.ID = decodeII(aa.elem("id"))
	a.Code = decodeCode(aa.elem("code"))
	a.Addr = decodeAddr(aa.elem("addr"))
	a.Telecoms = decodeTelecoms(aa)
	if ap := aa.elem("assignedPerson"); ap != nil {
		name := decodeName(ap.elem("name"))
		a.Person = &name
	}
	if ad := aa.elem("assignedAuthoringDevice"); ad != nil {
		a.Device = &Device{ManufacturerModelName: ad.elem("manufacturerModelName").txt(), SoftwareName: ad.elem("softwareName").txt()}
	}
	if o := aa.elem("representedOrganization"); o != nil {
		org := decodeOrg(o)
		a.Organization = &org
	}
	return a
}

func decodeServiceEvent(n *node) ServiceEvent {
	if n == nil {
		return ServiceEvent{}
	}
	se := ServiceEvent{ID: decodeII(n.elem("id")), Code: decodeCode(n.elem("code"))}
	se.Start, se.Stop = decodeIVL(n.elem("effectiveTime"))
	if pf := n.elem("performer"); pf != nil {
		ae := pf.elem("assignedEntity")
		p := &Performer{Person: decodePerson(ae, "assignedPerson", "representedOrganization")}
		p.PracticeSetting = decodeCode(ae.path("representedOrganization", "standardIndustryClassCode"))
		se.Performer = p
	}
	return se
}

// decodePatient reads patientRole: the INS (by root, wherever it is), the
// other ids, the INS traits (ins.md §7.1) and the used names.
func decodePatient(pr *node) Patient {
	var p Patient
	if pr == nil {
		return p
	}
	id := &p.Identity
	for _, n := range pr.elems("id") {
		ii := decodeII(n)
		// An INS root without a matricule (nullFlavor, empty extension)
		// carries no INS: it stays an id, which Validate reports.
		if ins.OID(ii.Root).Valid() && ii.Extension != "" && id.INS.IsZero() {
			// Keep the matricule as written: Validate checks it.
			id.INS = ins.INS{Matricule: ins.Matricule(ii.Extension), OID: ins.OID(ii.Root)}
			id.Status = ins.StatusQualified
			continue
		}
		p.IDs = append(p.IDs, ii)
	}
	p.Addr = decodeAddr(pr.elem("addr"))
	p.Telecoms = decodeTelecoms(pr)
	pt := pr.elem("patient")
	t := &id.Traits
	if name := pt.elem("name"); name != nil {
		var plainFamily, spFamily string
		for _, f := range name.elems("family") {
			switch f.attr("qualifier") {
			case "BR":
				t.BirthName = f.txt()
			case "CL":
				t.UsedName = f.txt()
			case "SP":
				spFamily = f.txt()
			case "":
				if plainFamily == "" {
					plainFamily = f.txt()
				}
			}
		}
		for _, g := range name.elems("given") {
			switch g.attr("qualifier") {
			case "BR":
				t.FirstGivenName = g.txt()
			case "CL":
				t.UsedGivenName = g.txt()
			case "":
				if t.BirthGivenNames == "" {
					t.BirthGivenNames = g.txt()
				}
			}
		}
		if t.BirthName == "" {
			t.BirthName = plainFamily
		}
		if t.UsedName == "" {
			t.UsedName = spFamily
		}
	}
	if s, err := ins.ParseSex(pt.elem("administrativeGenderCode").attr("code")); err == nil {
		t.Sex = s
	}
	t.BirthDate, _ = parseTS(pt.elem("birthTime").attr("value"))
	addr := pt.path("birthplace", "place", "addr")
	t.BirthPlace = addr.elem("county").txt()
	p.BirthPlaceCity = addr.elem("city").txt()
	for _, g := range pt.elems("guardian") {
		gd := Guardian{Addr: decodeAddr(g.elem("addr")), Telecoms: decodeTelecoms(g)}
		if gp := g.elem("guardianPerson"); gp != nil {
			name := decodeName(gp.elem("name"))
			gd.Person = &name
		}
		if o := g.elem("guardianOrganization"); o != nil {
			org := Organization{ID: decodeII(o.elem("id")), Name: o.elem("name").txt()}
			gd.Organization = &org
		}
		p.Guardians = append(p.Guardians, gd)
	}
	return p
}

var errTS = errors.New("cda: malformed TS value")

// parseTS reads an HL7 TS: YYYY[MM[DD[hh[mm[ss[.f+]]]]]][±hhmm]. A value
// without an offset is read in UTC (the CI-SIS examples carry offsets on
// every time with an hour; a bare date has no time zone). An offset of three
// digits (±hmm, "+100" in official examples) is read as its author meant it,
// ±0h:mm; Validate warns about it (CDA-TS-OFFSET).
func parseTS(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errTS
	}
	loc := time.UTC
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		off := s[i:]
		s = s[:i]
		if len(off) == 4 && check.Digits(off[1:]) {
			off = off[:1] + "0" + off[1:]
		}
		if len(off) != 5 || !check.Digits(off[1:]) {
			return time.Time{}, fmt.Errorf("%w: offset %q", errTS, off)
		}
		hh, _ := strconv.Atoi(off[1:3])
		mm, _ := strconv.Atoi(off[3:5])
		if hh > 14 || mm > 59 {
			return time.Time{}, fmt.Errorf("%w: offset %q", errTS, off)
		}
		secs := hh*3600 + mm*60
		if off[0] == '-' {
			secs = -secs
		}
		loc = time.FixedZone("", secs)
	}
	frac := ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac = s[i+1:]
		s = s[:i]
		if len(s) != 14 || frac == "" || len(frac) > 9 || !check.Digits(frac) {
			return time.Time{}, errTS
		}
	}
	if !check.Digits(s) {
		return time.Time{}, errTS
	}
	var layout string
	switch len(s) {
	case 4:
		layout = "2006"
	case 6:
		layout = "200601"
	case 8:
		layout = "20060102"
	case 10:
		layout = "2006010215"
	case 12:
		layout = "200601021504"
	case 14:
		layout = "20060102150405"
	default:
		return time.Time{}, errTS
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %v", errTS, err)
	}
	if frac != "" {
		ns, _ := strconv.Atoi((frac + "000000000")[:9])
		t = t.Add(time.Duration(ns))
	}
	return t, nil
}
