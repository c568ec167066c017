"""Sweeps behind the single visible checks of chapter 5 (activations).

The chapter checks each equation once, on one shape; these tests repeat the checks over more
shapes and grids, and keep the checks that the chapter no longer shows. The stable sigmoid,
saturation and dead ReLU units have their own checks on the chapter's depth pages.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from mlp_from_scratch import ReLU, Sigmoid, Tanh, gradcheck_layer, numerical_gradient, relative_error
from mlp_from_scratch import functional as F
from mlp_from_scratch.grading import grade

H = 1e-6  # the finite-difference step h
X = sp.Symbol("x", real=True)
DEFINITIONS = {Sigmoid: 1 / (1 + sp.exp(-X)), Tanh: sp.tanh(X), ReLU: sp.Max(X, 0)}
F_PRIME = {cls: sp.lambdify(X, sp.diff(f, X), "numpy") for cls, f in DEFINITIONS.items()}


def away_from_zero(shape, rng, margin=0.1):
    """Random entries with margin <= |a| <= 3: none close to ReLU's kink."""
    sign = rng.choice([-1.0, 1.0], size=shape)
    return sign * rng.uniform(margin, 3.0, size=shape)


def test_jacobian_of_an_elementwise_function_is_exactly_diagonal():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3))
    rows = [numerical_gradient(lambda _: F.tanh(a).ravel()[r], a, H).ravel()
            for r in range(a.size)]
    J = np.stack(rows)
    assert np.all(J - np.diag(np.diag(J)) == 0.0)
    assert np.allclose(np.diag(J), 1 - np.tanh(a.ravel()) ** 2, rtol=1e-8)


@pytest.mark.parametrize("cls", [Sigmoid, Tanh, ReLU])
@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (5, 4)])
def test_activation_backward_is_the_upstream_gradient_times_sympys_derivative(cls, shape):
    rng = np.random.default_rng(sum(shape))
    a, G = away_from_zero(shape, rng), rng.standard_normal(shape)
    layer = cls()
    expected = G * F_PRIME[cls](a)
    numeric = numerical_gradient(lambda _: float(np.sum(G * layer.forward(a))), a, H)
    assert relative_error(numeric, expected) < 1e-7
    layer.forward(a)
    assert relative_error(layer.backward(G), expected) < 1e-7


def test_activation_backward_symbolically_for_unspecified_f_and_L():
    f = sp.Function("f")
    A = sp.Matrix(2, 2, lambda n, j: sp.Symbol(f"a_{n + 1}{j + 1}"))
    Z = sp.Matrix(2, 2, lambda n, j: sp.Symbol(f"z_{n + 1}{j + 1}"))
    L_of_z = sp.Function("L")(*Z)
    at_forward = {zs: f(a_s) for zs, a_s in zip(Z, A)}  # z = f(a)
    grad_z = Z.applyfunc(lambda v: sp.diff(L_of_z, v)).subs(at_forward)
    grad_a = A.applyfunc(lambda v: sp.diff(L_of_z.subs(at_forward), v))
    f_prime = A.applyfunc(lambda v: sp.diff(f(v), v))
    difference = grad_a - grad_z.multiply_elementwise(f_prime)
    assert difference.applyfunc(sp.simplify) == sp.zeros(2, 2)


@pytest.mark.parametrize("f, backward, lo", [(F.sigmoid, F.sigmoid_backward, 10.0),
                                             (F.tanh, F.tanh_backward, 5.0)])
def test_backward_from_the_output_matches_the_slope_on_a_grid(f, backward, lo):
    a = np.linspace(-lo, lo, 2001)
    slope = (f(a + H) - f(a - H)) / (2 * H)
    assert relative_error(backward(np.ones_like(a), f(a)), slope) < 1e-7


@pytest.mark.parametrize("f, backward, scale", [(F.sigmoid, F.sigmoid_backward, 3.0),
                                                (F.tanh, F.tanh_backward, 2.0)])
@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (16, 8)])
def test_backward_from_the_output_matches_central_differences(f, backward, scale, shape):
    rng = np.random.default_rng(shape[0] * 31 + shape[1])
    a, G = scale * rng.standard_normal(shape), rng.standard_normal(shape)
    numeric = numerical_gradient(lambda _: float(np.sum(G * f(a))), a, H)
    assert relative_error(backward(G, f(a)), numeric) < 1e-7


def test_tanh_is_a_stretched_sigmoid():
    a = sp.Symbol("a", real=True)
    s = 1 / (1 + sp.exp(-a))
    t = (sp.exp(a) - sp.exp(-a)) / (sp.exp(a) + sp.exp(-a))
    assert sp.simplify(sp.diff(t, a) - (1 - t**2)) == 0
    assert sp.simplify(t - (2 * s.subs(a, 2 * a) - 1)) == 0


def test_the_sigmoid_slope_helper_is_right_on_the_output_and_wrong_on_the_input():
    def d_sigmoid(x):
        return x * (1 - x)

    rng = np.random.default_rng(4)
    a, G = 2 * rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    numeric = numerical_gradient(lambda _: float(np.sum(G * F.sigmoid(a))), a, H)
    assert relative_error(G * d_sigmoid(F.sigmoid(a)), numeric) < 1e-7
    assert relative_error(G * d_sigmoid(a), numeric) > 0.5


def test_sympy_differentiates_max_to_the_heaviside_step_with_one_half_at_zero():
    d_relu = sp.diff(sp.Max(X, 0), X)
    p, m = sp.Symbol("p", positive=True), sp.Symbol("m", negative=True)
    assert d_relu == sp.Heaviside(X)
    assert (d_relu.subs(X, p), d_relu.subs(X, m), d_relu.subs(X, 0)) == (1, 0, sp.S.Half)


def test_the_two_subgradient_choices_differ_exactly_at_the_zeros():
    a = np.array([[-1.5, 0.0, 2.0], [0.0, 0.3, -0.2], [5e-324, -5e-324, 0.0]])
    ones = np.ones_like(a)
    package = F.relu_backward(ones, a)  # [a > 0]: 0 at the kink
    other = ones * (a >= 0)  # [a >= 0]: 1 at the kink
    assert np.array_equal(package != other, a == 0)


def test_relu_backward_is_zero_at_the_kink_and_leaves_its_arguments_alone():
    rng = np.random.default_rng(9)
    a = rng.standard_normal((4, 5))
    a[0, :2] = 0.0
    grad_z = rng.standard_normal((4, 5))
    before = grad_z.copy()
    out = F.relu_backward(grad_z, a)
    assert np.all(out[0, :2] == 0.0)
    assert np.array_equal(grad_z, before)
    assert grade(lambda g, x: g * (x > 0), F.relu_backward, grad_z, a, names=("grad_a",))


@pytest.mark.parametrize("cls", [Sigmoid, Tanh, ReLU])
@pytest.mark.parametrize("shape", [(1, 1), (4, 3), (16, 10)])
def test_activation_layers_pass_gradcheck_layer(cls, shape):
    rng = np.random.default_rng(shape[0] + 7)
    x = away_from_zero(shape, rng) if cls is ReLU else 2 * rng.standard_normal(shape)
    errors = gradcheck_layer(cls(), x, rng=rng)
    assert set(errors) == {"input"} and errors["input"] < 1e-7, errors
