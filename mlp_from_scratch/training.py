"""The training loop: mini-batches, shuffling, a loss history, a learning-rate
schedule and early stopping."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from .layers import as_rng
from .validation import as_float_matrix, check_finite, check_positive_int

__all__ = ["History", "fit", "evaluate"]


@dataclass
class History:
    """Per-epoch losses recorded by :func:`fit`.

    ``train_loss[e]`` is the mean of the batch losses of epoch ``e`` (each
    batch weighted by its size), measured before each batch's update, as the
    model was while it trained; ``val_loss[e]`` is the loss on the validation
    data after epoch ``e`` (empty without validation data).

    ``best_epoch`` is set by early stopping: the 0-based index into
    ``val_loss`` of the lowest validation loss, the epoch whose parameters
    the model holds after :func:`fit` returns. It is None when early stopping
    is off.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int | None = None

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.train_loss)


def _check_targets(y, n_rows: int, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != n_rows:
        raise ValueError(
            f"{name} must have one row per sample of X ({n_rows}), "
            f"got shape {y.shape}"
        )
    if np.issubdtype(y.dtype, np.floating):
        check_finite(y, name)
    return y


def evaluate(model, loss, X, y) -> float:
    """Loss of ``model`` on ``(X, y)`` in one forward pass (no gradients kept)."""
    return float(loss.forward(model.forward(X), y))


def _scheduled_lr(lr_schedule, epoch: int) -> float:
    """``lr_schedule(epoch)``, checked to be a finite number > 0."""
    lr = lr_schedule(epoch)
    if (
        isinstance(lr, bool)
        or not isinstance(lr, numbers.Real)
        or not math.isfinite(lr)
        or lr <= 0
    ):
        raise ValueError(
            f"lr_schedule returned {lr!r} for epoch {epoch} (epochs count from 0); "
            f"a learning rate must be a finite number > 0"
        )
    return float(lr)


def _copy_params(model) -> list[dict]:
    return [{k: p.copy() for k, p in layer.params.items()} for layer in model.layers]


def _restore_params(model, saved: list[dict]) -> None:
    # In place, so that an optimiser holding these arrays keeps working on them.
    for layer, params in zip(model.layers, saved):
        for k, p in params.items():
            layer.params[k][...] = p


def fit(
    model,
    loss,
    optimizer,
    X,
    y,
    *,
    epochs: int,
    batch_size: int | None = None,
    rng=None,
    validation_data=None,
    shuffle: bool = True,
    callback=None,
    lr_schedule=None,
    early_stopping: int | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` and return its :class:`History`.

    Each step runs forward, the loss, backward (the data's own gradient is not
    computed) and ``optimizer.step()``. ``batch_size=None`` means full batch;
    with smaller batches the rows are shuffled every epoch with ``rng`` (a
    ``numpy.random.Generator`` or an int seed; same seed, same run) unless
    ``shuffle=False``, in which case they are visited in their given order.
    ``callback(epoch, model, history)``, if given, runs after every epoch.

    ``lr_schedule``, a callable ``epoch -> lr`` (epochs count from 0, e.g.
    :func:`~mlp_from_scratch.schedules.step_decay` or
    :func:`~mlp_from_scratch.schedules.cosine_decay`), sets ``optimizer.lr``
    at the start of every epoch; a value that is not a finite number > 0
    raises ``ValueError`` naming the epoch.

    ``early_stopping=patience`` (an int >= 1, needs ``validation_data``) stops
    after ``patience`` epochs in a row without a validation loss lower than
    the best so far, then copies the parameters of the best epoch back into
    the model (also when all ``epochs`` ran) and records that epoch in
    ``History.best_epoch``. The optimiser's state (momentum, Adam's moments)
    is not rolled back.

    Raises ``RuntimeError`` as soon as a batch loss becomes NaN or infinite.
    """
    X = as_float_matrix(X, "X")
    check_finite(X, "X")
    n = X.shape[0]
    y = _check_targets(y, n, "y")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = (
        n
        if batch_size is None
        else min(check_positive_int(batch_size, "batch_size"), n)
    )
    if validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        X_val = as_float_matrix(validation_data[0], "X_val")
        check_finite(X_val, "X_val")
        y_val = _check_targets(validation_data[1], X_val.shape[0], "y_val")
    if lr_schedule is not None:
        if not callable(lr_schedule):
            raise TypeError(
                f"lr_schedule must be a callable epoch -> lr, got {lr_schedule!r}"
            )
        if not hasattr(optimizer, "lr"):
            raise TypeError(
                f"lr_schedule needs an optimiser with an lr attribute, "
                f"got {type(optimizer).__name__}"
            )
    if early_stopping is not None:
        patience = check_positive_int(early_stopping, "early_stopping (patience)")
        if validation_data is None:
            raise ValueError(
                "early_stopping needs validation_data=(X_val, y_val): it stops "
                "when the validation loss has not improved for "
                f"{patience} epoch(s)"
            )
    shuffle = shuffle and batch_size < n
    rng = as_rng(rng) if shuffle else None

    history = History()
    best_loss, best_params = math.inf, None
    for epoch in range(epochs):
        if lr_schedule is not None:
            optimizer.lr = _scheduled_lr(lr_schedule, epoch)
        order = rng.permutation(n) if shuffle else None
        total = 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, n, batch_size):
                # Gather each batch's rows when it is used, not the whole shuffled X
                # at once: one pass less over X, and the batch is still in cache.
                rows = slice(start, start + batch_size)
                if order is not None:
                    rows = order[rows]
                xb, yb = X[rows], y[rows]
                value = loss.forward(model.forward(xb, check_input=False), yb)
                if not math.isfinite(value):
                    raise RuntimeError(
                        f"training diverged in epoch {epoch + 1}: "
                        f"the loss became {value} "
                        f"(NaN or infinite); try a smaller learning rate than "
                        f"lr={getattr(optimizer, 'lr', '?')}"
                    )
                model.backward(loss.backward(), input_grad=False)
                optimizer.step()
                total += value * xb.shape[0]
        history.train_loss.append(total / n)
        if validation_data is not None:
            history.val_loss.append(evaluate(model, loss, X_val, y_val))
        if callback is not None:
            callback(epoch, model, history)
        if early_stopping is not None:
            value = history.val_loss[-1]
            if history.best_epoch is None or value < best_loss:
                best_loss, history.best_epoch = value, epoch
                best_params = _copy_params(model)
            elif epoch - history.best_epoch >= patience:
                break
    if best_params is not None:
        _restore_params(model, best_params)
    return history
