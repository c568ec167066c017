"""The landing page's picture is chapter 1's first figure, byte for byte.

book/index.md is a Markdown page, so it shows the figure as an image file,
book/images/forward_backward.png, copied from the stored output of chapter 1's figure cell
(the cell named ``fig-intro-network``). After re-executing chapter 1, refresh the copy with

    python tests/test_chapter_01_front_figure.py
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "book" / "01_introduction.ipynb"
IMAGE = ROOT / "book" / "images" / "forward_backward.png"
NAME = "fig-intro-network"


def chapter_figure() -> bytes:
    """The PNG stored under chapter 1's cell whose figure is named fig-intro-network."""
    nb = json.loads(CHAPTER.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        if figure.get("name") == NAME:
            pngs = [o["data"]["image/png"] for o in cell.get("outputs", [])
                    if "image/png" in o.get("data", {})]
            assert len(pngs) == 1, f"the {NAME} cell should store one PNG, not {len(pngs)}"
            return base64.b64decode(pngs[0])
    raise AssertionError(f"chapter 1 has no cell whose figure is named {NAME}")


def test_the_landing_page_shows_chapter_1s_figure():
    assert IMAGE.read_bytes() == chapter_figure(), (
        "book/images/forward_backward.png differs from chapter 1's figure: "
        "run python tests/test_chapter_01_front_figure.py")


def test_the_landing_page_leads_with_the_picture():
    text = (ROOT / "book" / "index.md").read_text(encoding="utf-8")
    body = text.split("\n", 1)[1]                     # after the title
    assert body.lstrip().startswith("```{figure} images/forward_backward.png")


if __name__ == "__main__":
    IMAGE.parent.mkdir(exist_ok=True)
    IMAGE.write_bytes(chapter_figure())
    print(f"wrote {IMAGE.relative_to(ROOT)}")
    sys.exit(0)
