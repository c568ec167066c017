"""The three workloads and their competitors.

A workload is data plus a set of *cases*. A case is ``setup(data) -> run``:
``setup`` (untimed) builds a fresh model and optimiser, ``run()`` (timed)
trains it and returns its final training loss, printed as a check that the
competitors did comparable work. The first case of every workload is the
package, and every ratio is ours / theirs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from mlp_from_scratch import MLP, SGD, MSELoss, SoftmaxCrossEntropyLoss, fit, make_sin

from .floor import make_floor, matmul_flops
from .numpy_loop import make_numpy_loop
from .threads import ONE_THREAD, one_blas_thread
from .torch_loops import make_torch_trainer, torch_available

SEED = 0

#: Problem sizes of each mode. "full" is the benchmark; "quick" a short smoke
#: run of the same workloads; "tiny" the size the test suite runs once.
MODES: dict[str, dict] = {
    "full": {"rounds": 7, "settle": 0.25, "small_n": 1000, "small_epochs": 200,
             "large_n": 8192, "sin_epochs": 200},
    "quick": {"rounds": 3, "settle": 0.25, "small_n": 1000, "small_epochs": 20,
              "large_n": 2048, "sin_epochs": 20},
    "tiny": {"rounds": 1, "settle": 0.0, "small_n": 100, "small_epochs": 2,
             "large_n": 256, "sin_epochs": 2},
}

SMALL_SIZES = [2, 16, 16, 2]
LARGE_SIZES = [784, 256, 256, 10]
SIN_SIZES = [1, 10, 10, 1]


@dataclass
class Workload:
    """Data, cases (the package first) and the targets on ours / theirs."""

    key: str
    title: str
    description: str
    data: object
    cases: dict[str, Callable] = field(default_factory=dict)
    #: (package case, other case, largest allowed ratio package / other)
    targets: list[tuple[str, str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def baseline(self, name: str) -> str:
        """The package case that case ``name`` is compared with in the tables: the package
        with one BLAS thread for a one-thread case, the package as it comes otherwise."""
        ours = next(iter(self.cases))
        if name.endswith(ONE_THREAD) and ours + ONE_THREAD in self.cases:
            return ours + ONE_THREAD
        return ours


#: What the bare NumPy loop row of a workload means.
BARE_NOTE = ("The bare NumPy loop is the same training written as one plain NumPy function "
             "(benchmarks/numpy_loop.py): the package's initial weights and shuffle, the same "
             "arithmetic, no layers, checks or caches. It takes the same steps and ends at the "
             "same loss; its time is what NumPy itself costs for this training, and the "
             "package's time over it is the cost of the package's structure.")


# --- small: two moons, sigmoid 2-16-16-2, softmax cross-entropy ---------------

def small(mode: str) -> Workload:
    from sklearn.datasets import make_moons

    cfg = MODES[mode]
    n, epochs, batch, lr = cfg["small_n"], cfg["small_epochs"], 50, 0.5
    X, y = make_moons(n_samples=n, noise=0.1, random_state=SEED)
    X, y = X.astype(np.float64), y.astype(np.int64)

    def ours(data):
        X, y = data
        model = MLP(SMALL_SIZES, "sigmoid", rng=SEED)
        loss, opt = SoftmaxCrossEntropyLoss(), SGD(model, lr=lr)
        return lambda: fit(model, loss, opt, X, y, epochs=epochs, batch_size=batch,
                           rng=SEED).train_loss[-1]

    def sklearn(data):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        X, y = data
        clf = MLPClassifier(hidden_layer_sizes=tuple(SMALL_SIZES[1:-1]), activation="logistic",
                            solver="sgd", learning_rate="constant", learning_rate_init=lr,
                            momentum=0.0, nesterovs_momentum=False, batch_size=batch,
                            max_iter=epochs, alpha=0.0, early_stopping=False, tol=0.0,
                            n_iter_no_change=10**9, shuffle=True, random_state=SEED)

        def run():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(X, y)
            return clf.loss_

        return run

    def bare(data):
        X, y = data
        return make_numpy_loop(X, y, SMALL_SIZES, activation="sigmoid", lr=lr,
                               batch_size=batch, epochs=epochs, seed=SEED)

    w = Workload(
        "small", "small: two moons",
        f"moons {n} x 2, MLP 2-16-16-2 sigmoid, softmax cross-entropy, plain SGD lr {lr}, "
        f"batch {batch}, {epochs} epochs, shuffled every epoch",
        (X, y), {"mlp_from_scratch": ours, "bare NumPy loop": bare, "scikit-learn": sklearn},
        targets=[("mlp_from_scratch", "scikit-learn", 0.5)],
        notes=["scikit-learn's MLPClassifier gives two classes one logistic output unit "
               "(2-16-16-1, binary log-loss) instead of two softmax outputs: the same model "
               "family with 17 fewer parameters. It runs with solver='sgd', momentum 0, "
               "alpha 0, no early stopping, tol 0 and n_iter_no_change 10**9, so it does "
               "all the epochs.",
               BARE_NOTE])
    if torch_available():
        def torch64(data):
            X, y = data
            return make_torch_trainer(X, y, SMALL_SIZES, activation="sigmoid",
                                      loss="cross_entropy", lr=lr, batch_size=batch,
                                      epochs=epochs, dtype="float64", seed=SEED)
        w.cases["PyTorch float64"] = torch64
        w.targets.append(("mlp_from_scratch", "PyTorch float64", 0.3))
    return w


# --- large: random 784-dimensional inputs, ReLU 784-256-256-10 ----------------

def large(mode: str) -> Workload:
    cfg = MODES[mode]
    n, batch, lr = cfg["large_n"], 128, 0.01
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((n, LARGE_SIZES[0]))
    y = rng.integers(0, LARGE_SIZES[-1], size=n).astype(np.int64)

    def ours(data):
        X, y = data
        model = MLP(LARGE_SIZES, "relu", rng=SEED)
        loss, opt = SoftmaxCrossEntropyLoss(), SGD(model, lr=lr)
        return lambda: fit(model, loss, opt, X, y, epochs=1, batch_size=batch,
                           rng=SEED).train_loss[-1]

    def floor(data):
        return make_floor(data[0], LARGE_SIZES, batch)

    def bare(data):
        X, y = data
        return make_numpy_loop(X, y, LARGE_SIZES, activation="relu", lr=lr,
                               batch_size=batch, epochs=1, seed=SEED)

    gflop = matmul_flops(LARGE_SIZES, n) / 1e9
    cases = {"mlp_from_scratch": ours, "bare NumPy loop": bare, "matrix-product floor": floor}
    for name in list(cases):
        cases[name + ONE_THREAD] = one_blas_thread(cases[name])
    w = Workload(
        "large", "large: 784-256-256-10",
        f"{n} x 784 random float64 inputs, 10 random classes, MLP 784-256-256-10 ReLU, "
        f"softmax cross-entropy, SGD lr {lr}, batch {batch}, one epoch",
        (X, y), cases,
        targets=[("mlp_from_scratch" + ONE_THREAD, "matrix-product floor" + ONE_THREAD, 1.4)],
        notes=[BARE_NOTE,
               f"The floor runs only the {gflop:.3g} GFLOP of matrix products backprop needs "
               "(forward, dL/dW per layer, dL/dz for every layer but the first), into "
               "preallocated outputs.",
               "The rows marked \"1 BLAS thread\" run with NumPy's BLAS limited to one thread "
               "(threadpoolctl, during the timed run only) and their ratio is to the package "
               "with one BLAS thread. The floor target is judged that way, one thread on both "
               "sides: with more threads the floor's products spread over every core while the "
               "rest of a training step stays on one, so the ratio would measure the number of "
               "cores as much as the trainer. The other rows run with the default threads."])
    if torch_available():
        for dtype in ("float64", "float32"):
            def case(data, dtype=dtype):
                X, y = data
                return make_torch_trainer(X, y, LARGE_SIZES, activation="relu",
                                          loss="cross_entropy", lr=lr, batch_size=batch,
                                          epochs=1, dtype=dtype, seed=SEED)
            w.cases[f"PyTorch {dtype}"] = case
        w.targets.append(("mlp_from_scratch", "PyTorch float64", 1.0))
        w.notes.append("PyTorch float32 is shown for reference only: the package computes "
                       "in float64, so the fair comparison is PyTorch float64. It runs below "
                       "the float64 floor: the floor is that of float64 products.")
    return w


# --- per-sample vs batched: sin(x), sigmoid 1-10-10-1 -------------------------

def per_sample(mode: str) -> Workload:
    cfg = MODES[mode]
    n, epochs, lr = 50, cfg["sin_epochs"], 0.1
    X, y = make_sin(n, rng=np.random.default_rng(SEED))

    def case(batch_size):
        def setup(data):
            X, y = data
            model = MLP(SIN_SIZES, "sigmoid", rng=SEED, init="normal")
            loss, opt = MSELoss(), SGD(model, lr=lr)
            return lambda: fit(model, loss, opt, X, y, epochs=epochs, batch_size=batch_size,
                               rng=SEED).train_loss[-1]
        return setup

    return Workload(
        "per_sample", "per-sample vs batched: sin(x)",
        f"sin(x) on {n} points in [-2pi, 2pi], MLP 1-10-10-1 sigmoid, MSE, SGD lr {lr}, "
        f"{epochs} epochs, the package's fit with three batch sizes",
        (X, y),
        {"full batch (50)": case(None), "batch 10": case(10),
         "per sample (batch 1)": case(1)},
        notes=["Here every row is the package; the ratio full batch / per sample is the "
               "speed-up of one matrix product per epoch over one step per sample. Same "
               "epochs, so the per-sample run takes 50 times as many (smaller) steps and its "
               "loss falls further."])


WORKLOADS = {"small": small, "large": large, "per_sample": per_sample}


def build(mode: str, only=None) -> list[Workload]:
    """The workloads of ``mode`` (all, or those named in ``only``)."""
    keys = list(WORKLOADS) if not only else list(only)
    return [WORKLOADS[k](mode) for k in keys]
