"""PyTorch competitors: the same networks and the same mini-batch SGD loop, eager, on the CPU.

PyTorch is optional; :func:`torch_or_none` returns None when it is not installed.
"""

from __future__ import annotations

import numpy as np


def torch_available() -> bool:
    """Whether PyTorch is installed (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def torch_or_none():
    """The torch module, or None when it cannot be imported."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def make_torch_mlp(sizes, activation: str, dtype, seed: int):
    """``nn.Sequential`` of Linear layers with ``activation`` between them (none after the last)."""
    torch = torch_or_none()
    nn = torch.nn
    act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}[activation]
    torch.manual_seed(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def make_torch_trainer(X: np.ndarray, y: np.ndarray, sizes, *, activation: str, loss: str,
                       lr: float, batch_size: int, epochs: int, dtype: str = "float64",
                       seed: int = 0):
    """Return ``run()`` that trains a fresh PyTorch MLP as the package's ``fit`` does.

    Each epoch: a new random permutation of the rows, mini-batches of
    ``batch_size`` in that order, and for each batch forward, loss, backward
    and a plain SGD step (``torch.optim.SGD``, no momentum, no weight decay).
    The loss of the epoch is the row-weighted mean of the batch losses.
    ``run()`` returns the last epoch's loss.
    """
    torch = torch_or_none()
    tdtype = getattr(torch, dtype)
    Xt = torch.from_numpy(np.ascontiguousarray(X)).to(tdtype)
    if loss == "cross_entropy":
        yt = torch.from_numpy(np.asarray(y, dtype=np.int64))
        loss_fn = torch.nn.CrossEntropyLoss()
    else:
        yt = torch.from_numpy(np.asarray(y)).to(tdtype)
        mse = torch.nn.MSELoss()

        def loss_fn(pred, target):  # the package's MSE: sum of squares / (2N)
            return 0.5 * pred.shape[1] * mse(pred, target)
    model = make_torch_mlp(sizes, activation, tdtype, seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0)
    gen = torch.Generator().manual_seed(seed)
    n = Xt.shape[0]

    def run() -> float:
        epoch_loss = float("nan")
        for _ in range(epochs):
            perm = torch.randperm(n, generator=gen)
            total = torch.zeros((), dtype=tdtype)
            for start in range(0, n, batch_size):
                idx = perm[start:start + batch_size]
                xb, yb = Xt[idx], yt[idx]
                opt.zero_grad(set_to_none=True)
                batch_loss = loss_fn(model(xb), yb)
                batch_loss.backward()
                opt.step()
                total += batch_loss.detach() * xb.shape[0]
            epoch_loss = float(total) / n
        return epoch_loss

    return run
