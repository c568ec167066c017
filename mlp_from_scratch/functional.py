"""Pure forward and backward functions, one per equation of the book.

Every function here takes arrays and returns arrays; nothing is stored. The
layer and loss classes are thin wrappers that hold parameters and the forward
cache and call these functions. Each function that implements a numbered
equation of the book names that equation's label in its docstring.

Conventions: rows are samples; a layer computes ``a = z @ W + b`` with ``z`` of
shape (N, n_in), ``W`` of shape (n_in, n_out), ``b`` of shape (n_out,); a
gradient ``grad_x`` is dL/dx and has the shape of ``x``.
"""

from __future__ import annotations

import numpy as np

from .validation import as_float_matrix, as_labels

__all__ = [
    "linear_forward",
    "linear_grad_W",
    "linear_grad_b",
    "linear_grad_z",
    "linear_backward",
    "sigmoid",
    "sigmoid_backward",
    "tanh",
    "tanh_backward",
    "relu",
    "relu_backward",
    "softmax",
    "log_softmax",
    "softmax_jacobian",
    "softmax_backward",
    "one_hot",
    "mse",
    "mse_backward",
    "softmax_cross_entropy",
    "softmax_cross_entropy_backward",
]


# --- Linear layer -----------------------------------------------------------


def linear_forward(
    z: np.ndarray, W: np.ndarray, b: np.ndarray | None = None
) -> np.ndarray:
    """Pre-activation of a Linear layer, ``a = z W + b``.

    Equation ``eq-linear-forward``.

    ``z`` is (N, n_in), ``W`` is (n_in, n_out), ``b`` is (n_out,) or None;
    the bias row is broadcast over the N rows of the batch.
    """
    a = z @ W
    if b is not None:
        a += b
    return a


def linear_grad_W(z: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
    """Weight gradient ``dL/dW = z^T dL/da``, shape (n_in, n_out).

    Equation ``eq-linear-dW``.

    The matrix product sums the per-sample outer products ``z_n^T grad_a_n``
    over the batch.
    """
    return z.T @ grad_a


def linear_grad_b(grad_a: np.ndarray) -> np.ndarray:
    """Bias gradient ``dL/db = sum over rows of dL/da``, shape (n_out,).

    Equation ``eq-linear-db``.

    The bias is broadcast to every row in the forward pass, so its gradient
    collects the contribution of every row: an explicit sum over the batch.
    """
    return grad_a.sum(axis=0)


def linear_grad_z(grad_a: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Input gradient ``dL/dz = dL/da W^T``, shape (N, n_in).

    Equation ``eq-linear-dz``.
    """
    return grad_a @ W.T


def linear_backward(grad_a: np.ndarray, z: np.ndarray, W: np.ndarray):
    """All three Linear gradients at once: ``(grad_z, grad_W, grad_b)``.

    Combines equations ``eq-linear-dz``, ``eq-linear-dW`` and ``eq-linear-db``.
    """
    return linear_grad_z(grad_a, W), linear_grad_W(z, grad_a), linear_grad_b(grad_a)


# --- Activations --------------------------------------------------------------


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-a))``, computed without overflow.

    ``exp`` is only ever evaluated at ``-|a|`` (a number in (0, 1]), so no
    input, however large in size, overflows:
    ``sigmoid(a) = 1 / (1 + e)`` for ``a >= 0`` and ``e / (1 + e)`` for ``a < 0``,
    with ``e = exp(-|a|)``.
    """
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0, e) / (1.0 + e)


def sigmoid_backward(grad_z: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``dL/da = dL/dz * z (1 - z)`` for ``z = sigmoid(a)``.

    Equations ``eq-activation-backward`` and ``eq-sigmoid-grad``. Takes the
    stored *output* ``z``, not the input ``a``: the derivative is a function of
    the output, so no exponential is recomputed.
    """
    return grad_z * z * (1.0 - z)


def tanh(a: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent (finite for every finite input)."""
    return np.tanh(a)


def tanh_backward(grad_z: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``dL/da = dL/dz * (1 - z^2)`` for ``z = tanh(a)``.

    Equations ``eq-activation-backward`` and ``eq-tanh-grad``; takes the
    stored output ``z``.
    """
    return grad_z * (1.0 - z * z)


def relu(a: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(a, 0)``."""
    return np.maximum(a, 0.0)


def relu_backward(grad_z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``dL/da = dL/dz * [a > 0]``.

    Equations ``eq-activation-backward`` and ``eq-relu-grad``.

    Takes the *input* ``a``. At the kink ``a = 0`` ReLU has no derivative; we
    use 0 there (any value in [0, 1] is a valid subgradient).
    """
    return grad_z * (a > 0)


# --- Softmax ------------------------------------------------------------------


def softmax(a: np.ndarray) -> np.ndarray:
    """Row-wise softmax ``p_k = exp(a_k) / sum_j exp(a_j)``.  Equation ``eq-softmax``.

    Each row is normalised over its classes (axis 1), never over the batch.
    The row maximum is subtracted first, which leaves the result unchanged
    and keeps every exponent <= 0, so nothing overflows.
    """
    shifted = a - a.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(a: np.ndarray) -> np.ndarray:
    """Row-wise ``log softmax(a)`` by the log-sum-exp trick.

    ``log p_k = a_k - m - log(sum_j exp(a_j - m))`` with ``m`` the row
    maximum: finite even when ``softmax`` rounds a probability to 0.
    """
    shifted = a - a.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_jacobian(p: np.ndarray) -> np.ndarray:
    """Jacobian ``J = diag(p) - p^T p`` of one softmax row, ``J[i, j] = dp_i/da_j``.

    Equation ``eq-softmax-jacobian``.

    ``p`` is a single probability vector of shape (K,); the result is (K, K).
    Used to explain and check :func:`softmax_backward`, never inside training.
    """
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(
            f"softmax_jacobian takes one probability row of shape (K,), got {p.shape}"
        )
    return np.diag(p) - np.outer(p, p)


def softmax_backward(grad_p: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Vector-Jacobian product through softmax, row by row.

    Equation ``eq-softmax-jacobian``.

    For each row, ``grad_a = grad_p J = grad_p (diag(p) - p^T p)``, computed as
    ``p * (grad_p - <grad_p, p>)``: the (K, K) Jacobian is never formed.
    """
    return p * (grad_p - (grad_p * p).sum(axis=1, keepdims=True))


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(N, n_classes) float64 matrix with a 1 in column ``labels[i]`` of row ``i``."""
    labels = as_labels(labels, "labels", n_classes=n_classes)
    out = np.zeros((labels.shape[0], n_classes))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


# --- Losses -------------------------------------------------------------------


def _check_pred_target(pred, target):
    pred = as_float_matrix(pred, "pred")
    target = as_float_matrix(target, "target")
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape, got pred {pred.shape} "
            f"and target "
            f"{target.shape}; a silent broadcast between them would compare every "
            f"prediction with every target"
        )
    return pred, target


def mse(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error with a half, ``L = sum (pred - target)^2 / (2N)``.

    Equation ``eq-mse``.

    ``N`` is the number of rows (samples); the sum runs over every element,
    so each sample contributes the squared error of all its outputs.
    """
    pred, target = _check_pred_target(pred, target)
    diff = pred - target
    return float(np.sum(diff * diff) / (2 * pred.shape[0]))


def mse_backward(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Gradient of :func:`mse`, ``dL/dpred = (pred - target) / N``.

    Equation ``eq-mse-grad``.
    """
    pred, target = _check_pred_target(pred, target)
    return (pred - target) / pred.shape[0]


def _check_logits_labels(logits, labels):
    logits = as_float_matrix(logits, "logits")
    labels = as_labels(
        labels, "labels", n_rows=logits.shape[0], n_classes=logits.shape[1]
    )
    return logits, labels


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy of softmax(logits), ``L = -(1/N) sum_i log p[i, labels[i]]``.

    Computed from :func:`log_softmax`, so it is finite for logits of any size.
    ``labels`` are integer classes of shape (N,) in [0, K).
    """
    logits, labels = _check_logits_labels(logits, labels)
    logp = log_softmax(logits)
    return float(-logp[np.arange(labels.shape[0]), labels].mean())


def softmax_cross_entropy_backward(
    logits: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """``dL/dlogits = (softmax(logits) - onehot(labels)) / N``.

    Equation ``eq-softmax-ce-grad``.

    The gradient is taken from the *probabilities*, not from the raw logits;
    they are computed as ``exp(log_softmax(logits))``, from the same
    log-probabilities as the loss itself.
    """
    logits, labels = _check_logits_labels(logits, labels)
    grad = np.exp(log_softmax(logits))
    grad[np.arange(labels.shape[0]), labels] -= 1.0
    grad /= labels.shape[0]
    return grad
