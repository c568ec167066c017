"""The reverse-mode engine: against finite differences, Sequential's hand backward and
HIPS autograd; graphs with fan-out, tied weights, a diamond and a reused leaf; bad operands."""

import numpy as np
import pytest

from helpers import TOL, central_difference, rel_error
from mlp_from_scratch import MLP, Linear, MSELoss, SoftmaxCrossEntropyLoss
from mlp_from_scratch.autodiff import (
    Var,
    mse,
    softmax_cross_entropy,
    sum_to_shape,
    topological_order,
)

SEED = 13
ACTIVATIONS = ["sigmoid", "tanh", "relu"]


def grads_by_differences(build, leaves):
    """Central differences of the scalar ``build(*values)`` for each leaf value."""
    values = [leaf.value.copy() for leaf in leaves]
    result = []
    for i in range(len(values)):
        def f(x, i=i):
            args = [Var(x) if j == i else Var(v) for j, v in enumerate(values)]
            return float(build(*args).value)
        result.append(central_difference(f, values[i]))
    return result


def assert_matches_differences(build, *values):
    leaves = [Var(np.array(v, dtype=np.float64)) for v in values]
    build(*leaves).backward()
    for leaf, numeric in zip(leaves, grads_by_differences(build, leaves)):
        assert leaf.grad.shape == leaf.shape
        assert rel_error(leaf.grad, numeric) < TOL


# --- each operation against finite differences -----------------------------------------

OPERATIONS = {
    "add with a bias row": (lambda a, b: ((a + b) * (a + b)).sum(), [(4, 3), (3,)]),
    "sub, column broadcast": (lambda a, b: ((a - b) * a).sum(), [(4, 3), (4, 1)]),
    "mul with a scalar Var": (lambda a, b: (a * b * a).mean(), [(4, 3), ()]),
    "neg and matmul": (lambda a, b: (-(a @ b)).tanh().sum(), [(4, 3), (3, 2)]),
    "transpose": (lambda a, b: (a.T @ b).sigmoid().sum(), [(3, 4), (3, 2)]),
    "sigmoid": (lambda a, b: (a.sigmoid() * b).sum(), [(5, 2), (5, 2)]),
    "tanh": (lambda a, b: (a.tanh() * b).mean(), [(5, 2), (2,)]),
    "relu": (lambda a, b: (a.relu() * b).sum(), [(5, 2), (5, 2)]),
    "mse": (lambda a, b: mse(a.tanh(), b), [(5, 2), (5, 2)]),
    "softmax_cross_entropy": (lambda a, b: softmax_cross_entropy(a @ b, [0, 2, 1, 2]),
                              [(4, 3), (3, 3)]),
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_operation_gradients_match_finite_differences(name):
    build, shapes = OPERATIONS[name]
    rng = np.random.default_rng(SEED)
    values = [rng.uniform(0.2, 1.5, size=s) * rng.choice([-1, 1], size=s) for s in shapes]
    assert_matches_differences(build, *values)


def test_constants_mixed_in_from_either_side_get_no_gradient():
    rng = np.random.default_rng(SEED)
    c = rng.standard_normal((3, 3))
    build = lambda a: ((c @ a) * 2.0 + (1.0 - a) * c - (a @ c) + np.float64(3) * a).sum()
    assert_matches_differences(build, rng.standard_normal((3, 3)))
    a = Var(rng.standard_normal((3, 3)))
    loss = build(a)
    leaves = [node for node in topological_order(loss) if not node.parents]
    assert leaves == [a]                     # the constants are not nodes of the graph


def test_sum_to_shape_undoes_broadcasting():
    grad = np.arange(24.0).reshape(2, 3, 4)
    assert np.array_equal(sum_to_shape(grad, (4,)), grad.sum(axis=(0, 1)))
    assert np.array_equal(sum_to_shape(grad, (3, 1)), grad.sum(axis=(0, 2))[:, None])
    assert np.array_equal(sum_to_shape(grad[0], (4,)), grad[0].sum(axis=0))
    assert sum_to_shape(grad, ()).shape == ()


def test_vjps_call_the_functional_equations(monkeypatch):
    import mlp_from_scratch.functional as F
    called = []
    for name in ["linear_grad_z", "linear_grad_W", "linear_grad_b", "sigmoid_backward",
                 "tanh_backward", "relu_backward", "mse_backward",
                 "softmax_cross_entropy_backward"]:
        original = getattr(F, name)
        def spy(*args, _original=original, _name=name):
            called.append(_name)
            return _original(*args)
        monkeypatch.setattr(F, name, spy)
    rng = np.random.default_rng(SEED)
    X, W, b = Var(rng.standard_normal((4, 3))), Var(rng.standard_normal((3, 2))), Var(np.zeros(2))
    a = X @ W + b
    (mse(a.sigmoid(), np.zeros((4, 2))) + mse(a.tanh(), np.zeros((4, 2)))
     + softmax_cross_entropy(a.relu(), [0, 1, 0, 1])).backward()
    assert set(called) == {"linear_grad_z", "linear_grad_W", "linear_grad_b",
                           "sigmoid_backward", "tanh_backward", "relu_backward",
                           "mse_backward", "softmax_cross_entropy_backward"}


# --- whole networks against Sequential's hand backward ---------------------------------

def var_forward(model, X):
    """The forward pass of ``model`` with its parameters wrapped (without copies) in Vars."""
    leaves = {}
    h = Var(X)
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Linear):
            W = leaves[f"layer{i}.W"] = Var(layer.params["W"])
            b = leaves[f"layer{i}.b"] = Var(layer.params["b"])
            h = h @ W + b
        else:
            h = getattr(h, type(layer).__name__.lower())()
    return h, leaves


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss_name", ["mse", "softmax_cross_entropy"])
def test_mlp_gradients_equal_sequential_backward(activation, loss_name):
    rng = np.random.default_rng(SEED)
    model = MLP([4, 6, 5, 3], activation=activation, rng=SEED)
    X = rng.standard_normal((7, 4))
    if loss_name == "mse":
        target, loss_layer, var_loss = rng.standard_normal((7, 3)), MSELoss(), mse
    else:
        target, loss_layer = rng.integers(0, 3, size=7), SoftmaxCrossEntropyLoss()
        var_loss = softmax_cross_entropy
    out, leaves = var_forward(model, X)
    loss = var_loss(out, target)
    loss.backward()
    hand_loss = loss_layer(model(X), target)
    model.backward(loss_layer.backward())
    assert abs(float(loss.value) - hand_loss) <= 1e-12 * abs(hand_loss)
    for name, _, grad in model.parameters():
        assert leaves[name].grad.shape == grad.shape
        assert rel_error(leaves[name].grad, grad) <= 1e-12, name


def test_mlp_gradients_match_finite_differences():
    rng = np.random.default_rng(SEED)
    model = MLP([3, 4, 2], activation="tanh", rng=SEED)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    W1, b1 = model.layers[0].params["W"], model.layers[0].params["b"]
    W2, b2 = model.layers[2].params["W"], model.layers[2].params["b"]
    build = lambda W1, b1, W2, b2: mse((X @ W1 + b1).tanh() @ W2 + b2, y)
    assert_matches_differences(build, W1, b1, W2, b2)


def test_agrees_with_hips_autograd():
    ag = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    rng = np.random.default_rng(SEED)
    X, y = rng.standard_normal((20, 6)), rng.standard_normal((20, 1))
    params = [rng.standard_normal((6, 5)), rng.standard_normal(5),
              rng.standard_normal((5, 1)), rng.standard_normal(1)]

    def reference(W1, b1, W2, b2):
        pred = anp.dot(anp.maximum(anp.dot(X, W1) + b1, 0.0), W2) + b2
        return anp.sum((pred - y) ** 2) / (2 * X.shape[0])

    expected = ag.grad(reference, argnum=[0, 1, 2, 3])(*params)
    leaves = [Var(p) for p in params]
    W1, b1, W2, b2 = leaves
    mse((X @ W1 + b1).relu() @ W2 + b2, y).backward()
    for leaf, ref in zip(leaves, expected):
        assert rel_error(leaf.grad, ref) < 1e-12


# --- graphs a chain of layers does not have ----------------------------------------------

def test_fan_out_sums_the_gradient_of_every_use():
    rng = np.random.default_rng(SEED)
    build = lambda a: (a.tanh() + a.sigmoid() * a.relu() - a).sum()
    assert_matches_differences(build, rng.uniform(0.3, 1.0, size=(3, 2)))
    x = Var(np.array(2.0))
    (x * 3.0 + x * 4.0).backward()
    assert x.grad == 7.0


def test_tied_weights_w_and_its_transpose_in_one_graph():
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((6, 4))
    build = lambda W, b: mse((X @ W + b).tanh() @ W.T, X)   # a tied autoencoder
    assert_matches_differences(build, rng.standard_normal((4, 3)), rng.standard_normal(3))


def test_diamond_gives_each_node_its_total_gradient():
    # x -> u = 2x, v = x * x -> L = u * v = 2 x^3, so dL/dx = 6 x^2
    x = Var(np.array([1.5, -2.0]))
    u, v = x * 2.0, x * x
    (u * v).sum().backward()
    assert np.allclose(x.grad, 6 * x.value ** 2, rtol=1e-15, atol=0)
    assert np.allclose(u.grad, v.value, rtol=1e-15, atol=0)


def test_reused_intermediate_node_is_backpropagated_once_after_all_its_uses():
    # each h feeds two nodes (tanh and mul) that meet again: 2**30 paths from x to the end
    x = Var(np.array(0.7))
    h = x
    for _ in range(30):
        h = h.tanh() + h * 0.5
    h.backward()
    v, dv = 0.7, 1.0                          # forward mode: carry dh/dx along the chain
    for _ in range(30):
        v, dv = np.tanh(v) + v * 0.5, dv * (1.0 - np.tanh(v) ** 2 + 0.5)
    assert float(h.value) == pytest.approx(v, rel=1e-14)
    assert float(x.grad) == pytest.approx(dv, rel=1e-12)
    assert len(topological_order(h)) == 1 + 3 * 30   # x, then tanh, mul, add per step


def test_reused_leaf_in_one_operation():
    rng = np.random.default_rng(SEED)
    assert_matches_differences(lambda a: (a @ a).sum() + (a * a).mean(),
                               rng.standard_normal((3, 3)))


def test_topological_order_lists_each_node_once_after_its_operands():
    x = Var(np.ones((2, 2)))
    y = x @ x
    z = (y + x) * y
    loss = z.sum()
    order = topological_order(loss)
    assert len(order) == len({id(n) for n in order}) == 5
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent, _ in node.parents:
            assert position[id(parent)] < position[id(node)]


def test_backward_overwrites_the_grads_of_a_previous_backward():
    x = Var(np.array([1.0, 2.0]))
    loss = (x * x).sum()
    loss.backward()
    first = x.grad.copy()
    loss.backward()
    assert np.array_equal(x.grad, first)
    assert Var(np.ones(3)).grad is None


def test_deep_graph_does_not_hit_the_recursion_limit():
    x = Var(np.array(1.0))
    h = x
    for _ in range(5000):
        h = h * 1.0
    h.backward()
    assert x.grad == 1.0


def test_leaf_shares_memory_with_a_float64_array():
    W = np.zeros((2, 2))
    assert Var(W).value is W


# --- bad operands ---------------------------------------------------------------------------

def test_shape_mismatch_names_both_shapes():
    a, b = Var(np.ones((4, 3))), Var(np.ones(4))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4,\)"):
        a + b
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 3\)"):
        a @ a
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 3\)"):
        b @ a
    with pytest.raises(ValueError, match=r"pred \(4, 3\).*target \(4, 1\)"):
        mse(a, np.ones((4, 1)))


def test_backward_from_a_non_scalar_raises():
    with pytest.raises(ValueError, match=r"scalar.*\(2, 2\)"):
        (Var(np.ones((2, 2))) * 2.0).backward()


@pytest.mark.parametrize("bad", ["text", None, [1, "x"], np.array([1 + 2j])])
def test_non_numeric_values_are_refused(bad):
    with pytest.raises(TypeError):
        Var(bad)


def test_non_numeric_operand_and_non_finite_value_are_refused():
    with pytest.raises(TypeError, match="str"):
        Var(np.ones(2)) * "2"
    with pytest.raises(ValueError, match="non-finite"):
        Var(np.array([1.0, np.inf]))
    with pytest.raises(TypeError, match="pairs"):
        Var(1.0, parents=[(np.ones(1), lambda g: g)])


def test_vjp_of_the_wrong_shape_is_reported():
    x = Var(np.ones((3, 2)))
    bad = Var(x.value.sum(axis=0), parents=[(x, lambda g: g)], op="colsum")
    with pytest.raises(ValueError, match=r"colsum.*\(2,\).*\(3, 2\)"):
        bad.sum().backward()


def test_labels_of_cross_entropy_are_validated():
    with pytest.raises(ValueError):
        softmax_cross_entropy(Var(np.zeros((3, 2))), [0, 1, 2])


# --- edges: overflow in the backward pass, sum_to_shape's contract, big integers ------------

def test_backward_refuses_a_gradient_that_overflows_naming_the_operation():
    x = Var(1e-200, name="x")
    loss = (x * 1e200 * 1e200).sum()  # forward: 1e200, finite; dL/dx = 1e400 overflows
    with pytest.raises(ValueError, match=r"backward through mul.*x.*non-finite"):
        loss.backward()


def test_backward_refuses_nan_from_two_overflowing_terms():
    x = Var(1e-200, name="x")
    loss = (x * 1e200 * 1e200 - x * 1e200 * 1e200).sum()
    with pytest.raises(ValueError, match="non-finite"):
        loss.backward()


@pytest.mark.parametrize("grad_shape, shape", [((), (1,)), ((3, 4), (5,)), ((3, 4), (2, 4)),
                                               ((4,), (3, 4))])
def test_sum_to_shape_refuses_shapes_that_do_not_broadcast(grad_shape, shape):
    with pytest.raises(ValueError, match="sum_to_shape"):
        sum_to_shape(np.ones(grad_shape), shape)


@pytest.mark.parametrize("grad_shape, shape", [((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 4), (3, 1)),
                                               ((2, 3, 4), (3, 1)), ((3, 4), ()), ((3, 4), (3, 4))])
def test_sum_to_shape_sums_over_every_broadcast_copy(grad_shape, shape):
    grad = np.arange(np.prod(grad_shape), dtype=float).reshape(grad_shape)
    out = sum_to_shape(grad, shape)
    assert out.shape == shape
    assert np.isclose(out.sum(), grad.sum())  # every entry of grad lands in one entry of out


def test_big_python_integers_are_real_numbers():
    assert Var(-(10**19)).value == -1e19
    assert np.array_equal((Var(np.ones(2)) * 2**64).value, np.full(2, 2.0**64))
    with pytest.raises(ValueError, match="too large for float64"):
        Var(10**400)
    with pytest.raises(TypeError, match="real numbers"):
        Var(np.array(["1"], dtype=object))
