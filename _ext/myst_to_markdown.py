"""Rewrite the MyST markup of a chapter's Markdown cells as plain Markdown (for JupyterLite).

JupyterLab and JupyterLite render CommonMark with LaTeX math, not MyST: a directive or a role
would show as raw source. The browser copies of the chapters therefore get

* ``{eq}`label``` as the equation's number as the website shows it, e.g. "(4.2)", and each
  labelled display equation ``$$ ... $$ (label)`` with that number as its ``\\tag``;
* ``{doc}``, ``{ref}``, ``{numref}`` as the title (or explicit text) of what they point at;
* ``{cite:p}``/``{cite:t}`` as author–year citations from references.bib;
* ``literalinclude`` as a code block holding the very lines the website shows (Sphinx's own
  reader does the selection, so ``:pyobject:`` and friends mean the same);
* ``exercise``/``solution-start``/``solution-end`` and admonitions as bold headings; the cells of
  a solution start collapsed (``_ext/solutions.py``), under a visible heading;
* ``(label)=`` targets removed.

The numbers and titles come from the Sphinx build environment, so they are the website's.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils.nodes import make_id
from sphinx.util import logging

try:  # loaded as a Sphinx local extension (_ext/ on sys.path) or as the package _ext
    import solutions
except ImportError:  # pragma: no cover
    from . import solutions

logger = logging.getLogger(__name__)

ROLE = re.compile(r"\{([A-Za-z][\w:+-]*)\}`([^`]*)`")
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<args>.*?)\s*$")
TARGET = re.compile(r"^\([\w.:-]+\)=[ \t]*\n?", re.M)
DOLLAR_LABEL = re.compile(r"\$\$[ \t]*\((?P<label>[\w.:-]+)\)")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger",
               "error", "seealso", "admonition", "dropdown", "margin", "sidebar", "topic"}


class Rewriter:
    def __init__(self, app):
        self.app = app
        self.env = app.env
        self.srcdir = Path(app.srcdir)
        self._bib = None

    # --- numbers and titles from the build ------------------------------------------------
    def _fignumber(self, docname, figtype, ids):
        numbers = self.env.toc_fignumbers.get(docname, {}).get(figtype, {})
        for node_id in ids:
            if node_id in numbers:
                return ".".join(map(str, numbers[node_id]))
        return None

    def equation_number(self, label: str) -> str:
        found = self.env.get_domain("math").equations.get(label)
        if found is None:
            raise ValueError(f"unknown equation label {label!r}")
        docname, eqno = found
        number = self._fignumber(docname, "displaymath",
                                 [f"equation-{label}", make_id(f"equation-{label}")])
        return number or str(eqno)

    def exercise_number(self, label: str) -> str | None:
        std = self.env.get_domain("std")
        target = std.labels.get(label) or std.anonlabels.get(label)
        if not target:
            return None
        docname, node_id = target[0], target[1]
        for figtype in ("exercise", "solution"):
            number = self._fignumber(docname, figtype, [node_id, label])
            if number:
                return number
        return None

    def doc_title(self, target: str, docname: str) -> str:
        name = target.strip()
        if name.startswith("/"):
            resolved = name.lstrip("/")
        else:
            resolved = str(Path(docname).parent / name) if "/" not in docname or not name.startswith("book/") else name
            resolved = re.sub(r"(^|/)\./", r"\1", resolved)
        resolved = re.sub(r"\.(ipynb|md)$", "", resolved)
        title = self.env.titles.get(resolved)
        if title is None:
            raise ValueError(f"{{doc}} target {target!r} of {docname} is not a page")
        return title.astext()

    def ref_text(self, label: str) -> str:
        number = self.exercise_number(label)
        if number is not None:
            return f"Exercise {number}"
        std = self.env.get_domain("std")
        if label in std.labels and std.labels[label][2]:
            return std.labels[label][2]
        if label in self.env.get_domain("math").equations:
            return f"({self.equation_number(label)})"
        raise ValueError(f"unknown reference label {label!r}")

    def citation(self, keys: str, textual: bool) -> str:
        if self._bib is None:
            from pybtex.database import parse_file

            self._bib = {}
            for name in self.app.config.bibtex_bibfiles:
                self._bib.update(parse_file(str(self.srcdir / name)).entries)
        parts = []
        for key in (k.strip() for k in keys.split(",")):
            entry = self._bib.get(key)
            if entry is None:
                raise ValueError(f"unknown citation key {key!r}")
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            last = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
            if len(last) == 1:
                who = last[0]
            elif len(last) == 2:
                who = f"{last[0]} and {last[1]}"
            elif last:
                who = f"{last[0]} et al."
            else:
                who = entry.fields.get("title", key)
            year = entry.fields.get("year", "n.d.")
            parts.append(f"{who} ({year})" if textual else f"{who}, {year}")
        return "; ".join(parts) if textual else "(" + "; ".join(parts) + ")"

    # --- roles ------------------------------------------------------------------------------
    def role(self, match, docname):
        try:
            return self._role(match, docname)
        except ValueError as error:
            # The site build reports the same broken reference; the copy keeps the raw target.
            logger.warning(f"browser copy of {docname}: {error}", type="browser_edition")
            return match.group(2)

    def _role(self, match, docname):
        name, content = match.group(1), match.group(2)
        explicit = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", content)
        text, target = (explicit.group(1), explicit.group(2)) if explicit else (None, content)
        if name == "eq":
            return f"({self.equation_number(target)})"
        if name == "doc":
            return text or self.doc_title(target, docname)
        if name in ("ref", "numref"):
            return text or self.ref_text(target)
        if name.startswith("cite"):
            return self.citation(content, textual=name in ("cite:t", "cite:ts", "cite:ct"))
        if name == "math":
            return f"${content}$"
        if name in ("code", "literal", "samp", "file", "command", "kbd"):
            return f"`{content}`"
        return text or content

    def roles(self, text: str, docname: str) -> str:
        return ROLE.sub(lambda m: self.role(m, docname), text)

    # --- directives -------------------------------------------------------------------------
    def directive(self, name, args, options, body, docname):
        if name == "literalinclude":
            from sphinx.directives.code import LiteralIncludeReader

            filename = (self.srcdir / Path(docname).parent / args).resolve()
            code, _ = LiteralIncludeReader(str(filename), options, self.app.config).read()
            language = options.get("language", "python")
            return f"```{language}\n{code.rstrip()}\n```"
        if name == "exercise":
            number = self.exercise_number(options.get("label", "")) if "label" in options else None
            heading = f"**Exercise {number}**" if number else "**Exercise**"
            if args:
                heading += f" ({self.roles(args, docname)})"
            return heading + "\n\n" + self.quote(self.markdown(body, docname))
        if name == "solution-start":
            number = self.exercise_number(args.strip())
            return f"**Solution to Exercise {number}**" if number else "**Solution**"
        if name == "solution-end":
            return "*End of the solution.*"
        if name in ("math",):
            label = options.get("label")
            tag = f"\\tag{{{self.equation_number(label)}}}\n" if label else ""
            return f"$$\n{body.strip()}\n{tag}$$"
        if name in ("code", "code-block", "sourcecode"):
            return f"```{args or 'python'}\n{body.rstrip()}\n```"
        title = self.roles(args, docname) if args else name.capitalize()
        if name not in ADMONITIONS and name not in ("admonition",):
            title = title if args else name
        return self.quote(f"**{title}**\n\n{self.markdown(body, docname)}")

    @staticmethod
    def quote(text: str) -> str:
        # Not a Markdown blockquote: JupyterLab takes the math out before it parses Markdown, so a
        # "> " on the continuation line of a multi-line formula would land inside the formula.
        return text.strip()

    def markdown(self, text: str, docname: str) -> str:
        lines = text.splitlines()
        out, i = [], 0
        while i < len(lines):
            m = FENCE_OPEN.match(lines[i])
            if not m:
                out.append(lines[i])
                i += 1
                continue
            fence = m.group("fence")
            closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
            body, j, depth = [], i + 1, 0
            while j < len(lines):
                if FENCE_OPEN.match(lines[j]) and FENCE_OPEN.match(lines[j]).group("fence")[0] == fence[0] \
                        and len(FENCE_OPEN.match(lines[j]).group("fence")) == len(fence):
                    depth += 1
                elif closing.match(lines[j]):
                    if depth == 0:
                        break
                    depth -= 1
                body.append(lines[j])
                j += 1
            options = {}
            if body and body[0].strip() == "---":
                end = body.index("---", 1) if "---" in body[1:] else 0
                import yaml

                options = {k: str(v) for k, v in (yaml.safe_load("\n".join(body[1:end])) or {}).items()}
                body = body[end + 1:]
            while body and OPTION.match(body[0]):
                option = OPTION.match(body[0])
                options[option.group("key")] = option.group("value").strip()
                body = body[1:]
            out.append(self.directive(m.group("name"), m.group("args"), options,
                                      "\n".join(body), docname))
            i = j + 1
        return "\n".join(out)

    def cell(self, source: str, docname: str) -> str:
        text = TARGET.sub("", source)
        text = self.markdown(text, docname)

        def tag(match):
            try:
                return f"\\tag{{{self.equation_number(match.group('label'))}}}\n$$"
            except ValueError as error:
                logger.warning(f"browser copy of {docname}: {error}", type="browser_edition")
                return "$$"

        text = DOLLAR_LABEL.sub(tag, text)
        return self.roles(text, docname)

    def notebook(self, nb: dict, docname: str) -> dict:
        cells = []
        for cell in solutions.collapse_solutions(nb)["cells"]:
            if cell["cell_type"] != "markdown":
                cells.append(cell)
                continue
            source = "".join(cell["source"])
            text = self.cell(source, docname)
            if solutions.START.search(source) and cell["metadata"]["jupyter"].get("source_hidden"):
                # The solution's heading stays in view, saying how to open what follows.
                heading, _, rest = text.partition("\n")
                cells.append({
                    "cell_type": "markdown", "id": f"{cell.get('id', 'cell')}-heading",
                    "metadata": {},
                    "source": (f"{heading} (collapsed: click the bar below to open it)\n")
                    .splitlines(keepends=True)})
                if not rest.strip():
                    continue
                text = rest.lstrip("\n")
            cell["source"] = text.splitlines(keepends=True)
            cells.append(cell)
        nb["cells"] = cells
        return nb
