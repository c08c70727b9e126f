package xdm

import (
	"strconv"
	"strings"
	"time"
)

// timeLayout is the XDS DTM form the writer emits: 14 digits, UTC.
const timeLayout = "20060102150405"

// metaEncoder writes METADATA.XML with fixed lcm:/rim: prefixes and the
// ebRIM child order (Slot*, Name?, Description?, Classification*,
// ExternalIdentifier*), xdm.md §4 and §12.
type metaEncoder struct {
	xmlWriter
	newID func() string
}

func (e *metaEncoder) open(indent, name string, attrs ...string) {
	e.raw(indent)
	e.raw("<rim:")
	e.raw(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		e.attr(attrs[i], attrs[i+1])
	}
	e.raw(">\n")
}

func (e *metaEncoder) close(indent, name string) {
	e.raw(indent)
	e.raw("</rim:")
	e.raw(name)
	e.raw(">\n")
}

func (e *metaEncoder) slot(indent, name string, values ...string) {
	if len(values) == 0 {
		return
	}
	e.raw(indent)
	e.raw(`<rim:Slot`)
	e.attr("name", name)
	e.raw("><rim:ValueList>")
	for _, v := range values {
		e.raw("<rim:Value>")
		e.esc(v)
		e.raw("</rim:Value>")
	}
	e.raw("</rim:ValueList></rim:Slot>\n")
}

func (e *metaEncoder) slotIf(indent, name, value string) {
	if value != "" {
		e.slot(indent, name, value)
	}
}

func (e *metaEncoder) slotTime(indent, name string, t time.Time) {
	if !t.IsZero() {
		e.slot(indent, name, t.UTC().Format(timeLayout))
	}
}

// localized writes <rim:Name> or <rim:Description> with one LocalizedString.
func (e *metaEncoder) localized(indent, elem, value string) {
	if value == "" {
		return
	}
	e.raw(indent)
	e.raw("<rim:")
	e.raw(elem)
	e.raw("><rim:LocalizedString")
	e.attr("value", value)
	e.raw("/></rim:")
	e.raw(elem)
	e.raw(">\n")
}

func (e *metaEncoder) code(indent, scheme, object string, c Code) {
	if c.IsZero() {
		return
	}
	e.open(indent, "Classification", "id", e.newID(), "classificationScheme", scheme,
		"classifiedObject", object, "nodeRepresentation", c.Code)
	e.slot(indent+" ", "codingScheme", c.CodeSystem)
	e.localized(indent+" ", "Name", c.DisplayName)
	e.close(indent, "Classification")
}

func (e *metaEncoder) author(indent, scheme, object string, a Author) {
	if a.IsZero() {
		return
	}
	e.open(indent, "Classification", "id", e.newID(), "classificationScheme", scheme,
		"classifiedObject", object, "nodeRepresentation", "")
	in := indent + " "
	e.slotIf(in, "authorPerson", a.Person)
	e.slot(in, "authorInstitution", a.Institutions...)
	e.slot(in, "authorRole", a.Roles...)
	e.slot(in, "authorSpecialty", a.Specialties...)
	e.slot(in, "authorTelecommunication", a.Telecoms...)
	e.close(indent, "Classification")
}

func (e *metaEncoder) extID(indent, scheme, object, value, name string) {
	e.open(indent, "ExternalIdentifier", "id", e.newID(), "registryObject", object,
		"identificationScheme", scheme, "value", value)
	e.localized(indent+" ", "Name", name)
	e.close(indent, "ExternalIdentifier")
}

func (e *metaEncoder) otherSlots(indent string, slots []Slot) {
	for _, s := range slots {
		e.slot(indent, s.Name, s.Values...)
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

func (e *metaEncoder) submissionSet(s *SubmissionSet) {
	const in, in2 = "  ", "   "
	id := s.EntryUUID
	e.open(in, "RegistryPackage", "id", id, "status", s.Status)
	e.slot(in2, "submissionTime", s.SubmissionTime.UTC().Format(timeLayout))
	if len(s.IntendedRecipients) > 0 {
		vals := make([]string, len(s.IntendedRecipients))
		for i, r := range s.IntendedRecipients {
			vals[i] = intendedRecipient(r)
		}
		e.slot(in2, "intendedRecipient", vals...)
	}
	e.otherSlots(in2, s.OtherSlots)
	e.localized(in2, "Name", s.Title)
	e.localized(in2, "Description", s.Comments)
	e.raw(in2)
	e.raw("<rim:Classification")
	e.attr("id", e.newID())
	e.attr("classifiedObject", id)
	e.attr("classificationNode", NodeSubmissionSet)
	e.raw("/>\n")
	e.author(in2, SchemeSubmissionSetAuthor, id, s.Author)
	for _, a := range s.OtherAuthors {
		e.author(in2, SchemeSubmissionSetAuthor, id, a)
	}
	e.code(in2, SchemeContentTypeCode, id, s.ContentTypeCode)
	e.extID(in2, SchemeSubmissionSetPatientID, id, s.PatientID, "XDSSubmissionSet.patientId")
	e.extID(in2, SchemeSubmissionSetSourceID, id, s.SourceID, "XDSSubmissionSet.sourceId")
	e.extID(in2, SchemeSubmissionSetUniqueID, id, s.UniqueID, "XDSSubmissionSet.uniqueId")
	e.close(in, "RegistryPackage")
}

func (e *metaEncoder) documentEntry(d *DocumentEntry) {
	const in, in2 = "  ", "   "
	id := d.EntryUUID
	e.open(in, "ExtrinsicObject", "id", id, "mimeType", d.MimeType, "objectType", d.ObjectType, "status", d.Status)
	e.slotTime(in2, "creationTime", d.CreationTime)
	e.slot(in2, "hash", d.Hash)
	e.slotIf(in2, "languageCode", d.LanguageCode)
	e.slotIf(in2, "legalAuthenticator", d.LegalAuthenticator)
	e.slotIf(in2, "repositoryUniqueId", d.RepositoryUniqueID)
	e.slotTime(in2, "serviceStartTime", d.ServiceStartTime)
	e.slotTime(in2, "serviceStopTime", d.ServiceStopTime)
	e.slot(in2, "size", strconv.FormatInt(d.Size, 10))
	e.slotIf(in2, "sourcePatientId", d.SourcePatientID)
	e.slot(in2, "sourcePatientInfo", d.SourcePatientInfo...)
	e.slot(in2, "URI", d.URI)
	e.slot(in2, ReferenceIDListSlot, d.ReferenceIDs...)
	if d.Action != ActionNone {
		e.slot(in2, ActionSlotName, string(d.Action))
	}
	e.otherSlots(in2, d.OtherSlots)
	e.localized(in2, "Name", d.Title)
	e.localized(in2, "Description", d.Comments)
	for _, a := range d.Authors {
		e.author(in2, SchemeDocumentEntryAuthor, id, a)
	}
	e.code(in2, SchemeClassCode, id, d.ClassCode)
	for _, c := range d.ConfidentialityCodes {
		e.code(in2, SchemeConfidentialityCode, id, c)
	}
	for _, c := range d.EventCodes {
		e.code(in2, SchemeEventCodeList, id, c)
	}
	e.code(in2, SchemeFormatCode, id, d.FormatCode)
	e.code(in2, SchemeHealthcareFacilityType, id, d.HealthcareFacilityTypeCode)
	e.code(in2, SchemePracticeSettingCode, id, d.PracticeSettingCode)
	e.code(in2, SchemeTypeCode, id, d.TypeCode)
	e.extID(in2, SchemeDocumentEntryPatientID, id, d.PatientID, "XDSDocumentEntry.patientId")
	e.extID(in2, SchemeDocumentEntryUniqueID, id, d.UniqueID, "XDSDocumentEntry.uniqueId")
	e.close(in, "ExtrinsicObject")
}

func (e *metaEncoder) association(ss, doc string) {
	const in = "  "
	e.open(in, "Association", "id", e.newID(), "associationType", AssociationHasMember,
		"sourceObject", ss, "targetObject", doc)
	e.slot(in+" ", "SubmissionSetStatus", "Original")
	e.close(in, "Association")
}

// encodeMetadata writes the METADATA.XML of a prepared package (ids, hashes,
// sizes and URIs filled in).
func encodeMetadata(ss *SubmissionSet, docs []*DocumentEntry, newID func() string) ([]byte, error) {
	e := &metaEncoder{newID: newID}
	e.b.Grow(4096 + 4096*len(docs))
	e.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	e.raw(`<lcm:SubmitObjectsRequest xmlns:lcm="` + NamespaceLCM + `" xmlns:rim="` + NamespaceRIM + `">` + "\n")
	e.raw(" <rim:RegistryObjectList>\n")
	e.submissionSet(ss)
	for _, d := range docs {
		e.documentEntry(d)
	}
	for _, d := range docs {
		e.association(ss.EntryUUID, d.EntryUUID)
	}
	e.raw(" </rim:RegistryObjectList>\n</lcm:SubmitObjectsRequest>\n")
	if e.err != nil {
		return nil, e.err
	}
	return e.b.Bytes(), nil
}
