"""Loss layers: ``forward(pred, target) -> float`` and ``backward() -> dL/dpred``.

A loss remembers what its backward needs from its last forward only. Its
backward takes no argument: the loss is where backpropagation starts, with
dL/dL = 1.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from .validation import as_float_matrix, as_labels, check_finite

__all__ = ["Loss", "MSELoss", "SoftmaxCrossEntropyLoss"]


class Loss:
    """Shared interface of the losses."""

    def __init__(self) -> None:
        self._cache = None

    def __call__(self, pred, target) -> float:
        return self.forward(pred, target)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"{self!r}.backward called before forward")
        return self._cache


class MSELoss(Loss):
    """``L = sum (pred - target)^2 / (2N)`` (equation ``eq-mse``).

    ``pred`` and ``target`` must have exactly the same shape (N, K): an (N, 1)
    prediction against an (N,) target is refused, since NumPy would broadcast
    it to an (N, N) table of differences.
    """

    def forward(self, pred, target) -> float:
        pred = as_float_matrix(pred, "MSELoss pred")
        target = (
            as_float_matrix(target, "MSELoss target")
            if np.ndim(target) == 2
            else target
        )
        if np.shape(target) != pred.shape:
            raise ValueError(
                f"MSELoss pred and target must have the same shape, got pred "
                f"{pred.shape} and target {np.shape(target)}"
            )
        check_finite(target, "MSELoss target")
        self._cache = (pred, target)
        return F.mse(pred, target)

    def backward(self) -> np.ndarray:
        """dL/dpred = (pred - target) / N (equation ``eq-mse-grad``)."""
        return F.mse_backward(*self._cached())


class SoftmaxCrossEntropyLoss(Loss):
    """Softmax followed by cross-entropy, fused (equation ``eq-softmax-ce-grad``).

    ``forward(logits, labels)`` takes raw scores (N, K) and integer labels
    (N,) in [0, K) and returns ``-(1/N) sum_i log softmax(logits)[i, labels[i]]``,
    computed with log-sum-exp so it stays finite for any finite logits.
    """

    def forward(self, logits, labels) -> float:
        logits = as_float_matrix(logits, "SoftmaxCrossEntropyLoss logits")
        labels = as_labels(
            labels,
            "SoftmaxCrossEntropyLoss labels",
            n_rows=logits.shape[0],
            n_classes=logits.shape[1],
        )
        self._cache = (logits, labels)
        self._log_p = F.log_softmax(logits)
        rows = np.arange(labels.shape[0])
        return float(-self._log_p[rows, labels].sum() / labels.shape[0])

    def backward(self) -> np.ndarray:
        """dL/dlogits = (softmax(logits) - onehot(labels)) / N.

        Equation ``eq-softmax-ce-grad``: the operations of
        :func:`~mlp_from_scratch.functional.softmax_cross_entropy_backward`,
        starting from the log-probabilities this loss's forward computed, so the
        labels are not validated again and the softmax is not redone.
        """
        _, labels = self._cached()
        grad = np.exp(self._log_p)
        grad[np.arange(labels.shape[0]), labels] -= 1.0
        grad /= labels.shape[0]
        return grad
