"""Checks behind chapter 6 (losses) that its core no longer shows.

The chapter checks each equation once, on one shape; these tests keep the symbolic checks, the
row-by-row check of the softmax backward, the loss classes and the graded exercise that the
chapter used to show. The loss conventions, the Jacobian's properties, the J-versus-Jᵀ test and
the floating-point demonstrations have their checks on the chapter's depth pages; the sweeps over
more shapes are in tests/test_chapters_6_7.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from mlp_from_scratch import MSELoss, SoftmaxCrossEntropyLoss, numerical_gradient, relative_error
from mlp_from_scratch import functional as F
from mlp_from_scratch.grading import grade

H = 1e-6  # the finite-difference step h


def test_mse_gradient_symbolically_for_a_2_by_2_batch():
    Yhat = sp.Matrix(2, 2, lambda n, k: sp.Symbol(f"yhat_{n}{k}"))
    Y = sp.Matrix(2, 2, lambda n, k: sp.Symbol(f"y_{n}{k}"))
    L = sum((Yhat[n, k] - Y[n, k]) ** 2 for n in range(2) for k in range(2)) / (2 * 2)
    grad = Yhat.applyfunc(lambda v: sp.diff(L, v))
    assert sp.simplify(grad - (Yhat - Y) / 2) == sp.zeros(2, 2)


def test_a_forgotten_one_over_N_is_caught_by_central_differences():
    rng = np.random.default_rng(0)
    pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    numeric = numerical_gradient(lambda p: F.mse(p, target), pred, H)
    grad = F.mse_backward(pred, target)
    assert relative_error(grad, numeric) < 1e-7
    # N * grad against grad: relative error (N - 1) / (N + 1) = 0.6 for N = 4
    assert np.isclose(relative_error(4 * grad, numeric), 0.6, rtol=1e-6)


def test_softmax_jacobian_symbolically_for_three_classes():
    a = sp.Matrix(1, 3, sp.symbols("a0:3"))  # one row, as in the book
    S = sum(sp.exp(ak) for ak in a)
    p = a.applyfunc(lambda ak: sp.exp(ak) / S)
    J = sp.Matrix(3, 3, lambda k, k2: sp.diff(p[k], a[k2]))  # J_kk' = dp_k/da_k'
    assert sp.simplify(J - (sp.diag(*p) - p.T * p)) == sp.zeros(3, 3)


@pytest.mark.parametrize("N, K", [(1, 2), (7, 5), (3, 9)])
def test_softmax_backward_is_g_times_the_jacobian_row_by_row(N, K):
    rng = np.random.default_rng(N * 10 + K)
    a = 2 * rng.standard_normal((N, K))
    p = F.softmax(a)
    grad_p = rng.standard_normal(p.shape)
    grad_a = F.softmax_backward(grad_p, p)
    for n in range(N):
        assert np.allclose(grad_a[n], grad_p[n] @ F.softmax_jacobian(p[n]), rtol=1e-12, atol=1e-15)
    numeric = numerical_gradient(lambda v: np.sum(F.softmax(v) * grad_p), a.copy(), H)
    assert relative_error(grad_a, numeric) < 1e-7


def test_fused_gradient_symbolically_for_two_rows_of_three_classes():
    labels = [0, 2]
    A = sp.Matrix(2, 3, lambda n, k: sp.Symbol(f"a_{n}{k}"))
    sums = [sum(sp.exp(A[n, k]) for k in range(3)) for n in range(2)]
    P = sp.Matrix(2, 3, lambda n, k: sp.exp(A[n, k]) / sums[n])
    L = -sum(sp.log(P[n, labels[n]]) for n in range(2)) / 2
    grad = A.applyfunc(lambda v: sp.diff(L, v))
    onehot = sp.Matrix(2, 3, lambda n, k: 1 if k == labels[n] else 0)
    assert sp.simplify(grad - (P - onehot) / 2) == sp.zeros(2, 3)


def test_the_loss_classes_return_what_the_functions_return():
    rng = np.random.default_rng(1)
    pred, target = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    mse_loss = MSELoss()
    assert mse_loss(pred, target) == F.mse(pred, target)
    assert np.array_equal(mse_loss.backward(), F.mse_backward(pred, target))
    logits, labels = rng.standard_normal((5, 3)), rng.integers(0, 3, size=5)
    ce_loss = SoftmaxCrossEntropyLoss()
    assert ce_loss(logits, labels) == F.softmax_cross_entropy(logits, labels)
    assert np.array_equal(ce_loss.backward(), F.softmax_cross_entropy_backward(logits, labels))


def test_the_fused_gradient_written_from_softmax_passes_the_grader():
    def my_softmax_cross_entropy_backward(logits, labels):
        N = logits.shape[0]
        grad = F.softmax(logits)  # a new array
        grad[np.arange(N), labels] -= 1.0
        return grad / N

    rng = np.random.default_rng(3)
    logits, labels = rng.standard_normal((5, 3)), rng.integers(0, 3, size=5)
    assert grade(my_softmax_cross_entropy_backward, F.softmax_cross_entropy_backward,
                 logits, labels, names=("grad_logits",))


def test_the_pencil_example_of_the_chapter():
    a, y = np.log([[4.0, 2.0, 1.0]]), np.array([1])
    assert np.allclose(F.softmax(a), [[4 / 7, 2 / 7, 1 / 7]], rtol=1e-14)
    assert np.isclose(F.softmax_cross_entropy(a, y), np.log(3.5), rtol=1e-14)
    grad = F.softmax_cross_entropy_backward(a, y)
    assert np.allclose(grad, [[4 / 7, -5 / 7, 1 / 7]], rtol=1e-14)
    assert abs(grad.sum()) < 1e-15
