"""Every entry point refuses bad input with the right exception and a message naming the problem."""

import math

import numpy as np
import pytest

from mlp_from_scratch import (
    MLP,
    SGD,
    Adam,
    Linear,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    SoftmaxCrossEntropyLoss,
    Tanh,
    accuracy,
    fit,
    make_moons_split,
    make_sin,
)
from mlp_from_scratch import functional as F

ACTIVATION_LAYERS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU}


def pattern_of(shape):
    """A regular expression matching ``shape`` as Python prints it, e.g. ``\\(4,\\)``."""
    return (
        r"\("
        + ", ".join(str(s) for s in shape)
        + ("," if len(shape) == 1 else "")
        + r"\)"
    )


def _model(sizes=(3, 4, 2), activation="tanh"):
    return MLP(list(sizes), activation=activation, rng=np.random.default_rng(0))


def _data(n=8, n_in=3, n_out=2):
    rng = np.random.default_rng(1)
    return rng.normal(size=(n, n_in)), rng.normal(size=(n, n_out))


# --------------------------------------------------------------------------- shapes of inputs


def test_linear_refuses_the_wrong_number_of_features():
    layer = Linear(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"Linear\(3, 2\).*3 columns.*\(4, 2\)"):
        layer.forward(np.ones((4, 2)))


def test_network_names_the_layer_that_gets_the_wrong_number_of_features():
    model = _model((3, 4, 2))
    with pytest.raises(ValueError, match=r"Linear\(3, 4\).*3 columns.*\(5, 7\)"):
        model.forward(np.ones((5, 7)))


@pytest.mark.parametrize("shape", [(3,), (2, 3, 3), ()], ids=["1d", "3d", "scalar"])
def test_linear_refuses_input_that_is_not_2d(shape):
    layer = Linear(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"Linear\(3, 2\).*2-D.*" + pattern_of(shape)):
        layer.forward(np.ones(shape))


@pytest.mark.parametrize("name", list(ACTIVATION_LAYERS))
def test_activation_refuses_input_that_is_not_2d(name):
    layer = ACTIVATION_LAYERS[name]()
    with pytest.raises(ValueError, match=r"2-D.*\(4,\)"):
        layer.forward(np.ones(4))


def test_network_refuses_a_1d_batch_and_says_how_to_reshape():
    model = _model((1, 4, 1))
    with pytest.raises(ValueError, match=r"2-D.*\(6,\).*reshape"):
        model.forward(np.linspace(0, 1, 6))


def test_non_numeric_input_is_a_type_error():
    layer = Linear(2, 2, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"real numbers"):
        layer.forward(np.array([["a", "b"]]))


# --------------------------------------------------------------------------- empty batches


def test_linear_refuses_an_empty_batch():
    layer = Linear(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"(?i)empty.*\(0, 3\)"):
        layer.forward(np.ones((0, 3)))


def test_fit_refuses_an_empty_training_set():
    model = _model()
    with pytest.raises(ValueError, match=r"(?i)X.*empty"):
        fit(
            model,
            MSELoss(),
            SGD(model, lr=0.1),
            np.ones((0, 3)),
            np.ones((0, 2)),
            epochs=1,
        )


@pytest.mark.parametrize(
    "make", [MSELoss, SoftmaxCrossEntropyLoss], ids=["mse", "cross_entropy"]
)
def test_losses_refuse_an_empty_batch(make):
    target = np.ones((0, 2)) if make is MSELoss else np.array([], dtype=int)
    with pytest.raises(ValueError, match=r"(?i)empty"):
        make().forward(np.ones((0, 2)), target)


# --------------------------------------------------------------------------- backward


@pytest.mark.parametrize(
    "make",
    [lambda: Linear(3, 2, rng=np.random.default_rng(0)), Sigmoid, Tanh, ReLU],
    ids=["linear", "sigmoid", "tanh", "relu"],
)
def test_backward_before_forward_is_a_runtime_error(make):
    layer = make()
    with pytest.raises(RuntimeError, match=r"backward.*before forward"):
        layer.backward(np.ones((2, 2)))


@pytest.mark.parametrize(
    "make", [MSELoss, SoftmaxCrossEntropyLoss], ids=["mse", "cross_entropy"]
)
def test_loss_backward_before_forward_is_a_runtime_error(make):
    with pytest.raises(RuntimeError, match=r"backward.*before forward"):
        make().backward()


def test_network_backward_before_forward_is_a_runtime_error():
    with pytest.raises(RuntimeError, match=r"backward.*before forward"):
        _model().backward(np.ones((2, 2)))


@pytest.mark.parametrize("bad_shape", [(4, 3), (5, 2), (4,), (2, 4)])
def test_linear_backward_refuses_a_gradient_of_the_wrong_shape(bad_shape):
    layer = Linear(3, 2, rng=np.random.default_rng(0))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(
        ValueError, match=r"Linear\(3, 2\).*\(4, 2\).*" + pattern_of(bad_shape)
    ):
        layer.backward(np.ones(bad_shape))


@pytest.mark.parametrize("name", list(ACTIVATION_LAYERS))
def test_activation_backward_refuses_a_gradient_of_the_wrong_shape(name):
    layer = ACTIVATION_LAYERS[name]()
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(3, 4\)"):
        layer.backward(np.ones((3, 4)))


def test_network_backward_refuses_a_gradient_of_the_wrong_shape():
    model = _model((3, 4, 2))
    model.forward(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"\(5, 2\).*\(5, 1\)"):
        model.backward(np.ones((5, 1)))


# --------------------------------------------------------------------------- losses


@pytest.mark.parametrize(
    "pred_shape, target_shape, pattern",
    [
        ((4, 1), (4,), r"pred.*target.*\(4, 1\).*\(4,\)"),
        ((4,), (4, 1), r"pred.*2-D.*\(4,\)"),
        ((4, 2), (4, 1), r"pred.*target.*\(4, 2\).*\(4, 1\)"),
        ((4, 1), (1, 4), r"pred.*target.*\(4, 1\).*\(1, 4\)"),
        ((3, 1), (4, 1), r"pred.*target.*\(3, 1\).*\(4, 1\)"),
    ],
)
def test_mse_refuses_pred_and_target_of_different_shapes(
    pred_shape, target_shape, pattern
):
    with pytest.raises(ValueError, match=pattern):
        MSELoss().forward(np.ones(pred_shape), np.ones(target_shape))


def test_functional_mse_refuses_an_n_by_1_against_n_broadcast():
    pattern = r"target.*\(4,\)"
    with pytest.raises(ValueError, match=pattern):
        F.mse(np.ones((4, 1)), np.ones(4))
    with pytest.raises(ValueError, match=pattern):
        F.mse_backward(np.ones((4, 1)), np.ones(4))


@pytest.mark.parametrize(
    "labels, pattern",
    [
        (np.array([0, 1, 3]), r"labels.*\[0, 3\).*3"),
        (np.array([0, -1, 2]), r"labels.*(non-negative|negative).*-1"),
        (np.array([0.0, 1.5, 2.0]), r"labels.*(whole|integer|fractional).*1\.5"),
        (np.array([0, 1]), r"labels.*2.*3 rows"),
        (np.array([0, 1, 2, 0]), r"labels.*4.*3 rows"),
        (np.array([[0, 1, 2]]), r"labels.*\(N,\)"),
        (np.array([0.0, np.nan, 1.0]), r"labels.*NaN"),
    ],
    ids=["out_of_range", "negative", "fractional", "too_few", "too_many", "2d", "nan"],
)
def test_cross_entropy_refuses_bad_labels(labels, pattern):
    logits = np.zeros((3, 3))
    with pytest.raises(ValueError, match=pattern):
        SoftmaxCrossEntropyLoss().forward(logits, labels)
    with pytest.raises(ValueError, match=pattern):
        F.softmax_cross_entropy(logits, labels)
    with pytest.raises(ValueError, match=pattern):
        F.softmax_cross_entropy_backward(logits, labels)


def test_cross_entropy_refuses_non_numeric_labels():
    with pytest.raises(TypeError, match=r"labels.*integer"):
        SoftmaxCrossEntropyLoss().forward(np.zeros((2, 2)), np.array(["a", "b"]))


def test_one_hot_refuses_labels_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 3\).*5"):
        F.one_hot(np.array([0, 5]), 3)


def test_accuracy_refuses_labels_out_of_range():
    model = _model((3, 4, 2))
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        accuracy(model, np.ones((3, 3)), np.array([0, 1, 2]))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_mse_refuses_non_finite_targets(bad):
    target = np.zeros((3, 1))
    target[1, 0] = bad
    with pytest.raises(ValueError, match=r"target.*(NaN|infinite)"):
        MSELoss().forward(np.zeros((3, 1)), target)


# --------------------------------------------------------------------------- fit and its data


def test_fit_refuses_x_and_y_of_different_lengths():
    model = _model()
    X, y = _data(n=8)
    with pytest.raises(ValueError, match=r"y.*8.*\(7, 2\)"):
        fit(model, MSELoss(), SGD(model, lr=0.1), X, y[:7], epochs=1)


def test_fit_refuses_labels_of_a_different_length():
    model = _model((3, 4, 2))
    X, _ = _data(n=8)
    with pytest.raises(ValueError, match=r"y.*8"):
        fit(
            model,
            SoftmaxCrossEntropyLoss(),
            SGD(model, lr=0.1),
            X,
            np.zeros(6, dtype=int),
            epochs=1,
        )


@pytest.mark.parametrize("where", ["X", "y", "X_val", "y_val"])
@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_fit_refuses_nan_or_inf_in_the_data(where, bad):
    model = _model()
    X, y = _data()
    X_val, y_val = _data(n=4)
    data = {"X": X, "y": y, "X_val": X_val, "y_val": y_val}
    data[where] = data[where].copy()
    data[where][1, 0] = bad
    before = [array.copy() for layer in model.layers for array in layer.params.values()]
    with pytest.raises(ValueError, match=where + r".*(NaN|infinite)"):
        fit(
            model,
            MSELoss(),
            SGD(model, lr=0.1),
            data["X"],
            data["y"],
            epochs=2,
            validation_data=(data["X_val"], data["y_val"]),
        )
    after = [array for layer in model.layers for array in layer.params.values()]
    assert all(
        np.array_equal(a, b) for a, b in zip(before, after)
    ), "training started on bad data"


def test_network_forward_refuses_nan_input():
    X = np.ones((3, 3))
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"(NaN|infinite)"):
        _model().forward(X)


@pytest.mark.parametrize("batch_size", [0, -4])
def test_fit_refuses_a_non_positive_batch_size(batch_size):
    model = _model()
    X, y = _data()
    with pytest.raises(ValueError, match=r"batch_size.*positive.*" + str(batch_size)):
        fit(model, MSELoss(), SGD(model, lr=0.1), X, y, epochs=1, batch_size=batch_size)


@pytest.mark.parametrize("batch_size", [2.5, "8", float("nan")])
def test_fit_refuses_a_batch_size_that_is_not_an_integer(batch_size):
    model = _model()
    X, y = _data()
    with pytest.raises(TypeError, match=r"batch_size.*integer"):
        fit(model, MSELoss(), SGD(model, lr=0.1), X, y, epochs=1, batch_size=batch_size)


@pytest.mark.parametrize(
    "epochs, error",
    [
        (0, ValueError),
        (-1, ValueError),
        (1.5, TypeError),
        ("3", TypeError),
        (None, TypeError),
    ],
)
def test_fit_refuses_bad_epochs(epochs, error):
    model = _model()
    X, y = _data()
    with pytest.raises(error, match=r"epochs.*positive integer"):
        fit(model, MSELoss(), SGD(model, lr=0.1), X, y, epochs=epochs)


# --------------------------------------------------------------------------- optimisers


@pytest.mark.parametrize("make", [SGD, Adam], ids=["sgd", "adam"])
@pytest.mark.parametrize(
    "lr", [0.0, -0.1, math.nan, math.inf], ids=["zero", "negative", "nan", "inf"]
)
def test_optimizers_refuse_a_bad_learning_rate(make, lr):
    with pytest.raises(
        ValueError, match=r"(?i)(learning rate|lr).*positive.*" + str(lr)
    ):
        make(_model(), lr=lr)


@pytest.mark.parametrize("make", [SGD, Adam], ids=["sgd", "adam"])
def test_optimizers_refuse_a_learning_rate_that_is_not_a_number(make):
    with pytest.raises(TypeError, match=r"(?i)(learning rate|lr)"):
        make(_model(), lr="0.1")


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5, math.nan])
def test_sgd_refuses_momentum_outside_zero_to_one(momentum):
    with pytest.raises(ValueError, match=r"momentum"):
        SGD(_model(), lr=0.1, momentum=momentum)


@pytest.mark.parametrize("betas", [(1.0, 0.999), (0.9, -0.1), (0.9,), (0.9, 0.99, 0.9)])
def test_adam_refuses_bad_betas(betas):
    with pytest.raises(ValueError, match=r"beta"):
        Adam(_model(), lr=0.01, betas=betas)


@pytest.mark.parametrize("eps", [0.0, -1e-8, math.nan])
def test_adam_refuses_a_bad_eps(eps):
    with pytest.raises(ValueError, match=r"eps"):
        Adam(_model(), lr=0.01, eps=eps)


def test_optimizer_step_before_backward_is_a_runtime_error():
    optimizer = SGD(_model(), lr=0.1)
    with pytest.raises(RuntimeError, match=r"backward"):
        optimizer.step()


# --------------------------------------------------------------------------- building models


@pytest.mark.parametrize("n_in, n_out", [(0, 3), (3, 0), (-2, 3)])
def test_linear_refuses_non_positive_sizes(n_in, n_out):
    bad = n_in if n_in < 1 else n_out
    which = "in_features" if n_in < 1 else "out_features"
    with pytest.raises(ValueError, match=which + r".*positive integer.*" + str(bad)):
        Linear(n_in, n_out)


@pytest.mark.parametrize("n_in", [2.5, "3", None, True])
def test_linear_refuses_sizes_that_are_not_integers(n_in):
    with pytest.raises(TypeError, match=r"in_features.*integer"):
        Linear(n_in, 3)


@pytest.mark.parametrize(
    "sizes, error, pattern",
    [
        ([3], ValueError, r"sizes.*at least"),
        ([], ValueError, r"sizes.*at least"),
        ([3, 0, 1], ValueError, r"sizes\[1\].*positive.*0"),
        ([3, -4, 1], ValueError, r"sizes\[1\].*positive.*-4"),
        ([3, 2.5, 1], TypeError, r"sizes\[1\].*integer"),
        ("321", ValueError, r"sizes"),
    ],
    ids=[
        "one_size",
        "empty",
        "zero_width",
        "negative_width",
        "fractional_width",
        "string",
    ],
)
def test_mlp_refuses_bad_layer_sizes(sizes, error, pattern):
    with pytest.raises(error, match=pattern):
        MLP(sizes, activation="tanh")


@pytest.mark.parametrize("activation", ["softplus", "Sigmoid ", "", None])
def test_mlp_refuses_an_unknown_activation(activation):
    with pytest.raises(
        ValueError,
        match=r"unknown activation.*"
        + repr(activation).replace("(", r"\(")
        + r".*relu.*sigmoid.*tanh",
    ):
        MLP([2, 3, 1], activation=activation)


@pytest.mark.parametrize("init", ["glorot_magic", "", 3])
def test_linear_refuses_an_unknown_init(init):
    with pytest.raises(ValueError, match=r"unknown init.*" + repr(init) + r".*xavier"):
        Linear(2, 3, init=init)


def test_mlp_refuses_an_unknown_init():
    with pytest.raises(ValueError, match=r"unknown init.*'kaiming'"):
        MLP([2, 3, 1], init="kaiming")


def test_linear_refuses_an_init_returning_the_wrong_shape():
    with pytest.raises(ValueError, match=r"init.*\(3, 2\).*\(2, 3\)"):
        Linear(2, 3, init=lambda rng, n_in, n_out: np.ones((n_out, n_in)))


def test_sequential_refuses_something_that_is_not_a_layer():
    with pytest.raises(TypeError, match=r"layer 1.*str"):
        Sequential(Linear(2, 2), "relu")


def test_layers_refuse_an_rng_that_is_not_a_generator_or_seed():
    with pytest.raises(TypeError, match=r"rng"):
        Linear(2, 2, rng="seed")


# --------------------------------------------------------------------------- data


def test_make_sin_refuses_a_non_positive_n():
    with pytest.raises(ValueError, match=r"n.*positive.*0"):
        make_sin(0, rng=np.random.default_rng(0))


def test_make_sin_refuses_low_not_below_high():
    with pytest.raises(ValueError, match=r"low.*high"):
        make_sin(5, rng=np.random.default_rng(0), low=1.0, high=1.0)


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.2])
def test_make_moons_split_refuses_a_bad_test_size(test_size):
    with pytest.raises(ValueError, match=r"test_size"):
        make_moons_split(n_samples=50, test_size=test_size)


@pytest.mark.parametrize("n_samples, test_size", [(1000, 0.001), (10, 0.95), (3, 0.5)])
def test_make_moons_split_refuses_a_split_too_small_to_stratify(n_samples, test_size):
    with pytest.raises(ValueError, match=r"each side needs at least one sample"):
        make_moons_split(n_samples=n_samples, test_size=test_size)
