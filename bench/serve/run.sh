#!/usr/bin/env bash
# mss serve: POST /v1/messages requests per second with a 100 KB PDF, on
# SQLite, against the embedded test operator (mss operator). Each request
# builds the CDA level 1 document, the IHE_XDM.ZIP archive and the message,
# lints it, checks the recipient against the liste blanche and enqueues it
# durably before the 202. Three modes, interleaved round by round (the
# machine is shared), each on a fresh database:
#
#   api        mss serve --workers 0: the API alone (what a 202 costs)
#   send       mss serve --workers 4: the API while the same process sends
#              what it accepted to the operator and reads the receipts
#   inprocess  the same handler called in the load generator's process,
#              no network and no HTTP parsing (the baseline: what the
#              Go SDK costs a Go program for the same work)
#
#   bash bench/serve/run.sh [ROUNDS] [REQUESTS] [CLIENTS]   # default 5 300 4
#
# Prints each run, then the median and the spread (min–max) of each mode.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-5}"
n="${2:-300}"
c="${3:-4}"
tmp="$(mktemp -d)"
op_pid=""
cleanup() {
	[[ -n "$op_pid" ]] && kill "$op_pid" 2>/dev/null && wait "$op_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/mss" ./cmd/mss
go build -o "$tmp/load" ./bench/serve/load
"$tmp/mss" operator --dir "$tmp/op" >"$tmp/op.log" 2>&1 &
op_pid=$!
for _ in $(seq 100); do [[ -s "$tmp/op/operator.json" ]] && break; sleep 0.1; done
export MSS_API_KEY="bench-$$-$RANDOM"

serve_run() { # workers
	rm -f "$tmp"/r.db* "$tmp/serve.out"
	"$tmp/mss" serve --db "sqlite:$tmp/r.db" --config "$tmp/op/operator.json" --listen 127.0.0.1:0 \
		--workers "$1" --fetch-interval 2s >"$tmp/serve.out" 2>"$tmp/serve.err" &
	local pid=$! url=""
	for _ in $(seq 300); do
		url="$(sed -n 's/^mss serve: listening on //p' "$tmp/serve.out")"
		[[ -n "$url" ]] && break
		sleep 0.1
	done
	[[ -n "$url" ]] || { cat "$tmp/serve.err" >&2; exit 1; }
	"$tmp/load" -url "$url" -n "$n" -c "$c"
	kill -TERM "$pid"
	wait "$pid" || true
}

: >"$tmp/results"
for r in $(seq "$rounds"); do
	for mode in api send inprocess; do
		case "$mode" in
		api) line="$(serve_run 0)" ;;
		send) line="$(serve_run 4)" ;;
		inprocess) line="$("$tmp/load" -inprocess -liste-blanche "$tmp/op/listeblanche.xml" -n "$n" -c "$c")" ;;
		esac
		echo "round $r $mode $line  load=$(cut -d' ' -f1 /proc/loadavg)"
		echo "$mode $line" >>"$tmp/results"
	done
done
echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %10s %16s %12s %12s\n' mode "median r/s" "spread r/s" "median p50" "median p99"
for mode in api send inprocess; do
	awk -v m="$mode" '$1 == m {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		print v["rps"], v["p50_ms"], v["p99_ms"] }' "$tmp/results" >"$tmp/$mode"
	med() { sort -n -k"$1" "$tmp/$mode" | awk -v k="$1" '{ a[NR] = $k } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
	lo="$(sort -n -k1 "$tmp/$mode" | head -1 | cut -d' ' -f1)"
	hi="$(sort -n -k1 "$tmp/$mode" | tail -1 | cut -d' ' -f1)"
	printf '%-10s %10s %16s %10s ms %9s ms\n' "$mode" "$(med 1)" "$lo–$hi" "$(med 2)" "$(med 3)"
done
