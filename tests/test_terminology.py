"""The Chinese edition keeps one term per concept, the one its glossary chooses.

``book/glossary.md`` is the one source: its table gives, for every term, the Chinese rendering the
book uses (second column) and the renderings it does not use (last column: alternatives known from
other textbooks and variants that read ambiguously, such as 上一层 / 下一层). A catalog message that
uses a rejected rendering fails here, unless it quotes it (“…”) or the glossary names the page where
the other sense is meant (递归 for code that calls itself). The five source articles keep the names
the glossary gives them, and factors are written 是……的 X 倍, never 高出 / 长了 / 缩小 X 倍.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "book" / "glossary.md"
GLOSSARY_PAGE = "book/glossary"
_spec = importlib.util.spec_from_file_location("translations", ROOT / "_ext" / "translations.py")
translations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(translations)

CJK = re.compile(r"[\u3400-\u9fff]")
QUOTED = re.compile(r"“[^”]*”|「[^」]*」")
CODE = re.compile(r"``.+?``|`[^`]+`")
DOC = re.compile(r"\{doc\}`([^`<]+)`")
ARTICLE = re.compile(r"^the ([\w-]+) article$")

# "X times larger / smaller" written as a change by X times, which readers take as X + 1 times
# (高出 3 倍, 长了 3.2 倍) or cannot take at all (缩小 100 倍, 比 Xavier 小五倍).
_NUMBER = r"(?:\$[^$]+\$|[0-9][0-9.,]*|[一二两三四五六七八九十百千万亿几数]+)"
_ABOUT = r"(?:约|大约|近|将近|接近)?"
_CHANGE = (r"(?:高出|多出|长了|大了|多了|高了|增加了|增长了|提高了|扩大了|快了|"
           r"缩小了?|减小了?|降低了?|下降了?|减少了?|损失了?|小了|低了|少了|短了|慢了)")
_COMPARATIVE = r"比[^，。；：,;]{1,40}?(?:大|高|长|多|小|低|少|短|慢)"
_SMALLER = r"(?<!至)(?:小|低|少|短|慢)"  # "小 N 倍" with or without 比; 至少 N 倍 is fine
FACTOR = re.compile(
    rf"(?:{_CHANGE}|{_COMPARATIVE}|{_SMALLER})[*\s]*{_ABOUT}[*\s]*{_NUMBER}\s*多?倍"
)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def glossary_rows() -> list[list[str]]:
    """The rows of the glossary's table: English, Chinese, symbol, other renderings."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = _cells(line)
        if cells[0] == "English" or set(cells[0]) <= set("-: "):
            continue
        assert len(cells) == 4, f"a glossary row without four cells: {line!r}"
        rows.append(cells)
    return rows


def chosen_terms(rows) -> set[str]:
    terms = set()
    for _, chinese, _, _ in rows:
        for part in re.split(r"[、（）()，,]", chinese):
            if CJK.search(part):
                terms.add(part.strip())
    return terms


def rejected_terms(rows) -> dict[str, set[str]]:
    """{rejected rendering: pages where it is allowed (where the glossary says it means
    something else)}."""
    rejected: dict[str, set[str]] = {}
    for _, _, _, others in rows:
        for item in filter(None, (i.strip() for i in others.split(";"))):
            term, _, note = item.partition(" (")
            term = term.strip()
            assert CJK.search(term), f"not a Chinese rendering in the glossary: {item!r}"
            pages = {f"book/{p.strip()}" for p in DOC.findall(note)}
            rejected.setdefault(term, set()).update(pages)
    return rejected


def article_names(rows) -> dict[str, str]:
    """{English key of a source article, e.g. 'sine-fitting': its Chinese name}."""
    return {m.group(1): chinese for english, chinese, _, _ in rows
            if (m := ARTICLE.match(english))}


@pytest.fixture(scope="module")
def rows():
    return glossary_rows()


@pytest.fixture(scope="module")
def messages() -> list[tuple[str, int, str, str]]:
    """(page, entry number, English, Chinese) of every translated message but the glossary's."""
    found = []
    for path in sorted(translations.LOCALE_DIR.rglob("*.po")):
        page = path.relative_to(translations.LOCALE_DIR).with_suffix("").as_posix()
        if page == GLOSSARY_PAGE:
            continue
        entries = [m for m in translations.read_catalog(page) if m.id]
        found += [(page, n, m.id, m.string) for n, m in enumerate(entries, 1) if m.string]
    assert len(found) > 1000, f"too few translated messages: {len(found)}"
    return found


def prose(text: str) -> str:
    """The text a reader reads as the book's own words: quotations and code left out."""
    return CODE.sub(" ", QUOTED.sub(" ", text))


def test_the_glossary_gives_the_rejected_renderings_and_the_article_names(rows):
    rejected = rejected_terms(rows)
    for term in ("上一层", "下一层", "软件包", "拐点", "检查", "绑定权重", "递归", "提前停止",
                 "迭代周期", "活性值", "净输入", "已发布", "源文章"):
        assert term in rejected, f"the glossary no longer lists {term} as not used"
    assert rejected["递归"] == {"book/15_autodiff"}
    assert chosen_terms(rows) >= {"前一层", "后一层", "程序包", "不可导点", "检验", "权重绑定",
                                  "递推", "早停", "轮", "预激活", "激活值", "原文"}
    assert not set(rejected) & chosen_terms(rows), "a rendering both chosen and rejected"
    assert len(article_names(rows)) == 5


def rejected_uses(page: str, string: str, rejected, chosen) -> list[str]:
    """The rejected renderings that a message of ``page`` uses, outside quotes and code."""
    text = prose(string)
    found = []
    for term, allowed in rejected.items():
        if page in allowed:
            continue
        masked = text
        for longer in (t for t in chosen if term in t):
            masked = masked.replace(longer, " ")  # 检查点 (checkpointing) is not 检查
        if term in masked:
            found.append(term)
    return found


@pytest.mark.parametrize("page, text, expected", [
    ("book/04_linear_backward", "交给下一层", ["下一层"]),
    ("book/01_introduction", "不用“上一层”“下一层”", []),
    ("book/15_autodiff", "检查点技术；Python 的递归深度", []),
    ("book/07_backprop_mlp", "反向传播的递归", ["递归"]),
    ("book/13_bugs", "本书的包（已发布）", ["本书的包", "已发布"]),
], ids=["direction", "quoted", "exceptions", "recursion", "package"])
def test_the_term_check_catches_a_rejected_rendering_and_only_that(rows, page, text, expected):
    assert sorted(rejected_uses(page, text, rejected_terms(rows), chosen_terms(rows))) == \
        sorted(expected)


def test_no_catalog_uses_a_rendering_the_glossary_rejects(rows, messages):
    rejected = rejected_terms(rows)
    chosen = chosen_terms(rows)
    problems = [f"{page} [{n}]: {term}: {string[:80]}"
                for page, n, _, string in messages
                for term in rejected_uses(page, string, rejected, chosen)]
    assert not problems, (f"{len(problems)} messages use a rendering that book/glossary.md does "
                          "not use:\n" + "\n".join(problems[:40]))


def test_factors_are_written_as_x_times_as_large(messages):
    problems = [f"{page} [{n}]: {m.group(0)}"
                for page, n, _, string in messages for m in FACTOR.finditer(prose(string))]
    assert not problems, ("write 是……的 X 倍 or 为原来的 1/X, not a change by X 倍:\n"
                          + "\n".join(problems[:40]))


@pytest.mark.parametrize("wrong", ["高出 1.1 倍", "长了 3.2 倍", "缩小约 0.01 倍", "缩小一百倍",
                                   "比 Xavier 小五倍", "大了 $NK$ 倍", "比普通 SGD 低八倍", "*小* $N$ 倍"],
                         ids=["gaochu", "zhangle", "suoxiao-yue", "suoxiao", "bi-xiao", "dale", "bi-di",
                              "xiao"])
def test_the_factor_check_catches_the_forms_it_is_about(wrong):
    assert FACTOR.search(wrong), wrong


@pytest.mark.parametrize("right", ["是最低值的 1.1 倍", "缩小为原来的 $(1 - \\eta h)^2$ 倍",
                                   "放大 4 倍", "100 多倍", "缩小到原来的百分之一", "至少 4 倍"],
                         ids=["shi-de", "suoxiao-wei", "fangda", "duo-bei", "suoxiao-dao", "zhishao"])
def test_the_factor_check_accepts_the_forms_the_book_uses(right):
    assert not FACTOR.search(right), right


def test_the_source_articles_keep_their_names(rows, messages):
    """Where the English names an article (the sine-fitting article, the interview and
    sine-fitting articles' …), the Chinese uses the glossary's name for it."""
    names = article_names(rows)
    problems = []
    for page, n, english, string in messages:
        for key, chinese in names.items():
            # "the two-moons article" is also "the moons article"
            name = re.sub(r"^two\\-", "(?:two-)?", re.escape(key))
            if re.search(rf"\b{name}(?: and [\w-]+)?(?: source)? articles?\b", english) \
                    or re.search(rf"\b[\w-]+ and {name}(?: source)? articles\b", english):
                if chinese not in string:
                    problems.append(f"{page} [{n}]: the {key} article is not {chinese}: "
                                    f"{string[:80]}")
    assert not problems, f"{len(problems)} messages name a source article otherwise:\n" + \
        "\n".join(problems[:40])
