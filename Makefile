# sfwd - top-level entry points. `make help` lists them.

SHELL := /bin/bash
TOP := $(CURDIR)
MOD := modules/sfwd
# the sanitizer build: the same sources, own objects (make module-asan)
ASAN_MOD := var/asan/modules/sfwd
# the module's own pkg_malloc/realloc/free go to libc there (ASan cannot
# see inside Kamailio's pkg pool): test/asan/sf_syspkg.h
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-U_FORTIFY_SOURCE -DSF_SYS_PKG -include $(TOP)/test/asan/sf_syspkg.h

.PHONY: all deps module check-flags run start stop status test test-unit \
	cluster-run \
	test-e2e module-asan test-asan deb fuzz bench bench-quick bench-reregister bench-scale bench-profile format format-check \
	lint clean distclean help \
	image test-container

all: module

help:
	@echo "make            build modules/sfwd/sfwd.so against the installed Kamailio"
	@echo "make run        private PostgreSQL + Kamailio on 127.0.0.1, foreground"
	@echo "make start|stop|status   the same, detached"
	@echo "make cluster-run  two nodes (127.0.0.2, 127.0.0.3, dmq_usrloc) + PostgreSQL and a standby, detached; make stop"
	@echo "make test       unit (check, ASan+UBSan) and end-to-end (SIPp) tests"
	@echo "make test-asan  end-to-end tests with sfwd.so built with ASan+UBSan"
	@echo "make fuzz       four fuzzers (MSRP parser, classifier, MSRP server, resource lists), 10 M runs each"
	@echo "make bench | bench-quick   sfwd against msilo on this machine"
	@echo "make bench-reregister       20,000 users x 10 messages re-register in 60 s (64 MB)"
	@echo "make bench-scale            10 M queued for 1 M users; 1 M stored and delivered"
	@echo "make bench-profile          perf of Kamailio and PostgreSQL while sfwd stores"
	@echo "make format | format-check   clang-format with Kamailio's style"
	@echo "make lint       review rules (formatted lengths checked)"
	@echo "make deb       the Debian package (var/deb/kamailio-sfwd-module_*.deb), lintian-checked"
	@echo "make image      container image from Debian packages only (podman)"
	@echo "make test-container   that image built afresh and run against SIPp"

# SFWD_NO_DEPS=1: install nothing (the Debian package build, not root)
deps:
	@[ -n "$(SFWD_NO_DEPS)" ] || scripts/deps.sh

module: deps
	@corepath=$$(scripts/kamailio-src.sh) && \
	$(MAKE) -s -C $(MOD) COREPATH="$$corepath" quiet=silent && \
	$(MAKE) -s check-flags

# the sanitizer build: links to the sources in $(ASAN_MOD), built there by
# Kamailio's rules with ASAN_FLAGS added (modules/sfwd is not touched)
module-asan: deps
	@corepath=$$(scripts/kamailio-src.sh) && mkdir -p $(ASAN_MOD) && \
	ln -sfn $(addprefix $(TOP)/,$(wildcard $(MOD)/*.[ch]) $(MOD)/Makefile) \
		$(ASAN_MOD)/ && \
	find $(ASAN_MOD) -xtype l -delete && \
	$(MAKE) -s -C $(ASAN_MOD) COREPATH="$$corepath" quiet=silent \
		SFWD_SANITIZE="$(ASAN_FLAGS)" && \
	$(MAKE) -s check-flags SO=$(ASAN_MOD)/sfwd.so

deb: module
	@scripts/deb.sh

# the core refuses a module whose flags differ; fail here instead
SO ?= $(MOD)/sfwd.so
check-flags:
	@core=$$(kamailio -v | sed -n 's/^flags: //p'); \
	mod=$$(strings $(SO) | grep -m1 '^USE_TCP'); \
	if [ "$$core" != "$$mod" ]; then \
		echo "$(SO) flags differ from kamailio -v:"; \
		echo "  core:   $$core"; echo "  module: $$mod"; exit 1; fi

run: module
	@scripts/sfwd-run.sh run

start: module
	@scripts/sfwd-run.sh start

cluster-run: module
	@scripts/cluster-run.sh start

stop:
	@scripts/cluster-run.sh stop
	@scripts/sfwd-run.sh stop

status:
	@scripts/sfwd-run.sh status

test: module
	@scripts/test.sh

test-unit: deps
	@$(MAKE) -s -C test/unit check

test-e2e: module
	@test/e2e/run.sh

# the end-to-end tests with the sanitizer build loaded into Debian's
# Kamailio (libasan preloaded); any sanitizer report fails its test
test-asan: module module-asan
	@SFWD_ASAN=1 test/e2e/run.sh

# sfwd against msilo, side by side (var/bench/bench.txt, bench.json)
bench: module
	@scripts/bench.sh

bench-quick: module
	@scripts/bench.sh quick

# mass re-registration: 20,000 users x 10 messages, 64 MB (var/bench-rr)
bench-reregister: module
	@scripts/bench-reregister.sh

# 10 M queued for 1 M users; 1 M stored and delivered (var/bench-scale)
bench-scale: module
	@scripts/bench-scale.sh

# perf of Kamailio and PostgreSQL while sfwd stores (var/bench-profile)
bench-profile: module
	@scripts/bench-profile.sh

# four fuzzers (MSRP parser, classifier, MSRP server, resource lists), FUZZ_RUNS
# executions each (default 10 M)
fuzz: deps
	@$(MAKE) -s -C test/fuzz fuzz

# the container image from Debian packages only (podman, debootstrap; as
# root), and its test: built afresh, SIPp against it, removed after
image: deb
	@scripts/container-image.sh

test-container: deb
	@test/container/run.sh

C_SOURCES = $(wildcard modules/sfwd/*.[ch] test/unit/*.[ch] test/fuzz/*.[ch])

format:
	@clang-format -i --style=file $(C_SOURCES)

format-check:
	@clang-format --dry-run --Werror --style=file $(C_SOURCES)

# review rules: no unchecked snprintf length, no unbounded writes
lint:
	@scripts/lint.sh

clean:
	@rm -f $(MOD)/*.o $(MOD)/*.d $(MOD)/sfwd.so
	@rm -rf var/asan
	@-$(MAKE) -s -C test/unit clean 2>/dev/null
	@-$(MAKE) -s -C test/fuzz clean 2>/dev/null

distclean: clean
	@rm -rf var
