"""The pure functions of mlp_from_scratch.functional against independent references."""

import numpy as np
import pytest

from helpers import TOL, away_from_zero, central_difference, random_shapes, rel_error
from mlp_from_scratch import functional as F

SEED = 20240601


def _shapes(count=4):
    return random_shapes(np.random.default_rng(SEED), count=count)


# --------------------------------------------------------------------------- linear


def test_linear_forward_is_z_times_W_plus_b():
    rng = np.random.default_rng(SEED)
    for n, n_in in _shapes():
        n_out = int(rng.integers(1, 5))
        z = rng.normal(size=(n, n_in))
        W = rng.normal(size=(n_in, n_out))
        b = rng.normal(size=n_out)
        a = F.linear_forward(z, W, b)
        assert a.shape == (n, n_out)
        expected = np.array(
            [
                [
                    sum(z[i, k] * W[k, j] for k in range(n_in)) + b[j]
                    for j in range(n_out)
                ]
                for i in range(n)
            ]
        )
        np.testing.assert_allclose(a, expected, rtol=1e-12, atol=1e-12)


def test_linear_forward_without_bias_is_z_times_W():
    rng = np.random.default_rng(SEED)
    z = rng.normal(size=(4, 3))
    W = rng.normal(size=(3, 2))
    np.testing.assert_allclose(F.linear_forward(z, W), z @ W, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(
        F.linear_forward(z, W, None), z @ W, rtol=1e-14, atol=1e-14
    )


def test_linear_backward_matches_finite_differences():
    rng = np.random.default_rng(SEED)
    for n, n_in in _shapes():
        n_out = int(rng.integers(1, 5))
        z = rng.normal(size=(n, n_in))
        W = rng.normal(size=(n_in, n_out))
        b = rng.normal(size=n_out)
        G = rng.normal(size=(n, n_out))  # upstream gradient grad_a of L = sum(G * a)

        grad_z, grad_W, grad_b = F.linear_backward(G, z, W)
        num_z = central_difference(lambda z_: np.sum(G * F.linear_forward(z_, W, b)), z)
        num_W = central_difference(lambda W_: np.sum(G * F.linear_forward(z, W_, b)), W)
        num_b = central_difference(lambda b_: np.sum(G * F.linear_forward(z, W, b_)), b)

        assert (
            grad_z.shape == z.shape
            and grad_W.shape == W.shape
            and grad_b.shape == b.shape
        )
        assert rel_error(grad_z, num_z) <= TOL
        assert rel_error(grad_W, num_W) <= TOL
        assert rel_error(grad_b, num_b) <= TOL


def test_linear_grad_functions_match_finite_differences():
    rng = np.random.default_rng(SEED + 1)
    for n, n_in in _shapes():
        n_out = int(rng.integers(1, 5))
        z = rng.normal(size=(n, n_in))
        W = rng.normal(size=(n_in, n_out))
        b = rng.normal(size=n_out)
        G = rng.normal(size=(n, n_out))
        assert (
            rel_error(
                F.linear_grad_W(z, G),
                central_difference(
                    lambda W_: np.sum(G * F.linear_forward(z, W_, b)), W
                ),
            )
            <= TOL
        )
        assert (
            rel_error(
                F.linear_grad_b(G),
                central_difference(
                    lambda b_: np.sum(G * F.linear_forward(z, W, b_)), b
                ),
            )
            <= TOL
        )
        assert (
            rel_error(
                F.linear_grad_z(G, W),
                central_difference(
                    lambda z_: np.sum(G * F.linear_forward(z_, W, b)), z
                ),
            )
            <= TOL
        )


def test_linear_gradients_match_the_broadcasting_form():
    """dL/dW[i,j] = sum_n z[n,i] grad_a[n,j]: add an axis, multiply, sum the sample axis away."""
    rng = np.random.default_rng(SEED + 2)
    for n, n_in in _shapes(6):
        n_out = int(rng.integers(1, 6))
        z = rng.normal(size=(n, n_in))
        W = rng.normal(size=(n_in, n_out))
        grad_a = rng.normal(size=(n, n_out))

        grad_W_broadcast = (z[:, :, None] * grad_a[:, None, :]).sum(axis=0)
        grad_z_broadcast = (grad_a[:, None, :] * W[None, :, :]).sum(axis=2)
        grad_b_broadcast = np.einsum("nj->j", grad_a)

        np.testing.assert_allclose(
            F.linear_grad_W(z, grad_a), grad_W_broadcast, rtol=1e-12, atol=1e-12
        )
        np.testing.assert_allclose(
            F.linear_grad_z(grad_a, W), grad_z_broadcast, rtol=1e-12, atol=1e-12
        )
        np.testing.assert_allclose(
            F.linear_grad_b(grad_a), grad_b_broadcast, rtol=1e-12, atol=1e-12
        )

        grad_z, grad_W, grad_b = F.linear_backward(grad_a, z, W)
        np.testing.assert_allclose(grad_W, grad_W_broadcast, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grad_z, grad_z_broadcast, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grad_b, grad_b_broadcast, rtol=1e-12, atol=1e-12)


def test_linear_backward_does_not_modify_its_arguments():
    rng = np.random.default_rng(SEED)
    z, W, grad_a = (
        rng.normal(size=(5, 3)),
        rng.normal(size=(3, 2)),
        rng.normal(size=(5, 2)),
    )
    copies = [z.copy(), W.copy(), grad_a.copy()]
    F.linear_backward(grad_a, z, W)
    for original, copy in zip((z, W, grad_a), copies):
        assert np.array_equal(original, copy)


# --------------------------------------------------------------------------- activations


def test_sigmoid_matches_the_logistic_formula():
    a = np.linspace(-8.0, 8.0, 33).reshape(3, 11)
    np.testing.assert_allclose(
        F.sigmoid(a), 1.0 / (1.0 + np.exp(-a)), rtol=1e-14, atol=0
    )


def test_tanh_matches_numpy_tanh():
    a = np.linspace(-5.0, 5.0, 24).reshape(4, 6)
    np.testing.assert_allclose(F.tanh(a), np.tanh(a), rtol=1e-14, atol=1e-15)


def test_relu_is_the_positive_part():
    a = np.array([[-2.0, -0.0, 0.0, 0.5, 3.0]])
    assert np.array_equal(F.relu(a), np.array([[0.0, 0.0, 0.0, 0.5, 3.0]]))


@pytest.mark.parametrize(
    "forward, backward, uses_output",
    [
        (F.sigmoid, F.sigmoid_backward, True),
        (F.tanh, F.tanh_backward, True),
        (F.relu, F.relu_backward, False),
    ],
    ids=["sigmoid", "tanh", "relu"],
)
def test_activation_backward_matches_finite_differences(forward, backward, uses_output):
    rng = np.random.default_rng(SEED + 3)
    for shape in _shapes():
        a = away_from_zero(rng, shape, low=0.1, high=3.0)
        G = rng.normal(size=shape)  # upstream gradient grad_z of L = sum(G * z)
        stored = forward(a) if uses_output else a
        grad_a = backward(G, stored)
        numeric = central_difference(lambda a_: np.sum(G * forward(a_)), a)
        assert grad_a.shape == a.shape
        assert rel_error(grad_a, numeric) <= TOL


def test_sigmoid_backward_uses_z_times_one_minus_z():
    rng = np.random.default_rng(SEED)
    z = rng.uniform(0.01, 0.99, size=(3, 4))
    G = rng.normal(size=(3, 4))
    np.testing.assert_allclose(
        F.sigmoid_backward(G, z), G * z * (1 - z), rtol=1e-14, atol=0
    )


def test_tanh_backward_uses_one_minus_z_squared():
    rng = np.random.default_rng(SEED)
    z = rng.uniform(-0.99, 0.99, size=(3, 4))
    G = rng.normal(size=(3, 4))
    np.testing.assert_allclose(
        F.tanh_backward(G, z), G * (1 - z**2), rtol=1e-14, atol=1e-16
    )


def test_relu_backward_is_zero_at_the_kink_and_for_negative_inputs():
    a = np.array([[-1.0, 0.0, 2.0]])
    G = np.array([[5.0, 7.0, 11.0]])
    assert np.array_equal(F.relu_backward(G, a), np.array([[0.0, 0.0, 11.0]]))


@pytest.mark.parametrize(
    "backward, stored",
    [
        (F.sigmoid_backward, np.full((3, 4), 0.25)),
        (F.tanh_backward, np.full((3, 4), 0.5)),
        (F.relu_backward, np.array([[-1.0, 2.0, -3.0, 4.0]] * 3)),
    ],
    ids=["sigmoid", "tanh", "relu"],
)
def test_activation_backward_does_not_modify_the_incoming_gradient(backward, stored):
    G = np.arange(12.0).reshape(3, 4) + 1.0
    G_copy, stored_copy = G.copy(), stored.copy()
    out = backward(G, stored)
    assert np.array_equal(G, G_copy)
    assert np.array_equal(stored, stored_copy)
    assert out is not G


# --------------------------------------------------------------------------- softmax


def test_softmax_rows_are_probabilities():
    rng = np.random.default_rng(SEED)
    for shape in _shapes():
        p = F.softmax(rng.normal(scale=3.0, size=shape))
        assert p.shape == shape
        assert np.all(p > 0)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-14)


def test_softmax_matches_the_direct_formula_and_is_shift_invariant():
    rng = np.random.default_rng(SEED)
    a = rng.normal(size=(5, 4))
    direct = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(F.softmax(a), direct, rtol=1e-13, atol=0)
    shifts = rng.normal(scale=50.0, size=(5, 1))
    np.testing.assert_allclose(F.softmax(a + shifts), direct, rtol=1e-12, atol=0)


def test_log_softmax_equals_log_of_softmax():
    rng = np.random.default_rng(SEED)
    a = rng.normal(scale=2.0, size=(6, 5))
    direct = a - np.log(np.exp(a).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(F.log_softmax(a), direct, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(
        np.exp(F.log_softmax(a)), F.softmax(a), rtol=1e-13, atol=0
    )


def test_softmax_jacobian_matches_finite_differences_of_softmax():
    rng = np.random.default_rng(SEED + 4)
    for K in (1, 2, 3, 5, 8):
        a = rng.normal(size=K)
        p = F.softmax(a[None, :])[0]
        J = F.softmax_jacobian(p)
        assert J.shape == (K, K)
        numeric = np.empty((K, K))
        for i in range(K):  # row i: gradient of p_i with respect to a
            numeric[i] = central_difference(lambda a_: F.softmax(a_[None, :])[0, i], a)
        assert rel_error(J, numeric) <= TOL
        np.testing.assert_allclose(
            J, np.diag(p) - np.outer(p, p), rtol=1e-14, atol=1e-16
        )


def test_softmax_backward_matches_finite_differences():
    rng = np.random.default_rng(SEED + 5)
    for shape in _shapes():
        a = rng.normal(size=shape)
        G = rng.normal(size=shape)  # upstream gradient grad_p of L = sum(G * p)
        grad_a = F.softmax_backward(G, F.softmax(a))
        numeric = central_difference(lambda a_: np.sum(G * F.softmax(a_)), a)
        assert grad_a.shape == shape
        assert rel_error(grad_a, numeric) <= TOL


def test_softmax_backward_is_the_rowwise_jacobian_product():
    rng = np.random.default_rng(SEED + 6)
    a = rng.normal(size=(4, 5))
    G = rng.normal(size=(4, 5))
    p = F.softmax(a)
    rowwise = np.stack([F.softmax_jacobian(p[i]) @ G[i] for i in range(4)])
    np.testing.assert_allclose(
        F.softmax_backward(G, p), rowwise, rtol=1e-12, atol=1e-14
    )


def test_one_hot_puts_a_single_one_per_row():
    labels = np.array([2, 0, 1, 2])
    Y = F.one_hot(labels, 3)
    expected = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float64)
    assert Y.shape == (4, 3)
    assert np.array_equal(Y, expected)


# --------------------------------------------------------------------------- losses


def test_mse_is_sum_of_squares_over_two_n():
    rng = np.random.default_rng(SEED)
    for shape in _shapes():
        pred, target = rng.normal(size=shape), rng.normal(size=shape)
        value = F.mse(pred, target)
        assert isinstance(value, float)
        assert value == pytest.approx(
            np.sum((pred - target) ** 2) / (2 * shape[0]), rel=1e-14
        )


def test_mse_backward_matches_finite_differences():
    rng = np.random.default_rng(SEED + 7)
    for shape in _shapes():
        pred, target = rng.normal(size=shape), rng.normal(size=shape)
        grad = F.mse_backward(pred, target)
        np.testing.assert_allclose(grad, (pred - target) / shape[0], rtol=1e-14, atol=0)
        assert (
            rel_error(grad, central_difference(lambda p_: F.mse(p_, target), pred))
            <= TOL
        )


def test_softmax_cross_entropy_matches_the_direct_formula():
    rng = np.random.default_rng(SEED + 8)
    for n, K in _shapes():
        logits = rng.normal(scale=2.0, size=(n, K))
        labels = rng.integers(0, K, size=n)
        probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        direct = -np.mean(np.log(probabilities[np.arange(n), labels]))
        value = F.softmax_cross_entropy(logits, labels)
        assert isinstance(value, float)
        assert value == pytest.approx(direct, rel=1e-12, abs=1e-14)


def test_softmax_cross_entropy_backward_matches_finite_differences():
    rng = np.random.default_rng(SEED + 9)
    for n, K in _shapes():
        logits = rng.normal(size=(n, K))
        labels = rng.integers(0, K, size=n)
        grad = F.softmax_cross_entropy_backward(logits, labels)
        numeric = central_difference(
            lambda l_: F.softmax_cross_entropy(l_, labels), logits
        )
        assert grad.shape == logits.shape
        assert rel_error(grad, numeric) <= TOL
        expected = (F.softmax(logits) - np.eye(K)[labels]) / n
        np.testing.assert_allclose(grad, expected, rtol=1e-13, atol=1e-16)


def test_loss_functions_do_not_modify_their_arguments():
    rng = np.random.default_rng(SEED)
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    labels = np.array([0, 2, 1, 1])
    copies = pred.copy(), target.copy(), labels.copy()
    F.mse(pred, target)
    F.mse_backward(pred, target)
    F.softmax_cross_entropy(pred, labels)
    F.softmax_cross_entropy_backward(pred, labels)
    assert np.array_equal(pred, copies[0])
    assert np.array_equal(target, copies[1])
    assert np.array_equal(labels, copies[2])
