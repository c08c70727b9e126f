#!/usr/bin/env bash
# Start-to-answer of one address lookup in a generated extraction, process
# against process, for each way a vendor could do it:
#
#   sdk          mss annuaire lookup --extraction FILE --json ADDRESS
#   sqlite-mem   sqlite3 :memory:, .import, one NOCASE index, the query (JSON)
#                (the fair baseline: in memory, one index, like the SDK)
#   sqlite-disk  the same into a new on-disk database file
#   python       Python's csv module into a dict keyed by the lower-case
#                address, then the lookup (JSON)
#   cat          cat FILE > /dev/null (reading the file, nothing more)
#
# Each size is measured over ROUNDS rounds; in each round every tool runs
# once, in an order rotated from round to round, so that what the other
# processes of the machine do falls on all of them alike. It prints the
# median and the spread (min-max) of wall time, CPU time (user + system)
# and peak RSS, as reported by /usr/bin/time.
#
#   bash bench/annuaire/compare.sh                      # 100k, 550k, 2M rows, 5 rounds
#   SIZES="550000" ROUNDS=3 bash bench/annuaire/compare.sh
#   MSS_BEFORE=/tmp/mss-old bash bench/annuaire/compare.sh   # adds "sdk-before", an older mss
#
# Needs sqlite3, python3 and GNU time (/usr/bin/time): it checks for them
# and says what to install (Debian: sqlite3 python3 time).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${SIZES:-"100000 550000 2000000"}
ROUNDS=${ROUNDS:-5}
TOOLS=${TOOLS:-"sdk sqlite-mem sqlite-disk python cat"}
if [[ -n ${MSS_BEFORE:-} ]]; then
	TOOLS="sdk-before $TOOLS"
fi

missing=()
for p in sqlite3 python3 /usr/bin/time go; do
	command -v "$p" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "compare.sh: missing ${missing[*]} (Debian: apt-get install sqlite3 python3 time)" >&2
	exit 2
fi

DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
go build -o "$DIR/mss" ./cmd/mss
go build -o "$DIR/gen" ./bench/annuaire/gen

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "machine: $(nproc) cores, $cpu, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), sqlite $(sqlite3 --version | cut -d' ' -f1), $(python3 --version)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds, tools interleaved"

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

# run TOOL FILE ADDRESS: the command line of a tool.
run() {
	local tool=$1 file=$2 addr=$3
	case $tool in
	sdk) "$DIR/mss" annuaire lookup --extraction "$file" --json "$addr" ;;
	sdk-before) "$MSS_BEFORE" annuaire lookup --extraction "$file" --json "$addr" ;;
	sqlite-mem | sqlite-disk)
		local db=":memory:"
		if [[ $tool == sqlite-disk ]]; then
			db="$DIR/ext.db"
			rm -f "$db"
		fi
		sqlite3 "$db" <<SQL
.mode list
.separator "|" "\n"
.import $file ext
CREATE INDEX ext_addr ON ext("Adresse BAL" COLLATE NOCASE);
.mode json
SELECT * FROM ext WHERE "Adresse BAL" = '$addr' COLLATE NOCASE;
SQL
		;;
	python) python3 "$DIR/lookup.py" "$file" "$addr" ;;
	cat) cat "$file" ;;
	esac
}

# stats: median and min-max of the numbers on stdin.
stats() { sort -g | awk -v f="$1" '{v[NR] = $1} END { m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf f " (" f "-" f ")", m, v[1], v[NR] }'; }

for rows in $SIZES; do
	file="$DIR/ext-$rows.txt"
	"$DIR/gen" -n "$rows" -seed 1 >"$file"
	# An address from the middle of the file, with an upper-case letter:
	# every tool must find it case-insensitively.
	addr=$(awk -F'|' -v n=$((rows / 2)) 'NR > n && $2 != "" { print toupper(substr($2, 1, 1)) substr($2, 2); exit }' "$file")
	echo
	echo "## $rows rows ($(stat -c %s "$file") bytes), lookup of $addr"
	read -ra tools <<<"$TOOLS"
	: >"$DIR/times"
	for ((r = 0; r < ROUNDS; r++)); do
		for ((k = 0; k < ${#tools[@]}; k++)); do
			tool=${tools[$(((k + r) % ${#tools[@]}))]}
			if ! /usr/bin/time -o "$DIR/t" -f "%e %U %S %M" bash -c "$(declare -f run); DIR='$DIR'; MSS_BEFORE='${MSS_BEFORE:-}'; run $tool '$file' '$addr'" >"$DIR/out" 2>"$DIR/err"; then
				echo "$tool failed: $(tail -3 "$DIR/err")" >&2
				exit 1
			fi
			if [[ $tool != cat ]] && ! grep -qi "\"${addr,,}\"" <(tr 'A-Z' 'a-z' <"$DIR/out"); then
				echo "$tool did not find $addr: $(head -c 300 "$DIR/out")" >&2
				exit 1
			fi
			echo "$tool $(tail -1 "$DIR/t")" >>"$DIR/times"
		done
	done
	echo
	echo "| tool | wall s | CPU s | peak RSS MB |"
	echo "|---|---|---|---|"
	for tool in "${tools[@]}"; do
		wall=$(awk -v t="$tool" '$1 == t { print $2 }' "$DIR/times" | stats "%.2f")
		cpu=$(awk -v t="$tool" '$1 == t { print $3 + $4 }' "$DIR/times" | stats "%.2f")
		rss=$(awk -v t="$tool" '$1 == t { print $5 / 1024 }' "$DIR/times" | stats "%.0f")
		echo "| $tool | $wall | $cpu | $rss |"
	done
	rm -f "$file" "$DIR/ext.db"
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
