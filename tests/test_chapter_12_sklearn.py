"""Sweeps behind chapter 12 (the cross-check against scikit-learn), moved out of the notebook.

The chapter shows each agreement once, on its sin regressor and its three-blob classifier; here
the same agreements are tested over more shapes, seeds, batch sizes and output widths. The
chapter's small helpers (load the package's weights into an estimator, read a gradient from one
plain-SGD step) are rewritten here, since a test cannot import a notebook.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402

import mlp_from_scratch as M  # noqa: E402

ACTIVATIONS = {"sigmoid": "logistic", "tanh": "tanh", "relu": "relu"}


def one_step_settings(lr, batch_size, **overrides):
    settings = dict(solver="sgd", learning_rate="constant", learning_rate_init=lr,
                    momentum=0.0, nesterovs_momentum=False, alpha=0.0,
                    batch_size=batch_size, shuffle=False, max_iter=1,
                    warm_start=True, random_state=0)
    settings.update(overrides)
    return settings


def flat_params(model):
    layers = [layer for layer in model.layers if isinstance(layer, M.Linear)]
    return [l.params["W"] for l in layers] + [l.params["b"] for l in layers]


def holding(est, model, X, y, **partial_fit_args):
    """``est`` after one partial_fit (to allocate its state), with copies of model's weights."""
    est.partial_fit(X, y, **partial_fit_args)
    params = flat_params(model)
    k = len(params) // 2
    est.coefs_ = [p.copy() for p in params[:k]]
    est.intercepts_ = [p.copy() for p in params[k:]]
    return est


def one_epoch(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    return est.coefs_ + est.intercepts_


def recovered_gradients(est, X, y):
    old = [p.copy() for p in est.coefs_ + est.intercepts_]
    new = one_epoch(est, X, y)
    assert est.n_iter_ == 1
    return [(o - n) / est.learning_rate_init for o, n in zip(old, new)], est.loss_curve_[-1]


def package_gradients(model, loss, X, y):
    value = loss(model(X), y)
    model.backward(loss.backward())
    layers = [layer for layer in model.layers if isinstance(layer, M.Linear)]
    return [l.grads["W"] for l in layers] + [l.grads["b"] for l in layers], value


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("hidden", [(5,), (8, 8), (6, 4, 7)])
@pytest.mark.parametrize("seed", [0, 1])
def test_classifier_gradients_and_loss_agree_for_every_activation_and_depth(activation, hidden,
                                                                               seed):
    rng = np.random.default_rng(seed)
    K = 3
    X = rng.standard_normal((60, 4))
    y = np.arange(60) % K
    model = M.MLP([4, *hidden, K], activation, rng=seed)
    clf = holding(MLPClassifier(hidden_layer_sizes=hidden, activation=ACTIVATIONS[activation],
                                **one_step_settings(1.0, len(X))), model, X, y, classes=[0, 1, 2])
    assert np.allclose(clf.predict_proba(X), M.predict_proba(model, X), rtol=1e-12, atol=1e-15)
    theirs, sk_loss = recovered_gradients(clf, X, y)
    ours, value = package_gradients(model, M.SoftmaxCrossEntropyLoss(), X, y)
    assert np.isclose(sk_loss, value, rtol=1e-12)
    for a, b in zip(theirs, ours):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("K", [1, 2, 3, 5])
def test_sklearn_squared_error_is_one_kth_of_the_loss_its_gradient_belongs_to(K):
    rng = np.random.default_rng(K)
    X = rng.uniform(-3, 3, (40, 2))
    Y = np.column_stack([np.sin((k + 1) * X[:, 0]) + X[:, 1] for k in range(K)])
    y = Y.ravel() if K == 1 else Y
    model = M.MLP([2, 6, K], "tanh", rng=K)
    reg = holding(MLPRegressor(hidden_layer_sizes=(6,), activation="tanh",
                               **one_step_settings(1.0, len(X))), model, X, y)
    theirs, sk_loss = recovered_gradients(reg, X, y)
    ours, value = package_gradients(model, M.MSELoss(), X, Y)
    assert np.isclose(value / sk_loss, K, rtol=1e-13)
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("batch_size", [10, 25, 50])
@pytest.mark.parametrize("alpha", [0.01, 0.3])
def test_alpha_over_the_batch_size_is_the_packages_weight_decay_for_mini_batches(batch_size,
                                                                                  alpha):
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, (50, 1))
    y = np.sin(X)
    model = M.MLP([1, 7, 7, 1], "sigmoid", rng=4)
    reg = holding(MLPRegressor(hidden_layer_sizes=(7, 7), activation="logistic",
                               **one_step_settings(0.5, batch_size, alpha=alpha)),
                  model, X, y.ravel())
    theirs = one_epoch(reg, X, y.ravel())            # 50 / batch_size steps, in stored order
    decayed = copy.deepcopy(model)
    M.fit(decayed, M.MSELoss(), M.SGD(decayed, lr=0.5, weight_decay=alpha / batch_size),
          X, y, epochs=1, batch_size=batch_size, shuffle=False)
    for a, b in zip(theirs, flat_params(decayed)):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)
    # the same alpha with the full batch is a different (weaker) decay per step
    full = copy.deepcopy(model)
    M.fit(full, M.MSELoss(), M.SGD(full, lr=0.5, weight_decay=alpha / len(X)),
          X, y, epochs=1, batch_size=batch_size, shuffle=False)
    if batch_size < len(X):
        assert not np.allclose(flat_params(full)[0], theirs[0], rtol=1e-9)


@pytest.mark.parametrize("lr", [1e-6, 1e-3, 1.0, 100.0])
def test_recovered_gradient_error_is_within_a_factor_10_of_the_round_off_estimate(lr):
    """The chapter's estimate u (kappa + |theta| / (eta |g|)), kappa from the per-sample
    contributions of each array, is neither exceeded tenfold nor a hundred times too large."""
    u = 2.0**-53
    rng = np.random.default_rng(7)
    X = rng.uniform(-6, 6, (100, 1))
    y = np.sin(X)
    model = M.MLP([1, 10, 1], "sigmoid", rng=8)
    M.fit(model, M.MSELoss(), M.Adam(model, lr=0.05), X, y, epochs=300)  # small gradients
    reg = holding(MLPRegressor(hidden_layer_sizes=(10,), activation="logistic",
                               **one_step_settings(lr, len(X))), model, X, y.ravel())
    theirs, _ = recovered_gradients(reg, X, y.ravel())
    ours, _ = package_gradients(model, M.MSELoss(), X, y)
    per_sample = [package_gradients(model, M.MSELoss(), X[n:n + 1], y[n:n + 1])[0]
                  for n in range(len(X))]
    worst_error = worst_estimate = 0.0
    for i, (a, b, theta) in enumerate(zip(theirs, ours, flat_params(model))):
        absolute_sum = sum(np.abs(g[i]) for g in per_sample)
        kappa = np.linalg.norm(absolute_sum) / np.linalg.norm(sum(g[i] for g in per_sample))
        worst_error = max(worst_error, M.relative_error(a, b))
        worst_estimate = max(worst_estimate,
                             u * (kappa + np.linalg.norm(theta) / (lr * np.linalg.norm(b))))
    assert 0.01 * worst_estimate < worst_error < 10 * worst_estimate, (worst_error,
                                                                        worst_estimate)
