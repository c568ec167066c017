"""Sweeps behind chapters 8 (gradient checking) and 13 (bugs), moved out of the notebooks.

Each chapter shows one short check per idea; the claims it rests on are tested here over more
shapes, factors, seeds and models. The faulty classes are rewritten here (a test cannot import a
notebook), each in the few lines the chapter uses.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mlp_from_scratch as M
from mlp_from_scratch import functional as F

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = [BOOK / "08_gradient_checking.ipynb", BOOK / "13_bugs.ipynb"]
U = 2.0**-53  # unit roundoff of float64


# --- chapter 8: the error model and the relative error ------------------------------------


def test_unit_roundoff_is_half_the_machine_epsilon():
    assert U == np.finfo(np.float64).eps / 2 == 2.0**-53
    assert 1.0 + U == 1.0 and 1.0 + np.finfo(np.float64).eps > 1.0


@pytest.mark.parametrize("c", [0.1, 0.25, 0.5, 2.0, 3.0, 6.0, 100.0])
def test_relative_error_of_a_constant_factor_is_abs_c_minus_1_over_c_plus_1(c):
    g = np.random.default_rng(0).standard_normal((5, 3))
    assert np.isclose(M.relative_error(c * g, g), abs(c - 1) / (c + 1), rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_relative_error_is_scale_free_symmetric_and_one_for_opposite_gradients(seed):
    rng = np.random.default_rng(seed)
    g, g_hat = rng.standard_normal(7), rng.standard_normal(7)
    assert np.isclose(M.relative_error(1e6 * g, 1e6 * g_hat), M.relative_error(g, g_hat))
    assert M.relative_error(g, g_hat) == M.relative_error(g_hat, g)
    assert M.relative_error(g, -g) == 1.0
    assert M.relative_error(np.zeros(3), np.zeros(3)) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_the_signed_comparison_passes_too_small_gradients_and_fails_too_large_ones(seed):
    reference = np.random.default_rng(seed).standard_normal((4, 3))
    shift = 10 * np.abs(reference) + 1.0

    def is_same(mine, ref):  # the broadcasting article's test, in its argument order
        return (mine - ref).max() < 1e-4

    assert is_same(reference - shift, reference)
    assert not is_same(reference + shift, reference)
    assert M.relative_error(reference - shift, reference) > 0.5


@pytest.mark.parametrize("x", [-2.0, -0.5, 0.3, 1.0, 2.5])
def test_central_difference_round_off_stays_under_u_f_over_h(x):
    # the dotted line of chapter 8's first figure bounds the round-off regime's errors
    x0 = np.array([[x]])
    f = lambda v: F.sigmoid(v)[0, 0]  # noqa: E731
    exact = f(x0) * (1 - f(x0))
    steps = np.logspace(-14, -8, 31)
    errors = np.array([abs((f(x0 + s) - f(x0 - s)) / (2 * s) - exact) for s in steps])
    ratio = errors / (U * f(x0) / steps)
    assert np.quantile(ratio, 0.9) < 2.0


def _trained_sine_net():
    X, y = M.make_sin(64, rng=0)
    net = M.MLP([1, 16, 16, 1], activation="tanh", rng=0)
    M.fit(net, M.MSELoss(), M.Adam(net, lr=0.01), X, y, epochs=2000, rng=0)
    return net, X, y


def test_a_trained_network_checks_worse_than_at_initialisation_but_best_steps_pass():
    X, y = M.make_sin(64, rng=0)
    loss = M.MSELoss()
    at_init = M.gradcheck(M.MLP([1, 16, 16, 1], activation="tanh", rng=0), loss, X, y)
    net, X, y = _trained_sine_net()
    trained = M.gradcheck(net, loss, X, y)
    assert max(at_init.values()) < 1e-8
    assert max(trained.values()) > 10 * max(at_init.values())
    best = {n: min(M.gradcheck(net, loss, X, y, eps=s)[n] for s in (1e-5, 1e-6, 1e-7))
            for n in trained}
    assert max(best.values()) < 1e-7


def test_round_off_estimate_bounds_the_measured_error_of_a_trained_network_at_small_steps():
    net, X, y = _trained_sine_net()
    loss = M.MSELoss()
    pred = net.forward(X)
    kappa_L = np.mean(np.abs(pred - y) * (np.abs(pred) + np.abs(y)))
    loss.forward(pred, y)
    net.backward(loss.backward())
    grads = {name: g.copy() for name, _, g in net.parameters()}
    for h in (1e-9, 1e-8):
        errors = M.gradcheck(net, loss, X, y, eps=h)
        for name, p, _ in net.parameters():
            estimate = np.sqrt(p.size) * U * kappa_L / (2 * h * np.linalg.norm(grads[name]))
            assert errors[name] <= estimate, (name, h, errors[name], estimate)


def test_a_fixed_wrong_gradient_does_not_move_with_the_step():
    net, X, y = _trained_sine_net()
    loss = M.MSELoss()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    W = net.layers[0].params["W"]
    wrong = 1.01 * net.layers[0].grads["W"]
    objective = lambda _: loss.forward(net.forward(X), y)  # noqa: E731
    errors = [M.relative_error(wrong, M.numerical_gradient(objective, W, h))
              for h in (1e-8, 1e-7, 1e-6, 1e-5)]
    assert min(errors) > 1e-3 and max(errors) < 2 * min(errors)


# --- chapter 13: the faulty versions and the checks that catch them ------------------------


class _CompoundingSequential(M.Sequential):
    def backward(self, grad, *, input_grad=True):
        for layer in reversed(self.layers):
            grad = layer.backward(0.01 * grad)
        return grad


@pytest.mark.parametrize("sizes", [[2, 8, 2], [2, 8, 8, 2], [2, 8, 8, 8, 8, 2]])
def test_step_size_before_every_backward_scales_layer_l_by_0_01_per_layer_at_or_above(sizes):
    X, _, y, _ = M.make_moons_split(n_samples=100, random_state=0)
    loss = M.SoftmaxCrossEntropyLoss()

    def norms(model):
        loss.forward(model.forward(X), y)
        model.backward(loss.backward())
        return np.array([np.linalg.norm(l.grads["W"]) for l in model.layers if "W" in l.params])

    correct = M.MLP(sizes, "tanh", rng=0)
    faulty = _CompoundingSequential(*M.MLP(sizes, "tanh", rng=0).layers)
    n_linear = len(sizes) - 1
    expected = [0.01 ** (2 * (n_linear - 1 - i) + 1) for i in range(n_linear)]
    assert np.allclose(norms(faulty) / norms(correct), expected, rtol=1e-6, atol=0)


class _BiasAveraged(M.Linear):
    def backward(self, grad_a, *, input_grad=True):
        grad_z = super().backward(grad_a, input_grad=input_grad)
        self.grads["b"] = grad_a.mean(axis=0)
        return grad_z


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13])
def test_an_averaged_bias_gradient_has_relative_error_n_minus_1_over_n_plus_1(n):
    X, _, y, _ = M.make_moons_split(random_state=0)
    model = M.Sequential(_BiasAveraged(2, 5, rng=0), M.Tanh(), M.Linear(5, 2, rng=1))
    errors = M.gradcheck(model, M.SoftmaxCrossEntropyLoss(), X[:n], y[:n])
    assert abs(errors["layer0.b"] - (n - 1) / (n + 1)) < 1e-6
    assert errors["layer0.W"] < 1e-7


def _check_parameters_are_read(model, X):
    out = model.forward(X)
    for name, param, _ in list(model.parameters()):
        old = param.copy()
        param += 1.0
        changed = not np.array_equal(model.forward(X), out)
        param[...] = old
        model.forward(X)
        if not changed:
            raise AssertionError(f"{name} from parameters() is not read by forward")


def _check_backward_leaves_params(model, loss, X, y):
    before = [param.copy() for _, param, _ in model.parameters()]
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    for (name, param, _), old in zip(model.parameters(), before):
        if not np.array_equal(param, old):
            raise AssertionError(f"backward changed {name}")


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("sizes", [[2, 3], [2, 4, 2], [2, 8, 8, 2]])
def test_the_chapter_13_contract_checks_pass_every_package_network(activation, sizes):
    X, _, y, _ = M.make_moons_split(random_state=1)
    model = M.MLP(sizes, activation, rng=0)
    _check_parameters_are_read(model, X[:8])
    _check_backward_leaves_params(model, M.SoftmaxCrossEntropyLoss(), X[:8], y[:8])
    p = M.predict_proba(model, X[:20])
    assert np.allclose(p.sum(axis=1), 1.0)
    alone = np.vstack([M.predict_proba(model, X[i:i + 1]) for i in range(20)])
    assert np.allclose(alone, p)


def test_the_parameters_check_rejects_a_list_that_hands_out_the_layer_output():
    class KeepsOutput(M.Linear):
        def forward(self, z):
            self.output = super().forward(z)
            return self.output

    class Listed(M.Sequential):
        def parameters(self):
            for i, layer in enumerate(self.layers):
                if isinstance(layer, M.Linear):
                    yield f"layer{i}.W", layer.output, layer.grads.get("W")
                    yield f"layer{i}.b", layer.params["b"], layer.grads.get("b")

    X = np.random.default_rng(0).standard_normal((6, 2))
    model = Listed(KeepsOutput(2, 4, rng=0), M.Tanh(), KeepsOutput(4, 2, rng=1))
    with pytest.raises(AssertionError, match="layer0.W"):
        _check_parameters_are_read(model, X)


def test_a_package_linear_without_bias_runs_forward_and_backward():
    layer = M.Linear(3, 2, bias=False, rng=0)
    x = np.ones((4, 3))
    assert layer.forward(x).shape == (4, 2)
    assert layer.backward(np.ones((4, 2))).shape == (4, 3)
    assert set(layer.grads) == {"W"}


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (5, 2), (7, 4)])
def test_the_interview_gradient_is_n_k_times_the_gradient_of_the_mean(shape):
    rng = np.random.default_rng(4)
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    true = M.numerical_gradient(lambda p: float(np.mean((p - target) ** 2)), pred)
    assert np.allclose(2 * (pred - target) / true, shape[0] * shape[1], rtol=1e-6)


# --- both chapters: how they are written -------------------------------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_cell_is_tagged_to_raise_and_every_plotting_cell_is_hidden(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        tags = cell.get("metadata", {}).get("tags", [])
        assert "raises-exception" not in tags, f"{path.name} cell {i}"
        if cell["cell_type"] == "code":
            assert not any(o.get("output_type") == "error" for o in cell.get("outputs", [])), (
                f"{path.name} cell {i} stored an error")
            if "plt.subplots" in "".join(cell["source"]) and "plt.close" not in "".join(
                    cell["source"]):
                assert "hide-input" in tags, f"{path.name} cell {i} plots but is not hidden"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_the_chapter_uses_one_unit_roundoff_and_grades_an_exercise(path):
    text = path.read_text(encoding="utf-8")
    assert "grade(" in text
    assert "u = 2^{-52}" not in text and "2.0 ** -52" not in text
