"""Sphinx extension and tool: the book's Chinese edition (中文版), from gettext catalogs.

The Chinese edition is Sphinx's own translation mechanism: every paragraph, heading, list item
and table cell of the English pages is a message in a catalog
``locales/zh_CN/LC_MESSAGES/<page>.po``; code cells, their stored outputs, equations and figures
are not messages, so the Chinese pages show exactly the English edition's code and outputs.

As an extension (loaded from ``_config.yml``), with the HTML builder it

* puts a link to the same page in the other language at the top of every page;
* once the English site is written, builds the Chinese one into ``<html>/zh/`` with the same
  sources, options and warning flags (``-W``, ``-n``, ``--keep-going``), in a child
  ``jupyter-book build`` whose only difference is ``language: zh_CN``. If that build fails,
  the whole build fails.

As a script it brings the catalogs up to date with the English text::

    python _ext/translations.py update    # extract messages, merge them into the .po files
    python _ext/translations.py status    # count untranslated and fuzzy messages per page
    python _ext/translations.py update book/04_linear_backward   # only the pages named

``update`` keeps every translation whose English message is unchanged, adds each new or changed
message with an empty translation, and keeps a removed message's translation as an obsolete
entry (``#~``) for reference. Docstrings shown on the API page stay English and are not
extracted: they are the package's documentation, read next to its code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"
ZH = "zh_CN"
ZH_DIR = "zh"
CHILD_FLAG = "MLP_BOOK_EDITION"  # set to "zh" in the child build of the Chinese edition
LINK_TEXT = {"en": "中文", ZH: "English"}
LINK_TITLE = {"en": "本页的中文版", ZH: "This page in English"}


# --- the extension ----------------------------------------------------------------------------

def _language(app) -> str:
    return ZH if str(app.config.language or "en").startswith("zh") else "en"


def _other_page(pagename: str, language: str) -> str:
    """Relative URL of ``pagename`` in the other edition, from ``pagename``'s own page."""
    up = "../" * pagename.count("/")
    if language == "en":
        return f"{up}{ZH_DIR}/{pagename}.html"
    return f"{up}../{pagename}.html"


def add_language_link(app, pagename, templatename, context, doctree) -> None:
    if app.builder.format != "html" or "body" not in context:
        return
    language = _language(app)
    target = "zh-CN" if language == "en" else "en"
    link = (
        f'<p class="edition-switch"><a class="reference external" '
        f'href="{_other_page(pagename, language)}" hreflang="{target}" lang="{target}" '
        f'title="{LINK_TITLE[language]}">{LINK_TEXT[language]}</a></p>\n'
    )
    context["body"] = link + context["body"]


def _jupyter_book_command(app, source: Path, config: Path, out: Path) -> list[str]:
    command = [
        sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
        "build", str(source), "--all", "--config", str(config), "--path-output", str(out),
    ]
    if app.warningiserror:
        command.append("-W")
    if app.config.nitpicky:
        command.append("-n")
    if getattr(app, "keep_going", False):
        command.append("--keep-going")
    return command


def translated_toc(source: Path) -> str:
    """The table of contents with its part captions translated (from the root page's catalog).

    Jupyter Book writes the captions into the sidebar itself, after Sphinx has translated the
    pages, so the child build is given a table of contents whose captions are already Chinese.
    """
    import yaml

    toc = yaml.safe_load((source / "_toc.yml").read_text(encoding="utf-8"))
    root = str(toc.get("root", "index")).removesuffix(".md").removesuffix(".ipynb")
    strings = {m.id: m.string for m in read_catalog(root) if m.id and m.string and not m.fuzzy}
    for part in toc.get("parts", []):
        if part.get("caption") in strings:
            part["caption"] = strings[part["caption"]]
    return yaml.safe_dump(toc, allow_unicode=True, sort_keys=False)


def build_chinese_edition(app, exception) -> None:
    """After the English HTML build: build the Chinese edition into ``<outdir>/zh``."""
    from sphinx.errors import ExtensionError
    from sphinx.util import logging

    if exception is not None or app.builder.name != "html" or _language(app) != "en":
        return
    if os.environ.get(CHILD_FLAG):
        return
    logger = logging.getLogger(__name__)
    source = Path(app.srcdir)
    config_file = source / "_config.yml"
    if not config_file.exists():
        raise ExtensionError(f"the Chinese edition needs {config_file}")
    import yaml

    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    config.setdefault("sphinx", {}).setdefault("config", {})["language"] = ZH
    # The child's configuration file lives elsewhere: anchor its relative paths here.
    extensions = config["sphinx"].get("local_extensions") or {}
    for name, path in extensions.items():
        extensions[name] = str((source / path).resolve())
    zh_title = config.get("sphinx", {}).get("config", {}).get("zh_title")
    if zh_title:
        config["title"] = zh_title
    target = Path(app.outdir) / ZH_DIR
    logger.info("building the Chinese edition into %s", target)
    with tempfile.TemporaryDirectory(prefix="mlp-book-zh-") as tmp:
        child_config = Path(tmp) / "_config.yml"
        child_config.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                                encoding="utf-8")
        child_toc = Path(tmp) / "_toc.yml"
        child_toc.write_text(translated_toc(source), encoding="utf-8")
        out = Path(tmp) / "out"
        env = dict(os.environ, **{CHILD_FLAG: "zh"})
        result = subprocess.run(
            _jupyter_book_command(app, source, child_config, out) + ["--toc", str(child_toc)],
            cwd=source, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )
        built = out / "_build" / "html"
        if result.returncode != 0 or not (built / "index.html").exists():
            tail = "\n".join(result.stdout.splitlines()[-40:])
            raise ExtensionError(
                f"the Chinese edition failed to build (exit {result.returncode}):\n{tail}"
            )
        for line in result.stdout.splitlines():
            if "WARNING" in line:
                logger.warning("zh edition: %s", line)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(built, target)
    logger.info("Chinese edition written to %s", target)


def glossary_terms(glossary: Path) -> list[str]:
    """The Chinese terms of the glossary's table (its second column), split at 、 and （）."""
    import re

    terms = set()
    for line in glossary.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 4 or set(cells[2]) <= set("- "):
            continue
        for part in re.split(r"[、（）()，,]", cells[2]):
            part = part.replace(" ", "")
            if len(part) >= 2 and re.search(r"[\u4e00-\u9fff]", part):
                terms.add(part)
    return sorted(terms)


def search_dictionary(app, config) -> None:
    """Chinese search: teach the word splitter (jieba) the glossary's terms.

    Without it, jieba splits 反向传播 into 反向 and 传播, and a search for the whole term
    finds nothing.
    """
    if not str(config.language or "").startswith("zh"):
        return
    glossary = Path(app.srcdir) / "book" / "glossary.md"
    if not glossary.exists():
        return
    path = Path(app.doctreedir).parent / "zh-search-dictionary.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{t} 1000 n\n" for t in glossary_terms(glossary)), encoding="utf-8")
    options = dict(config.html_search_options or {})
    options["dict"] = str(path)
    config.html_search_options = options


def figure_alt_texts(page: str) -> list[str]:
    """The alt texts of a chapter's figures (``mystnb.image.alt`` in its cells' metadata).

    MyST-NB makes a figure's image node after Sphinx has extracted and translated messages, so
    neither step sees its alt text: the catalog tool adds them to the page's messages here, and
    :func:`translate_alt_texts` puts the translations into the Chinese pages.
    """
    import json

    path = ROOT / f"{page}.ipynb"
    if not path.exists():
        return []
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    texts = (c.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt") for c in cells)
    return [t for t in texts if t]


_CATALOGS: dict[str, dict[str, str]] = {}


def translate_alt_texts(app, doctree, docname) -> None:
    """In the Chinese edition, every figure's alt text from the page's catalog."""
    from docutils import nodes

    if _language(app) != ZH:
        return
    if docname not in _CATALOGS:
        _CATALOGS[docname] = {m.id: m.string for m in read_catalog(docname)
                              if m.id and m.string and not m.fuzzy}
    strings = _CATALOGS[docname]
    for image in doctree.findall(nodes.image):
        alt = image.get("alt")
        if alt and alt in strings:
            image["alt"] = strings[alt]


ZH_SEARCH_TEXT = "在本书中搜索……"


def theme_strings(app, config) -> None:
    """The Chinese edition's search field says 搜索 in Chinese (a theme option, not a message)."""
    if str(config.language or "").startswith("zh"):
        options = dict(config.html_theme_options or {})
        options["search_bar_text"] = ZH_SEARCH_TEXT
        config.html_theme_options = options


def theme_catalog(app) -> None:
    """Put ``locales/zh_CN/LC_MESSAGES/booktheme.po`` behind sphinx-book-theme's own catalog.

    The theme names its header buttons ("Launch on", "Source repositories", ...) through a
    catalog of its own, ``booktheme``, whose zh_CN translation lacks them; Sphinx compiles only
    the project's ``sphinx`` and page catalogs. The strings of Sphinx and pydata-sphinx-theme
    that their catalogs lack are in ``locales/zh_CN/LC_MESSAGES/sphinx.po``, which Sphinx reads
    itself.
    """
    from sphinx import locale
    from sphinx.util.i18n import CatalogInfo

    if _language(app) != ZH:
        return
    source = LOCALE_DIR / "booktheme.po"
    if not source.exists():
        return
    catalog = CatalogInfo(str(LOCALE_DIR), "booktheme", app.config.source_encoding)
    if catalog.is_outdated():
        catalog.write_mo(app.config.language)
    locale.init([str(LOCALE_DIR.parent.parent)], app.config.language, "booktheme")


def setup(app):
    app.add_config_value("zh_title", "", "html")
    app.connect("config-inited", search_dictionary)
    app.connect("config-inited", theme_strings)
    app.connect("builder-inited", theme_catalog)
    app.connect("html-page-context", add_language_link)
    app.connect("doctree-resolved", translate_alt_texts)
    app.connect("build-finished", build_chinese_edition)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --- the catalog tool -------------------------------------------------------------------------

def extract(out: Path) -> Path:
    """Run Sphinx's gettext builder over the book; return the folder of .pot files."""
    command = [
        sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
        "build", str(ROOT), "--all", "--path-output", str(out),
        "--builder", "custom", "--custom-builder", "gettext",
    ]
    env = dict(os.environ, **{CHILD_FLAG: "gettext"})
    result = subprocess.run(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pots = out / "_build" / "gettext"
    if result.returncode != 0 or not pots.exists():
        raise RuntimeError(f"message extraction failed:\n{result.stdout[-4000:]}")
    return pots


def is_docstring(message) -> bool:
    """A message that comes only from a docstring on the API page (kept English).

    Messages of the book's own pages are located in ``book/<page>.md`` or ``.ipynb``;
    docstrings are located in the package's ``.py`` files.
    """
    return not any(f.endswith((".md", ".ipynb")) for f, _ in message.locations)


def load_templates(pots: Path) -> dict[str, list]:
    """``{page: [message, ...]}`` of the extracted catalogs, docstrings left out."""
    from babel.messages.catalog import Message
    from babel.messages.pofile import read_po

    pages = {}
    for pot in sorted(pots.rglob("*.pot")):
        page = pot.relative_to(pots).with_suffix("").as_posix()
        if page.startswith("_") or page == "sphinx":  # sphinx.pot: the HTML templates' strings
            continue
        with pot.open("rb") as f:
            catalog = read_po(f)
        pages[page] = [m for m in catalog if m.id and not is_docstring(m)]
        known = {m.id for m in pages[page]}
        pages[page] += [Message(alt) for alt in figure_alt_texts(page) if alt not in known]
    return pages


def read_catalog(page: str):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / f"{page}.po"
    if not path.exists():
        return Catalog(locale=ZH)
    with path.open("rb") as f:
        return read_po(f, locale=ZH)


def write_catalog(page: str, catalog) -> None:
    from babel.messages.pofile import write_po

    path = LOCALE_DIR / f"{page}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=0, no_location=True, omit_header=False,
                 sort_output=False, include_previous=False)


def _selected(pages: dict[str, list], only: list[str]) -> dict[str, list]:
    """The pages named in ``only`` (all of them when it is empty); unknown names are an error."""
    if not only:
        return pages
    wanted = [name.removesuffix(".ipynb").removesuffix(".md").removesuffix(".po") for name in only]
    unknown = [name for name in wanted if name not in pages]
    if unknown:
        raise SystemExit(f"no such page: {', '.join(unknown)} (pages: {', '.join(pages)})")
    return {name: pages[name] for name in wanted}


def update(pots: Path, only: list[str] = ()) -> None:
    from babel.messages.catalog import Catalog

    for page, messages in _selected(load_templates(pots), list(only)).items():
        old = read_catalog(page)
        known = {m.id: m for m in old if m.id}
        known.update({k: v for k, v in old.obsolete.items() if k not in known})
        new = Catalog(locale=ZH, project="Backpropagation from Scratch",
                      header_comment=f"# Chinese (zh_CN) translation of {page}.\n")
        ids = set()
        for m in messages:
            if m.id in ids:
                continue
            ids.add(m.id)
            before = known.get(m.id)
            string = before.string if before is not None else ""
            flags = set(before.flags) if before is not None else set()
            new.add(m.id, string, flags=flags)
        for msgid, m in known.items():
            if msgid not in ids and m.string:
                new.obsolete[msgid] = m
        write_catalog(page, new)
        print(f"{page}: {len(ids)} messages")


def status(pots: Path, only: list[str] = ()) -> int:
    missing = 0
    for page, messages in _selected(load_templates(pots), list(only)).items():
        catalog = read_catalog(page)
        done = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
        todo = [m for m in messages if m.id not in done]
        missing += len(todo)
        print(f"{page}: {len(messages) - len(todo)}/{len(messages)} translated")
    return missing


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("update", "status"):
        print(__doc__)
        return 2
    command, only = argv[0], argv[1:]
    with tempfile.TemporaryDirectory(prefix="mlp-book-pot-") as tmp:
        pots = extract(Path(tmp))
        if command == "update":
            update(pots, only)
            return 0
        return 1 if status(pots, only) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
