"""Gradient checking: compare backpropagated gradients with central differences.

The central difference ``(f(x + eps) - f(x - eps)) / (2 eps)`` has truncation
error of order ``eps^2`` and round-off error of order ``u / eps`` (``u`` the
unit round-off, 1.1e-16 in float64); ``eps = 1e-6`` balances them, so a
correct float64 gradient agrees to about 1e-9 in relative error, while any
mistake in a derivation shows up as an error near 1. Checks need float64 and
inputs away from kinks (ReLU at 0), where the function has no derivative.
"""

from __future__ import annotations

import numpy as np

from .layers import as_rng
from .validation import check_positive_float

__all__ = [
    "numerical_gradient",
    "relative_error",
    "gradcheck",
    "gradcheck_layer",
    "check_gradients",
    "check_gradient_of",
    "GradientCheckError",
]


class GradientCheckError(AssertionError):
    """A backpropagated gradient disagrees with its finite-difference estimate."""


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f(x)`` with respect to ``x``.

    Each element of ``x`` is perturbed *in place* by ``+eps`` and ``-eps`` and
    restored exactly afterwards, so ``f`` may ignore its argument and read
    ``x`` through a closure (as a loss reads a model's weights). Costs
    ``2 * x.size`` evaluations of ``f``.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError(
            f"numerical_gradient needs a float64 numpy array to perturb in place, "
            f"got {type(x).__name__} {getattr(x, 'dtype', '')}"
        )
    eps = check_positive_float(eps, "eps")
    grad = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        f_plus = f(x)
        x[idx] = old - eps
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a, b) -> float:
    """``||a - b|| / max(||a|| + ||b||, tiny)``: 0 if equal, 1 if opposite.

    Norms are taken over whole arrays, so a few near-zero entries do not
    dominate; two all-zero arrays have error 0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"relative_error compares arrays of one shape, got {a.shape} and {b.shape}"
        )
    denom = max(np.linalg.norm(a) + np.linalg.norm(b), np.finfo(np.float64).tiny)
    return float(np.linalg.norm(a - b) / denom)


def gradcheck(model, loss, X, y, eps: float = 1e-6) -> dict[str, float]:
    """Worst relative error between backprop and central differences, per parameter.

    Runs one forward and backward pass of ``loss(model(X), y)``, then
    re-estimates every parameter's gradient numerically. Returns
    ``{"layer0.W": error, "layer0.b": error, ...}``. The model's parameters
    are left exactly as they were.
    """

    def objective(_):
        return loss.forward(model.forward(X), y)

    objective(None)
    model.backward(loss.backward())
    analytic = {}
    for name, param, grad in model.parameters():
        if grad is None or np.shape(grad) != param.shape:
            raise GradientCheckError(
                f"gradient for {name} has shape {np.shape(grad)}, "
                f"but {name} has shape {param.shape}"
            )
        analytic[name] = np.array(grad, dtype=np.float64)
    return {
        name: relative_error(analytic[name], numerical_gradient(objective, param, eps))
        for name, param, _ in model.parameters()
    }


def gradcheck_layer(layer, x, *, rng=None, eps: float = 1e-6) -> dict[str, float]:
    """Check one layer's backward against central differences.

    Uses the scalar ``L = sum(layer(x) * G)`` for a fixed random ``G``, whose
    gradient with respect to the output is exactly ``G``. Returns the relative
    error for the input (key ``"input"``) and for every parameter.
    """
    rng = as_rng(0 if rng is None else rng)
    x = np.array(x, dtype=np.float64)
    G = rng.standard_normal(layer.forward(x).shape)

    def objective(_):
        return float(np.sum(layer.forward(x) * G))

    objective(None)
    grad_x = layer.backward(G)
    analytic = {key: g.copy() for key, g in layer.grads.items()}
    errors = {"input": relative_error(grad_x, numerical_gradient(objective, x, eps))}
    for key, param in layer.params.items():
        errors[key] = relative_error(
            analytic[key], numerical_gradient(objective, param, eps)
        )
    return errors


def check_gradients(
    model, loss, X, y, *, tol: float = 1e-7, eps: float = 1e-6
) -> dict[str, float]:
    """Run :func:`gradcheck`; raise :class:`GradientCheckError` above ``tol``.

    The message names every failing parameter with its error. Returns the
    errors when all pass.
    """
    errors = gradcheck(model, loss, X, y, eps=eps)
    bad = {name: err for name, err in errors.items() if not err <= tol}
    if bad:
        detail = ", ".join(f"{name}: {err:.3g}" for name, err in bad.items())
        raise GradientCheckError(
            f"gradient check failed (tolerance {tol:g}) for {detail}"
        )
    return errors


def check_gradient_of(
    f, x: np.ndarray, grad, *, tol: float = 1e-7, eps: float = 1e-6, name: str = "x"
) -> float:
    """Raise :class:`GradientCheckError` unless ``grad`` is the gradient of ``f``.

    ``grad`` must have the shape of ``x`` (a gradient has the shape of what it
    differentiates) and agree with :func:`numerical_gradient` to relative
    error ``tol``. Returns the relative error when the check passes.
    """
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != np.shape(x):
        raise GradientCheckError(
            f"gradient for {name} has shape {grad.shape}, "
            f"but {name} has shape {np.shape(x)}"
        )
    err = relative_error(grad, numerical_gradient(f, x, eps))
    if not err <= tol:
        raise GradientCheckError(
            f"gradient check failed for {name}: relative error "
            f"{err:.3g} > tolerance {tol:g}"
        )
    return err
