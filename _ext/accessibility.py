"""Sphinx extension: the site's accessibility repairs, for both editions.

tests/test_accessibility.py audits the built site with axe-core (WCAG 2.0/2.1 A and AA, best
practices) in light and dark mode, tabs through a chapter, and checks the math and the figures.
What it found in the theme and in the HTML of other extensions is repaired here, at the source
wherever possible:

* templates (``accessibility_templates/``, ahead of the theme's own components): the search
  button is named by its visible text, the colour-mode button's icons are hidden from assistive
  technology, and the book's title at the top of the sidebar sits in a navigation landmark;
* the HTML of each page (``html-page-context``): the bibliography's entries get the ``listitem``
  role their list needs (docutils writes the deprecated ``doc-biblioentry``), the hidden-code
  toggles of myst-nb are named by their visible text ("Show code cell source"), each exercise's
  title is a heading for screen readers, and the run-in-browser button's arrow is hidden
  from them; on the Chinese pages, the hidden-code toggles speak Chinese and the API
  reference's English docstrings carry lang="en" (a doctree handler);
* a style sheet (``accessibility_static/accessibility.css``): link and button colours with at
  least 4.5:1 contrast, and a visible focus ring on every control;
* a script (``accessibility_static/accessibility.js``) for what only exists once the page's own
  scripts have run, or is written by the theme's Python code: names for the solution toggles
  that sphinx-togglebutton adds and for the sidebar's expand/collapse toggles, and the
  colour-mode button's current mode;
* MathJax's assistive MathML, on explicitly: every equation carries a hidden MathML copy that
  screen readers speak (the offline MathJax 3 of sphinx-mathjax-offline bundles it); equations
  are kept out of the Tab order.
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATIC = HERE / "accessibility_static"
TEMPLATES = HERE / "accessibility_templates"

# docutils' HTML5 writer marks each bibliography entry with the DPUB role doc-biblioentry, which
# ARIA 1.2 deprecates and which HTML does not allow on a div; its list (role="list") needs
# listitem children.
BIBLIOENTRY = re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"')
# myst-nb names every hidden-code toggle "Toggle hidden content" although it shows "Show code
# cell source": the name must contain the visible text (WCAG 2.5.3); without the aria-label the
# name is that text.
SUMMARY_LABEL = re.compile(r'<summary aria-label="Toggle hidden content">')
# sphinx-exercise titles each exercise with a paragraph ("Exercise 4.1"): a screen reader's
# heading navigation skips it. It becomes a heading one level below its section's.
EXERCISE_TITLE = re.compile(r'(<div class="exercise(?: [^"]*)?"[^>]*>\s*<p class="admonition-title")>')
HEADING = re.compile(r"<h([1-6])[\s>]")
# The run-in-browser button's arrow is decoration: a screen reader would read it as "black
# right-pointing triangle" before the button's text.
RUN_ARROW = 'rel="noopener">&#9654;&#xFE0E; '


def configure(app, config) -> None:
    config.html_static_path.append(str(STATIC))
    # First in line, before the theme's components folder (which pydata-sphinx-theme appends).
    config.templates_path.insert(0, str(TEMPLATES))
    mathjax = dict(config.mathjax3_config or {})
    options = dict(mathjax.get("options") or {})
    options["enableAssistiveMml"] = True
    # MathJax's menu keeps the reader's own choice; assistive MathML is on until they turn it off.
    # Equations stay out of the Tab order (MathJax puts every one in it, for its menu): a chapter
    # has over a hundred formulas, and Tab should go from control to control. Screen readers
    # reach the formulas as text; the menu opens with a right click.
    menu = dict(options.get("menuOptions") or {})
    menu["settings"] = dict(menu.get("settings") or {}, assistiveMml=True, inTabOrder=False)
    options["menuOptions"] = menu
    mathjax["options"] = options
    config.mathjax3_config = mathjax


# myst-nb's hidden-code toggles speak English on the Chinese pages too (its prompts are a
# setting, not a catalog message): a screen reader reads them with the page's Chinese voice.
ZH_PROMPTS = {
    f"{verb} code cell {part}": f"{zh_verb}代码单元格{zh_part}"
    for verb, zh_verb in (("Show", "显示"), ("Hide", "隐藏"))
    for part, zh_part in (("source", "源代码"), ("outputs", "输出"), ("output", "输出"),
                          ("content", "内容"))
}
PROMPT = re.compile(r'(<p class="(?:collapsed|expanded) admonition-title">)([^<]*)</p>')


def repair_page(app, pagename, templatename, context, doctree) -> None:
    if app.builder.format != "html" or "body" not in context:
        return
    body = BIBLIOENTRY.sub(r'\1 role="listitem"', context["body"])
    if str(app.config.language or "").startswith("zh"):
        body = PROMPT.sub(lambda m: f"{m[1]}{ZH_PROMPTS.get(m[2], m[2])}</p>", body)
    body = SUMMARY_LABEL.sub("<summary>", body)
    body = body.replace(RUN_ARROW, 'rel="noopener"><span aria-hidden="true">&#9654;&#xFE0E;</span> ')
    context["body"] = EXERCISE_TITLE.sub(
        lambda m: f'{m[1]} role="heading" aria-level="{exercise_level(body, m.start())}">', body)


def exercise_level(body: str, position: int) -> int:
    """One below the last heading before ``position`` (the heading of the enclosing section)."""
    levels = HEADING.findall(body, 0, position)
    return min(6, int(levels[-1]) + 1) if levels else 2


def mark_english_docstrings(app, doctree, docname) -> None:
    """On the Chinese pages, the API reference's docstrings (kept in English) say so (lang="en").

    A screen reader then reads them with an English voice (WCAG 3.1.2, language of parts).
    docutils' HTML writer turns a ``language-en`` class into ``lang="en"``.
    """
    if not str(app.config.language or "").startswith("zh"):
        return
    from docutils import nodes
    from sphinx import addnodes

    def mark(node) -> None:
        for child in node.children:
            if not isinstance(child, nodes.Element):
                continue
            if isinstance(child, addnodes.desc) or (
                    isinstance(child, nodes.Body) and "docstring of" in (child.source or "")):
                child["classes"].append("language-en")
            else:
                mark(child)

    mark(doctree)


# sphinx-book-theme's layout.html names the print-only table of contents "Page" in English,
# inside a block that cannot be overridden without dropping the theme's own: the rendered page
# gets the name in its language (the catalog sphinx.po), the one change made after rendering.
PRINT_TOC = '<nav aria-label="Page">'


def name_print_toc(app) -> None:
    from sphinx.locale import _

    templates = getattr(app.builder, "templates", None)
    name = _("Page")
    if app.builder.format != "html" or templates is None or name == "Page":
        return
    render = templates.render

    def render_named(template, context):
        return render(template, context).replace(PRINT_TOC, f'<nav aria-label="{name}">')

    templates.render = render_named


def setup(app):
    app.connect("config-inited", configure)
    app.connect("builder-inited", name_print_toc)
    app.connect("doctree-resolved", mark_english_docstrings)
    # After the other extensions' handlers (the run-in-browser button is added by one).
    app.connect("html-page-context", repair_page, priority=900)
    app.add_css_file("accessibility.css", priority=900)
    app.add_js_file("accessibility.js", loading_method="defer", priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
