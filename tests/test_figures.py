"""The book's figures on the dark theme and for colour-blind readers (tests/figure_colours.py).

Every figure is an opaque PNG: on the site's dark theme a transparent background would let the
dark page through and black axes and labels would vanish. The colour-vision simulation that
the figures were checked with (`python tests/figure_colours.py /tmp/cvd` writes one contact
sheet per figure) is itself checked on colours whose fate is known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import figure_colours as fc

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def test_every_figure_is_an_opaque_png():
    seen, transparent = 0, []
    for notebook in NOTEBOOKS:
        for k, index, name, data in fc.figures(notebook):
            seen += 1
            if not fc.is_opaque(fc.read_png(data)):
                transparent.append(f"{notebook.name} figure {k} (cell {index}) {name}")
    assert seen >= 40, f"only {seen} figures found"
    assert not transparent, "figures with a transparent background:\n" + "\n".join(transparent)


def colour(*rgb) -> np.ndarray:
    return np.array(rgb, dtype=float).reshape(1, 1, 3)


@pytest.mark.parametrize("deficiency", sorted(fc.MACHADO_2009))
def test_the_simulation_keeps_greys_grey(deficiency):
    for level in (0.0, 0.2, 0.5, 1.0):
        grey = colour(level, level, level)
        assert np.allclose(fc.simulate(grey, deficiency), grey, atol=2e-3)


def distance(a, b) -> float:
    return float(np.abs(a - b).max())


def test_red_and_green_merge_without_m_or_l_cones_and_blue_and_green_without_s_cones():
    red, green = colour(0.8, 0.1, 0.1), colour(0.1, 0.6, 0.1)
    blue, teal = colour(0.1, 0.4, 0.8), colour(0.1, 0.6, 0.6)
    for deficiency in ("deuteranopia", "protanopia"):
        merged = distance(fc.simulate(red, deficiency), fc.simulate(green, deficiency))
        assert merged < 0.5 * distance(red, green), deficiency
    # the Okabe-Ito blue and orange stay apart under every deficiency
    okabe_blue, okabe_orange = colour(0.0, 0.447, 0.698), colour(0.902, 0.624, 0.0)
    for deficiency in fc.MACHADO_2009:
        seen = distance(fc.simulate(okabe_blue, deficiency), fc.simulate(okabe_orange, deficiency))
        assert seen > 0.4, deficiency
    assert distance(fc.simulate(blue, "tritanopia"), fc.simulate(teal, "tritanopia")) \
        < distance(blue, teal)
