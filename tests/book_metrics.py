"""How heavy a chapter is as a reader sees it by default.

    python tests/book_metrics.py book/0[1-8]_*.ipynb
    python tests/book_metrics.py --with-solutions book/09_*.ipynb   # solutions' code counted too

Counts, per notebook, the words of its markdown outside exercise solutions, the visible code
lines (non-blank lines of code cells that are neither hidden nor removed nor inside a
solution) and the visible ``assert`` lines among them. tests/test_book.py holds the core path
to its bounds with these counts.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HIDDEN_TAGS = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
SOLUTION_START = re.compile(r"^[`:]{3,}\{solution-start\}", re.M)
SOLUTION_END = re.compile(r"^[`:]{3,}\{solution-end\}", re.M)
IMPORT_LINE = re.compile(r"^\s*(import\s|from\s\S+\s+import\s|#|%)")


@dataclass(frozen=True)
class Metrics:
    words: int
    code_lines: int
    asserts: int
    figure_before_code: bool

    def row(self, name: str) -> str:
        return (f"{name:40s} {self.words:6d} words {self.code_lines:5d} code lines "
                f"{self.asserts:4d} asserts  figure first: {self.figure_before_code}")


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def is_hidden(cell: dict) -> bool:
    # Only the website's tags count: a solution's collapsed-cell metadata (_ext/solutions.py)
    # hides nothing from the counts made with solutions.
    return bool(HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])))


def _has_figure(cell: dict) -> bool:
    if cell["cell_type"] == "markdown":
        text = _source(cell)
        return bool(re.search(r"!\[|\{figure\}|\{image\}|<img\b", text))
    return any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def measure(path: Path, with_solutions: bool = False) -> Metrics:
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    words = code = asserts = 0
    in_solution = False
    figure_seen = False
    figure_first = None
    for cell in nb["cells"]:
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            # A markdown cell may open and close a solution; count what lies outside.
            pieces = re.split(r"(^[`:]{3,}\{solution-(?:start|end)\}[^\n]*$)", text, flags=re.M)
            for piece in pieces:
                if SOLUTION_START.match(piece):
                    in_solution = True
                elif SOLUTION_END.match(piece):
                    in_solution = False
                elif not in_solution:
                    words += len(piece.split())
        elif (cell["cell_type"] == "code" and (with_solutions or not in_solution)
              and not is_hidden(cell)):
            lines = [line for line in text.splitlines() if line.strip()]
            code += len(lines)
            asserts += sum(1 for line in lines if line.lstrip().startswith("assert"))
            if figure_first is None and any(not IMPORT_LINE.match(line) for line in lines):
                figure_first = figure_seen
        if _has_figure(cell):
            figure_seen = True
    return Metrics(words, code, asserts, bool(figure_first if figure_first is not None
                                                else figure_seen))


def main(argv: list[str]) -> int:
    with_solutions = "--with-solutions" in argv
    total = [0, 0, 0]
    for name in [a for a in argv if a != "--with-solutions"]:
        m = measure(Path(name), with_solutions)
        print(m.row(Path(name).stem))
        total[0] += m.words
        total[1] += m.code_lines
        total[2] += m.asserts
    print(f"{'total':40s} {total[0]:6d} words {total[1]:5d} code lines {total[2]:4d} asserts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
