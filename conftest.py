"""Test-session settings shared by the package tests and the notebook checks.

The environment variables are set before NumPy is imported so that they apply to this
process and to every Jupyter kernel nbval starts (kernels inherit the environment):
one BLAS thread gives the same floating-point summation order on every machine, and a
fixed hash seed makes any set/dict ordering reproducible.

On x86-64 processors with AVX2 the matrix products and NumPy's vectorised loops also run
the same code on every machine: OpenBLAS's Haswell kernels and NumPy's AVX2 loops, also where
the processor has AVX-512. The AVX-512 code rounds differently, and the long training runs of
the chapters amplify a difference in the last bit to one in the second significant digit, so
without this the stored outputs would reproduce only on processors of the kind that made them.
"""

import os
import platform
from pathlib import Path

for _name, _value in {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}.items():
    os.environ[_name] = _value


def _has_avx2_and_fma() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    return "avx2" in flags and "fma" in flags
    except OSError:
        pass
    return False


if platform.machine().lower() in ("x86_64", "amd64") and _has_avx2_and_fma():
    os.environ["OPENBLAS_CORETYPE"] = "Haswell"
    os.environ["NPY_DISABLE_CPU_FEATURES"] = "X86_V4 AVX512_ICL AVX512_SPR"

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


# --- running the suite on every core ---------------------------------------------------------
# `pytest` runs with pytest-xdist (`-n auto --dist loadscope --no-loadscope-reorder` in
# pyproject.toml) and the scheduler below. The tests that need the built site (the build, the
# browser crawl, the accessibility audit) are one unit of work; the PDF tests are a second; the
# chapters run in the browser two more; every other file is a unit of its own, so the cells of
# one notebook stay in order in one kernel under nbval. The site is built once per run, by the
# first worker that needs it (tests/conftest.py, under a lock; the others wait and share it).
# The builds are handed out first, then the browser runs, the notebooks, the package tests.
# `pytest -m "not site"` is the quick path: package tests and nbval only (no site, no PDF).
import re  # noqa: E402

import pytest  # noqa: E402

SITE_FIXTURES = {"built_site", "site_html", "browser", "lite", "server"}
PDF_FIXTURES = {"pdfs"}  # the PDF editions (tests/test_pdf.py)
# Files whose tests share the site build (a test of these files that does not need it rides along).
SITE_FILES = {"tests/test_book.py", "tests/test_translations.py", "tests/test_site_browser.py",
              "tests/test_lite.py", "tests/test_accessibility.py"}
PDF_FILES = {"tests/test_pdf.py"}


LITE_RUN = re.compile(r"tests/test_lite\.py::test_chapter_runs_to_the_end_in_the_browser_offline"
                      r"\[(\d\d)_")


def _unit(nodeid: str) -> str:
    # The chapters run in the browser (the longest tests) are two units of their own, by the
    # parity of the chapter's number, so that both workers can take them once the site is built.
    lite = LITE_RUN.match(nodeid)
    if lite:
        return f"lite-{int(lite.group(1)) % 2}"
    path = nodeid.split("::", 1)[0]
    return "site" if path in SITE_FILES else "pdf" if path in PDF_FILES else path


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class BookScheduling(LoadScopeScheduling):
        """Units of work: the site's tests, the PDF's tests, and each other file."""

        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    return BookScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if (SITE_FIXTURES | PDF_FIXTURES) & fixtures:
            item.add_marker(pytest.mark.site)
    order = {"site": 0, "pdf": 1, "lite-0": 2, "lite-1": 2}
    items.sort(key=lambda item: (order.get(_unit(item.nodeid),
                                           3 if item.nodeid.startswith("book/") else 4)))
