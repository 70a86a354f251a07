# Dothi — the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
NPM     ?= npm
BIN     := bin/dothi
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/dothi-city/dothi/internal/version.Version=$(VERSION)
ADDR    ?= :8080
DATA    ?= ./data
WEB_SRC := $(shell find web/src web/public web/index.html web/vite.config.ts web/tsconfig*.json -type f 2>/dev/null)

.PHONY: all build web run test lint gotest e2e screenshots bench clean

all: build

## build: the web interface and the dothi binary (bin/dothi)
build: web
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/dothi

## web: the web interface, built into web/dist and embedded in the binary
web: web/dist/index.html

web/node_modules/.installed: web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund
	touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SRC)
	cd web && $(NPM) run build

## run: build and start the platform with the living demo city on http://localhost:8080
run: build
	$(BIN) serve --demo --addr $(ADDR) --data $(DATA)

## test: every check and test the project has
test: lint gotest e2e

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

gotest:
	$(GO) test -race -count=1 ./...

## e2e: browser tests (headless Chromium) against a real server
e2e: web
	web/e2e/serve-and-test.sh

## screenshots: refresh docs/screenshots from the browser tests
screenshots: web
	SCREENSHOT_DIR=$(CURDIR)/docs/screenshots web/e2e/serve-and-test.sh

## bench: the benchmarks recorded in docs/benchmarks.md
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(BIN) bench

clean:
	rm -rf bin web/dist/assets web/dist/index.html
