#!/usr/bin/env bash
# `mss message build` against Python's standard email package building the
# same message (multipart/mixed, a text body, a PDF in base64) and writing it
# to a file, process against process, with PDFs of random content of 1 MiB
# and 20 MiB: peak RSS, CPU and wall time of each.
#
# usage: bench/message/compare.sh       (from anywhere)
# env:   ROUNDS (default 5), REPS (runs per measurement for the 1 MiB PDF,
#        default 5; the 20 MiB one runs once), QUICK=1 (the 1 MiB PDF,
#        2 rounds), BENCH_RESULTS=FILE
# See bench/README.md for the contract this script follows.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
bench_need go python3 /usr/bin/time

ROUNDS=$(bench_rounds 5)
REPS=${REPS:-5}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
load_start=$(bench_load)

echo "building cmd/mss" >&2
go build -o "$W/mss" ./cmd/mss

CASES=(1mib)
declare -A SIZE=([1mib]=1048576 [20mib]=20971520) NREPS=([1mib]=$REPS [20mib]=1)
declare -A DESC=([1mib]="1 MiB PDF" [20mib]="20 MiB PDF")
[[ -n ${QUICK:-} ]] || CASES+=(20mib)
for c in "${CASES[@]}"; do
	mkdir -p "$W/$c"
	go run ./bench/message/genpdf -size "${SIZE[$c]}" -o "$W/$c/compte-rendu.pdf"
done

SIDES=(mss python)
declare -A LABEL=(
	[mss]="\`mss message build\`"
	[python]="Python \`email\` (EmailMessage, BytesGenerator)"
)

# side_cmd CASE SIDE: the command of one side in CMD (one run).
side_cmd() {
	local c=$1 s=$2
	case $s in
	mss)
		CMD=("$W/mss" message build --from dpi@hopital-test.mssante.fr --type APP
			--entity 'Hôpital Test – DPI' --nil DEV000000 --to dr.durand@medecin-test.mssante.fr
			--subject 'Compte rendu' --text 'Bonjour, veuillez trouver le compte rendu ci-joint.'
			--attach "$W/$c/compte-rendu.pdf" -o "$W/$c/mss.eml")
		;;
	python) CMD=(python3 bench/message/build_email.py "$W/$c/compte-rendu.pdf" "$W/$c/python.eml") ;;
	esac
}

# Both sides must write a message whose PDF part decodes to the PDF.
for c in "${CASES[@]}"; do
	for s in "${SIDES[@]}"; do
		side_cmd "$c" "$s"
		"${CMD[@]}" >/dev/null
		python3 bench/message/check_eml.py "$W/$c/$s.eml" "$W/$c/compte-rendu.pdf" || exit 1
	done
done

for ((r = 0; r < ROUNDS; r++)); do
	echo "round $((r + 1))/$ROUNDS" >&2
	for c in "${CASES[@]}"; do
		while read -r s; do
			side_cmd "$c" "$s"
			bench_time_n "$W/$c-$s.t" "${NREPS[$c]}" "${CMD[@]}"
		done < <(bench_rotate "$r" "${SIDES[@]}")
	done
done
load_end=$(bench_load)


cat <<EOF
## Message: \`mss message build\` against Python's \`email\` package

Process against process: \`mss message build\` (the CLI, built once with \`go build\`) writing a
message with a text body and a PDF attached (\`--attach\`) to a file, against
\`bench/message/build_email.py\`, the same message built with Python's standard \`email\` package
(\`EmailMessage\`, \`add_attachment\`, \`BytesGenerator\` to a file), $(python3 -V 2>&1). The PDFs are
one-page PDFs padded with random bytes (\`bench/message/genpdf\`), which base64 cannot shrink. Both
messages are checked to carry the PDF intact. $ROUNDS rounds, the sides interleaved in an order
rotated every round; for the 1 MiB PDF each measurement is a shell loop of ${NREPS[1mib]} runs (each its own
process) divided by ${NREPS[1mib]}; median (min–max) of the rounds. Machine: $(bench_machine). Load
average $load_start at the start, $load_end at the end. Reproduce: \`bench/message/compare.sh\`
(ROUNDS=$ROUNDS REPS=$REPS). No issue sets a target for this comparison; ratios are Python's figure
divided by ours.
EOF
for c in "${CASES[@]}"; do
	echo
	echo "**${DESC[$c]} ($(stat -c %s "$W/$c/compte-rendu.pdf") bytes; message $(stat -c %s "$W/$c/mss.eml") bytes)**"
	echo
	echo "| side | CPU ms | wall ms | peak RSS MiB |"
	echo "|---|---|---|---|"
	declare -A MED=()
	for s in "${SIDES[@]}"; do
		t=$W/$c-$s.t
		read -r cm clo chi n <<<"$(bench_col "$t" 2 1000)"
		read -r wm wlo whi _ <<<"$(bench_col "$t" 1 1000)"
		read -r rm rlo rhi _ <<<"$(bench_col "$t" 3 0.0009765625)"
		MED[$s-cpu]=$cm MED[$s-wall]=$wm MED[$s-rss]=$rm
		bench_result message "$c" "$s" cpu_ms "$cm" "$clo" "$chi" "$n"
		bench_result message "$c" "$s" wall_ms "$wm" "$wlo" "$whi" "$n"
		bench_result message "$c" "$s" rss_mib "$rm" "$rlo" "$rhi" "$n"
		printf '| %s | %s | %s | %s |\n' "${LABEL[$s]}" \
			"$(bench_cell %.0f "$cm" "$clo" "$chi")" "$(bench_cell %.0f "$wm" "$wlo" "$whi")" \
			"$(bench_cell %.1f "$rm" "$rlo" "$rhi")"
	done
	rc=$(bench_ratio "${MED[python-cpu]}" "${MED[mss-cpu]}")
	rw=$(bench_ratio "${MED[python-wall]}" "${MED[mss-wall]}")
	rr=$(bench_ratio "${MED[python-rss]}" "${MED[mss-rss]}")
	bench_result message "$c" python cpu_ratio "$rc" "$rc" "$rc" "$n"
	bench_result message "$c" python wall_ratio "$rw" "$rw" "$rw" "$n"
	bench_result message "$c" python rss_ratio "$rr" "$rr" "$rr" "$n"
	printf '| ratio Python ÷ ours | %s× | %s× | %s× |\n' "$rc" "$rw" "$rr"
done
