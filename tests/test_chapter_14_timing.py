"""The timing and memory helpers of chapter 14 (mlp_from_scratch.notebook), on a fake clock.

No test asserts a measured time: the clock here is a counter that the timed functions
advance by a fixed cost per call, so every number is exact.
"""

from __future__ import annotations

import numpy as np
import pytest

from mlp_from_scratch.notebook import interleaved, peak_bytes


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def costing(clock, seconds, log=None, name=None):
    def fn():
        clock.now += seconds
        if log is not None:
            log.append(name)
    return fn


def test_returns_the_cost_per_call_of_each_function():
    clock = FakeClock()
    t = interleaved({"slow": costing(clock, 3e-3), "fast": costing(clock, 1e-5)},
                    clock=clock, block=2e-3)
    assert t["slow"] == pytest.approx(3e-3)
    assert t["fast"] == pytest.approx(1e-5)


def test_calls_per_block_double_until_a_block_lasts_long_enough():
    clock, log = FakeClock(), []
    interleaved({"a": costing(clock, 1e-3, log, "a")}, repeat=1, clock=clock, block=5e-3)
    # calibration: blocks of 1, 2, 4 and 8 calls (8 ms >= 5 ms), then one timed block of 8
    assert len(log) == 1 + 2 + 4 + 8 + 8


def test_the_rounds_alternate_between_the_contenders():
    clock, log = FakeClock(), []
    fns = {name: costing(clock, 1.0, log, name) for name in "ABC"}
    interleaved(fns, repeat=3, clock=clock, block=0.5)
    assert "".join(log[3:]) == "ABC" * 3   # one calibration call each, then the rounds


def test_keeps_the_best_round():
    clock, costs = FakeClock(), iter([1.0, 5.0, 2.0, 0.5, 3.0])  # calibration, 4 rounds

    def fn():
        clock.now += next(costs)
    assert interleaved({"f": fn}, repeat=4, clock=clock, block=0.1) == {"f": 0.5}


@pytest.mark.parametrize("contenders, repeat, error", [
    ({}, 5, ValueError),
    ({"x": 3}, 5, TypeError),
    ({"f": lambda: None}, 0, ValueError),
    ({"f": lambda: None}, 2.5, ValueError),
])
def test_bad_arguments_raise(contenders, repeat, error):
    with pytest.raises(error):
        interleaved(contenders, repeat=repeat)


def test_peak_bytes_sees_a_numpy_temporary():
    n = 1_000_000
    peak = peak_bytes(lambda: np.ones(n).sum())
    assert abs(peak - 8 * n) < 10_000


def test_peak_bytes_refuses_to_nest():
    with pytest.raises(RuntimeError, match="tracemalloc"):
        peak_bytes(lambda: peak_bytes(lambda: None))
