# The SDK's two entry points are `go run ./examples/quickstart` and `make test`.
GO ?= go
GOTESTFLAGS ?= -race -timeout 45m

.PHONY: test deps vet unit bench fmt generate

## test: install missing test dependencies, then vet and run every test with the race detector.
test: deps vet unit

## deps: install the Debian packages the tests need (scripts/apt-packages.txt).
deps:
	@bash scripts/deps.sh

vet:
	$(GO) vet ./...

unit:
	$(GO) test $(GOTESTFLAGS) ./...

## bench: run the Go benchmarks (see docs/benchmarks.md and bench/).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -l -w .

generate:
	$(GO) generate ./...
