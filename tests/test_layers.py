"""Layers: forward values, gradients against finite differences, and the layer contract."""

import numpy as np
import pytest

from helpers import (
    TOL,
    away_from_zero,
    central_difference,
    central_difference_in_place,
    random_shapes,
    rel_error,
    stored_footprint,
)
from mlp_from_scratch import Linear, ReLU, Sigmoid, Tanh

SEED = 7


LAYER_FACTORIES = {
    "linear": lambda n_in, rng: Linear(n_in, 3, rng=rng),
    "linear_no_bias": lambda n_in, rng: Linear(n_in, 3, bias=False, rng=rng),
    "sigmoid": lambda n_in, rng: Sigmoid(),
    "tanh": lambda n_in, rng: Tanh(),
    "relu": lambda n_in, rng: ReLU(),
}


def _make(name, n_in=4, seed=SEED):
    rng = np.random.default_rng(seed)
    layer = LAYER_FACTORIES[name](n_in, rng)
    out = 3 if name.startswith("linear") else n_in
    return layer, out


# --------------------------------------------------------------------------- Linear


def test_linear_parameters_have_the_documented_shapes_and_dtype():
    layer = Linear(4, 3, rng=np.random.default_rng(0))
    assert set(layer.params) == {"W", "b"}
    assert layer.params["W"].shape == (4, 3)
    assert layer.params["b"].shape == (3,)
    assert (
        layer.params["W"].dtype == np.float64 and layer.params["b"].dtype == np.float64
    )


def test_linear_without_bias_has_no_b():
    layer = Linear(4, 3, bias=False, rng=np.random.default_rng(0))
    assert set(layer.params) == {"W"}
    z = np.random.default_rng(1).normal(size=(5, 4))
    np.testing.assert_allclose(
        layer.forward(z), z @ layer.params["W"], rtol=1e-14, atol=1e-14
    )
    layer.backward(np.ones((5, 3)))
    assert set(layer.grads) == {"W"}


def test_linear_forward_is_z_W_plus_b():
    rng = np.random.default_rng(SEED)
    layer = Linear(3, 2, rng=rng)
    layer.params["b"][:] = rng.normal(size=2)
    z = rng.normal(size=(6, 3))
    expected = z @ layer.params["W"] + layer.params["b"]
    np.testing.assert_allclose(layer.forward(z), expected, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(layer(z), expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_linear_backward_matches_finite_differences(bias):
    rng = np.random.default_rng(SEED + 1)
    for n, n_in in random_shapes(rng, count=4):
        n_out = int(rng.integers(1, 5))
        layer = Linear(n_in, n_out, bias=bias, rng=rng)
        for array in layer.params.values():
            array[...] = rng.normal(size=array.shape)
        z = rng.normal(size=(n, n_in))
        G = rng.normal(size=(n, n_out))  # L = sum(G * a)

        layer.forward(z)
        grad_z = layer.backward(G)

        numeric_z = central_difference(lambda z_: np.sum(G * layer.forward(z_)), z)
        assert rel_error(grad_z, numeric_z) <= TOL
        for name, array in layer.params.items():
            numeric = central_difference_in_place(
                lambda: np.sum(G * layer.forward(z)), array
            )
            assert layer.grads[name].shape == array.shape
            assert rel_error(layer.grads[name], numeric) <= TOL, name


def test_linear_backward_uses_the_last_forward_input():
    rng = np.random.default_rng(SEED)
    layer = Linear(3, 2, rng=rng)
    z_old, z_new = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    G = rng.normal(size=(5, 2))
    layer.forward(z_old)
    layer.forward(z_new)
    layer.backward(G)
    np.testing.assert_allclose(layer.grads["W"], z_new.T @ G, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(layer.grads["b"], G.sum(axis=0), rtol=1e-13, atol=1e-14)


# --------------------------------------------------------------------------- activations


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_activation_layer_backward_matches_finite_differences(name):
    rng = np.random.default_rng(SEED + 2)
    for shape in random_shapes(rng, count=4):
        layer, _ = _make(name, n_in=shape[1])
        a = away_from_zero(rng, shape, low=0.1, high=3.0)
        G = rng.normal(size=shape)
        layer.forward(a)
        grad_a = layer.backward(G)
        numeric = central_difference(lambda a_: np.sum(G * layer.forward(a_)), a)
        assert grad_a.shape == shape
        assert rel_error(grad_a, numeric) <= TOL


@pytest.mark.parametrize(
    "layer, reference",
    [
        (Sigmoid(), lambda a: 1.0 / (1.0 + np.exp(-a))),
        (Tanh(), np.tanh),
        (ReLU(), lambda a: np.maximum(a, 0.0)),
    ],
    ids=["sigmoid", "tanh", "relu"],
)
def test_activation_layer_forward_matches_its_formula(layer, reference):
    a = np.linspace(-4.0, 4.0, 18).reshape(3, 6)
    np.testing.assert_allclose(layer.forward(a), reference(a), rtol=1e-14, atol=1e-15)
    assert layer.params == {} and layer.grads == {}


# --------------------------------------------------------------------------- the contract


@pytest.mark.parametrize("name", list(LAYER_FACTORIES))
def test_backward_returns_a_gradient_of_the_input_shape(name):
    layer, n_out = _make(name)
    rng = np.random.default_rng(1)
    x = away_from_zero(rng, (5, 4))
    out = layer.forward(x)
    assert out.shape == (5, n_out)
    grad_x = layer.backward(rng.normal(size=(5, n_out)))
    assert grad_x.shape == x.shape


@pytest.mark.parametrize("name", list(LAYER_FACTORIES))
def test_backward_overwrites_grads_instead_of_accumulating(name):
    layer, n_out = _make(name)
    rng = np.random.default_rng(2)
    x = away_from_zero(rng, (5, 4))
    G = rng.normal(size=(5, n_out))
    layer.forward(x)
    first_grad_x = layer.backward(G)
    first = {key: value.copy() for key, value in layer.grads.items()}
    second_grad_x = layer.backward(G)
    assert set(layer.grads) == set(first)
    for key in first:
        assert np.array_equal(layer.grads[key], first[key]), key
    assert np.array_equal(first_grad_x, second_grad_x)

    # a different upstream gradient replaces the old gradients entirely
    layer.backward(2.0 * G)
    for key in first:
        np.testing.assert_allclose(
            layer.grads[key], 2.0 * first[key], rtol=1e-14, atol=0
        )


def test_linear_grads_are_set_for_every_parameter():
    layer, _ = _make("linear")
    layer.forward(np.ones((2, 4)))
    layer.backward(np.ones((2, 3)))
    assert set(layer.grads) == set(layer.params)
    for key in layer.params:
        assert layer.grads[key].shape == layer.params[key].shape


@pytest.mark.parametrize("name", list(LAYER_FACTORIES))
def test_layer_never_modifies_its_arguments(name):
    layer, n_out = _make(name)
    rng = np.random.default_rng(3)
    x = away_from_zero(rng, (5, 4))
    G = rng.normal(size=(5, n_out))
    x_copy, G_copy = x.copy(), G.copy()
    layer.forward(x)
    assert np.array_equal(x, x_copy)
    grad_x = layer.backward(G)
    assert np.array_equal(G, G_copy)
    assert np.array_equal(x, x_copy)
    assert grad_x is not G


@pytest.mark.parametrize("name", list(LAYER_FACTORIES))
def test_layer_keeps_only_the_last_forward_cache(name):
    layer, n_out = _make(name)
    rng = np.random.default_rng(4)
    x = away_from_zero(rng, (8, 4))
    G = rng.normal(size=(8, n_out))
    layer.forward(x)
    layer.backward(G)
    after_one = stored_footprint(layer)
    for _ in range(999):
        layer.forward(x)
        layer.backward(G)
    assert stored_footprint(layer) == after_one


@pytest.mark.parametrize("name", list(LAYER_FACTORIES))
def test_layer_call_is_forward(name):
    layer, _ = _make(name)
    x = away_from_zero(np.random.default_rng(5), (3, 4))
    assert np.array_equal(layer(x), layer.forward(x))


# --------------------------------------------------------------------------- initialisation


def test_xavier_init_has_variance_two_over_fan_in_plus_fan_out():
    layer = Linear(300, 200, init="xavier", rng=np.random.default_rng(0))
    W = layer.params["W"]
    assert np.var(W) == pytest.approx(2.0 / (300 + 200), rel=0.05)
    assert abs(np.mean(W)) < 0.01
    assert np.array_equal(layer.params["b"], np.zeros(200))


def test_xavier_is_the_default_init():
    a = Linear(30, 20, rng=np.random.default_rng(3))
    b = Linear(30, 20, init="xavier", rng=np.random.default_rng(3))
    assert np.array_equal(a.params["W"], b.params["W"])


def test_he_init_has_variance_two_over_fan_in():
    layer = Linear(300, 200, init="he", rng=np.random.default_rng(0))
    assert np.var(layer.params["W"]) == pytest.approx(2.0 / 300, rel=0.05)
    assert abs(np.mean(layer.params["W"])) < 0.01


def test_naive_init_is_small_and_positive():
    layer = Linear(50, 40, init="naive", rng=np.random.default_rng(0))
    for array in layer.params.values():
        assert np.all(array >= 0.0) and np.all(array < 1e-3)
    assert np.all(layer.params["W"] > 0.0)
    assert np.ptp(layer.params["W"]) > 5e-4  # actually spread over the interval


def test_normal_init_is_standard_normal():
    W = Linear(300, 200, init="normal", rng=np.random.default_rng(0)).params["W"]
    assert np.var(W) == pytest.approx(1.0, rel=0.05)
    assert abs(np.mean(W)) < 0.02


def test_uniform_init_draws_W_and_b_from_zero_to_one():
    layer = Linear(300, 200, init="uniform", rng=np.random.default_rng(0))
    for name in ("W", "b"):
        array = layer.params[name]
        assert np.all(array >= 0.0) and np.all(array < 1.0)
        assert np.mean(array) == pytest.approx(0.5, abs=0.05)


def test_callable_init_receives_rng_and_fan_in_and_fan_out():
    calls = []

    def init(rng, n_in, n_out):
        calls.append((n_in, n_out))
        return np.full((n_in, n_out), 0.25)

    layer = Linear(3, 2, init=init, rng=np.random.default_rng(0))
    assert calls == [(3, 2)]
    assert np.array_equal(layer.params["W"], np.full((3, 2), 0.25))
    assert layer.params["W"].dtype == np.float64


@pytest.mark.parametrize("init", ["xavier", "he", "naive", "normal", "uniform"])
def test_init_is_reproducible_with_the_same_seed(init):
    a = Linear(6, 5, init=init, rng=np.random.default_rng(11))
    b = Linear(6, 5, init=init, rng=np.random.default_rng(11))
    c = Linear(6, 5, init=init, rng=np.random.default_rng(12))
    for name in a.params:
        assert np.array_equal(a.params[name], b.params[name])
    assert not np.array_equal(a.params["W"], c.params["W"])
