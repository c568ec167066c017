"""Checks for values that enter the package from outside.

Every public entry point validates what a user can get wrong *where it enters*,
so that a mistake surfaces as a clear message naming the argument, what was
expected and what came, instead of a crash deep inside a matrix product, a
silent broadcast or a NaN three layers later.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_float_matrix",
    "as_labels",
    "check_finite",
    "check_gradient_shape",
    "check_positive_int",
    "check_positive_float",
    "check_fraction",
]


def _describe(x) -> str:
    """A short description of an array-like value for error messages."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__}"


def _name(name, owner) -> str:
    return f"{owner!r} {name}" if owner is not None else name


def as_float_matrix(
    x, name: str, *, n_columns: int | None = None, owner=None
) -> np.ndarray:
    """Return ``x`` as a 2-D float64 array of shape (N, n_columns), N >= 1.

    Raises ``TypeError`` for non-numeric data and ``ValueError`` for the wrong
    number of dimensions, an empty batch or the wrong number of columns; the
    message names ``owner`` (a layer, say) and the argument ``name``.
    Arrays that already are float64 are returned without a copy.
    """
    if (
        type(x) is np.ndarray
        and x.dtype == np.float64
        and x.ndim == 2
        and x.shape[0]
        and (n_columns is None or x.shape[1] == n_columns)
    ):
        return x  # the common case, checked in a few hundred nanoseconds
    name = _name(name, owner)
    arr = np.asarray(x)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
    ):
        raise TypeError(f"{name} must hold real numbers, got {_describe(arr)}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must hold real numbers, got complex dtype {arr.dtype}")
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = (
                " (one row per sample: reshape a single feature with x.reshape(-1, 1))"
            )
        raise ValueError(
            f"{name} must be 2-D with shape (N, features), got shape {arr.shape}{hint}"
        )
    if arr.shape[0] == 0:
        raise ValueError(
            f"{name} is an empty batch (shape {arr.shape}); need at least one row"
        )
    if n_columns is not None and arr.shape[1] != n_columns:
        raise ValueError(
            f"{name} must have {n_columns} columns (features), got shape {arr.shape}"
        )
    return np.asarray(arr, dtype=np.float64)


def check_finite(x: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if ``x`` holds NaN or infinity."""
    if not np.isfinite(x).all():
        n_bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"{name} contains {n_bad} NaN or infinite value(s)")


def as_labels(
    labels, name: str, *, n_rows: int | None = None, n_classes: int | None = None
) -> np.ndarray:
    """Return class labels as a 1-D int64 array with values in [0, n_classes).

    Integer arrays are accepted as they are; float arrays only when every value
    is a whole number. Negative, fractional, out-of-range labels and a label
    count that differs from the number of rows raise ``ValueError``.
    """
    arr = np.asarray(labels)
    if (
        arr.dtype == np.int64
        and arr.ndim == 1
        and arr.shape[0]
        and (n_rows is None or arr.shape[0] == n_rows)
    ):
        lo, hi = np.minimum.reduce(arr), np.maximum.reduce(arr)
        if lo >= 0 and (n_classes is None or hi < n_classes):
            return arr
    if (
        arr.dtype == np.bool_
        or not np.issubdtype(arr.dtype, np.number)
        or np.iscomplexobj(arr)
    ):
        raise TypeError(f"{name} must be integer class labels, got {_describe(arr)}")
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D integer class labels of shape (N,), "
            f"got shape {arr.shape}"
        )
    if n_rows is not None and arr.shape[0] != n_rows:
        raise ValueError(
            f"{name} has {arr.shape[0]} labels but the predictions have {n_rows} rows"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty; need at least one label")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinite labels")
        if not np.array_equal(arr, np.round(arr)):
            raise ValueError(
                f"{name} must be whole numbers; got fractional labels such as "
                f"{arr[arr != np.round(arr)][0]}"
            )
    arr = arr.astype(np.int64, copy=False)
    if arr.min() < 0:
        raise ValueError(f"{name} must be non-negative class indices; got {arr.min()}")
    if n_classes is not None and arr.max() >= n_classes:
        raise ValueError(
            f"{name} must lie in [0, {n_classes}) for {n_classes} classes; "
            f"got {arr.max()}"
        )
    return arr


def check_gradient_shape(grad, expected_shape: tuple, owner) -> np.ndarray:
    """Return ``grad`` as float64, raising if its shape is not ``expected_shape``.

    ``owner`` is the layer or loss whose backward received ``grad``.
    """
    if (
        type(grad) is np.ndarray
        and grad.dtype == np.float64
        and grad.shape == expected_shape
    ):
        return grad
    arr = np.asarray(grad, dtype=np.float64)
    if arr.shape != expected_shape:
        raise ValueError(
            f"{owner}.backward expected a gradient of shape {expected_shape} "
            f"(the shape of its last forward output), got {arr.shape}"
        )
    return arr


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int, raising unless it is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def check_positive_float(value, name: str) -> float:
    """Return ``value`` as a float, raising unless it is finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return value


def check_fraction(value, name: str) -> float:
    """Return ``value`` as a float, raising unless 0 <= value < 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}")
    value = float(value)
    if not (0.0 <= value < 1.0):
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value
