"""Checks that chapter 4 (Backward through a Linear layer) relies on but does not show: its three
gradients on many shapes, from a single 1 x 1 weight to a batch of 32, by loops, by the package's
matrix forms and by central differences; the per-sample outer products; a batch of one row."""

import numpy as np
import pytest

from mlp_from_scratch import Linear, gradcheck_layer, relative_error
from mlp_from_scratch import functional as F

from helpers import TOL, central_difference

# (N, n_in, n_out): one sample, one output, sizes that all differ
SHAPES = [(1, 1, 1), (1, 4, 3), (5, 3, 2), (8, 6, 4), (32, 10, 7)]


def random_problem(N, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, n_in)), rng.standard_normal((n_in, n_out)),
            rng.standard_normal(n_out), rng.standard_normal((N, n_out)))


def probe(z, W, b, t):
    """The loss L = sum((a - t)**2) / 2 of a = zW + b, whose gradient dL/da is a - t."""
    r = F.linear_forward(z, W, b) - t
    return 0.5 * float(np.sum(r * r))


def grad_W_by_index(z, grad_a):
    """dL/dW_ij = sum_n z_ni dL/da_nj, one index at a time (eq-ch4-dW-index)."""
    N, n_in = z.shape
    n_out = grad_a.shape[1]
    grad_W = np.zeros((n_in, n_out))
    for i in range(n_in):
        for j in range(n_out):
            for n in range(N):
                grad_W[i, j] += z[n, i] * grad_a[n, j]
    return grad_W


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_weight_gradient_by_loops_matrix_and_central_differences(shape):
    z, W, b, t = random_problem(*shape, seed=1)
    grad_a = F.linear_forward(z, W, b) - t
    numeric = central_difference(lambda W_: probe(z, W_, b, t), W)
    grad_W = F.linear_grad_W(z, grad_a)
    assert grad_W.shape == W.shape
    assert relative_error(grad_W_by_index(z, grad_a), numeric) < TOL
    assert relative_error(grad_W, numeric) < TOL
    assert np.allclose(grad_W, grad_W_by_index(z, grad_a), rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_bias_gradient_is_the_sum_over_the_rows(shape):
    z, W, b, t = random_problem(*shape, seed=4)
    grad_a = F.linear_forward(z, W, b) - t
    grad_b = F.linear_grad_b(grad_a)
    assert grad_b.shape == b.shape
    assert relative_error(grad_b, central_difference(lambda b_: probe(z, W, b_, t), b)) < TOL


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_input_gradient_is_grad_a_times_W_transposed(shape):
    z, W, b, t = random_problem(*shape, seed=8)
    grad_a = F.linear_forward(z, W, b) - t
    grad_z = F.linear_grad_z(grad_a, W)
    assert grad_z.shape == z.shape
    assert relative_error(grad_z, central_difference(lambda z_: probe(z_, W, b, t), z)) < TOL


def test_single_sample_weight_gradient_index_by_index():
    # eq-ch4-dW-single: dL/dW_ij = z_i dL/da_j, for one sample
    z, W, b, t = random_problem(1, 4, 3, seed=0)
    grad_a = F.linear_forward(z, W, b) - t
    by_index = np.array([[z[0, i] * grad_a[0, j] for j in range(3)] for i in range(4)])
    assert relative_error(by_index, central_difference(lambda W_: probe(z, W_, b, t), W)) < TOL
    # the pencil example: z = (1, 2), dL/da = (3, -1)
    assert np.array_equal(F.linear_grad_W(np.array([[1.0, 2.0]]), np.array([[3.0, -1.0]])),
                          [[3.0, -1.0], [6.0, -2.0]])


def test_weight_gradient_is_a_sum_of_rank_one_outer_products():
    z, W, b, t = random_problem(3, 5, 4, seed=3)
    grad_a = F.linear_forward(z, W, b) - t
    outer = [np.outer(z[n], grad_a[n]) for n in range(3)]
    grad_W = F.linear_grad_W(z, grad_a)
    assert np.allclose(sum(outer), grad_W, rtol=1e-12)
    assert [np.linalg.matrix_rank(m) for m in outer] == [1, 1, 1]
    assert np.linalg.matrix_rank(grad_W) == 3          # rank at most N = 3


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("N", [1, 7])
def test_linear_layer_passes_gradcheck_with_and_without_bias(bias, N):
    rng = np.random.default_rng(14 + N)
    layer = Linear(4, 6, bias=bias, rng=rng)
    errors = gradcheck_layer(layer, rng.standard_normal((N, 4)), rng=rng)
    assert set(errors) == ({"input", "W", "b"} if bias else {"input", "W"})
    assert max(errors.values()) < TOL, errors


def test_averaging_the_bias_gradient_is_off_by_exactly_n_minus_1_over_n_plus_1():
    # summing is right; a mean over N = 8 rows has relative error (N - 1) / (N + 1) = 7/9
    z, W, b, t = random_problem(8, 3, 2, seed=6)
    grad_a = F.linear_forward(z, W, b) - t
    numeric = central_difference(lambda b_: probe(z, W, b_, t), b)
    assert relative_error(grad_a.mean(axis=0), numeric) == pytest.approx(7 / 9, abs=1e-7)
