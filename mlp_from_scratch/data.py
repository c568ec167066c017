"""The book's two data sets, generated (never downloaded) and reproducible."""

from __future__ import annotations

import numpy as np

from .layers import as_rng
from .validation import check_fraction, check_positive_int

__all__ = ["make_sin", "make_sin_split", "make_moons_split"]


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


def make_sin_split(
    n_train: int,
    n_val: int,
    n_test: int,
    *,
    rng,
    low: float = -2 * np.pi,
    high: float = 2 * np.pi,
    noise: float = 0.0,
):
    """Training, validation and test sets of :func:`make_sin` data.

    Draws ``n_train + n_val + n_test`` points with ``make_sin`` (same ``rng``,
    ``low``, ``high``, ``noise``: every split has the same noise) and cuts
    them in that order, so the three sets are independent samples of one
    distribution. Returns ``X_train, X_val, X_test, y_train, y_val, y_test``,
    each of shape (n, 1).
    """
    sizes = [
        check_positive_int(n_train, "n_train"),
        check_positive_int(n_val, "n_val"),
        check_positive_int(n_test, "n_test"),
    ]
    X, y = make_sin(sum(sizes), rng=rng, low=low, high=high, noise=noise)
    cuts = np.cumsum(sizes)[:2]
    X_train, X_val, X_test = np.split(X, cuts)
    y_train, y_val, y_test = np.split(y, cuts)
    return X_train, X_val, X_test, y_train, y_val, y_test


def make_moons_split(
    n_samples: int = 1000,
    noise: float = 0.1,
    test_size: float = 0.2,
    random_state: int = 0,
    *,
    val_size: float | None = None,
):
    """scikit-learn's two moons, split into training and held-out test sets.

    Returns ``X_train, X_test, y_train, y_test`` with float64 features of shape
    (n, 2) and int64 labels in {0, 1}; the split is stratified by class.

    With ``val_size`` (a fraction of ``n_samples``) it returns
    ``X_train, X_val, X_test, y_train, y_val, y_test``: the test set is the
    same as without ``val_size`` for the same other arguments, and the
    validation set is a stratified split of what was the training set.
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
    if val_size is not None:
        val_size = check_fraction(val_size, "val_size")
        n_val = int(np.ceil(val_size * n_samples))
        n_train = n_samples - n_test - n_val
        if n_val < 2 or n_train < 2:
            raise ValueError(
                f"a stratified split of {n_samples} samples with "
                f"test_size={test_size} and val_size={val_size} leaves {n_test} "
                f"test, {n_val} validation and {n_train} training samples; each "
                f"needs at least one sample of each of the 2 classes"
            )
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=y
    )
    if val_size is not None:
        X_train, X_val, y_train, y_val = train_test_split(
            X_train, y_train, test_size=n_val, random_state=random_state,
            stratify=y_train,
        )
        return (
            X_train.astype(np.float64),
            X_val.astype(np.float64),
            X_test.astype(np.float64),
            y_train.astype(np.int64),
            y_val.astype(np.int64),
            y_test.astype(np.int64),
        )
    return (
        X_train.astype(np.float64),
        X_test.astype(np.float64),
        y_train.astype(np.int64),
        y_test.astype(np.int64),
    )
