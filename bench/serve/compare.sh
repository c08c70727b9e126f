#!/usr/bin/env bash
# mss serve: POST /v1/messages with a 100 KB PDF of random content, on
# SQLite, against the embedded test operator (mss operator). Each request
# builds the CDA level 1 document, the IHE_XDM.ZIP archive and the message,
# lints it, checks the recipient against the liste blanche and enqueues it
# durably before the 202. Three modes, each on a fresh database:
#
#   api        mss serve --workers 0: the API alone (what a 202 costs)
#   send       mss serve --workers 4: the API while the same process sends
#              what it accepted to the operator and reads the receipts
#   inprocess  the same handler (package mssante/serve) called in the load
#              generator's process, no network and no HTTP parsing (the
#              baseline: what the Go SDK costs a Go program for the same work)
#
# The load generator (bench/serve/load) sends REQUESTS requests from CLIENTS
# clients at once. In each of ROUNDS rounds every mode runs once, in an order
# rotated from round to round. CPU per request: the mss serve process's CPU
# time during the load (from /proc), or the load generator's own for
# inprocess. Stdout: one Markdown fragment (bench/README.md).
#
#   bash bench/serve/compare.sh                        # 300 requests, 4 clients, 5 rounds
#   QUICK=1 bash bench/serve/compare.sh                # 50 requests, 2 rounds
#   REQUESTS=1000 CLIENTS=8 ROUNDS=3 bash bench/serve/compare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh

REPRO=$(bench_repro bench/serve/compare.sh QUICK ROUNDS REQUESTS CLIENTS)

bench_need go python3
ROUNDS=$(bench_rounds 5)
if [[ -n ${QUICK:-} ]]; then
	REQUESTS=${REQUESTS:-50}
else
	REQUESTS=${REQUESTS:-300}
fi
CLIENTS=${CLIENTS:-4}
modes=(api send inprocess)
tick=$(getconf CLK_TCK)

DIR=$(mktemp -d)
op_pid=""
srv_pid=""
cleanup() {
	if [[ -n $srv_pid ]]; then kill "$srv_pid" 2>/dev/null || true; fi
	if [[ -n $op_pid ]]; then kill "$op_pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
echo "compare.sh: building mss and the load generator" >&2
go build -o "$DIR/mss" ./cmd/mss
go build -o "$DIR/load" ./bench/serve/load
"$DIR/mss" operator --dir "$DIR/op" >"$DIR/op.log" 2>&1 &
op_pid=$!
for _ in $(seq 100); do
	[[ -s $DIR/op/operator.json ]] && break
	sleep 0.1
done
if [[ ! -s $DIR/op/operator.json ]]; then
	echo "compare.sh: mss operator did not start:" >&2
	cat "$DIR/op.log" >&2
	exit 1
fi
export MSS_API_KEY="bench-$$-$RANDOM"

# cpu_ticks PID: user + system CPU of PID so far, in clock ticks.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# serve_run WORKERS: one load run against a fresh mss serve; writes the load
# generator's line, cpu_ms replaced by the server's CPU, to $DIR/line. Runs
# in this shell (not in $(...)), so that the trap stops the server.
serve_run() {
	rm -f "$DIR"/r.db*
	# Emptied here, not by the server's redirection: the loop below may read
	# it before the background process has opened it.
	: >"$DIR/serve.out"
	"$DIR/mss" serve --db "sqlite:$DIR/r.db" --config "$DIR/op/operator.json" --listen 127.0.0.1:0 \
		--workers "$1" --fetch-interval 2s >"$DIR/serve.out" 2>"$DIR/serve.err" &
	srv_pid=$!
	local url="" c0 c1 line
	for _ in $(seq 300); do
		url=$(sed -n 's/^mss serve: listening on //p' "$DIR/serve.out")
		[[ -n $url ]] && break
		sleep 0.1
	done
	if [[ -z $url ]]; then
		echo "compare.sh: mss serve did not start:" >&2
		cat "$DIR/serve.err" >&2
		return 1
	fi
	c0=$(cpu_ticks "$srv_pid")
	if ! line=$("$DIR/load" -url "$url" -n "$REQUESTS" -c "$CLIENTS"); then
		echo "compare.sh: requests failed: $line" >&2
		tail -5 "$DIR/serve.err" >&2
		return 1
	fi
	c1=$(cpu_ticks "$srv_pid")
	kill -TERM "$srv_pid"
	wait "$srv_pid" || true
	srv_pid=""
	echo "$line" >"$DIR/line"
	sed -i "s/cpu_ms=[0-9.]*/cpu_ms=$(awk -v a="$c0" -v b="$c1" -v t="$tick" 'BEGIN { printf "%.0f", (b - a) * 1000 / t }')/" "$DIR/line"
}

load_start=$(bench_load)
when_start=$(date -u '+%Y-%m-%d %H:%M')
: >"$DIR/results"
for ((r = 0; r < ROUNDS; r++)); do
	while read -r mode; do
		echo "compare.sh: round $((r + 1))/$ROUNDS $mode ($REQUESTS requests, $CLIENTS clients)" >&2
		case $mode in
		api | send)
			w=0
			[[ $mode == send ]] && w=4
			serve_run "$w"
			line=$(cat "$DIR/line")
			;;
		inprocess)
			line=$("$DIR/load" -inprocess -liste-blanche "$DIR/op/listeblanche.xml" -n "$REQUESTS" -c "$CLIENTS") || {
				echo "compare.sh: inprocess failed: $line" >&2
				exit 1
			}
			;;
		esac
		echo "compare.sh:   $line" >&2
		# The load generator exits non-zero on any answer but 202; check the
		# count it printed as well.
		if [[ $line != *" failed=0 "* ]]; then
			echo "compare.sh: $mode: requests failed: $line" >&2
			exit 1
		fi
		echo "$r $mode $line" >>"$DIR/results"
	done < <(bench_rotate "$r" "${modes[@]}")
done
load_end=$(bench_load)

# field MODE KEY: the value of KEY= in every run of MODE, one per line.
field() {
	awk -v m="$1" -v k="$2" '$2 == m { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$DIR/results"
}
# per_request MODE: the CPU milliseconds per request of every run of MODE.
per_request() { field "$1" cpu_ms | awk -v n="$REQUESTS" '{ print $1 / n }'; }
# paired MODE KEY: in each round, KEY of MODE over KEY of inprocess.
paired() {
	awk -v m="$1" -v k="$2" -v n="$REQUESTS" '{ for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) v[$1 " " $2] = kv[2] } r[$1] = 1 }
		END { for (x in r) if (v[x " inprocess"] > 0) print v[x " " m] / v[x " inprocess"] }' "$DIR/results"
}

pdf=$(field inprocess pdf | head -1)
echo "## mss serve: POST /v1/messages"
echo
echo "Both sides warm, long-running processes (no process per request): \`mss serve\` on SQLite receiving \`POST /v1/messages\` with a PDF of"
echo "$pdf bytes of random content (it does not deflate) and its metadata, from $CLIENTS clients at once over HTTP on"
echo "loopback ($REQUESTS requests per run, after one warm-up request), each answered \`202\` once the CDA level 1"
echo "document, the IHE_XDM.ZIP archive and the message are built, linted, the recipient checked against the liste"
echo "blanche and the message enqueued durably; \`api\` runs it with \`--workers 0\` (the API alone), \`send\` with"
echo "\`--workers 4\` (it also sends what it accepted to the embedded test operator, \`mss operator\`, during the run);"
echo "the baseline, \`inprocess\`, calls the same handler in the load generator's process (no network, no HTTP parsing):"
echo "what the Go SDK costs a Go program for the same work. Each run on a fresh database; $ROUNDS rounds, the modes"
echo "interleaved in an order rotated from round to round; median (min–max) of the rounds, ratios taken within each"
echo "round. CPU per request: the \`mss serve\` process's user + system time during the run (\`/proc\`), for"
echo "\`inprocess\` the load generator's own (\`getrusage\`)."
echo "Machine: $(bench_machine). $when_start UTC, load average $load_start at start, $load_end at end."
echo "Reproduce: \`$REPRO\`."
echo
echo "| mode | requests/s | vs inprocess | p50 ms | p99 ms | CPU ms per request | vs inprocess |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for mode in "${modes[@]}"; do
	read -r rm rlo rhi rn < <(field "$mode" rps | bench_stats)
	read -r am alo ahi an < <(field "$mode" p50_ms | bench_stats)
	read -r bm blo bhi bn < <(field "$mode" p99_ms | bench_stats)
	read -r cm clo chi cn < <(per_request "$mode" | bench_stats)
	if [[ $mode == inprocess ]]; then
		rr="(baseline)"
		cr="(baseline)"
	else
		read -r qm qlo qhi qn < <(paired "$mode" rps | bench_stats)
		read -r xm xlo xhi xn < <(paired "$mode" cpu_ms | bench_stats)
		rr=$(bench_cell %.2f "$qm" "$qlo" "$qhi")
		cr=$(bench_cell %.2f "$xm" "$xlo" "$xhi")
		bench_result serve "$mode" "$mode/inprocess" rps_ratio "$qm" "$qlo" "$qhi" "$qn"
		bench_result serve "$mode" "$mode/inprocess" cpu_ratio "$xm" "$xlo" "$xhi" "$xn"
	fi
	echo "| $mode | $(bench_cell %.0f "$rm" "$rlo" "$rhi") | $rr | $(bench_cell %.1f "$am" "$alo" "$ahi") | $(bench_cell %.1f "$bm" "$blo" "$bhi") | $(bench_cell %.1f "$cm" "$clo" "$chi") | $cr |"
	bench_result serve "$mode" "$mode" requests_per_s "$rm" "$rlo" "$rhi" "$rn"
	bench_result serve "$mode" "$mode" p50_ms "$am" "$alo" "$ahi" "$an"
	bench_result serve "$mode" "$mode" p99_ms "$bm" "$blo" "$bhi" "$bn"
	bench_result serve "$mode" "$mode" cpu_ms_per_request "$cm" "$clo" "$chi" "$cn"
done
