"""Claims chapter 13 (bugs) and its depth page make about the source articles' code.

The faulty pieces are rewritten here in the few lines the chapter uses (a test cannot import a
notebook). Chapter 8 builds the layer that feeds `d_sigmoid` the input; chapter 13 only states
where that slip is wrong, which is checked here.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlp_from_scratch as M
from mlp_from_scratch import functional as F


def d_sigmoid(x):
    """The sine-fitting article's helper: right for the sigmoid's output, not its input."""
    return x * (1 - x)


def sigmoid_slope(a):
    s = 1 / (1 + np.exp(-a))
    return s * (1 - s)


# --- d_sigmoid fed the input --------------------------------------------------------------


def test_d_sigmoid_of_the_input_is_wrong_for_small_inputs_too():
    assert d_sigmoid(0.0) == 0.0 and sigmoid_slope(0.0) == 0.25


def test_d_sigmoid_of_the_input_is_close_only_near_one_half():
    a = np.linspace(-4, 4, 8001)
    close = np.abs(d_sigmoid(a) - sigmoid_slope(a)) < 0.02
    assert close[np.argmin(np.abs(a - 0.5))]
    assert a[close].min() > 0.25 and a[close].max() < 0.8     # one window around 0.5
    # it equals the slope only where a(1 - a) = s(1 - s): a = 1 - s(a) or a = s(a)
    for a0 in (0.4013, 0.6590):
        assert abs(d_sigmoid(a0) - sigmoid_slope(a0)) < 1e-3


def test_d_sigmoid_of_the_output_is_the_slope():
    a = np.linspace(-6, 6, 101)
    assert np.allclose(d_sigmoid(1 / (1 + np.exp(-a))), sigmoid_slope(a), rtol=1e-12)


class _SigmoidFedInput(M.Sigmoid):
    def forward(self, a):
        self._input = np.asarray(a, dtype=float)
        return super().forward(a)

    def backward(self, grad_z):
        return F.sigmoid_backward(grad_z, self._input)      # a where z belongs


@pytest.mark.parametrize("seed", range(5))
def test_a_layer_gradient_check_catches_d_sigmoid_fed_the_input(seed):
    x = np.random.default_rng(seed).standard_normal((5, 3))
    assert M.gradcheck_layer(_SigmoidFedInput(), x)["input"] > 0.1
    assert M.gradcheck_layer(M.Sigmoid(), x)["input"] < 1e-7


# --- the two-moons article's printed loss -------------------------------------------------


def _printed_loss(logits, labels):
    return -np.mean(np.log(logits[np.arange(len(labels)), labels] + 1e-12))


@pytest.fixture(scope="module")
def moons():
    X_all, _, y_all, _ = M.make_moons_split(n_samples=1000, random_state=0, test_size=0.2)
    return X_all, y_all


@pytest.mark.parametrize("seed", range(10))
def test_the_article_network_starts_with_every_logit_above_one(moons, seed):
    X, y = moons
    logits = M.MLP([2, 4, 4, 2], "sigmoid", init="uniform", rng=seed).forward(X)
    assert logits.min() > 1
    assert _printed_loss(logits, y) < 0          # negative: no cross-entropy can be


@pytest.mark.parametrize("seed", range(5))
def test_after_one_epoch_of_the_logits_gradient_the_printout_is_finite_and_not_the_loss(
        moons, seed):
    X, y = moons
    net = M.MLP([2, 4, 4, 2], "sigmoid", init="uniform", rng=seed)
    M.fit(net, M.MSELoss(), M.SGD(net, lr=0.05), X, F.one_hot(y, 2), epochs=1, batch_size=50,
          rng=seed)
    logits = net.forward(X[:50])
    ce = M.SoftmaxCrossEntropyLoss()(logits, y[:50])
    assert 0.45 < logits.min() and logits.max() < 0.8            # pulled towards one half
    assert abs(ce - np.log(2)) < 0.01                             # the loss of guessing
    assert 0.3 < _printed_loss(logits, y[:50]) < ce               # finite, and not the loss


def test_logits_that_fit_one_hot_targets_exactly_have_cross_entropy_ln_1_plus_e_inverse():
    logits, labels = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1])
    ce = M.SoftmaxCrossEntropyLoss()(logits, labels)
    assert np.isclose(ce, np.log(1 + np.exp(-1))) and 0.31 < ce < 0.32
    assert _printed_loss(logits, labels) == pytest.approx(0.0, abs=1e-11)


# --- the sine-fitting article's cache, counted from its loop --------------------------------


class _ArticleNet:
    """The sine-fitting article's forward: three arrays appended per call, never cleared."""

    def __init__(self):
        rng = np.random.default_rng(0)
        self.W1, self.W2, self.W3 = (rng.standard_normal(s) for s in [(1, 10), (10, 10), (10, 1)])
        self.out = []

    def forward(self, x):
        z1 = 1 / (1 + np.exp(-(x @ self.W1)))
        z2 = 1 / (1 + np.exp(-(z1 @ self.W2)))
        self.out += [x, z1, z2]
        return z2 @ self.W3


def test_the_article_loop_appends_three_arrays_per_forward_on_train_and_test_samples():
    train, test, epochs = np.ones((50, 1, 1)), np.ones((10, 1, 1)), 3
    net = _ArticleNet()
    for _ in range(epochs):
        for x in train:          # training: forward, loss, backward (which reads out[-3:])
            net.forward(x)
        for x in test:           # evaluation: forward only, still appending
            net.forward(x)
    assert len(net.out) == epochs * (50 + 10) * 3
    assert 2000 * (50 + 10) * 3 == 360_000 and 2000 * 50 == 100_000
