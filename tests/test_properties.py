"""Property-based tests: random architectures, batch sizes, activations and losses."""

import os
import tempfile

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from helpers import TOL, central_difference, central_difference_in_place, rel_error
from mlp_from_scratch import (
    MLP,
    SGD,
    MSELoss,
    ReLU,
    SoftmaxCrossEntropyLoss,
    load,
    save,
)
from mlp_from_scratch import functional as F

PROPERTY_SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

sizes_strategy = st.lists(
    st.integers(1, 8), min_size=2, max_size=7
)  # 1 to 6 Linear layers
activation_strategy = st.sampled_from(["sigmoid", "tanh", "relu"])
loss_strategy = st.sampled_from(["mse", "cross_entropy"])
batch_strategy = st.integers(1, 16)
seed_strategy = st.integers(0, 2**32 - 1)


def _build(sizes, activation, loss_name, n, seed):
    rng = np.random.default_rng(seed)
    model = MLP(sizes, activation=activation, rng=rng)
    for layer in model.layers:
        if "b" in layer.params:
            layer.params["b"][...] = rng.normal(scale=0.5, size=layer.params["b"].shape)
    X = rng.normal(size=(n, sizes[0]))
    if loss_name == "mse":
        loss, y = MSELoss(), rng.normal(size=(n, sizes[-1]))
    else:
        loss, y = SoftmaxCrossEntropyLoss(), rng.integers(0, sizes[-1], size=n)
    return model, loss, X, y


def assert_gradient_matches(analytic, numeric, loss_value, name):
    """Relative error at most TOL, unless the gradient is so small that finite differences cannot
    resolve it: each central difference then carries a rounding error of about
    (machine epsilon * |L|) / EPS, roughly 1e-11 * |L| per entry, and 1e-10 * |L| per entry
    bounds it with a tenfold margin. A real backpropagation mistake is a relative error of
    order one, far above both bounds (deep chains of width-1 sigmoid layers give gradients
    of 1e-6 and below, where only the second bound is meaningful)."""
    error = rel_error(analytic, numeric)
    floor = 1e-10 * max(1.0, abs(loss_value)) * np.sqrt(analytic.size)
    assert (
        error <= TOL or np.linalg.norm(analytic - numeric) <= floor
    ), f"{name}: relative error {error:.3g}, absolute {np.linalg.norm(analytic - numeric):.3g}"


def _min_relu_input(model, X):
    smallest, h = np.inf, X
    for layer in model.layers:
        if isinstance(layer, ReLU):
            smallest = min(smallest, float(np.min(np.abs(h))))
        h = layer.forward(h)
    return smallest


@settings(max_examples=60, **PROPERTY_SETTINGS)
@given(
    sizes=sizes_strategy,
    activation=activation_strategy,
    loss_name=loss_strategy,
    n=batch_strategy,
    seed=seed_strategy,
)
def test_random_mlps_backpropagate_gradients_that_match_finite_differences(
    sizes, activation, loss_name, n, seed
):
    model, loss, X, y = _build(sizes, activation, loss_name, n, seed)
    assume(
        _min_relu_input(model, X) > 1e-3
    )  # finite differences must not straddle a kink

    value = loss.forward(model.forward(X), y)
    grad_X = model.backward(loss.backward())
    assert np.isfinite(value)
    assert grad_X.shape == X.shape

    def objective():
        return loss.forward(model.forward(X), y)

    for i, layer in enumerate(model.layers):
        for key, param in layer.params.items():
            analytic = layer.grads[key].copy()
            numeric = central_difference_in_place(objective, param)
            assert_gradient_matches(analytic, numeric, value, f"layer{i}.{key}")
    numeric_X = central_difference(lambda X_: loss.forward(model.forward(X_), y), X)
    assert_gradient_matches(grad_X, numeric_X, value, "input X")


@settings(max_examples=60, **PROPERTY_SETTINGS)
@given(
    sizes=sizes_strategy,
    activation=activation_strategy,
    loss_name=loss_strategy,
    n=batch_strategy,
    seed=seed_strategy,
)
def test_random_mlps_have_consistent_shapes_and_overwritten_grads(
    sizes, activation, loss_name, n, seed
):
    model, loss, X, y = _build(sizes, activation, loss_name, n, seed)
    out = model.forward(X)
    assert out.shape == (n, sizes[-1]) and out.dtype == np.float64
    loss.forward(out, y)
    upstream = loss.backward()
    upstream_copy = upstream.copy()
    grad_X = model.backward(upstream)
    assert np.array_equal(upstream, upstream_copy)
    first = [{k: g.copy() for k, g in layer.grads.items()} for layer in model.layers]
    assert np.array_equal(model.backward(upstream), grad_X)
    for layer, grads in zip(model.layers, first):
        assert set(layer.grads) == set(layer.params)
        for key in grads:
            assert layer.grads[key].shape == layer.params[key].shape
            assert np.array_equal(layer.grads[key], grads[key])


@settings(max_examples=60, **PROPERTY_SETTINGS)
@given(
    sizes=sizes_strategy,
    activation=activation_strategy,
    loss_name=loss_strategy,
    n=batch_strategy,
    seed=seed_strategy,
    lr=st.floats(1e-4, 1.0),
)
def test_sgd_step_on_random_mlps_is_p_minus_lr_times_g(
    sizes, activation, loss_name, n, seed, lr
):
    model, loss, X, y = _build(sizes, activation, loss_name, n, seed)
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    before = [
        (p, p.copy(), layer.grads[k].copy())
        for layer in model.layers
        for k, p in layer.params.items()
    ]
    SGD(model, lr=lr).step()
    for array, old, grad in before:
        assert np.array_equal(array, old - lr * grad)


@settings(max_examples=25, **PROPERTY_SETTINGS)
@given(
    sizes=sizes_strategy,
    activation=activation_strategy,
    n=batch_strategy,
    seed=seed_strategy,
)
def test_random_mlps_survive_a_save_load_round_trip_bit_for_bit(
    sizes, activation, n, seed
):
    model, _, X, _ = _build(sizes, activation, "mse", n, seed)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.npz")
        save(model, path)
        loaded = load(path)
        assert os.listdir(folder) == ["model.npz"]
    assert np.array_equal(loaded.forward(X), model.forward(X))


@settings(max_examples=80, **PROPERTY_SETTINGS)
@given(
    n=batch_strategy,
    n_in=st.integers(1, 8),
    n_out=st.integers(1, 8),
    seed=seed_strategy,
)
def test_linear_gradients_equal_the_broadcasting_form_on_random_shapes(
    n, n_in, n_out, seed
):
    rng = np.random.default_rng(seed)
    z, W, grad_a = (
        rng.normal(size=(n, n_in)),
        rng.normal(size=(n_in, n_out)),
        rng.normal(size=(n, n_out)),
    )
    grad_z, grad_W, grad_b = F.linear_backward(grad_a, z, W)
    np.testing.assert_allclose(
        grad_W, (z[:, :, None] * grad_a[:, None, :]).sum(axis=0), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        grad_z, (grad_a[:, None, :] * W[None, :, :]).sum(axis=2), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(grad_b, grad_a.sum(axis=0), rtol=1e-12, atol=1e-12)


@settings(max_examples=80, **PROPERTY_SETTINGS)
@given(
    n=batch_strategy,
    k=st.integers(1, 8),
    scale=st.floats(1e-3, 1e4),
    seed=seed_strategy,
)
def test_softmax_and_cross_entropy_invariants_hold_at_any_scale(n, k, scale, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k)) * scale
    labels = rng.integers(0, k, size=n)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = F.softmax(logits)
        value = F.softmax_cross_entropy(logits, labels)
        grad = F.softmax_cross_entropy_backward(logits, labels)
        logp = F.log_softmax(logits)
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    assert np.isfinite(value) and value >= 0.0
    np.testing.assert_allclose(
        value, -np.mean(logp[np.arange(n), labels]), rtol=1e-14, atol=0
    )
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-15)
    assert np.all(logp <= 0.0)
