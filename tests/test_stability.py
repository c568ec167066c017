"""Numerical safety: extreme inputs stay finite, with floating-point errors turned into exceptions."""

import numpy as np
import pytest

from mlp_from_scratch import MLP, Sigmoid, SoftmaxCrossEntropyLoss, Tanh
from mlp_from_scratch import functional as F

EXTREMES = np.array(
    [[-1e4, -1e3, -745.0, -709.0, -40.0, -1.0, 0.0, 1.0, 40.0, 709.0, 745.0, 1e3, 1e4]]
)


@pytest.fixture(autouse=True)
def raise_on_floating_point_errors():
    """Any overflow, invalid operation or division by zero becomes a FloatingPointError."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield


def test_sigmoid_is_finite_and_saturates_for_inputs_of_1e4():
    z = F.sigmoid(EXTREMES)
    assert np.all(np.isfinite(z))
    assert np.all((z >= 0.0) & (z <= 1.0))
    assert F.sigmoid(np.array([[1e4]]))[0, 0] == 1.0
    assert 0.0 <= F.sigmoid(np.array([[-1e4]]))[0, 0] < 1e-300
    assert np.all(np.diff(z[0]) >= 0)  # monotone across the whole range
    np.testing.assert_allclose(
        F.sigmoid(np.array([[-40.0, 40.0]])), [[np.exp(-40.0), 1.0]], rtol=1e-14
    )


def test_sigmoid_is_symmetric_at_extreme_inputs():
    z = F.sigmoid(EXTREMES)
    np.testing.assert_allclose(z + F.sigmoid(-EXTREMES), 1.0, rtol=0, atol=1e-15)


def test_sigmoid_backward_is_finite_and_vanishes_at_extreme_inputs():
    z = F.sigmoid(EXTREMES)
    grad = F.sigmoid_backward(np.ones_like(z), z)
    assert np.all(np.isfinite(grad))
    assert grad[0, 0] == 0.0 and grad[0, -1] == 0.0
    assert grad[0, 6] == 0.25


def test_tanh_is_finite_and_saturates_for_inputs_of_1e4():
    z = F.tanh(EXTREMES)
    assert np.all(np.isfinite(z))
    assert z[0, 0] == -1.0 and z[0, -1] == 1.0
    grad = F.tanh_backward(np.ones_like(z), z)
    assert np.all(np.isfinite(grad))
    assert grad[0, 0] == 0.0 and grad[0, -1] == 0.0 and grad[0, 6] == 1.0


def test_relu_passes_extreme_inputs_through_exactly():
    assert np.array_equal(F.relu(EXTREMES), np.maximum(EXTREMES, 0.0))
    assert np.array_equal(
        F.relu_backward(np.ones_like(EXTREMES), EXTREMES), (EXTREMES > 0).astype(float)
    )


@pytest.mark.parametrize("layer", [Sigmoid(), Tanh()], ids=["sigmoid", "tanh"])
def test_activation_layers_are_finite_at_extreme_inputs(layer):
    out = layer.forward(EXTREMES)
    grad = layer.backward(np.ones_like(EXTREMES))
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad))


def test_softmax_is_finite_for_logits_of_1e4_of_either_sign():
    a = np.array(
        [[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4], [-1e4, 1e4, 9999.0]]
    )
    p = F.softmax(a)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(p[0], [1.0, 0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(p[1], [1 / 3, 1 / 3, 1 / 3], rtol=1e-15)
    np.testing.assert_allclose(p[2], [0.5, 0.5, 0.0], atol=1e-300)
    np.testing.assert_allclose(
        p[3], [0.0, 1 / (1 + np.exp(-1.0)), 1 / (1 + np.exp(1.0))], rtol=1e-14
    )


def test_log_softmax_is_finite_where_softmax_underflows():
    a = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])
    logp = F.log_softmax(a)
    assert np.all(np.isfinite(logp))
    np.testing.assert_allclose(logp[0], [0.0, -1e4, -2e4], rtol=1e-15, atol=0)
    np.testing.assert_allclose(logp[1], -np.log(3.0), rtol=1e-15)


def test_softmax_backward_is_finite_at_extreme_logits():
    a = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 9999.0]])
    p = F.softmax(a)
    grad = F.softmax_backward(np.ones_like(a) * 1e3, p)
    assert np.all(np.isfinite(grad))


def test_cross_entropy_is_finite_for_logits_of_1e4():
    logits = np.array([[1e4, -1e4], [1e4, 0.0], [-1e4, 1e4]])
    # confidently right: loss 0; confidently wrong by a margin of 1e4: loss 1e4 (the margin)
    assert F.softmax_cross_entropy(logits[:1], np.array([0])) == 0.0
    assert F.softmax_cross_entropy(logits[1:2], np.array([1])) == pytest.approx(
        1e4, rel=1e-15
    )
    assert F.softmax_cross_entropy(logits[:1], np.array([1])) == pytest.approx(
        2e4, rel=1e-15
    )
    value = F.softmax_cross_entropy(logits, np.array([0, 1, 0]))
    assert np.isfinite(value)
    assert value == pytest.approx((0.0 + 1e4 + 2e4) / 3, rel=1e-15)


def test_cross_entropy_backward_is_finite_and_bounded_for_logits_of_1e4():
    logits = np.array([[1e4, -1e4], [1e4, 0.0], [-1e4, 1e4]])
    labels = np.array([0, 1, 0])
    grad = F.softmax_cross_entropy_backward(logits, labels)
    assert np.all(np.isfinite(grad))
    assert np.all(np.abs(grad) <= 1.0 / 3)
    np.testing.assert_allclose(
        grad, [[0, 0], [1 / 3, -1 / 3], [-1 / 3, 1 / 3]], atol=1e-300
    )

    loss = SoftmaxCrossEntropyLoss()
    assert loss.forward(logits, labels) == pytest.approx(1e4, rel=1e-15)
    assert np.array_equal(loss.backward(), grad)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_network_with_cross_entropy_stays_finite_for_huge_inputs(activation):
    model = MLP([2, 8, 3], activation=activation, rng=np.random.default_rng(0))
    X = np.array([[1e4, -1e4], [-1e4, 1e4], [1e4, 1e4]])
    loss = SoftmaxCrossEntropyLoss()
    value = loss.forward(model.forward(X), np.array([0, 1, 2]))
    grad_X = model.backward(loss.backward())
    assert np.isfinite(value)
    assert np.all(np.isfinite(grad_X))
    for layer in model.layers:
        for grad in layer.grads.values():
            assert np.all(np.isfinite(grad))


def test_errstate_fixture_really_raises():
    with pytest.raises(FloatingPointError):
        np.exp(np.array([1e4]))
