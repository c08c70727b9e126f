#!/usr/bin/env bash
# Compares the annuaire in-memory index with SQLite on the same synthetic
# extraction: load + index, lookup by address, lookup by RPPS, name prefix.
#
#   bash bench/annuaire/compare.sh            # 550,000 rows
#   ROWS=100000 bash bench/annuaire/compare.sh
#
# It installs sqlite3 with apt-get when missing (a benchmark dependency, not a
# test one). Figures go to stdout; copy them into docs/benchmarks/annuaire.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-550000}
QUERIES=${QUERIES:-2000}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

if ! command -v sqlite3 >/dev/null; then
	echo "installing sqlite3..." >&2
	apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null
fi

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(go version | cut -d' ' -f3), sqlite $(sqlite3 --version | cut -d' ' -f1), load $(cut -d' ' -f1-3 /proc/loadavg)"
go run ./bench/annuaire/gen -n "$ROWS" -seed 1 >"$DIR/ext.txt"
echo "file: $ROWS rows, $(stat -c %s "$DIR/ext.txt") bytes"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# --- Go: the package benchmarks on the same file ---------------------------
# (the load is timed over 3 runs; on a shared machine, compare cpu-ns/op too)
{
	ANNUAIRE_BENCH_FILE="$DIR/ext.txt" go test -run '^$' -bench 'LoadIndex' -benchtime 3x -benchmem ./annuaire/
	ANNUAIRE_BENCH_FILE="$DIR/ext.txt" go test -run '^$' -bench 'LookupAddress|ByPerson|Search' -benchmem ./annuaire/
} | tee "$DIR/go.txt" | grep '^Benchmark'
go_ns() { awk -v n="$1" '$1 ~ "^Benchmark"n"(-[0-9]+)?$" { print $3 }' "$DIR/go.txt"; }

# --- SQLite: .import plus indexes -------------------------------------------
t0=$(now)
sqlite3 "$DIR/ext.db" <<SQL
.mode list
.separator "|" "\n"
.import $DIR/ext.txt ext
SQL
t1=$(now)
sqlite3 "$DIR/ext.db" <<'SQL'
CREATE INDEX ext_addr ON ext("Adresse BAL" COLLATE NOCASE);
CREATE INDEX ext_pp ON ext("Identifiant PP");
CREATE INDEX ext_nom ON ext("Nom d'exercice");
SQL
t2=$(now)
import_s=$(elapsed "$t0" "$t1")
index_s=$(elapsed "$t1" "$t2")
echo "sqlite: .import ${import_s} s, 3 indexes ${index_s} s, database $(stat -c %s "$DIR/ext.db") bytes"

# Queries: QUERIES keys taken from the file are loaded into a table, then one
# statement per kind looks them all up (the engine's cost per lookup, without
# the shell parsing a statement per query). Each lookup reads the row.
awk -F'|' -v q="$QUERIES" 'NR > 1 && NR % 97 == 0 && n < q { n++; print toupper(substr($2,1,1)) substr($2,2) "|" $4 "|" substr($10, 1, 4) }' "$DIR/ext.txt" >"$DIR/keys.txt"
nkeys=$(wc -l <"$DIR/keys.txt")
timed() { # prints the "real" seconds of the last statement run with .timer on
	sqlite3 "$DIR/ext.db" <<SQL | awk '/^Run Time/ { t = $4 } END { print t }'
.mode list
.separator "|" "\n"
DROP TABLE IF EXISTS keys;
CREATE TEMP TABLE keys(addr TEXT, pp TEXT, p TEXT);
.import $DIR/keys.txt keys
.timer on
$1
SQL
}
# Prefix search as a range on the upper-case name (SQLite does no accent or
# case folding there: it does less work than the Go search).
addr_s=$(timed "SELECT count(e.\"Pays structure BAL\") FROM keys k JOIN ext e ON e.\"Adresse BAL\" = k.addr COLLATE NOCASE;")
pp_s=$(timed "SELECT count(e.\"Pays structure BAL\") FROM keys k JOIN ext e ON e.\"Identifiant PP\" = k.pp WHERE k.pp <> '';")
name_s=$(timed "SELECT sum((SELECT count(x) FROM (SELECT e.\"Pays structure BAL\" AS x FROM ext e WHERE e.\"Nom d'exercice\" >= k.p AND e.\"Nom d'exercice\" < k.p || '~' LIMIT 20))) FROM keys k WHERE k.p <> '';")
per_query() { awk -v t="$1" -v n="$nkeys" 'BEGIN { printf "%.0f", t / n * 1e9 }'; }
addr_ns=$(per_query "$addr_s")
pp_ns=$(per_query "$pp_s")
name_ns=$(per_query "$name_s")
echo "sqlite: address ${addr_ns} ns/query, RPPS ${pp_ns} ns/query, name prefix ${name_ns} ns/query ($nkeys keys, one statement each)"

# --- Ratios ---------------------------------------------------------------------
load_ns=$(go_ns LoadIndex)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
sqlite_load_ns=$(awk -v a="$import_s" -v b="$index_s" 'BEGIN { printf "%.0f", (a + b) * 1e9 }')
echo
echo "| operation | annuaire (Go) | SQLite | SQLite / Go |"
echo "|---|---|---|---|"
echo "| load + index | $(awk -v n="$load_ns" 'BEGIN{printf "%.2f s", n/1e9}') | $(awk -v n="$sqlite_load_ns" 'BEGIN{printf "%.2f s", n/1e9}') | $(ratio "$sqlite_load_ns" "$load_ns") |"
echo "| address lookup | $(go_ns LookupAddress) ns | ${addr_ns} ns | $(ratio "$addr_ns" "$(go_ns LookupAddress)") |"
echo "| RPPS lookup | $(go_ns ByPerson) ns | ${pp_ns} ns | $(ratio "$pp_ns" "$(go_ns ByPerson)") |"
echo "| name prefix (20 results) | $(go_ns SearchName) ns | ${name_ns} ns | $(ratio "$name_ns" "$(go_ns SearchName)") |"
