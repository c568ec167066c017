"""Test-session settings shared by the package tests and the notebook checks.

The environment variables are set before NumPy is imported so that they apply to this
process and to every Jupyter kernel nbval starts (kernels inherit the environment):
one BLAS thread gives the same floating-point summation order on every machine, and a
fixed hash seed makes any set/dict ordering reproducible.
"""

import os
from pathlib import Path

for _name, _value in {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}.items():
    os.environ[_name] = _value

# Figures made by the package tests are never shown. The backend is chosen in this process
# only: MPLBACKEND is deliberately not exported, because notebook kernels must keep the
# inline backend that produced the stored figures.
import matplotlib  # noqa: E402

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent


def pytest_configure(config):
    # The sanitize file is given relative to the repository root in pyproject.toml;
    # resolve it so that `pytest` also works when started from a subdirectory.
    option = getattr(config.option, "nbval_sanitize_with", None)
    if option and not Path(option).is_absolute() and not Path(option).exists():
        candidate = ROOT / option
        if candidate.exists():
            config.option.nbval_sanitize_with = str(candidate)
