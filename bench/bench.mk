# Benchmarks: libmp side by side with CPython's multiprocessing and the raw-syscall floor.
#   make bench                 every workload of bench/registry.py (SCALE=0.1 for a quick look,
#                              RUNS=5 timed runs a figure, ONLY=W1,W4 for some workloads); writes
#                              $(BUILD)/bench/{results.csv,results.md,machine.txt,chart.png,...}
#   make bench-smoke           each program once with tiny counts; last line `N passed, N failed`
# Included by the top Makefile, whose $(BUILD), $(CC), $(CFLAGS_), $(LDLIBS_), $(LIBA) and
# $(PYTHON) it uses. See bench/README.md.
SCALE ?= 1
RUNS  ?= 5
ONLY  ?=

BENCH_OUT   := $(BUILD)/bench
BENCH_BIN   := $(BENCH_OUT)/bin
BENCH_COMMON := $(BENCH_OUT)/obj/common.o
BENCH_FLOOR := $(patsubst bench/floor/%.c,$(BENCH_BIN)/floor-%,$(sort $(wildcard bench/floor/*.c)))
BENCH_LIBMP := $(patsubst bench/libmp/%.c,$(BENCH_BIN)/libmp-%,$(sort $(wildcard bench/libmp/*.c)))
BENCH_RUN    = $(PYTHON) bench/run.py --bin $(BENCH_BIN) --out $(BENCH_OUT) --python $(PYTHON) \
               --cc "$(CC)" --mpirun "$(if $(filter 1,$(MPI)),$(MPIRUN) $(MPIRUN_FLAGS))"

.PHONY: bench bench-smoke bench-build bench-programs bench-docs

$(BENCH_BIN) $(BENCH_OUT)/obj:
	@mkdir -p $@

$(BENCH_COMMON): bench/common.c bench/common.h | $(BENCH_OUT)/obj
	$(CC) $(CFLAGS_) -c $< -o $@

$(BENCH_BIN)/floor-%: bench/floor/%.c $(BENCH_COMMON) bench/common.h | $(BENCH_BIN)
	$(CC) $(CFLAGS_) -Ibench $< $(BENCH_COMMON) -o $@ $(LDLIBS_)

$(BENCH_BIN)/libmp-%: bench/libmp/%.c $(BENCH_COMMON) bench/common.h bench/pool_tasks.h $(LIBA) | $(BENCH_BIN)
	$(CC) $(CFLAGS_) -Ibench $< $(BENCH_COMMON) -o $@ $(LIBA) $(LDLIBS_)

# W9: the Pool on MPI ranks (bench/mpi), linked with libmp_mpi.a, only where Open MPI is.
BENCH_MPI := $(if $(filter 1,$(MPI)),$(patsubst bench/mpi/%.c,$(BENCH_BIN)/mpi-%,$(sort $(wildcard bench/mpi/*.c))))
$(BENCH_BIN)/mpi-%: bench/mpi/%.c $(BENCH_COMMON) bench/common.h bench/pool_tasks.h $(LIBMPI) $(LIBA) | $(BENCH_BIN)
	$(CC) $(CFLAGS_) $(MPI_CFLAGS) -Ibench $< $(BENCH_COMMON) -o $@ $(LIBMPI) $(LIBA) $(MPI_LIBS) $(LDLIBS_)

# -k and an ignored status: a program that does not build (a libmp row while its part of the
# library is broken) is reported by the driver as "not built", and every other one still runs.
bench-build:
	-@$(MAKE) --no-print-directory -k bench-programs

bench-programs: $(BENCH_FLOOR) $(BENCH_LIBMP) $(BENCH_MPI)
	@:

bench: bench-build
	@$(BENCH_RUN) --scale $(SCALE) --runs $(RUNS) $(if $(ONLY),--only $(ONLY))

bench-smoke: bench-build
	@$(BENCH_RUN) --smoke

# docs/pages/performance.md includes $(BUILD)/bench/latest.html (the table, with the chart
# inlined): before the first `make bench` a placeholder stands in, so that `make docs` always
# finds the file.
docs: bench-docs
bench-docs:
	@$(BENCH_RUN) --docs-placeholder
