"""Layers: thin classes that hold parameters and the forward cache.

Every layer has the same interface, the one the source article on layer
interfaces argued for:

* ``forward(x)`` computes the output and remembers what its backward needs
  (only from the *last* call: the cache never grows);
* ``backward(grad_out)`` takes dL/d(output) and returns dL/d(input), the
  vector-Jacobian product, and stores the parameter gradients in ``grads``
  (overwritten on every call, never accumulated);
* ``params`` and ``grads`` are dicts with the same keys. Updating ``params``
  is the optimiser's job, not the layer's.

The mathematics lives in :mod:`mlp_from_scratch.functional`.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from .init import BIAS_INITS, get_init
from .validation import as_float_matrix, check_gradient_shape, check_positive_int

__all__ = ["Layer", "Linear", "Sigmoid", "Tanh", "ReLU", "as_rng"]


def as_rng(rng) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a Generator, an int seed or None (unseeded)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (
        isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)
    ):
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng must be a numpy.random.Generator, an int seed or None, got {rng!r}"
    )


class Layer:
    """Base class: the shared ``forward``/``backward`` interface."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def backward(
        self, grad_out: np.ndarray
    ) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _require_forward(self, cache) -> None:
        if cache is None:
            raise RuntimeError(
                f"{self!r}.backward called before forward: "
                f"there is no stored input to differentiate at"
            )


class Linear(Layer):
    """Fully connected layer ``a = z W + b`` (equation ``eq-linear-forward``).

    Parameters
    ----------
    in_features, out_features:
        Sizes of the input ``z`` (N, in_features) and output ``a`` (N, out_features).
    bias:
        Whether the layer has a bias ``b`` of shape (out_features,).
    init:
        A name from :data:`mlp_from_scratch.init.INITS` (``"xavier"``, ``"he"``,
        ``"naive"``, ``"normal"``, ``"uniform"``) or a callable
        ``(rng, n_in, n_out) -> W``. The bias starts at zero unless the named
        scheme says otherwise.
    rng:
        A ``numpy.random.Generator`` or an int seed for the initial weights.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        bias: bool = True,
        init="xavier",
        rng=None,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int(in_features, "Linear in_features")
        self.out_features = check_positive_int(out_features, "Linear out_features")
        init_fn = get_init(init)
        rng = as_rng(rng)
        W = np.asarray(
            init_fn(rng, self.in_features, self.out_features), dtype=np.float64
        )
        if W.shape != (self.in_features, self.out_features):
            raise ValueError(
                f"init returned W of shape {W.shape}, "
                f"expected {(self.in_features, self.out_features)}"
            )
        self.params["W"] = W
        if bias:
            make_b = BIAS_INITS.get(init) if isinstance(init, str) else None
            b = (
                make_b(rng, self.out_features)
                if make_b
                else np.zeros(self.out_features)
            )
            self.params["b"] = np.asarray(b, dtype=np.float64)
        self._z = None

    @classmethod
    def from_arrays(cls, W: np.ndarray, b: np.ndarray | None = None) -> "Linear":
        """A layer holding ``W`` (n_in, n_out) and ``b`` (n_out,) or no bias, as given.

        The arrays are used as they are (float64, no copy, no random initialisation first):
        this is how :func:`~mlp_from_scratch.io.load` rebuilds a saved layer.
        """
        W = np.asarray(W)
        if W.dtype != np.float64 or W.ndim != 2 or 0 in W.shape:
            raise ValueError(f"W must be a non-empty float64 matrix, got {W.dtype} {W.shape}")
        if b is not None:
            b = np.asarray(b)
            if b.dtype != np.float64 or b.shape != (W.shape[1],):
                raise ValueError(
                    f"b must be float64 of shape {(W.shape[1],)}, got {b.dtype} {b.shape}")
        layer = cls.__new__(cls)
        Layer.__init__(layer)
        layer.in_features, layer.out_features = W.shape
        layer.params["W"] = W
        if b is not None:
            layer.params["b"] = b
        layer._z = None
        return layer

    @property
    def has_bias(self) -> bool:
        return "b" in self.params

    def __repr__(self) -> str:
        extra = "" if self.has_bias else ", bias=False"
        return f"Linear({self.in_features}, {self.out_features}{extra})"

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return ``a = z W + b`` for ``z`` of shape (N, in_features); cache ``z``."""
        z = as_float_matrix(z, "input z", n_columns=self.in_features, owner=self)
        self._z = z
        return F.linear_forward(z, self.params["W"], self.params.get("b"))

    def backward(self, grad_a: np.ndarray, *, input_grad: bool = True):
        """Set ``grads`` to dL/dW, dL/db and return dL/dz.

        ``grad_a`` is dL/da, shape (N, out_features). With ``input_grad=False``
        the input gradient, which the first layer of a network does not need,
        is not computed and None is returned.
        """
        self._require_forward(self._z)
        grad_a = check_gradient_shape(
            grad_a, (self._z.shape[0], self.out_features), self
        )
        self.grads = {"W": F.linear_grad_W(self._z, grad_a)}
        if self.has_bias:
            self.grads["b"] = F.linear_grad_b(grad_a)
        return F.linear_grad_z(grad_a, self.params["W"]) if input_grad else None


class _Activation(Layer):
    """Element-wise activation ``z = f(a)``; backward is ``grad_a = grad_z * f'(a)``."""

    def __init__(self) -> None:
        super().__init__()
        self._cache = None

    def forward(self, a: np.ndarray) -> np.ndarray:
        a = as_float_matrix(a, "input a", owner=self)
        z = self._f(a)
        self._cache = self._cache_from(a, z)
        return z

    def backward(self, grad_z: np.ndarray) -> np.ndarray:
        """Return dL/da from dL/dz (equation ``eq-activation-backward``)."""
        self._require_forward(self._cache)
        grad_z = check_gradient_shape(grad_z, self._cache.shape, self)
        return self._backward(grad_z, self._cache)


class Sigmoid(_Activation):
    """Logistic sigmoid; caches its *output* ``z`` since ``sigma' = z (1 - z)``."""

    _f = staticmethod(F.sigmoid)
    _backward = staticmethod(F.sigmoid_backward)

    @staticmethod
    def _cache_from(a, z):
        return z


class Tanh(_Activation):
    """Hyperbolic tangent; caches its output ``z`` since ``tanh' = 1 - z^2``."""

    _f = staticmethod(F.tanh)
    _backward = staticmethod(F.tanh_backward)

    @staticmethod
    def _cache_from(a, z):
        return z


class ReLU(_Activation):
    """Rectified linear unit; caches its *input* ``a`` since ``relu'(a) = [a > 0]``."""

    _f = staticmethod(F.relu)
    _backward = staticmethod(F.relu_backward)

    @staticmethod
    def _cache_from(a, z):
        return a
