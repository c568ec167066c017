"""Write adamw_reference.npz: PyTorch's AdamW and Adam trajectories for tests/test_adamw.py.

    python tests/data/make_adamw_reference.py      (needs torch; the test does not)

A 3 -> 4 -> 2 network's four arrays (W0, b0, W1, b1) start from fixed values and take
T steps, each fed a fixed gradient drawn here (an optimiser reads only the gradients it is
given, so a fixed gradient sequence tests the update alone). PyTorch holds the weights in
a parameter group with the weight decay and the biases in a group without it, as the
package's optimisers treat them. Stored, for each case: the hyperparameters, the initial
arrays, the gradients, and PyTorch's arrays after every step, all float64.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SHAPES = {"W0": (3, 4), "b0": (4,), "W1": (4, 2), "b1": (2,)}
STEPS = 25
# name: (optimiser, lr, beta1, beta2, eps, weight_decay)
CASES = {
    "adamw_default": ("AdamW", 1e-3, 0.9, 0.999, 1e-8, 1e-2),
    "adamw_strong": ("AdamW", 0.05, 0.8, 0.99, 1e-6, 0.5),
    "adam_coupled": ("Adam", 0.01, 0.9, 0.999, 1e-8, 0.3),
}


def inputs(seed: int = 0):
    """The initial arrays and the STEPS gradients (their scale varies from step to step)."""
    rng = np.random.default_rng(seed)
    params = {k: rng.normal(size=s) for k, s in SHAPES.items()}
    scales = 10.0 ** rng.uniform(-3, 1, size=STEPS)
    grads = {k: np.stack([c * rng.normal(size=s) for c in scales]) for k, s in SHAPES.items()}
    return params, grads


def torch_trajectory(torch, optimiser, lr, beta1, beta2, eps, weight_decay, params, grads):
    """PyTorch's arrays after each step, keyed like ``params``, each of shape (STEPS, ...)."""
    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
               for k, v in params.items()}
    groups = [
        {"params": [tensors["W0"], tensors["W1"]], "weight_decay": weight_decay},
        {"params": [tensors["b0"], tensors["b1"]], "weight_decay": 0.0},
    ]
    opt = getattr(torch.optim, optimiser)(groups, lr=lr, betas=(beta1, beta2), eps=eps,
                                          foreach=False)
    out = {k: [] for k in params}
    for t in range(STEPS):
        for k, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[k][t], dtype=torch.float64)
        opt.step()
        for k, tensor in tensors.items():
            out[k].append(tensor.detach().numpy().copy())
    return {k: np.stack(v) for k, v in out.items()}


def main() -> None:
    import torch

    params, grads = inputs()
    arrays = {f"init_{k}": v for k, v in params.items()}
    arrays.update({f"grad_{k}": v for k, v in grads.items()})
    for name, (optimiser, *hyper) in CASES.items():
        arrays[f"{name}_hyper"] = np.array(hyper, dtype=float)
        for k, v in torch_trajectory(torch, optimiser, *hyper, params, grads).items():
            arrays[f"{name}_{k}"] = v
    arrays["torch_version"] = np.array(torch.__version__)
    path = Path(__file__).with_name("adamw_reference.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {path.name}: {len(arrays)} arrays, torch {torch.__version__}")


if __name__ == "__main__":
    main()
