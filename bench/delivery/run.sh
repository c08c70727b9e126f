#!/usr/bin/env bash
# Durable delivery against the embedded test operator: enqueue rate, and
# end-to-end send rate of the outbox on SQLite and on PostgreSQL (1 and 3
# workers) beside plain mssante.Send of the same messages on the same
# transport, with the overhead of durability. PostgreSQL is a private server
# (internal/pgtest, fsync on; needs `make deps`). Prints the Go benchmark
# lines and a summary table.
#
#   bash bench/delivery/run.sh [COUNT]      # default 1000 messages
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${1:-1000}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench 'BenchmarkEnqueue|BenchmarkSend' -benchtime="${count}x" -count=1 ./mssante/delivery |
	grep -E '^(Benchmark|goos|goarch|cpu|ok|PASS|FAIL)' | tee "$out"
rate() { awk -v s="$1" 'index($1, s) == 1 { for (i = 1; i <= NF; i++) if ($i == "msgs/s") print $(i-1) }' "$out" | head -1; }
echo
printf '%-10s %-8s %14s %16s %9s\n' database workers "outbox msgs/s" "plain Send msgs/s" overhead
for w in 1 3; do
	p=$(rate "BenchmarkSend/plain-send/workers=$w")
	for db in sqlite postgres; do
		r=$(rate "BenchmarkSend/$db/workers=$w")
		if [[ -n "$r" && -n "$p" ]]; then
			awk -v d="$db" -v w="$w" -v r="$r" -v p="$p" 'BEGIN { printf "%-10s %-8s %14.0f %16.0f %8.0f%%\n", d, w, r, p, (p / r - 1) * 100 }'
		fi
	done
done
for db in sqlite postgres; do
	r=$(rate "BenchmarkEnqueue/$db")
	[[ -n "$r" ]] && printf 'enqueue    %-8s %14.0f msgs/s (one goroutine, durable before returning)\n' "$db" "$r"
done
