#!/usr/bin/env bash
# SMTP transport: one reused connection against one connection per message,
# library against library. smtpclient.Client.Send submits MESSAGES messages
# of 50 KB (one recipient each) over STARTTLS + TLS 1.2 with a client
# certificate, to three servers on this machine:
#
#   Loopback   a go-smtp server inside the benchmark process (discards)
#   Operator   the embedded test operator (mssante/mssantetest)
#   Postfix    Postfix + Dovecot configured by internal/mailservers (needs
#              root and the packages of `make deps`)
#
# The test binary of mssante/smtpclient is built once; in each round every
# case (server × reuse / conn-per-message) runs as its own invocation of it,
# one sub-benchmark of BenchmarkSend{Loopback,Operator,Postfix}, in an order
# rotated from round to round. Stdout: one Markdown fragment
# (bench/README.md).
#
#   bash bench/transport/compare.sh                 # 1,000 messages, 5 rounds, 3 servers
#   QUICK=1 bash bench/transport/compare.sh         # 100 messages, 2 rounds, Loopback + Operator
#   MESSAGES=500 ROUNDS=3 BENCH_SKIP_POSTFIX=1 bash bench/transport/compare.sh
#
# Without Postfix (or not root) it fails with what to install, unless
# BENCH_SKIP_POSTFIX=1, which leaves the Postfix row out and says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh

REPRO=$(bench_repro bench/transport/compare.sh QUICK ROUNDS MESSAGES SERVERS BENCH_SKIP_POSTFIX)

bench_need go python3
ROUNDS=$(bench_rounds 5)
if [[ -n ${QUICK:-} ]]; then
	MESSAGES=${MESSAGES:-100}
	SERVERS=${SERVERS:-"Loopback Operator"}
else
	MESSAGES=${MESSAGES:-1000}
	SERVERS=${SERVERS:-"Loopback Operator Postfix"}
fi
skipped_postfix=""
if [[ " $SERVERS " == *" Postfix "* ]]; then
	if [[ -n ${BENCH_SKIP_POSTFIX:-} ]]; then
		SERVERS=$(echo "$SERVERS" | sed 's/Postfix//; s/  */ /g; s/^ //; s/ $//')
		skipped_postfix=1
		echo "compare.sh: BENCH_SKIP_POSTFIX=1: no Postfix row" >&2
	else
		PATH=$PATH:/usr/sbin:/usr/lib/postfix/sbin bench_need postfix postconf dovecot
		if [[ ! -x /usr/lib/dovecot/lmtp || ! -x /usr/lib/dovecot/imap ]]; then
			echo "compare.sh: missing /usr/lib/dovecot/lmtp or imap (make deps installs dovecot-lmtpd dovecot-imapd), or set BENCH_SKIP_POSTFIX=1" >&2
			exit 2
		fi
		if [[ $(id -u) != 0 ]]; then
			echo "compare.sh: the Postfix case needs root (Postfix and Dovecot are started in a temporary directory); run as root or set BENCH_SKIP_POSTFIX=1" >&2
			exit 2
		fi
	fi
fi
read -ra servers <<<"$SERVERS"
# thousands N: N with commas between thousands (1,000).
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
modes=(reuse conn-per-message)

DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
echo "compare.sh: building the mssante/smtpclient test binary" >&2
go test -c -o "$DIR/smtpclient.test" ./mssante/smtpclient

load_start=$(bench_load)
when_start=$(date -u '+%Y-%m-%d %H:%M')
cases=()
for s in "${servers[@]}"; do
	for m in "${modes[@]}"; do
		cases+=("$s/$m")
	done
done
: >"$DIR/results"
for ((r = 0; r < ROUNDS; r++)); do
	while read -r c; do
		srv=${c%%/*}
		mode=${c#*/}
		echo "compare.sh: round $((r + 1))/$ROUNDS $c ($MESSAGES messages)" >&2
		# CI=true: a missing dependency fails the benchmark instead of
		# skipping it. The package directory is the test's working directory.
		if ! (cd mssante/smtpclient && CI=true "$DIR/smtpclient.test" -test.run '^$' \
			-test.bench "^BenchmarkSend$srv\$/^$mode\$" -test.benchtime "${MESSAGES}x" -test.count 1) >"$DIR/out" 2>"$DIR/err"; then
			echo "compare.sh: $c failed:" >&2
			tail -20 "$DIR/out" "$DIR/err" >&2
			exit 1
		fi
		line=$(grep -E "^BenchmarkSend$srv/$mode(-[0-9]+)?[[:space:]]" "$DIR/out" || true)
		rate=$(awk '{ for (i = 2; i <= NF; i++) if ($i == "msgs/s") print $(i - 1) }' <<<"$line")
		dials=$(awk '{ for (i = 2; i <= NF; i++) if ($i == "dials") print $(i - 1) }' <<<"$line")
		if [[ -z $rate || -z $dials ]]; then
			echo "compare.sh: $c printed no msgs/s:" >&2
			cat "$DIR/out" >&2
			exit 1
		fi
		# The right answer: one connection for every message with reuse,
		# one per message otherwise.
		want=1
		[[ $mode == conn-per-message ]] && want=$MESSAGES
		if ! awk -v d="$dials" -v w="$want" 'BEGIN { exit !(d == w) }'; then
			echo "compare.sh: $c dialled $dials connections, want $want" >&2
			exit 1
		fi
		echo "$r $srv $mode $rate" >>"$DIR/results"
	done < <(bench_rotate "$r" "${cases[@]}")
done
load_end=$(bench_load)

echo "## SMTP transport: connection reuse"
echo
echo "Library against library: \`smtpclient.Client.Send\` submitting $(thousands "$MESSAGES") messages of 50 KB (one recipient each)"
echo "over STARTTLS + TLS 1.2 with a client certificate on loopback, either through one reused connection or with one"
echo "connection per message (\`MaxMessagesPerConn: 1\`: TCP connect, greeting, EHLO, STARTTLS, TLS handshake, EHLO for"
echo "every message), to a go-smtp server in the benchmark process (Loopback), the embedded test operator (Operator)"
if [[ " ${servers[*]} " == *" Postfix "* ]]; then
	echo "and Postfix $(PATH=$PATH:/usr/sbin postconf -dh mail_version 2>/dev/null || echo '?') delivering over LMTP to Dovecot $(PATH=$PATH:/usr/sbin dovecot --version 2>/dev/null | cut -d' ' -f1 || echo '?')"
	echo "on the same cores (Postfix)."
else
	echo "and Postfix (not run here)."
fi
echo "One test binary (\`go test -c\` of mssante/smtpclient); each case is its own invocation of it"
echo "(\`-test.bench 'BenchmarkSend<server>/<mode>\$' -test.benchtime ${MESSAGES}x\`), $ROUNDS rounds, the cases interleaved"
echo "in an order rotated from round to round; median (min–max) of the rounds, the ratio taken within each round."
echo "Every reuse run dialled 1 connection, every other run $(thousands "$MESSAGES")."
echo "Machine: $(bench_machine). $when_start UTC, load average $load_start at start, $load_end at end."
echo "Reproduce: \`$REPRO\`."
if [[ -n $skipped_postfix ]]; then
	echo
	echo "Postfix was not measured in this run (\`BENCH_SKIP_POSTFIX=1\`)."
fi
echo
echo "| server | reuse msgs/s | one connection per message msgs/s | ratio reuse / per message |"
echo "|---|---:|---:|---:|"
for s in "${servers[@]}"; do
	read -r rm rlo rhi rn < <(awk -v s="$s" '$2 == s && $3 == "reuse" { print $4 }' "$DIR/results" | bench_stats)
	read -r pm plo phi pn < <(awk -v s="$s" '$2 == s && $3 == "conn-per-message" { print $4 }' "$DIR/results" | bench_stats)
	read -r qm qlo qhi qn < <(awk -v s="$s" '$2 == s { v[$1 " " $3] = $4; r[$1] = 1 }
		END { for (k in r) print v[k " reuse"] / v[k " conn-per-message"] }' "$DIR/results" | bench_stats)
	echo "| $s | $(bench_cell %.0f "$rm" "$rlo" "$rhi") | $(bench_cell %.0f "$pm" "$plo" "$phi") | $(bench_cell %.1f "$qm" "$qlo" "$qhi") |"
	bench_result transport "$s" reuse msgs_per_s "$rm" "$rlo" "$rhi" "$rn"
	bench_result transport "$s" conn-per-message msgs_per_s "$pm" "$plo" "$phi" "$pn"
	bench_result transport "$s" reuse/conn-per-message ratio "$qm" "$qlo" "$qhi" "$qn"
done
