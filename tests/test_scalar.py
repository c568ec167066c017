"""The scalar Value of chapter 3: its gradients against the chapter's pencil numbers, against
central differences, and the fan-out rule (shares of a gradient add, ``+=``)."""

import inspect
import math

import numpy as np
import pytest

from mlp_from_scratch import relative_error, scalar
from mlp_from_scratch.scalar import Value

H = 1e-6  # finite-difference step


def pencil_graph(V=Value, x=2.0, w=0.25, b=-0.5, v=2.0, y=0.5):
    """Chapter 3's graph: a = wx + b, z = sigma(a), y_hat = vz + a, L = (y_hat - y)^2 / 2."""
    x, w, b, v = V(x), V(w), V(b), V(v)
    a = w * x + b
    z = a.sigmoid()
    y_hat = v * z + a
    d = y_hat - y
    L = 0.5 * d * d
    return dict(x=x, w=w, b=b, v=v, a=a, z=z, y_hat=y_hat, L=L)


def loss_float(x, w, b, v, y=0.5):
    a = w * x + b
    y_hat = v / (1.0 + math.exp(-a)) + a
    return 0.5 * (y_hat - y) ** 2


def test_value_reproduces_the_pencil_numbers_of_chapter_3_exactly():
    g = pencil_graph()
    g["L"].backward()
    values = {k: g[k].data for k in ("a", "z", "y_hat", "L")}
    assert values == dict(a=0.0, z=0.5, y_hat=1.0, L=0.125)
    grads = {k: g[k].grad for k in ("y_hat", "v", "z", "a", "x", "w", "b")}
    assert grads == dict(y_hat=0.5, v=0.25, z=1.0, a=0.75, x=0.1875, w=1.5, b=0.75)


@pytest.mark.parametrize("seed", range(10))
def test_value_gradients_match_central_differences(seed):
    rng = np.random.default_rng(seed)
    point = dict(zip("xwbv", (float(t) for t in rng.standard_normal(4) * 2)))
    g = pencil_graph(**point)
    g["L"].backward()
    estimate = []
    for name in "xwbv":
        up, down = dict(point), dict(point)
        up[name] += H
        down[name] -= H
        estimate.append((loss_float(**up) - loss_float(**down)) / (2 * H))
    assert relative_error([g[name].grad for name in "xwbv"], estimate) < 1e-7


def test_a_value_used_twice_gets_the_sum_of_both_shares():
    u = Value(3.0)
    s = u + u
    s.backward()
    assert u.grad == 2.0
    p = u * u
    p.backward()
    assert u.grad == 6.0  # d(u^2)/du = 2u
    q = u * u + u  # three uses: 2u + 1
    q.backward()
    assert q.data == 12.0 and u.grad == 7.0


def test_overwriting_instead_of_adding_loses_a_share_at_the_fork():
    # The same module with every `grad +=` replaced by `grad =`: the fork at a loses a share.
    source = inspect.getsource(scalar).replace("grad +=", "grad =")
    assert source.count("grad =") >= 5
    namespace = {}
    exec(compile(source, "scalar_overwriting", "exec"), namespace)  # noqa: S102
    Overwriting = namespace["Value"]
    u = Overwriting(3.0)
    s = u + u
    s.backward()
    assert u.grad == 1.0  # one share of two
    u = Overwriting(3.0)
    q = u * u + u  # the add gate's share 1 arrives first, the multiply gate's 3 last
    q.backward()
    assert u.grad == 3.0
    g = pencil_graph(V=Overwriting)
    g["L"].backward()
    assert g["a"].grad != 0.75 and g["w"].grad != 1.5


def test_a_second_backward_gives_the_same_gradients_not_twice_them():
    g = pencil_graph()
    g["L"].backward()
    first = {k: node.grad for k, node in g.items()}
    g["L"].backward()
    assert {k: node.grad for k, node in g.items()} == first


def test_backward_from_an_intermediate_node_is_its_own_derivative():
    g = pencil_graph()
    g["z"].backward()  # dz/dw = sigma'(a) x = 0.25 * 2
    assert g["z"].grad == 1.0 and g["w"].grad == 0.5 and g["v"].grad == 0.0


def test_sigmoid_is_finite_and_exact_at_extreme_inputs():
    for t, expected in [(-800.0, 0.0), (800.0, 1.0), (0.0, 0.5)]:
        s = Value(t).sigmoid()
        assert s.data == expected
        s.backward()


def test_a_long_chain_does_not_hit_the_recursion_limit():
    u = Value(1.0)
    total = Value(0.0)
    for _ in range(5000):
        total = total + u
    total.backward()
    assert total.data == 5000.0 and u.grad == 5000.0


@pytest.mark.parametrize("bad, error", [("2", TypeError), (None, TypeError), (True, TypeError),
                                        (float("nan"), ValueError), (math.inf, ValueError)])
def test_bad_input_is_rejected_where_it_enters(bad, error):
    with pytest.raises(error, match="Value holds"):
        Value(bad)
    with pytest.raises(error, match="Value holds"):
        Value(1.0) + bad


def test_numpy_scalars_are_accepted():
    s = Value(np.float64(0.5)) * np.int64(2)
    assert isinstance(s.data, float) and s.data == 1.0
