"""The matrix-product floor: the time of only the matrix products backprop needs.

For one epoch of mini-batch SGD through an MLP with layer sizes
``n_0, n_1, ..., n_L`` and a batch ``z`` of B rows, backpropagation cannot do
with fewer than these products per batch:

* forward, every layer l:            ``a_l = z_{l-1} W_l``        (B, n_l)
* weight gradient, every layer l:    ``grad_W_l = z_{l-1}^T grad_a_l``
* input gradient, every layer but the first:  ``grad_z_{l-1} = grad_a_l W_l^T``
  (the first layer's input is the data, whose gradient nobody needs).

The floor runs exactly these products, on the same shapes and the same number
of batches as the real epoch, into preallocated outputs (``out=``), on
contiguous slices of the data: no activation, no loss, no bias, no update, no
shuffle, no allocation. A trainer cannot beat it with the same BLAS; the ratio
trainer / floor says how much time goes to everything else.
"""

from __future__ import annotations

import numpy as np


def matmul_flops(sizes, n_rows: int) -> int:
    """Floating-point operations (2 per multiply-add) of the floor for ``n_rows`` samples."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    forward = sum(n_in * n_out for n_in, n_out in pairs)
    grad_W = forward
    grad_z = sum(n_in * n_out for n_in, n_out in pairs[1:])
    return 2 * n_rows * (forward + grad_W + grad_z)


def make_floor(X: np.ndarray, sizes, batch_size: int, *, seed: int = 0):
    """Return ``run()`` that performs the floor's products for one epoch over ``X``."""
    rng = np.random.default_rng(seed)
    n_layers = len(sizes) - 1
    W = [rng.standard_normal((sizes[l], sizes[l + 1])) for l in range(n_layers)]
    batches = [(start, min(start + batch_size, X.shape[0]))
               for start in range(0, X.shape[0], batch_size)]
    widths = {stop - start for start, stop in batches}
    # Buffers per batch height (the last batch may be shorter).
    a = {B: [np.empty((B, sizes[l + 1])) for l in range(n_layers)] for B in widths}
    grad_a = {B: [rng.standard_normal((B, sizes[l + 1])) for l in range(n_layers)]
              for B in widths}
    grad_z = {B: [np.empty((B, sizes[l])) for l in range(n_layers)] for B in widths}
    grad_W = [np.empty_like(w) for w in W]

    def run() -> float:
        for start, stop in batches:
            B = stop - start
            z = X[start:stop]
            inputs = []
            for l in range(n_layers):
                inputs.append(z)
                z = np.matmul(z, W[l], out=a[B][l])
            for l in reversed(range(n_layers)):
                np.matmul(inputs[l].T, grad_a[B][l], out=grad_W[l])
                if l > 0:
                    np.matmul(grad_a[B][l], W[l].T, out=grad_z[B][l])
        return float("nan")

    return run
