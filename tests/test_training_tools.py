"""Weight decay, learning-rate schedules and early stopping, against runs by hand."""

import math

import numpy as np
import pytest

from mlp_from_scratch import (
    MLP,
    SGD,
    Adam,
    Linear,
    MSELoss,
    Sequential,
    Tanh,
    cosine_decay,
    evaluate,
    fit,
    step_decay,
)

SEED = 77


def _data(n=20, seed=SEED):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    y = np.sin(X[:, :1]) * X[:, 1:] + 0.3 * rng.standard_normal((n, 1))
    return X, y


def _model(seed=SEED):
    return MLP([2, 6, 1], activation="tanh", rng=seed)


def _params(model):
    return [p.copy() for layer in model.layers for p in layer.params.values()]


# --- weight decay ---------------------------------------------------------------


def _grads_after_backward(model, X, y):
    loss = MSELoss()
    loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    return [
        {k: g.copy() for k, g in layer.grads.items()} for layer in model.layers
    ]


def test_sgd_weight_decay_adds_lam_W_to_weights_only():
    X, y = _data()
    model, lam, lr = _model(), 0.3, 0.1
    before = [{k: p.copy() for k, p in layer.params.items()} for layer in model.layers]
    grads = _grads_after_backward(model, X, y)
    SGD(model, lr=lr, weight_decay=lam).step()
    for layer, p0, g in zip(model.layers, before, grads):
        for key in p0:
            extra = lam * p0[key] if key == "W" else 0.0
            expected = p0[key] - lr * (g[key] + extra)
            np.testing.assert_allclose(layer.params[key], expected, rtol=0, atol=1e-15)
        # the stored gradients stay those of the loss alone
        for key in g:
            assert np.array_equal(layer.grads[key], g[key])


def test_sgd_momentum_with_weight_decay_two_steps_by_hand():
    X, y = _data()
    model, lam, lr, mu = _model(), 0.05, 0.2, 0.9
    W0 = model.layers[0].params["W"].copy()
    opt = SGD(model, lr=lr, momentum=mu, weight_decay=lam)
    g1 = _grads_after_backward(model, X, y)[0]["W"]
    opt.step()
    v1 = g1 + lam * W0
    W1 = W0 - lr * v1
    np.testing.assert_allclose(model.layers[0].params["W"], W1, atol=1e-15)
    g2 = _grads_after_backward(model, X, y)[0]["W"]
    opt.step()
    W2 = W1 - lr * (mu * v1 + g2 + lam * W1)
    np.testing.assert_allclose(model.layers[0].params["W"], W2, atol=1e-14)


def test_adam_weight_decay_first_step_by_hand():
    X, y = _data()
    model, lam, lr, eps = _model(), 0.1, 0.01, 1e-8
    p0 = [{k: p.copy() for k, p in layer.params.items()} for layer in model.layers]
    grads = _grads_after_backward(model, X, y)
    Adam(model, lr=lr, eps=eps, weight_decay=lam).step()
    for layer, p, g in zip(model.layers, p0, grads):
        for key in p:
            gg = g[key] + (lam * p[key] if key == "W" else 0.0)
            m_hat, v_hat = gg, gg * gg  # bias correction undoes (1 - beta) at t = 1
            expected = p[key] - lr * m_hat / (np.sqrt(v_hat) + eps)
            np.testing.assert_allclose(
                layer.params[key], expected, rtol=1e-12, atol=1e-15
            )


def test_weight_decay_zero_is_bit_identical_to_no_weight_decay():
    X, y = _data()
    for make in (lambda m: SGD(m, 0.1, momentum=0.5), lambda m: Adam(m, 0.01)):
        a, b = _model(), _model()
        fit(a, MSELoss(), make(a), X, y, epochs=5, batch_size=7, rng=1)
        opt = make(b)
        opt.weight_decay = 0.0
        fit(b, MSELoss(), opt, X, y, epochs=5, batch_size=7, rng=1)
        assert all(np.array_equal(p, q) for p, q in zip(_params(a), _params(b)))


def test_weight_decay_shrinks_the_weights_and_spares_a_bias_free_layer():
    X, y = _data()
    norms = []
    for lam in (0.0, 0.5):
        model = _model()
        fit(model, MSELoss(), SGD(model, 0.1, weight_decay=lam), X, y, epochs=200)
        norms.append(sum(np.sum(layer.params["W"] ** 2) for layer in model.layers[::2]))
    assert norms[1] < 0.5 * norms[0]
    model = Sequential(Linear(2, 3, bias=False, rng=0), Tanh(), Linear(3, 1, rng=0))
    grads = _grads_after_backward(model, X, y)
    b0 = model.layers[2].params["b"].copy()
    SGD(model, 0.1, weight_decay=1.0).step()
    np.testing.assert_array_equal(model.layers[2].params["b"], b0 - 0.1 * grads[2]["b"])


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
@pytest.mark.parametrize("make", [SGD, Adam], ids=["sgd", "adam"])
def test_bad_weight_decay_is_refused(make, bad):
    with pytest.raises(ValueError, match="weight_decay"):
        make(_model(), 0.1, weight_decay=bad)


def test_non_numeric_weight_decay_is_refused():
    with pytest.raises(TypeError, match="weight_decay"):
        SGD(_model(), 0.1, weight_decay="0.1")


# --- learning-rate schedules ------------------------------------------------------


def test_step_decay_values():
    s = step_decay(0.8, 0.5, 3)
    assert [s(e) for e in range(7)] == [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2]


def test_cosine_decay_values():
    s = cosine_decay(1.0, 4, final_lr=0.2)
    expected = [0.2 + 0.8 * 0.5 * (1 + math.cos(math.pi * e / 4)) for e in range(4)]
    assert [s(e) for e in range(4)] == pytest.approx(expected, abs=1e-15)
    assert s(0) == 1.0 and s(4) == 0.2 and s(10) == 0.2
    assert all(s(e) > 0 for e in range(4)) and cosine_decay(1.0, 4)(3) > 0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: step_decay(0.0, 0.5, 2), "lr"),
        (lambda: step_decay(0.1, 1.5, 2), "factor"),
        (lambda: step_decay(0.1, 0.5, 0), "every"),
        (lambda: cosine_decay(0.1, 0), "epochs"),
        (lambda: cosine_decay(0.1, 10, final_lr=0.2), "final_lr"),
        (lambda: cosine_decay(0.1, 10, final_lr=-1.0), "final_lr"),
    ],
)
def test_bad_schedule_arguments_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_fit_with_a_schedule_equals_setting_lr_by_hand_each_epoch():
    X, y = _data()
    schedule = step_decay(0.2, 0.5, 2)
    a, b = _model(), _model()
    opt_a = Adam(a, lr=1.0)
    hist = fit(a, MSELoss(), opt_a, X, y, epochs=5, batch_size=6, rng=3,
               lr_schedule=schedule)
    opt_b, rng = Adam(b, lr=1.0), np.random.default_rng(3)
    losses = []
    for epoch in range(5):
        opt_b.lr = schedule(epoch)
        losses.append(fit(b, MSELoss(), opt_b, X, y, epochs=1, batch_size=6,
                          rng=rng).train_loss[0])
    assert opt_a.lr == 0.05 == opt_b.lr
    assert hist.train_loss == losses
    assert all(np.array_equal(p, q) for p, q in zip(_params(a), _params(b)))


@pytest.mark.parametrize("bad", [0.0, -1e-3, math.nan, math.inf, "0.1", None])
def test_a_schedule_returning_a_bad_rate_fails_naming_the_epoch(bad):
    X, y = _data()
    model = _model()

    def schedule(epoch):
        return 0.1 if epoch < 2 else bad

    with pytest.raises(ValueError, match="epoch 2"):
        fit(model, MSELoss(), SGD(model, 0.1), X, y, epochs=4, lr_schedule=schedule)


def test_lr_schedule_must_be_callable():
    X, y = _data()
    model = _model()
    with pytest.raises(TypeError, match="callable"):
        fit(model, MSELoss(), SGD(model, 0.1), X, y, epochs=2, lr_schedule=0.1)


def test_assigning_a_bad_lr_to_an_optimiser_is_refused():
    opt = SGD(_model(), 0.1)
    with pytest.raises(ValueError, match="learning rate"):
        opt.lr = -1.0
    assert opt.lr == 0.1


# --- early stopping ----------------------------------------------------------------


def _overfitting_setup():
    rng = np.random.default_rng(5)
    X = rng.uniform(-3, 3, size=(12, 1))
    y = np.sin(X) + 0.4 * rng.standard_normal((12, 1))
    Xv = rng.uniform(-3, 3, size=(40, 1))
    yv = np.sin(Xv) + 0.4 * rng.standard_normal((40, 1))
    return X, y, Xv, yv


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch():
    X, y, Xv, yv = _overfitting_setup()
    loss, patience = MSELoss(), 5
    model = MLP([1, 40, 40, 1], activation="tanh", rng=1)
    hist = fit(model, loss, Adam(model, 0.02), X, y, epochs=2000,
               validation_data=(Xv, yv), early_stopping=patience)
    best = hist.best_epoch
    assert best is not None and hist.epochs < 2000, "run must stop early"
    assert hist.epochs == best + patience + 1
    assert hist.val_loss[best] == min(hist.val_loss)
    assert all(v >= hist.val_loss[best] for v in hist.val_loss[best + 1:])
    # the model holds the best epoch's parameters: re-run by hand to that epoch
    ref = MLP([1, 40, 40, 1], activation="tanh", rng=1)
    fit(ref, loss, Adam(ref, 0.02), X, y, epochs=best + 1)
    assert all(np.array_equal(p, q) for p, q in zip(_params(model), _params(ref)))
    assert evaluate(model, loss, Xv, yv) == hist.val_loss[best]


def test_early_stopping_restores_the_best_epoch_even_without_stopping():
    X, y, Xv, yv = _overfitting_setup()
    model = MLP([1, 40, 40, 1], activation="tanh", rng=1)
    hist = fit(model, MSELoss(), Adam(model, 0.02), X, y, epochs=400,
               validation_data=(Xv, yv), early_stopping=1000)
    assert hist.epochs == 400 and hist.best_epoch < 399
    assert evaluate(model, MSELoss(), Xv, yv) == min(hist.val_loss)


def test_early_stopping_keeps_the_optimiser_working_on_the_model():
    X, y, Xv, yv = _overfitting_setup()
    model = MLP([1, 8, 1], activation="tanh", rng=2)
    opt = SGD(model, 0.05)
    fit(model, MSELoss(), opt, X, y, epochs=30, validation_data=(Xv, yv),
        early_stopping=2)
    before = _params(model)
    fit(model, MSELoss(), opt, X, y, epochs=1)
    assert not all(np.array_equal(p, q) for p, q in zip(before, _params(model)))


def test_best_epoch_is_none_without_early_stopping():
    X, y, Xv, yv = _overfitting_setup()
    model = MLP([1, 8, 1], activation="tanh", rng=2)
    hist = fit(model, MSELoss(), SGD(model, 0.05), X, y, epochs=3,
               validation_data=(Xv, yv))
    assert hist.best_epoch is None


def test_early_stopping_needs_validation_data():
    X, y = _data()
    model = _model()
    with pytest.raises(ValueError, match="validation_data"):
        fit(model, MSELoss(), SGD(model, 0.1), X, y, epochs=3, early_stopping=2)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-3, ValueError),
                                        (2.5, TypeError), (True, TypeError)])
def test_bad_patience_is_refused(bad, error):
    X, y = _data()
    model = _model()
    with pytest.raises(error, match="early_stopping"):
        fit(model, MSELoss(), SGD(model, 0.1), X, y, epochs=3,
            validation_data=(X, y), early_stopping=bad)
