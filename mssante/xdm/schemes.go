package xdm

// Namespaces of METADATA.XML (ebXML RegRep 3.0).
const (
	NamespaceLCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
	NamespaceRIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
)

// Classification schemes, nodes and identification schemes of XDS metadata
// (IHE ITI TF-3 §4.2.5, xdm.md §5), written "urn:uuid:<uuid>".
const (
	// SubmissionSet
	NodeSubmissionSet            = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
	SchemeSubmissionSetAuthor    = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
	SchemeContentTypeCode        = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
	SchemeSubmissionSetPatientID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
	SchemeSubmissionSetSourceID  = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
	SchemeSubmissionSetUniqueID  = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
	NodeSubmissionSetLimitedMeta = "urn:uuid:5003a9db-8d8d-49e6-bf0c-990e34ac7707"
	NodeDocumentEntryLimitedMeta = "urn:uuid:ab9b591b-83ab-4d03-8f5d-f93b1fb92e85"
	ObjectTypeStable             = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
	ObjectTypeOnDemand           = "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248"
	SchemeDocumentEntryAuthor    = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
	SchemeClassCode              = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
	SchemeConfidentialityCode    = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
	SchemeEventCodeList          = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4"
	SchemeFormatCode             = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
	SchemeHealthcareFacilityType = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
	SchemePracticeSettingCode    = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
	SchemeTypeCode               = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
	SchemeDocumentEntryPatientID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
	SchemeDocumentEntryUniqueID  = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
	NodeFolder                   = "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"
	SchemeFolderCodeList         = "urn:uuid:1ba97051-7806-41a8-a48b-8fce7af683c5"
)

// Other fixed values of METADATA.XML.
const (
	StatusApproved       = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
	AssociationHasMember = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"

	// ActionSlotName is the French extra metadata slot that marks a
	// replacement ("C") or a deletion ("D") (xdm.md §7.2; the name is only
	// confirmed by one official example).
	ActionSlotName = "urn:action:extraMetadataSlot"

	// ReferenceIDListSlot is the XDS referenceIdList slot.
	ReferenceIDListSlot = "urn:ihe:iti:xds:2013:referenceIdList"
)
