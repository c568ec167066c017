"""Learning-rate schedules: callables ``epoch -> lr`` for ``fit(lr_schedule=...)``.

Epochs count from 0; :func:`~mlp_from_scratch.training.fit` calls the schedule
at the start of every epoch and sets ``optimizer.lr`` to what it returns.
"""

from __future__ import annotations

import math

from .validation import check_positive_float, check_positive_int

__all__ = ["step_decay", "cosine_decay"]


def step_decay(lr: float, factor: float, every: int):
    """``epoch -> lr * factor ** (epoch // every)``.

    Multiplies the rate by ``factor`` every ``every`` epochs. ``lr`` > 0, ``0 < factor <= 1``, ``every`` >= 1.
    """
    lr = check_positive_float(lr, "step_decay lr")
    factor = check_positive_float(factor, "step_decay factor")
    if factor > 1:
        raise ValueError(f"step_decay factor must be in (0, 1], got {factor}")
    every = check_positive_int(every, "step_decay every")

    def schedule(epoch: int) -> float:
        return lr * factor ** (epoch // every)

    return schedule


def cosine_decay(lr: float, epochs: int, final_lr: float = 0.0):
    """``epoch -> final_lr + (lr - final_lr) * (1 + cos(pi * epoch / epochs)) / 2``.

    Half a cosine from ``lr`` at epoch 0 towards ``final_lr``, which it would
    reach at epoch ``epochs`` (one past the last epoch of ``fit(epochs=epochs)``,
    so the last epoch still trains with a positive rate); from epoch ``epochs``
    on it returns ``final_lr``. ``0 <= final_lr <= lr``.
    """
    lr = check_positive_float(lr, "cosine_decay lr")
    epochs = check_positive_int(epochs, "cosine_decay epochs")
    final_lr = float(final_lr)
    if not (math.isfinite(final_lr) and 0.0 <= final_lr <= lr):
        raise ValueError(
            f"cosine_decay final_lr must be a finite number in [0, lr={lr}], "
            f"got {final_lr}"
        )

    def schedule(epoch: int) -> float:
        if epoch >= epochs:
            return final_lr
        cos = math.cos(math.pi * epoch / epochs)
        return final_lr + (lr - final_lr) * 0.5 * (1.0 + cos)

    return schedule
