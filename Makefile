# xgo — run `make help` for the targets.
GO            ?= go
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT        ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS       := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
TOOLS         := $(CURDIR)/bin/tools
STATICCHECK   := $(TOOLS)/staticcheck
STATICCHECK_VERSION := v0.8.2
FUZZTIME      ?= 30s
SMOKE_FUZZTIME ?= 2s

export CGO_ENABLED ?= 0

.PHONY: help build test vet lint unit fuzz fuzz-smoke bench demo tools clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

build: ## build the static binary bin/xgo
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/xgo ./cmd/xgo

test: vet lint unit fuzz-smoke ## vet, staticcheck, unit tests with -race, fuzz smoke
	@echo "make test: all host checks passed"

vet: ## go vet, including the lab suite's build tag
	$(GO) vet ./...
	$(if $(wildcard vmtest/suite/*.go),$(GO) vet -tags xenlab ./vmtest/...)

lint: $(STATICCHECK) ## staticcheck
	$(STATICCHECK) ./...

unit: ## unit tests with the race detector (needs cgo)
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...

fuzz: ## run every fuzz target for FUZZTIME (30s)
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

fuzz-smoke: ## run every fuzz target briefly
	FUZZTIME=$(SMOKE_FUZZTIME) GO=$(GO) scripts/fuzz.sh

bench: ## benchmarks (results go in docs/perf.md)
	$(GO) test -run '^$$' -bench . -benchmem ./...

demo: build ## a short tour of xgo (see README)
	scripts/demo.sh bin/xgo

tools: $(STATICCHECK) ## install the developer tools into bin/tools

$(STATICCHECK):
	GOBIN=$(TOOLS) CGO_ENABLED=0 $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

clean: ## remove build output
	rm -rf bin

-include vmtest/vmtest.mk
