"""The exercise grader: right answers pass, and each usual mistake gets its own diagnosis."""

import numpy as np
import pytest

from mlp_from_scratch import functional as F
from mlp_from_scratch.grading import diagnose, grade

NAMES = ("grad_z", "grad_W", "grad_b")


@pytest.fixture
def case():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((5, 3))
    W = rng.standard_normal((3, 4))
    grad_a = rng.standard_normal((5, 4))
    return grad_a, z, W


def reference(grad_a, z, W):
    return grad_a @ W.T, z.T @ grad_a, grad_a.sum(axis=0)


def run(capsys, candidate, case):
    ok = grade(candidate, reference, *case, names=NAMES)
    return ok, capsys.readouterr().out


def test_a_correct_function_passes_with_one_tick_per_output(capsys, case):
    ok, out = run(capsys, reference, case)
    assert ok
    assert out.count("✓") == 3 and "✗" not in out


def test_the_package_linear_backward_agrees_with_the_reference(capsys, case):
    grad_a, z, W = case
    assert grade(lambda g, z, W: F.linear_backward(g, z, W), reference, grad_a, z, W)


def test_an_unwritten_skeleton_is_reported_not_raised(capsys, case):
    def mine(grad_a, z, W):
        raise NotImplementedError

    ok, out = run(capsys, mine, case)
    assert not ok and "not written yet" in out


def test_a_transposed_weight_gradient_is_named(capsys, case):
    def mine(grad_a, z, W):
        return grad_a @ W.T, (z.T @ grad_a).T, grad_a.sum(axis=0)

    ok, out = run(capsys, mine, case)
    assert not ok and "grad_W is transposed" in out and "✓ grad_z" in out


def test_a_missing_sum_over_rows_is_named(capsys, case):
    def mine(grad_a, z, W):
        return grad_a @ W.T, z.T @ grad_a, grad_a

    ok, out = run(capsys, mine, case)
    assert not ok and "missing the sum over the rows" in out


def test_a_factor_of_the_batch_size_is_named(capsys, case):
    def mine(grad_a, z, W):
        return grad_a @ W.T, z.T @ grad_a / 5, grad_a.sum(axis=0)

    ok, out = run(capsys, mine, case)
    assert not ok and "5 times too small" in out


def test_a_flipped_sign_is_named(capsys, case):
    def mine(grad_a, z, W):
        return -(grad_a @ W.T), z.T @ grad_a, grad_a.sum(axis=0)

    ok, out = run(capsys, mine, case)
    assert not ok and "grad_z has the wrong sign" in out


def test_changing_an_argument_in_place_is_reported(capsys, case):
    def mine(grad_a, z, W):
        grad_a *= 1.0
        grad_a += 0.0
        out = reference(grad_a, z, W)
        grad_a[0, 0] = 99.0
        return out

    ok, out = run(capsys, mine, case)
    assert not ok and "changed its argument 1 in place" in out


def test_a_forgotten_return_and_a_wrong_count_are_reported(capsys, case):
    ok, out = run(capsys, lambda g, z, W: None, case)
    assert not ok and "returned 1 value(s); expected 3" in out
    assert diagnose(None, np.zeros(2)) == "returned None: is a `return` missing?"


def test_a_square_result_transposed_is_caught_by_value_not_by_shape():
    rng = np.random.default_rng(1)
    J = rng.standard_normal((3, 3))
    assert "transpose of the right answer" in diagnose(J.T, J)


def test_an_arbitrary_error_reports_the_worst_entry():
    want = np.arange(6.0).reshape(2, 3)
    got = want.copy()
    got[1, 2] += 0.5
    message = diagnose(got, want)
    assert "at index (1, 2)" in message and "relative error" in message


def test_a_candidate_that_raises_another_error_is_reported(capsys, case):
    ok, out = run(capsys, lambda g, z, W: g @ W, case)
    assert not ok and "raised ValueError" in out


def test_nan_is_reported():
    assert diagnose(np.array([np.nan, 1.0]), np.array([1.0, 1.0])) == "contains NaN or inf"


# The batch size named in a diagnosis is the real N, not any array's first dimension.

@pytest.fixture
def case_n5_in4():
    # the Linear backward of a batch: N = 5 samples, n_in = 4, n_out = 3 (W's first dimension is 4)
    rng = np.random.default_rng(15)
    grad_a = rng.standard_normal((5, 3))
    z, W = rng.standard_normal((5, 4)), rng.standard_normal((4, 3))
    return grad_a, z, W


def test_a_factor_equal_to_n_in_is_not_called_the_batch_size(capsys, case_n5_in4):
    def mine(grad_a, z, W):                       # grad_W four times too large; 4 is n_in
        return grad_a @ W.T, 4 * (z.T @ grad_a), grad_a.sum(axis=0)

    ok, out = run(capsys, mine, case_n5_in4)
    assert not ok and "grad_W is off by a constant factor of 4" in out
    assert "N = 4" not in out and "batch size" not in out


def test_a_factor_equal_to_the_batch_size_names_the_real_N(capsys, case_n5_in4):
    def mine(grad_a, z, W):
        return grad_a @ W.T, 5 * (z.T @ grad_a), grad_a.sum(axis=0)

    ok, out = run(capsys, mine, case_n5_in4)
    assert not ok and "5 times too large; a missing division by the batch size N = 5?" in out


def test_an_explicit_batch_size_is_the_one_named(capsys, case_n5_in4):
    def mine(grad_a, z, W):
        return grad_a @ W.T, (z.T @ grad_a) / 5, grad_a.sum(axis=0)

    assert not grade(mine, reference, *case_n5_in4, names=NAMES, batch_size=5)
    assert "5 times too small; an extra division by the batch size N = 5?" in capsys.readouterr().out
    # samples in columns: the batch cannot be read off the shapes, so the caller names it
    zT, V = np.random.default_rng(3).standard_normal((4, 6)), np.ones((3, 4))
    assert not grade(lambda zT, V: 6 * (V @ zT), lambda zT, V: V @ zT, zT, V, batch_size=6)
    assert "by the batch size N = 6?" in capsys.readouterr().out


def test_no_batch_size_is_named_when_the_shapes_do_not_tell(capsys):
    # samples in columns, zT (n_in, N) = (4, 6), V (n_out, n_in) = (3, 4): the leading sizes 4
    # and 3 are both features, so no batch size is guessed
    rng = np.random.default_rng(3)
    zT, V = rng.standard_normal((4, 6)), rng.standard_normal((3, 4))
    assert not grade(lambda zT, V: 3 * (V @ zT), lambda zT, V: V @ zT, zT, V)
    out = capsys.readouterr().out
    assert "off by a constant factor of 3" in out and "batch size" not in out


def test_a_bad_batch_size_is_refused():
    with pytest.raises(ValueError, match="batch_size"):
        grade(reference, reference, *[np.ones((2, 2))] * 3, batch_size=0)
