"""A description of the machine and libraries a benchmark ran on."""

from __future__ import annotations

import os
import platform
import sys

import numpy as np
import threadpoolctl


def cpu_model() -> str:
    """The processor's model name from /proc/cpuinfo, or platform's guess elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info() -> dict:
    """The BLAS that NumPy calls, as threadpoolctl reports it (library, version, kernel, threads)."""
    for info in threadpoolctl.threadpool_info():
        if info.get("user_api") == "blas" and "numpy" in info.get("filepath", ""):
            return info
    for info in threadpoolctl.threadpool_info():
        if info.get("user_api") == "blas":
            return info
    return {}


def numpy_blas_threads() -> int:
    """How many threads NumPy's BLAS uses (1 when it cannot be told)."""
    return int(blas_info().get("num_threads", 1))


def load_average() -> str:
    """The 1-minute load average (runnable processes, all programs), or '?' where unknown."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "?"


def describe(torch_threads: int | None = None) -> list[str]:
    """Lines describing the machine, for the head of the report."""
    blas = blas_info()
    kernel = blas.get("architecture", "unknown")
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    lines = [
        f"CPU: {cpu_model()}, {os.cpu_count()} logical cores",
        (f"NumPy {np.__version__} BLAS: {blas.get('internal_api', '?')} {blas.get('version', '?')}, "
         f"kernel {kernel}, {blas.get('num_threads', '?')} threads"
         + (f" (OPENBLAS_CORETYPE={coretype})" if coretype else " (OPENBLAS_CORETYPE unset)")),
        f"Python {platform.python_version()} on {sys.platform}",
    ]
    try:
        import sklearn
        lines.append(f"scikit-learn {sklearn.__version__}")
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        pass
    from .torch_loops import torch_or_none
    torch = torch_or_none()
    if torch is None:
        lines.append("PyTorch: not installed (its rows are left out)")
    else:
        blas = "MKL" if torch.backends.mkl.is_available() else "its own BLAS"
        lines.append(f"PyTorch {torch.__version__} (CPU, eager, {blas}), "
                     f"torch.set_num_threads({torch_threads}) to match NumPy's BLAS threads")
    return lines
