#!/usr/bin/env bash
# The baseline of bench/xdm/compare.sh: the IHE_XDM.ZIP archive that
# `mss xdm build` makes, built instead with the standard tools a vendor would
# script: xmllint to read the CDA header, sha1sum and stat for the hash and
# size, /proc's uuids, here-documents for METADATA.XML, INDEX.HTM and
# README.TXT, and zip at the deflate level asked for.
#
# usage: bash bench/xdm/pipeline.sh CDA.xml OUT.zip ZIP-LEVEL
set -euo pipefail
cda=$1 out=$2 level=$3
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

mkdir -p "$d/IHE_XDM/SUBSET01"
cp "$cda" "$d/IHE_XDM/SUBSET01/DOC0001.XML"
hash=$(sha1sum "$d/IHE_XDM/SUBSET01/DOC0001.XML" | cut -c1-40 | tr a-f A-F)
size=$(stat -c %s "$d/IHE_XDM/SUBSET01/DOC0001.XML")
now=$(date -u +%Y%m%d%H%M%S)
uuid() { cat /proc/sys/kernel/random/uuid; }
ss=$(uuid)
de=$(uuid)

# The header fields the metadata repeats, in one xmllint run (one parse of
# the document), separated by |.
h='(//*[local-name()="ClinicalDocument"])[1]'
p="$h/*[local-name()=\"recordTarget\"]/*[local-name()=\"patientRole\"]/*[local-name()=\"id\"][starts-with(@root, \"1.2.250.1.213.1.4.\")][1]"
IFS='|' read -r id_root id_ext code code_system code_name title eff conf lang ins ins_oid < <(
	xmllint --xpath "concat($h/*[local-name()=\"id\"]/@root, '|', $h/*[local-name()=\"id\"]/@extension, '|',
		$h/*[local-name()=\"code\"]/@code, '|', $h/*[local-name()=\"code\"]/@codeSystem, '|', $h/*[local-name()=\"code\"]/@displayName, '|',
		normalize-space($h/*[local-name()=\"title\"]), '|', $h/*[local-name()=\"effectiveTime\"]/@value, '|',
		$h/*[local-name()=\"confidentialityCode\"]/@code, '|', $h/*[local-name()=\"languageCode\"]/@code, '|',
		$p/@extension, '|', $p/@root)" "$cda"
	echo
)
unique_id=$id_root${id_ext:+^$id_ext}
created=${eff:0:14}

cat >"$d/IHE_XDM/SUBSET01/METADATA.XML" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
 <rim:RegistryObjectList>
  <rim:RegistryPackage id="urn:uuid:$ss" status="urn:oasis:names:tc:ebxml-regrep:StatusType:Approved">
   <rim:Slot name="submissionTime"><rim:ValueList><rim:Value>$now</rim:Value></rim:ValueList></rim:Slot>
   <rim:Name><rim:LocalizedString value="$title"/></rim:Name>
   <rim:Classification id="urn:uuid:$(uuid)" classifiedObject="urn:uuid:$ss" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>
   <rim:Classification id="urn:uuid:$(uuid)" classificationScheme="urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d" classifiedObject="urn:uuid:$ss" nodeRepresentation="">
    <rim:Slot name="authorPerson"><rim:ValueList><rim:Value>801234567897^MULLER^Charles^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO^D^^^IDNPS</rim:Value></rim:ValueList></rim:Slot>
    <rim:Slot name="authorInstitution"><rim:ValueList><rim:Value>Centre de santé du Belvédère^^^^^&amp;1.2.250.1.71.4.2.2&amp;ISO^IDNST^^^1120456791</rim:Value></rim:ValueList></rim:Slot>
   </rim:Classification>
   <rim:ExternalIdentifier id="urn:uuid:$(uuid)" registryObject="urn:uuid:$ss" identificationScheme="urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446" value="$ins^^^&amp;$ins_oid&amp;ISO^NH"><rim:Name><rim:LocalizedString value="XDSSubmissionSet.patientId"/></rim:Name></rim:ExternalIdentifier>
   <rim:ExternalIdentifier id="urn:uuid:$(uuid)" registryObject="urn:uuid:$ss" identificationScheme="urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832" value="1.2.250.1.71.4.2.2.1120456791"><rim:Name><rim:LocalizedString value="XDSSubmissionSet.sourceId"/></rim:Name></rim:ExternalIdentifier>
   <rim:ExternalIdentifier id="urn:uuid:$(uuid)" registryObject="urn:uuid:$ss" identificationScheme="urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8" value="1.2.250.1.71.4.2.2.1120456791.$now"><rim:Name><rim:LocalizedString value="XDSSubmissionSet.uniqueId"/></rim:Name></rim:ExternalIdentifier>
  </rim:RegistryPackage>
  <rim:ExtrinsicObject id="urn:uuid:$de" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1" status="urn:oasis:names:tc:ebxml-regrep:StatusType:Approved">
   <rim:Slot name="creationTime"><rim:ValueList><rim:Value>$created</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="hash"><rim:ValueList><rim:Value>$hash</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="languageCode"><rim:ValueList><rim:Value>$lang</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="size"><rim:ValueList><rim:Value>$size</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="URI"><rim:ValueList><rim:Value>DOC0001.XML</rim:Value></rim:ValueList></rim:Slot>
   <rim:Name><rim:LocalizedString value="$title"/></rim:Name>
   <rim:Classification id="urn:uuid:$(uuid)" classificationScheme="urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a" classifiedObject="urn:uuid:$de" nodeRepresentation="52"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>1.2.250.1.213.1.1.4.1</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value="Certificat, déclaration"/></rim:Name></rim:Classification>
   <rim:Classification id="urn:uuid:$(uuid)" classificationScheme="urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f" classifiedObject="urn:uuid:$de" nodeRepresentation="$conf"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>2.16.840.1.113883.5.25</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value="Normal"/></rim:Name></rim:Classification>
   <rim:Classification id="urn:uuid:$(uuid)" classificationScheme="urn:uuid:f0306f51-975f-434e-a61c-c59651d33983" classifiedObject="urn:uuid:$de" nodeRepresentation="$code"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>$code_system</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value="$code_name"/></rim:Name></rim:Classification>
   <rim:ExternalIdentifier id="urn:uuid:$(uuid)" registryObject="urn:uuid:$de" identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427" value="$ins^^^&amp;$ins_oid&amp;ISO^NH"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.patientId"/></rim:Name></rim:ExternalIdentifier>
   <rim:ExternalIdentifier id="urn:uuid:$(uuid)" registryObject="urn:uuid:$de" identificationScheme="urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab" value="$unique_id"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.uniqueId"/></rim:Name></rim:ExternalIdentifier>
  </rim:ExtrinsicObject>
  <rim:Association id="urn:uuid:$(uuid)" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" sourceObject="urn:uuid:$ss" targetObject="urn:uuid:$de"><rim:Slot name="SubmissionSetStatus"><rim:ValueList><rim:Value>Original</rim:Value></rim:ValueList></rim:Slot></rim:Association>
 </rim:RegistryObjectList>
</lcm:SubmitObjectsRequest>
EOF
cat >"$d/INDEX.HTM" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>IHE_XDM</title></head>
<body><p>Emetteur : Centre de santé du Belvédère (1120456791)</p><p>Voir le fichier <a href="README.TXT">README.TXT</a></p></body></html>
EOF
cat >"$d/README.TXT" <<'EOF'
Emetteur :
    . Organisme : Centre de santé du Belvédère (1120456791)
Application de l'émetteur :
    . Nom : Exemple DPI
Instructions :
    Consultez les fichiers reçus dans votre logiciel.
Arborescence :
    README.TXT INDEX.HTM IHE_XDM/SUBSET01/METADATA.XML IHE_XDM/SUBSET01/DOC0001.XML
EOF
rm -f "$out"
(cd "$d" && zip -q -r -X "-$level" "$out" INDEX.HTM README.TXT IHE_XDM)
