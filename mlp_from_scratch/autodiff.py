"""Reverse-mode automatic differentiation on a graph of arrays.

A :class:`Var` holds a float64 array. Every operation on Vars returns a new Var
that remembers its operands, each with the vector-Jacobian product (VJP) that
turns dL/d(result) into that operand's share of dL/d(operand). ``loss.backward()``
orders the graph topologically and runs every VJP once, from the loss back to the
leaves, summing the shares a Var receives from all its uses. Wherever
:mod:`mlp_from_scratch.functional` has the backward function of an equation (Linear,
the activations, the losses, the bias sum), the VJP calls it.

NumPy arrays and Python numbers mixed into an expression are constants: they get
no gradient.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import functional as F

__all__ = ["Var", "topological_order", "sum_to_shape", "softmax_cross_entropy", "mse"]


def _as_value(value, what: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype == object and all(isinstance(x, numbers.Real) for x in arr.flat):
        # Python integers beyond int64 (e.g. -(10**19), or an array times 2**64) come as
        # objects: they are real numbers, taken as float64 when they fit.
        try:
            arr = arr.astype(np.float64)
        except OverflowError:
            raise ValueError(f"{what} has an integer too large for float64") from None
    if arr.dtype.kind not in "biuf":  # bool, signed or unsigned integer, float
        raise TypeError(f"{what} must hold real numbers, got {type(value).__name__} "
                        f"of dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} has non-finite entries (NaN or infinity)")
    return arr


def sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting stretched, leaving ``shape``.

    An operand of shape ``shape`` was broadcast to ``grad.shape``; each of its
    entries was used once per copy, so its gradient sums over the copies. A bias
    row ``(n,)`` added to ``(N, n)`` gets the sum over rows, ``eq-linear-db``.
    """
    grad = np.asarray(grad)
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    try:
        compatible = np.broadcast_shapes(shape, grad.shape) == grad.shape
    except ValueError:
        compatible = False
    if not compatible:
        raise ValueError(f"sum_to_shape: a gradient of shape {grad.shape} cannot come from an "
                         f"operand of shape {shape} (it does not broadcast to it)")
    if grad.ndim == 2 and shape == grad.shape[1:]:
        return F.linear_grad_b(grad)  # a bias row added to every row of a batch
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))  # added leading axes
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True)


class Var:
    """A node of the graph: ``value`` (float64 array) and, after backward, ``grad``.

    ``Var(value)`` makes a leaf (an input or a parameter); a float64 array is
    wrapped without a copy. ``parents`` is a sequence of ``(operand, vjp)``
    pairs, where ``vjp(grad_out)`` returns the operand's share of dL/d(operand)
    given dL/d(this Var): that is how an operation adds itself to the graph.
    ``op`` names the operation that made the Var ("" for a leaf), ``name`` is an
    optional label. ``grad`` is None until a backward pass reaches the Var.
    """

    __array_ufunc__ = None  # ndarray + Var calls Var.__radd__ instead of looping

    def __init__(self, value, parents=(), op: str = "", name: str = "") -> None:
        self.value = _as_value(value, f"Var {name or op or 'value'}")
        self.parents = tuple(parents)
        for parent, vjp in self.parents:
            if not isinstance(parent, Var) or not callable(vjp):
                raise TypeError("parents must be (Var, vjp function) pairs")
        self.op = op
        self.name = name
        self.grad: np.ndarray | None = None

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return f"Var({label}op={self.op or 'leaf'!r}, shape={self.shape})"

    @property
    def shape(self) -> tuple:
        """The shape of ``value``."""
        return self.value.shape

    # --- operations with two operands (either may be a constant) -------------

    def __add__(self, other):
        return _binary("add", self, other, np.add, lambda g, x, y: g, lambda g, x, y: g)

    def __radd__(self, other):
        return _binary("add", other, self, np.add, lambda g, x, y: g, lambda g, x, y: g)

    def __sub__(self, other):
        return _binary("sub", self, other, np.subtract,
                       lambda g, x, y: g, lambda g, x, y: -g)

    def __rsub__(self, other):
        return _binary("sub", other, self, np.subtract,
                       lambda g, x, y: g, lambda g, x, y: -g)

    def __mul__(self, other):
        return _binary("mul", self, other, np.multiply,
                       lambda g, x, y: g * y, lambda g, x, y: g * x)

    def __rmul__(self, other):
        return _binary("mul", other, self, np.multiply,
                       lambda g, x, y: g * y, lambda g, x, y: g * x)

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)

    def __neg__(self):
        return Var(-self.value, [(self, lambda g: -g)], "neg")

    # --- operations with one operand -----------------------------------------

    @property
    def T(self):
        """The transpose; its VJP transposes the gradient back."""
        return Var(self.value.T, [(self, lambda g: g.T)], "T")

    def sum(self):
        """The sum of all entries, a scalar; each entry's gradient is the upstream one."""
        return Var(self.value.sum(), [(self, lambda g: np.full(self.shape, g))], "sum")

    def mean(self):
        """The mean of all entries, a scalar: the sum's gradient divided by the size."""
        n = self.value.size
        return Var(self.value.mean(), [(self, lambda g: np.full(self.shape, g / n))],
                   "mean")

    def sigmoid(self):
        """Element-wise sigmoid; VJP ``eq-sigmoid-grad`` from the output."""
        z = F.sigmoid(self.value)
        return Var(z, [(self, lambda g: F.sigmoid_backward(g, z))], "sigmoid")

    def tanh(self):
        """Element-wise tanh; VJP ``eq-tanh-grad`` from the output."""
        z = F.tanh(self.value)
        return Var(z, [(self, lambda g: F.tanh_backward(g, z))], "tanh")

    def relu(self):
        """Element-wise ReLU; VJP ``eq-relu-grad`` from the input."""
        a = self.value
        return Var(F.relu(a), [(self, lambda g: F.relu_backward(g, a))], "relu")

    # --- the backward pass -------------------------------------------------------

    def backward(self) -> None:
        """Set ``grad`` = dself/dv on every Var v of the graph that ends here.

        Runs each node's VJPs once, in reverse topological order, so a node
        passes its gradient on only after every use of it has added its share.
        Grads from an earlier backward are overwritten, not added to.
        """
        if self.value.ndim != 0:
            raise ValueError(f"backward() needs a scalar loss, got shape {self.shape}; "
                             f"reduce it with .sum() or .mean() first")
        order = topological_order(self)
        for node in order:
            node.grad = np.zeros(node.shape)
        self.grad = np.ones(())
        for node in reversed(order):
            for parent, vjp in node.parents:
                with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                    share = np.asarray(vjp(node.grad), dtype=np.float64)
                if share.shape != parent.shape:
                    raise ValueError(f"the VJP of {node.op or 'an operation'} returned shape "
                                     f"{share.shape} for an operand of shape {parent.shape}")
                with np.errstate(over="ignore", invalid="ignore"):
                    parent.grad += share
                if not np.all(np.isfinite(parent.grad)):
                    # The forward pass refuses non-finite values; so does the backward one.
                    raise ValueError(
                        f"backward through {node.op or 'an operation'}: the gradient of its "
                        f"operand {parent.name or parent.op or 'leaf'} overflowed to a "
                        "non-finite value (infinity or NaN)")


def _lift(x, op: str):
    """``(Var, is_variable)``: a Var as it is, an array or number as a constant."""
    if isinstance(x, Var):
        return x, True
    if isinstance(x, (numbers.Real, np.ndarray)):
        return Var(x, op="constant"), False
    raise TypeError(f"{op}: operands must be Vars, NumPy arrays or numbers, "
                    f"got {type(x).__name__}")


def _binary(op: str, x, y, forward, vjp_x, vjp_y) -> "Var":
    """``forward(x, y)`` with NumPy broadcasting; each VJP's result summed to its operand's shape."""
    (x, x_var), (y, y_var) = _lift(x, op), _lift(y, op)
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {x.shape} and {y.shape} do not broadcast") from None
    parents = []
    if x_var:
        parents.append((x, lambda g: sum_to_shape(vjp_x(g, x.value, y.value), x.shape)))
    if y_var:
        parents.append((y, lambda g: sum_to_shape(vjp_y(g, x.value, y.value), y.shape)))
    return Var(forward(x.value, y.value), parents, op)


def _matmul(z, W) -> "Var":
    """``z @ W`` for 2-D operands; the VJPs are ``eq-linear-dz`` and ``eq-linear-dW``."""
    (z, z_var), (W, W_var) = _lift(z, "matmul"), _lift(W, "matmul")
    if z.value.ndim != 2 or W.value.ndim != 2 or z.shape[1] != W.shape[0]:
        raise ValueError(f"matmul needs 2-D operands (N, n) @ (n, m), got shapes "
                         f"{z.shape} and {W.shape}")
    parents = []
    if z_var:
        parents.append((z, lambda g: F.linear_grad_z(g, W.value)))
    if W_var:
        parents.append((W, lambda g: F.linear_grad_W(z.value, g)))
    return Var(z.value @ W.value, parents, "matmul")


def topological_order(root: Var) -> list:
    """Every Var that ``root`` depends on, each after all of its operands."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:  # depth-first, without recursion, so deep graphs do not overflow
        node, operands_done = stack.pop()
        if operands_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p, _ in node.parents if id(p) not in seen)
    return order


def softmax_cross_entropy(logits, labels) -> Var:
    """Mean cross-entropy of softmax(logits) over the rows; VJP ``eq-softmax-ce-grad``.

    ``labels`` are integer classes (N,), a constant.
    """
    logits = logits if isinstance(logits, Var) else Var(logits)
    loss = F.softmax_cross_entropy(logits.value, labels)
    vjp = lambda g: g * F.softmax_cross_entropy_backward(logits.value, labels)
    return Var(loss, [(logits, vjp)], "softmax_cross_entropy")


def mse(pred, target) -> Var:
    """``sum (pred - target)^2 / (2N)`` (``eq-mse``); VJP ``eq-mse-grad``.

    ``pred`` and ``target`` must have the same shape (N, K); either may be a Var.
    """
    p = pred if isinstance(pred, Var) else Var(pred)
    t = target.value if isinstance(target, Var) else target
    loss = F.mse(p.value, t)  # checks the shapes before any VJP is recorded
    parents = [(p, lambda g: g * F.mse_backward(p.value, t))]
    if isinstance(target, Var):
        parents.append((target, lambda g: -g * F.mse_backward(p.value, t)))
    return Var(loss, parents, "mse")
