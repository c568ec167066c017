"""Re-execute chapter notebooks in place, the way the tests will check them.

    python .ci/execute_notebooks.py book/05_activations.ipynb [more notebooks ...]

Each notebook runs top to bottom in one fresh `python3` kernel started in `book/`, with the
environment of the repository's `conftest.py` (one BLAS thread, the same OpenBLAS and NumPy
code on every x86-64 processor with AVX2, a fixed hash seed), so that nbval reproduces the
stored outputs digit for digit. Per-cell execution timestamps are dropped, consecutive
prints of one cell are stored as one output, and the cells of exercise solutions get Jupyter's
collapsed-cell metadata (_ext/solutions.py). A notebook whose run
raises is not written back; the script exits non-zero and names the cell.
"""

from __future__ import annotations

import runpy
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
runpy.run_path(str(ROOT / "conftest.py"))  # sets the kernels' environment variables
sys.path.insert(0, str(ROOT / "_ext"))
import solutions  # noqa: E402

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError  # noqa: E402


def merge_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) outputs into one, as a notebook UI shows them."""
    merged = []
    for output in outputs:
        if (output.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1]["name"] == output["name"]):
            merged[-1]["text"] += output["text"]
        else:
            merged.append(output)
    return merged


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    nb.metadata.pop("widgets", None)
    solutions.collapse_solutions(nb)  # solutions start collapsed in JupyterLab
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    failed = 0
    for name in argv:
        path = Path(name).resolve()
        try:
            seconds = execute(path)
        except CellExecutionError as error:
            failed += 1
            print(f"FAILED {name}: not written back\n{error}", file=sys.stderr)
            continue
        print(f"executed {name} in {seconds:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
