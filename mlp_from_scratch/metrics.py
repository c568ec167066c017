"""Predictions and accuracy for classifiers whose outputs are softmax logits."""

from __future__ import annotations

import numpy as np

from .functional import softmax
from .validation import as_labels

__all__ = ["predict_proba", "predict_classes", "accuracy"]


def predict_proba(model, X) -> np.ndarray:
    """Class probabilities ``softmax(model(X))``: one row per sample, summing to 1."""
    return softmax(model.forward(X))


def predict_classes(model, X) -> np.ndarray:
    """The most probable class of every row (argmax of the logits)."""
    return np.argmax(model.forward(X), axis=1)


def accuracy(model, X, y) -> float:
    """Fraction of rows of ``X`` whose predicted class equals the label in ``y``."""
    logits = model.forward(X)
    y = as_labels(y, "y", n_rows=logits.shape[0], n_classes=logits.shape[1])
    return float(np.mean(np.argmax(logits, axis=1) == y))
