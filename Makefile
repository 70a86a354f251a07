# Dothi — the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
BIN     := bin/dothi
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/dothi-city/dothi/internal/version.Version=$(VERSION)
ADDR    ?= :8080
DATA    ?= ./data

.PHONY: all build run test lint gotest bench clean

all: build

## build: compile the dothi binary into bin/
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/dothi

## run: build and start the platform on http://localhost:8080
run: build
	$(BIN) serve --addr $(ADDR) --data $(DATA)

## test: every check and test the project has
test: lint gotest

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

gotest:
	$(GO) test -race -count=1 ./...

## bench: the benchmarks recorded in docs/benchmarks.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
