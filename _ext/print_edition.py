"""The book on paper: an English and a Chinese PDF from the same sources as the website.

As a script it builds both::

    python _ext/print_edition.py            # _build/pdf/backprop-from-scratch{,-zh}.pdf
    python _ext/print_edition.py en         # one edition

Each edition is a LaTeX build of the book (``jupyter-book build --builder latex``; the Chinese
one with ``language: zh_CN``, so it reads the same gettext catalogs as the site's ``zh/``),
typeset with XeLaTeX by ``latexmk``. It needs Debian's ``texlive-xetex``,
``texlive-latex-extra``, ``texlive-fonts-extra``, ``texlive-lang-chinese``, ``latexmk``,
``fonts-dejavu-core``, ``fonts-dejavu-extra`` and ``fonts-noto-cjk`` (README, "The book as a
PDF"). The website links every page to the PDF of its language when the PDFs exist at the time
the site is built (build the PDFs first, then the site).

As a Sphinx extension (loaded from ``_config.yml``) it sets the fonts and the title page, and
makes the LaTeX document a book for paper:

* code cells the website hides (``hide-input``) show their output without their code;
* each exercise's solution is taken out of the dropdown and collected, with its code and
  output, in a "Solutions" section at the end of its chapter;
* nothing of the website's furniture (launch buttons, the "run in your browser" button, the
  language links) reaches the PDF: those are added to HTML pages only.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PDF_DIR = ROOT / "_build" / "pdf"
NAMES = {"en": "backprop-from-scratch", "zh": "backprop-from-scratch-zh"}
LANGUAGE = {"en": "en", "zh": "zh_CN"}
SOLUTIONS_TITLE = {"en": "Solutions", "zh": "习题解答"}
CONTENTS_TITLE = {"en": "Contents", "zh": "目录"}
LINK_TEXT = {"en": "PDF", "zh": "PDF"}
LINK_TITLE = {"en": "This book as a PDF", "zh": "本书的 PDF 版"}

# DejaVu covers every symbol the book's code and outputs print (✓ ✗ ⊙ → ≈ …); Noto CJK sets the
# Chinese, in the English edition's glossary too.
FONTS = {
    "en": r"""
\usepackage{fontspec}
\setmainfont{DejaVu Serif}
\setsansfont{DejaVu Sans}
\setmonofont{DejaVu Sans Mono}[Scale=0.9]
\usepackage{xeCJK}
\setCJKmainfont{Noto Serif CJK SC}
\setCJKsansfont{Noto Sans CJK SC}
\setCJKmonofont{Noto Sans Mono CJK SC}
\xeCJKsetup{AutoFakeSlant=0.2}
% Quotation marks and apostrophes in English text are Latin, not full-width CJK punctuation.
\xeCJKDeclareCharClass{Default}{"2018, "2019, "201C, "201D, "2013, "2014, "2026}
""",
    "zh": r"""
\usepackage{fontspec}
\setmainfont{DejaVu Serif}
\setsansfont{DejaVu Sans}
\setmonofont{DejaVu Sans Mono}[Scale=0.9]
\usepackage[slantfont,boldfont]{xeCJK}
\setCJKmainfont{Noto Serif CJK SC}[BoldFont={Noto Sans CJK SC Bold}]
\setCJKsansfont{Noto Sans CJK SC}[BoldFont={Noto Sans CJK SC Bold}]
\setCJKmonofont{Noto Sans Mono CJK SC}
\xeCJKsetup{CJKecglue={\hskip 0.15em plus 0.05em}, AutoFakeSlant=0.2}
% No babel or polyglossia for Chinese: give Jupyter Book's preamble the hook it writes to.
\makeatletter\providecommand\addto[2]{\g@addto@macro#1{#2}}\makeatother
\providecommand\captionsenglish{}
% Chapters as Chinese books number them: 第 8 章 in the running footer and the chapter opener.
\makeatletter\def\@chapapp{第}\def\@chappos{章}\makeatother
\AtBeginDocument{\titleformat{\chapter}[display]{\normalfont\sffamily\huge\bfseries}%
  {第\,\thechapter\,章}{0.6em}{\Huge}}
""",
}

# Code and outputs wrap at the margin instead of running off the page; long words in
# tables break; headings in the Chinese edition use the sans font.
PREAMBLE = r"""
\sphinxsetup{verbatimwrapslines=true, verbatimforcewraps=true, verbatimmaxoverfull=0,
  verbatimmaxunderfull=0, TitleColor={rgb}{0.1,0.1,0.1}}
\setlength{\emergencystretch}{3em}
\usepackage{xurl}
"""


def _edition(config) -> str:
    return "zh" if str(config.language or "en").startswith("zh") else "en"


def _version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)


def config_inited(app, config) -> None:
    edition = _edition(config)
    elements = dict(config.latex_elements or {})
    elements.update({
        "fontpkg": FONTS[edition],
        "fontenc": "",
        "inputenc": "",
        "utf8extra": "",
        "preamble": elements.get("preamble", "") + PREAMBLE
        + rf"\AtBeginDocument{{\renewcommand{{\contentsname}}{{{CONTENTS_TITLE[edition]}}}}}" + "\n",
        "papersize": "a4paper",
        "pointsize": "10pt",
        "figure_align": "htbp",
        "extraclassoptions": "openany",
    })
    if edition == "zh":
        elements["babel"] = ""
        elements["polyglossia"] = ""
        elements["fncychap"] = ""
    config.latex_elements = elements
    config.latex_engine = "xelatex"
    config.latex_use_xindy = False
    config.version = config.release = _version()
    config.today = _dt.date.today().isoformat() if not os.environ.get("SOURCE_DATE_EPOCH") \
        else _dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]),
                                        _dt.timezone.utc).date().isoformat()
    # The title and the file name: latex_config() below, for Jupyter Book's latex_documents.


# --- the doctree for paper ---------------------------------------------------------------------

def _classes(node) -> set[str]:
    return set(node.get("classes", []))


def _hide_inputs(doctree) -> None:
    from docutils import nodes

    for cell in list(doctree.findall(nodes.container)):
        classes = _classes(cell)
        if "cell" not in classes:
            continue
        if {"tag_hide-input", "tag_remove-input", "tag_hide-cell"} & classes:
            for child in list(cell.children):
                if "cell_input" in _classes(child):
                    cell.remove(child)
        if "tag_remove-output" in classes:
            for child in list(cell.children):
                if "cell_output" in _classes(child):
                    cell.remove(child)


def _collect_solutions(app, doctree) -> None:
    """Move every solution to a "Solutions" section at the end of its own page's chapter.

    The LaTeX builder resolves one doctree for the whole book, in which each page starts at a
    ``start_of_file`` node; a page's solutions go to the end of that page's top section.
    """
    from docutils import nodes
    from sphinx import addnodes
    from sphinx_exercise.nodes import solution_node

    title = SOLUTIONS_TITLE[_edition(app.config)]
    # Sphinx sets a start_of_file node's children without their parent links, so the pages
    # and the solutions in each are found by walking down, not up.
    found: list[tuple[object, list]] = []

    def walk(node, own):
        for child in list(node.children):
            if isinstance(child, addnodes.start_of_file):
                mine: list = []
                found.append((child, mine))
                walk(child, mine)
            elif isinstance(child, solution_node):
                own.append((node, child))
            elif isinstance(child, nodes.Element):
                walk(child, own)

    walk(doctree, [])
    for page, own in found:
        if not own:
            continue
        section = nodes.section(ids=[f"solutions-{page['docname'].replace('/', '-')}"])
        section += nodes.title(text=title)
        for parent, solution in own:
            parent.remove(solution)
            solution["classes"] = [c for c in solution.get("classes", []) if c != "dropdown"]
            section += solution
        top = next((c for c in page.children if isinstance(c, nodes.section)), None)
        if top is None:
            page += section
            continue
        # After the page's own subsections, before any page nested in it (its depth pages).
        nested = next((i for i, c in enumerate(top.children)
                       if isinstance(c, addnodes.start_of_file)), None)
        if nested is None:
            top += section
        else:
            top.insert(nested, section)


def doctree_resolved(app, doctree, docname) -> None:
    if app.builder.format != "latex":
        return
    _hide_inputs(doctree)
    _collect_solutions(app, doctree)


# --- the website's link to the PDF -------------------------------------------------------------

def pdf_link(app, pagename, templatename, context, doctree) -> None:
    """A link to the PDF of the page's language, when the PDF was built before the site."""
    if app.builder.format != "html" or "body" not in context:
        return
    edition = _edition(app.config)
    name = f"{NAMES[edition]}.pdf"
    if not (PDF_DIR / name).exists():
        return
    href = context["pathto"](f"_static/pdf/{name}", 1)
    link = (f'<p class="pdf-edition"><a class="reference external" href="{href}" '
            f'title="{LINK_TITLE[edition]}" download>{LINK_TEXT[edition]}</a></p>\n')
    context["body"] = link + context["body"]


def builder_inited(app) -> None:
    if app.builder.format != "html":
        return
    name = f"{NAMES[_edition(app.config)]}.pdf"
    if (PDF_DIR / name).exists():
        target = Path(app.outdir) / "_static" / "pdf"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PDF_DIR / name, target / name)


def setup(app):
    app.connect("config-inited", config_inited)
    app.connect("builder-inited", builder_inited)
    app.connect("doctree-resolved", doctree_resolved)
    app.connect("html-page-context", pdf_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --- the script --------------------------------------------------------------------------------

def missing_tools() -> list[str]:
    return [tool for tool in ("xelatex", "latexmk") if shutil.which(tool) is None]


def latex_config(edition: str, folder: Path) -> Path:
    """_config.yml for one edition's LaTeX build: the site's, with the edition's language."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("sphinx", {}).setdefault("config", {})["language"] = LANGUAGE[edition]
    title = config["title"]
    if edition == "zh":
        title = config["sphinx"]["config"].get("zh_title") or title
    config.setdefault("latex", {})["latex_documents"] = {"targetname": f"{NAMES[edition]}.tex",
                                                         "title": title}
    # This configuration file lives elsewhere: anchor its relative paths in the repository.
    extensions = config["sphinx"].get("local_extensions") or {}
    for name, path in extensions.items():
        extensions[name] = str((ROOT / path).resolve())
    config["title"] = title
    path = folder / "_config.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def latex_toc(edition: str, folder: Path) -> Path:
    """The table of contents, with the part captions translated for the Chinese edition."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import translations

    text = (translations.translated_toc(ROOT) if edition == "zh"
            else (ROOT / "_toc.yml").read_text(encoding="utf-8"))
    path = folder / "_toc.yml"
    path.write_text(text, encoding="utf-8")
    return path


EXERCISE_LABEL = re.compile(
    r"\\label\{exercise:(?P<label>[^}]+)\}\s*\\begin\{sphinxadmonition\}\{note\}"
    r"\{[^}]*?(?P<number>\d+(?:\.\d+)+)\}")
EXERCISE_REF = re.compile(r"\\ref\{\\detokenize\{(?P<doc>[^:}]+):(?P<label>[^}]+)\}\}")


def label_exercises(tex: str) -> str:
    """Give each exercise the label other chapters' references use, with its number.

    sphinx-exercise labels an exercise ``exercise:<label>`` in LaTeX, while a reference to it
    from another page asks for ``<page>:<label>``: add those labels, carrying the exercise's
    number (its title "Exercise 5.7.2"), so the reference prints that number.
    """
    numbers = {m["label"]: m["number"] for m in EXERCISE_LABEL.finditer(tex)}
    wanted: dict[str, set[str]] = {}
    for m in EXERCISE_REF.finditer(tex):
        if m["label"] in numbers:
            wanted.setdefault(m["label"], set()).add(m["doc"])

    def add(m):
        docs = wanted.get(m["label"])
        if not docs:
            return m.group(0)
        labels = "".join(rf"\label{{\detokenize{{{doc}:{m['label']}}}}}" for doc in sorted(docs))
        current = rf"\expandafter\def\csname @currentlabel\endcsname{{{m['number']}}}"
        return m.group(0).replace(rf"\label{{exercise:{m['label']}}}",
                                  rf"\label{{exercise:{m['label']}}}{current}{labels}", 1)

    return EXERCISE_LABEL.sub(add, tex)


def build(edition: str, out: Path = PDF_DIR, work: Path | None = None) -> Path:
    """Build one edition's PDF into ``out``; return its path. Raises with the log's tail."""
    if missing_tools():
        raise RuntimeError(f"cannot build the PDF: {', '.join(missing_tools())} not installed "
                           "(README, 'The book as a PDF', lists the Debian packages)")
    work = Path(work or tempfile.mkdtemp(prefix=f"mlp-pdf-{edition}-"))
    work.mkdir(parents=True, exist_ok=True)
    config = latex_config(edition, work)
    env = dict(os.environ, MLP_BOOK_EDITION=f"print-{edition}")
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
               "build", str(ROOT), "--all", "--builder", "latex", "--config", str(config),
               "--toc", str(latex_toc(edition, work)), "--path-output", str(work)]
    result = subprocess.run(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    latex = work / "_build" / "latex"
    tex = latex / f"{NAMES[edition]}.tex"
    if result.returncode != 0 or not tex.exists():
        raise RuntimeError(f"the LaTeX build of the {edition} edition failed:\n"
                           f"{result.stdout[-4000:]}")
    tex.write_text(label_exercises(tex.read_text(encoding="utf-8")), encoding="utf-8")
    result = subprocess.run(
        ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
         tex.name], cwd=latex, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, errors="replace")
    pdf = latex / f"{NAMES[edition]}.pdf"
    if result.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"XeLaTeX failed on the {edition} edition:\n{result.stdout[-4000:]}")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(pdf, out / pdf.name)
    shutil.copy2(latex / f"{NAMES[edition]}.log", out / f"{NAMES[edition]}.log")
    return out / pdf.name


def main(argv: list[str]) -> int:
    editions = argv or ["en", "zh"]
    if any(e not in NAMES for e in editions):
        print(__doc__)
        return 2
    for edition in editions:
        start = _dt.datetime.now()
        path = build(edition)
        seconds = (_dt.datetime.now() - start).total_seconds()
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 2**20:.1f} MB in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
