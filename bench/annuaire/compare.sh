#!/usr/bin/env bash
# Start-to-answer of one address lookup in a generated extraction, process
# against process, for each way a vendor could do it:
#
#   sdk          mss annuaire lookup --extraction FILE --json ADDRESS
#   sqlite-mem   sqlite3 :memory:, .import, one NOCASE index, the query (JSON)
#                (the baseline: in memory, one index, like the SDK)
#   sqlite-disk  the same into a new on-disk database file
#   python       Python's csv module into a dict keyed by the lower-case
#                address, then the lookup (JSON)
#   cat          cat FILE > /dev/null (reading the file, nothing more; ten
#                runs under one timer, divided by ten)
#
# Each size is measured over ROUNDS rounds; in each round every tool runs
# once, in an order rotated from round to round (bench/lib.sh). Every tool but
# cat must find the address (case-insensitively), or the script fails.
# Stdout: one Markdown fragment (bench/README.md): wall time, CPU time (user +
# system) and peak RSS from GNU time, median (min–max), each tool beside
# sqlite-mem, and issue 18's targets at 550,000 rows.
#
#   bash bench/annuaire/compare.sh                      # 100k, 550k (5 rounds), 2M rows (3 rounds)
#   QUICK=1 bash bench/annuaire/compare.sh              # 100k rows, 2 rounds
#   SIZES="550000" ROUNDS=3 bash bench/annuaire/compare.sh
#   MSS_BEFORE=/tmp/mss-old bash bench/annuaire/compare.sh   # adds "sdk-before", an older mss
#
# ROUNDS, when set, applies to every size; otherwise sizes above 1,000,000
# rows get 3 rounds (ROUNDS_LARGE) so that the default run stays near 4
# minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh

REPRO=$(bench_repro bench/annuaire/compare.sh QUICK ROUNDS ROUNDS_LARGE SIZES TOOLS MSS_BEFORE)

bench_need go sqlite3 python3 /usr/bin/time
if [[ -n ${QUICK:-} ]]; then
	SIZES=${SIZES:-100000}
else
	SIZES=${SIZES:-"100000 550000 2000000"}
fi
rounds=$(bench_rounds 5)
ROUNDS_LARGE=${ROUNDS_LARGE:-3}
[[ -n ${ROUNDS:-} || -n ${QUICK:-} ]] && ROUNDS_LARGE=$rounds
TOOLS=${TOOLS:-"sdk sqlite-mem sqlite-disk python cat"}
if [[ -n ${MSS_BEFORE:-} ]]; then
	TOOLS="sdk-before $TOOLS"
fi
read -ra tools <<<"$TOOLS"
TARGET_ROWS=550000

DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
echo "compare.sh: building mss and the generator" >&2
go build -o "$DIR/mss" ./cmd/mss
go build -o "$DIR/gen" ./bench/annuaire/gen

cat >"$DIR/lookup.py" <<'PY'
import csv, json, sys
path, address = sys.argv[1], sys.argv[2]
with open(path, newline="", encoding="utf-8", errors="replace") as f:
    r = csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE)
    header = next(r)
    col = header.index("Adresse BAL")
    index = {}
    for row in r:
        if len(row) > col and row[col]:
            index.setdefault(row[col].lower(), row)
row = index.get(address.lower())
print(json.dumps([dict(zip(header, row))] if row else [], ensure_ascii=False))
sys.exit(0 if row else 1)
PY

# run TOOL FILE ADDRESS OUT: one timed run of TOOL, its "wall cpu rss_kib"
# appended to $DIR/times-TOOL, its output in $DIR/out.
run() {
	local tool=$1 file=$2 addr=$3 out=$DIR/times-$1
	case $tool in
	sdk) BENCH_STDOUT=$DIR/out bench_time "$out" "$DIR/mss" annuaire lookup --extraction "$file" --json "$addr" ;;
	sdk-before) BENCH_STDOUT=$DIR/out bench_time "$out" "$MSS_BEFORE" annuaire lookup --extraction "$file" --json "$addr" ;;
	sqlite-mem | sqlite-disk)
		local db=":memory:"
		if [[ $tool == sqlite-disk ]]; then
			db="$DIR/ext.db"
			rm -f "$db"
		fi
		cat >"$DIR/q.sql" <<SQL
.mode list
.separator "|" "\n"
.import $file ext
CREATE INDEX ext_addr ON ext("Adresse BAL" COLLATE NOCASE);
.mode json
SELECT * FROM ext WHERE "Adresse BAL" = '$addr' COLLATE NOCASE;
SQL
		BENCH_STDOUT=$DIR/out bench_time "$out" sqlite3 "$db" <"$DIR/q.sql"
		;;
	python) BENCH_STDOUT=$DIR/out bench_time "$out" python3 "$DIR/lookup.py" "$file" "$addr" ;;
	cat)
		: >"$DIR/out"
		# Ten runs under one timer: one is below GNU time's 10 ms resolution.
		BENCH_STDOUT=/dev/null bench_time_n "$out" 10 cat "$file"
		;;
	*)
		echo "compare.sh: unknown tool $tool" >&2
		return 1
		;;
	esac
}

# thousands N: N with commas between thousands (550,000).
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
# col TOOL COLUMN: the column (1 wall, 2 cpu, 3 rss_kib) of every run of TOOL.
col() { awk -v c="$2" '{ print $c }' "$DIR/times-$1"; }
# vs TOOL COLUMN: TOOL's COLUMN over sqlite-mem's, round by round.
vs() { paste -d' ' <(col "$1" "$2") <(col sqlite-mem "$2") | awk '$2 > 0 { print $1 / $2 }'; }

load_start=$(bench_load)
when_start=$(date -u '+%Y-%m-%d %H:%M')
body=$(mktemp)
trap 'rm -rf "$DIR" "$body"' EXIT
have_mem=""
[[ " ${tools[*]} " == *" sqlite-mem "* ]] && have_mem=1
rounds_said=""
for rows in $SIZES; do
	n=$rounds
	((rows > 1000000)) && n=$ROUNDS_LARGE
	rounds_said+="${rounds_said:+, }$n at $(thousands "$rows")"
	file="$DIR/ext-$rows.txt"
	echo "compare.sh: generating $rows rows" >&2
	"$DIR/gen" -n "$rows" -seed 1 >"$file"
	# An address from the middle of the file, with an upper-case letter:
	# every tool must find it case-insensitively.
	addr=$(awk -F'|' -v n=$((rows / 2)) 'NR > n && $2 != "" { print toupper(substr($2, 1, 1)) substr($2, 2); exit }' "$file")
	rm -f "$DIR"/times-*
	for ((r = 0; r < n; r++)); do
		while read -r tool; do
			echo "compare.sh: $rows rows, round $((r + 1))/$n, $tool" >&2
			run "$tool" "$file" "$addr"
			if [[ $tool != cat ]] && ! tr '[:upper:]' '[:lower:]' <"$DIR/out" | grep -qF "\"${addr,,}\""; then
				echo "compare.sh: $tool did not find $addr: $(head -c 300 "$DIR/out")" >&2
				exit 1
			fi
		done < <(bench_rotate "$r" "${tools[@]}")
	done
	{
		echo
		echo "### $(thousands "$rows") rows ($(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.1f MB", b / 1e6 }'))"
		echo
		echo "| tool | wall s | CPU s | peak RSS MiB | CPU vs sqlite-mem | peak RSS vs sqlite-mem |"
		echo "|---|---:|---:|---:|---:|---:|"
	} >>"$body"
	for tool in "${tools[@]}"; do
		read -r wm wlo whi wn < <(col "$tool" 1 | bench_stats)
		read -r cm clo chi cn < <(col "$tool" 2 | bench_stats)
		read -r mm mlo mhi mn < <(col "$tool" 3 | awk '{ print $1 / 1024 }' | bench_stats)
		case=$rows
		bench_result annuaire "$case" "$tool" wall_ms "$(awk -v a="$wm" 'BEGIN { print a * 1000 }')" \
			"$(awk -v a="$wlo" 'BEGIN { print a * 1000 }')" "$(awk -v a="$whi" 'BEGIN { print a * 1000 }')" "$wn"
		bench_result annuaire "$case" "$tool" cpu_ms "$(awk -v a="$cm" 'BEGIN { print a * 1000 }')" \
			"$(awk -v a="$clo" 'BEGIN { print a * 1000 }')" "$(awk -v a="$chi" 'BEGIN { print a * 1000 }')" "$cn"
		bench_result annuaire "$case" "$tool" rss_mib "$mm" "$mlo" "$mhi" "$mn"
		cv="—"
		rv="—"
		if [[ -n $have_mem && $tool != sqlite-mem && $tool != cat ]]; then
			read -r xm xlo xhi xn < <(vs "$tool" 2 | bench_stats)
			read -r ym ylo yhi yn < <(vs "$tool" 3 | bench_stats)
			cv="$(bench_cell %.2f "$xm" "$xlo" "$xhi")×"
			rv="$(bench_cell %.2f "$ym" "$ylo" "$yhi")×"
			bench_result annuaire "$case" "$tool/sqlite-mem" cpu_ratio "$xm" "$xlo" "$xhi" "$xn"
			bench_result annuaire "$case" "$tool/sqlite-mem" rss_ratio "$ym" "$ylo" "$yhi" "$yn"
		fi
		echo "| $tool | $(bench_cell %.2f "$wm" "$wlo" "$whi") | $(bench_cell %.2f "$cm" "$clo" "$chi") | $(bench_cell %.0f "$mm" "$mlo" "$mhi") | $cv | $rv |" >>"$body"
	done
	if ((rows == TARGET_ROWS)) && [[ " ${tools[*]} " == *" sdk "* ]]; then
		read -r wm wlo whi _ < <(col sdk 1 | bench_stats)
		read -r cm _ _ _ < <(col sdk 2 | bench_stats)
		read -r pm plo phi _ < <(col sdk 3 | awk '{ print $1 * 1024 / 1e6 }' | bench_stats)
		wv=$(awk -v m="$wm" 'BEGIN { print (m <= 1.0) ? "**met**" : "**not met**" }')
		pv=$(awk -v m="$pm" 'BEGIN { print (m <= 200) ? "**met**" : "**not met**" }')
		{
			echo
			echo "Targets of issue 18 at $(thousands "$rows") rows, \`mss annuaire lookup\` as a process (load, index and one"
			echo "lookup): load ≤ 1.0 s on 2 cores: wall $(bench_cell %.2f "$wm" "$wlo" "$whi") s (CPU $(printf %.2f "$cm") s), $wv;"
			echo "peak ≤ 200 MB: $(bench_cell %.0f "$pm" "$plo" "$phi") MB, $pv."
		} >>"$body"
	fi
	rm -f "$file" "$DIR/ext.db"
done
load_end=$(bench_load)

echo "## Directory: load and lookup against SQLite and Python"
echo
echo "Process against process: the start-to-answer of one address lookup (an address from the middle of the file, with"
echo "an upper-case letter, found case-insensitively) in the generator's synthetic extraction (\`bench/annuaire/gen\`,"
echo "seed 1), by \`mss annuaire lookup --extraction FILE --json\` (sdk); \`sqlite3 :memory:\` with \`.import\`, one"
echo "\`COLLATE NOCASE\` index and the query (sqlite-mem, the baseline: in memory with one index, like the SDK); the same"
echo "into a new database file (sqlite-disk); Python's \`csv\` into a dict (python); and \`cat FILE\` (reading it, nothing"
echo "more; ten runs under one timer, divided by ten). Each tool timed by GNU time (wall, CPU user + system, peak RSS); rounds: $rounds_said rows, every tool"
echo "once per round in an order rotated from round to round; median (min–max) of the rounds, the ratios taken within"
echo "each round. $(sqlite3 --version | cut -d' ' -f1 | sed 's/^/SQLite /'), $(python3 --version)."
echo "Machine: $(bench_machine). $when_start UTC, load average $load_start at start, $load_end at end."
echo "Reproduce: \`$REPRO\`."
cat "$body"
