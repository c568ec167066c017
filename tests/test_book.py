"""The book as a whole: table of contents, stored notebooks, nbval coverage, equations,
exercises, bibliography, the site build and the API reference.

These tests read the notebooks as JSON; running them is nbval's job (`pytest` runs it over
book/ through the options in pyproject.toml).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import subprocess
import sys
from collections import Counter
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

import mlp_from_scratch

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"

EXPECTED_CHAPTERS = [
    "book/01_introduction", "book/02_forward_pass", "book/03_chain_rule",
    "book/04_linear_backward", "book/05_activations", "book/06_losses",
    "book/07_backprop_mlp", "book/08_gradient_checking", "book/09_training",
    "book/10_sin_case_study", "book/11_moons_case_study", "book/12_sklearn_crosscheck",
    "book/13_bugs", "book/14_vectorisation", "book/15_autodiff",
]
REFERENCE_PAGES = ["book/source_articles", "book/glossary", "book/api", "book/bibliography"]

# The equations every derivation chapter builds on: each is defined once and referenced.
CORE_EQUATIONS = [
    "eq-linear-forward", "eq-chain-rule", "eq-linear-dW", "eq-linear-db", "eq-linear-dz",
    "eq-activation-backward", "eq-sigmoid-grad", "eq-tanh-grad", "eq-relu-grad", "eq-mse",
    "eq-mse-grad", "eq-softmax", "eq-softmax-jacobian", "eq-softmax-ce-grad",
]

BIB_KEYS = {
    "rumelhart1986", "rumelhart1986pdp", "glorot2010", "he2015", "kingma2015", "goodfellow2016",
    "parr2018",
    "lecun2012", "nocedal2006", "pedregosa2011", "higham2002", "baydin2018", "griewank2008",
    "polyak1964", "sutskever2013", "blanchard2021", "bishop2006", "lecun1998",
}

FENCE = r"(?:`{3,}|:{3,})"
EQ_DEFINITION = re.compile(r"\$\$[ \t]*\((eq-[A-Za-z0-9_-]+)\)")
MATH_DIRECTIVE_LABEL = re.compile(FENCE + r"\{math\}[^\n]*\n(?:[ \t]*:[\w-]+:[^\n]*\n)*?"
                                  r"[ \t]*:label:[ \t]*(\S+)")
EQ_REFERENCE = re.compile(r"\{eq\}`(?:[^`<]*<)?(eq-[A-Za-z0-9_-]+)>?`")
CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")
EXERCISE = re.compile(FENCE + r"\{exercise\}[^\n]*\n((?:[ \t]*:[\w-]+:[^\n]*\n)*)")
SOLUTION_START = re.compile(FENCE + r"\{solution-start\}[ \t]+(\S+)[^\n]*\n?"
                            r"((?:[ \t]*:[\w-]+:[^\n]*\n?)*)")
SOLUTION_PLAIN = re.compile(FENCE + r"\{solution\}[ \t]+(\S+)")
SOLUTION_END = re.compile(FENCE + r"\{solution-end\}")
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|tmp|root|home)/")
# Terminal colour codes (as in stored tracebacks) end in "m" and would hide a path behind them.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
MEMORY_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")


# --- reading the table of contents and the notebooks -------------------------------------

def toc_entries() -> list[str]:
    """Every `file:` of _toc.yml in reading order, the root first."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    entries = [toc["root"]]

    def walk(items):
        for item in items or []:
            if "file" in item:
                entries.append(item["file"])
            walk(item.get("sections"))
            walk(item.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return entries


def resolve(entry: str) -> Path | None:
    """The source file of a toc entry: the entry itself, or with .ipynb / .md added."""
    path = ROOT / entry
    if path.suffix in {".ipynb", ".md"} and path.exists():
        return path
    for suffix in (".ipynb", ".md"):
        if path.with_name(path.name + suffix).exists():
            return path.with_name(path.name + suffix)
    return None


def toc_notebooks() -> list[Path]:
    return [p for p in map(resolve, toc_entries()) if p is not None and p.suffix == ".ipynb"]


def chapter_notebooks() -> list[Path]:
    """Notebooks of the chapters that exist (a missing one fails its own test)."""
    return [p for p in (resolve(e) for e in EXPECTED_CHAPTERS) if p is not None]


@lru_cache(maxsize=None)
def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def markdown_sources(path: Path) -> list[str]:
    """Markdown text of a book page: each markdown cell of a notebook, or a .md file whole."""
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")]
    return [cell_source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown"]


def book_pages() -> list[Path]:
    return [p for p in map(resolve, toc_entries()) if p is not None]


def output_texts(output: dict) -> list[str]:
    """The textual parts of one stored output (images are left out)."""
    texts = []
    if "text" in output:
        texts.append(cell_source(output))
    for mime, value in output.get("data", {}).items():
        if not (mime.startswith("text/") or mime.endswith("json")):
            continue
        if isinstance(value, list):
            value = "".join(value)
        texts.append(value if isinstance(value, str) else json.dumps(value))
    if output.get("output_type") == "error":
        texts += [output.get("ename", ""), output.get("evalue", "")]
        texts += output.get("traceback", [])
    return texts


def ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(ROOT).as_posix() for p in paths]


# --- (a) the table of contents -------------------------------------------------------------

DEPTH_PAGE = re.compile(r"book/(\d\d)_depth_[a-z0-9_]+$")


def toc_top_level_and_sections() -> tuple[list[str], dict[str, list[str]]]:
    """The root and the parts' chapters in order, and each chapter's sections."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    strip = lambda e: e.removesuffix(".ipynb").removesuffix(".md")  # noqa: E731
    top, sections = [toc["root"]], {}
    for part in toc.get("parts", []):
        for item in part.get("chapters") or []:
            top.append(strip(item["file"]))
            sections[top[-1]] = [strip(s["file"]) for s in item.get("sections") or []]
    return top, sections


def test_toc_lists_the_chapters_in_order_then_the_reference_pages():
    entries, _ = toc_top_level_and_sections()
    n = len(EXPECTED_CHAPTERS)
    assert entries[0] == "book/index"
    assert entries[1:n + 1] == EXPECTED_CHAPTERS
    assert entries[n + 1:] == REFERENCE_PAGES


def test_depth_pages_sit_under_their_own_chapter():
    # A depth page ("Going further: ...") is book/NN_depth_<slug>, a section of chapter NN.
    _, sections = toc_top_level_and_sections()
    for chapter, pages in sections.items():
        for page in pages:
            match = DEPTH_PAGE.fullmatch(page)
            assert match, f"{page} (under {chapter}) is not named book/NN_depth_<slug>"
            assert chapter.startswith(f"book/{match.group(1)}_"), (
                f"{page} is listed under {chapter}, not under chapter {match.group(1)}")


@pytest.mark.parametrize("entry", toc_entries())
def test_every_toc_entry_is_an_existing_notebook_or_markdown_page(entry):
    path = resolve(entry)
    assert path is not None, f"{entry} in _toc.yml has no .ipynb or .md file"
    assert path.suffix in {".ipynb", ".md"}


def test_every_notebook_under_book_is_in_the_toc():
    listed = {p.resolve() for p in toc_notebooks()}
    stray = [p for p in sorted(BOOK.rglob("*.ipynb"))
             if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts
             and p.resolve() not in listed]
    assert not stray, f"notebooks missing from _toc.yml: {ids(stray)}"


# --- (b) notebooks are stored executed, cleanly --------------------------------------------

@pytest.mark.parametrize("path", toc_notebooks(), ids=ids(toc_notebooks()))
def test_notebook_is_stored_as_one_fresh_top_to_bottom_run(path):
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cell"
    unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not unexecuted, (f"{path.name}: code cells {unexecuted} (0-based among code cells) "
                            "are not executed (or empty): execute the notebook top to bottom")
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..{len(code)}; re-run it in a fresh "
        "kernel from top to bottom")


@pytest.mark.parametrize("path", toc_notebooks(), ids=ids(toc_notebooks()))
def test_notebook_kernel_is_python3(path):
    assert load(path)["metadata"].get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", toc_notebooks(), ids=ids(toc_notebooks()))
def test_notebook_outputs_show_no_machine_path_or_memory_address(path):
    problems = []
    for index, cell in enumerate(load(path)["cells"]):
        for output in cell.get("outputs", []):
            for text in output_texts(output):
                text = ANSI_ESCAPE.sub("", text)
                for pattern in (MACHINE_PATH, MEMORY_ADDRESS):
                    match = pattern.search(text)
                    if match:
                        start = max(match.start() - 40, 0)
                        problems.append(f"cell {index}: ...{text[start:match.end() + 40]!r}")
    assert not problems, (f"{path.name} outputs depend on the machine (use `%xmode Minimal` "
                          "before error cells, assign plot results to `_`):\n"
                          + "\n".join(problems))


# --- (c) nbval collects every chapter --------------------------------------------------------

def test_nbval_collects_every_code_cell_of_every_toc_notebook():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "book"],
        cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    collected = Counter(m.group(1) for m in
                        re.finditer(r"^(book/\S+\.ipynb)::Cell \d+$", result.stdout, re.M))
    for path in toc_notebooks():
        name = path.relative_to(ROOT).as_posix()
        n_code = sum(c["cell_type"] == "code" for c in load(path)["cells"])
        assert collected[name] >= 1, f"nbval does not collect {name}:\n{result.stdout[-2000:]}"
        assert collected[name] == n_code, (
            f"nbval collects {collected[name]} cells of {name}, which has {n_code} code cells")


# --- (d) equations, exercises, citations ----------------------------------------------------

def equation_definitions() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in book_pages():
        for text in markdown_sources(path):
            for label in EQ_DEFINITION.findall(text) + MATH_DIRECTIVE_LABEL.findall(text):
                found.setdefault(label, []).append(path.name)
    return found


def equation_references() -> Counter:
    refs: Counter = Counter()
    for path in book_pages():
        for text in markdown_sources(path):
            refs.update(EQ_REFERENCE.findall(text))
    return refs


@pytest.mark.parametrize("label", CORE_EQUATIONS)
def test_core_equation_is_defined_exactly_once_and_referenced(label):
    defined = equation_definitions().get(label, [])
    assert len(defined) == 1, f"{label} must be defined exactly once, found in {defined}"
    assert equation_references()[label] >= 1, f"{label} is never referenced with {{eq}}"


def test_equation_labels_are_unique_prefixed_and_every_reference_has_a_target():
    definitions = equation_definitions()
    duplicated = {k: v for k, v in definitions.items() if len(v) > 1}
    assert not duplicated, f"equation labels defined more than once: {duplicated}"
    assert all(label.startswith("eq-") for label in definitions), sorted(definitions)
    dangling = sorted(set(equation_references()) - set(definitions))
    assert not dangling, f"{{eq}} references to undefined labels: {dangling}"


def exercises_and_solutions(path: Path):
    """Exercise labels, solution targets (gated and plain), and the gated blocks' code cells."""
    exercises, solutions, gated = [], [], []
    open_block = None
    for cell in load(path)["cells"]:
        text = cell_source(cell)
        if cell["cell_type"] == "markdown":
            for options in EXERCISE.findall(text):
                label = re.search(r":label:[ \t]*(\S+)", options)
                exercises.append(label.group(1) if label else None)
            solutions += SOLUTION_PLAIN.findall(text)
            start = SOLUTION_START.search(text)
            if start:
                assert open_block is None, f"{path.name}: solution-start inside another solution"
                open_block = {"label": start.group(1), "options": start.group(2), "code": []}
                solutions.append(start.group(1))
            if SOLUTION_END.search(text):
                assert open_block is not None, f"{path.name}: solution-end without a start"
                gated.append(open_block)
                open_block = None
        elif cell["cell_type"] == "code" and open_block is not None and text.strip():
            open_block["code"].append(cell)
    assert open_block is None, f"{path.name}: solution for {open_block['label']} is never ended"
    return exercises, solutions, gated


@pytest.mark.parametrize("path", chapter_notebooks(), ids=ids(chapter_notebooks()))
def test_chapter_ends_with_two_or_three_labelled_exercises(path):
    exercises, _, _ = exercises_and_solutions(path)
    assert None not in exercises, f"{path.name}: every exercise needs a :label:"
    assert 2 <= len(exercises) <= 3, f"{path.name} has {len(exercises)} exercises, not 2-3"


@pytest.mark.parametrize("path", chapter_notebooks(), ids=ids(chapter_notebooks()))
def test_every_exercise_has_one_gated_solution_with_executed_code(path):
    exercises, solutions, gated = exercises_and_solutions(path)
    assert Counter(solutions) == Counter(exercises), (
        f"{path.name}: exercises {exercises} vs solutions {solutions}")
    for block in gated:
        assert block["code"], f"{path.name}: the solution of {block['label']} has no code cell"
        assert all(c.get("execution_count") for c in block["code"]), block["label"]
        assert re.search(r":class:[^\n]*\bdropdown\b", block["options"]), (
            f"{path.name}: the solution of {block['label']} is not a dropdown")
    assert {b["label"] for b in gated} == set(exercises), (
        f"{path.name}: every solution must be gated (solution-start/solution-end) so its "
        "code is executed")


def test_exercise_labels_are_unique_across_the_book():
    labels = [label for path in toc_notebooks()
              for label in exercises_and_solutions(path)[0]]
    duplicated = [k for k, v in Counter(labels).items() if v > 1]
    assert not duplicated, duplicated


def test_bibliography_has_exactly_the_project_keys_and_citations_use_them():
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    keys = re.findall(r"^@\w+\{([^,\s]+),", bib, re.M)
    assert sorted(keys) == sorted(BIB_KEYS)
    for key in keys:
        entry = bib.split("{" + key + ",", 1)[1].split("\n}", 1)[0]
        for field in ("author", "title", "year"):
            assert re.search(rf"^\s*{field}\s*=", entry, re.M), f"{key} has no {field}"
    cited = {k.strip() for path in book_pages() for text in markdown_sources(path)
             for group in CITE.findall(text) for k in group.split(",")}
    assert cited <= BIB_KEYS, f"cited keys missing from references.bib: {cited - BIB_KEYS}"


# --- (e) the site ----------------------------------------------------------------------------

def test_site_builds_with_warnings_as_errors(built_site):
    assert built_site.returncode == 0, (
        f"jupyter-book build -W -n --keep-going failed:\n{built_site.log_tail()}")
    assert (built_site.html / "index.html").exists()
    for entry in toc_entries():
        assert (built_site.html / f"{entry}.html").exists(), f"no page for {entry}"


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.remote: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        url = attrs.get("src") if tag in {"script", "img", "iframe", "source", "video",
                                          "audio", "embed"} else None
        if tag == "link" and (attrs.get("rel") or "") not in {"canonical"}:
            url = attrs.get("href")
        if tag == "object":
            url = attrs.get("data")
        if url and re.match(r"(https?:)?//", url):
            self.remote.append(f"<{tag}> {url}")


def parse_html(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def html_pages(html: Path) -> list[Path]:
    skip = {"_static", "_sources", "_images", "_sphinx_design_static"}
    return sorted(p for p in html.rglob("*.html") if not skip & set(p.relative_to(html).parts))


def test_no_page_loads_anything_from_the_network(site_html):
    remote = {p.relative_to(site_html).as_posix(): parse_html(p).remote
              for p in html_pages(site_html)}
    remote = {k: v for k, v in remote.items() if v}
    assert not remote, f"pages that load remote resources: {remote}"


def test_mathjax_is_served_from_the_site(site_html):
    assert (site_html / "_static" / "mathjax" / "tex-chtml.js").exists()
    with_math = 0
    for path in html_pages(site_html):
        text = path.read_text(encoding="utf-8")
        assert "cdn.jsdelivr" not in text and "mathjax@" not in text, path.name
        if 'class="math notranslate' in text:
            with_math += 1
            assert re.search(r'<script[^>]+src="[./]*_static/mathjax/tex-chtml\.js"', text), (
                f"{path.name} has math but does not load the bundled MathJax")
    assert with_math, "no page has math: is dollarmath enabled?"


def public_names() -> dict[str, list[str]]:
    """Every module of the package that declares __all__, with its public names."""
    names = {}
    for info in pkgutil.iter_modules(mlp_from_scratch.__path__):
        module = importlib.import_module(f"mlp_from_scratch.{info.name}")
        if hasattr(module, "__all__"):
            names[info.name] = list(module.__all__)
    return names


def test_api_reference_documents_every_public_name(site_html):
    html = (site_html / "book" / "api.html").read_text(encoding="utf-8")
    page_ids = parse_html(site_html / "book" / "api.html").ids
    missing, undescribed = [], []
    for module, names in public_names().items():
        if f"module-mlp_from_scratch.{module}" not in page_ids:
            missing.append(module)
        for name in names:
            target = f"mlp_from_scratch.{module}.{name}"
            if target not in page_ids:
                missing.append(target)
                continue
            after = html.split(f'id="{target}"', 1)[1]
            body = after.split("<dd>", 1)[1] if "<dd>" in after else ""
            first = re.split(r"<dl|</dd>", body, maxsplit=1)[0]
            if not re.sub(r"<[^>]+>|\s", "", first):
                undescribed.append(target)
    top_level = [name for name in mlp_from_scratch.__all__
                 if not any(i.endswith(f".{name}") for i in page_ids)]
    assert not missing, f"not on the API page: {missing}"
    assert not top_level, f"top-level names not on the API page: {top_level}"
    assert not undescribed, f"on the API page without a description: {undescribed}"


def docstring_equation_labels() -> dict[str, set[str]]:
    """Public functions, classes and methods of the package, with the labels their docs name."""
    named: dict[str, set[str]] = {}
    for module, names in public_names().items():
        mod = importlib.import_module(f"mlp_from_scratch.{module}")
        for name in names:
            obj = getattr(mod, name)
            items = [(name, obj)]
            if isinstance(obj, type):
                items += [(f"{name}.{k}", v) for k, v in vars(obj).items()
                          if callable(v) and not k.startswith("_")]
            for qualname, item in items:
                labels = set(re.findall(r"eq-[A-Za-z0-9-]+", getattr(item, "__doc__", "") or ""))
                if labels and callable(item):
                    named[f"mlp_from_scratch.{module}.{qualname}"] = labels
    return named


def test_api_page_links_each_core_equation_to_every_function_naming_it():
    rows = {}
    for line in (BOOK / "api.md").read_text(encoding="utf-8").splitlines():
        label = re.match(r"\|\s*\{eq\}`(eq-[\w-]+)`\s*\|(.*)\|\s*$", line)
        if label:
            rows[label.group(1)] = set(re.findall(r"mlp_from_scratch(?:\.\w+)+", label.group(2)))
    assert set(rows) == set(CORE_EQUATIONS)
    missing = [f"{target} (names {label})"
               for target, labels in docstring_equation_labels().items()
               for label in labels if label in rows and target not in rows[label]]
    assert not missing, f"add to the equation table of book/api.md: {missing}"


# --- (g) the core path reads as a first text; part II stays light ----------------------------

CORE = EXPECTED_CHAPTERS[:8]  # the first part: chapters 1-8
CORE_BOUNDS = {"words": 12_000, "code_lines": 700, "asserts": 80}
CORE_CHAPTER_WORDS = 2_200
PART_TWO_BOUNDS = {"book/09_training": 200, "book/14_vectorisation": 200}  # code lines
PART_TWO_CODE_LINES, PART_TWO_ASSERTS = 260, 20


def _metrics(entry, with_solutions=False):
    import book_metrics

    return book_metrics.measure(resolve(entry), with_solutions)


@pytest.mark.parametrize("entry", CORE)
def test_core_chapter_is_short_and_opens_with_a_figure(entry):
    m = _metrics(entry)
    assert m.words <= CORE_CHAPTER_WORDS, f"{entry}: {m.words} words"
    assert m.figure_before_code, f"{entry}: no figure before its first code cell"


def test_core_path_fits_an_afternoon():
    total = {key: sum(getattr(_metrics(e), key) for e in CORE) for key in CORE_BOUNDS}
    over = {k: (v, CORE_BOUNDS[k]) for k, v in total.items() if v > CORE_BOUNDS[k]}
    assert not over, f"core path over its bounds (measured, bound): {over}"


@pytest.mark.parametrize("entry", EXPECTED_CHAPTERS[8:])
def test_part_two_chapter_shows_little_code(entry):
    m = _metrics(entry, with_solutions=True)
    assert m.code_lines <= PART_TWO_BOUNDS.get(entry, PART_TWO_CODE_LINES), (
        f"{entry}: {m.code_lines} visible code lines")
    assert m.asserts <= PART_TWO_ASSERTS, f"{entry}: {m.asserts} visible asserts"


@pytest.mark.parametrize("path", toc_notebooks(), ids=ids(toc_notebooks()))
def test_solutions_start_collapsed_in_jupyterlab(path):
    sys.path.insert(0, str(ROOT / "_ext"))
    import solutions

    nb = load(path)
    cells = solutions.solution_cells(nb)
    open_cells = [i for i in cells
                  if not nb["cells"][i].get("metadata", {}).get("jupyter", {}).get("source_hidden")
                  or (nb["cells"][i]["cell_type"] == "code" and not nb["cells"][i]["metadata"]
                      ["jupyter"].get("outputs_hidden"))]
    assert not open_cells, (f"{path.name}: solution cells {open_cells} are not collapsed; run "
                            "`python _ext/solutions.py book/*.ipynb`")
