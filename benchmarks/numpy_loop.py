"""A bare NumPy training loop: the package's epoch with nothing but the arithmetic.

This is the same training written as lean plain NumPy: one function, no
classes, no checks, no caches beyond local variables, ReLU and the update done
in place; its only calls into the package are the pure functions for the
sigmoid and the log-softmax. It starts from the package's own initial weights
and shuffles with the same generator, so it takes the very same steps as
:func:`mlp_from_scratch.fit` and must end at the same loss (to round-off).

Its time over the matrix-product floor is what NumPy itself costs beside the
products: the row gather of the shuffle, the bias, the activation and its
derivative, the softmax cross-entropy gradient, the bias gradients and the SGD
update. The package's time over this loop's time is the cost of the package's
structure (layers, validation, the forward cache).
"""

from __future__ import annotations

import numpy as np

from mlp_from_scratch import MLP, Linear
from mlp_from_scratch import functional as F


def make_numpy_loop(X: np.ndarray, y: np.ndarray, sizes, *, activation: str, lr: float,
                    batch_size: int, epochs: int, seed: int):
    """Return ``run()`` that trains ``MLP(sizes, activation, rng=seed)`` by hand; softmax CE."""
    if activation not in ("relu", "sigmoid"):
        raise ValueError(f"the bare loop knows relu and sigmoid, got {activation!r}")
    model = MLP(sizes, activation, rng=seed)
    linears = [layer for layer in model.layers if isinstance(layer, Linear)]
    W = [layer.params["W"].copy() for layer in linears]
    b = [layer.params["b"].copy() for layer in linears]
    n, L = X.shape[0], len(W)

    def act(a):
        return np.maximum(a, 0.0, out=a) if activation == "relu" else F.sigmoid(a)

    def run() -> float:
        rng = np.random.default_rng(seed)
        mean_loss = float("nan")
        for _ in range(epochs):
            order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, batch_size):
                rows = order[start:start + batch_size]
                z, yb = X[rows], y[rows]
                B = z.shape[0]
                zs = [z]
                for l in range(L):
                    a = z @ W[l]
                    a += b[l]
                    z = act(a) if l < L - 1 else a
                    zs.append(z)
                log_p = F.log_softmax(z)
                idx = np.arange(B)
                total -= log_p[idx, yb].sum()
                g = np.exp(log_p)
                g[idx, yb] -= 1.0
                g /= B
                for l in range(L - 1, -1, -1):
                    gW = zs[l].T @ g
                    gb = g.sum(axis=0)
                    if l > 0:
                        g = g @ W[l].T
                        h = zs[l]
                        if activation == "relu":
                            g *= h > 0  # relu'(a) = [a > 0] = [h > 0]
                        else:
                            g = g * h * (1.0 - h)
                    gW *= lr
                    W[l] -= gW
                    gb *= lr
                    b[l] -= gb
            mean_loss = float(total / n)
        return mean_loss

    return run
