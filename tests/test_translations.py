"""The Chinese edition: every English message translated and current, formulas, code and
outputs identical to the English edition's, and both editions built by one command.

The catalogs are compared with messages extracted afresh from the current sources (Sphinx's
gettext builder, about half a minute), so an English paragraph that changes without its
translation, or a new one without any, fails here.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("translations", ROOT / "_ext" / "translations.py")
translations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(translations)

CJK = re.compile(r"[\u3400-\u9fff]")
MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.S)
CODE = re.compile(r"``.+?``|`[^`]+`")
ROLE = re.compile(r"\{[a-z:-]+\}")
URL = re.compile(r"https?://\S+|<[^>]+>")
LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")  # a display equation extracted as a message
# Messages that are English in both editions by nature: the glossary's English column,
# proper names and titles of the references.
KEEP_ENGLISH_PAGES = {"book/glossary", "book/bibliography"}
# Names that a Chinese text writes in Latin letters too.
NAMES = {
    "adam", "sgd", "relu", "sigmoid", "tanh", "softmax", "mlp", "numpy", "pytorch", "scikit",
    "learn", "sympy", "autograd", "jupyterlab", "jupyterlite", "pyodide", "colab", "binder",
    "api", "blas", "openblas", "nbval", "xavier", "he", "mse", "vjp", "jvp", "python", "logits",
    "float", "pip", "github", "matplotlib", "jupyter", "book", "cs", "micrograd", "et", "al",
}


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> dict[str, list]:
    pots = translations.extract(tmp_path_factory.mktemp("gettext"))
    pages = translations.load_templates(pots)
    assert len(pages) >= 18, f"too few pages extracted: {sorted(pages)}"
    return pages


@pytest.fixture(scope="session")
def catalogs() -> dict[str, object]:
    pages = sorted(p.relative_to(translations.LOCALE_DIR).with_suffix("").as_posix()
                   for p in translations.LOCALE_DIR.rglob("*.po"))
    assert pages, f"no catalogs under {translations.LOCALE_DIR}"
    return {page: translations.read_catalog(page) for page in pages}


def is_display_equation(message) -> bool:
    """A display equation that the extractor took as a message: LaTeX, not prose."""
    return "$" not in message.id and bool(LATEX_COMMAND.search(message.id))


TITLED_ROLE = re.compile(r"(\{[a-z:-]+\})`[^`<]*<([^>`]+)>`")


def markup(text: str, pattern) -> Counter:
    """The spans of one kind of markup; a role's link text may be translated, its target not."""
    return Counter(pattern.findall(TITLED_ROLE.sub(r"\1`<\2>`", text)))


def words_outside_markup(text: str) -> list[str]:
    for pattern in (MATH, CODE, URL, ROLE, LATEX_COMMAND):
        text = pattern.sub(" ", text)
    return re.findall(r"[A-Za-z]{2,}", text)


def test_every_page_has_a_catalog(templates):
    missing = [page for page in templates if not (translations.LOCALE_DIR / f"{page}.po").exists()]
    assert not missing, f"no catalog; run `python _ext/translations.py update`: {missing}"


def test_every_english_message_has_a_current_translation(templates, catalogs):
    problems = []
    for page, messages in templates.items():
        if page not in catalogs:
            problems.append(f"{page}: no catalog")
            continue
        done = {m.id: m for m in catalogs[page] if m.id}
        for m in messages:
            entry = done.get(m.id)
            if entry is None or not entry.string:
                problems.append(f"{page}: untranslated: {m.id[:90]!r}")
            elif entry.fuzzy:
                problems.append(f"{page}: fuzzy (stale): {m.id[:90]!r}")
    assert not problems, f"{len(problems)} messages lack a translation:\n" + "\n".join(problems[:25])


def test_catalogs_hold_no_entry_for_text_that_is_gone(templates, catalogs):
    stale = []
    for page, messages in templates.items():
        current = {m.id for m in messages}
        if page not in catalogs:
            continue
        stale += [f"{page}: {m.id[:90]!r}" for m in catalogs[page] if m.id and m.id not in current]
    assert not stale, "run `python _ext/translations.py update`; stale:\n" + "\n".join(stale[:25])


def test_translations_keep_every_formula_code_span_and_role(catalogs):
    drift = []
    for page, catalog in catalogs.items():
        for m in catalog:
            if not (m.id and m.string):
                continue
            for name, pattern in (("math", MATH), ("code", CODE), ("role", ROLE)):
                a, b = markup(m.id, pattern), markup(m.string, pattern)
                if a != b:
                    drift.append(f"{page}: {name} differs: {sorted((a - b).elements())[:3]} "
                                 f"vs {sorted((b - a).elements())[:3]} in {m.id[:60]!r}")
    assert not drift, f"{len(drift)} translations change markup:\n" + "\n".join(drift[:25])


def test_translated_text_is_chinese(catalogs):
    english = []
    for page, catalog in catalogs.items():
        for m in catalog:
            if not (m.id and m.string) or CJK.search(m.string):
                continue
            if m.string == m.id and (page in KEEP_ENGLISH_PAGES or is_display_equation(m)):
                continue
            words = {w.lower() for w in words_outside_markup(m.string)}
            if words - NAMES:
                english.append(f"{page}: {m.string[:90]!r}")
    assert not english, f"{len(english)} translations are still English:\n" + "\n".join(english[:25])


# --- the built site -------------------------------------------------------------------------

class _Page(HTMLParser):
    """The parts of a page that must agree between the editions."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.switch = None
        self.images: list[str] = []
        self.pre: list[str] = []
        self.eqno: list[str] = []
        self._in_pre = 0
        self._in_eqno = 0
        self._in_switch = False
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "p" and "edition-switch" in (a.get("class") or ""):
            self._in_switch = True
        if tag == "a" and self._in_switch and self.switch is None:
            self.switch = a.get("href")
        if tag == "img" and a.get("src"):
            self.images.append(a["src"].rsplit("/", 1)[-1])
        if tag == "pre":
            self._in_pre += 1
            self._text = []
        if tag == "span" and "eqno" in (a.get("class") or ""):
            self._in_eqno += 1
            self._text = []

    def handle_endtag(self, tag):
        if tag == "p":
            self._in_switch = False
        if tag == "pre" and self._in_pre:
            self._in_pre -= 1
            self.pre.append("".join(self._text))
        if tag == "span" and self._in_eqno:
            self._in_eqno -= 1
            self.eqno.append("".join(self._text).strip())

    def handle_data(self, data):
        if self._in_pre or self._in_eqno:
            self._text.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def english_pages(site: Path) -> list[Path]:
    return sorted(p for p in (site / "book").glob("*.html"))


def test_both_editions_are_built_by_one_command(site_html):
    en = [p.relative_to(site_html) for p in english_pages(site_html)]
    assert len(en) >= 19
    missing = [str(p) for p in en if not (site_html / "zh" / p).exists()]
    assert not missing, f"pages without a Chinese edition: {missing}"
    assert parse(site_html / "book" / "index.html").lang == "en"
    assert parse(site_html / "zh" / "book" / "index.html").lang == "zh-CN"


def test_every_page_links_to_the_same_page_in_the_other_language(site_html):
    broken = []
    for en in english_pages(site_html):
        zh = site_html / "zh" / en.relative_to(site_html)
        for here, there in ((en, zh), (zh, en)):
            href = parse(here).switch
            if href is None or (here.parent / href).resolve() != there.resolve():
                broken.append(f"{here.relative_to(site_html)} -> {href}")
    assert not broken, "language links missing or wrong:\n" + "\n".join(broken)


def test_chinese_pages_show_the_english_code_outputs_figures_and_equation_numbers(site_html):
    drift = []
    for en in english_pages(site_html):
        if en.stem in ("api", "genindex", "search"):
            continue
        zh = site_html / "zh" / en.relative_to(site_html)
        a, b = parse(en), parse(zh)
        for what in ("pre", "images", "eqno"):
            if getattr(a, what) != getattr(b, what):
                drift.append(f"{en.name}: {what} differ")
    assert not drift, "\n".join(drift)


def test_chinese_pages_are_in_chinese_and_searchable(site_html):
    page = (site_html / "zh" / "book" / "04_linear_backward.html").read_text(encoding="utf-8")
    assert len(CJK.findall(page)) > 500
    captions = re.findall(r'caption-text">([^<]*)<', page)
    assert captions and all(CJK.search(c) for c in captions), f"sidebar parts: {captions}"
    text = (site_html / "zh" / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    for term in ("反向传播", "梯度"):
        assert term in index["terms"], f"the Chinese search index lacks {term}"


# The names a screen reader announces for the site's controls and landmarks, and the tooltips a
# sighted reader sees: (attribute, value) pairs outside the page's code. On a Chinese page each
# must be Chinese, except the link to the English edition (in English on purpose) and key names.
CONTROL_NAME = re.compile(r'\s(aria-label|title|placeholder|data-bs-title|alt)="([^"]*)"')
ENGLISH_ON_PURPOSE = {"English", "This page in English", "Ctrl", "K"}


HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>')


def english_control_names(page: Path) -> list[str]:
    """The page's interface outside its article (whose citation and code tooltips quote English
    titles and names), and the article's permalinks."""
    html = page.read_text(encoding="utf-8")
    html = re.sub(r"<(pre|script|style|math)\b.*?</\1>", "", html, flags=re.S)
    links = "".join(HEADERLINK.findall(html))
    html = re.sub(r"<article\b.*?</article>", links, html, flags=re.S)
    found = []
    for attribute, value in CONTROL_NAME.findall(html):
        value = value.strip()
        if value and not CJK.search(value) and value not in ENGLISH_ON_PURPOSE \
                and re.search(r"[A-Za-z]{2}", value):
            found.append(f"{attribute}={value!r}")
    return found


def test_chinese_pages_name_their_controls_in_chinese(site_html):
    """The theme's buttons, landmarks, permalinks and search field speak the page's language:
    _ext/accessibility_templates/ and the catalogs sphinx.po and booktheme.po translate what the
    theme and Sphinx leave in English."""
    english = Counter()
    pages = sorted((site_html / "zh" / "book").glob("*.html"))
    assert len(pages) >= 19
    for page in pages:
        english.update(set(english_control_names(page)))
    assert not english, ("English names on the Chinese pages (on how many pages):\n"
                         + "\n".join(f"{n:3d}  {name}" for name, n in english.most_common(25)))
    # The detector finds the English edition's names (it cannot pass vacuously).
    assert "title='Toggle primary sidebar'" in english_control_names(
        site_html / "book" / "04_linear_backward.html")
