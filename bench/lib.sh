# bench/lib.sh: what every comparison script under bench/ shares. Source it:
#
#   . "$(dirname "$0")/../lib.sh"
#
# The contract of a comparison script (see bench/README.md): both sides run
# the same way, interleaved round by round in a rotated order, and the script
# prints on stdout one Markdown fragment (progress goes to stderr); with
# BENCH_RESULTS=FILE it also appends one JSON line per figure to FILE.

# bench_machine: the machine as the system reports it, on one line.
bench_machine() {
	local cpu os
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown OS}")
	echo "$(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $os, Linux $(uname -r), $(go env GOVERSION 2>/dev/null || echo 'go ?')"
}

# bench_load: the 1, 5 and 15 minute load averages.
bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_rounds DEFAULT: the number of rounds: $ROUNDS, else 2 under QUICK=1,
# else DEFAULT.
bench_rounds() {
	if [[ -n ${ROUNDS:-} ]]; then
		echo "$ROUNDS"
	elif [[ -n ${QUICK:-} ]]; then
		echo 2
	else
		echo "$1"
	fi
}

# bench_rotate R ITEM...: the items rotated left by R (round R's order).
bench_rotate() {
	local r=$1
	shift
	local n=$# i
	local items=("$@")
	for ((i = 0; i < n; i++)); do
		printf '%s\n' "${items[$(((i + r) % n))]}"
	done
}

# bench_time OUT CMD...: run CMD (stdout to /dev/null unless BENCH_STDOUT is
# a file) under GNU time and append "wall_s cpu_s peak_rss_kib" to OUT.
# Fails with the command's stderr if the command fails.
bench_time() {
	local out=$1 t err
	shift
	t=$(mktemp)
	err=$(mktemp)
	if ! /usr/bin/time -o "$t" -f '%e %U %S %M' "$@" >"${BENCH_STDOUT:-/dev/null}" 2>"$err"; then
		echo "bench_time: $* failed:" >&2
		tail -5 "$err" >&2
		rm -f "$t" "$err"
		return 1
	fi
	tail -1 "$t" | awk '{ printf "%s %.3f %s\n", $1, $2 + $3, $4 }' >>"$out"
	rm -f "$t" "$err"
}

# bench_stats: "median min max n" of the numbers on stdin (one per line).
bench_stats() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan nan nan 0"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.6g %.6g %.6g %d\n", m, v[1], v[NR], NR }'
}

# bench_cell FMT MEDIAN MIN MAX: "median (min–max)" printed with FMT (%.2f...).
bench_cell() { awk -v f="$1" -v m="$2" -v lo="$3" -v hi="$4" 'BEGIN { printf f " (" f "–" f ")", m, lo, hi }'; }

# bench_ratio A B: A / B with two decimals.
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

# bench_result SECTION CASE SIDE METRIC MEDIAN MIN MAX N: one JSON line in
# $BENCH_RESULTS (nothing without it). Metrics are named with their unit:
# cpu_ms, wall_ms, rss_mib, msgs_per_s, ratio...
bench_result() {
	[[ -n ${BENCH_RESULTS:-} ]] || return 0
	python3 -c 'import json,sys; a=sys.argv[1:]; print(json.dumps({"section":a[0],"case":a[1],"side":a[2],"metric":a[3],"median":float(a[4]),"min":float(a[5]),"max":float(a[6]),"n":int(a[7])}, ensure_ascii=False))' "$@" >>"$BENCH_RESULTS"
}

# bench_need CMD...: fail with what to install when a command is missing.
bench_need() {
	local missing=() p
	for p in "$@"; do
		command -v "$p" >/dev/null || missing+=("$p")
	done
	if ((${#missing[@]})); then
		echo "$(basename "$0"): missing ${missing[*]} (make deps installs the Debian packages)" >&2
		exit 2
	fi
}

# bench_time_n OUT N CMD...: bench_time of a shell loop that runs CMD N
# times, each run its own process, with wall and CPU divided by N: for
# commands shorter than GNU time's 10 ms resolution. Peak RSS is the largest
# run's (GNU time reports the largest of the waited-for processes). The
# loop's own fork and exec count against CMD.
bench_time_n() {
	local out=$1 n=$2 t
	shift 2
	t=$(mktemp)
	# shellcheck disable=SC2016 # the loop's own arguments, expanded by the inner bash
	if ! bench_time "$t" bash -c 'n=$1; shift; for ((i = 0; i < n; i++)); do "$@" || exit; done' bench_loop "$n" "$@"; then
		rm -f "$t"
		return 1
	fi
	awk -v n="$n" '{ printf "%.5f %.5f %s\n", $1 / n, $2 / n, $3 }' "$t" >>"$out"
	rm -f "$t"
}

# bench_repro SCRIPT VAR...: the command that reproduces this run: SCRIPT
# preceded by each VAR the run was given (VAR=value).
bench_repro() {
	local script=$1 v s=""
	shift
	for v in "$@"; do
		[[ -n ${!v:-} ]] && s+="$v=${!v} "
	done
	echo "${s}bash $script"
}

# bench_col FILE N SCALE: "median min max n" of column N of FILE times SCALE.
bench_col() { awk -v c="$2" -v k="$3" '{ print $c * k }' "$1" | bench_stats; }
