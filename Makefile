# Prequal Portal — `make run` to try it, `make test` for everything CI checks.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

GO        ?= go
BIN       := bin/portal
HTMX_SRC  := node_modules/htmx.org/dist/htmx.min.js
HTMX_DST  := static/assets/htmx.min.js
AXE_SRC   := node_modules/axe-core/axe.min.js
GOFILES    = $(shell git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(HTMX_DST): node_modules/.package-lock.json
	cp $(HTMX_SRC) $(HTMX_DST)

# Every text asset's gzip and brotli forms, written next to it at build time
# and embedded with it (static.Assets serves the one a browser accepts).
ASSETS      = $(sort $(filter %.css %.js %.svg %.json %.txt %.html,$(wildcard static/assets/*)) $(HTMX_DST))
PRECOMPRESSED = $(foreach a,$(ASSETS),$(a).gz $(a).br)

static/assets/%.gz static/assets/%.br: static/assets/%
	$(GO) run ./cmd/precompress $<

.PHONY: deps
deps: node_modules/.package-lock.json $(HTMX_DST) $(PRECOMPRESSED) ## install npm packages, copy htmx into static/, precompress the assets

.PHONY: generate
generate: ## regenerate templ code (commit the *_templ.go files)
	$(GO) tool templ generate

.PHONY: check-generated
check-generated: ## fail when `templ generate` would change the committed *_templ.go files
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp -r views "$$tmp/views"; \
	$(GO) tool templ generate -path "$$tmp" >/dev/null 2>&1; \
	if ! diff -r -q views "$$tmp/views" >/dev/null; then \
		echo "generated templ code is stale; run 'make generate' and commit:"; diff -r -q views "$$tmp/views" || true; exit 1; \
	fi; echo "generated templ code is up to date"

.PHONY: build
build: deps generate ## build bin/portal
	$(GO) build -o $(BIN) ./cmd/portal

.PHONY: run
run: build ## install what is missing, build, migrate and serve the portal with the embedded stage platform
	./$(BIN) migrate
	./$(BIN) serve

.PHONY: lint
lint: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: browser
browser: ## make sure Debian's chromium is there (installed under CI=true)
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$${CI:-}" = "true" ]; then \
			echo "installing chromium (CI)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium is not installed: browser tests will skip (apt-get install -y chromium)"; \
		fi; \
	fi

.PHONY: wrk
wrk: ## make sure Debian's wrk is there for make bench (installed when missing under CI=true)
	@if ! command -v wrk >/dev/null 2>&1; then \
		if [ "$${CI:-}" = "true" ]; then \
			echo "installing wrk (CI)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else \
			echo "wrk is not installed: make bench needs it (apt-get install -y wrk); its harness test skips"; \
		fi; \
	fi

.PHONY: test
test: deps check-generated lint browser wrk ## everything CI checks: unit, handler, store and browser tests, generated code, vet, fmt
	@if [ -n "$${PORTAL_TEST_DATABASE_URL:-}" ]; then \
		echo ".ci/go-test: go test -race (cmd/portal without -race) (PostgreSQL half on PORTAL_TEST_DATABASE_URL)"; \
		GO=$(GO) .ci/go-test; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "CI: the PostgreSQL half runs on a throwaway server (.ci/with-postgres)"; \
		GO=$(GO) .ci/with-postgres .ci/go-test; \
	else \
		echo "PORTAL_TEST_DATABASE_URL is not set: skipping the PostgreSQL half (store tests on PostgreSQL, two instances on one database); 'make test-postgres', CI=true or .ci/run runs it"; \
		GO=$(GO) .ci/go-test; \
	fi

.PHONY: test-postgres
test-postgres: ## make test with a throwaway PostgreSQL server (Debian's postgresql), as CI runs it
	.ci/with-postgres $(MAKE) test

.PHONY: test-browser
test-browser: deps browser ## only the browser tests (headless chromium)
	$(GO) test -count=1 -timeout 8m -run 'Browser' -v ./cmd/portal/

# Lighthouse lives in its own npm project (lighthouse/), installed only for
# make lighthouse: 146 packages no other target needs.
LIGHTHOUSE_MODULES := lighthouse/node_modules/.package-lock.json

$(LIGHTHOUSE_MODULES): lighthouse/package.json lighthouse/package-lock.json
	cd lighthouse && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: lighthouse
lighthouse: deps browser $(LIGHTHOUSE_MODULES) ## Lighthouse (mobile) on /apply and an offers page of a real portal: performance ≥ 98 (CPU calibrated to the host; the default-4x score is printed), the rest 100 (~2-3 min)
	$(GO) test -tags lighthouse -count=1 -timeout 10m -run '^TestLighthouse$$' -v ./cmd/portal/

.PHONY: bench
bench: deps wrk ## benchmarks: the portal under wrk load next to bare Echo, then on SQLite and PostgreSQL, one and two instances (writes BENCHMARKS.md, ~6 min), then the Go benchmarks
	@command -v wrk >/dev/null 2>&1 || { echo "make bench needs wrk: apt-get install -y wrk"; exit 1; }
	PORTAL_PG_FSYNC=on .ci/with-postgres $(GO) run ./cmd/bench
	$(GO) test -run '^$$' -bench . -benchtime 2s -timeout 5m ./api/ ./handlers/ ./store/

.PHONY: clean
clean: ## remove build output and local data
	rm -rf bin data artifacts
