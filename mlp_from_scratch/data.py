"""The book's two data sets, generated (never downloaded) and reproducible."""

from __future__ import annotations

import numpy as np

from .layers import as_rng
from .validation import check_fraction, check_positive_int

__all__ = ["make_sin", "make_moons_split"]


def make_sin(
    n: int, *, rng, low: float = -2 * np.pi, high: float = 2 * np.pi, noise: float = 0.0
):
    """``n`` points ``x ~ Uniform[low, high)``, ``y = sin(x) + noise * N(0, 1)``.

    Returns ``X`` of shape (n, 1) and ``y`` of shape (n, 1), float64: one row
    per sample, one input and one output feature.
    """
    n = check_positive_int(n, "n")
    rng = as_rng(rng)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"need finite low < high, got low={low}, high={high}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite standard deviation >= 0, got {noise}")
    X = rng.uniform(low, high, size=(n, 1))
    y = np.sin(X)
    if noise:
        y = y + noise * rng.standard_normal((n, 1))
    return X, y


def make_moons_split(
    n_samples: int = 1000,
    noise: float = 0.1,
    test_size: float = 0.2,
    random_state: int = 0,
):
    """scikit-learn's two moons, split into training and held-out test sets.

    Returns ``X_train, X_test, y_train, y_test`` with float64 features of shape
    (n, 2) and int64 labels in {0, 1}; the split is stratified by class.
    """
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    n_samples = check_positive_int(n_samples, "n_samples")
    test_size = check_fraction(test_size, "test_size")
    n_test = int(np.ceil(test_size * n_samples))
    if n_test < 2 or n_samples - n_test < 2:
        raise ValueError(
            f"a stratified split of {n_samples} samples with test_size={test_size} "
            f"leaves {n_test} test and {n_samples - n_test} training samples; "
            f"each side needs at least one sample of each of the 2 classes"
        )
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=y
    )
    return (
        X_train.astype(np.float64),
        X_test.astype(np.float64),
        y_train.astype(np.int64),
        y_test.astype(np.int64),
    )
