"""The built site as a reader meets it, in a real browser with the network cut off.

Every HTML page of the build is opened from disk (file:// URLs) in headless Chromium
(Debian's /usr/bin/chromium, driven by Playwright; Playwright's own browser download is never
used) while every request that is not for a local file is aborted. For each page:

* every math element is typeset by MathJax and no raw TeX delimiter is left in the text;
* every image has loaded;
* no JavaScript error happens, apart from the known harmless ones listed below;
* no request for anything outside the site is even attempted, and no local file is missing;
* every internal link points at an existing file, and every #anchor at an existing id.

A screenshot of one chapter is kept under _build/test-artifacts/. The in-browser edition (lite/)
is left to tests/test_lite.py, which serves it over http as it must be.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "_build" / "test-artifacts"
SCREENSHOT_PAGE = "book/04_linear_backward.html"


# JavaScript errors that are known, understood and harmless, each with its reason.
KNOWN_HARMLESS_ERRORS = {
    # sphinx-thebe 0.3.1 adds its inline configuration script twice to every page; the second
    # copy fails on re-declaring the constant. The first copy has already defined it, and the
    # value (the URL thebe would be fetched from) is only used when live code is launched,
    # which this book does not enable (launch_buttons.thebe: false).
    "Identifier 'THEBE_JS_URL' has already been declared":
        "duplicate sphinx-thebe configuration script; thebe is disabled",
}

# MathJax is typeset once its startup promise resolves; pages without math skip the wait.
WAIT_FOR_MATHJAX = """
async () => {
    if (!document.querySelector('.math')) return 'no math';
    const start = Date.now();
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
        if (Date.now() - start > 20000) return 'MathJax never started';
        await new Promise(r => setTimeout(r, 50));
    }
    await MathJax.startup.promise;
    return 'typeset';
}
"""

INSPECT_MATH = """
() => {
    const math = Array.from(document.querySelectorAll('.math'));
    const untypeset = math.filter(el => !el.querySelector('mjx-container'))
                          .map(el => el.textContent.trim().slice(0, 80));
    const errors = Array.from(document.querySelectorAll('mjx-merror, .MathJax_Error'))
                        .map(el => (el.getAttribute('data-mjx-error') || el.textContent).slice(0, 80));
    // Raw TeX left in the text a reader sees (code listings may legitimately show it).
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const raw = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest('pre, code, script, style, mjx-container, mjx-assistive-mml, .highlight'))
            continue;
        const text = node.textContent;
        if (text.includes('$$') || text.includes('\\\\(') || text.includes('\\\\[') || text.includes('\\\\begin{'))
            raw.push(text.trim().slice(0, 80));
    }
    return {count: math.length, untypeset, errors, raw};
}
"""

INSPECT_IMAGES = """
async () => {
    const images = Array.from(document.images);
    images.forEach(img => { img.loading = 'eager'; });
    await Promise.all(images.map(img => img.complete ? null :
        new Promise(resolve => { img.onload = img.onerror = resolve; })));
    return images.filter(img => !(img.complete && img.naturalWidth > 0))
                 .map(img => img.getAttribute('src'));
}
"""

LINKS = "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.refresh: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            self.refresh = (attrs.get("content") or "").split("url=", 1)[-1].strip()


_PARSED: dict[Path, _Ids] = {}


def parsed(path: Path) -> _Ids:
    if path not in _PARSED:
        parser = _Ids()
        parser.feed(path.read_text(encoding="utf-8"))
        _PARSED[path] = parser
    return _PARSED[path]


def html_pages(html: Path) -> list[Path]:
    # lite/ is the in-browser edition (JupyterLite): its pages need http, not file://, and
    # hang when opened from disk; tests/test_lite.py serves and checks them.
    skip = {"_static", "_sources", "_images", "_sphinx_design_static", "lite"}
    return sorted(p for p in html.rglob("*.html") if not skip & set(p.relative_to(html).parts))


def link_problems(url: str, html: Path) -> str | None:
    """Why a file:// link does not resolve inside the site, or None when it does."""
    parts = urlsplit(url)
    target = Path(unquote(parts.path))
    if not target.exists():
        return f"missing file {url}"
    if html.resolve() not in target.resolve().parents:
        return f"link leaves the site: {url}"
    if parts.fragment and target.suffix == ".html":
        if unquote(parts.fragment) not in parsed(target).ids:
            return f"no id #{unquote(parts.fragment)} in {target.relative_to(html)}"
    return None




def check_page(context, url: str, html: Path, screenshot: Path | None = None) -> list[str]:
    """Open one page with the network blocked and return everything wrong with it."""
    page = context.new_page()
    blocked, failed, js_errors = [], [], []

    def route(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    page.on("console", lambda msg: js_errors.append(msg.text) if msg.type == "error" else None)
    page.on("requestfailed", lambda request: failed.append(request.url)
            if request.url.startswith("file:") else None)
    problems = []
    try:
        page.goto(url, wait_until="load")
        state = page.evaluate(WAIT_FOR_MATHJAX)
        if state == "MathJax never started":
            problems.append("MathJax did not start")
        math = page.evaluate(INSPECT_MATH)
        if math["untypeset"]:
            problems.append(f"{len(math['untypeset'])} of {math['count']} math elements not "
                            f"typeset, e.g. {math['untypeset'][:3]}")
        if math["errors"]:
            problems.append(f"MathJax errors: {math['errors'][:5]}")
        if math["raw"]:
            problems.append(f"raw TeX left in the text: {math['raw'][:5]}")
        broken_images = page.evaluate(INSPECT_IMAGES)
        if broken_images:
            problems.append(f"images that did not load: {broken_images}")
        for link in sorted(set(page.evaluate(LINKS))):
            if link.startswith("file:"):
                problem = link_problems(link, html)
                if problem:
                    problems.append(problem)
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
    finally:
        page.close()
    unknown = [e for e in js_errors
               if not any(known in e for known in KNOWN_HARMLESS_ERRORS)]
    if unknown:
        problems.append(f"JavaScript errors: {unknown}")
    if blocked:
        problems.append(f"tried to fetch from the network: {sorted(set(blocked))}")
    if failed:
        problems.append(f"local files that failed to load: {sorted(set(failed))}")
    return problems


def test_every_page_renders_offline_with_math_images_and_links(site_html, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / Path(SCREENSHOT_PAGE).with_suffix(".png").name
    report, checked, with_math = {}, 0, 0
    try:
        for path in html_pages(site_html):
            name = path.relative_to(site_html).as_posix()
            redirect = parsed(path).refresh
            if redirect is not None:
                # A meta-refresh page (the site root) only has to point at a real page.
                if not (path.parent / redirect).exists():
                    report[name] = [f"redirects to a missing page {redirect}"]
                continue
            problems = check_page(context, path.as_uri(), site_html,
                                  screenshot if name == SCREENSHOT_PAGE else None)
            checked += 1
            with_math += 'class="math' in path.read_text(encoding="utf-8")
            if problems:
                report[name] = problems
    finally:
        context.close()
    assert checked >= 17, f"only {checked} pages were checked"
    assert with_math >= 1, "no page with math was checked"
    assert not report, "\n".join(f"{page}:\n  " + "\n  ".join(problems)
                                 for page, problems in report.items())
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
    print(f"\nscreenshot of {SCREENSHOT_PAGE}: {screenshot}")


def test_search_finds_a_chapter_offline(site_html, browser):
    context = browser.new_context()
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
               else route.abort())
    try:
        page.goto((site_html / "search.html").as_uri() + "?q=gradient")
        page.wait_for_selector("#search-results li", timeout=20000)
        hits = page.eval_on_selector_all("#search-results li a", "els => els.map(a => a.href)")
    finally:
        context.close()
    assert any(re.search(r"/book/\d\d_\w+\.html", hit) for hit in hits), hits
