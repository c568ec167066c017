"""Claims chapter 11 (two moons) rests on, checked beyond the notebook's own runs.

The chapter continues four of its ten runs of the two-moons article's network to 6000 epochs,
ten epochs at a time, with the generator that shuffled the first 1200: that is the same run as one
long call of `fit` only if chunked calls with one generator reproduce a single call exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlp_from_scratch as M
from mlp_from_scratch import functional as F


@pytest.fixture(scope="module")
def moons():
    X_train, X_val, _, y_train, y_val, _ = M.make_moons_split(val_size=0.2, random_state=0)
    return X_train, X_val, y_train, y_val


@pytest.mark.parametrize("gradient", ["published", "fixed"])
def test_fit_in_chunks_with_one_generator_is_one_long_run(moons, gradient):
    X_train, _, y_train, _ = moons
    if gradient == "published":
        loss, targets = M.MSELoss(), F.one_hot(y_train, 2)
    else:
        loss, targets = M.SoftmaxCrossEntropyLoss(), y_train
    whole = M.MLP([2, 4, 4, 2], "sigmoid", init="uniform", rng=3)
    M.fit(whole, loss, M.SGD(whole, lr=0.05), X_train, targets, epochs=30, batch_size=50,
          rng=3)
    chunked = M.MLP([2, 4, 4, 2], "sigmoid", init="uniform", rng=3)
    shuffles, optimizer = np.random.default_rng(3), M.SGD(chunked, lr=0.05)
    for _ in range(3):
        M.fit(chunked, loss, optimizer, X_train, targets, epochs=10, batch_size=50,
              rng=shuffles)
    for (name, a, _), (_, b, _) in zip(whole.parameters(), chunked.parameters()):
        assert np.array_equal(a, b), name


def test_the_article_gradient_is_mse_loss_on_one_hot_targets_bit_for_bit(moons):
    # so "fit with MSELoss on one-hot targets" is the article's training, step for step
    X_train, _, y_train, _ = moons
    logits = M.MLP([2, 4, 4, 2], "sigmoid", init="uniform", rng=0)(X_train[:50])
    onehot = F.one_hot(y_train[:50], 2)
    mse = M.MSELoss()
    mse(logits, onehot)
    article = logits.copy()
    article[np.arange(50), y_train[:50]] -= 1.0
    assert np.array_equal(mse.backward(), article / 50)

