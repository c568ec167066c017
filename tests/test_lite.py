"""The in-browser edition (JupyterLite + Pyodide) as a reader meets it, with the network cut off.

The built site is served over HTTP on 127.0.0.1 (JupyterLite needs http, not file://) and
opened in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) with every
request to another host aborted and every other host name unresolvable.

* The lite/ folder holds every chapter, the Pyodide files (each with the sha256 of the official
  Pyodide 0.27.7 release), the package's own wheel, and browser copies without raw MyST markup.
* Every chapter page has a "Run this chapter in your browser" button that opens that chapter in
  JupyterLite.
* Whole chapters run there: the kernel starts, Run All executes every code cell, no cell
  outputs an error and every figure renders. By default three chapters (a derivation, a case
  study, the bugs chapter) so that `pytest` stays short; MLP_LITE_CHAPTERS=all (set by .ci/run)
  runs every chapter and every "Going further" page, and MLP_LITE_CHAPTERS=04,13 picks the
  chapters with those numbers and their "Going further" pages.

Timings (kernel start, each chapter's run) are printed and written to
_build/test-artifacts/lite-timings.json.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import socketserver
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import browser_edition  # noqa: E402
import install_cell  # noqa: E402

ARTIFACTS = ROOT / "_build" / "test-artifacts"
DEFAULT_CHAPTERS = ["04", "12", "13"]
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
KERNEL_START_TIMEOUT = 120
CHAPTER_TIMEOUT = 600
# Chromium (tests/conftest.py) resolves no host name but the local server's.
CHROMIUM_EXTRA_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
MYST_LEFTOVER = re.compile(
    r"\{[\w:+-]+\}`[^`]*`|^[ \t]*(?:`{3,}|:{3,})\{[\w:-]+\}|^\([\w.:-]+\)=[ \t]*$|\$\$[ \t]*\([\w.:-]+\)",
    re.M)


if os.environ.get("MLP_SITE_HTML"):
    # An existing build's HTML folder, to check it without building the site again.
    @pytest.fixture(scope="module")
    def site_html() -> Path:
        return Path(os.environ["MLP_SITE_HTML"])


def lite_chapters() -> list[str]:
    wanted = os.environ.get("MLP_LITE_CHAPTERS", "").strip()
    if wanted == "all":
        return CHAPTERS
    if not wanted:  # the three chapters themselves, not their "Going further" pages
        return [c for c in CHAPTERS if c[:2] in DEFAULT_CHAPTERS and "_depth_" not in c]
    prefixes = [w.strip() for w in wanted.split(",") if w.strip()]
    chosen = [c for c in CHAPTERS if c[:2] in prefixes]
    assert chosen, f"MLP_LITE_CHAPTERS={wanted!r} names no chapter"
    return chosen


@pytest.fixture(scope="module")
def lite(site_html) -> Path:
    folder = site_html / "lite"
    if not folder.exists():
        pytest.fail("the site was built without its in-browser edition (no lite/ folder); "
                    "the build log says why")
    return folder


@pytest.fixture(scope="module")
def server(site_html):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site_html))
    Quiet.extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                            ".wasm": "application/wasm", ".mjs": "text/javascript",
                            ".js": "text/javascript", ".json": "application/json"}
    httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()




def offline_context(browser, base: str):
    """A browser context in which every request that is not for the local server fails."""
    # JupyterLite's service worker stays on: the kernel reads the notebooks' folder through it.
    # Host names other than 127.0.0.1 do not resolve (CHROMIUM_EXTRA_ARGS), so nothing it could ask
    # for outside the site can arrive.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.blocked = []

    def route(route):
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            context.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    return context


# --- the files ---------------------------------------------------------------------------------

def test_lite_holds_every_chapter_without_raw_myst(lite):
    served = sorted(p.stem for p in (lite / "files").glob("*.ipynb"))
    assert served == CHAPTERS
    leftovers = {}
    for name in served:
        nb = json.loads((lite / "files" / f"{name}.ipynb").read_text(encoding="utf-8"))
        first = nb["cells"][0]
        assert install_cell.is_install_cell(first), f"{name}: the install cell is not first"
        assert "".join(first["source"]) == install_cell.cell_source()
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                found = MYST_LEFTOVER.findall("".join(cell["source"]))
                if found:
                    leftovers.setdefault(name, []).extend(found)
    assert not leftovers, f"raw MyST markup in the browser copies: {leftovers}"


def test_browser_copies_show_the_websites_equation_numbers_and_listings(lite):
    nb = json.loads((lite / "files" / "04_linear_backward.ipynb").read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert re.search(r"\\tag\{4\.\d+\}", text), "no numbered equation of chapter 4"
    assert re.search(r"\(\d+\.\d+\)", text), "no equation reference rewritten as its number"
    source = (ROOT / "mlp_from_scratch" / "functional.py").read_text(encoding="utf-8")
    listing = re.search(r"```python\n(def linear_grad_W.*?)\n```", text, re.S)
    assert listing and listing.group(1) in source, "the literalinclude listing is not the source"


def test_every_served_pyodide_file_has_the_official_sha256(lite):
    folder = lite / "static" / "pyodide"
    expected = {}
    for line in browser_edition.OFFICIAL_CORE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split()
            expected[name] = digest
    official = json.loads(browser_edition.OFFICIAL_LOCK.read_text())["packages"]
    by_file = {v["file_name"]: v["sha256"] for v in official.values()}
    served = {p.name for p in folder.iterdir()} - {"pyodide-lock.json"}
    assert served, "no Pyodide file is served"
    for name in sorted(served):
        digest = expected.get(name) or by_file.get(name)
        assert digest is not None, f"{name} is not part of the official Pyodide release"
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    lock = json.loads((folder / "pyodide-lock.json").read_text())
    assert lock["info"]["version"] == "0.27.7"
    for entry in lock["packages"].values():
        assert entry["file_name"] in served and entry["sha256"] == by_file[entry["file_name"]]
    assert {"numpy", "scipy", "scikit-learn", "matplotlib"} <= set(lock["packages"])


def test_the_kernel_is_told_never_to_fetch_from_pypi(lite):
    config = json.loads((lite / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert settings["disablePyPIFallback"] is True
    assert settings["pyodideUrl"].startswith("./static/pyodide/")
    wheels = {p.name.split("-")[0] for p in (lite / "pypi").glob("*.whl")}
    assert {"mlp_from_scratch", "comm", "sympy", "mpmath", "autograd"} <= wheels


def test_a_mismatching_pyodide_file_stops_the_build(tmp_path, lite):
    source = lite / "static" / "pyodide"
    for path in source.iterdir():
        (tmp_path / path.name).symlink_to(path)
    (tmp_path / "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl").unlink()
    (tmp_path / "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl").write_bytes(b"not numpy")
    files = browser_edition.PyodideFiles(tmp_path)
    with pytest.raises(Exception, match=r"(?s)do not match the official Pyodide 0\.27\.7.*numpy"):
        files.verify(tmp_path)


# --- in the browser ----------------------------------------------------------------------------

OPENED = """(name) => {
    const app = window.jupyterapp;
    const w = app && app.shell.currentWidget;
    return !!(w && w.context && w.context.path === name + '.ipynb' && w.content.widgets.length > 5);
}"""
CLICK_THROUGH = ["01_introduction"]


def test_every_chapter_page_has_a_button_that_opens_it_in_the_browser(site_html, server, browser):
    """Every chapter page: one visible button whose target serves that chapter; for two of them
    the click is followed until the notebook is open in JupyterLite (the chapter runs below
    open the same address)."""
    context = offline_context(browser, server)
    problems = {}
    try:
        page = context.new_page()
        for name in CHAPTERS:
            page.goto(f"{server}/book/{name}.html", wait_until="domcontentloaded")
            button = page.get_by_role("link", name="Run this chapter in your browser")
            if button.count() != 1 or not button.is_visible():
                problems[name] = f"{button.count()} buttons, visible: {button.count() and button.is_visible()}"
                continue
            href = button.get_attribute("href")
            if href != f"../lite/notebooks/index.html?path={name}.ipynb":
                problems[name] = f"button points at {href}"
                continue
            served = page.evaluate("async (url) => { const r = await fetch(url); "
                                   "return r.ok ? (await r.json()).cells.length : r.status; }",
                                   f"{server}/lite/files/{name}.ipynb")
            if not isinstance(served, int) or served < 5:
                problems[name] = f"lite/files/{name}.ipynb is not served: {served}"
                continue
            if name in CLICK_THROUGH and name in CHAPTERS:
                with context.expect_page() as opened:
                    button.click()
                lite_page = opened.value
                try:
                    lite_page.wait_for_function(OPENED, arg=name, timeout=120000, polling=500)
                except Exception as error:  # noqa: BLE001
                    problems[name] = f"the notebook did not open in JupyterLite: {error}"
                finally:
                    lite_page.close()
    finally:
        context.close()
    assert not context.blocked, f"tried to fetch from the network: {sorted(set(context.blocked))}"
    assert not problems, problems


RUN_ALL = """
async () => {
    const app = window.jupyterapp;
    const widget = app.shell.currentWidget;
    app.commands.execute('notebook:run-all-cells');   // not awaited: polled below
    return true;
}
"""

STATE = """
() => {
    const widget = window.jupyterapp.shell.currentWidget;
    const kernel = widget.sessionContext.session && widget.sessionContext.session.kernel;
    // Cells are numbered as in the notebook file (0 is the install cell).
    const all = widget.content.widgets.map(w => w.model);
    const index = all.map((m, i) => i).filter(i => all[i].type === 'code');
    const cells = index.map(i => all[i]);
    const outputs = cells.map(m => {
        const out = [];
        for (let i = 0; i < m.outputs.length; i++) out.push(m.outputs.get(i).toJSON());
        return out;
    });
    return {
        status: kernel ? kernel.status : 'none',
        counts: cells.map(m => m.executionCount),
        errors: outputs.flatMap((o, i) => o.filter(x => x.output_type === 'error')
                                       .map(x => ({cell: index[i], ename: x.ename, evalue: x.evalue}))),
        notRun: cells.map((m, i) => m.executionCount === null ? index[i] : -1).filter(i => i >= 0),
        images: outputs.flat().filter(x => x.data && x.data['image/png']).length,
        stderr: outputs.flat().filter(x => x.name === 'stderr').map(x => [].concat(x.text).join('')),
    };
}
"""

WAIT_KERNEL_IDLE = """
() => {
    const app = window.jupyterapp;
    const w = app && app.shell.currentWidget;
    const s = w && w.sessionContext && w.sessionContext.session;
    return !!(s && s.kernel && s.kernel.status === 'idle' && w.content.widgets.length > 0);
}
"""


def stored_images(name: str) -> int:
    nb = json.loads((ROOT / "book" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return sum("image/png" in o.get("data", {}) for c in nb["cells"] if c["cell_type"] == "code"
               for o in c.get("outputs", []))


def run_chapter(context, server: str, name: str) -> dict:
    page = context.new_page()
    js_errors = []
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    start = time.perf_counter()
    try:
        page.goto(f"{server}/lite/notebooks/index.html?path={name}.ipynb")
        page.wait_for_function(WAIT_KERNEL_IDLE, timeout=KERNEL_START_TIMEOUT * 1000, polling=250)
        kernel_ready = time.perf_counter() - start
        page.evaluate(RUN_ALL)
        deadline = time.perf_counter() + CHAPTER_TIMEOUT
        time.sleep(2)
        while True:
            state = page.evaluate(STATE)
            done = all(c is not None for c in state["counts"])
            if (done and state["status"] == "idle") or state["errors"]:
                if state["errors"]:
                    time.sleep(1)
                    state = page.evaluate(STATE)
                break
            if time.perf_counter() > deadline:
                state["timeout"] = True
                break
            time.sleep(0.5)
        total = time.perf_counter() - start
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"lite-{name}.png"))
    finally:
        page.close()
    state.update(kernel_start=round(kernel_ready, 1), total=round(total, 1),
                 run=round(total - kernel_ready, 1), js_errors=js_errors)
    return state


@pytest.mark.parametrize("name", lite_chapters())
def test_chapter_runs_to_the_end_in_the_browser_offline(name, lite, server, browser):
    context = offline_context(browser, server)
    try:
        result = run_chapter(context, server, name)
    finally:
        context.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    timings = ARTIFACTS / "lite-timings.json"
    recorded = json.loads(timings.read_text()) if timings.exists() else {}
    recorded[name] = {k: result[k] for k in ("kernel_start", "run", "total")}
    timings.write_text(json.dumps(recorded, indent=1, sort_keys=True))
    print(f"\n{name}: kernel idle after {result['kernel_start']} s, Run All {result['run']} s")
    assert not context.blocked, f"tried to fetch from the network: {sorted(set(context.blocked))}"
    assert not result.get("timeout"), f"{name} did not finish within {CHAPTER_TIMEOUT} s"
    assert not result["errors"], f"{name} raised in the browser: {result['errors']}"
    assert not result["notRun"], f"{name}: code cells never executed: {result['notRun']}"
    assert result["images"] >= stored_images(name), (
        f"{name}: {result['images']} figures rendered, {stored_images(name)} stored")


# --- without Pyodide: the whole site, no half of the in-browser edition -------------------------

class _FakeBuilder:
    format = "html"


class _FakeApp:
    def __init__(self, outdir: Path):
        self.outdir = str(outdir)
        self.builder = _FakeBuilder()


def test_without_pyodide_the_build_says_so_and_leaves_no_lite_and_no_button(tmp_path, monkeypatch,
                                                                             caplog):
    outdir = tmp_path / "_build" / "html"
    (outdir / "lite").mkdir(parents=True)  # a stale edition from an earlier build
    monkeypatch.setattr(browser_edition, "find_pyodide",
                        lambda: (None, "the Pyodide 0.27.7 files are not installed"))
    app = _FakeApp(outdir)
    messages = []
    monkeypatch.setattr(browser_edition.logger, "info", lambda msg, **kw: messages.append(msg))
    browser_edition.builder_inited(app)
    assert app.browser_edition is None
    assert any("NOT BUILT" in m and "not installed" in m for m in messages), messages
    context = {"body": "<p>chapter</p>", "pathto": lambda *a: "x"}
    browser_edition.html_page_context(app, "book/04_linear_backward", "page.html", context, None)
    assert context["body"] == "<p>chapter</p>"
    browser_edition.build_finished(app, None)
    assert not (outdir / "lite").exists(), "a stale lite/ was left beside pages without buttons"


def test_an_incomplete_pyodide_stops_the_build_naming_what_is_missing(tmp_path, lite):
    for path in (lite / "static" / "pyodide").iterdir():
        if not path.name.startswith("scipy-"):
            (tmp_path / path.name).symlink_to(path)
    with pytest.raises(Exception, match=r"incomplete \(missing: scipy\)"):
        browser_edition.PyodideFiles(tmp_path)
