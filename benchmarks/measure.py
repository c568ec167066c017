"""Timing and memory measurement.

Timing: every case of a workload runs once per round, the cases interleaved
and their order rotated from round to round, so that a slow spell of the
machine hits all of them alike. Each run gets a fresh model from its case's
``setup`` (untimed); only the training call is timed, with
``time.perf_counter`` (and its processor time, of all the process's threads, with
``time.process_time``).

Memory, measured in separate untimed runs (a tracer slows what it traces):

* ``traced``: the peak of memory allocated *during* the run and still held at
  the peak, as ``tracemalloc`` sees it. NumPy reports its array buffers to
  tracemalloc, so for NumPy code (the package, scikit-learn, the floor) this is
  the peak of temporaries, caches and gradients on top of the data and the
  initial model. PyTorch's allocator does not report to tracemalloc, so its
  tensors are invisible there: those cells are left empty.
* ``rss``: the growth of the resident set size over the run, in a fresh
  process (``python -m benchmarks.memory``): the peak RSS (VmHWM, reset
  through /proc/self/clear_refs just before the run) minus the RSS after
  setup. It sees every allocator, PyTorch's included, but also counts pages
  that libraries touch for the first time (thread stacks, code), and memory
  that an allocator keeps for reuse is not counted twice. Linux only.
"""

from __future__ import annotations

import gc
import json
import os
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass, field


@dataclass
class Timing:
    """The wall times of one case, one per round, its processor times, and what its last
    run returned."""

    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    result: float | None = None

    @property
    def cpu_per_wall(self) -> float:
        """Median over the rounds of processor time / wall time: about 1 for a run on one
        thread, up to the number of cores for one that keeps them all busy (spinning worker
        threads count too)."""
        return statistics.median(c / s for c, s in zip(self.cpu_seconds, self.seconds))

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> float:
        """(max - min) / median: how noisy the rounds were."""
        return (max(self.seconds) - min(self.seconds)) / self.median


def paired_ratio(a: Timing, b: Timing) -> float:
    """Median over the rounds of a's time / b's time in the same round.

    The two runs of a round are close in time and share the machine's state,
    so their ratio is steadier than the ratio of the two medians when the
    machine's speed drifts (other programs, a shared host).
    """
    return statistics.median(x / y for x, y in zip(a.seconds, b.seconds))


def _cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all processors since boot, from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user time
    return total - idle, total


def wait_for_quiet(settle: float, *, busy_max: float = 0.10, max_wait: float = 20.0) -> bool:
    """Idle until the machine has been quiet for ``settle`` seconds; False if it never was.

    Quiet means that less than ``busy_max`` of all processors' time went to
    anything (other programs, or this process's own BLAS or OpenMP worker
    threads, which spin for a while after their last task) during the last
    ``settle`` seconds. Gives up after ``max_wait`` seconds.
    """
    if settle <= 0:
        return True
    waited = 0.0
    while True:
        before = _cpu_ticks()
        time.sleep(settle)
        waited += settle
        after = _cpu_ticks()
        if before is None or after is None:
            return True  # no /proc/stat: the plain pause is all we can do
        busy, total = after[0] - before[0], after[1] - before[1]
        if total > 0 and busy / total < busy_max:
            return True
        if waited >= max_wait:
            return False


def time_interleaved(cases: dict, data, rounds: int, *, warmup: bool = True,
                     settle: float = 0.25) -> tuple[dict[str, Timing], int]:
    """Time every case ``rounds`` times, interleaved, after one untimed warm-up run each.

    ``cases`` maps a name to ``setup(data) -> run``, where ``run()`` does the
    work and returns a float (its final training loss), kept as a sanity check.
    Before each timed run the process waits for a quiet machine
    (:func:`wait_for_quiet`): worker threads of a BLAS or OpenMP pool spin for
    a while after their last task and would steal a core from the next case
    if it uses another pool (NumPy's OpenBLAS and PyTorch's OpenMP do), and
    other programs slow multi-threaded code the most. Returns the timings and
    how many runs started on a machine that never became quiet.
    """
    names = list(cases)
    timings = {name: Timing() for name in names}
    busy_starts = 0
    if warmup:
        for name in names:
            cases[name](data)()
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            run = cases[name](data)
            gc.collect()
            busy_starts += not wait_for_quiet(settle)
            c0, t0 = time.process_time(), time.perf_counter()
            result = run()
            t1, c1 = time.perf_counter(), time.process_time()
            timings[name].seconds.append(t1 - t0)
            timings[name].cpu_seconds.append(c1 - c0)
            timings[name].result = result
    return timings, busy_starts


def traced_peak(setup, data) -> int:
    """Peak bytes allocated during one run, as tracemalloc sees them (see the module docstring)."""
    run = setup(data)
    gc.collect()
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def _status_kib(key: str) -> int:
    with open("/proc/self/status", encoding="utf-8") as f:
        match = re.search(rf"^{key}:\s+(\d+) kB", f.read(), re.MULTILINE)
    return int(match.group(1))


def rss_growth_here(setup, data) -> int | None:
    """Peak RSS growth in bytes over one run in *this* process, or None where it cannot be read."""
    run = setup(data)
    gc.collect()
    try:
        before = _status_kib("VmRSS")
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")  # reset the peak (VmHWM) to the current RSS
    except OSError:
        return None
    run()
    return (_status_kib("VmHWM") - before) * 1024


def rss_growth_fresh(mode: str, workload: str, case: str, threads: int) -> int | None:
    """Peak RSS growth of one run of ``case`` in a fresh Python process."""
    cmd = [sys.executable, "-m", "benchmarks.memory", mode, workload, case, str(threads)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=root, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"memory run of {workload}/{case} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["rss_bytes"]
