#!/usr/bin/env bash
# Our IHE_XDM.ZIP writer against the archive built with standard tools,
# process against process: `mss xdm build` (built once) against
# bench/xdm/pipeline.sh (xmllint for the CDA header, sha1sum, stat,
# here-documents, zip), run as one `bash` process whose children GNU time
# counts. The pipeline runs at `zip -1` (the deflate level of our writer)
# and at `zip -6` (zip's default). Inputs: the CDA of the smallest and of
# the largest official archive of ../shared/testdata/xdm/ansforge, and a
# level 1 CDA around a 1 MiB PDF of random content.
#
# usage: bench/xdm/compare.sh            (from anywhere)
# env:   ROUNDS (default 7), REPS (runs of each side per measurement,
#        default 5), QUICK=1 (the small input, 2 rounds), BENCH_RESULTS=FILE
# See bench/README.md for the contract this script follows.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
bench_need go zip unzip xmllint sha1sum python3 /usr/bin/time

ROUNDS=$(bench_rounds 7)
REPS=${REPS:-5}
OFFICIAL=../shared/testdata/xdm/ansforge
[[ -d $OFFICIAL ]] || {
	echo "$0: $OFFICIAL is missing (the official archives; see ../shared/testdata/README.md)" >&2
	exit 2
}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
load_start=$(bench_load)

echo "building cmd/mss" >&2
go build -o "$W/mss" ./cmd/mss
SENDER=(--sender-name "Centre de santé du Belvédère" --sender-id 1120456791)

# The inputs: name, file, description.
CASES=()
declare -A FILE DESC
add_case() { CASES+=("$1"); FILE[$1]=$2; DESC[$1]=$3; }

# The CDA of an official archive, by zip size (ls -S: largest first).
official() {
	local which=$1 z
	# shellcheck disable=SC2012 # the official file names are plain
	if [[ $which == largest ]]; then
		z=$(ls -S "$OFFICIAL"/*.zip | head -1)
	else
		# shellcheck disable=SC2012
		z=$(ls -S "$OFFICIAL"/*.zip | tail -1)
	fi
	unzip -p "$z" IHE_XDM/SUBSET01/DOC0001.XML >"$W/$which.xml"
	basename "$z"
}

z=$(official smallest)
add_case small "$W/smallest.xml" "CDA of the smallest official archive, \`$z\` ($(stat -c %s "$W/smallest.xml") bytes)"
if [[ -z ${QUICK:-} ]]; then
	# A level 1 CDA around a 1 MiB PDF of random content (the header of
	# the tests' level 1 example, the PDF in base64).
	go run ./bench/message/genpdf -size 1048576 -o "$W/doc.pdf"
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
		base64 -w 76 "$W/doc.pdf"
		echo '</text></nonXMLBody></component>'
		echo '</ClinicalDocument>'
	} >"$W/level1.xml"
	add_case level1 "$W/level1.xml" "level 1 CDA around a 1 MiB PDF of random content ($(stat -c %s "$W/level1.xml") bytes)"
	z=$(official largest)
	add_case largest "$W/largest.xml" "CDA of the largest official archive, \`$z\` ($(stat -c %s "$W/largest.xml") bytes, structured, with an image)"
fi

SIDES=(mss zip1 zip6)
declare -A LABEL=(
	[mss]="\`mss xdm build\` (deflate level 1)"
	[zip1]="shell pipeline, \`zip -1\`"
	[zip6]="shell pipeline, \`zip -6\`"
)

# Both sides must build an archive that verifies.
for c in "${CASES[@]}"; do
	for s in "${SIDES[@]}"; do
		out=$W/$c-$s.zip
		case $s in
		mss) "$W/mss" xdm build --cda "${FILE[$c]}" "${SENDER[@]}" -o "$out" >/dev/null ;;
		zip1 | zip6) bash bench/xdm/pipeline.sh "${FILE[$c]}" "$out" "${s#zip}" ;;
		esac
		if ! "$W/mss" xdm verify --quiet "$out" >"$W/verify.txt" 2>&1; then
			echo "$0: the archive of $s on $c does not verify:" >&2
			cat "$W/verify.txt" >&2
			exit 1
		fi
	done
done

for ((r = 0; r < ROUNDS; r++)); do
	echo "round $((r + 1))/$ROUNDS" >&2
	# The start-up of the mss binary alone, for reference.
	bench_time_n "$W/start.t" "$REPS" "$W/mss" --help
	for c in "${CASES[@]}"; do
		while read -r s; do
			out=$W/$c-$s.zip
			case $s in
			mss) bench_time_n "$W/$c-$s.t" "$REPS" "$W/mss" xdm build --cda "${FILE[$c]}" "${SENDER[@]}" -o "$out" ;;
			zip1 | zip6) bench_time_n "$W/$c-$s.t" "$REPS" bash bench/xdm/pipeline.sh "${FILE[$c]}" "$out" "${s#zip}" ;;
			esac
		done < <(bench_rotate "$r" "${SIDES[@]}")
	done
done
load_end=$(bench_load)


cat <<EOF
## XDM: \`mss xdm build\` against a shell pipeline

Process against process: \`mss xdm build\` (the CLI, built once with \`go build\`) against the same
archive built by \`bench/xdm/pipeline.sh\`, run as one \`bash\` process: one
\`xmllint\` run for the header fields the metadata repeat, \`sha1sum\`, \`stat\`, uuids from /proc,
here-documents for METADATA.XML, INDEX.HTM and README.TXT, and \`zip\` at level 1 (our writer's
deflate level) and at level 6 (zip's default); GNU time counts the CPU of the pipeline's child
processes, and its peak RSS is that of the largest of them. Each
measurement is a shell loop of $REPS runs of one side, each run its own process, divided by $REPS;
$ROUNDS rounds, the sides interleaved in an order rotated every round; median (min–max) of the
rounds. Every archive of both sides verifies with \`mss xdm verify\`. Machine: $(bench_machine).
Load average $load_start at the start, $load_end at the end. Reproduce: \`bench/xdm/compare.sh\`
(ROUNDS=$ROUNDS REPS=$REPS). The earlier comparison of the warm in-process Go benchmark with some
25 process spawns per archive is withdrawn: it measured fork and exec rather than the building of
an archive.

The target of issue 4 is the ratio of CPU medians: "≥ 5× less time than the standard tools".
EOF
for c in "${CASES[@]}"; do
	read -r ours_cpu _ <<<"$(bench_col "$W/$c-mss.t" 2 1000)"
	echo
	echo "**${DESC[$c]}**"
	echo
	echo "| side | CPU ms per archive | wall ms | peak RSS MiB | archive bytes | CPU ratio to ours | target ≥ 5× (#4) |"
	echo "|---|---|---|---|---|---|---|"
	for s in "${SIDES[@]}"; do
		t=$W/$c-$s.t
		read -r cm clo chi n <<<"$(bench_col "$t" 2 1000)"
		read -r wm wlo whi _ <<<"$(bench_col "$t" 1 1000)"
		read -r rm rlo rhi _ <<<"$(bench_col "$t" 3 0.0009765625)"
		size=$(stat -c %s "$W/$c-$s.zip")
		bench_result xdm "$c" "$s" cpu_ms "$cm" "$clo" "$chi" "$n"
		bench_result xdm "$c" "$s" wall_ms "$wm" "$wlo" "$whi" "$n"
		bench_result xdm "$c" "$s" rss_mib "$rm" "$rlo" "$rhi" "$n"
		bench_result xdm "$c" "$s" archive_bytes "$size" "$size" "$size" 1
		if [[ $s == mss ]]; then
			ratio="—" verdict="—"
		else
			ratio=$(bench_ratio "$cm" "$ours_cpu")
			bench_result xdm "$c" "$s" cpu_ratio "$ratio" "$ratio" "$ratio" "$n"
			verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 5) ? "**met**" : "**not met**" }')
			ratio="${ratio}×"
		fi
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${LABEL[$s]}" \
			"$(bench_cell %.1f "$cm" "$clo" "$chi")" "$(bench_cell %.1f "$wm" "$wlo" "$whi")" \
			"$(bench_cell %.1f "$rm" "$rlo" "$rhi")" "$size" "$ratio" "$verdict"
	done
done
read -r sm slo shi n <<<"$(bench_col "$W/start.t" 2 1000)"
bench_result xdm startup mss cpu_ms "$sm" "$slo" "$shi" "$n"
echo
echo "Of our side's CPU, the start of the \`mss\` binary alone (\`mss --help\`, measured in the same rounds)"
echo "takes $(bench_cell %.1f "$sm" "$slo" "$shi") ms."
