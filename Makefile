# libmp: Python's multiprocessing, in C.  Non-recursive; all output goes under $(BUILD).
#   make               the library (static and shared)
#   make test          everything a fresh machine needs, then every test (see README)
#   make lesson-01     build and run one lesson (ARGS="..." passes options)
#   make coverage      the tests on a --coverage build, gcovr's report of lib/
#   make sanitize      the conformance suite and the lessons under ASan, UBSan and LSan
#   make fuzz          libFuzzer on the pickle decoder (FUZZ_TIME=600 seconds)
.DEFAULT_GOAL := all
SHELL := /bin/bash

BUILD   ?= build
PREFIX  ?= /usr/local
CC      ?= cc
PYTHON  ?= python3
OPT     ?= -O2
EXTRA_CFLAGS ?=

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# Each compile also writes the headers it read into a .d file beside its output (-MP adds an
# empty rule per header, so a removed header is no error); the .d files are included below, so
# a changed header rebuilds exactly what read it.
DEPFLAGS := -MMD -MP
# libcrypto (OpenSSL): the HMACs of the Listener/Client handshake. Every program linked with
# libmp.a needs it too, so it is in LDLIBS_, which every link line uses.
CRYPTO_CFLAGS := $(shell pkg-config --cflags libcrypto 2>/dev/null)
CRYPTO_LIBS   := $(or $(shell pkg-config --libs libcrypto 2>/dev/null),-lcrypto)
CFLAGS_  := -std=c11 -D_GNU_SOURCE $(WARN) $(OPT) -g -pthread -Ilib/include $(CRYPTO_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS_  := -pthread -lm $(CRYPTO_LIBS)

LIB_SRC  := $(sort $(wildcard lib/src/*.c))
LIB_OBJ  := $(LIB_SRC:lib/src/%.c=$(BUILD)/obj/%.o)
LIB_HDR  := $(wildcard lib/include/*.h lib/include/mp/*.h lib/src/*.h)
LIBA     := $(BUILD)/lib/libmp.a
LIBSO    := $(BUILD)/lib/libmp.so

# ---- library ---------------------------------------------------------------------------------
.PHONY: all lib
all lib: $(LIBA) $(LIBSO)

# An object whose .d is missing (a build from before the .d files) depends on the .d's empty
# rule, so it is rebuilt once and gets its .d.
# -fno-plt: the library calls libc through GOT slots bound when the program loads, not through
# lazily bound PLT entries. A forked child that calls a function its parent never called would
# otherwise run the dynamic linker's symbol lookup in its own copy of memory, page faults and
# all: about 9 of a fork start's 36 page faults (bench W4, perf stat -e minor-faults).
LIB_CFLAGS := -fPIC -fvisibility=hidden -fno-plt
$(BUILD)/obj/%.o: lib/src/%.c $(BUILD)/obj/%.d | $(BUILD)/obj
	$(CC) $(CFLAGS_) $(DEPFLAGS) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.d: ;
.PRECIOUS: $(BUILD)/obj/%.d
-include $(LIB_OBJ:.o=.d)

$(LIBA): $(LIB_OBJ) | $(BUILD)/lib
	rm -f $@ && ar rcs $@ $^

$(LIBSO): $(LIB_OBJ) | $(BUILD)/lib
	$(CC) -shared -Wl,-soname,libmp.so.0 -o $@ $^ $(LDLIBS_) $(EXTRA_CFLAGS)

$(BUILD)/obj $(BUILD)/lib $(BUILD)/lessons $(BUILD)/conformance:
	mkdir -p $@

# ---- MPI (lib/mpi): the Pool on MPI ranks, only where Open MPI is ----------------------------
# libmp.a and libmp.so keep no MPI dependency: lib/mpi is its own archive, libmp_mpi.a, built
# when pkg-config finds Open MPI (ompi-c) or with `make MPI=1`; `make MPI=0` leaves it out.
ifeq ($(origin MPI),undefined)
MPI := $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)
endif
MPIRUN ?= mpirun
# mpirun refuses root unless told; the tests run as whoever runs make.
MPIRUN_FLAGS ?= --oversubscribe $(if $(filter 0,$(shell id -u)),--allow-run-as-root)
MPI_SRC    := $(sort $(wildcard lib/mpi/*.c))
MPI_OBJ    := $(MPI_SRC:lib/mpi/%.c=$(BUILD)/obj/mpi/%.o)
LIBMPI     := $(BUILD)/lib/libmp_mpi.a
CONF_MPI_SRC := $(sort $(wildcard conformance/mpi/*.c))
CONF_MPI_BIN := $(BUILD)/conformance/mp-conformance-mpi
MPI_LESSON := $(BUILD)/lessons/lesson12
# What `make test` builds for the MPI parts (conformance-mpi, lesson 12 in lessons-check).
MPI_BINS   :=
ifeq ($(MPI),1)
MPI_BINS   := $(CONF_MPI_BIN) $(MPI_LESSON)
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS   := $(or $(shell pkg-config --libs ompi-c 2>/dev/null),-lmpi)
all lib: $(LIBMPI)

$(BUILD)/obj/mpi/%.o: lib/mpi/%.c $(BUILD)/obj/mpi/%.d | $(BUILD)/obj/mpi
	$(CC) $(CFLAGS_) $(MPI_CFLAGS) -Ilib/src $(DEPFLAGS) -c $< -o $@
$(BUILD)/obj/mpi/%.d: ;
.PRECIOUS: $(BUILD)/obj/mpi/%.d
-include $(MPI_OBJ:.o=.d)

$(LIBMPI): $(MPI_OBJ) | $(BUILD)/lib
	rm -f $@ && ar rcs $@ $^

$(CONF_MPI_BIN): $(CONF_MPI_SRC) $(wildcard conformance/mpi/*.h) $(LIBMPI) $(LIBA) | $(BUILD)/conformance
	$(CC) $(CFLAGS_) $(MPI_CFLAGS) -Wno-missing-prototypes $(CHECK_FLAGS) $(CONF_MPI_SRC) -o $@ \
	    $(LIBMPI) $(LIBA) $(CHECK_LIBS) $(MPI_LIBS) $(LDLIBS_)

$(MPI_LESSON): lessons/12-mpi/lesson12_mpi.c lessons/lesson.h $(LIBMPI) $(LIBA) | $(BUILD)/lessons
	$(CC) $(CFLAGS_) $(MPI_CFLAGS) $< -o $@ $(LIBMPI) $(LIBA) $(MPI_LIBS) $(LDLIBS_)
endif

# A target, not the list itself in `make test`'s recipe: the make that runs it detects Open MPI
# after setup installed it, which the make that ran setup could not.
.PHONY: mpi-bins
mpi-bins: $(MPI_BINS)

.PHONY: conformance-mpi lesson-12
# The Pool suite's cases over MPI ranks, within a minute (scripts/conformance-mpi says how).
conformance-mpi: $(if $(filter 1,$(MPI)),$(CONF_MPI_BIN))
	@BUILD=$(BUILD) MPI=$(MPI) MPIRUN="$(MPIRUN) $(MPIRUN_FLAGS)" scripts/conformance-mpi

lesson-12: $(if $(filter 1,$(MPI)),$(MPI_LESSON))
	@if [ "$(MPI)" != 1 ]; then echo "lesson-12 needs Open MPI (scripts/setup installs it)"; exit 1; fi
	@$(MPIRUN) $(MPIRUN_FLAGS) -np 4 $(MPI_LESSON) $(ARGS)

$(BUILD)/obj/mpi:
	mkdir -p $@

# ---- lessons ---------------------------------------------------------------------------------
# Lesson 12 (MPI) has its own rule above: it links libmp_mpi.a and runs under mpirun.
LESSON_SRC := $(filter-out lessons/12-%,$(sort $(wildcard lessons/[0-9][0-9]-*/lesson[0-9][0-9]_*.c)))
LESSON_BIN := $(foreach s,$(LESSON_SRC),$(BUILD)/lessons/$(shell basename $(s) | cut -c1-8))

.PHONY: lessons lessons-check
lessons: $(LESSON_BIN)

# A lesson's .d lists lessons/lesson.h and the public headers it includes.
define lesson_rule
$(BUILD)/lessons/$(shell basename $(1) | cut -c1-8): $(1) $(BUILD)/lessons/$(shell basename $(1) | cut -c1-8).d $(LIBA) | $(BUILD)/lessons
	$$(CC) $$(CFLAGS_) $$(DEPFLAGS) -MF $$@.d $$< -o $$@ $(LIBA) $$(LDLIBS_)
endef
$(foreach s,$(LESSON_SRC),$(eval $(call lesson_rule,$(s))))
$(BUILD)/lessons/%.d: ;
.PRECIOUS: $(BUILD)/lessons/%.d
-include $(LESSON_BIN:=.d)

lesson-%: $(BUILD)/lessons/lesson%
	@$< $(ARGS)

lessons-check: $(LESSON_BIN)
	@BUILD=$(BUILD) PYTHON=$(PYTHON) scripts/lessons-check

# ---- conformance -----------------------------------------------------------------------------
CONF_SRC := $(sort $(wildcard conformance/*.c))
CONF_BIN := $(BUILD)/conformance/mp-conformance
CHECK_FLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS  = $(shell pkg-config --libs check 2>/dev/null)

$(CONF_BIN): $(CONF_SRC) $(wildcard conformance/*.h) $(LIBA) | $(BUILD)/conformance
	$(CC) $(CFLAGS_) -Wno-missing-prototypes $(CHECK_FLAGS) $(CONF_SRC) -o $@ $(LIBA) $(CHECK_LIBS) $(LDLIBS_)

.PHONY: conformance conformance-python
# Both keep their results for the docs' Spec page: Check's XML log and the output.
conformance: $(CONF_BIN)
	@CK_XML_LOG_FILE_NAME=$(BUILD)/conformance.xml $(CONF_BIN) | tee $(BUILD)/conformance.log; \
	    exit $${PIPESTATUS[0]}

# The suites whose children run under every start method, under spawn and under forkserver
# (`make conformance` runs every suite under fork, the default).
METHOD_SUITES := process daemon connection lock rlock semaphore condition event barrier queue \
                 simplequeue pool sharedctypes sharedmemory
.PHONY: conformance-spawn conformance-forkserver
conformance-spawn conformance-forkserver: conformance-%: $(CONF_BIN)
	@$(CONF_BIN) --start-method=$* $(METHOD_SUITES)

conformance-python:
	@mkdir -p $(BUILD) && $(PYTHON) conformance/python/run.py | tee $(BUILD)/conformance-python.log; \
	    exit $${PIPESTATUS[0]}

# The same against every CPython that find-pythons finds (3.8 up), one after the other: about
# 40 s each, so not part of `make test`, which runs the default python3.
.PHONY: conformance-python-all
conformance-python-all:
	@rc=0; for py in $$(conformance/python/find-pythons); do \
	    echo "== $$($$py -c 'import sys; print(sys.version.split()[0])') ($$py)"; \
	    $$py conformance/python/run.py | grep -E "^FAIL|passed"; [ $${PIPESTATUS[0]} -eq 0 ] || rc=1; \
	done; exit $$rc

# ---- the whole test run ----------------------------------------------------------------------
.PHONY: setup test
setup:
	@scripts/setup

# `make test` is the one command CI runs: it installs what is missing, builds, and runs every
# part, then prints one closing line `N passed, N failed` summed over the parts.
test: setup
	@$(MAKE) --no-print-directory all lessons $(CONF_BIN) mpi-bins
	@BUILD=$(BUILD) PYTHON=$(PYTHON) MAKE="$(MAKE)" scripts/run-tests

# ---- install ---------------------------------------------------------------------------------
.PHONY: install
# The libmp(3) man page is generated from the public headers (scripts/docs-gen --man).
MAN3 := $(BUILD)/man/libmp.3
$(MAN3): $(LIB_HDR) scripts/docs-gen
	@mkdir -p $(@D) && $(PYTHON) scripts/docs-gen --man $@

install: $(LIBA) $(LIBSO) $(MAN3)
	install -d $(DESTDIR)$(PREFIX)/include/mp $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -d $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 644 $(MAN3) $(DESTDIR)$(PREFIX)/share/man/man3/
	install -m 644 lib/include/mp.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 lib/include/mp/*.h $(DESTDIR)$(PREFIX)/include/mp/
	install -m 644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/
	if [ -f $(LIBMPI) ]; then install -m 644 $(LIBMPI) $(DESTDIR)$(PREFIX)/lib/; fi
	install -m 755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/libmp.so.0
	ln -sf libmp.so.0 $(DESTDIR)$(PREFIX)/lib/libmp.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|0.1.0|' scripts/libmp.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/libmp.pc

# ---- docs and coverage -----------------------------------------------------------------------
.PHONY: docs coverage
# The pages that must not drift (Python to C, Errors, Spec with the last results) are generated
# into build/docs-gen, where docs/Doxyfile looks for them; docs-check loads every page in
# headless Chromium (broken links, missing images, console errors) and takes screenshots.
.PHONY: docs-check
docs:
	@mkdir -p $(BUILD)/bench
	@mkdir -p $(BUILD)/docs
	@BUILD=$(BUILD) $(PYTHON) scripts/docs-gen build/docs-gen
	@doxygen docs/Doxyfile && echo "docs: $(BUILD)/docs/html/index.html"
	@scripts/docs-coverage

docs-check: docs
	@$(PYTHON) scripts/docs-check build/docs/html $(BUILD)/docs-check

# One --coverage build of the library, linked into the conformance suite and the lessons; the
# counters of forked children are dumped by the library's child-exit path (-DMP_COVERAGE).
# lib/mpi is left out (MPI=0): its cases run under mpirun, in conformance-mpi.
COVERAGE_MIN ?= 90

coverage:
	@rm -rf build/cov build/coverage && mkdir -p build/coverage
	@$(MAKE) --no-print-directory BUILD=build/cov OPT=-O0 MPI=0 \
	    EXTRA_CFLAGS="--coverage -DMP_COVERAGE" all lessons build/cov/conformance/mp-conformance
	@BUILD=build/cov PYTHON=$(PYTHON) COVERAGE_MIN=$(COVERAGE_MIN) scripts/coverage-check

# The library and the conformance suite under AddressSanitizer, UndefinedBehaviorSanitizer and
# LeakSanitizer (every report is fatal), then the whole suite.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_ENV   := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
             MP_TIME_SCALE=4

# The conformance suite, then the lessons, under AddressSanitizer + UndefinedBehaviorSanitizer
# (LeakSanitizer on); `make valgrind` runs the lessons under valgrind memcheck.
.PHONY: sanitize sanitize-build sanitize-conformance sanitize-lessons valgrind
sanitize: sanitize-conformance sanitize-lessons

# Both sanitized builds at once (make test builds them before running the two side by side).
sanitize-build:
	@$(MAKE) --no-print-directory BUILD=build/sanitize OPT=-O1 EXTRA_CFLAGS="$(SAN_FLAGS)" \
	    build/sanitize/conformance/mp-conformance lessons

sanitize-conformance:
	@$(MAKE) --no-print-directory BUILD=build/sanitize OPT=-O1 EXTRA_CFLAGS="$(SAN_FLAGS)" \
	    build/sanitize/conformance/mp-conformance
	@$(SAN_ENV) build/sanitize/conformance/mp-conformance

sanitize-lessons:
	@$(MAKE) --no-print-directory BUILD=build/sanitize OPT=-O1 EXTRA_CFLAGS="$(SAN_FLAGS)" lessons
	@$(SAN_ENV) BUILD=build/sanitize PYTHON=$(PYTHON) scripts/lessons-check

valgrind: lessons
	@BUILD=$(BUILD) scripts/lessons-valgrind

# libFuzzer on the pickle decoder (clang), seeded from the vectors; the corpus stays in
# $(BUILD)/fuzz/corpus, crashes go to $(BUILD)/fuzz/findings. FUZZ_TIME=seconds (default 600).
FUZZ_TIME ?= 600
FUZZ_BIN  := $(BUILD)/fuzz/fuzz-pickle
FUZZ_SRC  := fuzz/fuzz_pickle.c conformance/pickle_canon.c $(wildcard lib/src/object*.c) \
             $(wildcard lib/src/pickle*.c) lib/src/errors.c
.PHONY: fuzz fuzz-smoke
$(FUZZ_BIN): $(FUZZ_SRC) $(LIB_HDR) conformance/pickle_canon.h
	@mkdir -p $(@D)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -Ilib/include -Iconformance $(FUZZ_SRC) -o $@ -pthread -lm

fuzz: $(FUZZ_BIN)
	@BUILD=$(BUILD) scripts/fuzz-run $(FUZZ_TIME)

fuzz-smoke:
	@if command -v clang >/dev/null; then $(MAKE) --no-print-directory $(FUZZ_BIN) >/dev/null; fi
	@BUILD=$(BUILD) scripts/fuzz-run 30

# ---- benchmarks ------------------------------------------------------------------------------
-include bench/bench.mk

# ---- static analysis ---------------------------------------------------------------------------
.PHONY: lint format
lint:
	@scripts/lint

format:
	@clang-format -i lib/src/*.c lib/src/*.h lib/include/*.h lib/include/mp/*.h

.PHONY: clean
clean:
	rm -rf build
