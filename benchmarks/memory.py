"""One memory run in a fresh process: ``python -m benchmarks.memory MODE WORKLOAD CASE THREADS``.

Prints one JSON line ``{"rss_bytes": ...}``: the growth of the peak resident
set size over one run of the case (see :mod:`benchmarks.measure`). A fresh
process keeps what earlier runs allocated, and allocators kept, out of it.
"""

from __future__ import annotations

import json
import sys

from .measure import rss_growth_here
from .torch_loops import torch_or_none
from .workloads import build


def main(argv=None) -> None:
    mode, workload, case, threads = (argv if argv is not None else sys.argv[1:])
    if case.startswith("PyTorch"):
        torch_or_none().set_num_threads(int(threads))
    (w,) = build(mode, only=[workload])
    print(json.dumps({"rss_bytes": rss_growth_here(w.cases[case], w.data)}))


if __name__ == "__main__":
    main()
