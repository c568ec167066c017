"""Optimisers: exact SGD updates, momentum and Adam against hand-computed references."""

import numpy as np
import pytest

from mlp_from_scratch import MLP, SGD, Adam, Linear, MSELoss, Sequential, Tanh

SEED = 55


def _setup(seed=SEED, bias_free_first=False):
    rng = np.random.default_rng(seed)
    if bias_free_first:
        model = Sequential(
            Linear(3, 4, bias=False, rng=rng), Tanh(), Linear(4, 2, rng=rng)
        )
    else:
        model = MLP([3, 4, 4, 2], activation="tanh", rng=rng)
    X, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    return model, MSELoss(), X, y


def _backward(model, loss, X, y):
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())


def _snapshot(model, what):
    return [
        {key: array.copy() for key, array in getattr(layer, what).items()}
        for layer in model.layers
    ]


def _param_arrays(model):
    return [array for layer in model.layers for array in layer.params.values()]


@pytest.mark.parametrize(
    "bias_free_first", [False, True], ids=["mlp", "bias_free_layer"]
)
def test_sgd_step_is_exactly_p_minus_lr_times_g(bias_free_first):
    model, loss, X, y = _setup(bias_free_first=bias_free_first)
    optimizer = SGD(model, lr=0.1)
    for _ in range(3):
        _backward(model, loss, X, y)
        before, grads = _snapshot(model, "params"), _snapshot(model, "grads")
        optimizer.step()
        for layer, p0, g in zip(model.layers, before, grads):
            assert set(p0) == set(g)
            for key in p0:
                assert np.array_equal(layer.params[key], p0[key] - 0.1 * g[key]), key


def test_sgd_momentum_matches_a_hand_computed_two_step_reference():
    model, loss, X, y = _setup()
    lr, mu = 0.05, 0.9
    optimizer = SGD(model, lr=lr, momentum=mu)
    p0 = _snapshot(model, "params")
    _backward(model, loss, X, y)
    g1 = _snapshot(model, "grads")
    optimizer.step()
    _backward(model, loss, X, y)
    g2 = _snapshot(model, "grads")
    optimizer.step()
    for layer, p, a, b in zip(model.layers, p0, g1, g2):
        for key in p:
            v1 = a[key]
            p1 = p[key] - lr * v1
            v2 = mu * v1 + b[key]
            p2 = p1 - lr * v2
            np.testing.assert_allclose(layer.params[key], p2, rtol=1e-13, atol=1e-15)
            assert not np.allclose(
                b[key], a[key]
            )  # the second step really used new gradients


def test_adam_matches_a_hand_computed_two_step_reference():
    model, loss, X, y = _setup()
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-7
    optimizer = Adam(model, lr=lr, betas=(b1, b2), eps=eps)
    p = _snapshot(model, "params")
    m = [{k: np.zeros_like(v) for k, v in layer.items()} for layer in p]
    v = [{k: np.zeros_like(a) for k, a in layer.items()} for layer in p]
    for t in (1, 2):
        _backward(model, loss, X, y)
        g = _snapshot(model, "grads")
        optimizer.step()
        for i, layer in enumerate(model.layers):
            for key in layer.params:
                m[i][key] = b1 * m[i][key] + (1 - b1) * g[i][key]
                v[i][key] = b2 * v[i][key] + (1 - b2) * g[i][key] ** 2
                m_hat = m[i][key] / (1 - b1**t)
                v_hat = v[i][key] / (1 - b2**t)
                p[i][key] = p[i][key] - lr * m_hat / (np.sqrt(v_hat) + eps)
                np.testing.assert_allclose(
                    layer.params[key], p[i][key], rtol=1e-12, atol=1e-14
                )


def test_adam_first_step_moves_each_weight_by_about_lr():
    model, loss, X, y = _setup()
    optimizer = Adam(model, lr=1e-3)
    before = _snapshot(model, "params")
    _backward(model, loss, X, y)
    grads = _snapshot(model, "grads")
    optimizer.step()
    for layer, p0, g in zip(model.layers, before, grads):
        for key in p0:
            step = p0[key] - layer.params[key]
            big = np.abs(g[key]) > 1e-6
            np.testing.assert_allclose(
                step[big], 1e-3 * np.sign(g[key][big]), rtol=1e-3
            )


@pytest.mark.parametrize(
    "make",
    [
        lambda m: SGD(m, lr=0.1),
        lambda m: SGD(m, lr=0.1, momentum=0.5),
        lambda m: Adam(m, lr=0.01),
    ],
    ids=["sgd", "momentum", "adam"],
)
def test_step_updates_every_parameter_of_every_layer_in_place(make):
    model, loss, X, y = _setup(bias_free_first=False)
    arrays = _param_arrays(model)
    ids = [id(array) for array in arrays]
    before = [array.copy() for array in arrays]
    optimizer = make(model)
    _backward(model, loss, X, y)
    grads = _snapshot(model, "grads")
    optimizer.step()
    after = _param_arrays(model)
    assert [id(array) for array in after] == ids
    for old, new in zip(before, after):
        assert not np.array_equal(old, new)
    # the gradients themselves are left as they were
    for layer, g in zip(model.layers, grads):
        for key in g:
            assert np.array_equal(layer.grads[key], g[key])


def test_optimizer_holding_the_model_sees_outside_in_place_changes():
    """The optimiser updates the arrays the layers hold, not private copies."""
    model, loss, X, y = _setup()
    optimizer = SGD(model, lr=0.1)
    model.layers[0].params["W"][...] = 1.0
    _backward(model, loss, X, y)
    g = model.layers[0].grads["W"].copy()
    optimizer.step()
    assert np.array_equal(model.layers[0].params["W"], 1.0 - 0.1 * g)


def test_sgd_without_momentum_equals_plain_gradient_descent_over_many_steps():
    model_a, loss, X, y = _setup(seed=3)
    model_b, _, _, _ = _setup(seed=3)
    optimizer = SGD(model_a, lr=0.2)
    for _ in range(20):
        _backward(model_a, loss, X, y)
        optimizer.step()
        _backward(model_b, loss, X, y)
        for layer in model_b.layers:
            for key in layer.params:
                layer.params[key] -= 0.2 * layer.grads[key]
    for la, lb in zip(model_a.layers, model_b.layers):
        for key in la.params:
            assert np.array_equal(la.params[key], lb.params[key])
