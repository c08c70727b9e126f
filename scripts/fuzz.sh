#!/usr/bin/env bash
# Runs every fuzz target of the module, FUZZTIME each (default 10s).
# The targets are found, not listed by hand: every package whose test files
# declare a func Fuzz..., then `go test -list` for the exact names, so a new
# target runs without anyone adding it here. A failing input is kept by Go
# under the package's testdata/fuzz/ for the regular tests to replay.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
targets=0
failed=()
while read -r dir pkg; do
	compgen -G "$dir/*_test.go" >/dev/null || continue
	grep -q '^func Fuzz' "$dir"/*_test.go || continue
	for t in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		targets=$((targets + 1))
		echo "== $pkg $t ($FUZZTIME)"
		if ! $GO test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" "$pkg"; then
			failed+=("$pkg $t")
		fi
	done
done < <($GO list -f '{{.Dir}} {{.ImportPath}}' ./...)
echo "$targets fuzz targets run for $FUZZTIME each, ${#failed[@]} failed"
for f in "${failed[@]}"; do
	echo "FAILED: $f"
done
[ ${#failed[@]} -eq 0 ]
