"""Sweeps behind the single visible checks of chapters 6 (losses) and 7 (backprop through an MLP).

Each chapter checks an equation once, on one shape; these tests repeat the checks over more
shapes and keep the checks that the chapters no longer show.
"""

from __future__ import annotations

import numpy as np
import pytest

from mlp_from_scratch import (
    MSELoss, Sequential, Sigmoid, Linear, Tanh, numerical_gradient, relative_error)
from mlp_from_scratch import functional as F

SHAPES = [(1, 1), (5, 1), (4, 3), (7, 2)]


@pytest.mark.parametrize("N, K", SHAPES)
def test_mse_equals_the_double_sum_of_eq_mse(N, K):
    rng = np.random.default_rng(N * 10 + K)
    pred, target = rng.standard_normal((N, K)), rng.standard_normal((N, K))
    loop = sum((pred[n, k] - target[n, k]) ** 2 for n in range(N) for k in range(K)) / (2 * N)
    assert abs(F.mse(pred, target) - loop) <= 1e-14 * max(1.0, loop)


@pytest.mark.parametrize("N, K", SHAPES)
def test_mse_backward_matches_central_differences(N, K):
    rng = np.random.default_rng(N * 10 + K)
    pred, target = rng.standard_normal((N, K)), rng.standard_normal((N, K))
    numeric = numerical_gradient(lambda p: F.mse(p, target), pred)
    assert relative_error(F.mse_backward(pred, target), numeric) < 1e-7


@pytest.mark.parametrize("K", [2, 3, 5, 8])
def test_softmax_jacobian_rows_are_the_gradients_of_the_probabilities(K):
    rng = np.random.default_rng(K)
    a_row = rng.standard_normal(K) * 2
    J = F.softmax_jacobian(F.softmax(a_row[None, :])[0])
    J_numeric = np.array([
        numerical_gradient(lambda v: F.softmax(v[None, :])[0, i], a_row.copy())
        for i in range(K)])
    assert relative_error(J, J_numeric) < 1e-7


@pytest.mark.parametrize("N, K", [(1, 2), (4, 3), (9, 5), (3, 10)])
def test_softmax_cross_entropy_backward_matches_central_differences(N, K):
    rng = np.random.default_rng(N * 100 + K)
    logits, labels = rng.standard_normal((N, K)) * 2, rng.integers(0, K, size=N)
    numeric = numerical_gradient(lambda v: F.softmax_cross_entropy(v, labels), logits.copy())
    fused = F.softmax_cross_entropy_backward(logits, labels)
    assert relative_error(fused, numeric) < 1e-7


@pytest.mark.parametrize("K", [3, 4, 6])
def test_log_softmax_jacobian_tells_the_vjp_from_its_transpose(K):
    # softmax's Jacobian is symmetric, so only a non-symmetric one can catch J for J^T
    rng = np.random.default_rng(K)
    a_row, g = rng.standard_normal(K) * 2, rng.standard_normal(K)
    p = F.softmax(a_row[None, :])[0]
    J = np.eye(K) - p[None, :]                          # d log p_i / d a_j = delta_ij - p_j
    numeric = numerical_gradient(lambda v: g @ F.log_softmax(v[None, :])[0], a_row.copy())
    assert relative_error(g @ J, numeric) < 1e-7
    assert relative_error(J @ g, numeric) > 1e-2
    J_soft = F.softmax_jacobian(p)
    assert np.allclose(g @ J_soft, J_soft @ g, rtol=1e-12, atol=1e-15)   # why softmax cannot


def test_hand_unrolled_backward_of_four_linear_layers_equals_sequential_backward():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 1)), rng.standard_normal((8, 1))
    deeper = Sequential(
        Linear(1, 10, init="normal", rng=1), Sigmoid(),
        Linear(10, 10, init="normal", rng=2), Sigmoid(),
        Linear(10, 10, init="normal", rng=3), Sigmoid(),
        Linear(10, 1, init="normal", rng=4),
    )
    Ws = [layer.params["W"] for layer in deeper.layers[::2]]
    bs = [layer.params["b"] for layer in deeper.layers[::2]]
    zs = [X]                                       # z^(0) = X, z^(1), z^(2), z^(3)
    for W, b in zip(Ws[:-1], bs[:-1]):
        zs.append(F.sigmoid(F.linear_forward(zs[-1], W, b)))
    grad_a = F.mse_backward(F.linear_forward(zs[-1], Ws[-1], bs[-1]), y)
    hand = [None] * 4
    for l in range(3, -1, -1):
        hand[l] = (F.linear_grad_W(zs[l], grad_a), F.linear_grad_b(grad_a))
        if l > 0:
            grad_a = F.sigmoid_backward(F.linear_grad_z(grad_a, Ws[l]), zs[l])
    loss = MSELoss()
    loss(deeper(X), y)
    deeper.backward(loss.backward())
    for l, layer in enumerate(deeper.layers[::2]):
        assert np.array_equal(layer.grads["W"], hand[l][0])
        assert np.array_equal(layer.grads["b"], hand[l][1])


@pytest.mark.parametrize("seed", range(5))
def test_a_tied_weight_needs_the_sum_of_the_gradients_of_its_uses(seed):
    tied = Sequential(Linear(3, 3, rng=seed), Tanh(), Linear(3, 3, rng=seed + 100))
    tied.layers[2].params["W"] = tied.layers[0].params["W"]
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    loss = MSELoss()
    loss(tied(X), y)
    tied.backward(loss.backward())
    numeric = numerical_gradient(lambda _: loss(tied(X), y), tied.layers[0].params["W"])
    first, second = tied.layers[0].grads["W"], tied.layers[2].grads["W"]
    assert relative_error(first + second, numeric) < 1e-7
    assert relative_error(first, numeric) > 1e-3
    assert relative_error(second, numeric) > 1e-3


@pytest.mark.parametrize("N, n_hidden", [(1, 2), (5, 3), (8, 4)])
def test_rows_of_grad_a_are_each_cases_error_derivative_divided_by_N(N, n_hidden):
    # chapter 7: row n of dL/da = (1/N) dE_n/dx (Nature paper) = -delta_n / N (PDP chapter)
    rng = np.random.default_rng(N + 10 * n_hidden)
    X, y = rng.standard_normal((N, 2)), rng.standard_normal((N, 2))
    W1, b1 = rng.standard_normal((2, n_hidden)), rng.standard_normal(n_hidden)
    W2, b2 = rng.standard_normal((n_hidden, 2)), rng.standard_normal(2)
    a1 = F.linear_forward(X, W1, b1)
    yhat = F.linear_forward(F.sigmoid(a1), W2, b2)
    grad_a1 = F.sigmoid_backward(F.linear_grad_z(F.mse_backward(yhat, y), W2), F.sigmoid(a1))
    for n in range(N):
        def E_n(x, n=n):
            return 0.5 * np.sum((F.sigmoid(x) @ W2 + b2 - y[n]) ** 2)
        dE_dx = numerical_gradient(E_n, a1[n].copy())
        assert relative_error(N * grad_a1[n], dE_dx) < 1e-7
        if N > 1:
            assert relative_error(grad_a1[n], dE_dx) > 1e-2       # the 1/N is there
