#!/usr/bin/env bash
# The official CDA "Structuration minimale" kit (the ANS StrucMin schematron,
# compiled to XSLT, run by Saxon-HE in Java) against our validator, process
# against process, per document: the largest official structured example
# (IPS-FR) and the official level 1 example (N1). Two baselines: one run of
# the kit for the document (what checking one document with the official
# validator costs), and the marginal cost of one more document in a running
# kit batch ((T(K copies) - T(1)) / (K - 1), one JVM each). Our side:
# `mss cda validate` (the whole document) and bench/cda/validate
# -header-only (the header, what the kit's rules read), as processes, alone
# and in a batch of K.
#
# usage: bench/cda/compare.sh           (from anywhere)
# env:   ROUNDS (default 5), K (batch size, default 21), REPS (runs of our
#        side per measurement, default 20), QUICK=1 (N1 only, K=3, 2 rounds),
#        BENCH_RESULTS=FILE
# See bench/README.md for the contract this script follows.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
bench_need go java xmllint python3 /usr/bin/time

ROUNDS=$(bench_rounds 5)
REPS=${REPS:-20}
if [[ -n ${QUICK:-} ]]; then K=${K:-3}; else K=${K:-21}; fi
((K >= 2)) || {
	echo "$0: K must be at least 2" >&2
	exit 2
}
EXAMPLES=../shared/testdata/cda/examples
[[ -d $EXAMPLES ]] || {
	echo "$0: $EXAMPLES is missing (the official examples; see ../shared/testdata/README.md)" >&2
	exit 2
}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
load_start=$(bench_load)

echo "building cmd/mss and bench/cda/validate; finding the compiled kit" >&2
go build -o "$W/mss" ./cmd/mss
go build -o "$W/validate" ./bench/cda/validate
kit=$(go run ./bench/cda/kit) || exit
IFS=$'\t' read -r KITDIR JAVA JAR <<<"$kit"
SAXON_VERSION=$(basename "$(readlink -f "$JAR")" .jar)
JAVA_VERSION=$("$JAVA" -version 2>&1 | head -1)

DOCS=(n1)
declare -A FILE=([n1]=DOC_NON_STRUCTURE_CDA-R2-N1.xml [ips]=IPS-FR_2024.01.xml)
declare -A DESC=([n1]="official level 1 example" [ips]="largest official example, structured")
[[ -n ${QUICK:-} ]] || DOCS=(ips n1)
for d in "${DOCS[@]}"; do
	mkdir -p "$W/$d/batch" "$W/$d/out"
	cp "$EXAMPLES/${FILE[$d]}" "$W/$d/one.xml"
	for ((i = 1; i <= K; i++)); do
		cp "$W/$d/one.xml" "$W/$d/batch/$(printf %02d "$i")-${FILE[$d]}"
	done
done

SIDES=(kit1 kitK mss1 mssK val1 valK hdr1 hdrK)

# run_side DOC SIDE: one measurement of a side, appended to $W/DOC-SIDE.t.
run_side() {
	local d=$1 s=$2 t=$W/$1-$2.t
	case $s in
	kit1) bench_time "$t" env -C "$KITDIR" "$JAVA" -cp "$JAR" net.sf.saxon.Transform \
		-s:"$W/$d/one.xml" -xsl:StrucMin.xsl -o:"$W/$d/one.svrl" ;;
	kitK) bench_time "$t" env -C "$KITDIR" "$JAVA" -cp "$JAR" net.sf.saxon.Transform \
		-s:"$W/$d/batch" -xsl:StrucMin.xsl -o:"$W/$d/out" ;;
	mss1) bench_time_n "$t" "$REPS" "$W/mss" cda validate "$W/$d/one.xml" ;;
	mssK) bench_time_n "$t" 3 "$W/mss" cda validate "$W/$d"/batch/*.xml ;;
	val1) bench_time_n "$t" "$REPS" "$W/validate" "$W/$d/one.xml" ;;
	valK) bench_time_n "$t" 3 "$W/validate" "$W/$d"/batch/*.xml ;;
	hdr1) bench_time_n "$t" "$REPS" "$W/validate" -header-only "$W/$d/one.xml" ;;
	hdrK) bench_time_n "$t" 3 "$W/validate" -header-only "$W/$d"/batch/*.xml ;;
	esac
}

# svrl_ok FILE: the kit's report exists, fired rules and has no failed
# assert of role error.
svrl_ok() {
	local fired errors
	fired=$(xmllint --xpath 'count(//*[local-name()="fired-rule"])' "$1")
	errors=$(xmllint --xpath 'count(//*[local-name()="failed-assert"][@role="error"])' "$1")
	if ((fired == 0 || errors != 0)); then
		echo "$0: the kit's report $1 has $fired fired rules and $errors errors" >&2
		exit 1
	fi
}

for ((r = 0; r < ROUNDS; r++)); do
	echo "round $((r + 1))/$ROUNDS" >&2
	for d in "${DOCS[@]}"; do
		while read -r s; do
			run_side "$d" "$s"
		done < <(bench_rotate "$r" "${SIDES[@]}")
		svrl_ok "$W/$d/one.svrl"
		n=$(find "$W/$d/out" -type f | wc -l)
		((n == K)) || {
			echo "$0: the kit's batch wrote $n reports for $K documents" >&2
			exit 1
		}
		svrl_ok "$(find "$W/$d/out" -type f | head -1)"
	done
done
load_end=$(bench_load)

# col FILE N SCALE: "median min max n" of column N times SCALE.
col() { awk -v c="$2" -v k="$3" '{ print $c * k }' "$1" | bench_stats; }
# marginal DOC KIND N: "median min max n" over the rounds of
# (T(K) - T(1)) / (K - 1) in ms, column N, for KIND kit, mss or hdr.
marginal() {
	paste -d' ' "$W/$1-${2}K.t" "$W/$1-${2}1.t" |
		awk -v c="$3" -v k="$K" '{ print ($c - $(c + 3)) * 1000 / (k - 1) }' | bench_stats
}
# round RATIO: a ratio of 100 or more without decimals.
round() { awk -v r="$1" 'BEGIN { if (r == "n/a") print r; else if (r >= 100 || r <= -100) printf "%.0f", r; else print r }'; }
# cell M LO HI: bench_cell with a precision that suits the magnitude.
cell() {
	local f=%.2f
	awk -v m="$1" 'BEGIN { exit !(m >= 100 || m <= -100) }' && f=%.0f
	bench_cell "$f" "$1" "$2" "$3"
}

cat <<EOF
## CDA: the official kit against \`cda.Validate\`

Process against process, per document: the official "Structuration minimale" kit (the ANS StrucMin
schematron compiled once to XSLT by \`bench/cda/kit\` through package internal/cdakit, its J07 value
set supplied) run by $SAXON_VERSION in Java ($JAVA_VERSION) as a vendor would run it,
\`java -cp Saxon-HE.jar net.sf.saxon.Transform -s:DOC -xsl:StrucMin.xsl -o:REPORT\` (JVM start, loading
and compiling the 11 MB stylesheet, the transformation), against our validator as a process:
\`mss cda validate DOC\` (the whole document read, every rule of the kit and of the SDK), and
\`bench/cda/validate\`, a program that runs \`cda.Validate\` alone (without the CLI's start-up), on the
whole document and with \`-header-only\` (\`cda.Validate\` with \`HeaderOnly\`: the header, the part the
kit's rules read; the kit parses the whole document). The second baseline is the marginal cost of one
more document in a running kit, (T(K copies in one JVM) − T(1)) / (K − 1) with K = $K per round; ours
is measured the same way (one process over K files, 3 runs per measurement). Our single-document figures are a shell loop of
$REPS runs, each its own process, divided by $REPS. Every kit report has fired rules and no failed assert
of role error; our side exits 0 (no error-level finding). $ROUNDS rounds, the sides interleaved in an
order rotated every round; median (min–max) of the rounds. Machine: $(bench_machine). Load average
$load_start at the start, $load_end at the end. Reproduce: \`bench/cda/compare.sh\` (ROUNDS=$ROUNDS K=$K
REPS=$REPS); a marginal cost at or below zero is within the noise, and its ratio n/a. The target of issue 13 is "≥ 1,000× faster per document than a run of the kit", judged on the
CPU medians.
EOF

for d in "${DOCS[@]}"; do
	declare -A CPU=()
	echo
	echo "**\`${FILE[$d]}\`, ${DESC[$d]} ($(stat -c %s "$W/$d/one.xml") bytes)**"
	echo
	echo "| what | CPU ms | wall ms | peak RSS MiB |"
	echo "|---|---|---|---|"
	for row in "kit1|kit, one run for this document (JVM, stylesheet, one transformation)" \
		"kitM|kit, one more document in a running batch" \
		"mss1|\`mss cda validate\` (whole document), one process" \
		"mssM|\`mss cda validate\`, one more document in a batch" \
		"val1|whole document (\`validate\`), one process" \
		"valM|whole document (\`validate\`), one more document in a batch" \
		"hdr1|header check (\`validate -header-only\`), one process" \
		"hdrM|header check, one more document in a batch"; do
		s=${row%%|*} label=${row#*|}
		if [[ $s == *M ]]; then
			read -r cm clo chi n <<<"$(marginal "$d" "${s%M}" 2)"
			read -r wm wlo whi _ <<<"$(marginal "$d" "${s%M}" 1)"
			rss="—"
		else
			read -r cm clo chi n <<<"$(col "$W/$d-$s.t" 2 1000)"
			read -r wm wlo whi _ <<<"$(col "$W/$d-$s.t" 1 1000)"
			read -r rm rlo rhi _ <<<"$(col "$W/$d-$s.t" 3 0.0009765625)"
			bench_result cda "$d" "$s" rss_mib "$rm" "$rlo" "$rhi" "$n"
			rss=$(bench_cell %.1f "$rm" "$rlo" "$rhi")
		fi
		CPU[$s]=$cm
		bench_result cda "$d" "$s" cpu_ms "$cm" "$clo" "$chi" "$n"
		bench_result cda "$d" "$s" wall_ms "$wm" "$wlo" "$whi" "$n"
		printf '| %s | %s | %s | %s |\n' "$label" "$(cell "$cm" "$clo" "$chi")" "$(cell "$wm" "$wlo" "$whi")" "$rss"
	done
	echo
	echo "| ours | CPU ratio to a run of the kit | target ≥ 1,000× (#13) | CPU ratio to one more document in a running kit |"
	echo "|---|---|---|---|"
	for row in "hdr|header check (\`validate -header-only\`)" "val|whole document (\`validate\`)" \
		"mss|whole document (\`mss cda validate\`)"; do
		s=${row%%|*} label=${row#*|}
		run=$(bench_ratio "${CPU[kit1]}" "${CPU[${s}1]}")
		more=$(bench_ratio "${CPU[kitM]}" "${CPU[${s}M]}")
		# A marginal cost at or below zero is within the measurement's noise.
		if awk -v a="${CPU[kitM]}" -v b="${CPU[${s}M]}" 'BEGIN { exit !(a > 0 && b > 0) }'; then
			bench_result cda "$d" "$s" cpu_ratio_kit_batch "$more" "$more" "$more" "$n"
		else
			more=n/a
		fi
		bench_result cda "$d" "$s" cpu_ratio_kit_run "$run" "$run" "$run" "$n"
		verdict=$(awk -v r="$run" 'BEGIN { print (r != "n/a" && r >= 1000) ? "**met**" : "**not met**" }')
		[[ $more == n/a ]] || more="$(round "$more")×"
		printf '| %s | %s× | %s | %s |\n' "$label" "$(round "$run")" "$verdict" "$more"
	done
done
