#!/usr/bin/env python3
"""The benchmark driver behind `make bench` and `make bench-smoke` (stdlib only).

Runs every variant of bench/registry.py: a warm-up, then RUNS timed runs, interleaved across the
variants of one workload so that a noisy moment of the machine hits them all alike. Reports each
figure as its median with min and max, the ratios libmp/floor and CPython/libmp (of time per
operation, against the fastest floor and the fastest CPython variant of the same run), and writes
results.csv, results.md, machine.txt, latest.html (the part the docs page includes), chart.dat,
chart.gp and chart.png into --out. Each timed run is watched for other work on the machine (see
LoadProbe): a figure with a disturbed run is marked, not reported as clean.
"""
import argparse
import base64
import csv
import datetime
import html
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry import CPYTHON, FLOOR, LIBMP, VARIANTS, WORKLOADS  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RESULT = re.compile(r"^result ops=(\d+) seconds=([0-9.eE+-]+)", re.M)
KIND_NAME = {LIBMP: "libmp", CPYTHON: "CPython", FLOOR: "floor"}
TIME_UNITS = {"us": 1e-6, "ns": 1e-9}
DASH = "\u2014"


# ---- running one program ---------------------------------------------------------------------

class Failure(Exception):
    pass


def mpi_python(opts):
    """A python3 that has mpi4py: --python, else Debian's (python3-mpi4py is built for it)."""
    for py in (opts.python, "/usr/bin/python3"):
        try:
            if subprocess.run([py, "-c", "import mpi4py.futures"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0:
                return py
        except OSError:
            pass
    return None


def command(opts, work, v, count):
    launch = shlex.split(opts.mpirun) + ["-np", str(v.ranks)] if v.ranks else []
    if v.program.endswith(".py") and v.ranks:
        argv = [mpi_python(opts), "-m", "mpi4py.futures", os.path.join(HERE, v.program)]
    elif v.program.endswith(".py"):
        argv = [opts.python, os.path.join(HERE, v.program)]
    else:
        argv = [os.path.join(opts.bin, v.program)]
    return launch + argv + [str(count)] + v.args + (["--pin"] if work.pin else [])


def available(opts, v):
    if v.program.endswith(".py"):
        return os.path.exists(os.path.join(HERE, v.program))
    return os.access(os.path.join(opts.bin, v.program), os.X_OK)


def runnable_here(opts, v):
    """An MPI variant where there is no mpirun (or, for a .py, no mpi4py) is left out."""
    if not v.ranks:
        return True
    if not opts.mpirun:
        return False
    return not v.program.endswith(".py") or mpi_python(opts) is not None


def run_once(opts, work, v, count, timeout):
    """Runs the program once; returns (ops, seconds) from its result line. In a session of its
    own, so that a run that hangs is killed with all of its children, and nothing else."""
    proc = subprocess.Popen(command(opts, work, v, count), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise Failure("timed out after %.0f s" % timeout)
    m = RESULT.search(out)
    if proc.returncode != 0 or not m:
        last = (err.strip().splitlines() or ["no result line"])[-1]
        raise Failure("exit %s: %s" % (proc.returncode, last))
    return int(m.group(1)), float(m.group(2))


# ---- the load on the machine during each run -------------------------------------------------
#
# A figure is only as good as the quiet it was measured in: on 2 CPUs one busy process of someone
# else's can halve a pinned figure. The 1-minute load average (recorded before and after each
# workload, as a rough guide) cannot tell which run was disturbed: it decays over a minute, so
# after a 10 s workload it still mostly shows the one before, and it counts the benchmark's own
# processes. Each timed run is therefore watched over exactly its own interval, two ways:
#
# - load: the number of runnable tasks, /proc/loadavg's 4th field (the quantity the load average
#   averages, without its lag), sampled every SAMPLE_PERIOD by a thread of the driver and
#   averaged over the run. It is a demand, so it can exceed the CPU count, which is what
#   "disturbed" is about. /proc/stat's CPU busy time alone could not show that: it is a use, and
#   stops at the CPU count however many tasks wait.
# - others: the CPUs other work used over the run, /proc/stat's busy time of the usable CPUs
#   (steal included: time the hypervisor gave this VM's CPU to another) less the CPU time of the
#   driver and the run's processes (getrusage). The load alone cannot be used: the benchmark's own
#   processes are in it, and W3b (4 processes) or W7c (2 busy workers and the pool's threads) can
#   put it above 2 on an otherwise idle machine.
#
# A run is disturbed when its load was above the usable CPU count (os.sched_getaffinity) and other
# work used at least OTHERS_MIN CPU in it: tasks waited for a CPU and not only the benchmark's own.
# The sampler costs about 30 us of CPU per sample (0.1% of one CPU); the busy time is counted in
# clock ticks, so over a run of less than about 0.2 s "others" is rough (+-0.1 CPU).
SAMPLE_PERIOD = 0.025
OTHERS_MIN = 0.1
DISTURBED_MARK = "\u26a0"


def usable_cpus():
    return sorted(os.sched_getaffinity(0))


def busy_seconds(cpus):
    """CPU-seconds the given CPUs have been busy since boot (user, nice, system, irq, softirq,
    steal of /proc/stat), or None without /proc/stat."""
    names = {"cpu%d" % c for c in cpus}
    ticks = 0
    try:
        with open("/proc/stat") as f:
            for line in f:
                p = line.split()
                if p and p[0] in names:
                    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, p[1:9])
                    ticks += user + nice + system + irq + softirq + steal
    except (OSError, ValueError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def own_seconds():
    """CPU-seconds used by the driver and by every program it has run and reaped."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                   resource.getrusage(resource.RUSAGE_CHILDREN)))


def runnable():
    """Runnable tasks on the machine now, less the one reading (/proc/loadavg: 'a/b' is
    runnable/total), or None."""
    try:
        with open("/proc/loadavg") as f:
            return int(f.read().split()[3].split("/")[0]) - 1
    except (OSError, ValueError, IndexError):
        return None


class RunLoad:
    """How loaded the machine was over one timed run."""

    def __init__(self, load, others, cpus):
        self.load, self.others = load, others   # runnable tasks (mean), CPUs used by others
        self.disturbed = (load is not None and others is not None and load > cpus
                          and others >= OTHERS_MIN)


class LoadProbe(threading.Thread):
    """Watches the timed runs: watch(fn) runs fn() and returns (its result, a RunLoad)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.cpus = usable_cpus()
        self.on = threading.Event()
        self.lock = threading.Lock()
        self.total = self.n = 0
        self.start()

    def run(self):
        while self.on.wait():
            time.sleep(SAMPLE_PERIOD)
            r = runnable()
            with self.lock:
                if self.on.is_set() and r is not None:
                    self.total, self.n = self.total + r, self.n + 1

    def watch(self, fn):
        with self.lock:
            self.total = self.n = 0
        t0, busy0, own0 = time.monotonic(), busy_seconds(self.cpus), own_seconds()
        self.on.set()
        try:
            result = fn()
        finally:
            self.on.clear()
        wall, busy1, own1 = time.monotonic() - t0, busy_seconds(self.cpus), own_seconds()
        with self.lock:
            load = self.total / self.n if self.n else None
        if load is None:  # a run shorter than SAMPLE_PERIOD: the load just after it, at least
            load = runnable()
        others = None
        if busy0 is not None and busy1 is not None and wall > 0:
            others = max(0.0, (busy1 - busy0) - (own1 - own0)) / wall
        return result, RunLoad(load, others, len(self.cpus))


def load1():
    return os.getloadavg()[0]


# ---- measuring: warm-up, budget, interleaved runs ----------------------------------------------

class Measure:
    """One variant's measurement: its count, runs (seconds per operation) and any note."""

    def __init__(self, work, v, count):
        self.work, self.v, self.count = work, v, count
        self.per_op = []   # seconds per operation, one per run
        self.note = ""
        self.failed = None
        self.timeout = None
        self.loads = []    # a RunLoad per timed run, where the runs were watched
        self.load1 = None  # the 1-minute load average before and after the workload

    def values(self):
        return [to_unit(self.work, s) for s in self.per_op]

    def disturbed(self):
        """How many of its timed runs were disturbed."""
        return sum(r.disturbed for r in self.loads)

    def load_during(self):
        """(mean load, mean CPUs used by others) over its timed runs; None where not known."""
        mean = lambda xs: statistics.mean(xs) if xs else None
        return (mean([r.load for r in self.loads if r.load is not None]),
                mean([r.others for r in self.loads if r.others is not None]))


def nice_floor(n):
    """The largest 1-2-5 number not above n: scaled-down counts stay readable."""
    p = 1
    while p * 10 <= n:
        p *= 10
    for m in (5, 2, 1):
        if m * p <= n:
            return m * p
    return 1


def warm_up(opts, m):
    """One run at a tenth of the count: pages in the program and the interpreter, and tells how
    long a full run would take, so that a variant that would take more than --budget seconds
    (CPython, mostly) is scaled down and says so."""
    pilot = max(1, m.count // 10)
    _, seconds = run_once(opts, m.work, m.v, pilot, opts.timeout)
    projected = seconds * m.count / pilot
    if projected > opts.budget:
        wanted = nice_floor(max(1, int(m.count * opts.budget * 0.6 / projected)))
        m.note = "scaled to %s of %s (a run would take %.0f s > %.0f s)" % (
            f"{wanted:,}", f"{m.count:,}", projected, opts.budget)
        m.count = wanted
        projected = seconds * m.count / pilot
    return max(opts.timeout, 5 * projected)


def measure_workload(opts, work, variants):
    before = load1()
    ms = []
    for v in variants:
        m = Measure(work, v, max(1, round((v.count or work.count) * opts.scale)))
        ms.append(m)
        if not available(opts, v):
            m.failed = "not built" if v.kind == LIBMP else "missing program"
    for m in ms:
        if m.failed:
            continue
        try:
            m.timeout = opts.timeout if opts.smoke else warm_up(opts, m)
        except Failure as e:
            m.failed = str(e)
    for _ in range(opts.runs):
        for m in ms:
            if m.failed:
                continue
            run = lambda: run_once(opts, work, m.v, m.count, m.timeout)
            try:
                if opts.probe:
                    (ops, seconds), load = opts.probe.watch(run)
                    m.loads.append(load)
                else:
                    ops, seconds = run()
                m.per_op.append(seconds / ops)
            except Failure as e:
                m.failed = str(e)
    after = load1()
    for m in ms:
        m.load1 = (before, after)
    return ms


# ---- units, figures, ratios ------------------------------------------------------------------

def to_unit(work, seconds_per_op):
    if work.unit in TIME_UNITS:
        return seconds_per_op / TIME_UNITS[work.unit]
    if work.unit == "GiB/s":
        return work.bytes_per_op / seconds_per_op / 2**30
    return 1 / seconds_per_op / 1e6  # M/s


def fmt(x):
    if x is None:
        return DASH
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def stats(m):
    """(median, min, max) in the workload's unit, or None."""
    vals = m.values()
    if not vals or m.failed:
        return None
    return statistics.median(vals), min(vals), max(vals)


def mark(*ms):
    """The mark of a cell whose figures include a disturbed run."""
    return " " + DISTURBED_MARK if any(m and m.disturbed() for m in ms) else ""


def figure(m):
    """'median (min-max) unit', with a mark where the count was scaled down and one where a run
    was disturbed."""
    s = stats(m) if m else None
    if s is None:
        return DASH
    return "%s (%s-%s) %s%s%s" % (fmt(s[0]), fmt(s[1]), fmt(s[2]), m.work.unit,
                                  " (scaled down)" if m.note else "", mark(m))


def time_stats(m):
    """(median, fastest, slowest) seconds per operation."""
    if not m.per_op or m.failed:
        return None
    return statistics.median(m.per_op), min(m.per_op), max(m.per_op)


def fastest(ms, kind):
    done = [m for m in ms if m.v.kind == kind and time_stats(m)]
    return min(done, key=lambda m: time_stats(m)[0]) if done else None


def peer_of(ms, lm, kind=CPYTHON):
    """The variant of `kind` a libmp row is compared with: the one its registry line names
    (peer= for CPython, floor= for the floor), else the fastest."""
    name = lm.v.peer if kind == CPYTHON else lm.v.floor
    if name:
        named = [m for m in ms if m.v.kind == kind and m.v.label == name and time_stats(m)]
        return named[0] if named else None
    return fastest(ms, kind)


def ratio(slow, fast):
    """Time ratio slow/fast of the medians, with the widest range the runs allow."""
    a, b = time_stats(slow) if slow else None, time_stats(fast) if fast else None
    if not a or not b:
        return None
    return a[0] / b[0], a[1] / b[2], a[2] / b[1]


def fmt_ratio(r, *ms):
    """The ratio with its range, marked if a figure it divides had a disturbed run."""
    if r is None:
        return DASH
    return "%s (%s-%s)%s" % (fmt(r[0]), fmt(r[1]), fmt(r[2]), mark(*ms))


def summary_rows(results):
    """One row per libmp variant of each workload, or one row with a dash where libmp has none."""
    rows = []
    for work, ms in results:
        cpy_best = fastest(ms, CPYTHON)
        libmps = [m for m in ms if m.v.kind == LIBMP] or [None]
        for lm in libmps:
            cpy = peer_of(ms, lm) if lm else cpy_best
            floor = peer_of(ms, lm, FLOOR) if lm else fastest(ms, FLOOR)
            rows.append({
                "work": work, "libmp": lm, "cpython": cpy, "floor": floor,
                "libmp/floor": ratio(lm, floor) if lm else None,
                "CPython/libmp": ratio(cpy, lm) if lm else None,
                "CPython/floor": ratio(cpy, floor),
            })
    return rows


def libmp_cell(lm):
    if lm is None:
        return "not yet implemented"
    if lm.failed:
        return lm.failed
    return figure(lm)


def label(m):
    return m.v.label if m else DASH


# ---- the machine -----------------------------------------------------------------------------

def first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def read_field(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.split(":")[0].strip() == key or line.startswith(key + "="):
                    return line.split(":", 1)[-1].split("=", 1)[-1].strip().strip('"')
    except OSError:
        pass
    return "unknown"


def loadavg():
    return " ".join("%.2f" % x for x in os.getloadavg())


def busy_warning():
    """A line to print when other work already keeps a CPU busy: on 2 CPUs that alone can halve
    a pinned figure or turn a ping-pong bimodal, so the run should say so."""
    load, cpus = os.getloadavg()[0], len(os.sched_getaffinity(0))
    if load < 0.5 * cpus:
        return ""
    return ("warning: the machine is busy (load %.2f on %d CPUs) before the run starts: expect "
            "noisy figures; compare only within this run" % (load, cpus))


def commit():
    """The short commit, with "+dirty" if the tree has changes (untracked files included: a new
    program changes what runs)."""
    git = first_line(["git", "-C", HERE, "rev-parse", "--short", "HEAD"])
    try:
        dirty = subprocess.run(["git", "-C", HERE, "status", "--porcelain"], capture_output=True,
                               text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return git + "+unknown"
    return git + ("+dirty" if dirty else "")


def parent_pid(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def command_lines():
    """(the make command that ran the driver, as typed, or None; the driver's own command): the
    nearest make among the driver's ancestors (its recipe runs in a shell, or directly)."""
    driver = shlex.join(getattr(sys, "orig_argv", [sys.executable] + sys.argv))
    pid = os.getpid()
    try:
        for _ in range(4):
            pid = parent_pid(pid)
            if pid <= 1:
                break
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0")[:-1]]
            if argv and os.path.basename(argv[0]) in ("make", "gmake"):
                return shlex.join(["make"] + argv[1:]), driver
    except (OSError, ValueError, IndexError):
        pass
    return None, driver


def machine(opts):
    cpu_flags = read_field("/proc/cpuinfo", "flags")
    make, driver = command_lines()
    return [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("cpus", "%d online, %d usable by this run" % (os.cpu_count(), len(os.sched_getaffinity(0)))),
        ("cpu model", read_field("/proc/cpuinfo", "model name")),
        ("virtualised", "yes (hypervisor flag)" if "hypervisor" in cpu_flags.split() else "no"),
        ("memory", read_field("/proc/meminfo", "MemTotal")),
        ("kernel", "%s %s" % (platform.system(), platform.release())),
        ("os", read_field("/etc/os-release", "PRETTY_NAME")),
        ("compiler", first_line(opts.cc.split() + ["--version"])),
        ("python", first_line([opts.python, "--version"])),
        ("load average at start", loadavg()),
        ("libmp commit", commit()),
        ("command", make or driver),
        ("driver", driver),
        ("run", "SCALE=%g, %d runs per figure after one warm-up" % (opts.scale, opts.runs)),
    ]


def machine_line(desc):
    d = dict(desc)
    return "%s CPUs (%s), %s, %s" % (os.cpu_count(), d["cpu model"], d["kernel"], d["os"])


# ---- output: terminal, CSV, Markdown, chart --------------------------------------------------

def text_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def md_table(header, rows):
    esc = lambda c: str(c).replace("|", "\\|")
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(out + ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows])


SUMMARY_HEADER = ["workload", "libmp", "CPython", "floor", "libmp/floor", "CPython/libmp",
                  "CPython/floor", "compared (CPython; floor)"]
DETAIL_HEADER = ["workload", "kind", "variant", "count", "median", "min", "max", "unit",
                 "load avg before, after", "in the runs: load, others' CPUs", "note"]


def summary_table_rows(results):
    return [[r["work"].id, libmp_cell(r["libmp"]), figure(r["cpython"]), figure(r["floor"]),
             fmt_ratio(r["libmp/floor"], r["libmp"], r["floor"]),
             fmt_ratio(r["CPython/libmp"], r["cpython"], r["libmp"]),
             fmt_ratio(r["CPython/floor"], r["cpython"], r["floor"]),
             "%s; %s" % (label(r["cpython"]), label(r["floor"]))] for r in summary_rows(results)]


def load_cells(m):
    """The load columns of a variant: [1-minute average before and after its workload,
    'load; others' over its timed runs], as text ('' where not known)."""
    two = lambda xs, sep: sep.join("%.2f" % x if x is not None else "?" for x in xs)
    return [two(m.load1, ", ") if m.load1 else "", two(m.load_during(), "; ") if m.loads else ""]


def disturbed_note(m):
    n = m.disturbed()
    return "%s disturbed in %d of %d runs" % (DISTURBED_MARK, n, len(m.loads)) if n else ""


def detail_rows(results):
    rows = []
    for work, ms in results:
        for m in ms:
            s = stats(m)
            cells = [fmt(x) for x in s] if s else [DASH] * 3
            note = m.failed or m.note
            if m.v.kind == LIBMP and m.failed == "not built":
                note = "not built (see the build output)"
            note = "; ".join(x for x in (disturbed_note(m), note) if x)
            rows.append([work.id, KIND_NAME[m.v.kind], m.v.label, f"{m.count:,}"] + cells +
                        [work.unit] + load_cells(m) + [note])
    return rows


def write_csv(path, results):
    ratios = {}
    for r in summary_rows(results):
        if r["libmp"]:
            ratios[id(r["libmp"])] = (r["libmp/floor"], r["CPython/libmp"])
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["workload", "title", "kind", "variant", "count", "runs", "unit", "median",
                    "min", "max", "median_ns_per_op", "libmp_over_floor", "cpython_over_libmp",
                    "cpython_over_floor", "load1_before", "load1_after", "load_in_runs",
                    "others_cpus_in_runs", "disturbed_runs", "note"])
        for work, ms in results:
            floor = fastest(ms, FLOOR)
            for m in ms:
                s, t = stats(m), time_stats(m)
                lf, cl = ratios.get(id(m), (None, None))
                cf = ratio(m, floor) if m.v.kind == CPYTHON else None
                num = lambda r: "%.4g" % r[0] if r else ""
                load = lambda x: "%.2f" % x if x is not None else ""
                w.writerow([work.id, work.title, m.v.kind, m.v.label, m.count, len(m.per_op),
                            work.unit] + (["%.6g" % x for x in s] if s else ["", "", ""]) +
                           ["%.6g" % (t[0] * 1e9) if t else "", num(lf), num(cl), num(cf)] +
                           [load(x) for x in (m.load1 or (None, None)) + m.load_during()] +
                           [m.disturbed(), m.failed or m.note])


HOW_TO_READ = """\
Each figure is the median of the runs, with the fastest and slowest run in brackets. Ratios
compare time per operation in the same run: **libmp/floor** is how many times slower than raw
system calls libmp is (1 = at the floor); **CPython/libmp** is how many times faster than
CPython's `multiprocessing` libmp is (above 1 = faster). A ratio's brackets are the widest range
its runs allow. "Fastest" picks the quickest variant of a kind in this run, so no ratio flatters
libmp."""


CHART_ALT = "libmp, CPython and the floor: time per operation, log scale, lower is better"


def disturbed_figures(results):
    return ["%s %s %s (%d of %d runs)" % (m.work.id, KIND_NAME[m.v.kind], m.v.label, m.disturbed(),
                                          len(m.loads))
            for _, ms in results for m in ms if m.disturbed()]


def disturbance_note(results):
    """What the marks say, and which figures carry one."""
    cpus, ms = len(os.sched_getaffinity(0)), [m for _, ms in results for m in ms]
    if not any(r.load is not None and r.others is not None for m in ms for r in m.loads):
        return "The load during the runs could not be read (no /proc/loadavg or /proc/stat): " \
               "no figure was checked for other work on the machine."
    rule = ("the machine's load (runnable tasks, sampled over the run) was above its %d usable "
            "CPUs while other work than the benchmark used at least %.1f CPU" % (cpus, OTHERS_MIN))
    bad = disturbed_figures(results)
    if not bad:
        return "No timed run was disturbed: there was no run in which %s." % rule
    return ("%s **Disturbed:** %d of %d figures had a timed run in which %s. Such a figure (and a "
            "ratio that uses it) is slower than this machine is when quiet and its range is "
            "wider: measure again before quoting it. The columns \"load avg before, after\" "
            "(1 minute, around the workload) and \"in the runs\" (mean runnable tasks; CPUs "
            "used by other work) of the table of all variants show how loaded it was. Marked: "
            "%s." % (DISTURBED_MARK, len(bad), sum(1 for m in ms if m.loads), rule, "; ".join(bad)))


def report_blocks(results, desc, opts):
    """The report as blocks, ("p", text with **bold** and `code`), ("list", items),
    ("table", header, rows) or ("chart",), which markdown() and html() render."""
    d = dict(desc)
    command = ["**Command:** `%s`" % d["command"]]
    if d["command"] != d["driver"]:
        command.append("(the driver: `%s`)" % d["driver"])
    return [
        ("list", ["**Date:** %s" % d["date"], "**Commit:** %s" % d["libmp commit"],
                  " ".join(command)]),
        ("p", "**Machine:** %s; %s; %s; %s; load average %s at the start, %s at the end "
              "(1, 5, 15 minutes: other work on the machine shows here)." % (
                  machine_line(desc), d["compiler"], d["python"],
                  "virtual machine" if d["virtualised"].startswith("yes") else "bare metal",
                  d["load average at start"], d["load average at end"])),
        ("p", HOW_TO_READ),
        ("table", SUMMARY_HEADER, summary_table_rows(results)),
        ("p", disturbance_note(results)),
        ("chart",),
        ("p", "All variants:"),
        ("table", DETAIL_HEADER, detail_rows(results)),
    ]


def markdown(blocks, chart):
    out = []
    for b in blocks:
        if b[0] == "p":
            out.append(b[1])
        elif b[0] == "list":
            out.append("\n".join("- " + item for item in b[1]))
        elif b[0] == "table":
            out.append(md_table(b[1], b[2]))
        elif chart:
            out.append("![%s](chart.png)" % CHART_ALT)
    return "\n\n".join(out) + "\n"


def inline_html(text):
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def html_table(header, rows):
    head = "".join("<th>%s</th>" % html.escape(str(c)) for c in header)
    body = "".join("<tr>%s</tr>\n" % "".join("<td>%s</td>" % html.escape(str(c)) for c in r)
                   for r in rows)
    return '<table class="markdownTable">\n<tr>%s</tr>\n%s</table>' % (head, body)


def html_fragment(blocks, chart_path):
    """The docs page's part (\\htmlinclude, verbatim: Doxygen 1.9.4 loses paragraphs and
    headings of an \\includedoc'd file). The chart is inlined as a data: URI, so the page needs
    no image file that a tree without a run would lack."""
    out = []
    for b in blocks:
        if b[0] == "p":
            out.append("<p>%s</p>" % inline_html(b[1]))
        elif b[0] == "list":
            out.append("<ul>%s</ul>" % "".join("<li>%s</li>" % inline_html(i) for i in b[1]))
        elif b[0] == "table":
            out.append(html_table(b[1], b[2]))
        elif chart_path:
            with open(chart_path, "rb") as f:
                data = base64.b64encode(f.read()).decode("ascii")
            out.append('<p><img src="data:image/png;base64,%s" alt="%s"/></p>' % (
                data, html.escape(CHART_ALT)))
    return "\n".join(out) + "\n"


def write_chart(out, results):
    """chart.dat (time per operation in us: median, min, max for libmp, CPython, floor) and
    chart.gp; returns True if gnuplot made chart.png."""
    with open(os.path.join(out, "chart.dat"), "w") as f:
        f.write("# workload  libmp(med min max)  CPython(med min max)  floor(med min max), us/op\n")
        for r in summary_rows(results):
            cells = []
            for m in (r["libmp"], r["cpython"], r["floor"]):
                t = time_stats(m) if m else None
                cells += ["%.6g" % (x * 1e6) for x in t] if t else ["-"] * 3
            f.write('"%s" %s\n' % (r["work"].id.replace("-pin", " pinned"), " ".join(cells)))
    missing = any(not (r["libmp"] and time_stats(r["libmp"])) for r in summary_rows(results))
    write(os.path.join(out, "chart.gp"), GNUPLOT.replace("@NOTE@", MISSING_NOTE if missing else ""))
    # A chart of an earlier run must not pass for this one's.
    if os.path.exists(os.path.join(out, "chart.png")):
        os.remove(os.path.join(out, "chart.png"))
    if not shutil.which("gnuplot"):
        print("bench: gnuplot is not installed (scripts/setup installs gnuplot-nox): no chart")
        return False
    done = subprocess.run(["gnuplot", "chart.gp"], cwd=out, capture_output=True, text=True)
    if done.returncode != 0:
        print("bench: gnuplot failed: " + done.stderr.strip())
        return False
    return True


GNUPLOT = """\
# Made by bench/run.py from chart.dat: `gnuplot chart.gp` redraws chart.png.
set terminal pngcairo size 1100,560 font "sans,10"
set output "chart.png"
set title "libmp, CPython multiprocessing and the raw-syscall floor (median; bars: min-max)@NOTE@"
set ylabel "time per operation, us (log scale; lower is better)"
set logscale y
set format y "%g"
set grid ytics
set key top left
set datafile missing "-"
set style data histograms
set style histogram errorbars gap 1.5 lw 1
set style fill solid 0.85 border -1
set xtics nomirror
set boxwidth 0.9
plot "chart.dat" using 2:3:4:xtic(1) title "libmp" lc rgb "#1b9e77", \\
     "" using 5:6:7 title "CPython" lc rgb "#d95f02", \\
     "" using 8:9:10 title "floor (raw syscalls)" lc rgb "#7570b3"
"""


MISSING_NOTE = "\\nno libmp bar: that libmp row is not implemented yet (or did not build)"

PLACEHOLDER = """\
<p>No benchmark has run in this tree yet: <code>make bench</code> measures every workload and
writes the table and the chart that appear here (<code>make bench SCALE=0.1</code> for a quick
look).</p>
"""


# ---- main ------------------------------------------------------------------------------------

def selected(opts):
    only = [w for w in opts.only.split(",") if w]
    for work in WORKLOADS:
        if only and not any(work.id.startswith(w) for w in only):
            continue
        variants = [v for v in VARIANTS if v.workload == work.id and runnable_here(opts, v)]
        if variants:
            yield work, variants


def progress(m):
    s = stats(m)
    state = figure(m) if s else "FAILED: " + (m.failed or "no runs")
    notes = [x for x in (m.note, disturbed_note(m)) if x]
    if m.loads:
        notes.append("in the runs: load %s; others' CPUs %s" % tuple(
            "%.2f" % x if x is not None else "?" for x in m.load_during()))
    print("  %-7s %-8s %-38s %s%s" % (m.work.id, KIND_NAME[m.v.kind], m.v.label, state,
                                      "".join("  [%s]" % n for n in notes)), flush=True)


def smoke(opts):
    """Every variant once with a tiny count: proves each program still builds and runs."""
    passed = failed = 0
    for work, variants in selected(opts):
        for m in measure_workload(opts, work, variants):
            ok = not m.failed and len(m.per_op) == 1
            passed, failed = passed + ok, failed + (not ok)
            print("%s %-7s %-8s %s%s" % ("ok  " if ok else "FAIL", work.id, KIND_NAME[m.v.kind],
                                         m.v.label, "" if ok else ": " + (m.failed or "no run")))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def describe(desc):
    return "".join("%-20s %s\n" % (k + ":", v) for k, v in desc)


def full(opts):
    os.makedirs(opts.out, exist_ok=True)
    opts.probe = LoadProbe()
    desc = machine(opts)
    print("bench: machine\n" + describe(desc) + busy_warning(), flush=True)
    write(os.path.join(opts.out, "machine.txt"), describe(desc))
    results = []
    for work, variants in selected(opts):
        print("%s: %s" % (work.id, work.title), flush=True)
        ms = measure_workload(opts, work, variants)
        for m in ms:
            progress(m)
        results.append((work, ms))
    # Other work on the machine during the run shows in the load; say it with the results.
    desc.append(("load average at end", loadavg()))
    print(describe(desc[-1:]), end="")
    write(os.path.join(opts.out, "machine.txt"), describe(desc))
    print("\nAll variants (median, min, max; %d runs each after a warm-up):\n" % opts.runs)
    print(text_table(DETAIL_HEADER, detail_rows(results)))
    print("\nSummary (ratios of time per operation; see bench/README.md):\n")
    print(text_table(SUMMARY_HEADER, summary_table_rows(results)))
    print("\n" + disturbance_note(results).replace("**", ""))
    write_csv(os.path.join(opts.out, "results.csv"), results)
    chart = write_chart(opts.out, results)
    blocks = report_blocks(results, desc, opts)
    write(os.path.join(opts.out, "results.md"), markdown(blocks, chart))
    write(os.path.join(opts.out, "latest.html"),
          html_fragment(blocks, os.path.join(opts.out, "chart.png") if chart else None))
    print("\nbench: wrote %s/{results.csv,results.md,machine.txt,latest.html,chart.gp%s}" % (
        opts.out, ",chart.png" if chart else ""))
    return 1 if any(m.failed for _, ms in results for m in ms) else 0


def placeholder(opts):
    """Makes sure the docs page has something to include before the first `make bench`."""
    os.makedirs(opts.out, exist_ok=True)
    path = os.path.join(opts.out, "latest.html")
    if not os.path.exists(path):
        write(path, PLACEHOLDER)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="where the C programs are built")
    ap.add_argument("--out", required=True, help="where the results go")
    ap.add_argument("--python", default=sys.executable, help="the CPython to measure")
    ap.add_argument("--cc", default="cc", help="the compiler (only described)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every count")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per figure")
    ap.add_argument("--budget", type=float, default=30.0,
                    help="seconds a single run may take before its count is scaled down")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a run is killed")
    ap.add_argument("--only", default="",
                    help="comma-separated workload prefixes: W1 is W1 and W1-pin, W5 is W5a and W5b")
    ap.add_argument("--smoke", action="store_true", help="each variant once, tiny counts")
    ap.add_argument("--mpirun", default="", help="mpirun and its options, for the W9 (MPI) rows")
    ap.add_argument("--docs-placeholder", action="store_true")
    opts = ap.parse_args()
    if opts.docs_placeholder:
        return placeholder(opts)
    if opts.smoke:
        opts.scale, opts.runs, opts.timeout, opts.probe = 1e-4, 1, 20.0, None
        return smoke(opts)
    if opts.runs < 1 or opts.scale <= 0:
        ap.error("--runs must be at least 1 and --scale above 0")
    return full(opts)


if __name__ == "__main__":
    sys.exit(main())
