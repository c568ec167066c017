"""Benchmarks for mlp_from_scratch against scikit-learn, PyTorch and the matrix-product floor.

Run from the repository root::

    python -m benchmarks            # full run (a few minutes), writes benchmarks/results/latest.md
    python -m benchmarks --quick    # short smoke run, prints the table only

Every workload runs the package and its competitors in one process, interleaved
over several rounds, and reports medians and the ratio ours / theirs. PyTorch is
optional: when it cannot be imported its rows are left out.
"""

from .suite import run_suite

__all__ = ["run_suite"]
