#!/usr/bin/env bash
# Compare our XDM writer with the same archive built by standard tools:
# sha1sum for the hash, stat for the size, here-documents for METADATA.XML,
# INDEX.HTM and README.TXT, zip for the
# archive (its default level 6; our writer defaults to deflate level 1, see
# WriteOptions.CompressionLevel: the sizes are printed too). Prints the time
# per archive of each and the ratio.
#
# usage: bench/xdm/compare.sh [ITERATIONS]   (from the repository root or anywhere)
set -euo pipefail
N=${1:-20}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if ! command -v zip >/dev/null; then
	echo "installing zip (bench only)" >&2
	apt-get install -y zip >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y zip >/dev/null; }
fi

# The same 1 MB level 1 CDA as BenchmarkWrite: test header, base64 body.
CDA=$WORK/doc.xml
{
	cat <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
 <id root="1.2.250.1.213.1.1.1.5.2.12345.2"/>
 <code code="CERT_DECL" codeSystem="1.2.250.1.213.1.1.4.12" displayName="Certificat, déclaration"/>
 <title>Certificat de santé du 9ème mois</title>
 <effectiveTime value="20250109144745+0100"/>
 <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
 <languageCode code="fr-FR"/>
 <recordTarget><patientRole>
  <id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>
  <patient>
   <name><family qualifier="BR">PAT-TROIS</family><given>DOMINIQUE MARIE-LOUISE</given><given qualifier="BR">DOMINIQUE</given></name>
   <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
   <birthTime value="19790328"/>
  </patient>
 </patientRole></recordTarget>
 <component><nonXMLBody><text mediaType="application/pdf" representation="B64">
EOF
	head -c 786432 /dev/urandom | base64 -w 76
	echo '</text></nonXMLBody></component>'
	echo '</ClinicalDocument>'
} >"$CDA"

# build_with_tools DIR OUT: one archive with standard tools.
build_with_tools() {
	local d=$1 out=$2
	mkdir -p "$d/IHE_XDM/SUBSET01"
	cp "$CDA" "$d/IHE_XDM/SUBSET01/DOC0001.XML"
	local hash size now ss de
	hash=$(sha1sum "$d/IHE_XDM/SUBSET01/DOC0001.XML" | cut -c1-40 | tr a-f A-F)
	size=$(stat -c %s "$d/IHE_XDM/SUBSET01/DOC0001.XML")
	now=$(date -u +%Y%m%d%H%M%S)
	ss=$(cat /proc/sys/kernel/random/uuid)
	de=$(cat /proc/sys/kernel/random/uuid)
	cat >"$d/IHE_XDM/SUBSET01/METADATA.XML" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
 <rim:RegistryObjectList>
  <rim:RegistryPackage id="urn:uuid:$ss" status="urn:oasis:names:tc:ebxml-regrep:StatusType:Approved">
   <rim:Slot name="submissionTime"><rim:ValueList><rim:Value>$now</rim:Value></rim:ValueList></rim:Slot>
   <rim:Name><rim:LocalizedString value="Certificat de santé"/></rim:Name>
   <rim:Classification id="urn:uuid:$(cat /proc/sys/kernel/random/uuid)" classifiedObject="urn:uuid:$ss" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>
   <rim:Classification id="urn:uuid:$(cat /proc/sys/kernel/random/uuid)" classificationScheme="urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d" classifiedObject="urn:uuid:$ss" nodeRepresentation="">
    <rim:Slot name="authorPerson"><rim:ValueList><rim:Value>801234567897^MULLER^Charles^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO^D^^^IDNPS</rim:Value></rim:ValueList></rim:Slot>
    <rim:Slot name="authorInstitution"><rim:ValueList><rim:Value>Centre de santé du Belvédère^^^^^&amp;1.2.250.1.71.4.2.2&amp;ISO^IDNST^^^1120456791</rim:Value></rim:ValueList></rim:Slot>
   </rim:Classification>
   <rim:ExternalIdentifier id="urn:uuid:$(cat /proc/sys/kernel/random/uuid)" registryObject="urn:uuid:$ss" identificationScheme="urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446" value="279035121518989^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH"><rim:Name><rim:LocalizedString value="XDSSubmissionSet.patientId"/></rim:Name></rim:ExternalIdentifier>
   <rim:ExternalIdentifier id="urn:uuid:$(cat /proc/sys/kernel/random/uuid)" registryObject="urn:uuid:$ss" identificationScheme="urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832" value="1.2.250.1.71.4.2.2.1120456791"><rim:Name><rim:LocalizedString value="XDSSubmissionSet.sourceId"/></rim:Name></rim:ExternalIdentifier>
   <rim:ExternalIdentifier id="urn:uuid:$(cat /proc/sys/kernel/random/uuid)" registryObject="urn:uuid:$ss" identificationScheme="urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8" value="1.2.250.1.71.4.2.2.1120456791.$now"><rim:Name><rim:LocalizedString value="XDSSubmissionSet.uniqueId"/></rim:Name></rim:ExternalIdentifier>
  </rim:RegistryPackage>
  <rim:ExtrinsicObject id="urn:uuid:$de" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1" status="urn:oasis:names:tc:ebxml-regrep:StatusType:Approved">
   <rim:Slot name="creationTime"><rim:ValueList><rim:Value>20250109134745</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="hash"><rim:ValueList><rim:Value>$hash</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="languageCode"><rim:ValueList><rim:Value>fr-FR</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="size"><rim:ValueList><rim:Value>$size</rim:Value></rim:ValueList></rim:Slot>
   <rim:Slot name="URI"><rim:ValueList><rim:Value>DOC0001.XML</rim:Value></rim:ValueList></rim:Slot>
   <rim:Name><rim:LocalizedString value="Certificat de santé du 9ème mois"/></rim:Name>
   <rim:Classification id="urn:uuid:$(cat /proc/sys/kernel/random/uuid)" classificationScheme="urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a" classifiedObject="urn:uuid:$de" nodeRepresentation="52"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>1.2.250.1.213.1.1.4.1</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value="Certificat, déclaration"/></rim:Name></rim:Classification>
   <rim:Classification id="urn:uuid:$(cat /proc/sys/kernel/random/uuid)" classificationScheme="urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f" classifiedObject="urn:uuid:$de" nodeRepresentation="N"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>2.16.840.1.113883.5.25</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value="Normal"/></rim:Name></rim:Classification>
   <rim:Classification id="urn:uuid:$(cat /proc/sys/kernel/random/uuid)" classificationScheme="urn:uuid:f0306f51-975f-434e-a61c-c59651d33983" classifiedObject="urn:uuid:$de" nodeRepresentation="CERT_DECL"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>1.2.250.1.213.1.1.4.12</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value="Certificat, déclaration"/></rim:Name></rim:Classification>
   <rim:ExternalIdentifier id="urn:uuid:$(cat /proc/sys/kernel/random/uuid)" registryObject="urn:uuid:$de" identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427" value="279035121518989^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.patientId"/></rim:Name></rim:ExternalIdentifier>
   <rim:ExternalIdentifier id="urn:uuid:$(cat /proc/sys/kernel/random/uuid)" registryObject="urn:uuid:$de" identificationScheme="urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab" value="1.2.250.1.213.1.1.1.5.2.12345.2"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.uniqueId"/></rim:Name></rim:ExternalIdentifier>
  </rim:ExtrinsicObject>
  <rim:Association id="urn:uuid:$(cat /proc/sys/kernel/random/uuid)" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" sourceObject="urn:uuid:$ss" targetObject="urn:uuid:$de"><rim:Slot name="SubmissionSetStatus"><rim:ValueList><rim:Value>Original</rim:Value></rim:ValueList></rim:Slot></rim:Association>
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
	(cd "$d" && zip -q -r -X -6 "$out" INDEX.HTM README.TXT IHE_XDM)
}

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000 )); }

# Standard tools.
start=$(date +%s%N)
for i in $(seq "$N"); do
	build_with_tools "$WORK/t$i" "$WORK/t$i.zip"
done
tools_us=$(( $(ms_since "$start") / N ))

# Our writer: Go benchmark (ns/op), and the CLI as a process for reference.
cd "$ROOT"
go_ns=$(go test -run '^$' -bench '^BenchmarkWrite$' -benchtime "${N}x" ./mssante/xdm | awk '/^BenchmarkWrite/ {print $3}')
go_us=$(( go_ns / 1000 ))
echo "iterations:              $N"
echo "standard tools:          ${tools_us} µs per archive ($(stat -c %s "$WORK/t1.zip") bytes)"
echo "xdm.Write (Go bench):    ${go_us} µs per archive"
awk -v t="$tools_us" -v g="$go_us" 'BEGIN { printf "ratio tools/xdm.Write:   %.1fx\n", t/g }'

# The CLI as a process (needs the whole of cmd/mss to build).
if go build -o "$WORK/mss" ./cmd/mss 2>/dev/null; then
	start=$(date +%s%N)
	for i in $(seq "$N"); do
		"$WORK/mss" xdm build --cda "$CDA" --sender-name "Centre de santé du Belvédère" --sender-id 1120456791 -o "$WORK/m$i.zip" >/dev/null
	done
	cli_us=$(( $(ms_since "$start") / N ))
	echo "mss xdm build (process): ${cli_us} µs per archive ($(stat -c %s "$WORK/m1.zip") bytes)"
	awk -v t="$tools_us" -v c="$cli_us" 'BEGIN { printf "ratio tools/mss CLI:     %.1fx\n", t/c }'
	"$WORK/mss" xdm verify "$WORK/t1.zip" >/dev/null && echo "the tools' archive verifies with mss xdm verify"
else
	echo "cmd/mss does not build right now: CLI not measured"
fi
