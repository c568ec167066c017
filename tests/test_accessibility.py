"""The built site as a reader with a disability meets it: an axe-core audit, the keyboard, math
and figures for a screen reader.

* **Audit.** axe-core (npm's ``axe-core``, pinned in package.json; ``npm ci`` installs it) is
  injected into every HTML page of both editions (the English site and ``zh/``), opened from
  disk in Debian's Chromium with the network cut off, and run with the WCAG 2.0 and 2.1 A/AA
  rules and axe's best practices twice: in the theme's light mode, and again after the page's
  own colour-mode button has switched it to dark. Any
  violation fails the test unless ALLOWED lists it with a reason; an ALLOWED entry that no
  longer matches anything fails too, so the list cannot go stale. The in-browser edition
  (``lite/``) is JupyterLite's own application, not the book, and is not audited.
* **Math.** Every rendered equation carries MathJax's assistive MathML, the copy of the
  formula that screen readers speak and let the reader explore.
* **Keyboard.** Tabbing through one chapter reaches every control (the navigation, the
  "Run this chapter in your browser" button, the solution toggles, the hidden-code toggles, the
  language link), each shows a visible focus indicator, and the toggles open with Enter and
  Space.
* **Figures.** Every image in a page's article, in both editions, has a text alternative that
  is not a file name (or is marked decorative).
* **Language of parts.** The English docstrings on the Chinese API page are marked English.

Per-rule counts of the audit are printed (``pytest -s``) and written to
_build/test-artifacts/accessibility.json.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

from test_site_browser import WAIT_FOR_MATHJAX, html_pages, parsed

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "_build" / "test-artifacts"
CHAPTER = "book/04_linear_backward.html"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
MODES = ("light", "dark")

# Violations the project accepts, each with its reason: {(rule id, CSS-selector fragment of the
# element axe names): reason}, e.g. {("color-contrast", ".some-widget"): "why it cannot be
# fixed here"}. Keep it small: fix the site instead wherever the site can (_ext/accessibility.py).
# Empty: every violation the audit found has been fixed.
ALLOWED: dict[tuple[str, str], str] = {}


if os.environ.get("MLP_SITE_HTML"):
    # An existing build's HTML folder, to check it without building the site again.
    @pytest.fixture(scope="module")
    def site_html() -> Path:
        return Path(os.environ["MLP_SITE_HTML"])


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        message = (f"axe-core is not installed ({AXE.relative_to(ROOT)} is missing): "
                   "run `npm ci` in the repository root")
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (.ci/run does)")
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def content_pages(html: Path) -> list[Path]:
    """Every page of both editions with content (the site root only redirects)."""
    return [p for p in html_pages(html) if parsed(p).refresh is None]


def offline_page(browser, mode: str, **context_options):
    """A page in a new browser context in the theme's ``mode``, with the network cut off.

    The theme keeps the reader's choice in localStorage (``mode``: light, dark or auto) and
    applies it before the page is drawn; the system preference is set to match as well.
    """
    context = browser.new_context(color_scheme=mode, **context_options)
    context.add_init_script(
        f"try {{ localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}'); }}"
        " catch (e) {}")
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
               else route.abort())
    return context, page


def open_page(page, path: Path, mode: str) -> None:
    page.goto(path.as_uri(), wait_until="load")
    page.evaluate(WAIT_FOR_MATHJAX)
    theme = page.evaluate("() => document.documentElement.dataset.theme")
    assert theme == mode, f"{path.name} shows the {theme} theme, not {mode}"


RUN_AXE = """
async (tags) => {
    const results = await axe.run(document, {
        runOnly: {type: 'tag', values: tags},
        resultTypes: ['violations'],
    });
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({
            target: n.target.flat().join(' '),
            html: n.html.slice(0, 200),
            summary: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300),
        })),
    }));
}
"""


# Presses the header's colour-mode button until the page is dark (at most three presses: the
# button cycles through the three modes).
SWITCH_TO_DARK = """
async () => {
    const button = Array.from(document.querySelectorAll('.theme-switch-button'))
        .find(b => b.offsetParent !== null);
    if (!button) return 'no visible colour-mode button';
    for (let i = 0; i < 3 && document.documentElement.dataset.theme !== 'dark'; i++) {
        button.click();
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    }
    // Colours that the theme animates settle before the audit measures them.
    await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
    return document.documentElement.dataset.theme;
}
"""


def allowed_reason(rule: str, target: str) -> tuple[str, str] | None:
    for key in ALLOWED:
        if key[0] == rule and key[1] in target:
            return key
    return None


def test_axe_audit_of_every_page_in_light_and_dark_mode(site_html, browser, axe_source):
    pages = content_pages(site_html)
    assert len(pages) >= 30, f"only {len(pages)} pages found"
    assert any(p.relative_to(site_html).parts[0] == "zh" for p in pages), "no Chinese page"
    counts: dict[str, Counter] = {mode: Counter() for mode in MODES}
    used: set[tuple[str, str]] = set()
    failures: dict[str, list[str]] = defaultdict(list)
    examples: dict[str, list[dict]] = defaultdict(list)
    seconds: dict[str, float] = {mode: 0.0 for mode in MODES}

    def audit(name: str, mode: str) -> None:
        start = time.perf_counter()
        for violation in page.evaluate(RUN_AXE, AXE_TAGS):
            for node in violation["nodes"]:
                counts[mode][violation["id"]] += 1
                if len(examples[violation["id"]]) < 40:
                    examples[violation["id"]].append(dict(node, page=name, mode=mode))
                key = allowed_reason(violation["id"], node["target"])
                if key is not None:
                    used.add(key)
                    continue
                failures[f"{name} ({mode})"].append(
                    f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
                    f"      at {node['target']}: {node['html']}\n"
                    f"      {node['summary']}")
        seconds[mode] += time.perf_counter() - start

    # Each page is loaded once, in light mode, and audited; then the reader's own colour-mode
    # button switches it to dark (light -> system -> dark, the theme's cycle when the system is
    # light) and the whole audit runs again on the dark page.
    context, page = offline_page(browser, "light", viewport={"width": 1280, "height": 900})
    try:
        for path in pages:
            name = path.relative_to(site_html).as_posix()
            open_page(page, path, "light")
            page.add_script_tag(content=axe_source)
            audit(name, "light")
            theme = page.evaluate(SWITCH_TO_DARK)
            assert theme == "dark", f"{name}: the colour-mode button gave {theme}, not dark"
            audit(name, "dark")
    finally:
        context.close()
    report = {mode: dict(sorted(counts[mode].items())) for mode in MODES}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "accessibility.json").write_text(
        json.dumps({"pages": len(pages), "violations_by_rule": report, "examples": examples},
                   indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\naxe-core audit of {len(pages)} pages (elements per rule):")
    for mode in MODES:
        print(f"  {mode} ({seconds[mode]:.0f} s): {sum(counts[mode].values())} violations"
              + "".join(f", {rule} {n}" for rule, n in sorted(counts[mode].items())))
    stale = [f"{rule} at {where}" for rule, where in ALLOWED if (rule, where) not in used]
    shown = "\n".join(f"{page}:\n  " + "\n  ".join(problems[:8])
                      + (f"\n  ... and {len(problems) - 8} more" if len(problems) > 8 else "")
                      for page, problems in sorted(failures.items()))
    assert not failures, f"accessibility violations on {len(failures)} page views:\n{shown}"
    assert not stale, f"ALLOWED entries that match nothing any more (remove them): {stale}"


# --- math ---------------------------------------------------------------------------------------

INSPECT_ASSISTIVE_MML = """
() => {
    const containers = Array.from(document.querySelectorAll('.math mjx-container'));
    const spoken = containers.filter(c => {
        const mml = c.querySelector(':scope > mjx-assistive-mml');
        const math = mml && mml.querySelector('math');
        return math && math.textContent.trim() && mml.getAttribute('aria-hidden') !== 'true'
            && c.querySelector(':scope > mjx-math').getAttribute('aria-hidden') === 'true';
    });
    const display = containers.filter(c => c.getAttribute('display') === 'true').length;
    return {containers: containers.length, spoken: spoken.length, display,
            example: spoken.length ? spoken[0].querySelector('math').outerHTML.slice(0, 300) : ''};
}
"""


@pytest.mark.parametrize("page_name", [CHAPTER, "zh/" + CHAPTER])
def test_every_equation_carries_assistive_mathml(site_html, browser, page_name):
    """Screen readers read MathJax's hidden MathML copy; the drawn formula is hidden from them."""
    blocked = []
    context, page = offline_page(browser, "light")
    page.on("request", lambda request: blocked.append(request.url)
            if not request.url.startswith("file:") else None)
    try:
        open_page(page, site_html / page_name, "light")
        math = page.evaluate(INSPECT_ASSISTIVE_MML)
    finally:
        context.close()
    assert math["containers"] >= 20 and math["display"] >= 3, math
    assert math["spoken"] == math["containers"], (
        f"{math['containers'] - math['spoken']} of {math['containers']} equations lack assistive "
        "MathML")
    assert not blocked, f"MathJax asked the network for {blocked}"


# --- language of parts ----------------------------------------------------------------------------

def test_english_docstrings_on_the_chinese_api_page_are_marked_english(site_html, browser):
    """The Chinese edition keeps the package's docstrings in English: they carry lang="en", so
    that a screen reader reads them with an English voice (WCAG 3.1.2)."""
    context, page = offline_page(browser, "light")
    try:
        open_page(page, site_html / "zh" / "book" / "api.html", "light")
        found = page.evaluate("""() => ({
            page: document.documentElement.lang,
            entries: document.querySelectorAll('dl.py').length,
            unmarked: Array.from(document.querySelectorAll('dl.py'))
                .filter(dl => dl.closest('[lang]').lang !== 'en')
                .map(dl => dl.querySelector('dt').id),
            paragraphs: document.querySelectorAll('article p[lang="en"]').length,
        })""")
    finally:
        context.close()
    assert found["page"] == "zh-CN" and found["entries"] >= 20, found
    assert not found["unmarked"], f"API entries not marked English: {found['unmarked'][:10]}"
    assert found["paragraphs"] >= 5, found  # the modules' docstrings too


# --- keyboard -----------------------------------------------------------------------------------

# The controls a reader must reach by keyboard on a chapter page: {name: CSS selector}.
CONTROLS = {
    "skip link": "#pst-skip-link a",
    "chapter links of the sidebar": "nav.bd-docs-nav a[href]",
    "search button": ".search-button-field:not(.navbar-persistent--mobile *)",
    "colour-mode button": ".theme-switch-button",
    "language link": ".edition-switch a",
    "run-in-browser button": "a.browser-edition-button",
    "hidden-code toggles": "article details > summary",
    "solution toggles": ".admonition.toggle button.toggle-button",
    "previous/next links": ".prev-next-area a",
    "page contents links": "#pst-page-toc-nav a[href]",
}

# Marks every control, and records how each focusable element looks unfocused; then records,
# at every focus event, which element got focus and whether it looks different focused: the
# element, its ::before and ::after, two ancestors and their pseudo-elements, and its first
# children (the theme draws some focus rings on an ancestor's ::before or on a child).
PREPARE_FOCUS_LOG = """
(controls) => {
    // A focus indicator is a ring, a shadow, a border or a background, as drawn (an outline of
    // style none or width 0 draws nothing); a change of text colour alone is too faint to count.
    const drawn = style => {
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
            ? `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}` : 'none';
        const border = ['Top', 'Right', 'Bottom', 'Left']
            .map(side => parseFloat(style[`border${side}Width`]) > 0
                 && style[`border${side}Style`] !== 'none' ? style[`border${side}Color`] : '-')
            .join(',');
        return [outline, style.boxShadow, style.backgroundColor, border].join('|');
    };
    const look = el => {
        const parts = [];
        for (let node = el, up = 0; node && node.nodeType === 1 && up < 3;
             node = node.parentElement, up++) {
            for (const pseudo of [null, '::before', '::after']) {
                parts.push(drawn(getComputedStyle(node, pseudo)));
            }
        }
        for (const child of Array.from(el.children).slice(0, 3)) {
            parts.push(drawn(getComputedStyle(child)));
        }
        return parts.join(' / ');
    };
    // Not inside a closed <details> (a collapsed part of the sidebar), not hidden.
    const isVisible = el => el.checkVisibility({visibilityProperty: true});
    window.__controls = {};
    let id = 0;
    for (const [name, selector] of Object.entries(controls)) {
        window.__controls[name] = [];
        for (const el of document.querySelectorAll(selector)) {
            if (!isVisible(el)) continue;
            if (!el.dataset.kbd) el.dataset.kbd = String(++id);
            window.__controls[name].push(el.dataset.kbd);
        }
    }
    document.activeElement && document.activeElement.blur();
    window.__unfocused = new Map();
    for (const el of document.querySelectorAll('a[href], button, summary, input, [tabindex]')) {
        if (!el.dataset.kbd) el.dataset.kbd = String(++id);
        window.__unfocused.set(el.dataset.kbd, look(el));
    }
    window.__focusLog = [];
    document.addEventListener('focusin', event => {
        const el = event.target;
        const key = el.dataset ? el.dataset.kbd : undefined;
        const before = key ? window.__unfocused.get(key) : undefined;
        window.__focusLog.push({
            key: key || null,
            what: el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
                  ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                  + ' "' + (el.getAttribute('aria-label') || el.textContent || '').trim()
                               .replace(/\\s+/g, ' ').slice(0, 40) + '"',
            visible: before === undefined ? null : before !== look(el),
        });
    });
    return window.__controls;
}
"""


def test_keyboard_reaches_every_control_with_a_visible_focus(site_html, browser):
    context, page = offline_page(browser, "light", viewport={"width": 1280, "height": 900})
    try:
        open_page(page, site_html / CHAPTER, "light")
        controls = page.evaluate(PREPARE_FOCUS_LOG, CONTROLS)
        for name, keys in controls.items():
            assert keys, f"no {name} on {CHAPTER}"
        log: list[dict] = []
        for _ in range(60):  # at most 60 x 50 Tab presses
            for _ in range(50):
                page.keyboard.press("Tab")
            log = page.evaluate("() => window.__focusLog")
            keys = [entry["key"] for entry in log]
            if keys and keys.count(keys[0]) > 1:
                break  # focus went round the whole page and came back to the first stop
        else:
            pytest.fail(f"Tab did not come back to the first control after {len(log)} stops")
        first_round = log[:[entry["key"] for entry in log].index(log[0]["key"], 1)]
        reached = {entry["key"] for entry in first_round}
        unreached = {name: len(set(keys) - reached) for name, keys in controls.items()
                     if set(keys) - reached}
        invisible = sorted({entry["what"] for entry in first_round if entry["visible"] is False})
        unknown = sorted({entry["what"] for entry in first_round if entry["visible"] is None})
        counts = Counter(entry["what"].split(" ")[0].split(".")[0] for entry in first_round)
        print(f"\n{len(first_round)} Tab stops on {CHAPTER}: " +
              ", ".join(f"{tag} {n}" for tag, n in counts.most_common()))
        assert first_round[0]["key"] in controls["skip link"], \
            f"the first Tab stop is {first_round[0]['what']}, not the skip link"
        assert not unreached, f"controls that Tab never reaches (how many): {unreached}"
        assert not invisible, f"Tab stops without a visible focus indicator: {invisible}"
        assert not unknown, f"Tab stops that are not links, buttons or form fields: {unknown}"

        # The toggles work from the keyboard: Enter and Space open and close them.
        for selector, is_open in [
            (".admonition.toggle button.toggle-button",
             "el => el.getAttribute('aria-expanded') === 'true'"
             " && getComputedStyle(el.closest('.admonition').querySelector("
             "':scope > :not(.admonition-title)')).visibility === 'visible'"),
            ("article details > summary", "el => el.parentElement.open"),
        ]:
            toggle = page.locator(selector).first
            toggle.focus()
            assert not toggle.evaluate(is_open), f"{selector} starts open"
            page.keyboard.press("Enter")
            assert toggle.evaluate(is_open), f"Enter does not open {selector}"
            page.keyboard.press(" ")
            assert not toggle.evaluate(is_open), f"Space does not close {selector}"
    finally:
        context.close()


# --- figures ------------------------------------------------------------------------------------

class _ArticleImages(HTMLParser):
    """The attributes of every <img> inside the page's <article>."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article" or self.depth:
            self.depth += tag not in VOID_ELEMENTS
        if tag == "img" and self.depth:
            self.images.append(dict(attrs))

    def handle_startendtag(self, tag, attrs):
        if tag == "img" and self.depth:
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        if self.depth and tag not in VOID_ELEMENTS:
            self.depth -= 1


VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                 "source", "track", "wbr"}
# A file name or path where a description should be (Sphinx's default alt is the image's path).
FILE_NAME = re.compile(r"\.(png|jpe?g|gif|svg|webp)\b|_images/|[0-9a-f]{32}", re.I)


def alt_text_problem(attrs: dict[str, str | None]) -> str | None:
    alt = attrs.get("alt")
    if alt is None:
        return "no alt attribute"
    if not alt.strip():
        decorative = (attrs.get("role") in ("presentation", "none")
                      or attrs.get("aria-hidden") == "true")
        return None if decorative else "empty alt without role=presentation or aria-hidden"
    if FILE_NAME.search(alt.strip()):
        return f"a file name as alt: {alt[:60]!r}"
    return None


def test_every_figure_has_a_text_alternative(site_html):
    """Every image in an article, in both editions, is described (a caption does not replace
    the alt text: a screen reader announces the image by its alt), or is marked decorative."""
    problems: dict[str, list[str]] = {}
    images = 0
    for path in content_pages(site_html):
        parser = _ArticleImages()
        parser.feed(path.read_text(encoding="utf-8"))
        images += len(parser.images)
        found = [f"{attrs.get('src')}: {problem}" for attrs in parser.images
                 if (problem := alt_text_problem(attrs))]
        if found:
            problems[path.relative_to(site_html).as_posix()] = found
    assert images >= 20, f"only {images} images in the articles"
    assert not problems, "images without a text alternative:\n" + "\n".join(
        f"{page}: {len(found)}, e.g. {found[0]}" for page, found in sorted(problems.items()))
