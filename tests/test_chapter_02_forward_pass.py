"""Checks that chapter 2 (the forward pass) relies on but no longer shows: the slopes of the
three activations as their layers' backward returns them, which chapter 5 plots."""

import numpy as np
import pytest

from mlp_from_scratch import ReLU, Sigmoid, Tanh, relative_error

H = 1e-6  # finite-difference step


@pytest.mark.parametrize("layer_class", [Sigmoid, Tanh, ReLU])
def test_backward_with_an_upstream_gradient_of_ones_is_the_slope(layer_class):
    grid = np.linspace(-5, 5, 1001)[None, :]  # one row of pre-activations
    smooth = np.abs(grid) > 1e-3  # ReLU has no derivative at 0
    act = layer_class()
    act.forward(grid)
    slope = act.backward(np.ones_like(grid))
    central = (act.forward(grid + H) - act.forward(grid - H)) / (2 * H)
    assert relative_error(slope[smooth], central[smooth]) < 1e-7


def test_the_largest_slopes_are_one_quarter_one_and_relus_is_zero_or_one():
    grid = np.linspace(-5, 5, 1001)[None, :]
    slopes = {}
    for layer_class in (Sigmoid, Tanh, ReLU):
        act = layer_class()
        act.forward(grid)
        slopes[layer_class.__name__] = act.backward(np.ones_like(grid))[0]
    assert np.isclose(slopes["Sigmoid"].max(), 0.25, rtol=1e-6)
    assert np.isclose(slopes["Tanh"].max(), 1.0, rtol=1e-6)
    assert set(np.unique(slopes["ReLU"])) == {0.0, 1.0}
