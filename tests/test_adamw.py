"""AdamW: decoupled weight decay, against PyTorch's torch.optim.AdamW.

The reference trajectories in tests/data/adamw_reference.npz were written by PyTorch
(tests/data/make_adamw_reference.py), with the weights in a parameter group with the decay
and the biases in one without it. Where torch is importable the same comparison also runs
live. Independently of PyTorch, the update is compared with a transcription of the
algorithm as PyTorch documents it, and the first step with values worked out by hand.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from mlp_from_scratch import MLP, Adam, AdamW, Linear, MSELoss, Sequential, Tanh

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
import make_adamw_reference as ref  # noqa: E402

REFERENCE = np.load(DATA / "adamw_reference.npz")
KEYS = list(ref.SHAPES)  # W0, b0, W1, b1


def _model(params):
    """A 3 -> 4 -> 2 tanh network holding copies of ``params``."""
    model = Sequential(Linear(3, 4), Tanh(), Linear(4, 2))
    for i, layer in ((0, model.layers[0]), (1, model.layers[2])):
        layer.params["W"][...] = params[f"W{i}"]
        layer.params["b"][...] = params[f"b{i}"]
    return model


def _arrays(model):
    first, last = model.layers[0], model.layers[2]
    return {"W0": first.params["W"], "b0": first.params["b"],
            "W1": last.params["W"], "b1": last.params["b"]}


def package_trajectory(optimiser, lr, beta1, beta2, eps, weight_decay, params, grads):
    """The package's arrays after each step, fed the same gradients as PyTorch was."""
    model = _model(params)
    cls = {"AdamW": AdamW, "Adam": Adam}[optimiser]
    opt = cls(model, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    first, last = model.layers[0], model.layers[2]
    out = {k: [] for k in KEYS}
    for t in range(ref.STEPS):
        first.grads = {"W": grads["W0"][t].copy(), "b": grads["b0"][t].copy()}
        last.grads = {"W": grads["W1"][t].copy(), "b": grads["b1"][t].copy()}
        opt.step()
        for k, array in _arrays(model).items():
            out[k].append(array.copy())
    return {k: np.stack(v) for k, v in out.items()}


def documented_adamw(lr, beta1, beta2, eps, weight_decay, params, grads, decayed):
    """torch.optim.AdamW's documented algorithm, transcribed line by line (amsgrad off,
    maximize off): theta <- theta - lr*lambda*theta; m, v moving averages; bias-corrected
    m_hat, v_hat; theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)."""
    theta = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(x) for k, x in params.items()}
    out = {k: [] for k in params}
    for t in range(1, ref.STEPS + 1):
        for k in params:
            g = grads[k][t - 1]
            lam = weight_decay if k in decayed else 0.0
            theta[k] = theta[k] - lr * lam * theta[k]
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g**2
            m_hat = m[k] / (1 - beta1**t)
            v_hat = v[k] / (1 - beta2**t)
            theta[k] = theta[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
            out[k].append(theta[k].copy())
    return {k: np.stack(x) for k, x in out.items()}


def _stored_inputs():
    params = {k: REFERENCE[f"init_{k}"] for k in KEYS}
    grads = {k: REFERENCE[f"grad_{k}"] for k in KEYS}
    return params, grads


def test_the_stored_inputs_are_the_ones_the_script_draws():
    params, grads = ref.inputs()
    stored_params, stored_grads = _stored_inputs()
    for k in KEYS:
        assert np.array_equal(params[k], stored_params[k])
        assert np.array_equal(grads[k], stored_grads[k])


@pytest.mark.parametrize("case", list(ref.CASES))
def test_matches_pytorch_stored_trajectory(case):
    optimiser, *hyper = ref.CASES[case]
    assert np.array_equal(REFERENCE[f"{case}_hyper"], np.array(hyper))
    params, grads = _stored_inputs()
    ours = package_trajectory(optimiser, *hyper, params, grads)
    for k in KEYS:
        np.testing.assert_allclose(ours[k], REFERENCE[f"{case}_{k}"], rtol=1e-12, atol=1e-14,
                                   err_msg=f"{case} {k}")


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
@pytest.mark.parametrize("case", list(ref.CASES))
def test_matches_pytorch_live(case):
    import torch

    optimiser, *hyper = ref.CASES[case]
    params, grads = ref.inputs(seed=1)  # other numbers than the stored ones
    theirs = ref.torch_trajectory(torch, optimiser, *hyper, params, grads)
    ours = package_trajectory(optimiser, *hyper, params, grads)
    for k in KEYS:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-12, atol=1e-14,
                                   err_msg=f"{case} {k}")


@pytest.mark.parametrize("case", ["adamw_default", "adamw_strong"])
def test_matches_the_documented_algorithm(case):
    _, *hyper = ref.CASES[case]
    params, grads = ref.inputs(seed=2)
    ours = package_trajectory("AdamW", *hyper, params, grads)
    theirs = documented_adamw(*hyper, params, grads, decayed={"W0", "W1"})
    for k in KEYS:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-12, atol=1e-14, err_msg=k)


def test_first_step_by_hand():
    # m_hat_1 = g and v_hat_1 = g^2, so W1 = (1 - lr lam) W0 - lr g / (|g| + eps).
    # W0 = 2, g = 0.5, lr = 0.1, lam = 0.5: 2 * 0.95 - 0.1 * 0.5 / (0.5 + 1e-8) = 1.9 - 0.1 (1 - 2e-8)
    layer = Linear(1, 1)
    layer.params["W"][...] = 2.0
    layer.params["b"][...] = 2.0
    layer.grads = {"W": np.array([[0.5]]), "b": np.array([-0.25])}
    AdamW(Sequential(layer), lr=0.1, weight_decay=0.5).step()
    assert layer.params["W"][0, 0] == pytest.approx(1.9 - 0.05 / (0.5 + 1e-8), rel=1e-15)
    assert layer.params["W"][0, 0] == pytest.approx(1.800000002, abs=1e-10)
    # the bias is not decayed: 2 + 0.1 * 0.25 / (0.25 + 1e-8)
    assert layer.params["b"][0] == pytest.approx(2.0999999960, abs=1e-10)


def test_with_zero_gradient_only_the_weights_shrink_by_one_minus_lr_lambda_per_step():
    model = MLP([3, 4, 2], "tanh", rng=0)
    start = [{k: v.copy() for k, v in layer.params.items()} for layer in model.layers]
    opt = AdamW(model, lr=0.01, weight_decay=2.0)
    for _ in range(5):
        for layer in model.layers:
            layer.grads = {k: np.zeros_like(v) for k, v in layer.params.items()}
        opt.step()
    for layer, p0 in zip(model.layers, start):
        for k, v in layer.params.items():
            expected = p0[k] * 0.98**5 if k == "W" else p0[k]
            np.testing.assert_allclose(v, expected, rtol=1e-14)


def test_differs_from_coupled_adam_and_equals_it_without_decay():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    loss = MSELoss()

    def train(make):
        model = MLP([3, 4, 2], "tanh", rng=4)
        opt = make(model)
        for _ in range(10):
            loss.forward(model.forward(X), y)
            model.backward(loss.backward())
            opt.step()
        return np.concatenate([p.ravel() for _, p, _ in model.parameters()])

    plain = train(lambda m: Adam(m, lr=0.01))
    assert np.array_equal(train(lambda m: AdamW(m, lr=0.01, weight_decay=0.0)), plain)
    coupled = train(lambda m: Adam(m, lr=0.01, weight_decay=0.5))
    decoupled = train(lambda m: AdamW(m, lr=0.01, weight_decay=0.5))
    assert np.abs(coupled - decoupled).max() > 1e-3


def test_leaves_the_loss_gradients_in_layer_grads_untouched():
    model = MLP([3, 4, 2], "tanh", rng=5)
    for layer in model.layers:
        layer.grads = {k: np.ones_like(v) for k, v in layer.params.items()}
    AdamW(model, lr=0.1, weight_decay=0.5).step()
    for layer in model.layers:
        for g in layer.grads.values():
            assert np.array_equal(g, np.ones_like(g))


@pytest.mark.parametrize("kwargs, match", [
    ({"lr": -0.1}, "lr"),
    ({"lr": 0.0}, "lr"),
    ({"weight_decay": -0.01}, "weight_decay"),
    ({"weight_decay": float("nan")}, "weight_decay"),
    ({"betas": (1.0, 0.999)}, "beta1"),
    ({"betas": (0.9, -0.1)}, "beta2"),
    ({"betas": (0.9,)}, "betas"),
    ({"eps": 0.0}, "eps"),
])
def test_bad_hyperparameters_raise_a_clear_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AdamW(MLP([2, 3, 1], "tanh", rng=0), **kwargs)


def test_a_decay_that_would_flip_the_weights_raises_at_the_step():
    model = MLP([2, 3, 1], "tanh", rng=0)
    opt = AdamW(model, lr=0.5, weight_decay=2.0)
    for layer in model.layers:
        layer.grads = {k: np.ones_like(v) for k, v in layer.params.items()}
    before = [p.copy() for _, p, _ in model.parameters()]
    with pytest.raises(ValueError, match="lr \\* weight_decay < 1"):
        opt.step()
    for (_, p, _), p0 in zip(model.parameters(), before):
        assert np.array_equal(p, p0)
