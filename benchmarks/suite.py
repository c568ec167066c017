"""Run the workloads: interleaved timing rounds, then the memory runs."""

from __future__ import annotations

from dataclasses import dataclass

from . import machine
from .measure import Timing, paired_ratio, rss_growth_fresh, time_interleaved, traced_peak
from .torch_loops import torch_or_none
from .workloads import MODES, Workload, build


@dataclass
class CaseResult:
    name: str
    timing: Timing
    traced_bytes: int | None
    rss_bytes: int | None


@dataclass
class WorkloadResult:
    workload: Workload
    cases: list[CaseResult]

    busy_starts: int = 0

    def ratio(self, name: str, ours: str | None = None) -> float:
        """Time of the package case ``ours`` (default: the one case ``name`` is compared
        with, :meth:`Workload.baseline`) / time of case ``name``: the median of the per-round
        ratios (see :func:`benchmarks.measure.paired_ratio`)."""
        timings = {c.name: c.timing for c in self.cases}
        ours = ours or self.workload.baseline(name)
        return paired_ratio(timings[ours], timings[name])


def set_threads() -> int:
    """Give PyTorch as many threads as NumPy's BLAS has; return that number."""
    threads = machine.numpy_blas_threads()
    torch = torch_or_none()
    if torch is not None:
        torch.set_num_threads(threads)
    return threads


@dataclass
class SuiteResult:
    results: list[WorkloadResult]
    mode: str
    rounds: int
    threads: int
    load_before: str
    load_after: str


def run_suite(mode: str = "full", *, rounds: int | None = None, only=None, memory: bool = True,
              log=print) -> SuiteResult:
    """Run every workload of ``mode`` (or those in ``only``) and return the results."""
    threads = set_threads()
    rounds = rounds or MODES[mode]["rounds"]
    load_before = machine.load_average()
    results = []
    for w in build(mode, only):
        log(f"[{w.key}] timing {len(w.cases)} cases x {rounds} rounds ...")
        timings, busy = time_interleaved(w.cases, w.data, rounds, settle=MODES[mode]["settle"])
        cases = []
        for name, setup in w.cases.items():
            traced = rss = None
            if memory:
                log(f"[{w.key}] memory of {name} ...")
                if not name.startswith("PyTorch"):
                    traced = traced_peak(setup, w.data)
                rss = rss_growth_fresh(mode, w.key, name, threads)
            cases.append(CaseResult(name, timings[name], traced, rss))
        results.append(WorkloadResult(w, cases, busy))
    return SuiteResult(results, mode, rounds, threads, load_before, machine.load_average())
