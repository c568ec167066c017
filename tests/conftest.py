"""Fixtures shared by the book and website tests.

``built_site`` builds the whole site once per test session, the way CI's documentation
check does (`jupyter-book build . --all -W -n --keep-going`), into a temporary folder, so
that tests/test_book.py and tests/test_site_browser.py look at the same build.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium calls out to the network at every start.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SiteBuild:
    """The result of one `jupyter-book build` run."""

    returncode: int
    log: str
    html: Path
    seconds: float

    def log_tail(self, n_lines: int = 60) -> str:
        return "\n".join(self.log.splitlines()[-n_lines:])


def jupyter_book_command() -> list[str]:
    """The `jupyter-book` executable of the environment running the tests."""
    beside_python = Path(sys.executable).with_name("jupyter-book")
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("jupyter-book")
    if found is None:
        pytest.fail("jupyter-book is not installed: run `pip install -r requirements.txt`")
    return [found]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, request) -> SiteBuild:
    """One build per test run, shared by every xdist worker that needs it.

    The first worker to ask builds the site under a lock in the run's shared temporary folder;
    the others wait for the lock and read the same build.
    """
    worker = getattr(request.config, "workerinput", None)
    shared = tmp_path_factory.getbasetemp()
    if worker is not None:  # under xdist each worker's basetemp is a subfolder of the run's
        shared = shared.parent
    out = shared / "site"
    record = shared / "site-build.json"
    with open(shared / "site-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record.exists():
            done = json.loads(record.read_text(encoding="utf-8"))
            return SiteBuild(done["returncode"], done["log"], Path(done["html"]), done["seconds"])
        command = jupyter_book_command() + [
            "build", str(ROOT), "--all", "-W", "-n", "--keep-going", "--path-output", str(out),
        ]
        start = time.perf_counter()
        result = subprocess.run(
            command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, timeout=1800, env=os.environ.copy(),
        )
        seconds = time.perf_counter() - start
        html = out / "_build" / "html"
        record.write_text(json.dumps({"returncode": result.returncode, "log": result.stdout,
                                      "html": str(html), "seconds": seconds}), encoding="utf-8")
    print(f"\nsite built in {seconds:.1f} s into {html}")
    return SiteBuild(result.returncode, result.stdout, html, seconds)


@pytest.fixture(scope="session")
def site_html(built_site: SiteBuild) -> Path:
    """The HTML folder of a successful build; fails (with the build log) otherwise."""
    if built_site.returncode != 0 or not (built_site.html / "index.html").exists():
        pytest.fail(
            f"the site build failed (exit {built_site.returncode}); end of its log:\n"
            f"{built_site.log_tail()}"
        )
    return built_site.html


@pytest.fixture(scope="module")
def browser(request):
    """Debian's Chromium driven by Playwright (never Playwright's own download), one per module.

    A test module adds launch flags with a module-level ``CHROMIUM_EXTRA_ARGS`` list. Without
    /usr/bin/chromium the browser tests are skipped, or fail where ``CI=true``.
    """
    if not CHROMIUM.exists():
        message = ("Chromium is not installed at /usr/bin/chromium; install it with "
                   "`apt-get install chromium` (Debian) to run the browser tests")
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI must run this test: .ci/run installs it)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    args = CHROMIUM_ARGS + list(getattr(request.module, "CHROMIUM_EXTRA_ARGS", []))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield browser
        browser.close()
