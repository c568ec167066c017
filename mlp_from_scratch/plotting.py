"""Figures used throughout the book: loss curves, 1-D fits, 2-D decision boundaries."""

from __future__ import annotations

import numpy as np

from .functional import softmax

__all__ = ["plot_history", "plot_regression", "plot_decision_boundary"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def plot_history(
    history, ax=None, *, log: bool = True, title: str | None = None, label: str = ""
):
    """Training (and validation) loss per epoch; log-scaled loss axis by default."""
    ax = _axes(ax)
    epochs = np.arange(1, len(history.train_loss) + 1)
    prefix = f"{label} " if label else ""
    ax.plot(epochs, history.train_loss, label=f"{prefix}train")
    if history.val_loss:
        ax.plot(epochs, history.val_loss, label=f"{prefix}validation", linestyle="--")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plot_regression(
    model,
    X_train,
    y_train,
    X_test=None,
    y_test=None,
    *,
    truth=np.sin,
    ax=None,
    n_grid: int = 400,
    label: str = "network",
):
    """A 1-D fit on a dense grid against ``truth``, with training and test points."""
    ax = _axes(ax)
    points = [np.asarray(X_train)] + (
        [np.asarray(X_test)] if X_test is not None else []
    )
    lo = min(p.min() for p in points)
    hi = max(p.max() for p in points)
    grid = np.linspace(lo, hi, n_grid).reshape(-1, 1)
    if truth is not None:
        ax.plot(grid[:, 0], truth(grid[:, 0]), color="0.6", linewidth=3, label="truth")
    ax.plot(grid[:, 0], model.forward(grid)[:, 0], color="C3", label=label)
    ax.scatter(
        np.ravel(X_train), np.ravel(y_train), s=18, color="C0", label="train", zorder=3
    )
    if X_test is not None:
        ax.scatter(
            np.ravel(X_test),
            np.ravel(y_test),
            s=30,
            marker="s",
            color="C1",
            label="test",
            zorder=3,
        )
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend()
    return ax


def plot_decision_boundary(
    model,
    X,
    y,
    *,
    ax=None,
    resolution: int = 200,
    margin: float = 0.5,
    contours: bool = True,
    colorbar: bool = False,
):
    """Probability of class 1 over the plane, the p = 0.5 boundary, and the data.

    For a two-class softmax network the filled contours show
    ``softmax(model(x))[:, 1]``; the black line is where it equals 0.5.
    """
    ax = _axes(ax)
    X = np.asarray(X)
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(
        np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    p = softmax(model.forward(grid))[:, 1].reshape(gx.shape)
    filled = ax.contourf(
        gx, gy, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6
    )
    if contours:
        ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1.5)
    ax.scatter(
        X[:, 0],
        X[:, 1],
        c=np.asarray(y),
        cmap="RdBu_r",
        edgecolors="k",
        linewidths=0.4,
        s=14,
    )
    if colorbar:
        ax.figure.colorbar(filled, ax=ax, label="p(class 1)")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax
