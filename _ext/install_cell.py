"""The first cell of every chapter: install the book's package where it is missing.

On the website the cell is hidden (tag ``remove-cell``); where the package is installed (a
clone set up with ``pip install -r requirements.txt``, Binder, nbval) it does nothing and
prints nothing. In the in-browser edition (JupyterLite, Pyodide) it installs the package and
the book's pure-Python extras from the wheels the site serves itself; anywhere else (Colab, a
bare Jupyter) it installs them with pip from the repository, whose URL is the one in
``_config.yml`` (``repository.url``).

Run as a script it inserts the cell, or brings it up to date, at the top of each notebook it is
given::

    python _ext/install_cell.py book/[0-9][0-9]_*.ipynb

The cell prints nothing, so inserting it keeps a notebook a fresh top-to-bottom run: the cell
takes execution count 1 and every later count moves up by one.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CELL_ID = "install-mlp-from-scratch"
TAGS = ["remove-cell"]
# What the in-browser edition installs from the site's own wheels (the book's extras included).
BROWSER_PACKAGES = ["mlp-from-scratch", "sympy", "autograd"]

TEMPLATE = '''\
# Installs the book's package where it is missing; silent where it is installed.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("mlp_from_scratch") is None:
    if sys.platform == "emscripten":  # in the browser (JupyterLite): the site's own wheels
        import piplite
        await piplite.install({browser_packages})
    else:  # Colab or another Jupyter: from the repository
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                        "mlp-from-scratch[book] @ git+{repository_url}"], check=True)'''


def repository_url(config_path: Path = ROOT / "_config.yml") -> str:
    """The repository's URL: ``repository.url`` in _config.yml, the one place it is set."""
    import yaml

    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    url = config["repository"]["url"].rstrip("/")
    if not re.fullmatch(r"https://[\w.-]+/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"repository.url in {config_path} is not a repository URL: {url!r}")
    return url


def cell_source(url: str | None = None) -> str:
    return TEMPLATE.format(browser_packages=json.dumps(BROWSER_PACKAGES),
                           repository_url=url or repository_url())


def new_cell(url: str | None = None) -> dict:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "id": CELL_ID,
        "metadata": {"tags": list(TAGS)},
        "outputs": [],
        "source": cell_source(url).splitlines(keepends=True),
    }


def is_install_cell(cell: dict) -> bool:
    return cell.get("id") == CELL_ID


def with_install_cell(nb: dict, url: str | None = None) -> dict:
    """The notebook with the install cell first (inserted or replaced), counts renumbered."""
    cells = [c for c in nb["cells"] if not is_install_cell(c)]
    had_cell = len(cells) != len(nb["cells"])
    if not had_cell:
        for cell in cells:
            if cell["cell_type"] == "code" and cell.get("execution_count") is not None:
                cell["execution_count"] += 1
                for output in cell.get("outputs", []):
                    if output.get("execution_count") is not None:
                        output["execution_count"] += 1
    nb["cells"] = [new_cell(url)] + cells
    # Cell ids need nbformat 4.5, which requires an id on every cell.
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        nb["nbformat"], nb["nbformat_minor"] = 4, 5
    for i, cell in enumerate(nb["cells"]):
        cell.setdefault("id", f"cell-{i:03d}")
    return nb


def insert(path: Path, url: str | None = None) -> bool:
    """Insert or refresh the install cell of one notebook; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    nb = with_install_cell(json.loads(text), url)
    new_text = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if new_text != text:
        path.write_text(new_text, encoding="utf-8")
        return True
    return False


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    url = repository_url()
    for name in argv:
        changed = insert(Path(name), url)
        print(f"{name}: {'install cell written' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
