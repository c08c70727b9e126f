#!/usr/bin/env bash
# bench/gobench/compare.sh: the SDK's Go benchmarks, library code in process,
# as one Markdown fragment (the contract of bench/README.md).
#
# Each package's test binary is built once; then ROUNDS rounds (default 5),
# every package's benchmarks once per round in an order rotated from round to
# round, with -benchmem and a -benchtime chosen per benchmark. Each figure is
# the median (min–max) of the rounds. Also: the full chain (BenchmarkChain)
# as a ratio of the send of the same message pre-encoded
# (BenchmarkChainPrebuilt), and the targets the issues set, met or not.
# Parses `go test` output with awk: benchstat is not needed.
#
# Environment: ROUNDS=N; QUICK=1 (2 rounds, 1 iteration or 10 ms per
# benchmark, 20,000 directory rows: a smoke test); BENCH_RESULTS=FILE (JSON
# lines); GOBENCH_ONLY="cda mssante" (only these packages); ANNUAIRE_BENCH_FILE
# (an extraction to load instead of the generated 550,000 rows).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bench_need go awk
# The command that reproduces this run, with the variables it was given.
repro=""
for v in QUICK ROUNDS GOBENCH_ONLY ANNUAIRE_BENCH_FILE; do
	[[ -z ${!v:-} ]] || repro+="$v=\"${!v}\" "
done
repro+="bash bench/gobench/compare.sh"
rounds=$(bench_rounds 5)
load_start=$(bench_load)

# package|benchmark (without "Benchmark")|-benchtime|what it measures
specs=(
	"ins|Parse|0.3s|parse and check a valid INS matricule"
	"cda|BuildLevel1|100x|build a level 1 CDA around a 1 MiB PDF, to io.Discard"
	"cda|ReadHeader|200x|read the header of the largest official example (IPS-FR, 1.5 MB); stops at the body"
	"cda|ValidateLargest|10x|validate IPS-FR whole: the kit's and the SDK's header rules, the body read to its end"
	"cda|ValidateLargestHeader|200x|validate the header of IPS-FR only (what the official kit checks)"
	"cda|ValidateN1|50x|validate the official level 1 example N1 (448 kB), its PDF decoded"
	"cda|BodyLevel1|50x|parse a level 1 CDA and extract its 1 MiB PDF"
	"mssante/xdm|Write|30x|write an IHE_XDM.ZIP holding one 1 MB level 1 CDA"
	"mssante/xdm|Verify|10x|read and verify the largest official archive (2.0 MB)"
	"mssante/xdm|VerifyAllOfficial|3x|read and verify the 54 official archives, all in one op"
	"mssante|ComposeWithXDM|20x|compose a message from a ready level 1 CDA (1 MiB PDF of random content): archive, MIME, written out"
	"mssante|ComposeFromPDF|20x|the same from the PDF's bytes: the CDA built in the loop (the chain without SMTP)"
	"mssante|WriteTo|100x|write a message whose archive and PDF are attached: the MIME writer alone"
	"mssante|Read|20x|read that message back (2.9 MB): MIME, base64, the archive verified, the patient"
	"mssante|Chain|20x|the whole chain: 1 MiB PDF bytes → CDA → XDM → MIME → SMTP wire"
	"mssante|ChainPrebuilt|20x|the chain's baseline: the same message sent as pre-encoded bytes"
	"msc|ClassifyDSN|300x|classify an RFC 3464 bounce in French (2.4 KB)"
	"msc|IsClosing|0.3s|tell whether a message closes a Mon Espace Santé conversation"
	"msc|PolicyCheck|0.3s|check a message to a patient and two professionals against the policy"
	"annuaire|LoadIndex|5x|load and index a directory extraction (@ROWS@)"
	"annuaire|LookupAddress|0.3s|look up a mailbox by address (case-insensitive)"
	"annuaire|SearchName|0.3s|search a 4-letter last-name prefix, 20 results"
	"mssante/mssantetest|Start|200x|start and close the embedded test operator (keys already made)"
	"mssante/mssantetest|Submit|200x|submit one 10 kB message on an open STARTTLS session, delivered"
)

# The issues' targets: package|benchmark|metric|op|bound|target, as written.
# Judged on the median. "B/op÷MiB" is B/op over the 1 MiB PDF of the input.
targets=(
	"ins|Parse|ns/op|<|100|INS parse < 100 ns (#2)"
	"ins|Parse|allocs/op|==|0|INS parse, 0 allocs (#2)"
	"cda|BuildLevel1|B/op÷MiB|<|3|CDA build memory < 3× the PDF (#3)"
	"mssante/xdm|VerifyAllOfficial|ns/op|<|1e9|the 54 official archives in < 1 s (#4)"
	"mssante|ComposeWithXDM|alloc-x-pdf|<|4|compose memory < 4× the PDF (#5), from a ready CDA"
	"mssante|ComposeFromPDF|alloc-x-pdf|<|4|compose memory < 4× the PDF (#5), from the PDF, not sent"
	"mssante|Chain|alloc-x-pdf|<|4|compose memory < 4× the PDF (#5), the whole chain from the PDF"
	"annuaire|LoadIndex|ns/op|<=|1e9|load 550,000 rows in ≤ 1.0 s wall on 2 cores (#18)"
	"annuaire|LoadIndex|heapB/row|<=|200|directory heap ≤ 200 B a row (#18)"
	"annuaire|LookupAddress|cpu-ns/op|<=|300|lookup ≤ 300 ns (#6, #18)"
	"annuaire|LookupAddress|allocs/op|==|0|lookup, 0 allocs (#6, #18)"
	"annuaire|SearchName|cpu-ns/op|<=|50000|name search ≤ 50 µs (#6, #18)"
)

# stats PKG NAME UNIT: "median min max n" of that figure over the rounds.
stats() { awk -v p="$1" -v b="$2" -v u="$3" '$1 == p && $2 == b && $3 == u { print $4 }' "$raw" | bench_stats; }

# cell KIND MEDIAN MIN MAX: a figure with its unit, "median (min–max)", or the
# value alone when the rounds agree. KIND: time (ns), bytes, count, x (a
# ratio), plain.
cell() {
	awk -v k="$1" -v m="$2" -v lo="$3" -v hi="$4" '
	function sig(x) { return x == 0 ? "0" : x >= 1000 ? group(x) : x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x) }
	function group(x,   s) {
		s = sprintf("%.0f", x)
		while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
		return s
	}
	BEGIN {
		if (m == "nan") { print "—"; exit }
		d = 1; u = ""
		if (k == "time") {
			u = " ns"
			if (m >= 1e9) { d = 1e9; u = " s" } else if (m >= 1e6) { d = 1e6; u = " ms" } else if (m >= 1e3) { d = 1e3; u = " µs" }
		} else if (k == "bytes") {
			u = " B"
			if (m >= 1048576) { d = 1048576; u = " MiB" } else if (m >= 1024) { d = 1024; u = " KiB" }
		}
		if (k == "count") { a = group(m); b = group(lo); c = group(hi) } else { a = sig(m / d); b = sig(lo / d); c = sig(hi / d) }
		if (k == "x") u = "×"
		if (b == c) printf "%s%s", a, u; else printf "%s%s (%s–%s)", a, u, b, c
	}'
}

# metric: the JSON name of a Go benchmark unit.
metric() {
	case $1 in
	ns/op) echo wall_ns_per_op ;;
	cpu-ns/op) echo cpu_ns_per_op ;;
	B/op) echo bytes_per_op ;;
	allocs/op) echo allocs_per_op ;;
	*) echo "$1" | tr '[:upper:]' '[:lower:]' | sed 's,/,_per_,g; s/[^a-z0-9_]/_/g' ;;
	esac
}

selected() { [[ -z ${GOBENCH_ONLY:-} || " $GOBENCH_ONLY " == *" $1 "* ]]; }

if [[ -n ${QUICK:-} ]]; then
	rows=20000
else
	rows=550000
fi
rowsdesc=""
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Groups: one run of a test binary per package and -benchtime, every round.
declare -A regex
groups=()
pkgs=()
for s in "${specs[@]}"; do
	IFS='|' read -r pkg name bt _ <<<"$s"
	selected "$pkg" || continue
	if [[ -n ${QUICK:-} ]]; then
		[[ $bt == *x ]] && bt=1x || bt=0.01s
	fi
	key="$pkg $bt"
	if [[ -z ${regex[$key]:-} ]]; then
		groups+=("$key")
		regex[$key]=$name
	else
		regex[$key]+="|$name"
	fi
	[[ " ${pkgs[*]} " == *" $pkg "* ]] || pkgs+=("$pkg")
done
((${#groups[@]})) || { echo "gobench: GOBENCH_ONLY selects no package" >&2; exit 2; }

for pkg in "${pkgs[@]}"; do
	echo "gobench: building the test binary of ./$pkg" >&2
	go test -c -o "$work/${pkg//\//_}.test" "./$pkg"
done
# The directory's extraction, generated once for every round.
if [[ -n ${ANNUAIRE_BENCH_FILE:-} ]]; then
	rowsdesc="\$ANNUAIRE_BENCH_FILE, $(du -h "$ANNUAIRE_BENCH_FILE" | cut -f1)"
	rows=0
elif [[ " ${pkgs[*]} " == *" annuaire "* ]]; then
	echo "gobench: generating a $rows-row directory extraction" >&2
	go run ./bench/annuaire/gen -n "$rows" -seed 1 >"$work/extraction.txt"
	export ANNUAIRE_BENCH_FILE=$work/extraction.txt
	rowsdesc="$(cell count "$rows" "$rows" "$rows") rows, $(awk -v s="$(stat -c %s "$ANNUAIRE_BENCH_FILE")" 'BEGIN { printf "%.1f MB", s / 1e6 }'), \`go run ./bench/annuaire/gen -n $rows -seed 1\`"
fi

# raw: "package benchmark unit value round", one line per figure of a run.
raw=$work/raw
: >"$raw"
for ((r = 0; r < rounds; r++)); do
	while read -r key; do
		pkg=${key% *}
		bt=${key#* }
		out=$work/out
		if ! (cd "$pkg" && "$work/${pkg//\//_}.test" -test.run '^$' -test.bench "^Benchmark(${regex[$key]})\$" \
			-test.benchmem -test.count 1 -test.benchtime "$bt") </dev/null >"$out" 2>&1; then
			echo "gobench: the benchmarks of ./$pkg failed:" >&2
			tail -20 "$out" >&2
			exit 1
		fi
		awk -v pkg="$pkg" -v r="$r" '/^Benchmark/ {
			name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
			for (i = 3; i < NF; i += 2) print pkg, name, $(i + 1), $i, r
		}' "$out" >>"$raw"
		grep -v '^Benchmark\|^goos:\|^goarch:\|^pkg:\|^cpu:\|^PASS$' "$out" >>"$work/log" || true
	done < <(bench_rotate "$r" "${groups[@]}")
	echo "gobench: round $((r + 1))/$rounds done, load $(bench_load)" >&2
	if ((r == 0)); then
		missing=()
		for s in "${specs[@]}"; do
			IFS='|' read -r pkg name _ <<<"$s"
			selected "$pkg" || continue
			awk -v p="$pkg" -v b="$name" '$1 == p && $2 == b && $3 == "ns/op" { f = 1 } END { exit !f }' "$raw" ||
				missing+=("$pkg.Benchmark$name")
		done
		if ((${#missing[@]})); then
			echo "gobench: these benchmarks did not run (missing, renamed or skipped): ${missing[*]}; what go test said besides:" >&2
			tail -20 "$work/log" >&2
			exit 1
		fi
	fi
done
load_end=$(bench_load)

std=" ns/op cpu-ns/op B/op allocs/op "
cat <<EOF
## Go benchmarks

The SDK's own Go benchmarks (\`go test -bench\`): library code in process, with no other side. Each package's
test binary was built once and run $rounds rounds with \`-benchmem\`, every package once per round in an order rotated
from round to round, so that what else the machine did fell on all alike. Each figure is the median (min–max) of
the rounds; in each round a benchmark runs for its \`-benchtime\` (iterations, or a duration). ns/op is wall time;
cpu-ns/op, where a benchmark reports it, is the CPU time of the process per op (user + system, \`getrusage\`, all
goroutines), which depends less on the machine's load; B/op and allocs/op come from \`-benchmem\`; alloc-x-pdf is
the bytes allocated per op over the size of the PDF the message carries. Load average $load_start at the start,
$load_end at the end. Reproduce: \`$repro\` (\`ROUNDS=N\`; \`GOBENCH_ONLY="cda mssante"\` for some packages);
one benchmark alone: \`go test -run '^\$' -bench '^BenchmarkParse\$' -benchmem ./ins\`.
EOF
[[ -z ${QUICK:-} ]] || echo "
**QUICK=1: one iteration or 10 ms per benchmark, a small directory, 2 rounds: a smoke test, not a measurement.**"
echo
echo "| benchmark | what it measures | -benchtime | ns/op | cpu-ns/op | B/op | allocs/op | other metrics |"
echo "|---|---|---|---|---|---|---|---|"
for s in "${specs[@]}"; do
	IFS='|' read -r pkg name bt what <<<"$s"
	selected "$pkg" || continue
	[[ -z ${QUICK:-} ]] || { [[ $bt == *x ]] && bt=1x || bt=0.01s; }
	row="| \`${pkg##*/}.Benchmark$name\` | ${what/@ROWS@/$rowsdesc} | $bt"
	for u in ns/op cpu-ns/op B/op allocs/op; do
		read -r m lo hi n < <(stats "$pkg" "$name" "$u")
		case $u in *ns/op) k="time" ;; B/op) k=bytes ;; *) k=count ;; esac
		row+=" | $(cell "$k" "$m" "$lo" "$hi")"
		[[ $n == 0 ]] || bench_result gobench "$pkg.$name" sdk "$(metric "$u")" "$m" "$lo" "$hi" "$n"
	done
	others=()
	while read -r u; do
		read -r m lo hi n < <(stats "$pkg" "$name" "$u")
		others+=("$(cell plain "$m" "$lo" "$hi") $u")
		bench_result gobench "$pkg.$name" sdk "$(metric "$u")" "$m" "$lo" "$hi" "$n"
	done < <(awk -v p="$pkg" -v b="$name" -v std="$std" '$1 == p && $2 == b && index(std, " " $3 " ") == 0 && !seen[$3]++ { print $3 }' "$raw")
	joined=$(printf '%s; ' "${others[@]}")
	echo "$row | ${joined%; } |"
done

# The chain against its baseline, round by round (both ran in the same process
# one after the other, each round).
if selected mssante; then
	ratios() { # UNIT: "median min max n" of Chain / ChainPrebuilt over the rounds
		awk -v u="$1" '$1 == "mssante" && $3 == u && $2 == "Chain" { c[$5] = $4 }
			$1 == "mssante" && $3 == u && $2 == "ChainPrebuilt" { p[$5] = $4 }
			END { for (r in c) if (p[r] > 0) print c[r] / p[r] }' "$raw" | bench_stats
	}
	cat <<EOF

### The chain, beside sending the same message already encoded

\`BenchmarkChain\` times what a vendor's program does for each document: from the bytes of a 1 MiB PDF to the CDA,
the IHE_XDM.ZIP, the MIME message and the bytes on the SMTP wire, as one chain with its allocations counted.
\`BenchmarkChainPrebuilt\` sends the bytes of the same message, encoded beforehand, over the same SMTP path: the
cost a sender pays anyway. The ratio is taken round by round (both in the same process, one after the other).

| | CPU per message | wall per message | allocated, × the PDF |
|---|---|---|---|
EOF
	for name in Chain ChainPrebuilt; do
		read -r cm clo chi _ < <(stats mssante "$name" cpu-ns/op)
		read -r wm wlo whi _ < <(stats mssante "$name" ns/op)
		read -r am alo ahi _ < <(stats mssante "$name" alloc-x-pdf)
		echo "| \`Benchmark$name\` | $(cell time "$cm" "$clo" "$chi") | $(cell time "$wm" "$wlo" "$whi") | $(cell x "$am" "$alo" "$ahi") |"
	done
	read -r cm clo chi cn < <(ratios cpu-ns/op)
	read -r wm wlo whi wn < <(ratios ns/op)
	echo "| **ratio, chain ÷ prebuilt** | **$(cell x "$cm" "$clo" "$chi")** | $(cell x "$wm" "$wlo" "$whi") | |"
	[[ $cn == 0 ]] || bench_result gobench mssante.Chain chain/prebuilt ratio_cpu "$cm" "$clo" "$chi" "$cn"
	[[ $wn == 0 ]] || bench_result gobench mssante.Chain chain/prebuilt ratio_wall "$wm" "$wlo" "$whi" "$wn"
fi

cat <<'EOF'

### Targets set by the issues

Judged on the median of the rounds.

| target (issue) | benchmark | figure | |
|---|---|---|---|
EOF
for t in "${targets[@]}"; do
	IFS='|' read -r pkg name u op bound label <<<"$t"
	selected "$pkg" || continue
	note=""
	src=$u
	if [[ $u == alloc-x-pdf ]] && ! awk -v p="$pkg" -v b="$name" '$1 == p && $2 == b && $3 == "alloc-x-pdf" { f = 1 } END { exit !f }' "$raw"; then
		src="B/op÷MiB" # a benchmark that does not report alloc-x-pdf: its PDF is 1 MiB
	fi
	if [[ $src == "B/op÷MiB" ]]; then
		read -r m lo hi n < <(stats "$pkg" "$name" B/op)
		read -r m lo hi < <(awk -v a="$m" -v b="$lo" -v c="$hi" 'BEGIN { print a / 1048576, b / 1048576, c / 1048576 }')
		note=" the PDF (B/op ÷ its 1 MiB)"
		kind=x
	else
		read -r m lo hi n < <(stats "$pkg" "$name" "$u")
		case $u in *ns/op) kind="time" ;; B/op) kind=bytes ;; allocs/op) kind=count ;; alloc-x-pdf) kind=x note=" the PDF" ;; *) kind=plain ;; esac
	fi
	if [[ $name == LoadIndex && $rows != 550000 ]]; then
		fig=$(cell "$kind" "$m" "$lo" "$hi")
		[[ $kind != plain ]] || fig="$fig $u"
		verdict="not judged: not the 550,000-row extraction"
	elif [[ $n == 0 ]]; then
		fig="not reported"
		verdict="**not measured**"
	else
		fig=$(cell "$kind" "$m" "$lo" "$hi")
		[[ $kind != plain ]] || fig="$fig $u"
		if awk -v m="$m" -v op="$op" -v b="$bound" 'BEGIN { b += 0; exit !((op == "<" && m < b) || (op == "<=" && m <= b) || (op == "==" && m == b)) }'; then
			verdict="**met**"
		else
			verdict="**not met**"
		fi
	fi
	# "2.99× the PDF (2.98–3.01)": the note after the median, before the spread.
	[[ -z $note || $fig != *×* ]] || fig=${fig/×/×$note}
	echo "| $label | \`${pkg##*/}.Benchmark$name\` | $fig | $verdict |"
done
