#!/usr/bin/env bash
# Sends 1,000 messages of 50 KB through the SMTP transport over TLS on
# loopback, reusing connections and with one connection per message, against
# three servers: go-smtp in the test process, the embedded test operator
# (mssantetest) and a real Postfix (started in a temporary directory; needs
# root and `make deps`). Prints the Go benchmark lines and a summary table.
#
#   bash bench/transport/run.sh [COUNT]      # default 1000
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${1:-1000}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench 'BenchmarkSend' -benchtime="${count}x" -count=1 ./mssante/smtpclient | grep -E '^(Benchmark|goos|goarch|cpu|ok|PASS|FAIL)' | tee "$out"
echo
echo "server     reuse msgs/s  per-message msgs/s  ratio"
for srv in Loopback Operator Postfix; do
	r=$(awk -v s="BenchmarkSend${srv}/reuse" 'index($1, s) == 1 { for (i = 1; i <= NF; i++) if ($i == "msgs/s") print $(i-1) }' "$out")
	p=$(awk -v s="BenchmarkSend${srv}/conn-per-message" 'index($1, s) == 1 { for (i = 1; i <= NF; i++) if ($i == "msgs/s") print $(i-1) }' "$out")
	if [[ -n "$r" && -n "$p" ]]; then
		awk -v s="$srv" -v r="$r" -v p="$p" 'BEGIN { printf "%-10s %12.1f  %18.1f  %5.1fx\n", s, r, p, r / p }'
	fi
done
