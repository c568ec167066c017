"""The first cell of every chapter installs the package where it is missing, and is silent elsewhere.

Its logic is run for real in a fresh virtual environment that does not have the package: the
wheel is built locally from a copy of the working tree and installed with pip's --no-index and
--no-deps, so nothing is fetched. The cell's own pip command is the one that runs; only its
source (the repository) is replaced by the local wheel.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import install_cell  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def test_the_cell_names_the_repository_of_config_and_is_hidden():
    url = install_cell.repository_url()
    source = install_cell.cell_source()
    assert f"git+{url}" in source
    cell = install_cell.new_cell()
    assert "remove-cell" in cell["metadata"]["tags"]
    assert cell["outputs"] == []
    compile(source, "install-cell", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_starts_with_the_install_cell(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = nb["cells"][0]
    assert install_cell.is_install_cell(first), (
        f"{path.name} does not start with the install cell: run "
        f"`python _ext/install_cell.py {path.relative_to(ROOT)}`")
    assert "".join(first["source"]) == install_cell.cell_source(), (
        f"{path.name}: the install cell is out of date (repository.url in _config.yml changed?); "
        f"run `python _ext/install_cell.py {path.relative_to(ROOT)}`")
    assert first["metadata"].get("tags") == install_cell.TAGS
    assert first["outputs"] == [] and first["execution_count"] == 1


def test_insertion_keeps_a_fresh_run_and_is_idempotent(tmp_path):
    source = ROOT / "book" / "13_bugs.ipynb"
    nb = json.loads(source.read_text(encoding="utf-8"))
    nb["cells"] = [c for c in nb["cells"] if not install_cell.is_install_cell(c)]
    counts = [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"]
    renumbered = [c - min(counts) + 1 if c is not None else None for c in counts]
    for cell, count in zip((c for c in nb["cells"] if c["cell_type"] == "code"), renumbered):
        cell["execution_count"] = count
    copy = tmp_path / source.name
    copy.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert install_cell.insert(copy) is True
    after = json.loads(copy.read_text(encoding="utf-8"))
    assert install_cell.is_install_cell(after["cells"][0])
    code = [c["execution_count"] for c in after["cells"] if c["cell_type"] == "code"]
    assert code == list(range(1, len(code) + 1)), "counts are not one fresh top-to-bottom run"
    assert [c["source"] for c in after["cells"][1:]] == [c["source"] for c in nb["cells"]]
    assert install_cell.insert(copy) is False, "a second insertion changed the notebook"


@pytest.fixture(scope="module")
def local_wheel(tmp_path_factory) -> Path:
    """The package's wheel, built offline by setuptools from a copy of the working tree."""
    scratch = tmp_path_factory.mktemp("wheel")
    tree = scratch / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "mlp_from_scratch", tree / "mlp_from_scratch",
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "-w", str(scratch), str(tree)],
                   check=True, stdin=subprocess.DEVNULL)
    (wheel,) = scratch.glob("mlp_from_scratch-*.whl")
    return wheel


def test_cell_installs_the_missing_package_in_a_fresh_environment_then_stays_silent(
        tmp_path, local_wheel):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, system_site_packages=False)
    python = env_dir / "bin" / "python"
    # The cell as it stands, with the repository replaced by the local wheel.
    url = install_cell.repository_url()
    source = install_cell.cell_source().replace(
        f"mlp-from-scratch[book] @ git+{url}", f"mlp-from-scratch[book] @ {local_wheel.as_uri()}")
    assert source != install_cell.cell_source()
    runner = tmp_path / "run_cell.py"
    runner.write_text(
        "import ast, asyncio, sys\n"
        "source = open(sys.argv[1]).read()\n"
        "code = compile(source, 'install-cell', 'exec', flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)\n"
        "result = eval(code, {'__name__': '__main__'})\n"
        "if asyncio.iscoroutine(result):\n"
        "    asyncio.run(result)\n")
    cell = tmp_path / "cell.py"
    cell.write_text(source)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_NO_INDEX="1", PIP_NO_DEPS="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_CONFIG_FILE=os.devnull)

    def run(*args):
        return subprocess.run([str(python), *args], cwd=tmp_path, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=300)

    check = ["-c", "import importlib.util, importlib.metadata as m; "
                   "print(importlib.util.find_spec('mlp_from_scratch') is not None and "
                   "m.version('mlp-from-scratch'))"]
    assert run(*check).stdout.strip() == "False", "the fresh environment already has the package"
    first = run(str(runner), str(cell))
    assert first.returncode == 0, first.stdout
    assert first.stdout.strip() == "", f"installing printed: {first.stdout}"
    assert run(*check).stdout.strip() == "0.1.0"
    # Present now: the cell does nothing (pip is not even started) and prints nothing.
    env["PIP_NO_INDEX"] = "not-a-boolean"  # would make any pip run fail
    second = run(str(runner), str(cell))
    assert second.returncode == 0 and second.stdout == "", second.stdout
