package xdm

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/mssante-go/sdk/xmltext"
)

// timeLayout is the XDS DTM form the writer emits: 14 digits, UTC.
const timeLayout = "20060102150405"

// metaEncoder builds METADATA.XML as an etree tree with fixed lcm:/rim:
// prefixes and the ebRIM child order (Slot*, Name?, Description?,
// Classification*, ExternalIdentifier*), xdm.md §4 and §12. It lays the
// tree out itself: one line per object, classification and slot, a slot
// with its values on its line. Every value goes through xmltext.Check
// first (etree would replace what XML cannot carry): the first refusal is
// kept in err.
type metaEncoder struct {
	newID func() string
	err   error
}

// check records the first value XML cannot carry.
func (e *metaEncoder) check(v string) string {
	if err := xmltext.Check(v); err != nil && e.err == nil {
		e.err = err
	}
	return v
}

// line adds a child element on its own line of parent, indented.
func (e *metaEncoder) line(parent *etree.Element, indent, name string) *etree.Element {
	parent.CreateText(indent)
	c := parent.CreateElement("rim:" + name)
	parent.CreateText("\n")
	return c
}

// open adds a child element whose own children go on the next lines; end
// closes it at the indentation of its start tag.
func (e *metaEncoder) open(parent *etree.Element, indent, name string, attrs ...string) *etree.Element {
	c := e.line(parent, indent, name)
	e.attrs(c, attrs)
	c.CreateText("\n")
	return c
}

func (e *metaEncoder) end(el *etree.Element, indent string) { el.CreateText(indent) }

func (e *metaEncoder) attrs(el *etree.Element, kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		el.CreateAttr(kv[i], e.check(kv[i+1]))
	}
}

func (e *metaEncoder) slot(parent *etree.Element, indent, name string, values ...string) {
	if len(values) == 0 {
		return
	}
	sl := e.line(parent, indent, "Slot")
	sl.CreateAttr("name", e.check(name))
	vl := sl.CreateElement("rim:ValueList")
	for _, v := range values {
		vl.CreateElement("rim:Value").SetText(e.check(v))
	}
}

func (e *metaEncoder) slotIf(parent *etree.Element, indent, name, value string) {
	if value != "" {
		e.slot(parent, indent, name, value)
	}
}

func (e *metaEncoder) slotTime(parent *etree.Element, indent, name string, t time.Time) {
	if !t.IsZero() {
		e.slot(parent, indent, name, t.UTC().Format(timeLayout))
	}
}

// localized adds <rim:Name> or <rim:Description> with one LocalizedString.
func (e *metaEncoder) localized(parent *etree.Element, indent, elem, value string) {
	if value == "" {
		return
	}
	e.line(parent, indent, elem).CreateElement("rim:LocalizedString").CreateAttr("value", e.check(value))
}

func (e *metaEncoder) code(parent *etree.Element, indent, scheme, object string, c Code) {
	if c.IsZero() {
		return
	}
	cl := e.open(parent, indent, "Classification", "id", e.newID(), "classificationScheme", scheme,
		"classifiedObject", object, "nodeRepresentation", c.Code)
	e.slot(cl, indent+" ", "codingScheme", c.CodeSystem)
	e.localized(cl, indent+" ", "Name", c.DisplayName)
	e.end(cl, indent)
}

func (e *metaEncoder) author(parent *etree.Element, indent, scheme, object string, a Author) {
	if a.IsZero() {
		return
	}
	cl := e.open(parent, indent, "Classification", "id", e.newID(), "classificationScheme", scheme,
		"classifiedObject", object, "nodeRepresentation", "")
	in := indent + " "
	e.slotIf(cl, in, "authorPerson", a.Person)
	e.slot(cl, in, "authorInstitution", a.Institutions...)
	e.slot(cl, in, "authorRole", a.Roles...)
	e.slot(cl, in, "authorSpecialty", a.Specialties...)
	e.slot(cl, in, "authorTelecommunication", a.Telecoms...)
	e.end(cl, indent)
}

func (e *metaEncoder) extID(parent *etree.Element, indent, scheme, object, value, name string) {
	x := e.open(parent, indent, "ExternalIdentifier", "id", e.newID(), "registryObject", object,
		"identificationScheme", scheme, "value", value)
	e.localized(x, indent+" ", "Name", name)
	e.end(x, indent)
}

func (e *metaEncoder) otherSlots(parent *etree.Element, indent string, slots []Slot) {
	for _, s := range slots {
		e.slot(parent, indent, s.Name, s.Values...)
	}
}

// RecipientPrefix is written before an MSSanté address in an
// intendedRecipient value: an e-mail-only XTN (xdm.md §7.1, the SDK's
// choice; whether IHE wants the empty XON and XCN before it, "||^^Internet^",
// is UNCONFIRMED). The reader accepts both forms.
const RecipientPrefix = "^^Internet^"

// intendedRecipient formats an MSSanté address as an e-mail-only XTN; a
// value that already holds components is kept.
func intendedRecipient(v string) string {
	if strings.ContainsAny(v, "^|") {
		return v
	}
	return RecipientPrefix + v
}

func (e *metaEncoder) submissionSet(list *etree.Element, s *SubmissionSet) {
	const in, in2 = "  ", "   "
	id := s.EntryUUID
	p := e.open(list, in, "RegistryPackage", "id", id, "status", s.Status)
	e.slot(p, in2, "submissionTime", s.SubmissionTime.UTC().Format(timeLayout))
	if len(s.IntendedRecipients) > 0 {
		vals := make([]string, len(s.IntendedRecipients))
		for i, r := range s.IntendedRecipients {
			vals[i] = intendedRecipient(r)
		}
		e.slot(p, in2, "intendedRecipient", vals...)
	}
	e.otherSlots(p, in2, s.OtherSlots)
	e.localized(p, in2, "Name", s.Title)
	e.localized(p, in2, "Description", s.Comments)
	e.attrs(e.line(p, in2, "Classification"), []string{"id", e.newID(), "classifiedObject", id, "classificationNode", NodeSubmissionSet})
	e.author(p, in2, SchemeSubmissionSetAuthor, id, s.Author)
	for _, a := range s.OtherAuthors {
		e.author(p, in2, SchemeSubmissionSetAuthor, id, a)
	}
	e.code(p, in2, SchemeContentTypeCode, id, s.ContentTypeCode)
	e.extID(p, in2, SchemeSubmissionSetPatientID, id, s.PatientID, "XDSSubmissionSet.patientId")
	e.extID(p, in2, SchemeSubmissionSetSourceID, id, s.SourceID, "XDSSubmissionSet.sourceId")
	e.extID(p, in2, SchemeSubmissionSetUniqueID, id, s.UniqueID, "XDSSubmissionSet.uniqueId")
	e.end(p, in)
}

func (e *metaEncoder) documentEntry(list *etree.Element, d *DocumentEntry) {
	const in, in2 = "  ", "   "
	id := d.EntryUUID
	x := e.open(list, in, "ExtrinsicObject", "id", id, "mimeType", d.MimeType, "objectType", d.ObjectType, "status", d.Status)
	e.slotTime(x, in2, "creationTime", d.CreationTime)
	e.slot(x, in2, "hash", d.Hash)
	e.slotIf(x, in2, "languageCode", d.LanguageCode)
	e.slotIf(x, in2, "legalAuthenticator", d.LegalAuthenticator)
	e.slotIf(x, in2, "repositoryUniqueId", d.RepositoryUniqueID)
	e.slotTime(x, in2, "serviceStartTime", d.ServiceStartTime)
	e.slotTime(x, in2, "serviceStopTime", d.ServiceStopTime)
	e.slot(x, in2, "size", strconv.FormatInt(d.Size, 10))
	e.slotIf(x, in2, "sourcePatientId", d.SourcePatientID)
	e.slot(x, in2, "sourcePatientInfo", d.SourcePatientInfo...)
	e.slot(x, in2, "URI", d.URI)
	e.slot(x, in2, ReferenceIDListSlot, d.ReferenceIDs...)
	if d.Action != ActionNone {
		e.slot(x, in2, ActionSlotName, string(d.Action))
	}
	e.otherSlots(x, in2, d.OtherSlots)
	e.localized(x, in2, "Name", d.Title)
	e.localized(x, in2, "Description", d.Comments)
	for _, a := range d.Authors {
		e.author(x, in2, SchemeDocumentEntryAuthor, id, a)
	}
	e.code(x, in2, SchemeClassCode, id, d.ClassCode)
	for _, c := range d.ConfidentialityCodes {
		e.code(x, in2, SchemeConfidentialityCode, id, c)
	}
	for _, c := range d.EventCodes {
		e.code(x, in2, SchemeEventCodeList, id, c)
	}
	e.code(x, in2, SchemeFormatCode, id, d.FormatCode)
	e.code(x, in2, SchemeHealthcareFacilityType, id, d.HealthcareFacilityTypeCode)
	e.code(x, in2, SchemePracticeSettingCode, id, d.PracticeSettingCode)
	e.code(x, in2, SchemeTypeCode, id, d.TypeCode)
	e.extID(x, in2, SchemeDocumentEntryPatientID, id, d.PatientID, "XDSDocumentEntry.patientId")
	e.extID(x, in2, SchemeDocumentEntryUniqueID, id, d.UniqueID, "XDSDocumentEntry.uniqueId")
	e.end(x, in)
}

func (e *metaEncoder) association(list *etree.Element, ss, doc string) {
	const in = "  "
	a := e.open(list, in, "Association", "id", e.newID(), "associationType", AssociationHasMember,
		"sourceObject", ss, "targetObject", doc)
	e.slot(a, in+" ", "SubmissionSetStatus", "Original")
	e.end(a, in)
}

// encodeMetadata writes the METADATA.XML of a prepared package (ids, hashes,
// sizes and URIs filled in). A value XML cannot carry gives an
// *xmltext.Error.
func encodeMetadata(ss *SubmissionSet, docs []*DocumentEntry, newID func() string) ([]byte, error) {
	e := &metaEncoder{newID: newID}
	doc := etree.NewDocument()
	doc.WriteSettings = etree.WriteSettings{CanonicalAttrVal: true, CanonicalText: true}
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.CreateText("\n")
	root := doc.CreateElement("lcm:SubmitObjectsRequest")
	root.CreateAttr("xmlns:lcm", NamespaceLCM)
	root.CreateAttr("xmlns:rim", NamespaceRIM)
	doc.CreateText("\n")
	root.CreateText("\n")
	list := e.open(root, " ", "RegistryObjectList")
	e.submissionSet(list, ss)
	for _, d := range docs {
		e.documentEntry(list, d)
	}
	for _, d := range docs {
		e.association(list, ss.EntryUUID, d.EntryUUID)
	}
	e.end(list, " ")
	if e.err != nil {
		return nil, fmt.Errorf("xdm: METADATA.XML: %w", e.err)
	}
	var b bytes.Buffer
	b.Grow(4096 + 4096*len(docs))
	if _, err := doc.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
