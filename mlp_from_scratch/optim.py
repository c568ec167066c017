"""Optimisers: turn the gradients a backward pass left in ``layer.grads`` into updates.

Keeping the update here, apart from the layers, is what makes the gradients
inspectable: after ``model.backward`` they sit in ``grads`` untouched until
``step()`` uses them, so a gradient check can read them first.

Every update is in place: the arrays in ``layer.params`` are the same objects
before and after a step.

Weight decay (``weight_decay=lam``, both optimisers) is the coupled L2 penalty
``lam/2 * sum(W**2)`` over the weight matrices: the update uses
``g + lam * W`` in place of ``g`` for every 2-D parameter (the weights ``W`` of
a Linear layer), never for a bias. It is added inside ``step()``; the
gradients in ``layer.grads`` stay the gradients of the loss alone. This is
PyTorch's ``weight_decay`` on a parameter group holding the weights only.

:class:`AdamW` decouples the decay instead (Loshchilov & Hutter 2019): it
shrinks every weight matrix directly, ``W <- W - lr * lam * W``, and then takes
the Adam step with the loss gradient alone, as ``torch.optim.AdamW`` does for a
parameter group holding the weights (the biases in a group without decay).
"""

from __future__ import annotations

import numbers

import numpy as np

from .validation import check_fraction, check_positive_float

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


def check_weight_decay(value) -> float:
    """Return ``value`` as a float, raising unless it is finite and >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"weight_decay must be a number >= 0, got {value!r}")
    value = float(value)
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"weight_decay must be a finite number >= 0, got {value}")
    return value


class Optimizer:
    """Base class: collects ``(params, grads, key)`` of every layer of ``model``."""

    #: Whether ``weight_decay`` joins the gradient (coupled L2, in ``_pairs``);
    #: :class:`AdamW` applies it to the weights instead.
    coupled_decay = True

    def __init__(self, model, lr: float, weight_decay: float = 0.0) -> None:
        if not hasattr(model, "layers"):
            raise TypeError(
                f"optimiser expects a model with .layers (e.g. Sequential), "
                f"got {type(model).__name__}"
            )
        self.model = model
        self.lr = lr
        self.weight_decay = check_weight_decay(weight_decay)
        self._slots = [(layer, key) for layer in model.layers for key in layer.params]
        if not self._slots:
            raise ValueError("the model has no parameters to optimise")

    @property
    def lr(self) -> float:
        """The learning rate; assigning to it (a schedule does) validates it."""
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = check_positive_float(value, "learning rate lr")

    def _pairs(self):
        """Yield ``(index, param, grad)``; raise if a layer has no gradient yet.

        With weight decay, ``grad`` of a weight matrix is a new array
        ``grad + weight_decay * param``; ``layer.grads`` is left as it was.
        """
        wd = self.weight_decay if self.coupled_decay else 0.0
        for i, (layer, key) in enumerate(self._slots):
            grad = layer.grads.get(key)
            if grad is None:
                raise RuntimeError(
                    f"{layer!r} has no gradient for {key!r}: "
                    f"call backward before step()"
                )
            param = layer.params[key]
            if wd and param.ndim >= 2:
                grad = grad + wd * param
            yield i, param, grad

    def step(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (heavy-ball) momentum.

    Without momentum: ``p <- p - lr * g``. With momentum ``mu``:
    ``v <- mu * v + g``, ``p <- p - lr * v`` (Polyak 1964; Sutskever et al. 2013),
    starting from ``v = 0``. With ``weight_decay=lam``, ``g`` of a weight
    matrix is ``dL/dW + lam * W`` (biases keep ``dL/db``).
    """

    def __init__(
        self, model, lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(model, lr, weight_decay)
        self.momentum = check_fraction(momentum, "momentum")
        self._velocity = [None] * len(self._slots)

    def step(self) -> None:
        for i, p, g in self._pairs():
            if self.momentum:
                v = self._velocity[i]
                if v is None:
                    v = self._velocity[i] = np.zeros_like(p)
                v *= self.momentum
                v += g
                g = v
            p -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): per-parameter steps from running moment estimates.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``, then
    ``p <- p - lr * m_hat / (sqrt(v_hat) + eps)`` with the bias-corrected
    ``m_hat = m / (1 - b1^t)`` and ``v_hat = v / (1 - b2^t)`` at step ``t``.
    With ``weight_decay=lam``, ``g`` of a weight matrix is ``dL/dW + lam * W``
    (coupled L2, so the decay is rescaled by ``sqrt(v_hat)`` like the gradient).
    """

    def __init__(
        self,
        model,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(model, lr, weight_decay)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            check_fraction(betas[0], "beta1"),
            check_fraction(betas[1], "beta2"),
        )
        self.eps = check_positive_float(eps, "eps")
        self.t = 0
        self._m = [np.zeros_like(layer.params[key]) for layer, key in self._slots]
        self._v = [np.zeros_like(layer.params[key]) for layer, key in self._slots]

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1 = 1.0 - b1**self.t
        c2 = 1.0 - b2**self.t
        for i, p, g in self._pairs():
            m, v = self._m[i], self._v[i]
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            p -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), as ``torch.optim.AdamW``.

    At every step each weight matrix is first shrunk, ``W <- (1 - lr * lam) W``, then
    the Adam step of :class:`Adam` is taken with the gradient of the loss alone: the
    decay is not divided by ``sqrt(v_hat)``, so every weight decays by the same
    fraction ``lr * lam`` per step whatever its gradient. Biases are not decayed.
    ``weight_decay`` defaults to PyTorch's 0.01.
    """

    coupled_decay = False

    def __init__(
        self,
        model,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(model, lr, betas, eps, weight_decay)

    def step(self) -> None:
        if self.lr * self.weight_decay >= 1:
            raise ValueError(
                f"AdamW needs lr * weight_decay < 1 (a step keeps the fraction "
                f"1 - lr * weight_decay of each weight), got lr = {self.lr}, "
                f"weight_decay = {self.weight_decay}"
            )
        super().step()

    def _pairs(self):
        """As ``Optimizer._pairs``, but each weight matrix is first shrunk in place."""
        shrink = 1.0 - self.lr * self.weight_decay
        for i, p, g in super()._pairs():
            if p.ndim >= 2:
                p *= shrink  # decoupled decay: W <- W - lr * lam * W
            yield i, p, g
