"""The loss classes: values against direct formulas, gradients against finite differences."""

import numpy as np
import pytest

from helpers import TOL, central_difference, random_shapes, rel_error, stored_footprint
from mlp_from_scratch import MSELoss, SoftmaxCrossEntropyLoss
from mlp_from_scratch import functional as F

SEED = 31


def test_mse_loss_is_sum_of_squares_over_two_n():
    rng = np.random.default_rng(SEED)
    for shape in random_shapes(rng, count=5):
        pred, target = rng.normal(size=shape), rng.normal(size=shape)
        loss = MSELoss()
        value = loss.forward(pred, target)
        assert isinstance(value, float)
        expected = sum((p - t) ** 2 for p, t in zip(pred.ravel(), target.ravel())) / (
            2 * shape[0]
        )
        assert value == pytest.approx(expected, rel=1e-13)
        assert loss(pred, target) == value


def test_mse_loss_backward_matches_finite_differences():
    rng = np.random.default_rng(SEED + 1)
    for shape in random_shapes(rng, count=5):
        pred, target = rng.normal(size=shape), rng.normal(size=shape)
        loss = MSELoss()
        loss.forward(pred, target)
        grad = loss.backward()
        assert grad.shape == shape
        numeric = central_difference(lambda p_: MSELoss().forward(p_, target), pred)
        assert rel_error(grad, numeric) <= TOL
        np.testing.assert_allclose(grad, (pred - target) / shape[0], rtol=1e-14, atol=0)


def test_mse_loss_of_a_perfect_prediction_is_zero():
    y = np.random.default_rng(SEED).normal(size=(4, 2))
    loss = MSELoss()
    assert loss.forward(y, y.copy()) == 0.0
    assert np.array_equal(loss.backward(), np.zeros((4, 2)))


def test_cross_entropy_loss_matches_the_direct_formula():
    rng = np.random.default_rng(SEED + 2)
    for n, K in random_shapes(rng, count=5):
        logits = rng.normal(scale=2.0, size=(n, K))
        labels = rng.integers(0, K, size=n)
        loss = SoftmaxCrossEntropyLoss()
        value = loss.forward(logits, labels)
        assert isinstance(value, float)
        direct = -np.mean(
            [logits[i, labels[i]] - np.log(np.sum(np.exp(logits[i]))) for i in range(n)]
        )
        assert value == pytest.approx(direct, rel=1e-12, abs=1e-14)


def test_cross_entropy_loss_backward_matches_finite_differences():
    rng = np.random.default_rng(SEED + 3)
    for n, K in random_shapes(rng, count=5):
        logits = rng.normal(size=(n, K))
        labels = rng.integers(0, K, size=n)
        loss = SoftmaxCrossEntropyLoss()
        loss.forward(logits, labels)
        grad = loss.backward()
        assert grad.shape == logits.shape
        numeric = central_difference(
            lambda l_: SoftmaxCrossEntropyLoss().forward(l_, labels), logits
        )
        assert rel_error(grad, numeric) <= TOL
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(
            grad, (p - np.eye(K)[labels]) / n, rtol=1e-12, atol=1e-16
        )


def test_cross_entropy_gradient_rows_sum_to_zero():
    rng = np.random.default_rng(SEED)
    loss = SoftmaxCrossEntropyLoss()
    loss.forward(rng.normal(size=(6, 4)), rng.integers(0, 4, size=6))
    np.testing.assert_allclose(loss.backward().sum(axis=1), 0.0, atol=1e-16)


def test_cross_entropy_accepts_whole_number_float_labels():
    rng = np.random.default_rng(SEED)
    logits = rng.normal(size=(3, 3))
    as_int = SoftmaxCrossEntropyLoss().forward(logits, np.array([0, 2, 1]))
    as_float = SoftmaxCrossEntropyLoss().forward(logits, np.array([0.0, 2.0, 1.0]))
    assert as_int == as_float


@pytest.mark.parametrize(
    "make", [MSELoss, SoftmaxCrossEntropyLoss], ids=["mse", "cross_entropy"]
)
def test_loss_backward_uses_the_last_forward_and_does_not_grow(make):
    rng = np.random.default_rng(SEED)
    loss = make()

    def batch(n):
        pred = rng.normal(size=(n, 3))
        target = (
            rng.normal(size=(n, 3)) if make is MSELoss else rng.integers(0, 3, size=n)
        )
        return pred, target

    loss.forward(*batch(5))
    pred, target = batch(4)
    loss.forward(pred, target)
    fresh = make()
    fresh.forward(pred, target)
    assert np.array_equal(loss.backward(), fresh.backward())

    footprint = stored_footprint(loss)
    for _ in range(200):
        loss.forward(pred, target)
        loss.backward()
    assert stored_footprint(loss) == footprint


@pytest.mark.parametrize(
    "make", [MSELoss, SoftmaxCrossEntropyLoss], ids=["mse", "cross_entropy"]
)
def test_loss_does_not_modify_its_arguments(make):
    rng = np.random.default_rng(SEED)
    pred = rng.normal(size=(5, 3))
    target = rng.normal(size=(5, 3)) if make is MSELoss else np.array([0, 1, 2, 1, 0])
    pred_copy, target_copy = pred.copy(), target.copy()
    loss = make()
    loss.forward(pred, target)
    grad = loss.backward()
    assert np.array_equal(pred, pred_copy)
    assert np.array_equal(target, target_copy)
    grad[...] = (
        0.0  # the caller owning the gradient must not corrupt the loss's own state
    )
    assert not np.array_equal(loss.backward(), grad)


def test_loss_classes_agree_with_their_functional_equations():
    rng = np.random.default_rng(11)
    for n, k in [(1, 2), (7, 3), (32, 10)]:
        logits = 5 * rng.standard_normal((n, k))
        labels = rng.integers(0, k, n)
        loss = SoftmaxCrossEntropyLoss()
        value = loss.forward(logits, labels)
        assert value == pytest.approx(F.softmax_cross_entropy(logits, labels), rel=1e-14)
        assert np.array_equal(
            loss.backward(), F.softmax_cross_entropy_backward(logits, labels)
        )
        pred, target = rng.standard_normal((n, k)), rng.standard_normal((n, k))
        mse = MSELoss()
        assert mse.forward(pred, target) == F.mse(pred, target)
        assert np.array_equal(mse.backward(), F.mse_backward(pred, target))
