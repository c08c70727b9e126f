# The SDK's two entry points are `go run ./examples/quickstart` and `make test`.
GO ?= go
GOTESTFLAGS ?= -race -timeout 45m

.PHONY: test deps testdata testdata-manifest vet unit bench bench-compare fmt generate fuzz

# Without ../shared/testdata and MSS_TESTDATA, make test fetches the public test data first.
TESTDATA_IF_ABSENT := $(if $(MSS_TESTDATA)$(wildcard ../shared/testdata),,testdata)

## test: install missing test dependencies (and the test data if absent), then vet and run every test with the race detector.
test: deps $(TESTDATA_IF_ABSENT) vet unit

## deps: install the Debian packages the tests need (scripts/apt-packages.txt).
deps:
	@bash scripts/deps.sh

## testdata: download the public test files, verified by internal/testfiles/manifest.txt, into
## $MSS_TESTDATA or a cache folder (from GitHub, or the mirror named by MSS_TESTDATA_MIRROR).
testdata:
	$(GO) run ./internal/testfiles/cmd/testfiles fetch -q

## testdata-manifest: regenerate the manifest from ../shared/testdata and internal/testfiles/sources.txt.
testdata-manifest:
	$(GO) run ./internal/testfiles/cmd/testfiles manifest

vet:
	$(GO) vet ./...

unit:
	$(GO) test $(GOTESTFLAGS) ./...

## bench: run the Go benchmarks (see docs/benchmarks.md and bench/).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-compare: run the Go benchmarks and every comparison of bench/ (bench/*/compare.sh: interleaved rounds, median
## and spread) and regenerate docs/benchmarks.md and docs/benchmarks/results.json from them, printing the document
## (about half an hour on 2 cores). BENCH_QUICK=1: smoke test (QUICK=1 to every script); BENCH_ONLY="gobench xdm":
## only these sections; BENCH_OUT=DIR: write DIR/benchmarks.md instead (a quick or partial run never writes docs/:
## without BENCH_OUT it writes to a temporary directory); ROUNDS=N goes to every script. Exits non-zero if a section
## is missing or fails (the others still run, and the document says which). To check that the committed document still
## holds (each figure of a fresh run within its stated spread or ±15%, a Markdown report, exit 1 if not):
## BENCH_OUT=/tmp/run2 make bench-compare && go run ./bench/report -check docs/benchmarks/results.json /tmp/run2/benchmarks/results.json
bench-compare:
	$(GO) run ./bench/report

## fuzz: run every fuzz target of the module (found by scripts/fuzz.sh) for FUZZTIME each (default 10s).
FUZZTIME ?= 10s
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) bash scripts/fuzz.sh

fmt:
	gofmt -l -w .

generate:
	$(GO) generate ./...
