"""Networks as compositions of layers: ``Sequential`` and the ``MLP`` builder."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from .layers import Layer, Linear, ReLU, Sigmoid, Tanh, as_rng
from .validation import as_float_matrix, check_finite, check_positive_int

__all__ = ["Sequential", "MLP", "ACTIVATIONS"]

#: Activation names accepted by :func:`MLP`, with the layer class of each.
ACTIVATIONS: dict[str, type] = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU}


class Sequential:
    """Layers applied one after another.

    ``forward`` runs the layers in order; ``backward`` runs their backward
    methods in reverse, each turning dL/d(output) into dL/d(input). Parameter
    gradients are left in each layer's ``grads`` for an optimiser to use.
    """

    def __init__(self, *layers: Layer) -> None:
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(layers):
            if not (
                hasattr(layer, "forward")
                and hasattr(layer, "backward")
                and hasattr(layer, "params")
                and hasattr(layer, "grads")
            ):
                raise TypeError(
                    f"Sequential layer {i} must have forward, backward, params "
                    f"and grads, got {type(layer).__name__}"
                )
        self.layers = list(layers)

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        return f"Sequential(\n{inner}\n)"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray, *, check_input: bool = True) -> np.ndarray:
        """Output of the network for a batch ``x`` of shape (N, features).

        ``check_input=False`` skips the scan of ``x`` for NaN and infinity, for a
        caller such as :func:`~mlp_from_scratch.training.fit` that has checked all
        of its data once.
        """
        x = as_float_matrix(x, "network input x")
        if check_input:
            check_finite(x, "network input x")
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad: np.ndarray, *, input_grad: bool = True):
        """Backpropagate dL/d(output) through every layer; return dL/dx.

        With ``input_grad=False`` the first layer skips the gradient with
        respect to the data, which training never uses, and None is returned.
        """
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if i == 0 and not input_grad and isinstance(layer, Linear):
                return layer.backward(grad, input_grad=False)
            grad = layer.backward(grad)
        return grad

    def parameters(self) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """Yield ``(name, param, grad)`` per parameter, e.g. ``("layer0.W", W, dW)``.

        ``grad`` is None for a parameter whose layer has not run backward yet.
        """
        for i, layer in enumerate(self.layers):
            for key, value in layer.params.items():
                yield f"layer{i}.{key}", value, layer.grads.get(key)

    @property
    def n_params(self) -> int:
        """Total number of scalar parameters."""
        return sum(p.size for _, p, _ in self.parameters())


def MLP(sizes, activation: str = "sigmoid", *, rng=None, init=None) -> Sequential:
    """A multilayer perceptron: Linear layers with ``activation`` between them.

    ``sizes = [n_in, h_1, ..., n_out]`` gives ``len(sizes) - 1`` Linear layers;
    the activation follows every Linear layer but the last, whose output is
    left linear (for a regression output or softmax logits). ``init`` defaults
    to ``"he"`` for ReLU and ``"xavier"`` otherwise.
    """
    sizes = list(sizes) if not isinstance(sizes, (str, bytes)) else None
    if sizes is None or len(sizes) < 2:
        raise ValueError(
            f"MLP sizes must list at least an input and an output size, "
            f"got {sizes!r}"
        )
    sizes = [check_positive_int(s, f"MLP sizes[{i}]") for i, s in enumerate(sizes)]
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; expected one of {sorted(ACTIVATIONS)}"
        )
    if init is None:
        init = "he" if activation == "relu" else "xavier"
    rng = as_rng(rng)
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, init=init, rng=rng))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return Sequential(*layers)
