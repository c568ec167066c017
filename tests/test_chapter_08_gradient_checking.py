"""Chapter 8's claims that the chapter states without a visible cell of its own.

The grader tells a central difference from a forward difference at the package's step: the
forward difference's O(h) truncation error is above the tolerance, the central difference's
O(h^2) error is far below it.
"""

from __future__ import annotations

import numpy as np

from mlp_from_scratch import numerical_gradient, relative_error
from mlp_from_scratch.grading import grade

from helpers import central_difference


def forward_difference(f, x, h):
    grad, f_0 = np.empty_like(x), f(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        grad[idx] = (f(x) - f_0) / h
        x[idx] = old
    return grad


def test_the_grader_accepts_a_central_difference_and_rejects_a_forward_one(capsys):
    f = lambda v: float(np.sum(np.sin(v) ** 2))  # noqa: E731
    x = np.random.default_rng(1).standard_normal((3, 4))
    assert grade(central_difference, numerical_gradient, f, x, 1e-6, names=("central",))
    assert not grade(forward_difference, numerical_gradient, f, x, 1e-6, names=("forward",))
    assert "differs from the reference" in capsys.readouterr().out
    forward_error = relative_error(forward_difference(f, x.copy(), 1e-6), np.sin(2 * x))
    central_error = relative_error(central_difference(f, x.copy(), 1e-6), np.sin(2 * x))
    assert central_error < 1e-9 < 1e-7 < forward_error < 1e-5


def test_central_differences_of_relu_straddling_its_kink_give_a_slope_between_0_and_1():
    # chapter 8 states it and links to chapter 5's demonstration; the numbers, checked here:
    # at the kink the average of the one-sided slopes, within h of it a slope in between
    from mlp_from_scratch import functional as F

    x_kink = np.array([[-1.0, 0.0, 5e-7, 2.0]])  # 0 is the kink; 5e-7 is within h of it
    numeric = numerical_gradient(lambda v: float(F.relu(v).sum()), x_kink)
    assert np.allclose(numeric, [[0.0, 0.5, 0.75, 1.0]], atol=1e-9)
    exact = F.relu_backward(np.ones_like(x_kink), x_kink)
    assert relative_error(exact, numeric) > 1e-2
