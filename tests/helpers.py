"""Test-only utilities: an independent finite-difference reference and random shapes.

Nothing here calls the package's own gradient checker, so the tests compare the package
against a second, separately written implementation.
"""

import numpy as np

TOL = 1e-7
"""Worst relative error allowed between an analytic and a numerical gradient (float64)."""

EPS = 1e-5
"""Step of the central differences. The truncation error grows like EPS**2 and the rounding
error like (machine epsilon * |f|) / EPS; for the small gradients of a deep sigmoid network
(around 1e-3 against a loss around 1) a step of 1e-6 leaves rounding errors near 1e-7, while
1e-5 keeps both errors below 1e-8."""


def central_difference(f, x, eps=EPS):
    """Central-difference gradient of the scalar function ``f`` at the array ``x``.

    ``f`` takes an array shaped like ``x`` and returns a number. ``x`` itself is never touched:
    every evaluation receives a fresh perturbed copy.
    """
    x = np.asarray(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus = x.copy()
        minus = x.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (float(f(plus)) - float(f(minus))) / (2.0 * eps)
    return grad


def central_difference_in_place(f, array, eps=EPS):
    """Central-difference gradient of ``f()`` with respect to ``array``, an array ``f`` reads.

    Used for parameters that live inside a model: each entry is nudged in place, ``f`` is
    evaluated, and the original value is written back before moving on.
    """
    grad = np.zeros_like(array, dtype=np.float64)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + eps
        f_plus = float(f())
        array[index] = original - eps
        f_minus = float(f())
        array[index] = original
        grad[index] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def rel_error(a, b):
    """Relative error ||a - b|| / max(||a|| + ||b||, tiny), zero when both are zero."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denominator = max(np.linalg.norm(a) + np.linalg.norm(b), np.finfo(np.float64).tiny)
    return float(np.linalg.norm(a - b) / denominator)


def random_shapes(rng, count=4, max_rows=6, max_cols=5):
    """``count`` random (rows, cols) pairs, each at least (1, 1)."""
    return [
        (int(rng.integers(1, max_rows + 1)), int(rng.integers(1, max_cols + 1)))
        for _ in range(count)
    ]


def away_from_zero(rng, shape, low=0.1, high=2.0):
    """Random values with magnitude in [low, high] and random sign (keeps ReLU off its kink)."""
    magnitude = rng.uniform(low, high, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return magnitude * sign


def arrays_in(obj, seen=None):
    """Every NumPy array reachable from ``obj``'s attributes (through dicts, lists and tuples)."""
    if seen is None:
        seen = set()
    found = []
    if id(obj) in seen:
        return found
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        found.append(obj)
    elif isinstance(obj, dict):
        for value in obj.values():
            found.extend(arrays_in(value, seen))
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            found.extend(arrays_in(value, seen))
    elif hasattr(obj, "__dict__"):
        for value in vars(obj).values():
            found.extend(arrays_in(value, seen))
    return found


def stored_footprint(obj):
    """(number of arrays, total bytes) held by ``obj``: a measure of cache growth."""
    arrays = arrays_in(obj)
    return len(arrays), sum(array.nbytes for array in arrays)
