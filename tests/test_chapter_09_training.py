"""Chapter 9's claims that its notebook prints but no longer asserts in a visible cell."""

from __future__ import annotations

import numpy as np
import pytest

from mlp_from_scratch import MLP, SGD, Adam, AdamW, Linear, MSELoss, Sequential, fit, make_sin

X, Y = make_sin(64, rng=0, low=-np.pi, high=np.pi)


def _curve(lr, epochs=600):
    model, seen = MLP([1, 16, 16, 1], "sigmoid", rng=1), []
    try:
        fit(model, MSELoss(), SGD(model, lr=lr), X, Y, epochs=epochs,
            callback=lambda epoch, model, history: seen.append(history.train_loss[-1]))
    except RuntimeError as err:
        assert "NaN or infinite" in str(err)
    return np.array(seen)


def test_lr_10_diverges_by_a_constant_factor_per_epoch_from_epoch_13():
    curve = _curve(10.0)
    assert len(curve) == 109  # the 110th epoch raised
    factors = curve[1:] / curve[:-1]
    steady = np.abs(factors / factors[-1] - 1) < 1e-3
    assert steady[12:].all() and not steady[11]  # factor 13 -> 14 onwards: the straight line
    assert factors[-1] > 10


def test_lr_1_rises_often_while_lr_0_03_never_rises():
    ragged, smooth = _curve(1.0), _curve(0.03)
    assert np.sum(np.diff(ragged) > 0) > 50
    assert np.all(np.diff(smooth) <= 0)
    assert np.max(ragged / np.minimum.accumulate(ragged)) > 100


@pytest.mark.parametrize("eta_h", [0.5, 1.5, 2.2])
def test_sgd_on_the_quadratic_multiplies_the_distance_by_one_minus_eta_h(eta_h):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 1))
    y = 3.0 * x + 0.1 * rng.normal(size=(40, 1))
    h, w_star = np.mean(x**2), np.sum(x * y) / np.sum(x**2)
    line, ws = Sequential(Linear(1, 1, bias=False, init=lambda *s: np.zeros((1, 1)))), [0.0]
    fit(line, MSELoss(), SGD(line, lr=eta_h / h), x, y, epochs=10,
        callback=lambda epoch, model, history: ws.append(model.layers[0].params["W"][0, 0]))
    d = np.array(ws) - w_star
    np.testing.assert_allclose(d[1:] / d[:-1], 1 - eta_h, rtol=1e-9)


def _first_step(make, scale):
    rng = np.random.default_rng(7)
    Xr, yr = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    model = MLP([3, 5, 2], "tanh", rng=6)
    before = np.concatenate([p.ravel().copy() for _, p, _ in model.parameters()])
    loss = MSELoss()
    loss.forward(model.forward(Xr), yr)
    model.backward(loss.backward())
    for _, _, grad in model.parameters():
        grad *= scale
    make(model).step()
    return np.concatenate([p.ravel() for _, p, _ in model.parameters()]) - before


def test_scaling_the_gradients_scales_sgds_first_step_but_not_adams_or_adamws():
    sgd = lambda m: SGD(m, lr=0.01)  # noqa: E731
    np.testing.assert_allclose(_first_step(sgd, 1000), 1000 * _first_step(sgd, 1), rtol=1e-12)
    for make in (lambda m: Adam(m, lr=0.01), lambda m: AdamW(m, lr=0.01, weight_decay=0.0)):
        np.testing.assert_allclose(_first_step(make, 1000), _first_step(make, 1), rtol=1e-4)


def test_adams_first_step_has_length_lr_and_would_be_3_16_times_longer_uncorrected():
    step = _first_step(lambda m: Adam(m, lr=0.01), 1)
    large = np.abs(step) > 1e-6
    np.testing.assert_allclose(np.abs(step[large]), 0.01, rtol=1e-3)
    assert 0.1 / np.sqrt(0.001) == pytest.approx(3.1623, rel=1e-4)


def test_coupled_l2_shrinks_the_weights_far_more_than_adamw_at_the_same_small_lambda():
    X_noisy, y_noisy = make_sin(30, rng=20, low=-np.pi, high=np.pi, noise=0.3)

    def size(optimizer):
        model = MLP([1, 64, 64, 1], "tanh", rng=1)
        fit(model, MSELoss(), optimizer(model, lr=0.01, weight_decay=1e-3), X_noisy, y_noisy,
            epochs=1000)
        return sum(np.sum(p**2) for name, p, _ in model.parameters() if name.endswith("W"))

    assert size(Adam) < size(AdamW) / 3
