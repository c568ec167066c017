"""Exercise solutions start collapsed in JupyterLab and in the in-browser edition.

On the website a solution is a dropdown (sphinx-exercise's gated ``solution-start`` /
``solution-end`` directives with ``:class: dropdown``). JupyterLab does not render MyST, so the
notebooks carry the same intent in Jupyter's own cell metadata: every cell of a solution has
``jupyter.source_hidden`` (and a code cell ``jupyter.outputs_hidden``), which JupyterLab shows
as a collapsed bar to click. nbval runs the cells all the same.

    python _ext/solutions.py book/*.ipynb     # set the metadata (`.ci/execute_notebooks.py` does too)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

START = re.compile(r"^[ \t]*(`{3,}|:{3,})\{solution-start\}", re.M)
END = re.compile(r"^[ \t]*(`{3,}|:{3,})\{solution-end\}[ \t]*$", re.M)
CLOSING = re.compile(r"^\s*(`{3,}|:{3,})[ \t]*(\n|$)")  # the fence that closes the end directive


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def solution_cells(nb: dict) -> list[int]:
    """Indices of the cells that belong to a solution, from its start to its end.

    The cell holding ``solution-end`` counts when it holds nothing else (anything after the
    end, such as the next exercise, must stay visible).
    """
    inside, cells = False, []
    for i, cell in enumerate(nb["cells"]):
        text = _source(cell)
        if cell["cell_type"] == "markdown" and START.search(text):
            inside = True
        if inside:
            end = END.search(text) if cell["cell_type"] == "markdown" else None
            after = "" if end is None else CLOSING.sub("", text[end.end():], count=1)
            before = "" if end is None else text[:end.start()]
            if end is None or not (after.strip() or (before.strip() and not START.search(text))):
                cells.append(i)
            if end is not None:
                inside = False
    return cells


def collapse_solutions(nb: dict) -> dict:
    """Set the collapsed-cell metadata on every cell of every solution; return ``nb``."""
    for i in solution_cells(nb):
        cell = nb["cells"][i]
        jupyter = cell.setdefault("metadata", {}).setdefault("jupyter", {})
        jupyter["source_hidden"] = True
        if cell["cell_type"] == "code":
            jupyter["outputs_hidden"] = True
    return nb


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for name in argv:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        collapse_solutions(nb)
        new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"{name}: {len(solution_cells(nb))} solution cells collapsed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
