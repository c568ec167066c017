"""The training loop: history, batching, shuffling, divergence, and two smoke tests."""

import math

import numpy as np
import pytest

from mlp_from_scratch import (
    MLP,
    SGD,
    Adam,
    History,
    MSELoss,
    SoftmaxCrossEntropyLoss,
    accuracy,
    evaluate,
    fit,
    make_moons_split,
    make_sin,
    predict_classes,
    predict_proba,
)

SEED = 2024


def _regression(n=24, seed=SEED):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    y = np.sin(X[:, :1]) * X[:, 1:]
    return X, y


def _weights(model):
    return [array.copy() for layer in model.layers for array in layer.params.values()]


def _same_weights(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


class CountingSGD(SGD):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.steps = 0

    def step(self):
        self.steps += 1
        super().step()


def test_fit_returns_one_train_and_val_loss_per_epoch():
    X, y = _regression()
    Xv, yv = _regression(n=10, seed=SEED + 1)
    model = MLP([2, 6, 1], activation="tanh", rng=np.random.default_rng(0))
    history = fit(
        model, MSELoss(), SGD(model, lr=0.1), X, y, epochs=7, validation_data=(Xv, yv)
    )
    assert isinstance(history, History)
    assert len(history.train_loss) == 7 and len(history.val_loss) == 7
    assert all(
        isinstance(v, float) and math.isfinite(v)
        for v in history.train_loss + history.val_loss
    )
    # the validation loss after the last epoch is the loss of the final model
    assert history.val_loss[-1] == evaluate(model, MSELoss(), Xv, yv)


def test_fit_without_validation_data_records_no_validation_loss():
    X, y = _regression()
    model = MLP([2, 6, 1], activation="tanh", rng=np.random.default_rng(0))
    history = fit(model, MSELoss(), SGD(model, lr=0.1), X, y, epochs=3)
    assert len(history.train_loss) == 3
    assert list(history.val_loss) == []


def test_training_lowers_the_loss():
    X, y = _regression()
    model = MLP([2, 8, 1], activation="tanh", rng=np.random.default_rng(0))
    history = fit(model, MSELoss(), SGD(model, lr=0.2), X, y, epochs=50)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]


def test_full_batch_fit_equals_a_hand_written_gradient_descent_loop():
    X, y = _regression()
    model = MLP([2, 5, 1], activation="sigmoid", rng=np.random.default_rng(1))
    reference = MLP([2, 5, 1], activation="sigmoid", rng=np.random.default_rng(1))
    optimizer = CountingSGD(model, lr=0.3)
    history = fit(
        model,
        MSELoss(),
        optimizer,
        X,
        y,
        epochs=5,
        batch_size=None,
        rng=np.random.default_rng(0),
    )
    assert optimizer.steps == 5

    loss, ref_opt, losses = MSELoss(), SGD(reference, lr=0.3), []
    for _ in range(5):
        losses.append(loss.forward(reference.forward(X), y))
        reference.backward(loss.backward())
        ref_opt.step()
    assert _same_weights(_weights(model), _weights(reference))
    np.testing.assert_allclose(history.train_loss, losses, rtol=1e-14, atol=0)


@pytest.mark.parametrize(
    "batch_size, steps_per_epoch", [(1, 24), (5, 5), (8, 3), (24, 1), (100, 1)]
)
def test_fit_takes_one_step_per_mini_batch(batch_size, steps_per_epoch):
    X, y = _regression()
    model = MLP([2, 4, 1], activation="tanh", rng=np.random.default_rng(0))
    optimizer = CountingSGD(model, lr=0.01)
    fit(
        model,
        MSELoss(),
        optimizer,
        X,
        y,
        epochs=3,
        batch_size=batch_size,
        rng=np.random.default_rng(0),
    )
    assert optimizer.steps == 3 * steps_per_epoch


def test_shuffling_depends_on_the_rng():
    X, y = _regression()

    def run(seed):
        model = MLP([2, 6, 1], activation="tanh", rng=np.random.default_rng(0))
        history = fit(
            model,
            MSELoss(),
            SGD(model, lr=0.1),
            X,
            y,
            epochs=4,
            batch_size=5,
            rng=np.random.default_rng(seed),
        )
        return _weights(model), history.train_loss

    w1, l1 = run(1)
    w1_again, l1_again = run(1)
    w2, l2 = run(2)
    assert _same_weights(w1, w1_again) and l1 == l1_again
    assert not _same_weights(w1, w2)
    assert l1 != l2


def test_shuffle_false_visits_rows_in_order_whatever_the_rng():
    X, y = _regression()

    def run(seed):
        model = MLP([2, 6, 1], activation="tanh", rng=np.random.default_rng(0))
        fit(
            model,
            MSELoss(),
            SGD(model, lr=0.1),
            X,
            y,
            epochs=3,
            batch_size=5,
            rng=np.random.default_rng(seed),
            shuffle=False,
        )
        return _weights(model)

    reference = MLP([2, 6, 1], activation="tanh", rng=np.random.default_rng(0))
    loss, optimizer = MSELoss(), SGD(reference, lr=0.1)
    for _ in range(3):
        for start in range(0, 24, 5):
            loss.forward(reference.forward(X[start : start + 5]), y[start : start + 5])
            reference.backward(loss.backward())
            optimizer.step()
    assert _same_weights(run(1), run(2))
    assert _same_weights(run(1), _weights(reference))


def test_fit_accepts_an_integer_seed_as_rng():
    X, y = _regression()

    def run(rng):
        model = MLP([2, 6, 1], activation="tanh", rng=np.random.default_rng(0))
        fit(model, MSELoss(), SGD(model, lr=0.1), X, y, epochs=2, batch_size=4, rng=rng)
        return _weights(model)

    assert _same_weights(run(5), run(5))
    assert _same_weights(run(5), run(np.random.default_rng(5)))


def test_callback_runs_after_every_epoch_with_the_history_so_far():
    X, y = _regression()
    model = MLP([2, 6, 1], activation="tanh", rng=np.random.default_rng(0))
    calls = []

    def callback(epoch, seen_model, history):
        calls.append((epoch, seen_model is model, len(history.train_loss)))

    fit(model, MSELoss(), SGD(model, lr=0.1), X, y, epochs=4, callback=callback)
    assert calls == [(0, True, 1), (1, True, 2), (2, True, 3), (3, True, 4)]


def test_evaluate_is_the_loss_of_one_forward_pass():
    X, y = _regression()
    model = MLP([2, 6, 1], activation="relu", rng=np.random.default_rng(0))
    value = evaluate(model, MSELoss(), X, y)
    assert isinstance(value, float)
    assert value == pytest.approx(
        np.sum((model.forward(X) - y) ** 2) / (2 * len(X)), rel=1e-14
    )


def test_fit_accepts_classification_labels():
    X_train, _, y_train, _ = make_moons_split(n_samples=60, random_state=1)
    model = MLP([2, 5, 2], activation="tanh", rng=np.random.default_rng(0))
    history = fit(
        model,
        SoftmaxCrossEntropyLoss(),
        Adam(model, lr=0.01),
        X_train,
        y_train,
        epochs=5,
        batch_size=16,
        rng=np.random.default_rng(0),
    )
    assert len(history.train_loss) == 5
    assert history.train_loss[-1] < history.train_loss[0]


@pytest.mark.parametrize("batch_size", [None, 8], ids=["full_batch", "mini_batch"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_diverging_run_stops_with_an_error_suggesting_a_smaller_learning_rate(
    activation, batch_size
):
    rng = np.random.default_rng(SEED)
    X, y = rng.normal(size=(32, 3)), rng.normal(size=(32, 1))
    model = MLP([3, 16, 16, 1], activation=activation, rng=np.random.default_rng(0))
    calls = []
    with pytest.raises(
        RuntimeError, match=r"(?i)(nan|inf|non-?finite).*smaller learning rate"
    ) as info:
        fit(
            model,
            MSELoss(),
            SGD(model, lr=1e6),
            X,
            y,
            epochs=300,
            batch_size=batch_size,
            rng=np.random.default_rng(0),
            callback=lambda epoch, m, h: calls.append(list(h.train_loss)),
        )
    assert "loss" in str(info.value).lower()
    # no epoch that finished ever recorded a non-finite loss
    assert all(math.isfinite(v) for losses in calls for v in losses)


# --------------------------------------------------------------------------- smoke tests


def test_sin_fit_reaches_a_low_test_mse():
    # Measured: test MSE about 6e-5 after 1000 full-batch Adam epochs (constant prediction: 0.25).
    X, y = make_sin(200, rng=np.random.default_rng(0))
    X_test, y_test = make_sin(200, rng=np.random.default_rng(1))
    model = MLP([1, 32, 32, 1], activation="tanh", rng=np.random.default_rng(0))
    history = fit(model, MSELoss(), Adam(model, lr=0.01), X, y, epochs=1000)
    test_mse = evaluate(model, MSELoss(), X_test, y_test)
    assert history.train_loss[-1] < 1e-3
    assert test_mse < 1e-3


def test_moons_reaches_high_held_out_accuracy():
    # Measured: 0.995 held-out accuracy after 100 epochs.
    X_train, X_test, y_train, y_test = make_moons_split()
    model = MLP([2, 16, 16, 2], activation="tanh", rng=np.random.default_rng(0))
    fit(
        model,
        SoftmaxCrossEntropyLoss(),
        Adam(model, lr=0.01),
        X_train,
        y_train,
        epochs=100,
        batch_size=32,
        rng=np.random.default_rng(0),
    )
    assert accuracy(model, X_test, y_test) >= 0.97
    probabilities = predict_proba(model, X_test)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    assert np.array_equal(predict_classes(model, X_test), probabilities.argmax(axis=1))
