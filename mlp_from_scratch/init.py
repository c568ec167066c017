"""Weight initialisers: ``init(rng, n_in, n_out) -> W`` of shape (n_in, n_out).

Two principled schemes and three that reproduce the source articles, kept so
the book can show what goes wrong with them:

* ``"xavier"``: Glorot & Bengio (2010), uniform on ``[-r, r]`` with
  ``r = sqrt(6 / (n_in + n_out))``, so ``Var(W) = 2 / (n_in + n_out)``.
  Keeps activation and gradient variances roughly constant through
  sigmoid/tanh layers.
* ``"he"``: He et al. (2015), normal with ``Var(W) = 2 / n_in``, for ReLU.
* ``"naive"``: uniform on ``[0, 0.001)``: tiny and all positive, as in the
  interview article (an MLP written as an interview exercise). Units start
  almost identical and signals shrink layer by layer.
* ``"normal"``: standard normal, ``Var(W) = 1`` whatever the width, as in the
  sin article (fitting sin x with two sigmoid layers).
* ``"uniform"``: uniform on ``[0, 1)``, all positive, as in the two-moons article
  (which also draws the bias this way: see ``BIAS_INITS``).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = [
    "xavier",
    "he",
    "naive",
    "normal",
    "uniform",
    "INITS",
    "BIAS_INITS",
    "get_init",
]


def xavier(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    """Glorot/Xavier uniform initialisation, ``Var(W) = 2 / (n_in + n_out)``."""
    r = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-r, r, size=(n_in, n_out))


def he(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    """He/Kaiming normal initialisation, ``Var(W) = 2 / n_in``."""
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def naive(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    """Tiny all-positive weights, uniform on ``[0, 0.001)`` (a known bad choice)."""
    return rng.random((n_in, n_out)) * 1e-3


def normal(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    """Standard normal weights, variance 1 regardless of the layer's width."""
    return rng.standard_normal((n_in, n_out))


def uniform(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    """All-positive weights, uniform on ``[0, 1)``."""
    return rng.random((n_in, n_out))


INITS: dict[str, Callable] = {
    "xavier": xavier,
    "he": he,
    "naive": naive,
    "normal": normal,
    "uniform": uniform,
}

#: How each named scheme initialises the bias (zeros unless the source drew it).
BIAS_INITS: dict[str, Callable] = {
    "uniform": lambda rng, n_out: rng.random(n_out),
}


def get_init(init) -> Callable:
    """Return the initialiser for a name in ``INITS`` or a callable as it is."""
    if callable(init):
        return init
    if isinstance(init, str) and init in INITS:
        return INITS[init]
    raise ValueError(
        f"unknown init {init!r}; expected one of {sorted(INITS)} "
        f"or a callable (rng, n_in, n_out) -> W"
    )
