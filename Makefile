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
# Build tags of the product binary, for every go command below (and the
# lab's, which inherits the environment): urfave_cli_no_docs leaves out
# urfave/cli's Markdown and man-page renderers, whose blackfriday
# dependency cost every command 214 KB and 1-2 ms of package init (xgo
# writes its man pages itself). cmd/xgo's init-budget test builds with
# the same tags and checks this line.
BUILD_TAGS    := urfave_cli_no_docs
export GOFLAGS := $(strip $(GOFLAGS) -tags=$(BUILD_TAGS))

.PHONY: help build test test-deps ansible-test vet lint unit fuzz fuzz-smoke bench demo tools clean man completions install deb deb-check

# make install: Debian's places below PREFIX (DESTDIR for staging).
PREFIX        ?= /usr/local
DESTDIR       ?=
# The package version: a release tag vX.Y.Z gives X.Y.Z-1, else a
# snapshot named by the commit's date and id.
DEB_VERSION   ?= $(shell v=$$(git describe --tags --exact-match 2>/dev/null | sed -n 's/^v\([0-9].*\)/\1/p'); \
	if [ -n "$$v" ]; then echo "$$v-1"; else echo "0.0~git$$(git log -1 --format=%cd --date=format:%Y%m%d%H%M 2>/dev/null || echo 0).$(COMMIT)-1"; fi)

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

build: ## build the static binary bin/xgo
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/xgo ./cmd/xgo

test: test-deps vet lint unit ansible-test fuzz-smoke ## vet, staticcheck, unit tests with -race, the Ansible collection, fuzz smoke
	@echo "make test: all host checks passed"

vet: ## go vet, including the lab suite's build tag
	$(GO) vet ./...
	$(GO) vet -tags $(BUILD_TAGS),manpages ./cmd/xgo
	$(if $(wildcard vmtest/suite/*.go),$(GO) vet -tags xenlab ./vmtest/...)

lint: $(STATICCHECK) ## staticcheck
	$(STATICCHECK) ./...

test-deps: ## install what the tests run (tmux, zsh, fish, groff, man, ansible-core) with apt when missing
	scripts/test-deps.sh

unit: test-deps ## unit tests with the race detector (needs cgo)
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...
	CGO_ENABLED=1 $(GO) test -race -count=1 -tags $(BUILD_TAGS),manpages -run 'TestMan' ./cmd/xgo

ansible-test: test-deps build ## the xgo.xen Ansible collection against localhost on a simulated host
	scripts/ansible-test.sh bin/xgo

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

man: ## man pages from the command tree into bin/man (a build-time binary: the product has no man-page renderer)
	rm -rf bin/man
	$(GO) build -trimpath -tags $(BUILD_TAGS),manpages -ldflags '$(LDFLAGS)' -o bin/xgo-man ./cmd/xgo
	bin/xgo-man __man bin/man

completions: build ## bash, zsh and fish completion scripts into bin/completion
	mkdir -p bin/completion
	bin/xgo completion bash > bin/completion/xgo.bash
	bin/xgo completion zsh > bin/completion/_xgo
	bin/xgo completion fish > bin/completion/xgo.fish

install: man completions ## install binary, man pages, completions (PREFIX=/usr/local DESTDIR=)
	install -D -m 0755 bin/xgo $(DESTDIR)$(PREFIX)/sbin/xgo
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/man/man1
	for f in bin/man/*.1; do gzip -9n -c $$f > $(DESTDIR)$(PREFIX)/share/man/man1/$${f##*/}.gz; \
		chmod 0644 $(DESTDIR)$(PREFIX)/share/man/man1/$${f##*/}.gz; done
	install -D -m 0644 bin/completion/xgo.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/xgo
	install -D -m 0644 bin/completion/_xgo $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_xgo
	install -D -m 0644 bin/completion/xgo.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/xgo.fish

deb: ## the Debian package bin/xgo_<version>_<arch>.deb (dpkg-deb)
	GO=$(GO) DEB_VERSION=$(DEB_VERSION) COMMIT=$(COMMIT) packaging/deb/build.sh

deb-check: deb ## lintian, dpkg -i into an empty root, run the installed xgo
	packaging/deb/check.sh bin/xgo_$(DEB_VERSION)_$$(dpkg --print-architecture).deb

clean: ## remove build output
	rm -rf bin

-include vmtest/vmtest.mk
