#!/usr/bin/env bash
# Durable delivery: the outbox (mssante/delivery) on SQLite and on
# PostgreSQL against plain smtpclient.Client.Send of the same messages on the
# same transport, with 1 and 3 workers, and the enqueue rate; library against
# library. Each message is 10 kB to one recipient of the embedded test
# operator over TLS on loopback. SQLite is a file in WAL mode with
# synchronous=FULL; PostgreSQL the private server of internal/pgtest, fsync
# on (needs the packages of `make deps`).
#
# The test binary of mssante/delivery is built once; in each round every case
# runs as its own invocation of it (one sub-benchmark of BenchmarkEnqueue or
# BenchmarkSend), in an order rotated from round to round. Stdout: one
# Markdown fragment (bench/README.md).
#
#   bash bench/delivery/compare.sh              # 500 messages, 5 rounds, SQLite and PostgreSQL
#   QUICK=1 bash bench/delivery/compare.sh      # 100 messages, 2 rounds, SQLite only
#   MESSAGES=1000 ROUNDS=3 DATABASES=sqlite bash bench/delivery/compare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh

REPRO=$(bench_repro bench/delivery/compare.sh QUICK ROUNDS MESSAGES DATABASES)

bench_need go python3
ROUNDS=$(bench_rounds 5)
quick_note=""
if [[ -n ${QUICK:-} ]]; then
	MESSAGES=${MESSAGES:-100}
	# PostgreSQL's private server starts in every invocation (2-8 s each,
	# three per round): too slow for a smoke test under a minute.
	if [[ -z ${DATABASES:-} ]]; then
		DATABASES=sqlite
		quick_note=1
	fi
else
	MESSAGES=${MESSAGES:-500}
fi
DATABASES=${DATABASES:-"sqlite postgres"}
read -ra dbs <<<"$DATABASES"
workers=(1 3)
name() { case $1 in sqlite) echo SQLite ;; postgres) echo PostgreSQL ;; *) echo "$1" ;; esac; }

DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
echo "compare.sh: building the mssante/delivery test binary" >&2
go test -c -o "$DIR/delivery.test" ./mssante/delivery

# Cases: "benchmark/sub-benchmark" as the test binary names them.
cases=()
for db in "${dbs[@]}"; do
	cases+=("BenchmarkEnqueue/$db")
done
for w in "${workers[@]}"; do
	cases+=("BenchmarkSend/plain-send/workers=$w")
	for db in "${dbs[@]}"; do
		cases+=("BenchmarkSend/$db/workers=$w")
	done
done

load_start=$(bench_load)
when_start=$(date -u '+%Y-%m-%d %H:%M')
: >"$DIR/results"
for ((r = 0; r < ROUNDS; r++)); do
	while read -r c; do
		echo "compare.sh: round $((r + 1))/$ROUNDS $c ($MESSAGES messages)" >&2
		# Anchor every level of the name: -test.bench splits it on "/".
		pattern=$(sed 's|/|$/^|g; s|^|^|; s|$|$|' <<<"$c")
		# CI=true: a missing PostgreSQL fails the benchmark instead of
		# skipping it. The package directory is the test's working directory.
		if ! (cd mssante/delivery && CI=true "$DIR/delivery.test" -test.run '^$' \
			-test.bench "$pattern" -test.benchtime "${MESSAGES}x" -test.count 1) >"$DIR/out" 2>"$DIR/err"; then
			echo "compare.sh: $c failed:" >&2
			tail -20 "$DIR/out" "$DIR/err" >&2
			exit 1
		fi
		rate=$(awk -v c="$c" 'index($1, c) == 1 && substr($1, length(c) + 1) ~ /^(-[0-9]+)?$/ {
			for (i = 2; i <= NF; i++) if ($i == "msgs/s") print $(i - 1) }' "$DIR/out")
		if [[ -z $rate ]]; then
			echo "compare.sh: $c printed no msgs/s:" >&2
			cat "$DIR/out" >&2
			exit 1
		fi
		echo "$r $c $rate" >>"$DIR/results"
	done < <(bench_rotate "$r" "${cases[@]}")
done
load_end=$(bench_load)

# rates CASE: the rate of CASE in each round, one per line.
rates() { awk -v c="$1" '$2 == c { print $3 }' "$DIR/results"; }
# paired CASE BASE EXPR: EXPR of (o = CASE's rate, p = BASE's rate) in each round.
paired() {
	awk -v c="$1" -v b="$2" '$2 == c { o[$1] = $3 } $2 == b { p[$1] = $3 }
		END { for (r in o) if (r in p) print '"$3"' }' "$DIR/results"
}

dbnames=()
for db in "${dbs[@]}"; do dbnames+=("$(name "$db")"); done
dbs_text="${dbnames[*]}"
echo "## Durable delivery: the outbox against plain Send"
echo
echo "Library against library: $(sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$MESSAGES") messages of 10 kB (one recipient each) sent to the embedded test operator over"
echo "TLS 1.2 on loopback, by the outbox of \`mssante/delivery\` (enqueued first; timed from \`RunUntilIdle\` to the last"
echo "recipient submitted, each message durable at every step) on ${dbs_text// / and }, and by plain \`smtpclient.Client.Send\`"
echo "of the same messages on the same transport from as many goroutines, nothing stored; and the enqueue rate, one"
echo "goroutine, each message durable on return. SQLite is a file in WAL mode with \`synchronous=FULL\`; PostgreSQL the"
echo "private server of \`internal/pgtest\`, fsync on. One test binary (\`go test -c\` of mssante/delivery); each case is"
echo "its own invocation of it (\`-test.bench\` one sub-benchmark of \`BenchmarkEnqueue\` or \`BenchmarkSend\`,"
echo "\`-test.benchtime ${MESSAGES}x\`), $ROUNDS rounds, the cases interleaved in an order rotated from round to round;"
echo "median (min–max) of the rounds, the overhead taken within each round."
echo "Machine: $(bench_machine). $when_start UTC, load average $load_start at start, $load_end at end."
echo "Reproduce: \`$REPRO\`."
if [[ -n $quick_note ]]; then
	echo
	echo "PostgreSQL was not run (\`QUICK=1\`: its server starts in every invocation); \`DATABASES=\"sqlite postgres\"\` runs it."
fi
echo
echo "| case | outbox msgs/s | plain Send msgs/s | cost per message | overhead |"
echo "|---|---:|---:|---:|---:|"
for w in "${workers[@]}"; do
	base="BenchmarkSend/plain-send/workers=$w"
	read -r pm plo phi pn < <(rates "$base" | bench_stats)
	bench_result delivery "workers=$w" plain-send msgs_per_s "$pm" "$plo" "$phi" "$pn"
	for db in "${dbs[@]}"; do
		c="BenchmarkSend/$db/workers=$w"
		read -r om olo ohi on < <(rates "$c" | bench_stats)
		read -r mm mlo mhi mn < <(paired "$c" "$base" '1000 / o[r] - 1000 / p[r]' | bench_stats)
		read -r xm xlo xhi xn < <(paired "$c" "$base" '(p[r] / o[r] - 1) * 100' | bench_stats)
		label="$(name "$db"), $w worker"
		((w > 1)) && label+=s
		echo "| $label | $(bench_cell %.0f "$om" "$olo" "$ohi") | $(bench_cell %.0f "$pm" "$plo" "$phi") | +$(bench_cell '%.1f' "$mm" "$mlo" "$mhi") ms | +$(bench_cell '%.0f' "$xm" "$xlo" "$xhi") % |"
		bench_result delivery "workers=$w" "outbox-$db" msgs_per_s "$om" "$olo" "$ohi" "$on"
		bench_result delivery "workers=$w" "outbox-$db" overhead_ms_per_msg "$mm" "$mlo" "$mhi" "$mn"
		bench_result delivery "workers=$w" "outbox-$db" overhead_pct "$xm" "$xlo" "$xhi" "$xn"
	done
done
echo
echo "| enqueue, one goroutine, durable on return | msgs/s |"
echo "|---|---:|"
for db in "${dbs[@]}"; do
	read -r em elo ehi en < <(rates "BenchmarkEnqueue/$db" | bench_stats)
	echo "| $(name "$db") | $(bench_cell %.0f "$em" "$elo" "$ehi") |"
	bench_result delivery enqueue "$db" msgs_per_s "$em" "$elo" "$ehi" "$en"
done
