"""Same seeds, same run: bit-identical weights and losses, in one process and across processes."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from mlp_from_scratch import (
    MLP,
    SGD,
    Adam,
    MSELoss,
    SoftmaxCrossEntropyLoss,
    fit,
    make_moons_split,
    make_sin,
)


def _sin_run(seed, optimizer="adam", batch_size=16, activation="tanh"):
    X, y = make_sin(64, rng=np.random.default_rng(seed), noise=0.05)
    X_val, y_val = make_sin(16, rng=np.random.default_rng(seed + 1))
    model = MLP([1, 8, 8, 1], activation=activation, rng=np.random.default_rng(seed))
    opt = (
        Adam(model, lr=0.01)
        if optimizer == "adam"
        else SGD(model, lr=0.05, momentum=0.9)
    )
    history = fit(
        model,
        MSELoss(),
        opt,
        X,
        y,
        epochs=15,
        batch_size=batch_size,
        rng=np.random.default_rng(seed),
        validation_data=(X_val, y_val),
    )
    weights = [
        array.copy() for layer in model.layers for array in layer.params.values()
    ]
    return weights, history


def _identical(run_a, run_b):
    (w_a, h_a), (w_b, h_b) = run_a, run_b
    return (
        len(w_a) == len(w_b)
        and all(np.array_equal(a, b) for a, b in zip(w_a, w_b))
        and np.array_equal(h_a.train_loss, h_b.train_loss)
        and np.array_equal(h_a.val_loss, h_b.val_loss)
    )


@pytest.mark.parametrize(
    "optimizer, batch_size, activation",
    [
        ("adam", 16, "tanh"),
        ("sgd", 8, "relu"),
        ("sgd", None, "sigmoid"),
        ("adam", 1, "relu"),
    ],
)
def test_same_seeds_give_bit_identical_weights_and_losses(
    optimizer, batch_size, activation
):
    first = _sin_run(3, optimizer, batch_size, activation)
    second = _sin_run(3, optimizer, batch_size, activation)
    assert _identical(first, second)


def test_different_seeds_give_different_runs():
    assert not _identical(_sin_run(3), _sin_run(4))


def test_runs_do_not_depend_on_the_global_numpy_random_state():
    np.random.seed(1)
    first = _sin_run(5)
    np.random.seed(2)
    np.random.random(17)
    second = _sin_run(5)
    assert _identical(first, second)


def test_classification_runs_are_bit_identical():
    X_train, X_test, y_train, y_test = make_moons_split(n_samples=200, random_state=2)

    def run():
        model = MLP([2, 8, 2], activation="relu", rng=np.random.default_rng(2))
        history = fit(
            model,
            SoftmaxCrossEntropyLoss(),
            Adam(model, lr=0.02),
            X_train,
            y_train,
            epochs=10,
            batch_size=32,
            rng=np.random.default_rng(2),
            validation_data=(X_test, y_test),
        )
        return [
            array.copy() for layer in model.layers for array in layer.params.values()
        ], history

    assert _identical(run(), run())


_SCRIPT = """
import hashlib
import numpy as np
from mlp_from_scratch import MLP, Adam, MSELoss, fit, make_sin

X, y = make_sin(64, rng=np.random.default_rng(3), noise=0.05)
model = MLP([1, 8, 8, 1], activation="tanh", rng=np.random.default_rng(3))
history = fit(model, MSELoss(), Adam(model, lr=0.01), X, y, epochs=15, batch_size=16,
              rng=np.random.default_rng(3))
digest = hashlib.sha256()
for layer in model.layers:
    for key in sorted(layer.params):
        digest.update(np.ascontiguousarray(layer.params[key]).tobytes())
digest.update(np.array(history.train_loss).tobytes())
print(digest.hexdigest())
"""


def _digest_in_process():
    X, y = make_sin(64, rng=np.random.default_rng(3), noise=0.05)
    model = MLP([1, 8, 8, 1], activation="tanh", rng=np.random.default_rng(3))
    history = fit(
        model,
        MSELoss(),
        Adam(model, lr=0.01),
        X,
        y,
        epochs=15,
        batch_size=16,
        rng=np.random.default_rng(3),
    )
    digest = hashlib.sha256()
    for layer in model.layers:
        for key in sorted(layer.params):
            digest.update(np.ascontiguousarray(layer.params[key]).tobytes())
    digest.update(np.array(history.train_loss).tobytes())
    return digest.hexdigest()


def test_runs_are_bit_identical_across_processes_and_hash_seeds():
    digests = []
    for hash_seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        result = subprocess.run(
            [sys.executable, "-c", _SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        digests.append(result.stdout.strip())
    assert len(digests[0]) == 64
    assert digests[0] == digests[1] == _digest_in_process()
