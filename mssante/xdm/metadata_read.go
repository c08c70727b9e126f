package xdm

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/finding"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/internal/check"
)

// metaReader turns a parsed METADATA.XML into submission sets and document
// entries, collecting findings. It reads by namespace URI and local name,
// finds classifications and external identifiers by scheme UUID and attaches
// them by nesting (xdm.md §12, reader 3-4).
type metaReader struct {
	loc  string // zip path of METADATA.XML
	opts ReadOptions
	fs   finding.List

	ids      map[string]string // ebRIM id -> element local name
	topClass []*etree.Element  // Classifications directly under RegistryObjectList

	sets    []*SubmissionSet
	setIDs  map[string]*SubmissionSet
	docs    []*DocumentEntry
	docIDs  map[string]*DocumentEntry
	members map[*DocumentEntry]*SubmissionSet

	nsReported bool
	ns         map[*etree.Element]string // namespace URI of each element met, resolved once
}

func (m *metaReader) add(level finding.Level, rule, where, spec, format string, args ...any) {
	loc := m.loc
	if where != "" {
		loc += "#" + where
	}
	m.fs.Add(level, rule, loc, spec, format, args...)
}

// rim reports whether n is an ebRIM element. Elements with an undeclared
// prefix or no namespace are accepted (reported once as an error); elements
// of another namespace are not.
func (m *metaReader) rim(n *etree.Element, local string) bool {
	if n.Tag != local {
		return false
	}
	switch u := m.namespace(n); {
	case u == NamespaceRIM || u == NamespaceLCM:
		return true
	case u != "":
		return false // another namespace
	}
	if !m.nsReported {
		m.nsReported = true
		what := "no namespace"
		if n.Space != "" {
			what = "the undeclared prefix " + quote(n.Space)
		}
		m.add(finding.Error, "XDM-META-NS", "", "xdm.md §4, §12 reader 3",
			"element %s has %s: METADATA.XML elements must be in the ebRIM 3.0 namespace %s", n.Tag, what, NamespaceRIM)
	}
	return true
}

// namespace returns the namespace URI of n ("" for none or an undeclared
// prefix), resolved once per element.
func (m *metaReader) namespace(n *etree.Element) string {
	u, ok := m.ns[n]
	if !ok {
		if m.ns == nil {
			m.ns = map[*etree.Element]string{}
		}
		u = n.NamespaceURI()
		m.ns[n] = u
	}
	return u
}

func (m *metaReader) children(n *etree.Element, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range n.ChildElements() {
		if m.rim(c, local) {
			out = append(out, c)
		}
	}
	return out
}

func (m *metaReader) child(n *etree.Element, local string) *etree.Element {
	for _, c := range n.ChildElements() {
		if m.rim(c, local) {
			return c
		}
	}
	return nil
}

// slots returns the slots of n in document order.
func (m *metaReader) slots(n *etree.Element) []Slot {
	var out []Slot
	for _, s := range m.children(n, "Slot") {
		sl := Slot{Name: attrOr(s, "name")}
		if vl := m.child(s, "ValueList"); vl != nil {
			for _, v := range m.children(vl, "Value") {
				sl.Values = append(sl.Values, strings.TrimSpace(text(v)))
			}
		}
		out = append(out, sl)
	}
	return out
}

// localized returns the value of the first LocalizedString of n's Name or
// Description child.
func (m *metaReader) localized(n *etree.Element, elem string) string {
	e := m.child(n, elem)
	if e == nil {
		return ""
	}
	if ls := m.child(e, "LocalizedString"); ls != nil {
		return attrOr(ls, "value")
	}
	return ""
}

// ebRIM child order: Slot*, Name?, Description?, VersionInfo?,
// Classification*, ExternalIdentifier*, ContentVersionInfo?.
var childRank = map[string]int{"Slot": 0, "Name": 1, "Description": 2, "VersionInfo": 3, "Classification": 4, "ExternalIdentifier": 5, "ContentVersionInfo": 6}

func (m *metaReader) checkOrder(n *etree.Element, what string) {
	last := -1
	for i, c := range n.ChildElements() {
		r, ok := childRank[c.Tag]
		if !ok {
			continue
		}
		if r < last {
			m.add(finding.Warning, "XDM-EBRIM-ORDER", attrOr(n, "id"), "xdm.md §4, §11",
				"%s: %s (child %d) comes after an element that ebRIM 3.0 puts after it", what, c.Tag, i+1)
			return
		}
		last = r
	}
}

func (m *metaReader) read(root *etree.Element) {
	var list *etree.Element
	switch {
	case m.rim(root, "SubmitObjectsRequest"):
		list = m.child(root, "RegistryObjectList")
	case m.rim(root, "RegistryObjectList"):
		m.add(finding.Warning, "XDM-META-ROOT", "", "xdm.md §4",
			"root element is RegistryObjectList, not lcm:SubmitObjectsRequest")
		list = root
	default:
		m.add(finding.Error, "XDM-META-ROOT", "", "xdm.md §4",
			"root element {%s}%s is not lcm:SubmitObjectsRequest", m.namespace(root), root.Tag)
		return
	}
	if m.namespace(root) != NamespaceLCM && root.Tag == "SubmitObjectsRequest" && !m.nsReported {
		m.add(finding.Error, "XDM-META-NS", "", "xdm.md §4", "root element is not in the namespace %s", NamespaceLCM)
	}
	if list == nil {
		m.add(finding.Error, "XDM-META-ROOT", "", "xdm.md §4", "no RegistryObjectList")
		return
	}
	m.ids = map[string]string{}
	m.setIDs = map[string]*SubmissionSet{}
	m.docIDs = map[string]*DocumentEntry{}
	m.members = map[*DocumentEntry]*SubmissionSet{}

	// First pass: ids, so that references can be checked in any order.
	var packages, extrinsics, assocs []*etree.Element
	for _, c := range list.ChildElements() {
		switch {
		case m.rim(c, "RegistryPackage"):
			packages = append(packages, c)
		case m.rim(c, "ExtrinsicObject"):
			extrinsics = append(extrinsics, c)
		case m.rim(c, "Association"):
			assocs = append(assocs, c)
		case m.rim(c, "Classification"):
			m.topClass = append(m.topClass, c)
		}
		if id, ok := attr(c, "id"); ok {
			if prev, dup := m.ids[id]; dup {
				m.add(finding.Error, "XDM-ID-DUP", id, "ebRIM 3.0",
					"id %s is used by a %s and a %s", id, prev, c.Tag)
			}
			m.ids[id] = c.Tag
		}
	}
	m.checkNestedIDs(list)
	for _, p := range packages {
		m.registryPackage(p)
	}
	for _, e := range extrinsics {
		m.extrinsic(e)
	}
	for _, a := range assocs {
		m.association(a)
	}
	if len(m.sets) == 0 {
		m.add(finding.Error, "XDM-SS-MISSING", "", "ITI-32 §3.32.4.1.2",
			"no submission set (RegistryPackage classified as XDSSubmissionSet)")
	}
	for _, d := range m.docs {
		if m.members[d] != nil {
			continue
		}
		if len(m.sets) == 1 {
			m.members[d] = m.sets[0]
		}
		m.add(finding.Error, "XDM-ASSOC-MISSING", d.EntryUUID, "xdm.md §4",
			"document %s is not a member of a submission set (no HasMember association)", d.EntryUUID)
	}
}

// checkNestedIDs reports ids of nested classifications and external
// identifiers used twice (a warning: nothing refers to them).
func (m *metaReader) checkNestedIDs(list *etree.Element) {
	seen := map[string]bool{}
	for _, obj := range list.ChildElements() {
		for _, c := range obj.ChildElements() {
			if c.Tag != "Classification" && c.Tag != "ExternalIdentifier" {
				continue
			}
			id, ok := attr(c, "id")
			if !ok {
				continue
			}
			if _, top := m.ids[id]; top || seen[id] {
				m.add(finding.Warning, "XDM-ID-DUP", id, "ebRIM 3.0", "id %s is used more than once", id)
				continue
			}
			seen[id] = true
		}
	}
}

// classifications returns the classifications of object n: nested ones, and
// top-level ones whose classifiedObject is n's id.
func (m *metaReader) classifications(n *etree.Element, id, what string) []*etree.Element {
	out := m.children(n, "Classification")
	var wrong []string
	bad := ""
	for _, c := range out {
		if co := attrOr(c, "classifiedObject"); co != id {
			wrong = append(wrong, schemeLabel(c))
			bad = co
		}
	}
	if len(wrong) > 0 {
		m.add(finding.Warning, "XDM-REF-CLASSIFIED", id, "xdm.md §11",
			"%s %s: nested classifications (%s) have classifiedObject=%q; attached by nesting",
			what, id, strings.Join(wrong, ", "), bad)
	}
	for _, c := range m.topClass {
		if attrOr(c, "classifiedObject") == id {
			out = append(out, c)
		}
	}
	return out
}

func (m *metaReader) externalIDs(n *etree.Element, id, what string) map[string]*etree.Element {
	out := map[string]*etree.Element{}
	var wrong []string
	bad := ""
	defer func() {
		if len(wrong) > 0 {
			m.add(finding.Warning, "XDM-REF-REGISTRY", id, "xdm.md §11",
				"%s %s: nested external identifiers (%s) have registryObject=%q; attached by nesting",
				what, id, strings.Join(wrong, ", "), bad)
		}
	}()
	for _, e := range m.children(n, "ExternalIdentifier") {
		scheme := attrOr(e, "identificationScheme")
		if ro := attrOr(e, "registryObject"); ro != id {
			wrong = append(wrong, schemeName(scheme))
			bad = ro
		}
		if label, ok := externalIDNames[scheme]; ok {
			if got := m.localized(e, "Name"); got != "" && got != label {
				m.add(finding.Warning, "XDM-EXTID-NAME", attrOr(e, "id"), "xdm.md §11",
					"external identifier %s is named %q (want %q); found by its scheme", schemeName(scheme), got, label)
			}
		}
		if _, dup := out[scheme]; dup {
			m.add(finding.Error, "XDM-EXTID-DUP", attrOr(e, "id"), "TF-3 §4.2.3",
				"%s %s has two %s", what, id, schemeName(scheme))
			continue
		}
		out[scheme] = e
	}
	return out
}

var externalIDNames = map[string]string{
	SchemeSubmissionSetPatientID: "XDSSubmissionSet.patientId",
	SchemeSubmissionSetSourceID:  "XDSSubmissionSet.sourceId",
	SchemeSubmissionSetUniqueID:  "XDSSubmissionSet.uniqueId",
	SchemeDocumentEntryPatientID: "XDSDocumentEntry.patientId",
	SchemeDocumentEntryUniqueID:  "XDSDocumentEntry.uniqueId",
}

func (m *metaReader) code(c *etree.Element, what string) Code {
	code := Code{Code: attrOr(c, "nodeRepresentation"), DisplayName: m.localized(c, "Name")}
	for _, s := range m.slots(c) {
		if s.Name == "codingScheme" && len(s.Values) > 0 {
			code.CodeSystem = s.Values[0]
		}
	}
	if code.CodeSystem == "" {
		m.add(finding.Warning, "XDM-CODE-SCHEME", attrOr(c, "id"), "TF-3 §4.2.3.1.7",
			"%s %s has no codingScheme slot", what, schemeName(attrOr(c, "classificationScheme")))
	}
	m.checkOrder(c, "Classification "+attrOr(c, "id"))
	return code
}

func (m *metaReader) author(c *etree.Element) Author {
	var a Author
	for _, s := range m.slots(c) {
		switch s.Name {
		case "authorPerson":
			if len(s.Values) > 0 {
				a.Person = s.Values[0]
			}
		case "authorInstitution":
			a.Institutions = append(a.Institutions, s.Values...)
		case "authorRole":
			a.Roles = append(a.Roles, s.Values...)
		case "authorSpecialty":
			a.Specialties = append(a.Specialties, s.Values...)
		case "authorTelecommunication":
			a.Telecoms = append(a.Telecoms, s.Values...)
		}
	}
	m.checkOrder(c, "Classification "+attrOr(c, "id"))
	return a
}

func (m *metaReader) isSubmissionSet(p *etree.Element, id string) (isSet, isFolder bool) {
	for _, c := range m.classifications(p, id, "RegistryPackage") {
		switch attrOr(c, "classificationNode") {
		case NodeSubmissionSet:
			isSet = true
		case NodeFolder:
			isFolder = true
		}
	}
	return
}

func (m *metaReader) registryPackage(p *etree.Element) {
	id := attrOr(p, "id")
	isSet, isFolder := m.isSubmissionSetQuiet(p, id)
	if isFolder && !isSet {
		m.add(finding.Info, "XDM-FOLDER", id, "TF-3 §4.1.4", "folder %s ignored", id)
		return
	}
	ext := m.externalIDs(p, id, "RegistryPackage")
	if !isSet {
		if ext[SchemeSubmissionSetUniqueID] == nil {
			m.add(finding.Warning, "XDM-PACKAGE", id, "TF-3 §4.2.3.3", "RegistryPackage %s is neither a submission set nor a folder; ignored", id)
			return
		}
		m.add(finding.Warning, "XDM-SS-NODE", id, "TF-3 §4.2.3.3",
			"RegistryPackage %s has no XDSSubmissionSet classification; read as a submission set", id)
	}
	const what = "submission set"
	ss := &SubmissionSet{EntryUUID: id, Status: attrOr(p, "status")}
	m.checkOrder(p, "RegistryPackage "+id)
	for _, s := range m.slots(p) {
		switch s.Name {
		case "submissionTime":
			ss.SubmissionTime = m.time(s, id, true)
		case "intendedRecipient":
			for _, v := range s.Values {
				ss.IntendedRecipients = append(ss.IntendedRecipients, recipientAddress(v))
			}
		default:
			ss.OtherSlots = append(ss.OtherSlots, s)
		}
	}
	ss.Title = m.localized(p, "Name")
	ss.Comments = m.localized(p, "Description")
	authors := 0
	for _, c := range m.classifications(p, id, "RegistryPackage") {
		switch attrOr(c, "classificationScheme") {
		case SchemeSubmissionSetAuthor:
			if authors == 0 {
				ss.Author = m.author(c)
			} else {
				ss.OtherAuthors = append(ss.OtherAuthors, m.author(c))
			}
			authors++
		case SchemeContentTypeCode:
			ss.ContentTypeCode = m.code(c, what)
		}
	}
	if e := ext[SchemeSubmissionSetPatientID]; e != nil {
		ss.PatientID = attrOr(e, "value")
	}
	if e := ext[SchemeSubmissionSetSourceID]; e != nil {
		ss.SourceID = attrOr(e, "value")
	}
	if e := ext[SchemeSubmissionSetUniqueID]; e != nil {
		ss.UniqueID = attrOr(e, "value")
	}
	m.required(id, what, map[string]bool{
		"uniqueId":       ss.UniqueID != "",
		"sourceId":       ss.SourceID != "",
		"submissionTime": m.hadSlot(p, "submissionTime"),
	}, map[string]bool{
		"patientId":       ss.PatientID != "",
		"author":          authors > 0,
		"contentTypeCode": !ss.ContentTypeCode.IsZero(),
	})
	ss.PatientINS = m.patient(ss.PatientID, id)
	m.sets = append(m.sets, ss)
	m.setIDs[id] = ss
}

// isSubmissionSetQuiet is isSubmissionSet without the nesting findings,
// which registryPackage reports once when it reads the classifications.
func (m *metaReader) isSubmissionSetQuiet(p *etree.Element, id string) (isSet, isFolder bool) {
	n := len(m.fs)
	isSet, isFolder = m.isSubmissionSet(p, id)
	m.fs = m.fs[:n]
	return
}

func (m *metaReader) hadSlot(n *etree.Element, name string) bool {
	for _, s := range m.children(n, "Slot") {
		if attrOr(s, "name") == name {
			return true
		}
	}
	return false
}

// required reports missing R attributes as errors and missing R2 ones as
// info (xdm.md §5, XDM column).
func (m *metaReader) required(id, what string, r, r2 map[string]bool) {
	for _, name := range slices.Sorted(maps.Keys(r)) {
		if !r[name] {
			m.add(finding.Error, "XDM-REQUIRED", id, "ITI-32 §3.32.4.1.2, xdm.md §5",
				"%s %s has no %s (required)", what, id, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r2)) {
		if !r2[name] {
			m.add(finding.Info, "XDM-R2", id, "xdm.md §5",
				"%s %s has no %s (required if known)", what, id, name)
		}
	}
}

func (m *metaReader) extrinsic(x *etree.Element) {
	id := attrOr(x, "id")
	const what = "document"
	d := &DocumentEntry{
		EntryUUID:  id,
		MimeType:   attrOr(x, "mimeType"),
		ObjectType: attrOr(x, "objectType"),
		Status:     attrOr(x, "status"),
		Size:       -1,
	}
	m.checkOrder(x, "ExtrinsicObject "+id)
	var hasHash, hasCreation bool
	for _, s := range m.slots(x) {
		first := ""
		if len(s.Values) > 0 {
			first = s.Values[0]
		}
		switch s.Name {
		case "creationTime":
			hasCreation = true
			d.CreationTime = m.time(s, id, false)
		case "serviceStartTime":
			d.ServiceStartTime = m.time(s, id, false)
		case "serviceStopTime":
			d.ServiceStopTime = m.time(s, id, false)
		case "hash":
			hasHash = true
			d.Hash = first
			if !isHexSHA1(first) {
				m.add(finding.Error, "XDM-HASH-FORMAT", id, "ITI-32 §3.32.4.1.2",
					"document %s: hash %q is not 40 hexadecimal digits", id, first)
			}
		case "size":
			n, err := strconv.ParseInt(first, 10, 64)
			if err != nil || n < 0 {
				m.add(finding.Error, "XDM-SIZE-FORMAT", id, "ITI-32 §3.32.4.1.2",
					"document %s: size %q is not a number of bytes", id, first)
			} else {
				d.Size = n
			}
		case "URI":
			d.URI = joinURI(s.Values)
		case "languageCode":
			d.LanguageCode = first
		case "legalAuthenticator":
			d.LegalAuthenticator = first
		case "sourcePatientId":
			d.SourcePatientID = first
		case "sourcePatientInfo":
			d.SourcePatientInfo = append(d.SourcePatientInfo, s.Values...)
		case "repositoryUniqueId":
			d.RepositoryUniqueID = first
		case ReferenceIDListSlot:
			d.ReferenceIDs = append(d.ReferenceIDs, s.Values...)
		case ActionSlotName:
			d.Action = Action(first)
			if d.Action != ActionReplace && d.Action != ActionDelete {
				m.add(finding.Error, "XDM-ACTION", id, "xdm.md §7.2",
					"document %s: action %q is neither C (replace) nor D (delete)", id, first)
			}
		default:
			d.OtherSlots = append(d.OtherSlots, s)
		}
	}
	d.Title = m.localized(x, "Name")
	d.Comments = m.localized(x, "Description")
	for _, c := range m.classifications(x, id, "ExtrinsicObject") {
		switch attrOr(c, "classificationScheme") {
		case SchemeDocumentEntryAuthor:
			d.Authors = append(d.Authors, m.author(c))
		case SchemeClassCode:
			d.ClassCode = m.code(c, what)
		case SchemeConfidentialityCode:
			d.ConfidentialityCodes = append(d.ConfidentialityCodes, m.code(c, what))
		case SchemeEventCodeList:
			d.EventCodes = append(d.EventCodes, m.code(c, what))
		case SchemeFormatCode:
			d.FormatCode = m.code(c, what)
		case SchemeHealthcareFacilityType:
			d.HealthcareFacilityTypeCode = m.code(c, what)
		case SchemePracticeSettingCode:
			d.PracticeSettingCode = m.code(c, what)
		case SchemeTypeCode:
			d.TypeCode = m.code(c, what)
		}
	}
	ext := m.externalIDs(x, id, "ExtrinsicObject")
	if e := ext[SchemeDocumentEntryPatientID]; e != nil {
		d.PatientID = attrOr(e, "value")
	}
	if e := ext[SchemeDocumentEntryUniqueID]; e != nil {
		d.UniqueID = attrOr(e, "value")
	}
	switch d.ObjectType {
	case ObjectTypeStable, ObjectTypeOnDemand:
	default:
		m.add(finding.Warning, "XDM-OBJECTTYPE", id, "TF-3 §4.2.5.2",
			"document %s: objectType %q is not the stable or on-demand DocumentEntry type", id, d.ObjectType)
	}
	m.required(id, what, map[string]bool{
		"uniqueId": d.UniqueID != "",
		"mimeType": d.MimeType != "",
		"hash":     hasHash,
		"size":     d.Size >= 0,
		"URI":      d.URI != "",
	}, map[string]bool{
		"patientId":                  d.PatientID != "",
		"author":                     len(d.Authors) > 0,
		"classCode":                  !d.ClassCode.IsZero(),
		"typeCode":                   !d.TypeCode.IsZero(),
		"formatCode":                 !d.FormatCode.IsZero(),
		"confidentialityCode":        len(d.ConfidentialityCodes) > 0,
		"creationTime":               hasCreation,
		"healthcareFacilityTypeCode": !d.HealthcareFacilityTypeCode.IsZero(),
		"practiceSettingCode":        !d.PracticeSettingCode.IsZero(),
		"languageCode":               d.LanguageCode != "",
	})
	d.PatientINS = m.patient(d.PatientID, id)
	m.docs = append(m.docs, d)
	m.docIDs[id] = d
}

// patient reads a patientId: the INS when it is a valid one, and a finding
// when it is not.
func (m *metaReader) patient(cx, id string) ins.INS {
	if cx == "" {
		return ins.INS{}
	}
	i, f := checkPatientID(cx, m.loc+"#"+id, m.opts.StrictINSKey)
	if f.Message != "" {
		m.fs = append(m.fs, f)
	}
	return i
}

func (m *metaReader) association(a *etree.Element) {
	id := attrOr(a, "id")
	typ := attrOr(a, "associationType")
	src, tgt := attrOr(a, "sourceObject"), attrOr(a, "targetObject")
	if ot, ok := attr(a, "objectType"); ok && ot != "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association" {
		m.add(finding.Warning, "XDM-ASSOC-OBJECTTYPE", id, "xdm.md §11",
			"association %s has objectType=%q (an ebRIM object type is expected)", id, ot)
	}
	switch typ {
	case AssociationHasMember:
	case "HasMember":
		m.add(finding.Warning, "XDM-ASSOC-TYPE", id, "TF-3 §4.2.2",
			"association %s: associationType %q is not the ebRIM 3.0 URN %s", id, typ, AssociationHasMember)
	default:
		return // other associations (e.g. RPLC) may point outside the archive
	}
	ss, okS := m.setIDs[src]
	d, okD := m.docIDs[tgt]
	if !okS {
		m.add(finding.Error, "XDM-REF-ASSOC", id, "xdm.md §4",
			"association %s: sourceObject %q is not a submission set of this METADATA.XML", id, src)
	}
	if !okD {
		if _, other := m.ids[tgt]; !other {
			m.add(finding.Error, "XDM-REF-ASSOC", id, "xdm.md §4",
				"association %s: targetObject %q is not an object of this METADATA.XML", id, tgt)
		}
		return
	}
	if okS {
		if prev := m.members[d]; prev != nil && prev != ss {
			m.add(finding.Error, "XDM-ASSOC-DUP", id, "xdm.md §4",
				"document %s is a member of two submission sets", tgt)
		}
		m.members[d] = ss
	}
}

// time reads a DTM slot (xdm.md §7.3): YYYY[MM[DD[hh[mm[ss]]]]] in UTC. An
// offset or fraction is accepted with a warning.
func (m *metaReader) time(s Slot, id string, required bool) time.Time {
	v := ""
	if len(s.Values) > 0 {
		v = s.Values[0]
	}
	t, exact, ok := parseDTM(v)
	level := finding.Warning
	if required {
		level = finding.Error
	}
	switch {
	case !ok:
		m.add(level, "XDM-TIME", id, "xdm.md §7.3", "%s %q is not an XDS time (YYYYMMDDhhmmss, UTC)", s.Name, v)
	case !exact:
		m.add(finding.Warning, "XDM-TIME", id, "xdm.md §7.3", "%s %q has an offset or fraction; XDS times are UTC digits", s.Name, v)
	}
	return t
}

// dtmLayouts are the time layouts of a DTM by its number of digits.
var dtmLayouts = map[int]string{4: "2006", 6: "200601", 8: "20060102", 10: "2006010215", 12: "200601021504", 14: "20060102150405"}

// parseDTM parses an XDS DTM. exact is false when the value carried a
// fraction or a UTC offset (converted).
func parseDTM(v string) (t time.Time, exact, ok bool) {
	digits := v
	off := ""
	exact = true
	if i := strings.IndexAny(v, "+-"); i >= 0 {
		digits, off = v[:i], v[i:]
		exact = false
	}
	if i := strings.IndexByte(digits, '.'); i >= 0 {
		digits = digits[:i]
		exact = false
	}
	layout, known := dtmLayouts[len(digits)]
	if !known || !check.Digits(digits) {
		return time.Time{}, false, false
	}
	loc := time.UTC
	if off != "" {
		if len(off) != 5 || !check.Digits(off[1:]) {
			return time.Time{}, false, false
		}
		h, _ := strconv.Atoi(off[1:3])
		mn, _ := strconv.Atoi(off[3:5])
		sec := h*3600 + mn*60
		if off[0] == '-' {
			sec = -sec
		}
		loc = time.FixedZone(off, sec)
	}
	t, err := time.ParseInLocation(layout, digits, loc)
	if err != nil {
		return time.Time{}, false, false
	}
	return t.UTC(), exact, true
}

func isHexSHA1(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// joinURI reads a URI slot. XDS splits long URIs into "1|...", "2|..."
// values; a single value is the URI itself.
func joinURI(vals []string) string {
	if len(vals) <= 1 {
		if len(vals) == 1 {
			return vals[0]
		}
		return ""
	}
	parts := make([]string, len(vals))
	for _, v := range vals {
		n, rest, ok := strings.Cut(v, "|")
		i, err := strconv.Atoi(n)
		if !ok || err != nil || i < 1 || i > len(vals) || parts[i-1] != "" {
			return vals[0]
		}
		parts[i-1] = rest
	}
	return strings.Join(parts, "")
}

// recipientAddress returns the e-mail address of an intendedRecipient that
// is only an e-mail XTN ("^^Internet^addr" or "||^^Internet^addr"), and the
// value unchanged otherwise.
func recipientAddress(v string) string {
	x := strings.TrimPrefix(v, "||")
	if strings.HasPrefix(x, "^^Internet^") {
		addr := x[len("^^Internet^"):]
		if addr != "" && !strings.ContainsAny(addr, "^|&") {
			return addr
		}
	}
	return v
}

var schemeNames = map[string]string{
	SchemeSubmissionSetAuthor:    "author",
	SchemeContentTypeCode:        "contentTypeCode",
	SchemeSubmissionSetPatientID: "patientId",
	SchemeSubmissionSetSourceID:  "sourceId",
	SchemeSubmissionSetUniqueID:  "uniqueId",
	SchemeDocumentEntryAuthor:    "author",
	SchemeClassCode:              "classCode",
	SchemeConfidentialityCode:    "confidentialityCode",
	SchemeEventCodeList:          "eventCodeList",
	SchemeFormatCode:             "formatCode",
	SchemeHealthcareFacilityType: "healthcareFacilityTypeCode",
	SchemePracticeSettingCode:    "practiceSettingCode",
	SchemeTypeCode:               "typeCode",
	SchemeDocumentEntryPatientID: "patientId",
	SchemeDocumentEntryUniqueID:  "uniqueId",
	NodeSubmissionSet:            "XDSSubmissionSet",
	NodeFolder:                   "XDSFolder",
}

func schemeName(s string) string {
	if n, ok := schemeNames[s]; ok {
		return n
	}
	return s
}

func schemeLabel(c *etree.Element) string {
	if s := attrOr(c, "classificationScheme"); s != "" {
		return schemeName(s)
	}
	return schemeName(attrOr(c, "classificationNode"))
}

// knownDocumentSlots are the slots DocumentEntry fields own.
var knownDocumentSlots = map[string]bool{
	"creationTime": true, "serviceStartTime": true, "serviceStopTime": true, "hash": true, "size": true,
	"URI": true, "languageCode": true, "legalAuthenticator": true, "sourcePatientId": true,
	"sourcePatientInfo": true, "repositoryUniqueId": true, ReferenceIDListSlot: true, ActionSlotName: true,
}
