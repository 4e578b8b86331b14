# The real-Xen lab: vmtest/README.md. Included by the top-level Makefile.
#
#   make vmtest                                  both XenStore daemons, all tests
#   make vmtest XGO_VMTEST_DAEMONS=oxenstored    one daemon
#   make vmtest XGO_VMTEST_RUN=TestXenDom0       some tests (go test -run regexp)
#   make vmtest XGO_VMTEST_XEN=4.20              Xen 4.20 with a trixie dom0 (default 4.17)
#   make vm-shell [XGO_VMTEST_DAEMONS=oxenstored] interactive dom0 with xgo
#   make vm-root                                 only fetch and build the cached base
#
# XGO_VMTEST_CACHE (default ~/.cache/xgo-vmtest) holds the Debian packages and
# the base image; VMTEST_FLAGS passes any other xenlab flag (go run
# ./vmtest/cmd/xenlab -h lists them).

GO ?= go
VMTEST_FLAGS ?=
XENLAB_FLAGS = $(if $(XGO_VMTEST_DAEMONS),-daemons='$(XGO_VMTEST_DAEMONS)') \
	$(if $(XGO_VMTEST_RUN),-run='$(XGO_VMTEST_RUN)') \
	$(if $(XGO_VMTEST_CACHE),-cache='$(XGO_VMTEST_CACHE)') \
	$(if $(LDFLAGS),-ldflags='$(LDFLAGS)') \
	$(VMTEST_FLAGS)

.PHONY: vmtest vm-shell vm-root

vmtest: ## boot real Xen 4.17 + dom0 in QEMU, run vmtest/suite per XenStore daemon
	CGO_ENABLED=0 $(GO) run ./vmtest/cmd/xenlab test $(XENLAB_FLAGS)

vm-shell: ## boot real Xen 4.17 in QEMU to a dom0 shell with xgo inside
	CGO_ENABLED=0 $(GO) run ./vmtest/cmd/xenlab shell $(XENLAB_FLAGS)

vm-root: ## fetch the Debian packages, build the cached Xen/dom0 base image
	CGO_ENABLED=0 $(GO) run ./vmtest/cmd/xenlab root $(if $(XGO_VMTEST_CACHE),-cache='$(XGO_VMTEST_CACHE)')
