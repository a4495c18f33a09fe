# feedsense — build, test, benchmark.
#
#   make            build bin/feedsense
#   make run        deps + build + live demo over the embedded broker
#   make deps       install missing Debian packages (apt-get, when root)
#   make test       deps + build + unit + integration tests (embedded broker, then real Kafka) + eval gate
#                   + fuzz smoke run + deploy checks + test-sanitizers
#   make test-asan  the same tests under AddressSanitizer + UBSan
#   make test-sanitizers  CI-sized: ASan+UBSan unit tests and an integration slice, then make valgrind
#   make valgrind   memcheck of the unit tests, `feedsense score` and a short `feedsense run`
#   make soak       SOAK_SECONDS (600) at 5,000 msg/s: RSS growth and message count
#   make eval       accuracy on our labelled test split
#   make bench      engine and `feedsense score` throughput
#   make fuzz       libFuzzer targets (tests/fuzz), FUZZ_SECONDS each (60); FUZZ_TARGETS=score for one
#   make fuzz-smoke the same for 5 s each, after replaying tests/fuzz/regress (part of `make test`)
#   make check-deploy  lint and check the deployment files under deploy/ (part of `make test`)
#   make install    PREFIX=/usr/local DESTDIR=
#   make kafka-up   a real Apache Kafka on loopback (NODES=3, SECURITY=1); prints its bootstrap last
#   make kafka-down stop it and remove its state (build/kafka)
#   make it-kafka   the integration suites of `make it` against real Apache Kafka (part of `make test`)
#   make test-kafka groups, exactly-once, broker faults, volume and SASL_SSL on real Kafka (part of `make test`)

PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
OPT       ?= -O2
SAN       ?=
CFLAGS    ?= $(OPT) -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
CPPFLAGS  += -Iinclude -D_GNU_SOURCE -DFS_DEFAULT_LEXICON_DIR='"$(PREFIX)/share/feedsense/lexicons"'
LDLIBS    := -lpcre2-8 -ljansson -lz -lrdkafka -lmicrohttpd -lpthread -lm

# Debian packages needed to build and test (libmicrohttpd: the metrics endpoint;
# kcat, jq and curl: the pipeline integration tests; clang-14 and libclang-rt-14-dev,
# which holds its libFuzzer: the fuzz targets; valgrind: the memcheck run;
# OpenJDK and Maven: the real Apache Kafka the integration suite also runs
# against; openssl: its TLS certificates; yamllint: the deploy/ files)
DEB_PKGS  := gcc make pkg-config time libpcre2-dev zlib1g-dev libjansson-dev libcmocka-dev librdkafka-dev \
	     libmicrohttpd-dev kcat jq curl clang-14 clang-format-14 libclang-rt-14-dev valgrind openjdk-17-jre-headless maven openssl \
	     yamllint docker-compose prometheus

ifeq ($(SAN),1)
BUILD     := build/asan
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT       := -O1
else
BUILD     := build/release
SANFLAGS  :=
endif
BIN       := $(if $(filter 1,$(SAN)),$(BUILD)/feedsense,bin/feedsense)

LIB_SRC   := err clock buf text lexicon conf tag rules score event batch log offsets ingest broker client reload metrics runner \
	     config window alerter winmetrics
LIB_OBJ   := $(LIB_SRC:%=$(BUILD)/%.o)
LIB       := $(BUILD)/libfeedsense.a
UNIT      := text lexicon rules score event batch config offsets ingest reload metrics log window winmetrics
UNIT_BIN  := $(UNIT:%=$(BUILD)/tests/test_%)
ALL_CFLAGS = $(CFLAGS) $(WARN) $(SANFLAGS)

.PHONY: all deps run test unit it test-asan eval eval-dev eval-dev-categories bench bench-pipeline clean install style-check check-lexicons valgrind \
	fuzz fuzz-smoke check-deploy kafka-up kafka-down it-kafka test-kafka test-sanitizers soak

# libFuzzer targets: clang with ASan + UBSan (any report aborts), the library
# rebuilt with the same flags in its own directory. libclang-rt-14-dev
# provides libFuzzer for clang-14.
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_BUILD   := build/fuzz
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_TARGETS := text score decode lexicon rules config window
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIB     := $(FUZZ_BUILD)/libfeedsense.a

all: $(BIN)

$(BUILD)/%.o: pipeline/%.c $(wildcard include/feedsense/*.h) | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD):
	@mkdir -p $(BUILD)/tests

$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BIN): $(BUILD)/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/testutil.h $(LIB)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/tests/eval: tests/eval/eval.c $(LIB)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/bench: tests/bench/bench.c $(LIB)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

deps:
	@missing=""; \
	for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "deps: missing Debian packages; run: sudo apt-get install$$missing"; exit 1; \
	fi

# The live demo: embedded broker, pipeline, demo feed, scored events on screen.
run: deps
	$(MAKE) $(BIN)
	@sh deploy/demo/run.sh $(BIN)

# Unit tests, integration tests (embedded broker, then real Kafka), the
# accuracy gate, a short fuzzing run, the deploy/ checks, then the CI-sized
# sanitizer and valgrind checks.
test: deps
	$(MAKE) style-check unit it it-kafka test-kafka eval-gate fuzz-smoke check-deploy test-sanitizers

unit: $(BIN) $(UNIT_BIN)
	@failed=""; for t in $(UNIT_BIN); do echo "== $$t"; FEEDSENSE_LEXICONS=lexicons $$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "unit tests failed:$$failed"; exit 1; fi

# CLI tests, then the streaming pipeline against the embedded broker (about
# 5 minutes, bounded at 10), then live reload, the metrics endpoint, the
# window alerter (about a minute each, bounded at 5), the security checks, the
# hostile-input catalogue (about 1.5 minutes) and the fault suite (about 5
# minutes); all always run, and any failing fails.
it: $(BIN)
	@rc=0; \
	FEEDSENSE_BIN=$(BIN) sh tests/it/run.sh || rc=1; \
	FEEDSENSE_BIN=$(BIN) timeout -k 10 600 sh tests/it/pipeline.sh || rc=1; \
	FEEDSENSE_BIN=$(BIN) timeout -k 10 300 sh tests/it/reload.sh || rc=1; \
	FEEDSENSE_BIN=$(BIN) timeout -k 10 300 sh tests/it/metrics.sh || rc=1; \
	FEEDSENSE_BIN=$(BIN) timeout -k 10 300 sh tests/it/windows.sh || rc=1; \
	FEEDSENSE_BIN=$(BIN) timeout -k 10 120 sh tests/it/security.sh || rc=1; \
	FEEDSENSE_BIN=$(BIN) timeout -k 10 300 sh tests/it/hostile.sh || rc=1; \
	FEEDSENSE_BIN=$(BIN) timeout -k 10 480 sh tests/it/faults.sh || rc=1; \
	exit $$rc

# Real Apache Kafka 4 (KRaft) started by tests/kafka/kafka.sh from jars cached
# outside the tree (FEEDSENSE_TEST_KAFKA_CACHE); state in FEEDSENSE_TEST_KAFKA_DIR (build/kafka).
NODES     ?= 1
SECURITY  ?=
kafka-up:
	@sh tests/kafka/kafka.sh up --nodes $(NODES) $(if $(filter 1,$(SECURITY)),--security)

kafka-down:
	@sh tests/kafka/kafka.sh down

# Every integration suite of `make it` that needs a broker, against real Kafka:
# a fresh single-node cluster per test (each in the test's own directory,
# stopped at its end). The faults only the embedded broker injects (request
# errors, round-trip times: faults.sh tests 2 and 3, parts of pipeline.sh) are
# printed as skip lines. All always run, each bounded; any failing fails.
it-kafka: $(BIN)
	@sh tests/kafka/kafka.sh fetch >/dev/null
	@rc=0; export FEEDSENSE_BIN=$(BIN) FEEDSENSE_TEST_BROKER=kafka; \
	timeout -k 10 1200 sh tests/it/pipeline.sh || rc=1; \
	timeout -k 10 300 sh tests/it/reload.sh || rc=1; \
	timeout -k 10 300 sh tests/it/metrics.sh || rc=1; \
	timeout -k 10 420 sh tests/it/windows.sh || rc=1; \
	timeout -k 10 120 sh tests/it/security.sh || rc=1; \
	timeout -k 10 300 sh tests/it/hostile.sh || rc=1; \
	timeout -k 10 600 sh tests/it/faults.sh || rc=1; \
	exit $$rc

# What only a real Kafka cluster can answer (tests/kafka/*.sh, each on a
# cluster of its own in build/kafka-tests-SUITE): consumer groups, exactly-once,
# broker faults, volume with every codec, SASL_SSL. KAFKA_VOLUME_MESSAGES sets
# the volume (KAFKA_TEST_VOLUME here; the suite alone defaults to 10,000,000).
KAFKA_TEST_VOLUME ?= 1000000
KAFKA_SUITES      ?= groups eos faults volume security
test-kafka: $(BIN)
	@sh tests/kafka/kafka.sh fetch >/dev/null
	@rc=0; t0=$$(date +%s); for s in $(KAFKA_SUITES); do \
		FEEDSENSE_BIN=$(BIN) KAFKA_VOLUME_MESSAGES=$${KAFKA_VOLUME_MESSAGES:-$(KAFKA_TEST_VOLUME)} \
			timeout -k 10 1200 sh tests/kafka/$$s.sh || rc=1; \
	done; echo "test-kafka: $$(($$(date +%s) - t0)) s"; exit $$rc

eval-gate: $(BUILD)/tests/eval
	$(BUILD)/tests/eval --lexicons lexicons --gate tests/data/eval-gate.txt tests/data/corpus/*.jsonl

test-asan: deps
	$(MAKE) SAN=1 unit it

eval: $(BUILD)/tests/eval
	$(BUILD)/tests/eval --lexicons lexicons --split test tests/data/corpus/*.jsonl

eval-dev: $(BUILD)/tests/eval
	$(BUILD)/tests/eval --lexicons lexicons --split dev --errors tests/data/corpus/*.jsonl

eval-dev-categories: $(BUILD)/tests/eval
	$(BUILD)/tests/eval --lexicons lexicons --split dev --cat-errors tests/data/corpus/*.jsonl

bench: $(BIN) $(BUILD)/tests/bench
	@sh tests/bench/bench.sh $(BUILD)/tests/bench $(BIN)

bench-pipeline: $(BIN) $(BUILD)/tests/bench
	@BROKER=$(or $(BROKER),embedded) sh tests/bench/pipeline.sh $(BUILD)/tests/bench $(BIN) $(or $(MESSAGES),1000000)

$(FUZZ_BUILD)/obj/%.o: pipeline/%.c $(wildcard include/feedsense/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(WARN) -c -o $@ $<

$(FUZZ_LIB): $(LIB_SRC:%=$(FUZZ_BUILD)/obj/%.o)
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_LIB)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(WARN) -o $@ $< $(FUZZ_LIB) $(LDLIBS)

# Each target FUZZ_SECONDS on its corpus in build/fuzz/corpus (seeds from
# tests/fuzz/corpus); crashers go to build/fuzz/artifacts. Fails on any finding.
fuzz: deps
	$(MAKE) $(FUZZ_BIN)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Replays tests/fuzz/regress, then FUZZ_SMOKE_SECONDS per target on fresh seed copies.
fuzz-smoke: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh -s $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# deploy/: yamllint, the dashboard's metric names, the shipped configurations,
# the Dockerfile's files and libraries, the systemd units (tests/deploy/check.sh)
check-deploy: $(BIN)
	@FEEDSENSE_BIN=$(BIN) sh tests/deploy/check.sh

check-lexicons: $(BIN)
	$(BIN) lexicon check --lexicons lexicons

# valgrind memcheck of the unit tests, then of `feedsense score` and a short
# `feedsense run` on the embedded broker (tests/it/memcheck.sh). Fails on any
# error and on definite or indirect leaks. PCRE2 runs its interpreter here
# (FEEDSENSE_TEST_NO_JIT): valgrind cannot follow JIT-generated code.
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    --show-leak-kinds=definite,indirect --suppressions=tests/valgrind.supp
valgrind: $(BIN) $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; \
		FEEDSENSE_TEST_NO_JIT=1 FEEDSENSE_LEXICONS=lexicons $(VALGRIND) $$t >$(BUILD)/valgrind.log 2>&1 \
		|| { cat $(BUILD)/valgrind.log; exit 1; }; done
	@FEEDSENSE_BIN=$(BIN) timeout -k 10 600 sh tests/it/memcheck.sh

# CI-sized memory checks (part of make test; about 6 minutes on 2 shared
# cores): the unit tests under ASan + UBSan, a slice of the integration tests
# on the ASan binary (pipeline tests SAN_IT_ONLY, the security suite, the
# hostile-input catalogue), then make valgrind.
SAN_IT_ONLY ?= 1 2 7
test-sanitizers: deps
	$(MAKE) SAN=1 unit
	@rc=0; \
	FEEDSENSE_BIN=build/asan/feedsense FEEDSENSE_TEST_ONLY="$(SAN_IT_ONLY)" timeout -k 10 600 sh tests/it/pipeline.sh || rc=1; \
	FEEDSENSE_BIN=build/asan/feedsense timeout -k 10 120 sh tests/it/security.sh || rc=1; \
	FEEDSENSE_BIN=build/asan/feedsense timeout -k 10 300 sh tests/it/hostile.sh || rc=1; \
	exit $$rc
	$(MAKE) valgrind

# The pipeline at a steady load on the embedded broker (tests/soak/soak.sh):
# SOAK_SECONDS (600) at SOAK_RATE msg/s (5000); fails on RSS growth >= 5%
# after warm-up or on any missing message.
soak: $(BIN)
	@FEEDSENSE_BIN=$(BIN) sh tests/soak/soak.sh

CLANG_FORMAT ?= $(shell command -v clang-format || command -v clang-format-14)
style-check:
	@[ -n "$(CLANG_FORMAT)" ] || { echo "style-check: clang-format not installed (make deps)"; exit 1; }
	$(CLANG_FORMAT) --dry-run --Werror pipeline/*.c include/feedsense/*.h

install: bin/feedsense
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/feedsense/lexicons
	install -m 755 bin/feedsense $(DESTDIR)$(PREFIX)/bin/feedsense
	install -m 644 lexicons/*.tsv lexicons/*.conf lexicons/README.md $(DESTDIR)$(PREFIX)/share/feedsense/lexicons/

clean:
	rm -rf build bin
