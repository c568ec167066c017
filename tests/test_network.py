"""Sequential and MLP: structure, composition, and whole-network gradients."""

import numpy as np
import pytest

from helpers import (
    TOL,
    central_difference,
    central_difference_in_place,
    rel_error,
    stored_footprint,
)
from mlp_from_scratch import (
    MLP,
    Linear,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    SoftmaxCrossEntropyLoss,
    Tanh,
)

ACTIVATION_CLASSES = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU}
SEED = 101


def relu_safe_inputs(model, rng, shape, margin=1e-3, attempts=200):
    """Draw inputs until no ReLU in ``model`` sees a pre-activation within ``margin`` of 0."""
    for _ in range(attempts):
        X = rng.normal(size=shape)
        h, ok = X, True
        for layer in model.layers:
            if isinstance(layer, ReLU) and np.min(np.abs(h)) < margin:
                ok = False
                break
            h = layer.forward(h)
        if ok:
            return X
    raise AssertionError("could not draw inputs away from the ReLU kink")


def randomise_biases(model, rng):
    for layer in model.layers:
        if "b" in layer.params:
            layer.params["b"][...] = rng.normal(scale=0.5, size=layer.params["b"].shape)


def test_mlp_alternates_linear_layers_and_activations_with_a_linear_output():
    for name, cls in ACTIVATION_CLASSES.items():
        model = MLP([3, 5, 4, 2], activation=name, rng=np.random.default_rng(0))
        assert isinstance(model, Sequential)
        kinds = [type(layer) for layer in model.layers]
        assert kinds == [Linear, cls, Linear, cls, Linear]
        shapes = [
            layer.params["W"].shape
            for layer in model.layers
            if isinstance(layer, Linear)
        ]
        assert shapes == [(3, 5), (5, 4), (4, 2)]


def test_mlp_with_two_sizes_is_a_single_linear_layer():
    model = MLP([4, 2], rng=np.random.default_rng(0))
    assert len(model.layers) == 1 and isinstance(model.layers[0], Linear)


def test_mlp_default_activation_is_sigmoid():
    model = MLP([2, 3, 1], rng=np.random.default_rng(0))
    assert isinstance(model.layers[1], Sigmoid)


def test_mlp_passes_init_to_every_linear_layer():
    model = MLP(
        [3, 6, 6, 1], activation="tanh", rng=np.random.default_rng(0), init="naive"
    )
    for layer in model.layers:
        if isinstance(layer, Linear):
            assert np.all(layer.params["W"] >= 0) and np.all(layer.params["W"] < 1e-3)


def test_mlp_is_reproducible_with_the_same_seed():
    a = MLP([3, 4, 2], activation="relu", rng=np.random.default_rng(9))
    b = MLP([3, 4, 2], activation="relu", rng=np.random.default_rng(9))
    c = MLP([3, 4, 2], activation="relu", rng=np.random.default_rng(10))
    for la, lb in zip(a.layers, b.layers):
        for key in la.params:
            assert np.array_equal(la.params[key], lb.params[key])
    assert not np.array_equal(a.layers[0].params["W"], c.layers[0].params["W"])


def test_sequential_forward_is_the_composition_of_its_layers():
    rng = np.random.default_rng(SEED)
    first, act, second = Linear(3, 4, rng=rng), Tanh(), Linear(4, 2, rng=rng)
    model = Sequential(first, act, second)
    assert list(model.layers) == [first, act, second]
    X = rng.normal(size=(5, 3))
    expected = (
        np.tanh(X @ first.params["W"] + first.params["b"]) @ second.params["W"]
        + second.params["b"]
    )
    np.testing.assert_allclose(model.forward(X), expected, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(model(X), expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("activation", list(ACTIVATION_CLASSES))
def test_sequential_backward_returns_the_input_gradient(activation):
    rng = np.random.default_rng(SEED + 1)
    model = MLP([3, 5, 2], activation=activation, rng=rng)
    randomise_biases(model, rng)
    X = relu_safe_inputs(model, rng, (4, 3))
    G = rng.normal(size=(4, 2))
    model.forward(X)
    grad_X = model.backward(G)
    numeric = central_difference(lambda X_: np.sum(G * model.forward(X_)), X)
    assert grad_X.shape == X.shape
    assert rel_error(grad_X, numeric) <= TOL


def _targets(loss_name, rng, n, k):
    if loss_name == "mse":
        return MSELoss(), rng.normal(size=(n, k))
    return SoftmaxCrossEntropyLoss(), rng.integers(0, k, size=n)


@pytest.mark.parametrize("loss_name", ["mse", "cross_entropy"])
@pytest.mark.parametrize("activation", list(ACTIVATION_CLASSES))
def test_whole_mlp_gradients_match_finite_differences(activation, loss_name):
    rng = np.random.default_rng(SEED + 2)
    for sizes, n in [([3, 5, 4, 3], 6), ([2, 7, 2], 1), ([4, 3, 3, 3, 4], 9)]:
        model = MLP(sizes, activation=activation, rng=rng)
        randomise_biases(model, rng)
        loss, y = _targets(loss_name, rng, n, sizes[-1])
        X = relu_safe_inputs(model, rng, (n, sizes[0]))

        loss.forward(model.forward(X), y)
        grad_X = model.backward(loss.backward())
        analytic = [
            (i, key, layer.grads[key].copy())
            for i, layer in enumerate(model.layers)
            for key in layer.params
        ]
        assert len(analytic) == 2 * (len(sizes) - 1)

        def objective():
            return loss.forward(model.forward(X), y)

        for i, key, grad in analytic:
            numeric = central_difference_in_place(
                objective, model.layers[i].params[key]
            )
            assert rel_error(grad, numeric) <= TOL, f"layer{i}.{key}"
        numeric_X = central_difference(lambda X_: loss.forward(model.forward(X_), y), X)
        assert rel_error(grad_X, numeric_X) <= TOL


def test_mlp_caches_do_not_grow_over_many_steps():
    rng = np.random.default_rng(SEED)
    model = MLP([2, 8, 8, 1], activation="tanh", rng=rng)
    X, y = rng.normal(size=(16, 2)), rng.normal(size=(16, 1))
    loss = MSELoss()

    def one_step():
        loss.forward(model.forward(X), y)
        model.backward(loss.backward())

    one_step()
    footprint = stored_footprint(model), stored_footprint(loss)
    for _ in range(999):
        one_step()
    assert (stored_footprint(model), stored_footprint(loss)) == footprint


def test_sequential_backward_fills_grads_of_every_parameter():
    rng = np.random.default_rng(SEED)
    model = MLP([2, 3, 3, 2], activation="relu", rng=rng)
    model.forward(rng.normal(size=(5, 2)))
    model.backward(rng.normal(size=(5, 2)))
    for layer in model.layers:
        assert set(layer.grads) == set(layer.params)
        for key in layer.params:
            assert layer.grads[key].shape == layer.params[key].shape
