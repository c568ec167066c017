"""Cases that run with NumPy's BLAS limited to one thread.

The matrix-product floor is a one-thread figure: with more BLAS threads the floor's products
spread over every core while everything else a trainer does (the bias, the activations, the
loss, the update, the shuffle) stays on one, so the ratio trainer / floor measures the number
of cores as much as the trainer. The floor comparison is therefore made with one BLAS thread on
both sides, and the competitors (scikit-learn, PyTorch) run with their default threads.

The limit is set with threadpoolctl around the timed run only: ``openblas_set_num_threads`` on
the OpenBLAS that NumPy loaded, which takes effect at once and is undone after the run. (An
``OPENBLAS_NUM_THREADS=1`` environment variable would also work, but only in a fresh process,
which could not interleave its runs with the others.) Each timed run also records its processor
time: for a one-thread case it stays at about its wall time, which the report shows.
"""

from __future__ import annotations

from typing import Callable

#: Appended to a case's name when it runs with one BLAS thread.
ONE_THREAD = ", 1 BLAS thread"

_controller = None


def _blas_controller():
    global _controller
    if _controller is None:
        import threadpoolctl

        _controller = threadpoolctl.ThreadpoolController()
    return _controller


def one_blas_thread(setup: Callable) -> Callable:
    """The case ``setup(data) -> run`` with NumPy's BLAS on one thread while ``run()`` runs."""

    def setup_one_thread(data):
        run = setup(data)
        controller = _blas_controller()

        def run_one_thread():
            with controller.limit(limits=1, user_api="blas"):
                return run()

        return run_one_thread

    return setup_one_thread
