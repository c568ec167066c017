"""Markdown tables of the results."""

from __future__ import annotations

import math

from . import machine


def _mb(n: int | None) -> str:
    return "—" if n is None else f"{n / 1e6:.1f}"


def _loss(x) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.4g}"


def workload_table(res) -> list[str]:
    w = res.workload
    ours = res.cases[0].name
    lines = [f"### {w.title}", "", w.description + ".", "",
             f"| implementation | median time (s) | spread | CPU / wall | {ours} / this "
             "| traced peak (MB) | RSS growth (MB) | final loss |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for c in res.cases:
        lines.append(
            f"| {c.name} | {c.timing.median:.4g} | {100 * c.timing.spread:.0f}% "
            f"| {c.timing.cpu_per_wall:.2f} "
            f"| {res.ratio(c.name):.3g} | {_mb(c.traced_bytes)} | {_mb(c.rss_bytes)} "
            f"| {_loss(c.timing.result)} |")
    if w.key == "per_sample":
        slow = res.cases[-1]
        lines += ["", f"Full batch is {1 / res.ratio(slow.name):.3g}x faster per epoch "
                      f"than one sample per step."]
    runs = len(res.cases) * len(res.cases[0].timing.seconds)
    if res.busy_starts:
        lines += ["", f"{res.busy_starts} of {runs} timed runs started on a busy machine "
                      "(other programs kept over 10% of the processors busy for 20 s)."]
    for note in w.notes:
        lines += ["", note]
    return lines + [""]


def target_rows(results) -> list[tuple[str, float, float, bool, float, float]]:
    """(comparison, ratio, target, met, lowest and highest per-round ratio) per target."""
    rows = []
    for res in results:
        timings = {c.name: c.timing for c in res.cases}
        for ours, name, limit in res.workload.targets:
            r = res.ratio(name, ours)
            per_round = [a / b for a, b in zip(timings[ours].seconds, timings[name].seconds)]
            rows.append((f"{res.workload.key}: {ours} / {name}", r, limit,
                         r <= limit, min(per_round), max(per_round)))
    return rows


def render(suite, *, command: str) -> str:
    results = suite.results
    lines = ["# Benchmark results", "",
             f"Command: `{command}` ({suite.mode} mode, {suite.rounds} interleaved rounds "
             "after one warm-up run per case, each timed run started on a quiet machine; "
             "median times, and ratios as the median of the per-round ratios). NumPy's BLAS "
             "and PyTorch run with their default threads, except in the rows marked "
             "\"1 BLAS thread\".", ""]
    lines += [f"- {line}" for line in machine.describe(suite.threads)]
    lines += [f"- Load average (1 min, all programs on the machine) before / after the run: "
              f"{suite.load_before} / {suite.load_after}", ""]
    rows = target_rows(results)
    if rows:
        lines += ["## Targets (ratio of times, lower is faster)", "",
                  "| comparison | ratio | rounds' range | target | met |",
                  "|---|---:|---:|---:|---|"]
        for label, r, limit, ok, lo, hi in rows:
            lines.append(f"| {label} | {r:.3g} | {lo:.3g}–{hi:.3g} | ≤ {limit:g} "
                         f"| {'yes' if ok else 'NO'} |")
        lines.append("")
    lines += ["## Workloads", ""]
    for res in results:
        lines += workload_table(res)
    lines += ["Ratio: the package's time / this row's time, the median over the rounds of "
              "the ratio within each round; a row with one BLAS thread is compared with the "
              "package with one BLAS thread. Spread: (slowest - fastest) / median over the "
              "rounds. CPU / wall: the median over the rounds of the process's processor time "
              "(all threads) / wall time, about 1 for a run on one thread. Traced peak: the most "
              "memory allocated during one run and held at once, as tracemalloc sees it "
              "(NumPy arrays and Python objects; PyTorch's tensors are invisible to it, hence "
              "—). RSS growth: peak resident memory during one run in a fresh process minus "
              "the resident memory after setup (data and initial model); it sees every "
              "allocator but also counts first-touched library pages. Final loss: the "
              "last epoch's mean batch loss, a check that each row did the same work.", ""]
    return "\n".join(lines)
