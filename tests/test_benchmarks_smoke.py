"""The benchmark harness runs end to end at tiny size (no timing is asserted)."""

import math

import numpy as np
import pytest

from mlp_from_scratch import MLP, SGD, SoftmaxCrossEntropyLoss, fit

from benchmarks.__main__ import main
from benchmarks.floor import make_floor, matmul_flops
from benchmarks.numpy_loop import make_numpy_loop
from benchmarks.report import render, target_rows
from benchmarks.machine import numpy_blas_threads
from benchmarks.suite import run_suite
from benchmarks.threads import ONE_THREAD, one_blas_thread
from benchmarks.workloads import MODES, build


def test_every_quick_workload_runs_once_at_tiny_size():
    suite = run_suite("tiny", rounds=1, memory=False, log=lambda msg: None)
    results = suite.results
    assert suite.threads >= 1
    assert [r.workload.key for r in results] == ["small", "large", "per_sample"]
    for res in results:
        assert res.cases[0].name in ("mlp_from_scratch", "full batch (50)")
        for case in res.cases:
            assert len(case.timing.seconds) == 1 and case.timing.median > 0
            if not case.name.startswith("matrix-product floor"):
                assert math.isfinite(case.timing.result)
        assert res.ratio(res.cases[0].name) == 1.0
    text = render(suite, command="test")
    for heading in ("## Targets", "### small", "### large", "### per-sample"):
        assert heading in text
    assert len(target_rows(results)) >= 2  # sklearn and the floor, PyTorch when installed


def test_the_command_line_prints_the_table(capsys, tmp_path):
    out = tmp_path / "table.md"
    assert main(["--tiny", "--only", "per_sample", "--no-memory", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| per sample (batch 1) |" in printed
    assert out.read_text(encoding="utf-8").strip() == printed.strip()


def test_quick_mode_builds_the_same_workloads_as_the_full_run():
    quick = build("quick")
    full = build("full")
    assert [w.key for w in quick] == [w.key for w in full]
    assert all(list(q.cases) == list(f.cases) for q, f in zip(quick, full))
    assert MODES["quick"]["rounds"] >= 2


def test_floor_flop_count_matches_the_products_it_runs():
    sizes, n = [6, 5, 4, 3], 10
    # forward and dL/dW: every layer; dL/dz: every layer but the first
    expected = 2 * n * (2 * (6 * 5 + 5 * 4 + 4 * 3) + (5 * 4 + 4 * 3))
    assert matmul_flops(sizes, n) == expected
    run = make_floor(np.ones((n, 6)), sizes, batch_size=4)
    assert math.isnan(run())


@pytest.mark.parametrize("mode", ["full", "quick"])
def test_small_workload_trains_every_competitor_on_the_same_data(mode):
    (small,) = build(mode, only=["small"])
    X, y = small.data
    assert X.shape == (MODES[mode]["small_n"], 2) and set(np.unique(y)) == {0, 1}


def test_memory_runs_report_traced_and_resident_peaks():
    suite = run_suite("tiny", rounds=1, only=["per_sample"], memory=True,
                      log=lambda msg: None)
    for case in suite.results[0].cases:
        assert case.traced_bytes > 0  # the fit's activations and gradients
        assert case.rss_bytes is None or case.rss_bytes >= 0


@pytest.mark.parametrize("activation, sizes", [("sigmoid", [2, 5, 4, 2]),
                                               ("relu", [6, 8, 8, 3])])
def test_bare_numpy_loop_takes_the_same_steps_as_the_package(activation, sizes):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((37, sizes[0]))
    y = rng.integers(0, sizes[-1], size=37)
    model = MLP(sizes, activation, rng=5)
    history = fit(model, SoftmaxCrossEntropyLoss(), SGD(model, lr=0.3), X, y, epochs=4,
                  batch_size=8, rng=5)
    bare = make_numpy_loop(X, y, sizes, activation=activation, lr=0.3, batch_size=8,
                           epochs=4, seed=5)
    np.testing.assert_allclose(bare(), history.train_loss[-1], rtol=1e-12)


def test_bare_numpy_loop_refuses_an_activation_it_does_not_implement():
    with pytest.raises(ValueError, match="tanh"):
        make_numpy_loop(np.ones((4, 2)), np.zeros(4, dtype=int), [2, 3, 2],
                        activation="tanh", lr=0.1, batch_size=2, epochs=1, seed=0)



def test_one_thread_cases_run_with_one_blas_thread_and_restore_it():
    before = numpy_blas_threads()
    run = one_blas_thread(lambda data: numpy_blas_threads)(None)
    assert run() == 1
    assert numpy_blas_threads() == before


def test_floor_target_compares_one_thread_with_one_thread():
    (large,) = build("tiny", only=["large"])
    ours, floor, _ = large.targets[0]
    assert ours == "mlp_from_scratch" + ONE_THREAD
    assert floor == "matrix-product floor" + ONE_THREAD
    assert large.baseline(floor) == ours and large.baseline("bare NumPy loop") == "mlp_from_scratch"
