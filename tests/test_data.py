"""The generated data sets: shapes, dtypes, ranges and reproducibility."""

import numpy as np
import pytest

from mlp_from_scratch import make_moons_split, make_sin


def test_make_sin_shapes_dtype_and_range():
    X, y = make_sin(50, rng=np.random.default_rng(0))
    assert X.shape == (50, 1) and y.shape == (50, 1)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert np.all(X >= -2 * np.pi) and np.all(X <= 2 * np.pi)
    assert np.ptp(X) > np.pi  # spread over the interval, not a constant
    assert np.array_equal(y, np.sin(X))


def test_make_sin_respects_low_and_high():
    X, y = make_sin(200, rng=np.random.default_rng(0), low=1.0, high=1.5)
    assert np.all(X >= 1.0) and np.all(X <= 1.5)
    np.testing.assert_allclose(y, np.sin(X), rtol=0, atol=0)


def test_make_sin_noise_adds_gaussian_noise_of_that_size():
    X, y = make_sin(4000, rng=np.random.default_rng(0), noise=0.1)
    residual = y - np.sin(X)
    assert np.std(residual) == pytest.approx(0.1, rel=0.05)
    assert abs(np.mean(residual)) < 0.01


def test_make_sin_is_reproducible_with_the_same_seed():
    a = make_sin(30, rng=np.random.default_rng(4), noise=0.2)
    b = make_sin(30, rng=np.random.default_rng(4), noise=0.2)
    c = make_sin(30, rng=np.random.default_rng(5), noise=0.2)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_make_sin_requires_an_rng():
    with pytest.raises(TypeError):
        make_sin(10)


def test_make_moons_split_sizes_dtypes_and_labels():
    X_train, X_test, y_train, y_test = make_moons_split()
    assert X_train.shape == (800, 2) and X_test.shape == (200, 2)
    assert y_train.shape == (800,) and y_test.shape == (200,)
    assert X_train.dtype == np.float64 and X_test.dtype == np.float64
    assert np.issubdtype(y_train.dtype, np.integer) and np.issubdtype(
        y_test.dtype, np.integer
    )
    assert set(np.unique(y_train)) == {0, 1} and set(np.unique(y_test)) == {0, 1}
    assert np.all(np.isfinite(X_train)) and np.all(np.isfinite(X_test))
    # two moons live roughly in [-1.5, 2.5] x [-1, 1.5]
    both = np.vstack([X_train, X_test])
    assert both[:, 0].min() > -2.0 and both[:, 0].max() < 3.0
    assert both[:, 1].min() > -1.5 and both[:, 1].max() < 2.0


@pytest.mark.parametrize(
    "n_samples, test_size, n_test", [(100, 0.2, 20), (250, 0.4, 100), (50, 0.5, 25)]
)
def test_make_moons_split_respects_n_samples_and_test_size(
    n_samples, test_size, n_test
):
    X_train, X_test, y_train, y_test = make_moons_split(
        n_samples=n_samples, test_size=test_size
    )
    assert len(X_test) == len(y_test) == n_test
    assert len(X_train) == len(y_train) == n_samples - n_test


def test_make_moons_split_is_stratified_by_class():
    _, _, y_train, y_test = make_moons_split()
    assert np.bincount(y_train).tolist() == [400, 400]
    assert np.bincount(y_test).tolist() == [100, 100]


def test_make_moons_split_train_and_test_are_disjoint():
    X_train, X_test, _, _ = make_moons_split(n_samples=300)
    train_rows = {tuple(row) for row in X_train}
    assert not any(tuple(row) in train_rows for row in X_test)


def test_make_moons_split_is_reproducible_with_the_same_random_state():
    a = make_moons_split(n_samples=200, random_state=3)
    b = make_moons_split(n_samples=200, random_state=3)
    c = make_moons_split(n_samples=200, random_state=4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_make_moons_split_noise_changes_the_points():
    quiet = make_moons_split(n_samples=200, noise=0.0)
    noisy = make_moons_split(n_samples=200, noise=0.3)
    # without noise every point lies on one of the two unit half circles
    X = np.vstack([quiet[0], quiet[1]])
    y = np.concatenate([quiet[2], quiet[3]])
    upper = np.hypot(X[y == 0, 0], X[y == 0, 1])
    lower = np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5)
    np.testing.assert_allclose(upper, 1.0, atol=1e-12)
    np.testing.assert_allclose(lower, 1.0, atol=1e-12)
    assert not np.array_equal(quiet[0], noisy[0])


def test_make_moons_split_with_val_size_keeps_the_test_set_and_stratifies():
    from mlp_from_scratch import make_moons_split

    four = make_moons_split(500, 0.2, 0.2, 3)
    X_tr, X_va, X_te, y_tr, y_va, y_te = make_moons_split(500, 0.2, 0.2, 3, val_size=0.2)
    assert np.array_equal(X_te, four[1]) and np.array_equal(y_te, four[3])
    assert (len(y_tr), len(y_va), len(y_te)) == (300, 100, 100)
    assert X_va.dtype == np.float64 and y_va.dtype == np.int64
    assert abs(y_va.mean() - 0.5) <= 0.01 and abs(y_tr.mean() - 0.5) <= 0.01
    together = np.vstack([X_tr, X_va])
    assert np.array_equal(np.sort(together, axis=0), np.sort(four[0], axis=0))


def test_make_moons_split_refuses_a_val_size_that_leaves_too_little():
    import pytest

    from mlp_from_scratch import make_moons_split

    with pytest.raises(ValueError, match="validation"):
        make_moons_split(20, test_size=0.5, val_size=0.45)
    with pytest.raises(ValueError, match="val_size"):
        make_moons_split(100, val_size=1.2)


def test_make_sin_split_sizes_and_reproducibility():
    from mlp_from_scratch import make_sin, make_sin_split

    parts = make_sin_split(30, 10, 20, rng=4, noise=0.1)
    assert [p.shape for p in parts] == [(30, 1), (10, 1), (20, 1)] * 2
    X, y = make_sin(60, rng=4, noise=0.1)
    assert np.array_equal(np.vstack(parts[:3]), X)
    assert np.array_equal(np.vstack(parts[3:]), y)
