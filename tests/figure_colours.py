"""How the book's figures look to readers with a colour-vision deficiency.

    python tests/figure_colours.py /tmp/cvd                          # every notebook in book/
    python tests/figure_colours.py /tmp/cvd book/09_training.ipynb   # only these notebooks

Extracts every PNG output of the notebooks' code cells and writes, per figure, one contact
sheet ``<notebook>_fig<k>.png`` into the folder given: the original and its simulations under
deuteranopia, protanopia and tritanopia. The simulations use the matrices of Machado, Oliveira
and Fernandes (2009, "A physiologically-based model for simulation of color vision
deficiency", IEEE TVCG 15(6)) at severity 1.0, applied to linear RGB (the sRGB transfer
function is undone before and redone after).

It also reports, per figure, whether the PNG is opaque (RGB without alpha, or alpha = 255 at
every pixel): on the site's dark theme a transparent figure background shows the dark page
through it and black text and axes vanish.

Needs NumPy and Matplotlib only. It is a tool for looking at figures, not a test.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

# Machado, Oliveira & Fernandes (2009), Table 1, severity 1.0; rows give the simulated
# linear R, G, B from the original linear (R, G, B).
MACHADO_2009 = {
    "deuteranopia": np.array([
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]),
    "protanopia": np.array([
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ]),
    "tritanopia": np.array([
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ]),
}


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def simulate(rgb: np.ndarray, deficiency: str) -> np.ndarray:
    """An (H, W, 3) sRGB image in [0, 1] as seen with ``deficiency`` (severity 1.0)."""
    linear = srgb_to_linear(rgb)
    return linear_to_srgb(linear @ MACHADO_2009[deficiency].T)


def read_png(data: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    image = mpimg.imread(io.BytesIO(data), format="png")
    if image.dtype != np.float32 and image.dtype != np.float64:  # pragma: no cover
        image = image / np.iinfo(image.dtype).max
    if image.ndim == 2:  # grey
        image = np.repeat(image[:, :, None], 3, axis=2)
    return image


def is_opaque(image: np.ndarray) -> bool:
    """RGB, or RGBA with alpha = 255 everywhere (Matplotlib reads 255 as exactly 1.0)."""
    return image.shape[2] == 3 or bool(np.all(image[:, :, 3] == 1.0))


def flatten_on(image: np.ndarray, background: float) -> np.ndarray:
    """The RGB a reader sees with the page colour ``background`` behind transparent pixels."""
    if image.shape[2] == 3:
        return image[:, :, :3]
    alpha = image[:, :, 3:4]
    return image[:, :, :3] * alpha + background * (1 - alpha)


def figures(notebook: Path):
    """(figure number, cell index, figure name or '', PNG bytes) for every PNG output."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    k = 0
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name", "")
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png is None:
                continue
            k += 1
            text = "".join(png) if isinstance(png, list) else png
            yield k, index, name, base64.b64decode(text)


def contact_sheet(image: np.ndarray, title: str, path: Path) -> None:
    """The original (transparent pixels shown on white) and its three simulations, 2 x 2."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rgb = flatten_on(image, 1.0)
    panels = [("original", rgb)] + [
        (name, simulate(rgb, name)) for name in ("deuteranopia", "protanopia", "tritanopia")
    ]
    height, width = rgb.shape[:2]
    dpi = 100
    fig, axes = plt.subplots(
        2, 2, figsize=(2 * width / dpi, 2 * height / dpi + 0.9), dpi=dpi,
        facecolor="white",
    )
    for ax, (label, panel) in zip(axes.ravel(), panels):
        ax.imshow(panel, interpolation="nearest")
        ax.set_title(label, fontsize=12)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi, facecolor="white")
    plt.close(fig)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    notebooks = [Path(a) for a in argv[1:]] or sorted((ROOT / "book").glob("*.ipynb"))
    total = not_opaque = 0
    for notebook in notebooks:
        for k, index, name, data in figures(notebook):
            image = read_png(data)
            opaque = is_opaque(image)
            total += 1
            not_opaque += not opaque
            sheet = out / f"{notebook.stem}_fig{k}.png"
            title = f"{notebook.stem} figure {k} (cell {index}{', ' + name if name else ''})"
            contact_sheet(image, title, sheet)
            h, w = image.shape[:2]
            print(f"{sheet.name:45s} {w:5d}x{h:<5d} "
                  f"{'opaque' if opaque else 'NOT OPAQUE':10s} {name}")
    print(f"{total} figures, {not_opaque} not opaque; contact sheets in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
