"""The book on paper: both PDF editions build, hold the whole book, and nothing runs off a page.

The PDFs are built once per test session by `_ext/print_edition.py` (XeLaTeX from Debian's TeX
Live, fonts from Debian's DejaVu and Noto CJK packages). Without those tools the tests are
skipped with a message saying what to install, and fail where `CI=true` (.ci/run installs them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import print_edition  # noqa: E402

from test_book import (  # noqa: E402
    EXPECTED_CHAPTERS, exercises_and_solutions, load, resolve, toc_entries, toc_notebooks,
)

TOOLS = ["xelatex", "latexmk", "pdftotext", "pdffonts", "pdfimages", "pdftoppm"]
PACKAGES = ("texlive-xetex texlive-latex-extra texlive-fonts-extra texlive-fonts-recommended "
            "texlive-lang-chinese latexmk fonts-dejavu-core fonts-dejavu-extra fonts-noto-cjk "
            "poppler-utils")
# What only the website has: its buttons and the language and PDF links.
FURNITURE = ["Run this chapter in your browser", "在浏览器中运行本章", "This page in English",
             "本页的中文版", "launch-buttons", "Download this notebook"]


@pytest.fixture(scope="session")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = (f"{', '.join(missing)} not installed: the PDF tests need Debian's {PACKAGES} "
                   "(apt-get install ...; README, 'The book as a PDF')")
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI must run this test: .ci/run installs them)")
        pytest.skip(message)
    out = tmp_path_factory.mktemp("pdf")
    built = {}
    for edition in ("en", "zh"):
        try:
            built[edition] = print_edition.build(edition, out=out, work=out / f"work-{edition}")
        except RuntimeError as exc:
            pytest.fail(str(exc))
    return built


def text_of(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "").replace("‐", "-")).strip()


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_pdf_builds_without_errors_or_missing_glyphs(pdfs, edition):
    log = pdfs[edition].with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    assert "Missing character" not in log, re.findall(r"Missing character.*", log)[:10]
    assert not re.search(r"^! ", log, re.M), re.findall(r"^! .*", log, re.M)[:5]
    assert "There were undefined references" not in log, (
        re.findall(r"Reference `[^']+' on page \d+ undefined", log)[:10])


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_every_font_is_embedded_and_the_chinese_edition_uses_noto_cjk(pdfs, edition):
    out = subprocess.run(["pdffonts", str(pdfs[edition])], check=True, capture_output=True,
                         text=True).stdout.splitlines()[2:]
    assert out, "pdffonts lists no font"
    not_embedded = [line for line in out if line.split()[-5] != "yes"]
    assert not not_embedded, not_embedded
    if edition == "zh":
        assert any("NotoSerifCJK" in line for line in out), out
        assert any("NotoSansCJK" in line for line in out), out


def chapter_titles() -> list[str]:
    titles = []
    for entry in EXPECTED_CHAPTERS:
        for cell in load(resolve(entry))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown" and source.lstrip().startswith("# "):
                titles.append(source.lstrip()[2:].splitlines()[0].strip())
                break
    return titles


def test_the_english_pdf_has_every_chapter_title_and_every_exercise(pdfs):
    text = normalise(text_of(pdfs["en"]))
    missing = [t for t in chapter_titles()
               if normalise(re.sub(r"[`*$\\]", "", t)) not in text]
    assert not missing, missing
    for path in map(resolve, EXPECTED_CHAPTERS):
        chapter = int(path.name[:2])
        exercises, _, _ = exercises_and_solutions(path)
        for k in range(1, len(exercises) + 1):
            # Exercise numbers run per chapter (1.9.1 ...): every exercise and its solution.
            assert re.search(rf"Exercise {chapter}\.\d+\.{k}\b", text), (path.name, k)
            assert re.search(rf"Solution to Exercise {chapter}\.\d+\.{k}\b", text), (path.name, k)


def test_the_chinese_pdf_has_the_chinese_chapter_titles(pdfs):
    from babel.messages.pofile import read_po

    text = normalise(text_of(pdfs["zh"]))
    missing = []
    for entry, title in zip(EXPECTED_CHAPTERS, chapter_titles()):
        catalog = ROOT / "locales" / "zh_CN" / "LC_MESSAGES" / f"{entry}.po"
        with catalog.open("rb") as f:
            strings = {m.id: m.string for m in read_po(f) if m.id}
        chinese = strings.get(title)
        assert chinese, f"{entry}: no translation of its title {title!r}"
        if normalise(re.sub(r"[`*$\\]", "", chinese)) not in text:
            missing.append(chinese)
    assert not missing, missing
    assert "习题解答" in text


MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(|^[`:]{3,}\{(?:figure|image)\}", re.M)


def site_figures() -> int:
    """Figures a reader of the website sees: PNG outputs of cells that are not removed, and
    the images of the Markdown pages (the landing page's figure)."""
    count = sum(len(MARKDOWN_IMAGE.findall(p.read_text(encoding="utf-8")))
                for p in map(resolve, toc_entries()) if p is not None and p.suffix == ".md")
    for path in toc_notebooks():
        for cell in load(path)["cells"]:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if cell["cell_type"] != "code" or {"remove-cell", "remove-output"} & tags:
                continue
            count += sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
    return count


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_the_pdf_has_every_figure_of_the_site(pdfs, edition):
    listing = subprocess.run(["pdfimages", "-list", str(pdfs[edition])], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    images = [line.split() for line in listing if line.split()[2] == "image"]
    assert len(images) == site_figures(), (len(images), site_figures())


def test_no_page_runs_past_the_right_margin(pdfs, tmp_path):
    """Render every page; the ink of no page reaches further right than the header rule."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "40", "-gray", str(pdfs["en"]), str(tmp_path / "p")],
                   check=True)
    pages = sorted(tmp_path.glob("p-*.pgm"))
    rights, rules = [], []
    for page in pages:
        ink = np.asarray(Image.open(page)) < 160
        columns = np.flatnonzero(ink.any(axis=0))
        rights.append(columns.max() if columns.size else 0)
        # the running header's rule: a dark row across most of the page near the top
        top = ink[: ink.shape[0] // 8]
        rows = np.flatnonzero(top.sum(axis=1) > 0.6 * ink.shape[1])
        if rows.size:
            rules.append(np.flatnonzero(top[rows[0]]).max())
    assert len(rules) > len(pages) // 2, "no running header rule found on most pages"
    edge = int(np.median(rules))
    over = [(p.name, int(r - edge)) for p, r in zip(pages, rights) if r > edge + 2]
    assert not over, f"pages with ink beyond the right margin (pixels at 40 dpi): {over[:20]}"


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_no_website_furniture_in_the_pdf(pdfs, edition):
    text = text_of(pdfs[edition])
    found = [f for f in FURNITURE if f in text]
    assert not found, found


def test_the_site_links_every_page_to_the_pdf_of_its_language(tmp_path, monkeypatch):
    class Builder:
        format = "html"

    class Config:
        language = "zh_CN"

    class App:
        builder, config = Builder(), Config()

    monkeypatch.setattr(print_edition, "PDF_DIR", tmp_path)
    context = {"body": "<p>page</p>", "pathto": lambda target, _: f"../{target}"}
    print_edition.pdf_link(App(), "book/04_linear_backward", "page.html", context, None)
    assert context["body"] == "<p>page</p>", "linked to a PDF that was not built"
    (tmp_path / "backprop-from-scratch-zh.pdf").write_bytes(b"%PDF-1.5")
    print_edition.pdf_link(App(), "book/04_linear_backward", "page.html", context, None)
    assert 'href="../_static/pdf/backprop-from-scratch-zh.pdf"' in context["body"]
    App.config.language = "en"
    context = {"body": "<p>page</p>", "pathto": lambda target, _: f"../{target}"}
    (tmp_path / "backprop-from-scratch.pdf").write_bytes(b"%PDF-1.5")
    print_edition.pdf_link(App(), "book/index", "page.html", context, None)
    assert 'href="../_static/pdf/backprop-from-scratch.pdf"' in context["body"]
