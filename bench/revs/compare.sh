#!/usr/bin/env bash
# compare.sh REV [ROUNDS]: run the Go benchmarks of the SDK on the code of REV
# (exported with git archive) and on the working tree, alternately, ROUNDS
# times (default 6), then compare them with benchstat. Alternating keeps a
# shared machine's load fair to both sides. Needs benchstat
# (go install golang.org/x/perf/cmd/benchstat@latest) and ../shared beside
# the checkout, as the tests do.
#
# Environment:
#   ONLY="mssante cda"  run only the specs of these packages (default: all).
#   HARNESS="path..."   copy these files of the working tree over REV's before
#                       running: to measure REV's code with today's benchmark
#                       harness (e.g. the cpu-ns/op metric of testenv.ReportCPU:
#                       HARNESS="internal/testenv/cputime_unix.go
#                       internal/testenv/cputime_other.go mssante/bench_test.go").
set -euo pipefail
rev=${1:?usage: compare.sh REV [ROUNDS]}
rounds=${2:-6}
here=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/old" "$work/out"
git -C "$here" archive "$rev" | tar -x -C "$work/old"
for f in ${HARNESS:-}; do
	mkdir -p "$(dirname "$work/old/$f")"
	cp "$here/$f" "$work/old/$f"
done
ln -s "$here/../shared" "$work/shared"
specs=(
	"ins:BenchmarkParse$"
	"cda:BuildLevel1|ReadHeader|ValidateLargest|BodyLevel1"
	"mssante/xdm:Write$|Verify$|VerifyAllOfficial"
	"mssante:ComposeWithXDM|Read$|WriteTo"
	"msc:ClassifyDSN|IsClosing|PolicyCheck"
	"mssante/mssantetest:Start|Submit"
)
run() { # dir pkg pattern side
	(cd "$1" && go test -run '^$' -bench "$3" -benchmem -count 1 "./$2/" | grep '^Benchmark' >>"$work/out/$4.${2//\//_}.txt")
}
for ((i = 1; i <= rounds; i++)); do
	for spec in "${specs[@]}"; do
		[[ -z ${ONLY:-} || " $ONLY " == *" ${spec%%:*} "* ]] || continue
		run "$work/old" "${spec%%:*}" "${spec#*:}" old
		run "$here" "${spec%%:*}" "${spec#*:}" new
	done
	echo "round $i, load $(cut -d' ' -f1 /proc/loadavg)" >&2
done
for f in "$work"/out/old.*.txt; do
	benchstat "$f" "${f/old./new.}"
done
