"""The package's own gradient checker: numerical_gradient, relative_error, gradcheck."""

import numpy as np
import pytest

from helpers import rel_error
from mlp_from_scratch import (
    MLP,
    GradientCheckError,
    Linear,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    SoftmaxCrossEntropyLoss,
    Tanh,
    check_gradient_of,
    check_gradients,
    gradcheck,
    gradcheck_layer,
    numerical_gradient,
    relative_error,
)

SEED = 77


def test_numerical_gradient_of_a_quadratic_matches_its_known_gradient():
    rng = np.random.default_rng(SEED)
    M = rng.normal(size=(5, 5))
    A = M @ M.T + np.eye(5)
    c = rng.normal(size=5)
    x = rng.normal(size=5)

    def f(v):
        return 0.5 * v @ A @ v + c @ v

    grad = numerical_gradient(f, x)
    assert grad.shape == x.shape
    assert rel_error(grad, A @ x + c) <= 1e-9


def test_numerical_gradient_works_on_matrices_read_through_a_closure():
    rng = np.random.default_rng(SEED)
    W = rng.normal(size=(3, 4))
    target = rng.normal(size=(3, 4))

    def f(_):
        return float(np.sum((W - target) ** 2))  # reads W itself, not its argument

    grad = numerical_gradient(f, W)
    assert rel_error(grad, 2 * (W - target)) <= 1e-9


def test_numerical_gradient_restores_x_exactly():
    rng = np.random.default_rng(SEED)
    x = (
        rng.normal(size=(4, 3)) * 1e3
    )  # large entries: x + eps - eps would not round-trip
    before = x.copy()
    seen = []

    def f(v):
        seen.append(v is x)
        return float(np.sum(np.sin(v)))

    numerical_gradient(f, x)
    assert np.array_equal(x, before)
    assert all(seen)  # perturbed in place, as documented


def test_numerical_gradient_uses_central_differences():
    # f(x) = x**3 at x = 1: central gives 3 + eps**2, forward would give 3 + 3 eps.
    x = np.array([1.0])
    grad = numerical_gradient(lambda v: float(v[0] ** 3), x, eps=1e-3)
    assert grad[0] == pytest.approx(3.0 + 1e-6, rel=1e-9)


def test_relative_error_values():
    a = np.array([1.0, 2.0, 3.0])
    assert relative_error(a, a.copy()) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(np.array([1.0, 0.0]), np.zeros(2)) == pytest.approx(1.0)
    b = np.array([1.0, 2.0, 3.5])
    assert relative_error(a, b) == pytest.approx(
        0.5 / (np.linalg.norm(a) + np.linalg.norm(b))
    )
    assert relative_error(a, b) == relative_error(b, a)


def _model_and_data(activation, loss_name, seed=SEED):
    rng = np.random.default_rng(seed)
    model = MLP([3, 6, 5, 3], activation=activation, rng=rng)
    X = rng.normal(size=(7, 3))
    if loss_name == "mse":
        return model, MSELoss(), X, rng.normal(size=(7, 3))
    return model, SoftmaxCrossEntropyLoss(), X, rng.integers(0, 3, size=7)


@pytest.mark.parametrize("loss_name", ["mse", "cross_entropy"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_gradcheck_returns_one_small_error_per_parameter(activation, loss_name):
    model, loss, X, y = _model_and_data(activation, loss_name)
    before = [array.copy() for layer in model.layers for array in layer.params.values()]
    errors = gradcheck(model, loss, X, y)
    expected = {
        f"layer{i}.{key}"
        for i, layer in enumerate(model.layers)
        for key in layer.params
    }
    assert set(errors) == expected
    assert len(errors) == 6
    assert all(error <= 1e-7 for error in errors.values()), errors
    after = [array for layer in model.layers for array in layer.params.values()]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


def test_check_gradients_passes_a_correct_model():
    model, loss, X, y = _model_and_data("tanh", "cross_entropy")
    errors = check_gradients(model, loss, X, y)
    assert max(errors.values()) <= 1e-7


def test_check_gradients_names_the_parameter_of_a_broken_backward(monkeypatch):
    model, loss, X, y = _model_and_data("tanh", "mse")
    broken = model.layers[2]  # the second Linear layer
    assert isinstance(broken, Linear)
    original = broken.backward

    def wrong_backward(grad_a, *args, **kwargs):
        grad_z = original(grad_a, *args, **kwargs)
        broken.grads["W"] = broken.grads["W"] * 1.01  # a one-percent mistake in dL/dW
        return grad_z

    monkeypatch.setattr(broken, "backward", wrong_backward)
    with pytest.raises(GradientCheckError, match=r"layer2\.W") as info:
        check_gradients(model, loss, X, y)
    assert isinstance(info.value, AssertionError)
    message = str(info.value)
    assert "layer2.b" not in message and "layer0.W" not in message


def test_check_gradients_flags_a_wrong_input_gradient_in_the_layers_below(monkeypatch):
    model, loss, X, y = _model_and_data("sigmoid", "mse")
    activation = model.layers[3]
    original = activation.backward
    monkeypatch.setattr(activation, "backward", lambda grad: -original(grad))
    with pytest.raises(GradientCheckError, match=r"layer0\.W") as info:
        check_gradients(model, loss, X, y)
    assert "layer4" not in str(info.value)  # the layer above the mistake is still right


def test_gradcheck_covers_layers_without_bias():
    rng = np.random.default_rng(SEED)
    model = Sequential(Linear(3, 4, bias=False, rng=rng), Tanh(), Linear(4, 2, rng=rng))
    errors = gradcheck(
        model, MSELoss(), rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    )
    assert set(errors) == {"layer0.W", "layer2.W", "layer2.b"}
    assert max(errors.values()) <= 1e-7


def test_gradcheck_names_a_parameter_whose_gradient_has_the_wrong_shape(monkeypatch):
    model, loss, X, y = _model_and_data("relu", "mse")
    layer = model.layers[0]
    original = layer.backward

    def transposed_backward(grad_a, *args, **kwargs):
        out = original(grad_a, *args, **kwargs)
        layer.grads["W"] = layer.grads["W"].T.copy()
        return out

    monkeypatch.setattr(layer, "backward", transposed_backward)
    with pytest.raises(GradientCheckError, match=r"layer0\.W.*\(6, 3\).*\(3, 6\)"):
        gradcheck(model, loss, X, y)


@pytest.mark.parametrize(
    "make",
    [lambda: Linear(4, 3, rng=np.random.default_rng(0)), Sigmoid, Tanh, ReLU],
    ids=["linear", "sigmoid", "tanh", "relu"],
)
def test_gradcheck_layer_passes_every_layer(make):
    layer = make()
    rng = np.random.default_rng(SEED)
    x = rng.uniform(0.2, 2.0, size=(5, 4)) * rng.choice([-1.0, 1.0], size=(5, 4))
    errors = gradcheck_layer(layer, x, rng=1)
    assert set(errors) == {"input"} | set(layer.params)
    assert max(errors.values()) <= 1e-7


def test_check_gradient_of_accepts_a_correct_gradient_and_returns_its_error():
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    error = check_gradient_of(lambda v: float(np.sum(v**3)), x, 3 * x**2, name="cube")
    assert 0.0 <= error <= 1e-7


def test_check_gradient_of_rejects_a_wrong_gradient_naming_it():
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    with pytest.raises(GradientCheckError, match=r"cube.*relative error"):
        check_gradient_of(lambda v: float(np.sum(v**3)), x, 2 * x**2, name="cube")


def test_check_gradient_of_rejects_a_gradient_of_the_wrong_shape():
    x = np.ones((2, 3))
    with pytest.raises(GradientCheckError, match=r"W.*\(3, 2\).*\(2, 3\)"):
        check_gradient_of(lambda v: float(np.sum(v)), x, np.ones((3, 2)), name="W")
