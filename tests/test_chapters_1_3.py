"""Checks that chapters 1-3 rely on but do not show: the two gradient layouts of matrix calculus,
and the relative error as chapter 1 defines it."""

import numpy as np
import pytest

from mlp_from_scratch import functional as F
from mlp_from_scratch import numerical_gradient, relative_error


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_numerator_layout_of_dL_dW_is_the_transpose_of_the_books_gradient(seed):
    """For one sample, dL/dW_ij = z_i (dL/da_j) arranged with outputs j down the rows (the
    numerator layout) is the transpose of the book's dL/dW = z^T dL/da, which has W's shape."""
    rng = np.random.default_rng(seed)
    n_in, n_out = 3, 2
    z = rng.standard_normal((1, n_in))
    W = rng.standard_normal((n_in, n_out))
    b = rng.standard_normal(n_out)
    G = rng.standard_normal((1, n_out))  # L = sum(G * a), so dL/da = G

    grad_W = numerical_gradient(lambda _: float(np.sum(G * F.linear_forward(z, W, b))), W)
    assert grad_W.shape == W.shape

    numerator = np.array([[z[0, i] * G[0, j] for i in range(n_in)] for j in range(n_out)])
    assert numerator.shape == (n_out, n_in) == W.T.shape
    assert relative_error(numerator.T, grad_W) < 1e-7
    assert relative_error(z.T @ G, grad_W) < 1e-7
    assert relative_error(numerator, grad_W.T) < 1e-7


def test_relative_error_is_the_formula_of_chapter_1():
    rng = np.random.default_rng(0)
    for shape in [(1,), (3, 4), (2, 3, 5)]:
        a, b = rng.standard_normal(shape), rng.standard_normal(shape)
        expected = np.sqrt(np.sum((a - b) ** 2)) / (
            np.sqrt(np.sum(a**2)) + np.sqrt(np.sum(b**2)))
        assert relative_error(a, b) == pytest.approx(expected, rel=1e-12)
        assert relative_error(a, -a) == pytest.approx(1.0, rel=1e-15)
        assert 0.0 <= relative_error(a, b) <= 1.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
