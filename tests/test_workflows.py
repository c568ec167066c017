"""The GitHub Actions workflows pass actionlint, and CI runs what .ci/run runs.

Also: the repository's URL is set once (``repository.url`` in _config.yml) and every place that
names it (the README, the launch buttons of the site, the chapters' install cell) says the same.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
sys.path.insert(0, str(ROOT / "_ext"))
import install_cell  # noqa: E402


def actionlint() -> str:
    beside_python = Path(sys.executable).with_name("actionlint")
    found = str(beside_python) if beside_python.exists() else shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: run `pip install -r requirements.txt`")
    return found


def test_workflows_pass_actionlint():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {p.name for p in files} >= {"ci.yml", "pages.yml"}
    result = subprocess.run([actionlint(), "-color=false", *map(str, files)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 0, result.stdout


def test_actionlint_finds_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
                      "    steps:\n      - run: echo ${{ github.nonexistent_context }}\n")
    result = subprocess.run([actionlint(), "-color=false", str(broken)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=120)
    assert result.returncode != 0 and "nonexistent_context" in result.stdout


def steps(name: str) -> list[dict]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_ci_workflow_runs_ci_run_itself():
    runs = [s.get("run", "") for s in steps("ci.yml")]
    assert any(r.strip() == "bash .ci/run" for r in runs), runs


def test_pages_workflow_builds_the_readme_way_and_deploys_the_in_browser_edition():
    runs = "\n".join(s.get("run", "") for s in steps("pages.yml"))
    uses = [s.get("uses", "") for s in steps("pages.yml")]
    assert "pip install -r requirements.txt" in runs
    assert re.search(r"jupyter-book build \.", runs)
    assert "_build/html/lite/" in runs, "the deploy does not insist on the in-browser edition"
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)


# --- one repository URL ------------------------------------------------------------------------

def test_repository_url_is_the_same_everywhere():
    url = install_cell.repository_url()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = {u.removesuffix(".git")
             for u in re.findall(r"https://github\.com/[\w.-]+/[\w.-]*[\w-]", readme)}
    assert url in readme, f"the README does not name {url}"
    assert named <= {url}, f"the README names other repositories than {url}: {named - {url}}"
    source = install_cell.cell_source()
    assert f"git+{url}" in source
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        text = path.read_text(encoding="utf-8")
        others = set(re.findall(r"git\+(https://[\w./-]+)", text)) - {url}
        assert not others, f"{path.name} installs from {others}, not {url}"


def test_launch_buttons_of_the_site_point_at_the_repository(site_html):
    url = install_cell.repository_url()
    page = (site_html / "book" / "04_linear_backward.html").read_text(encoding="utf-8")
    path = url.split("github.com/", 1)[1]
    colab = re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page)
    binder = re.findall(r'href="(https://mybinder\.org/[^"]+)"', page)
    assert colab and all(f"github/{path}/" in c for c in colab), colab
    assert binder and all(f"gh/{path}/" in b for b in binder), binder
    assert f'href="{url}"' in page, "no repository button"
